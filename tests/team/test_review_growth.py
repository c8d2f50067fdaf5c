"""The review list states evidence, never verdicts; the growth check gathers the signals."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import insert

from foundermode import team
from foundermode.reports import as_json
from foundermode.sources.org import import_org_chart, parse_org_chart

JAN = 1_704_067_200  # 2024-01-01 UTC
DEC = JAN - 31 * 86_400
DAY = 86_400
A = ("Ada Lovelace", "ada@example.com")
B = ("Bob Babbage", "bob@example.com")
C = ("Cay Hopper", "cay@example.com")
L = ("Lin Longtime", "lin@example.com")
N = ("Nia Newcomer", "nia@example.com")
W = ("Wes Web", "wes@example.com")

ORG = """email,name,title,team,manager_email,role
may@example.com,May Manager,Engineering Manager,core,,manager
ada@example.com,Ada Lovelace,Engineer,core,may@example.com,engineer
bob@example.com,Bob Babbage,Engineer,core,may@example.com,engineer
cay@example.com,Cay Hopper,Engineer,core,may@example.com,engineer
lin@example.com,Lin Longtime,Engineer,core,may@example.com,engineer
nia@example.com,Nia Newcomer,Engineer,core,may@example.com,engineer
wes@example.com,Wes Web,Engineer,web,,engineer
zed@example.com,Zed Zero,Engineer,web,,engineer
"""

FORBIDDEN = re.compile(
    r"\b(underperform\w*|under-perform\w*|fire|fired|firing|lazy|let go|low performer|poor performer|incompetent|"
    r"terminat\w*|dismiss\w*|should (be|leave|go)|must go|replace (him|her|them)|deadweight|dead weight|slacker)\b",
    re.IGNORECASE,
)


def text(n: int, tag: str) -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def build(repo):
    repo.commit({f"engine/e{i}.py": text(20, f"e{i}") for i in range(6)}, author=L, when=DEC)
    for person, name in ((A, "a"), (B, "b"), (C, "c")):
        repo.commit({f"app/{name}.py": text(5, name)}, author=person, when=DEC + DAY)
    for month in range(4):  # January to April: two commits a month each for Ada, Bob and Cay
        for k in range(2):
            for i, (person, name) in enumerate(((A, "a"), (B, "b"), (C, "c"))):
                when = JAN + (month * 30 + k * 10 + i) * DAY
                repo.commit({f"app/{name}.py": text(6 + month * 2 + k, f"{name}{month}{k}")}, author=person, when=when)
    repo.commit({"engine/e0.py": text(21, "e0")}, author=L, when=JAN + 40 * DAY)
    repo.commit({"app/nia.py": text(3, "nia")}, author=N, when=JAN + 105 * DAY)
    repo.commit({"web/w.py": text(3, "w")}, author=W, when=JAN + 50 * DAY)


@pytest.fixture
def history(store, repo, ingest):
    build(repo)
    ingest(store, repo, ownership=True)
    import_org_chart(store, parse_org_chart(ORG))
    return store


def all_text(reviews) -> str:
    return as_json(reviews)


def test_review_lists_low_signal_with_evidence_to_keep(history):
    scope = team.window(history, since="2024-01-01", until="2024-05-01")
    reviews = {r.team: r for r in team.review_list(history, scope)}
    core = reviews["core"]
    assert core.members == 5  # engineers only: the manager is not compared with them
    entries = {e.name: e for e in core.entries}
    assert set(entries) == {"Lin Longtime", "Nia Newcomer"}
    lin = entries["Lin Longtime"]
    measures = {m.name: (m.value, m.team_median) for m in lin.low_measures}
    assert measures["commits"] == (1, 8) and measures["active_days"] == (1, 8)
    assert lin.low_months == 3 and lin.months == 4
    assert "below half of the core team's median on 3 of 4 measures: commits 1 (team median 8)" in lin.data_shows
    evidence = " | ".join(lin.keep_evidence)
    assert "in the truck factor of project (TF 1): 6 files would lose their last author" in evidence
    assert "sole author (DOA) of 6 files in project" in evidence
    assert "surviving lines" in evidence
    assert re.search(r"no commits for \d+ days", evidence)
    nia = entries["Nia Newcomer"]
    assert any(e.startswith("first commit on 2024-04-15: new in this window") for e in nia.keep_evidence)
    # The months before a new joiner's first commit are not an absence.
    assert not any("no commits for" in e for e in nia.keep_evidence)
    assert "sole author (DOA) of 1 file in project" in nia.keep_evidence
    assert "code review" in lin.cannot_show and "mentoring" in lin.cannot_show and "not a conclusion" in lin.cannot_show
    # Too few to compare with a median, but no commit at all is listed whatever the team's size.
    assert "too few" in reviews["web"].note
    (zed,) = reviews["web"].entries
    assert zed.name == "Zed Zero" and "made no commit in the ingested repositories (1 of the 2 people on the web team made at least one)" in zed.data_shows
    assert any(e.startswith("no commit in any ingested repository") for e in zed.keep_evidence)
    # Never a verdict, in any of the text.
    words = all_text(list(reviews.values()))
    assert "Lin Longtime" in words
    assert not FORBIDDEN.search(words), FORBIDDEN.search(words)


def test_forbidden_words_pattern_catches_verdicts():
    for verdict in ("Lin underperforms", "should be let go", "Fire him", "a low performer", "lazy", "consider terminating"):
        assert FORBIDDEN.search(verdict), verdict
    assert not FORBIDDEN.search("no commits for 40 days: leave, other duties or work elsewhere do not show in git")


def test_median_with_zeros_matches_statistics():
    import random
    import statistics

    from foundermode.team.review import median_with_zeros

    rng = random.Random(3)
    for _ in range(500):
        size = rng.randint(1, 12)
        values = [rng.randint(1, 9) for _ in range(rng.randint(0, size))]
        assert median_with_zeros(values, size) == statistics.median([0] * (size - len(values)) + values)


def test_review_needs_three_months(store):
    with pytest.raises(ValueError, match="three months"):
        team.review_list(store, team.window(store, since="2024-03-01", until="2024-05-01"))


def test_growth_check(history):
    from foundermode.config import Config
    from foundermode.sources.identities import find_person
    from foundermode.store.schema_bottlenecks import blocker_reports, bottlenecks

    with history.write() as conn:
        ada, wes = find_person(conn, "ada@example.com"), find_person(conn, "wes@example.com")
        for title, status, resource, reporter in (
            ("CI queue is slow", "open", None, ada),  # reported by the team
            ("GPU quota", "resolved", None, ada),  # closed: not counted
            ("Staging database down", "escalated", "Staging", wes),  # on a resource the team owns
            ("Design review backlog", "open", None, wes),  # neither
        ):
            bid = conn.execute(insert(bottlenecks).values(title=title, status=status, resource=resource, opened_at=JAN, updated_at=JAN).returning(bottlenecks.c.id)).scalar_one()
            conn.execute(insert(blocker_reports).values(bottleneck_id=bid, person_id=reporter, text=title, source="cli", reported_at=JAN, received_at=JAN, pinned=False))
    config = Config(raw={"resources": [{"name": "Staging", "owner": "bob@example.com"}, {"name": "Billing", "owner": "wes@example.com"}]})
    check = team.growth(history, "core", team.window(history, since="2024-01-01", until="2024-05-01"), config=config)
    assert check.members == 6
    assert [m.month for m in check.months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    (tf,) = check.truck_factor
    assert (tf.truck_factor, tf.files_authored_by_team, tf.people) == (1, 10, ["Lin Longtime"])  # six engine files, app/{a,b,c,nia}.py
    assert tf.in_repository_truck_factor == ["Lin Longtime"]
    signals = "\n".join(check.signals)
    assert "truck-factor risk high in project" in signals
    assert check.owned_resources == ["Staging"]
    assert "open bottlenecks: 1 reported by the team, 1 on resources the team owns (Staging)" in signals
    assert [(b["title"], b["reported_by_team"], b["on_team_resource"]) for b in check.open_bottlenecks] == [
        ("CI queue is slow", True, False),
        ("Staging database down", False, True),
    ]
    # Day 30 is Jan 31 and day 90 is Mar 31 (2024 is a leap year), so by month:
    # Jan 7 commits by 3 committers, Feb 6 by 4 (Lin), Mar 7 by 3, Apr 6 by 4 (Nia);
    # heads are the org chart's 6 (May, Ada, Bob, Cay, Lin, Nia) every month.
    assert [(m.commits, m.committers, m.headcount) for m in check.months] == [(7, 3, 6), (6, 4, 6), (7, 3, 6), (6, 4, 6)]
    assert check.recent_commits_per_head == pytest.approx(19 / 18)
    assert check.earlier_commits_per_head == pytest.approx(7 / 6)
    assert check.output_per_head_trend.startswith("flat (-10%")
    assert [m.headcount_up_output_per_head_down for m in check.months] == [False, False, False, False]
    assert not FORBIDDEN.search(as_json(check))
    with pytest.raises(LookupError):
        team.growth(history, "nobody", team.window(history, since="2024-01-01", until="2024-05-01"))


def test_review_without_org_chart_compares_everyone(store, repo, ingest):
    build(repo)
    ingest(store, repo)
    (everyone,) = team.review_list(store, team.window(store, since="2024-01-01", until="2024-05-01"))
    assert everyone.team == "everyone (no org chart)"
    assert {e.name for e in everyone.entries} == {"Lin Longtime", "Nia Newcomer", "Wes Web"}


def test_keep_evidence_by_hand():
    from foundermode.team.queries import Scope
    from foundermode.team.review import Evidence, keep_evidence

    scope = Scope(since=JAN, until=JAN + 120 * DAY)
    evidence = Evidence(
        surviving={1: 500, 2: 10},
        surviving_total=1000,
        first_activity={1: JAN - 400 * DAY, 2: JAN - 400 * DAY},
        recent_commits={1: 6, 2: 1},
        window_commits={1: 8, 2: 4},
        active_days={1: [JAN // DAY + d for d in (1, 100, 101, 110)], 2: [JAN // DAY + d for d in range(0, 120, 10)]},
    )
    ramp = keep_evidence(1, scope, evidence, team_surviving_median=100)
    # 6 commits in the last 30 days against 8 * 30 / 120 = 2 per 30 days over the window.
    assert "ramping up: 6 commits in the last 30 days against 2 per 30 days over the window" in ramp
    assert "owns 500 surviving lines (50.0% of the codebase; team median 100 lines)" in ramp
    assert any(e.startswith("no commits for 98 days (2024-01-03 to 2024-04-09)") for e in ramp)
    steady = keep_evidence(2, scope, evidence, team_surviving_median=100)
    assert steady == []  # below the team's surviving median, no ramp, no gap of 30 days, not new


def test_a_team_that_mostly_made_no_commit_is_not_an_empty_list():
    """Three of four with no commit: the median is 0, so nobody is 'below half' of it; the three are listed anyway."""
    from foundermode.team.queries import Scope
    from foundermode.team.review import MEASURES, Evidence, months_between, review_team

    scope = Scope(since=JAN, until=JAN + 120 * DAY)
    members = [{"id": n, "name": name} for n, name in ((1, "Ada Lovelace"), (2, "Rae Reviewer"), (3, "Jo Joiner"), (4, "Sam Silent"))]
    totals = {1: {"commits": 40, "active_days": 30, "lines_added": 900, "files_touched": 25}}
    monthly = {1: {"2024-01": 10, "2024-02": 10, "2024-03": 10, "2024-04": 10}}
    evidence = Evidence(
        first_activity={1: JAN - 400 * DAY},
        reviews={2: 14},
        joined={3: JAN + 100 * DAY},
    )
    review = review_team("core", members, totals, monthly, months_between(scope.since, scope.until), scope, evidence)
    assert review.note is None
    listed = {e.name: e for e in review.entries}
    assert set(listed) == {"Rae Reviewer", "Jo Joiner", "Sam Silent"}
    for entry in listed.values():
        assert "made no commit in the ingested repositories (1 of the 4 people on the core team made at least one)" in entry.data_shows
        assert [m.name for m in entry.low_measures] == list(MEASURES) and all(m.value == 0 for m in entry.low_measures)
    assert "gave 14 code reviews on others' pull requests: review work does not show in commits" in listed["Rae Reviewer"].keep_evidence
    assert "joined on 2024-04-10 (org chart): on the team for 20 days of this window" in listed["Jo Joiner"].keep_evidence
    assert listed["Sam Silent"].keep_evidence[0].startswith("no commit in any ingested repository")
    assert not FORBIDDEN.search(as_json(review))
