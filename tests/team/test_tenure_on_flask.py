"""Who is here, on a real history with no org chart: pallets/flask (skipped without the mirror).

Nobody whose last commit is more than 12 months before the window's end is named in
the brief's "who to talk to" or among the default truck factor's members; such people
appear, marked departed, with ``everyone`` and among whose knowledge is already lost.
On flask that is Armin Ronacher (last commit 2020): the default truck factor is David
Lord alone, the published computation still has both.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from foundermode import team
from foundermode.brief import build_brief
from foundermode.brief.window import resolve_window
from foundermode.config import Config
from foundermode.ingest import ingest_repository
from foundermode.store import open_store
from foundermode.store.schema import commits, people

FLASK = Path("/work/.mirror/pallets+flask/repo")
YEAR = 365 * 86_400

pytestmark = pytest.mark.skipif(not (FLASK / "HEAD").exists(), reason=f"no flask mirror at {FLASK}")


@pytest.fixture(scope="module")
def flask(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('flask') / 'foundermode.db'}")
    ingest_repository(store, FLASK)
    config = Config()
    with store.read() as conn:
        window = resolve_window(conn)
        last = dict(conn.execute(select(commits.c.author_id, func.max(commits.c.authored_at)).group_by(commits.c.author_id)).all())
    end = window.until  # epoch seconds
    stale = {person for person, at in last.items() if end - at > YEAR}
    yield store, config, window, stale
    store.dispose()


def test_flask_default_truck_factor_and_brief_leave_out_people_gone_a_year(flask):
    store, config, window, stale = flask
    [here] = [t for t in team.truck_factor(store) if t.area is None]
    [everyone] = [t for t in team.truck_factor(store, everyone=True) if t.area is None]
    talk = build_brief(store, config, window).section("talk_to").data or []

    assert here.basis == "current" and here.members
    assert not {m.person_id for m in here.members} & stale
    assert talk and not {entry.person_id for entry in talk} & stale

    # Gone-a-year authors are in the published computation, marked departed ...
    gone = [m for m in everyone.members if m.person_id in stale]
    assert gone and all(m.status == "departed" for m in gone)
    # ... and their files are knowledge already lost, theirs by name
    assert here.knowledge_lost_files > 0
    lost = {a.person_id: a for a in here.knowledge_lost_authors}
    assert {m.person_id for m in gone} <= set(lost)
    assert all(a.status == "departed" for a in lost.values())

    # What a leader who knows flask expects: David Lord now, Armin Ronacher gone
    assert [m.name for m in here.members] == ["David Lord"]
    assert "Armin Ronacher" in {m.name for m in gone}
    assert "Armin Ronacher" not in {entry.name for entry in talk}
    assert here.knowledge_lost_authors[0].name == "Armin Ronacher"


def test_flask_after_merging_the_identity_proposals(flask, tmp_path):
    """The proposals the ingest line counts, merged: nobody pending, every person fewer records, nobody gone a year named."""
    import shutil

    from foundermode.sources.duplicates import accept, pending_merges

    store, config, window, stale = flask
    copy = tmp_path / "merged.db"
    shutil.copy(Path(store.engine.url.database), copy)
    merged = open_store(f"sqlite:///{copy}")
    try:
        with merged.read() as conn:
            before = pending_merges(conn)
            people_before = conn.execute(select(func.count()).select_from(people)).scalar_one()
        assert before.people > 0 and before.records > before.people
        with merged.write() as conn:
            groups = accept(conn)
        assert len(groups) == before.people and sum(len(g.merged) for g in groups) == before.records - before.people
        with merged.read() as conn:
            assert pending_merges(conn).people == 0
            assert conn.execute(select(func.count()).select_from(people)).scalar_one() == people_before - (before.records - before.people)
        folded = {person for g in groups for person, _ in g.merged}
        [here] = [t for t in team.truck_factor(merged) if t.area is None]
        talk = build_brief(merged, config, window).section("talk_to").data or []
        named = {m.person_id for m in here.members} | {entry.person_id for entry in talk}
        assert here.members and talk and not named & folded
        assert not named & {p for p in stale if p not in {g.keep_id for g in groups}}
    finally:
        merged.dispose()

