"""Should this team grow? The evidence, not the answer.

Three signals: output per head (recent months against the months before),
truck-factor risk on the files the team authors, and open bottlenecks on
resources the team owns (the config's resources whose owner is one of its
people) or reported by its people (when principle 4's tables exist).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..bottlenecks.resources import load_catalog
from ..sources.identities import identity_key
from ..store import table_exists
from ..store.schema import identities
from . import queries
from .output import Month, read_output
from .queries import Scope
from .truck_factor import Authorship, greedy
from ..store.schema import metadata
from ..bottlenecks.statuses import CLOSED

RECENT_MONTHS = 3


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
    owned_resources: list[str] = field(default_factory=list)  # config resources whose owner is in the team
    signals: list[str] = field(default_factory=list)
    cannot_show: str = "Not in git: demand on the team, hiring pipeline, review load, on-call, quality of output."


def per_head(months: list[Month]) -> float | None:
    heads = sum(m.headcount for m in months if m.commits_per_head is not None)
    return sum(m.commits for m in months if m.commits_per_head is not None) / heads if heads else None


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


def owned_resources(conn, config, member_ids: set[int]) -> list[str]:
    """Resources and vendors in the config whose internal owner is one of the team's people."""
    if config is None:
        return []
    catalog = load_catalog(config)  # a config it rejects is an error to show, not a silence
    keys = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
    return sorted(
        r.name for r in [*catalog.resources.values(), *catalog.vendors.values()] if r.owner and keys.get(identity_key("", r.owner)) in member_ids
    )


def open_bottlenecks(conn, member_ids: set[int], resources: list[str] | None = None) -> list[dict] | None:
    """Open bottlenecks on resources the team owns or reported by its people; None without principle 4's tables."""
    if not (table_exists(conn, "bottlenecks") and table_exists(conn, "blocker_reports")):
        return None
    from sqlalchemy import exists, false, or_, select

    bottlenecks, reports = metadata.tables["bottlenecks"], metadata.tables["blocker_reports"]
    reported = exists().where(reports.c.bottleneck_id == bottlenecks.c.id, reports.c.person_id.in_(sorted(member_ids)))
    owned = bottlenecks.c.resource.in_(resources) if resources else false()
    query = (
        select(bottlenecks.c.id, bottlenecks.c.title, bottlenecks.c.resource, bottlenecks.c.status, bottlenecks.c.opened_at, reported.label("reported_by_team"), owned.label("on_team_resource"))
        .where(bottlenecks.c.status.not_in(CLOSED), or_(reported, owned))
        .order_by(bottlenecks.c.opened_at, bottlenecks.c.id)
    )
    return [
        {**dict(row), "reported_by_team": bool(row["reported_by_team"]), "on_team_resource": bool(row["on_team_resource"])}
        for row in conn.execute(query).mappings()
    ]


def growth_check(
    team: str, members: dict[int, str], months: list[Month], truck: list[TeamTruckFactor], bottlenecks: list[dict] | None, resources: list[str] | None = None
) -> GrowthCheck:
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
        owned_resources=resources or [],
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
        reported = sum(1 for b in bottlenecks if b["reported_by_team"])
        owned = sum(1 for b in bottlenecks if b["on_team_resource"])
        where = f" ({', '.join(resources)})" if resources else ""
        check.signals.append(f"open bottlenecks: {reported} reported by the team, {owned} on resources the team owns{where}")
    return check


def read_growth(conn, team: str, scope: Scope, authorships: list[Authorship], config=None) -> GrowthCheck:
    people = queries.people_rows(conn)
    members = {p: row["name"] for p, row in people.items() if row["team"] == team and not row["is_bot"]}
    if not members:
        raise LookupError(f"no one is in team '{team}' (import an org chart: foundermode ingest org)")
    team_scope = Scope(scope.since, scope.until, scope.repo_ids, team)
    months = [m for m in read_output(conn, team_scope, by_team=True, config=config) if m.team == team]
    names = {p: row["name"] for p, row in people.items()}
    truck = [team_truck_factor(auth, set(members), names) for auth in authorships]
    resources = owned_resources(conn, config, set(members))
    return growth_check(team, members, months, truck, open_bottlenecks(conn, set(members), resources), resources)
