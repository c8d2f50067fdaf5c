"""``foundermode demo`` end to end on a history built by the test: every section of the brief has content."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from foundermode.brief import SECTIONS


def test_demo_builds_every_input_and_a_brief_with_every_section(demo, history):
    folder = demo.folder
    for name in ("org.csv", "foundermode.toml", "brief.html", "brief.md"):
        assert (folder / name).is_file(), name
    assert len(list((folder / "calendars").glob("*.ics"))) == len(demo.org.everyone)
    assert demo.transcripts >= 3 and len(list((folder / "transcripts").glob("*.vtt"))) == demo.transcripts
    assert demo.skipped == [], demo.skipped  # every sibling ingest exists in this build: nothing was skipped

    brief = demo.brief
    # The window ends at the history's last commit and says so.
    assert brief.window.end == history.last + 1
    assert "ending at the last commit" in demo.output and brief.window_label in demo.output
    for key, title in SECTIONS:
        section = brief.section(key)
        assert section.error is None, f"{title}: {section.error}"
        assert section.has_content, f"{title} has no content: {section.note}"

    # Each section's content is the organisation the demo built, not filler.
    areas = brief.section("areas").data
    assert {a.area for a in areas.areas} >= {"infra", "api", "web"}
    assert "docs" in {q.area for q in areas.quiet}
    split = brief.section("time_split").data
    assert split.leader == demo.org.leader.name and split.share is not None and 0 < split.share < 1
    blockers = brief.section("bottlenecks").data
    assert any(b.escalated_to for b in blockers.open), "two reporters of the same blocker escalate it"
    assert any(u.resolved for u in blockers.time_to_unblock), "a resolved bottleneck gives a time to unblock"
    meetings = brief.section("meetings").data
    assert meetings.largest and meetings.largest[0].max_attendees > 8
    assert meetings.walk_outs, "silent attendees in the transcribed series get walk-out suggestions"
    team = brief.section("team").data
    assert team.truck_factors and team.managers
    names = {m.name for m in team.managers}
    assert {m.name for m in demo.org.managers} <= names

    markdown = (folder / "brief.md").read_text(encoding="utf-8")
    for _, title in SECTIONS:
        assert f"## {title}" in markdown
    assert (folder / "leader-token.txt").read_text().startswith("fm_"), "the dashboard can be opened as the leader"


def test_demo_talk_to_names_engineers_with_evidence_in_the_demo_store(demo):
    from foundermode.store import open_store
    from foundermode.store.schema import commits
    from foundermode.store.schema_bottlenecks import blocker_reports

    talk = demo.brief.section("talk_to").data
    engineers = {m.name for m in demo.org.engineers}
    assert any(entry.name in engineers for entry in talk), "never only managers"
    assert any(reason.kind == "bottleneck" for entry in talk for reason in entry.reasons)
    store = open_store(f"sqlite:///{demo.folder / '.foundermode' / 'foundermode.db'}")
    try:
        with store.read() as conn:
            shas = set(conn.execute(select(commits.c.sha)).scalars())
            reports = set(conn.execute(select(blocker_reports.c.id)).scalars())
    finally:
        store.dispose()
    for entry in talk:
        for reason in entry.reasons:
            assert reason.commits or reason.reports, f"{entry.name}: {reason.text}"
            assert set(reason.commits) <= shas and set(reason.reports) <= reports, f"{entry.name}: {reason.text}"


def test_demo_store_is_the_folders_own_and_the_cli_reads_it(demo, monkeypatch):
    from typer.testing import CliRunner

    from foundermode.cli import app

    monkeypatch.chdir(demo.folder)
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["brief", "--until", "last-commit", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["key"] for s in data["sections"]] == [key for key, _ in SECTIONS]
    assert all(s["has_content"] for s in data["sections"])


def test_demo_rebuilds_its_own_folder_and_refuses_someone_elses(tmp_path, history):
    from io import StringIO

    from rich.console import Console

    from foundermode.demo import DemoError, prepare_folder

    mine = tmp_path / "demo"
    prepare_folder(mine)
    (mine / "stale.txt").write_text("from an earlier run")
    prepare_folder(mine)
    assert not (mine / "stale.txt").exists()
    theirs = tmp_path / "work"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    with pytest.raises(DemoError, match="not empty"):
        prepare_folder(theirs)
    assert (theirs / "notes.txt").read_text() == "keep me"
    from foundermode.demo import run_demo

    with pytest.raises(DemoError, match="not a git repository"):
        run_demo(tmp_path / "nowhere-git", tmp_path / "d2", console=Console(file=StringIO()))
    with pytest.raises(DemoError, match="not the repository"):
        run_demo(history.repo.path, history.repo.path, console=Console(file=StringIO()))
    assert (history.repo.path / ".git").is_dir()


def test_demo_command_on_a_small_history_built_with_make_repo(make_repo, tmp_path, monkeypatch):
    """The command itself, as the README runs it: from inside the repository, into ./foundermode-demo."""
    from typer.testing import CliRunner

    from foundermode.cli import app

    from .conftest import DAY, WEEK

    repo = make_repo("tiny")
    people = [("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com"), ("Alan Turing", "alan@example.com")]
    start = 1_700_000_000
    for week in range(4):
        for index, author in enumerate(people):
            repo.commit({f"part{index}/file{week}.py": f"x = {week}\n"}, f"Part {index}: step {week}", author=author, when=start + week * WEEK + index * DAY)
    monkeypatch.chdir(repo.path)
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for _, title in SECTIONS:
        assert title in result.output
    assert "could not be computed" not in result.output
    folder = repo.path / "foundermode-demo"
    assert (folder / "brief.html").is_file()
    assert repo.git("status", "--porcelain").strip() == "", "the demo folder stays out of git status"
    monkeypatch.chdir(folder)
    data = json.loads(CliRunner().invoke(app, ["brief", "--until", "last-commit", "--format", "json"]).output)
    assert all(s["has_content"] for s in data["sections"]), [(s["key"], s["note"]) for s in data["sections"] if not s["has_content"]]


def test_foundermode_sync_works_in_the_demo_folder(tmp_path, monkeypatch):
    """The README's first command (Northwind) declares its sources in [sources]; `foundermode sync` there
    finds nothing new, then only the commit added to its repository."""
    from typer.testing import CliRunner

    from conftest import git
    from foundermode.cli import app

    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    built = CliRunner().invoke(app, ["demo"])
    assert built.exit_code == 0, built.output
    folder = tmp_path / "foundermode-demo"
    assert "[sources]" in (folder / "foundermode.toml").read_text()
    monkeypatch.chdir(folder)
    again = CliRunner().invoke(app, ["sync", "--json"])
    assert again.exit_code == 0, again.output
    outcomes = json.loads(again.stdout)["outcomes"]
    assert [(o["kind"], o["status"]) for o in outcomes] == [
        ("org_chart", "unchanged"), ("repository", "unchanged"), ("calendar", "unchanged"), ("transcripts", "unchanged")]
    (folder / "northwind" / "NEW.md").write_text("new\n")
    git(folder / "northwind", "add", "NEW.md")
    git(folder / "northwind", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-qm", "new")
    third = json.loads(CliRunner().invoke(app, ["sync", "--json"]).stdout)["outcomes"]
    assert [o["status"] for o in third] == ["unchanged", "updated", "unchanged", "unchanged"]
    assert "1 new commit" in third[1]["summary"]
