"""The deployment files docs/deployment.md shows: they exist, and every foundermode command they run is one the CLI has."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foundermode.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _runs(args: list[str]) -> None:
    """``foundermode ARGS`` parses: the command exists and takes these options (checked with --help appended)."""
    options = [a for a in args if a.startswith("--")]
    command = [a for a in args if not a.startswith("--") and not re.fullmatch(r"[\d.]+", a)]
    result = CliRunner().invoke(app, [*command[:1], "--help"])
    assert result.exit_code == 0, (args, result.output)
    for option in options:
        assert option in result.output, f"foundermode {command[0]} has no option {option}"


def _exec_starts(unit: Path) -> list[list[str]]:
    out = []
    for line in unit.read_text().splitlines():
        if line.startswith("ExecStart="):
            words = shlex.split(line.split("=", 1)[1].lstrip("-"))
            assert words[0].endswith("/foundermode"), line
            out.append(words[1:])
    return out


def test_systemd_units_run_real_commands():
    service = DEPLOY / "systemd" / "foundermode.service"
    timer_service = DEPLOY / "systemd" / "foundermode-tick.service"
    assert (DEPLOY / "systemd" / "foundermode-tick.timer").is_file()
    assert _exec_starts(service) == [["serve", "--host", "127.0.0.1", "--port", "8000"]]
    assert [a[0] for a in _exec_starts(timer_service)] == ["sync", "tick"]
    for unit in (service, timer_service):
        for args in _exec_starts(unit):
            _runs(args)


def test_compose_runs_postgres_and_one_scheduler():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    app_service = services["foundermode"]
    assert app_service["environment"]["FOUNDERMODE_DB"].startswith("postgresql://")
    assert app_service["build"]["dockerfile"] == "deploy/Dockerfile"
    _runs(app_service["command"])
    # Exactly one place runs the schedule: one foundermode service, its tick on.
    assert [name for name, s in services.items() if "build" in s or "foundermode" in str(s.get("image", ""))] == ["foundermode"]
    assert "--no-tick" not in app_service["command"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["foundermode"]' in dockerfile and "git" in dockerfile


def test_deployment_guide_links_files_that_exist():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    links = re.findall(r"\]\((\.\./deploy/[^)]+)\)", guide)
    assert len(links) >= 3
    for link in links:
        assert (ROOT / "docs" / link).resolve().exists(), link
