"""foundermode team ...: every command, every output format, through the real CLI."""
from __future__ import annotations

import csv
import io
import json
import re

from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.sources.org import import_org_chart, parse_org_chart

from .test_review_growth import FORBIDDEN, ORG, build

runner = CliRunner()


def run(db: str, *args: str):
    result = runner.invoke(app, ["--db", db, "team", *args], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_team_commands(sqlite_store, repo, ingest):
    build(repo)
    ingest(sqlite_store, repo, ownership=True)
    import_org_chart(sqlite_store, parse_org_chart(ORG))
    db = str(sqlite_store.engine.url)
    window = ["--since", "2024-01-01", "--until", "2024-05-01"]

    profiles = json.loads(run(db, "profiles", *window, "--json"))
    by_email = {p["email"]: p for p in profiles}
    assert by_email["ada@example.com"]["commits"] == 8 and by_email["ada@example.com"]["team"] == "core"
    rows = list(csv.DictReader(io.StringIO(run(db, "profiles", *window, "--format", "csv"))))
    assert {r["name"] for r in rows} == {p["name"] for p in profiles}
    assert "| name |" in run(db, "profiles", *window, "--team", "core", "--format", "markdown")
    assert "Profiles" in run(db, "profiles", *window)  # a terminal table (its width follows the terminal)

    one = json.loads(run(db, "profile", "lin@example.com", *window, "--json"))
    assert one["commits"] == 1 and one["areas"] == [{"area": "engine", "commits": 1, "lines_changed": 1}]
    assert "surviving lines at HEAD" in run(db, "profile", "Lin Longtime", *window, "--format", "markdown")

    tf = json.loads(run(db, "truck-factor", "--json", "--by-area"))
    assert tf[0]["truck_factor"] == 1 and tf[0]["members"][0]["name"] == "Lin Longtime" and tf[0]["area"] is None
    assert {t["area"] for t in tf} == {None, "app", "engine", "web"}
    first = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    assert json.loads(run(db, "truck-factor", "--at", first, "--json"))[0]["files"] == 6
    assert "Lin Longtime" in run(db, "truck-factor", "--format", "markdown")

    months = json.loads(run(db, "output", *window, "--json"))
    assert {m["team"] for m in months} == {"core", "web"}
    assert "2024-02" in run(db, "output", *window, "--overall", "--format", "markdown")

    managers = json.loads(run(db, "managers", *window, "--json"))
    assert [m["name"] for m in managers] == ["May Manager"]
    assert re.search(r"cannot\s+show", run(db, "managers", *window).lower())

    review_text = run(db, "review", *window, "--format", "markdown")
    assert "Lin Longtime" in review_text and "no commits for" in review_text
    assert re.search(r"not\s+a\s+conclusion", run(db, "review", *window))
    assert not FORBIDDEN.search(review_text) and not FORBIDDEN.search(run(db, "review", *window))
    review = json.loads(run(db, "review", *window, "--json"))
    lin = [e for t in review for e in t["entries"] if e["name"] == "Lin Longtime"][0]
    assert any("truck factor" in e for e in lin["keep_evidence"])

    growth = json.loads(run(db, "growth", "core", *window, "--json"))
    assert growth["team"] == "core" and growth["truck_factor"][0]["truck_factor"] == 1
    assert "truck-factor risk" in run(db, "growth", "core", *window, "--format", "markdown")

    report = json.loads(run(db, "report", *window))
    assert set(report) == {"scope", "profiles", "truck_factors", "output", "managers", "review"}


def test_errors_are_messages(sqlite_store, repo, ingest):
    repo.commit({"a.py": "a\n"})
    ingest(sqlite_store, repo)
    db = str(sqlite_store.engine.url)
    for args, message in (
        (["profile", "nobody@example.com"], "no person"),
        (["profiles", "--repo", "missing"], "no repository"),
        (["profiles", "--since", "yesterday-ish"], "not a date"),
        (["review", "--days", "30"], "three months"),
        (["growth", "ghosts"], "no one is in team"),
    ):
        result = runner.invoke(app, ["--db", db, "team", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
