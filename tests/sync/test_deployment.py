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


SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY\b|WEBHOOK", re.I)


def test_secrets_come_only_from_the_environment():
    """No password, key or token is written in a deployment file: compose interpolates each from the
    environment it is started in, systemd reads them from an EnvironmentFile, the image holds none."""
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    interpolated = re.compile(r"\$\{[A-Z_]+(:?[-?][^}]*)?\}")
    checked = 0
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(key):
                assert interpolated.fullmatch(str(value)), f"{name}: {key} is written in compose.yaml, not taken from the environment"
                checked += 1
        db_url = (service.get("environment") or {}).get("FOUNDERMODE_DB", "")
        if db_url:
            password = re.match(r"postgresql://[^:]+:([^@]*)@", db_url)
            assert password and interpolated.fullmatch(password.group(1)), "the store URL's password must come from the environment"
            checked += 1
    assert checked >= 3  # the database password twice, the secret key
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        assert "EnvironmentFile=/etc/foundermode/env" in text, unit.name
        for line in text.splitlines():
            if line.startswith("Environment="):
                assert not SECRET_WORDS.search(line), f"{unit.name}: {line}"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert not [line for line in dockerfile.splitlines() if line.startswith(("ENV", "ARG")) and SECRET_WORDS.search(line)]
    # The guide's foundermode.toml names environment variables for its secrets (keys ending in _env), never the secrets.
    guide = (ROOT / "docs" / "deployment.md").read_text()
    toml_blocks = re.findall(r"```toml\n(.*?)```", guide, re.S)
    assert toml_blocks
    for block in toml_blocks:
        for line in block.splitlines():
            key = line.split("=", 1)[0].strip()
            if SECRET_WORDS.search(key) or key in ("password", "webhook_url"):
                assert key.endswith("_env"), line
