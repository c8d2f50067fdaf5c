"""Should this team grow? The evidence, not the answer.

Three signals: output per head (recent months against the months before),
truck-factor risk on the files the team authors, and open bottlenecks that
the team's people reported (when the bottlenecks tables exist).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from ..store import table_exists
from . import queries
from .output import Month, read_output
from .queries import Scope
from .truck_factor import Authorship, greedy

RECENT_MONTHS = 3
CLOSED = ("resolved", "merged")


@dataclass
class TeamTruckFactor:
    repository: str
    files_authored_by_team: int
    truck_factor: int  # team members who would have to leave before most of those files are orphaned
    people: list[str]
    in_repository_truck_factor: list[str]


@dataclass
class GrowthCheck:
    team: str
    members: int
    months: list[Month]
    recent_commits_per_head: float | None
    earlier_commits_per_head: float | None
    output_per_head_trend: str
    truck_factor: list[TeamTruckFactor]
    open_bottlenecks: list[dict] | None  # None: no bottlenecks tables in this store
    signals: list[str] = field(default_factory=list)
    cannot_show: str = "Not in git: demand on the team, hiring pipeline, review load, on-call, quality of output."


def per_head(months: list[Month]) -> float | None:
    heads = sum(m.engineers for m in months)
    return sum(m.commits for m in months) / heads if heads else None


def trend_of(recent: float | None, earlier: float | None) -> str:
    if recent is None or earlier is None or not earlier:
        return "not enough months to compare"
    change = (recent - earlier) / earlier
    direction = "up" if change > 0.1 else "down" if change < -0.1 else "flat"
    return f"{direction} ({change:+.0%}: {recent:.1f} commits per head per month in the last {RECENT_MONTHS} months against {earlier:.1f} before)"


def team_truck_factor(auth: Authorship, member_ids: set[int], names: dict[int, str]) -> TeamTruckFactor:
    """Greedy truck factor over the files a team member authors, counting only the team's authors."""
    files = {path: people & member_ids for path, people in auth.authors.items() if people & member_ids}
    result = greedy({path: frozenset(people) for path, people in files.items()})
    whole = greedy(auth.authors)
    return TeamTruckFactor(
        repository=auth.repository,
        files_authored_by_team=len(files),
        truck_factor=result.truck_factor,
        people=[names.get(r.person_id, str(r.person_id)) for r in result.removals],
        in_repository_truck_factor=[names.get(r.person_id, str(r.person_id)) for r in whole.removals if r.person_id in member_ids],
    )


def open_bottlenecks(conn, member_ids: set[int]) -> list[dict] | None:
    """Open bottlenecks reported by the team's people; None when principle 4's tables are absent."""
    if not (table_exists(conn, "bottlenecks") and table_exists(conn, "blocker_reports")) or not member_ids:
        return None if not table_exists(conn, "bottlenecks") else []
    ids = ",".join(str(int(p)) for p in sorted(member_ids))
    rows = conn.execute(
        text(
            "SELECT b.id, b.title, b.resource, b.status, b.opened_at, COUNT(r.id) AS reports "
            "FROM bottlenecks b JOIN blocker_reports r ON r.bottleneck_id = b.id "
            f"WHERE r.person_id IN ({ids}) AND b.status NOT IN ('resolved', 'merged') "
            "GROUP BY b.id, b.title, b.resource, b.status, b.opened_at ORDER BY b.opened_at"
        )
    ).mappings()
    return [dict(r) for r in rows]


def growth_check(team: str, members: dict[int, str], months: list[Month], truck: list[TeamTruckFactor], bottlenecks: list[dict] | None) -> GrowthCheck:
    recent, earlier = months[-RECENT_MONTHS:], months[:-RECENT_MONTHS][-RECENT_MONTHS:]
    check = GrowthCheck(
        team=team,
        members=len(members),
        months=months,
        recent_commits_per_head=per_head(recent),
        earlier_commits_per_head=per_head(earlier),
        output_per_head_trend=trend_of(per_head(recent), per_head(earlier)),
        truck_factor=truck,
        open_bottlenecks=bottlenecks,
    )
    check.signals.append(f"output per head: {check.output_per_head_trend}")
    grew = [m.month for m in months if m.headcount_up_output_per_head_down]
    if grew:
        check.signals.append(f"headcount grew while commits per head fell in {', '.join(grew)}")
    for t in truck:
        if t.files_authored_by_team:
            risk = "high" if t.truck_factor <= 1 else "moderate" if t.truck_factor == 2 else "low"
            check.signals.append(
                f"truck-factor risk {risk} in {t.repository}: {t.truck_factor} of the team's people "
                f"({', '.join(t.people) or 'nobody'}) would have to leave to orphan most of the {t.files_authored_by_team} files the team authors"
            )
    if bottlenecks is None:
        check.signals.append("open bottlenecks: not tracked in this store")
    else:
        check.signals.append(f"open bottlenecks reported by the team: {len(bottlenecks)}")
    return check


def read_growth(conn, team: str, scope: Scope, authorships: list[Authorship]) -> GrowthCheck:
    people = queries.people_rows(conn)
    members = {p: row["name"] for p, row in people.items() if row["team"] == team and not row["is_bot"]}
    if not members:
        raise LookupError(f"no one is in team '{team}' (import an org chart: foundermode ingest org)")
    team_scope = Scope(scope.since, scope.until, scope.repo_ids, team)
    months = [m for m in read_output(conn, team_scope, by_team=True) if m.team == team]
    names = {p: row["name"] for p, row in people.items()}
    truck = [team_truck_factor(auth, set(members), names) for auth in authorships]
    return growth_check(team, members, months, truck, open_bottlenecks(conn, set(members)))
