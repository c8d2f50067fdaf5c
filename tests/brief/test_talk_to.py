"""Who to talk to: every reason points at commits or blocker reports that are in the store."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from foundermode.brief import build_brief
from foundermode.config import Config
from foundermode.store.schema import commits
from foundermode.store.schema_bottlenecks import blocker_reports

from .conftest import DAY

CONFIG = {
    "org": {"leader": "lead@example.com"},
    "resources": [{"name": "CI", "aliases": ["build pipeline"], "keywords": ["ci", "runner", "runners"], "owner": "ada@example.com"}],
}
ORG = """email,name,title,team,manager_email,role
lead@example.com,Lea Leader,CEO,,,executive
mona@example.com,Mona Manager,Engineering Manager,Core,lead@example.com,manager
ada@example.com,Ada Lovelace,Engineer,Core,mona@example.com,engineer
grace@example.com,Grace Hopper,Engineer,Core,mona@example.com,engineer
linus@example.com,Linus Torvalds,Engineer,Core,mona@example.com,engineer
barbara@example.com,Barbara Liskov,Engineer,Core,mona@example.com,engineer
ken@example.com,Ken Thompson,Engineer,Core,mona@example.com,engineer
"""


@pytest.fixture
def briefed(store, history):
    from foundermode.bottlenecks.intake import report
    from foundermode.ingest import ingest_repository
    from foundermode.sources.org import import_org_chart, parse_org_chart

    config = Config(raw=CONFIG)
    ingest_repository(store, history.repo.path, config)
    import_org_chart(store, parse_org_chart(ORG), config)
    at = history.last - DAY
    report(store, config, text="CI runners are stuck, builds wait 40 minutes in the queue", by="grace@example.com", now=at, reported_at=at)
    report(store, config, text="The CI build queue is hours long again", by="mona@example.com", now=at + 3600, reported_at=at + 3600)
    report(store, config, text="Nobody can get a staging database for the demo", by="barbara@example.com", now=at + 7200, reported_at=at + 7200)
    brief = build_brief(store, config, history.window)
    return store, history, brief


def test_every_reason_points_at_commits_or_reports_in_the_store(briefed):
    store, history, brief = briefed
    entries = brief.section("talk_to").data
    assert entries
    with store.read() as conn:
        known_shas = set(conn.execute(select(commits.c.sha)).scalars())
        reports = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.person_id)).all())
    for entry in entries:
        assert entry.reasons
        for reason in entry.reasons:
            assert reason.commits or reason.reports, f"{entry.name}: '{reason.text}' has no evidence"
            assert set(reason.commits) <= known_shas, f"{entry.name}: {reason.commits} not all in the commits table"
            for report_id in reason.reports:
                assert report_id in reports, f"report #{report_id} is not in the store"
                assert reports[report_id] == entry.person_id, "a blocker reason cites the person's own reports"


def test_reasons_follow_what_happened_in_the_history(briefed):
    _, history, brief = briefed
    by_name = {entry.name: entry for entry in brief.section("talk_to").data}

    def reasons(name, kind):
        return [r for r in by_name[name].reasons if r.kind == kind]

    shas = history.shas
    linus_shas = {shas[f"linus{i}"] for i in range(6)}
    assert reasons("Linus Torvalds", "busiest") and set(reasons("Linus Torvalds", "busiest")[0].commits) <= linus_shas
    up = reasons("Linus Torvalds", "activity_change")
    assert up and "up sharply" in up[0].text and set(up[0].commits) <= linus_shas
    down = reasons("Barbara Liskov", "activity_change")
    assert down and "down sharply" in down[0].text
    assert any(shas["revert"] in r.commits for r in reasons("Ada Lovelace", "risky"))
    assert any(shas["deps"] in r.commits and "requirements.txt" in r.text for r in reasons("Grace Hopper", "risky"))
    joined = reasons("Ken Thompson", "new_joiner")
    assert joined and joined[0].commits == [shas["ken1"], shas["ken2"]]
    # Two people reported the CI problem: both are named, with their own report ids.
    assert reasons("Grace Hopper", "bottleneck") and reasons("Mona Manager", "bottleneck")
    assert reasons("Barbara Liskov", "bottleneck")


def test_never_only_managers(briefed):
    _, _, brief = briefed
    entries = brief.section("talk_to").data
    roles = {entry.name: entry.role for entry in entries}
    assert roles.get("Mona Manager") == "manager"  # a manager with an open blocker is listed...
    assert sum(1 for role in roles.values() if role == "engineer") >= 3  # ...beside the engineers doing the work
    assert entries[0].role == "engineer"


def test_only_managers_reporting_still_brings_engineers():
    """With nothing but a manager's blocker and a limit of one, the busiest engineer is still there."""
    from foundermode.brief.activity import AreaMap, Person
    from foundermode.brief.areas import AreasReport
    from foundermode.brief.talk_to import ReportRef, who_to_talk_to
    from foundermode.brief.window import Window

    people_by_id = {
        1: Person(1, "Mona Manager", "mona@example.com", "manager", "Core", None, None, True, False),
        2: Person(2, "Ada Lovelace", "ada@example.com", "engineer", "Core", None, None, True, False),
    }
    from foundermode.brief.activity import Commit

    work = [Commit(10, "a" * 40, 1, "acme", 2, "API: handler", 1_000, 5, 1)]
    empty = AreasReport(1, 1, 0, 5, 1, [], [], [], [], [])
    entries = who_to_talk_to(Window(0, 7 * DAY), work, [], 8, AreaMap({}), empty, people_by_id, {2: 0},
                             [ReportRef(7, 1, 3, "CI is down", "CI is down", 500)], limit=1)
    assert [e.name for e in entries] == ["Ada Lovelace"]
