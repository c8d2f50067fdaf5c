"""One scope for every surface (scope.py): the CLI, the web's API and the brief read the same window from the same words.

Reproduction (issue 13): ``team profiles --repo A`` ended A's window at A's last
commit, while ``/team?repo=A&days=90`` ended it at the store's last commit, so the
two disagreed on the same store whenever A had gone quiet before the others.
"""
from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import init_repo
from foundermode.cli import app
from foundermode.ingest import ingest_repository

from .conftest import DAY, NOW


def _quiet_repository(org, tmp_path):
    """'legacy': Ada and Bob worked on it until 40 days before the rest stopped."""
    repo = init_repo(tmp_path / "legacy")
    start = NOW - 200 * DAY
    for week in range(20):
        when = start + week * 7 * DAY
        repo.commit({"legacy.py": f"v = {week}\n"}, f"legacy {week}", author=("Ada Lovelace", "ada@example.com"), when=when)
        repo.commit({f"notes/{week}.md": "note\n" * (week + 1)}, f"notes {week}", author=("Bob Builder", "bob@example.com"), when=when + 3600)
    ingest_repository(org.store, tmp_path / "legacy", org.config)
    return repo


def _cli(org, *args):
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _figures(profiles):
    return sorted((p["email"], p["commits"], p["lines_added"]) for p in profiles)


def test_team_profiles_for_one_repository_agree_on_the_cli_and_the_web(org, tmp_path, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    _quiet_repository(org, tmp_path)
    cli = json.loads(_cli(org, "team", "profiles", "--repo", "legacy", "--json"))
    api = org.client().get("/api/team?repo=legacy&days=90", headers=org.bearer("leader"))
    assert api.status_code == 200, api.text
    web = api.json()["profiles"]
    assert _figures(cli) == _figures(web)
    # and the window is legacy's own: it ends after its last commit, 90 days long (members with
    # no commit there are listed too, with zeros: the org chart says who is on the team)
    committed = {p["email"]: p["commits"] for p in cli if p["commits"]}
    assert set(committed) == {"ada@example.com", "bob@example.com"} and all(n >= 12 for n in committed.values())
    assert api.json()["scope"]["until"] - api.json()["scope"]["since"] == 90 * DAY
    assert api.json()["scope"]["ends"] == "last-commit"


def test_every_surface_reads_the_same_window_grammar(org):
    from foundermode import scope as scopes

    with org.store.read() as conn:
        last = scopes.last_activity(conn)
        by_span = scopes.resolve(conn, since="6m")
        by_date = scopes.resolve(conn, since="2024-01-01", until="2024-03-01")
        by_days = scopes.resolve(conn, days=90, until="now", now=NOW)
        brief = scopes.resolve(conn, report="brief")
    assert by_span.until == last + 1 and by_span.ends == "last-commit"
    assert by_span.until - by_span.since == round(6 * 30.4375 * DAY)
    assert (by_date.since, by_date.until, by_date.ends) == (1704067200, 1709251200, "given")
    assert (by_days.since, by_days.until, by_days.ends) == (NOW - 90 * DAY, NOW, "now")
    assert brief.until == last + 1 and brief.days == 7
    assert "ends at the last commit in scope" in brief.heading()
    assert "ends now" in by_days.heading()


def test_the_end_rule_is_in_every_report_heading(org, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    assert "ends at the last commit in scope" in _cli(org, "team", "profiles")
    assert "ends where asked" in _cli(org, "team", "profiles", "--until", "2024-03-01")
    assert "ends at the last commit in scope" in json.loads(_cli(org, "brief", "--format", "json"))["window_label"]
    page = org.client("leader").get("/team?days=30")
    assert page.status_code == 200 and "ends at the last commit in scope" in page.text


def test_a_bad_window_is_one_line_naming_the_grammar(org, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), "team", "profiles", "--since", "last tuesday"])
    assert result.exit_code == 1
    assert "not a date: 'last tuesday'" in result.output and "90d" in result.output and "--" not in result.output.split("error:")[1]
    api = org.client().get("/api/team?until=yesterday", headers=org.bearer("leader"))
    assert api.status_code == 400 and "not a date: 'yesterday'" in api.text
