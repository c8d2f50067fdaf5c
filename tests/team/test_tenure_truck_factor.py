"""Who is here decides the default truck factor and who the brief names (people.py's tenure rule).

No org chart: Otto wrote most of the code two years ago and left (no activity since);
Ada and Bob work now. Otto must not be in the default truck factor's members nor in
"who to talk to"; he appears, marked departed, with --everyone and in knowledge already lost.
"""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode import team
from foundermode.brief import build_brief
from foundermode.brief.window import resolve_window
from foundermode.cli import app
from foundermode.config import Config
from foundermode.ingest import ingest_repository
from foundermode.people import roster_of
from foundermode.team.review import truck_factor_evidence

DAY = 86_400
ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Builder", "bob@example.com")
OTTO = ("Otto Oldtimer", "otto@example.com")


def build(repo):
    start = repo.clock
    # Two years ago: Otto writes the engine and the docs, alone.
    for n in range(8):
        repo.commit({f"engine/part{n}.py": "".join(f"x{i} = {n}\n" for i in range(30)), f"docs/page{n}.md": f"page {n}\n"}, f"engine {n}", author=OTTO, when=start + n * DAY)
    # Now (two years on): Ada and Bob build the app, and touch the engine a little.
    now = start + 730 * DAY
    for n in range(10):
        repo.commit({f"app/view{n}.py": "".join(f"v{i} = {n}\n" for i in range(20))}, f"view {n}", author=ADA, when=now + n * DAY)
        repo.commit({f"app/model{n}.py": "".join(f"m{i} = {n}\n" for i in range(20))}, f"model {n}", author=BOB, when=now + n * DAY + 3600)
    for n in range(3):  # three changes each: enough for Ada to author them (DOA)
        for k in range(3):
            repo.commit({f"engine/part{n}.py": "".join(f"x{i} = {n + 100 + k}\n" for i in range(30))}, f"rewrite engine {n}.{k}", author=ADA, when=now + (11 + n) * DAY + k * 3600)
    return now + 14 * DAY


def test_default_truck_factor_is_among_the_people_here(sqlite_store, repo):
    build(repo)
    ingest_repository(sqlite_store, repo.path)
    [here] = team.truck_factor(sqlite_store)
    [everyone] = team.truck_factor(sqlite_store, everyone=True)
    members = {m.name for m in here.members}
    assert "Otto Oldtimer" not in members and members <= {"Ada Lovelace", "Bob Builder"}
    assert here.basis == "current" and everyone.basis == "everyone"
    # Otto alone authors the 5 engine files nobody rewrote and the 8 docs: knowledge already lost
    assert here.knowledge_lost_files == 13
    assert dict(here.knowledge_lost_areas) == {"docs": 8, "engine": 5}
    # ... and it was Otto's, who is marked departed there
    assert [(a.name, a.files, a.status) for a in here.knowledge_lost_authors] == [("Otto Oldtimer", 13, "departed")]
    assert here.files == everyone.files - 13
    otto = next(m for m in everyone.members if m.name == "Otto Oldtimer")
    assert otto.status == "departed"
    # What if Bob left too: his 10 models would have nobody
    [what_if] = team.truck_factor(sqlite_store, without=["bob@example.com"])
    assert what_if.would_orphan_files == 10 and what_if.without == ["Bob Builder"]

    db = str(sqlite_store.engine.url)
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "team", "truck-factor", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["knowledge_lost_files"] == 13
    assert json.loads(result.stdout)[0]["knowledge_lost_authors"][0]["name"] == "Otto Oldtimer"
    text = runner.invoke(app, ["--db", db, "team", "truck-factor", "--everyone", "--files", "0"], env={"COLUMNS": "200"}).output
    assert "Otto Oldtimer (departed)" in text
    text = runner.invoke(app, ["--db", db, "team", "truck-factor", "--files", "0"], env={"COLUMNS": "200"}).output
    assert "Otto" not in text.split("knowledge already lost")[0] and "knowledge already lost in 13 files" in text
    assert "Otto Oldtimer (departed) 13" in " ".join(text.split("knowledge already lost")[1].split())


def test_the_brief_does_not_name_people_who_left(sqlite_store, repo):
    build(repo)
    ingest_repository(sqlite_store, repo.path)
    config = Config()
    with sqlite_store.read() as conn:
        window = resolve_window(conn, days=14)
    brief = build_brief(sqlite_store, config, window)
    talk = brief.section("talk_to").data or []
    names = {entry.name for entry in talk}
    assert names and "Otto Oldtimer" not in names
    assert names <= {"Ada Lovelace", "Bob Builder"}


def test_the_review_lists_keep_evidence_names_the_default_truck_factors_members(sqlite_store, repo):
    """Two surfaces, one figure: the review list's 'in the truck factor' evidence and `team truck-factor`."""
    build(repo)
    ingest_repository(sqlite_store, repo.path)
    [auth] = team.authorships(sqlite_store)
    [here] = team.truck_factor(sqlite_store, computed=[auth])
    with sqlite_store.read() as conn:
        names = {p: row["name"] for p, row in team.queries.people_rows(conn).items()}
    evidence = truck_factor_evidence(auth, names, roster_of(sqlite_store))
    assert set(evidence) == {m.person_id for m in here.members} and evidence
    assert "Otto Oldtimer" not in {names[p] for p in evidence}  # the published computation would name him
