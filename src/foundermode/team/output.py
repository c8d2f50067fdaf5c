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

SURVIVAL_WEIGHTED = "lines added × author's survival rate at the ownership revision"
PLAIN_ADDED = "lines added (no ownership computed: run ingest with --ownership)"


@dataclass
class Month:
    month: str
    team: str | None
    engineers: int
    commits: int
    lines_added: int
    surviving_lines_added: int
    files_touched: int
    commits_per_head: float
    surviving_lines_per_head: float
    headcount_up_output_per_head_down: bool
    surviving_measure: str


def survival_rates(owned: dict[int, int], ever_added: dict[int, int]) -> dict[int, float]:
    return {p: min(1.0, owned.get(p, 0) / added) for p, added in ever_added.items() if added}


def monthly_output(per_person: list[dict], files: dict[tuple[str, str | None], int], by_team: bool, rates: dict[int, float] | None) -> list[Month]:
    """Fold (month, person) rows into months (per team when asked), flagging growth without output."""
    buckets: dict[tuple[str, str | None], dict] = defaultdict(lambda: {"people": set(), "commits": 0, "added": 0, "surviving": 0.0})
    for row in per_person:
        key = (row["month"], row["team"] if by_team else None)
        bucket = buckets[key]
        bucket["people"].add(row["person_id"])
        bucket["commits"] += row["commits"]
        bucket["added"] += int(row["added"])
        bucket["surviving"] += int(row["added"]) * (rates.get(row["person_id"], 0.0) if rates is not None else 1.0)
    months: list[Month] = []
    previous: dict[str | None, Month] = {}
    for (month, team), b in sorted(buckets.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
        heads = len(b["people"])
        per_head = b["commits"] / heads
        surviving = round(b["surviving"])
        before = previous.get(team)
        current = Month(
            month=month,
            team=team,
            engineers=heads,
            commits=b["commits"],
            lines_added=b["added"],
            surviving_lines_added=surviving,
            files_touched=files.get((month, team), 0),
            commits_per_head=per_head,
            surviving_lines_per_head=surviving / heads,
            headcount_up_output_per_head_down=bool(before and heads > before.engineers and per_head < before.commits_per_head),
            surviving_measure=SURVIVAL_WEIGHTED if rates is not None else PLAIN_ADDED,
        )
        months.append(current)
        previous[team] = current
    return months


def read_output(conn, scope: Scope, by_team: bool | None = None) -> list[Month]:
    if by_team is None:
        by_team = queries.has_org_chart(conn)
    rates = None
    if queries.has_ownership(conn, scope.repo_ids):
        owned, _total = queries.surviving_lines(conn, scope.repo_ids)
        rates = survival_rates(owned, queries.all_time_added(conn, scope))
    return monthly_output(queries.monthly_by_person(conn, scope), queries.monthly_files(conn, scope, by_team), by_team, rates)
