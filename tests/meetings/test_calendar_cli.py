"""The calendar commands, in-process: ingest a folder, then every meetings view."""
from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from foundermode.cli import app

try:
    from .calendar_helpers import team_exports, write
except ImportError:
    from calendar_helpers import team_exports, write

WINDOW = ["--since", "2024-03-04", "--until", "2024-04-01"]


def run(tmp_path, *args):
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'cli.db'}", *args])
    return result


def test_ingest_then_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    team_exports(tmp_path / "exports")
    result = run(tmp_path, "ingest", "calendar", str(tmp_path / "exports"), *WINDOW, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["files"] == 3 and summary["occurrences_added"] == 4 + 1 + 3 + 1 + 1 + 4

    report = json.loads(run(tmp_path, "meetings", "report", *WINDOW, "--json").output)
    assert report["totals"]["person_hours"] == 43.0
    assert [row["summary"] for row in report["large"]] == ["All hands"]
    assert [row["summary"] for row in report["series"]][:1] == ["Weekly sync"]
    assert len(report["trend"]) == 4

    hours = run(tmp_path, "meetings", "hours", *WINDOW, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(hours.output)))
    assert rows[0]["name"] == "Bob" and float(rows[0]["hours"]) == 9.5

    for view in (["cost"], ["large"], ["long"], ["series"], ["focus"], ["focus", "--breakers"], ["trend"], ["report"]):
        shown = run(tmp_path, "meetings", *view, *WINDOW)
        assert shown.exit_code == 0, (view, shown.output)
    markdown = run(tmp_path, "meetings", "series", *WINDOW, "--format", "markdown").output
    assert "| Weekly sync |" in markdown


def test_bad_file_fails_and_imports_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    team_exports(tmp_path / "exports")
    write(tmp_path / "exports", "broken.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;;VALUE=DATE-TIME:20240305T093000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    result = run(tmp_path, "ingest", "calendar", str(tmp_path / "exports"), *WINDOW)
    assert result.exit_code == 1
    assert "broken.ics:4" in result.output.replace("\n", "") and "nothing was imported" in result.output
    report = json.loads(run(tmp_path, "meetings", "report", *WINDOW, "--json").output)
    assert report["totals"]["meetings"] == 0


def test_an_error_names_the_file_as_it_is_called(tmp_path, monkeypatch):
    """The error line is plain text: a file called 'board[draft].ics' is named so, not 'board\\[draft].ics'."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "board[draft].ics", "BEGIN:VCALENDAR\r\nnot a calendar\r\n")
    result = run(tmp_path, "ingest", "calendar", str(tmp_path / "board[draft].ics"), *WINDOW)
    assert result.exit_code == 1
    output = result.output.replace("\n", "")
    assert "board[draft].ics" in output and "\\[" not in output
