"""Team size against output, and managers with no technical footprint."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from foundermode import team
from foundermode.sources.org import import_org_chart, parse_org_chart
from foundermode.team.output import COMMITTERS, ORG_HEADCOUNT, PLAIN_ADDED, SURVIVAL_WEIGHTED, monthly_output, survival_rates

from .conftest import git_out

JAN = 1_704_067_200  # 2024-01-01 UTC
DAY = 86_400
ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Babbage", "bob@example.com")
CAY = ("Cay Hopper", "cay@example.com")
MAY = ("May Manager", "may@example.com")
NED = ("Ned Lead", "ned@example.com")

ORG = """email,name,title,team,manager_email,role
may@example.com,May Manager,Engineering Manager,core,,manager
ned@example.com,Ned Lead,Tech Lead,web,,manager
pat@example.com,Pat Pairing,Staff Manager,web,,manager
ada@example.com,Ada Lovelace,Engineer,core,may@example.com,engineer
bob@example.com,Bob Babbage,Engineer,core,may@example.com,engineer
cay@example.com,Cay Hopper,Engineer,web,ned@example.com,engineer
dan@example.com,Dan Doer,Engineer,web,pat@example.com,engineer
"""


def text(n: int, tag: str) -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def build(repo):
    # January: Ada alone, 4 commits. February: Ada and Bob, 2 each (headcount up, per head down).
    # March: Ada, Bob and Cay, 3 each (headcount up, per head up). Ned commits once in March.
    for i in range(4):
        repo.commit({f"core/a{i}.py": text(10, f"a{i}")}, author=ADA, when=JAN + (i + 1) * DAY)
    for i in range(2):
        repo.commit({f"core/a{i}.py": text(12, f"a{i}f")}, author=ADA, when=JAN + (32 + i) * DAY)
        repo.commit({f"core/b{i}.py": text(6, f"b{i}")}, author=BOB, when=JAN + (34 + i) * DAY)
    for i in range(3):
        repo.commit({f"web/c{i}.py": text(5, f"c{i}")}, author=CAY, when=JAN + (61 + i) * DAY)
        repo.commit({f"core/b{i}.py": text(7, f"b{i}m")}, author=BOB, when=JAN + (64 + i) * DAY)
        repo.commit({f"core/a{i}.py": text(3, f"a{i}m")}, author=ADA, when=JAN + (67 + i) * DAY)
    repo.commit({"web/ned.py": text(2, "ned")}, author=NED, when=JAN + 70 * DAY)
    repo.commit({"web/pair.py": text(2, "pair")}, message="pair\n\nCo-authored-by: Pat Pairing <pat@example.com>", author=CAY, when=JAN + 71 * DAY)


def git_months(repo) -> dict[str, dict]:
    out = git_out(repo.path, "log", "--no-merges", "--name-only", "--date=format-local:%Y-%m", "--format=@@%ad %ae %H")
    months: dict[str, dict] = defaultdict(lambda: {"people": set(), "commits": 0, "files": set()})
    current = None
    for line in out.splitlines():
        if line.startswith("@@"):
            month, email, _sha = line[2:].split()
            current = months[month]
            current["people"].add(email)
            current["commits"] += 1
        elif line.strip():
            current["files"].add(line.strip())
    return months


def test_monthly_output_against_git(store, repo, ingest):
    build(repo)
    ingest(store, repo)
    scope = team.window(store, since="2024-01-01", until="2024-04-01")
    months = team.output(store, scope, by_team=False)
    expected = git_months(repo)
    assert [m.month for m in months] == sorted(expected) == ["2024-01", "2024-02", "2024-03"]
    for m in months:
        # No org chart: heads are the month's committers, and the month says so.
        assert m.headcount == m.committers == len(expected[m.month]["people"])
        assert m.headcount_basis == COMMITTERS
        assert m.commits == expected[m.month]["commits"]
        assert m.files_touched == len(expected[m.month]["files"])
        assert m.commits_per_head == m.commits / m.headcount
        assert m.surviving_measure == PLAIN_ADDED and m.surviving_lines_added == m.lines_added
    assert [m.headcount_up_output_per_head_down for m in months] == [False, True, False]
    jan = git_out(repo.path, "log", "--numstat", "--format=", "--since=2024-01-01T00:00:00Z", "--until=2024-01-31T23:59:59Z").split("\n")
    assert months[0].lines_added == sum(int(line.split("\t")[0]) for line in jan if line.strip())


def test_monthly_output_per_team_and_survival(store, repo, ingest):
    build(repo)
    ingest(store, repo, ownership=True)
    import_org_chart(store, parse_org_chart(ORG))
    months = team.output(store, team.window(store, since="2024-01-01", until="2024-04-01"))
    teams = Counter(m.team for m in months)
    # Heads are the org chart's: web has 4 people (Ned, Pat, Cay, Dan) every month, shipping or not.
    assert teams == {"core": 3, "web": 3}
    web = {m.month: m for m in months if m.team == "web"}
    assert [(web[k].headcount, web[k].committers, web[k].commits, web[k].commits_per_head) for k in sorted(web)] == [(4, 0, 0, 0.0), (4, 0, 0, 0.0), (4, 2, 5, 1.25)]  # Cay 4, Ned 1
    assert {m.headcount for m in months if m.team == "core"} == {3}  # May, Ada, Bob
    assert all(m.headcount_basis == ORG_HEADCOUNT and m.outside_commits == 0 for m in months)
    assert all(m.surviving_measure == SURVIVAL_WEIGHTED for m in months)
    # Survival by hand: the rate is lines owned at HEAD over lines ever added.
    assert survival_rates({1: 5, 2: 30}, {1: 10, 2: 20, 3: 0}) == {1: 0.5, 2: 1.0}
    rows = [{"month": "2024-01", "person_id": 1, "team": None, "commits": 2, "added": 10}, {"month": "2024-01", "person_id": 2, "team": None, "commits": 1, "added": 4}]
    (month,) = monthly_output(rows, {("2024-01", None): 3}, False, {1: 0.5, 2: 0.25})
    assert (month.surviving_lines_added, month.files_touched, month.headcount) == (6, 3, 2)


def test_managers_without_footprint(store, repo, ingest):
    build(repo)
    ingest(store, repo, ownership=True)
    import_org_chart(store, parse_org_chart(ORG))
    scope = team.window(store, since="2024-01-01", until="2024-04-01")
    found = team.managers_without_footprint(store, scope)
    # May has no commit, co-authorship or surviving line; Ned committed; Pat co-authored.
    assert [m.name for m in found] == ["May Manager"]
    may = found[0]
    assert {r.name: r.commits for r in may.reports} == {"Ada Lovelace": 9, "Bob Babbage": 5}
    total = int(git_out(repo.path, "rev-list", "--count", "--no-merges", "HEAD"))
    assert may.reports_share_of_commits == pytest.approx(14 / total)
    added = {}
    for line in git_out(repo.path, "log", "--numstat", "--format=@@%ae").splitlines():
        if line.startswith("@@"):
            who = line[2:]
        elif line.strip():
            added[who] = added.get(who, 0) + int(line.split("\t")[0])
    assert may.reports_share_of_lines == pytest.approx((added["ada@example.com"] + added["bob@example.com"]) / sum(added.values()))
    assert "cannot" in may.note.lower()
    # In a window where Ned wrote nothing, he has no footprint either (his surviving lines still count).
    later = team.managers_without_footprint(store, team.window(store, since="2024-01-01", until="2024-02-01"))
    assert [m.name for m in later] == ["May Manager", "Pat Pairing"]
    assert [m.name for m in team.managers_without_footprint(store, team.window(store, since="2024-01-01", until="2024-04-01", team="web"))] == []
