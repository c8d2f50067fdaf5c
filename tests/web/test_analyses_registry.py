"""The registry of analyses (analyses.py): every analysis declared once, and every surface agrees.

Each registered analysis runs through the command line (``foundermode analysis NAME --json``)
and the API (``GET /api/analyses/NAME``) on one store, with the same words for the window,
and the two must give the same JSON; the figures the older surfaces show (``team profiles``,
``/api/team``, ``team truck-factor``, the brief) must be the registry's figures.
"""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from foundermode import analyses
from foundermode.cli import app

from .conftest import DAY, NOW

UNTIL = str(NOW + DAY)  # a fixed end after the history and the reports: no wall clock in the figures


def _cli(org, *args, ok=True):
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _api(org, path, role="leader"):
    return org.client().get(path, headers=org.bearer(role))


@pytest.fixture
def busy_org(org, monkeypatch):
    from foundermode.store import set_clock

    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    org.escalated_gpu_bottleneck()
    set_clock(org.clock.now)  # the CLI reads the store's clock, the API the app's: one moment for both
    yield org
    set_clock(None)


@pytest.mark.parametrize("name", analyses.names())
def test_every_analysis_gives_the_same_json_on_the_cli_and_the_api(busy_org, name):
    cli = json.loads(_cli(busy_org, "analysis", name, "--until", UNTIL, "--days", "120").stdout)
    response = _api(busy_org, f"/api/analyses/{name}?until={UNTIL}&days=120")
    assert response.status_code == 200, response.text
    assert cli == response.json()
    assert cli["analysis"] == name and cli["window"]["ends"] == "given"


def test_the_registry_has_figures_to_compare(busy_org):
    """The comparison above is not between two empty answers."""
    def result(name):
        return json.loads(_cli(busy_org, "analysis", name, "--until", UNTIL, "--days", "120").stdout)["result"]

    assert {p["email"] for p in result("profiles") if p["commits"]} == {"ada@example.com", "bob@example.com", "grace@example.com"}
    assert any(t["truck_factor"] for t in result("truck-factor"))
    assert result("bottlenecks") is not None
    assert [s["key"] for s in result("brief")["sections"]][:2] == ["areas", "talk_to"]


def test_the_older_surfaces_show_the_registrys_figures(busy_org):
    registry = json.loads(_cli(busy_org, "analysis", "profiles", "--until", UNTIL, "--days", "120").stdout)["result"]
    figures = sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in registry)
    cli = json.loads(_cli(busy_org, "team", "profiles", "--until", UNTIL, "--days", "120", "--json").stdout)
    assert sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in cli) == figures
    team = _api(busy_org, f"/api/team?until={UNTIL}&days=120").json()
    assert sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in team["profiles"]) == figures

    output = json.loads(_cli(busy_org, "analysis", "output", "--until", UNTIL, "--days", "120").stdout)["result"]
    team_output = _api(busy_org, f"/api/team?until={UNTIL}&days=120").json()["output"]
    # the team page's output is over the team window; every month it shows is the registry's month
    registry_months = {(m["month"], m.get("team")): m["commits"] for m in output}
    shared = [m for m in team_output if (m["month"], m.get("team")) in registry_months]
    assert shared, "the team page and the registry share no month: the comparison would prove nothing"
    assert all(registry_months[(m["month"], m.get("team"))] == m["commits"] for m in shared)

    registry_tf = json.loads(_cli(busy_org, "analysis", "truck-factor").stdout)["result"]
    cli_tf = json.loads(_cli(busy_org, "team", "truck-factor", "--by-area", "--json").stdout)
    assert sorted((t["repository"], t["area"] or "", t["truck_factor"]) for t in registry_tf) == sorted((t["repository"], t["area"] or "", t["truck_factor"]) for t in cli_tf)

    registry_brief = json.loads(_cli(busy_org, "analysis", "brief", "--until", UNTIL).stdout)["result"]
    brief = json.loads(_cli(busy_org, "brief", "--until", UNTIL, "--format", "json").stdout)
    mine = {s["key"]: s for s in registry_brief["sections"]}
    assert [s["key"] for s in brief["sections"]] == list(mine)
    for section in brief["sections"]:
        assert section["data"] == mine[section["key"]]["data"], section["key"]
    assert mine["bottlenecks"]["data"] and mine["areas"]["data"]


def test_only_leaders_read_analyses_and_unknown_ones_are_named(busy_org):
    assert _api(busy_org, "/api/analyses", role="engineer").status_code == 403
    assert _api(busy_org, "/api/analyses/profiles", role="engineer").status_code == 403
    listing = _api(busy_org, "/api/analyses").json()
    assert [a["name"] for a in listing] == analyses.names()
    assert all(a["principle"] in analyses.PRINCIPLES for a in listing)
    missing = _api(busy_org, "/api/analyses/nope")
    assert missing.status_code == 404 and "profiles" in missing.json()["detail"]
    result = _cli(busy_org, "analysis", "nope", ok=False)
    assert result.exit_code == 1 and "no analysis named 'nope'" in result.output
    bad = _api(busy_org, "/api/analyses/profiles?until=yesterday-ish")
    assert bad.status_code == 400


def test_the_cli_help_lists_every_registered_analysis():
    result = CliRunner().invoke(app, ["analysis", "--help"])
    assert result.exit_code == 0
    for analysis in analyses.ANALYSES:
        assert analysis.name in result.output
