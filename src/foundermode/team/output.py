"""Team size against output, month by month: did adding people add output?

"Surviving lines added" cannot be read per month from the ownership table
(blame there is per person and file, not per commit), so each person's lines
added in a month are weighted by their overall survival rate (lines they own
at the ownership revision / lines they ever added). Without ownership, plain
lines added are used; ``Month.surviving_measure`` says which.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import queries
from .queries import Scope
from ..people import headcount_by_month, roster
from .review import months_between

SURVIVAL_WEIGHTED = "lines added × author's survival rate at the ownership revision"
PLAIN_ADDED = "lines added (no ownership computed: the repository was ingested without ownership)"


ORG_HEADCOUNT = "org chart: people on the team on the month's last day (tenure)"
COMMITTERS = "committers that month (no org chart: the people who made a commit)"


@dataclass
class Month:
    month: str
    team: str | None
    headcount: int  # people on the team (the org chart's, by tenure), or committers without one: headcount_basis
    committers: int  # of them, people with a counted commit that month
    commits: int
    lines_added: int
    surviving_lines_added: int
    files_touched: int
    commits_per_head: float | None  # None: commits in a month the org chart has nobody on the team
    surviving_lines_per_head: float | None
    headcount_up_output_per_head_down: bool
    surviving_measure: str
    headcount_basis: str = COMMITTERS
    outside_commits: int = 0  # that month's commits by people the org chart does not list (left out of every team's output)


def survival_rates(owned: dict[int, int], ever_added: dict[int, int]) -> dict[int, float]:
    return {p: min(1.0, owned.get(p, 0) / added) for p, added in ever_added.items() if added}


def monthly_output(
    per_person: list[dict],
    files: dict[tuple[str, str | None], int],
    by_team: bool,
    rates: dict[int, float] | None,
    headcount: dict[tuple[str, str | None], int] | None = None,
    org_members: set[int] | None = None,
) -> list[Month]:
    """Fold (month, person) rows into months (per team when asked), flagging growth without output.

    ``headcount`` ((month, team) -> people on the team, people.headcount_by_month)
    divides the output when an org chart lists the team: every month and team it
    counts is shown, with zero output when nobody shipped. Commits by people
    outside ``org_members`` are left out and counted apart. Without it, heads are
    the month's committers (and ``headcount_basis`` says so).
    """
    buckets: dict[tuple[str, str | None], dict] = defaultdict(lambda: {"people": set(), "commits": 0, "added": 0, "surviving": 0.0})
    outside: dict[str, int] = defaultdict(int)
    for key, heads in (headcount or {}).items():
        if heads:
            buckets[key]  # a month the team existed, shipped or not
    for row in per_person:
        key = (row["month"], row["team"] if by_team else None)
        if org_members is not None and row["person_id"] not in org_members:
            outside[row["month"]] += row["commits"]
            continue
        bucket = buckets[key]
        bucket["people"].add(row["person_id"])
        bucket["commits"] += row["commits"]
        bucket["added"] += int(row["added"])
        bucket["surviving"] += int(row["added"]) * (rates.get(row["person_id"], 0.0) if rates is not None else 1.0)
    months: list[Month] = []
    previous: dict[str | None, Month] = {}
    for (month, team), b in sorted(buckets.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
        heads = headcount.get((month, team), 0) if headcount is not None else len(b["people"])
        per_head = b["commits"] / heads if heads else None
        surviving = round(b["surviving"])
        before = previous.get(team)
        current = Month(
            month=month,
            team=team,
            headcount=heads,
            committers=len(b["people"]),
            commits=b["commits"],
            lines_added=b["added"],
            surviving_lines_added=surviving,
            files_touched=files.get((month, team), 0),
            commits_per_head=per_head,
            surviving_lines_per_head=surviving / heads if heads else None,
            headcount_up_output_per_head_down=bool(
                before and per_head is not None and before.commits_per_head is not None and heads > before.headcount and per_head < before.commits_per_head
            ),
            surviving_measure=SURVIVAL_WEIGHTED if rates is not None else PLAIN_ADDED,
            headcount_basis=ORG_HEADCOUNT if headcount is not None else COMMITTERS,
            outside_commits=outside.get(month, 0),
        )
        months.append(current)
        previous[team] = current
    return months


def read_output(conn, scope: Scope, by_team: bool | None = None, config=None) -> list[Month]:
    """Output per head by month: heads are the org chart's people on the team that month
    (people.py's tenure), or the month's committers when there is no org chart."""
    has_chart = queries.has_org_chart(conn)
    if by_team is None:
        by_team = has_chart
    rates = None
    if queries.has_ownership(conn, scope.repo_ids):
        owned, _total = queries.surviving_lines(conn, scope.repo_ids)
        rates = survival_rates(owned, queries.all_time_added(conn, scope))
    per_person = queries.monthly_by_person(conn, scope)
    files = queries.monthly_files(conn, scope, by_team)
    if not has_chart or scope.since is None or scope.until is None:
        return monthly_output(per_person, files, by_team, rates)
    here = roster(conn, config, scope.until)
    members = {p for p, t in here.tenures.items() if t.in_org_chart and not t.is_bot}
    headcount = headcount_by_month(here, months_between(scope.since, scope.until), scope.team, by_team)
    return monthly_output(per_person, files, by_team, rates, headcount, members)
