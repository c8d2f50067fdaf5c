"""Blockers from files: stand-up notes (CSV), tracker exports (JSON, 'blocked' label); all or nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.bottlenecks.files import BlockerFileError, parse_csv, parse_json
from foundermode.cli import app
from foundermode.store import open_store
from foundermode.store.schema_bottlenecks import blocker_reports

from .conftest import MONDAY

STANDUP = """date,email,yesterday,blocker
2024-03-11,ada@example.com,shipped login,The GPU cluster is down since 8am
2024-03-11,bob@example.com,reviews,none
2024-03-11,cy@example.com,tests,"GPU cluster down, cannot train"
"""


def test_standup_csv_skips_empty_answers():
    blockers = parse_csv(STANDUP, "standup.csv")
    assert [(b.email, b.text) for b in blockers] == [("ada@example.com", "The GPU cluster is down since 8am"), ("cy@example.com", "GPU cluster down, cannot train")]
    assert blockers[0].reported_at == 1710115200  # 2024-03-11T00:00Z
    assert blockers[0].external_id != blockers[1].external_id


def test_tracker_export_keeps_only_blocked_issues():
    export = [
        {"number": 12, "title": "Staging DB read-only", "body": "migrations fail", "user": {"login": "ada-l"}, "labels": [{"name": "Blocked"}], "created_at": "2024-03-11T09:00:00Z"},
        {"number": 13, "title": "Typo in README", "user": {"login": "bob"}, "labels": [{"name": "docs"}]},
        {"number": 14, "title": "staging db read-only again", "user": {"email": "cy@example.com"}, "labels": ["bug", "blocked"]},
    ]
    blockers = parse_json(json.dumps(export, indent=2), "issues.json")
    assert [(b.email, b.external_id) for b in blockers] == [("github:ada-l", "issues.json#12"), ("cy@example.com", "issues.json#14")]
    assert blockers[0].text == "Staging DB read-only\nmigrations fail"


def test_every_bad_row_is_reported_with_its_line():
    text = "email,text,date\nada@example.com,ok,2024-03-11\n,no reporter here,2024-03-11\nbob@example.com,bad date,yesterday\n"
    with pytest.raises(BlockerFileError) as caught:
        parse_csv(text, "notes.csv")
    message = str(caught.value)
    assert "2 bad row(s)" in message and "notes.csv:3: no reporter" in message and "notes.csv:4: date 'yesterday'" in message
    listing = '[\n  {"text": "fine", "email": "a@example.com"},\n  {"text": "who?"},\n  {"text": "x", "email": "b@example.com"}\n]'
    with pytest.raises(BlockerFileError, match=r"blockers.json:3: no reporter"):
        parse_json(listing, "blockers.json")
    with pytest.raises(BlockerFileError, match=r"broken.json:2: invalid JSON"):
        parse_json('[\n  {"text": "x",, }\n]', "broken.json")
    with pytest.raises(BlockerFileError, match=r"x.csv:1: no text column"):
        parse_csv("email,when\n", "x.csv")


def test_import_is_all_or_nothing_and_a_reimport_adds_nothing(tmp_path, config):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    good = tmp_path / "standup.csv"
    good.write_text(STANDUP, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(STANDUP + "2024-03-12,dee@example.com,x,staging db is down\n2024-03-12,not-an-email,x,y\n", encoding="utf-8")
    args = ["--db", db, "--config", str(config.path)]
    result = runner.invoke(app, [*args, "blocker", "import", str(bad), "--new-person", "--now", str(MONDAY)])
    # rich wraps long lines at the terminal's width: read the message unwrapped
    assert result.exit_code == 1 and "bad.csv:6" in result.output.replace("\n", "")
    store = open_store(db)
    count = lambda: store.engine.connect().execute(select(func.count()).select_from(blocker_reports)).scalar()  # noqa: E731
    assert count() == 0
    result = runner.invoke(app, [*args, "blocker", "import", str(good), "--new-person", "--json", "--now", str(MONDAY)])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output)
    assert (summary["added"], summary["bottlenecks_opened"], summary["escalated"]) == (2, 1, 1)
    again = runner.invoke(app, [*args, "blocker", "import", str(good), "--new-person", "--json", "--now", str(MONDAY + 60)])
    assert json.loads(again.output)[0]["already_imported"] == 2
    assert count() == 2
    store.dispose()
