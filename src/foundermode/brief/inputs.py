"""What the brief reads from the other principles' tables.

The team, meetings and bottlenecks analyses own their metrics; the brief takes
them from the registry (registry.py) and picks what it shows here (the week's
largest and costliest meetings out of the meetings analysis), or, for the board
with its report ids (the registry's ``bottlenecks`` analysis is this module's
view, so this module never imports the registry), reads their tables here; each read is guarded by a check that the table exists, so a
store without that principle's data yields a plain "not ingested" note instead of an error.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from ..store import table_exists
from .talk_to import ReportRef
from .window import Window
from ..bottlenecks.board import list_bottlenecks, metrics
from ..bottlenecks.statuses import OPEN
from ..meetings.load import MeetingSettings
from ..store.schema_bottlenecks import blocker_reports, bottlenecks
from .audience import member_names



# -- bottlenecks ---------------------------------------------------------------------------

@dataclass
class OpenBottleneck:
    id: int
    title: str
    resource: str | None
    status: str
    opened_at: str | None
    age_seconds: int
    reporters: list[str]
    report_ids: list[int]
    level: str  # where the escalation stands: "reported", "CI 2/3", "BuildCloud 1/2 acknowledged"
    escalated_to: str | None = None  # who holds it now
    call_at: str | None = None
    heard: list[str] = field(default_factory=list)  # where it was heard: typed, Slack, meeting, stand-up, ticket
    owner_reached: bool | None = None  # a message to its owner was delivered by then (None: not escalated then)


@dataclass
class Unblock:
    by: str  # resource, owner, vendor
    name: str
    escalations: int
    resolved: int
    median_hours: float | None
    ack_median_hours: float | None
    waiting: int


@dataclass
class BottlenecksView:
    as_of: int
    open: list[OpenBottleneck]
    reports_in_window: int
    time_to_unblock: list[Unblock] = field(default_factory=list)


def _report_tables():
    return bottlenecks, blocker_reports


def open_reports(conn: Connection) -> list[ReportRef]:
    """Every report on a bottleneck that is not resolved or merged away, with its id."""
    if not table_exists(conn, "blocker_reports"):
        return []

    bottlenecks, blocker_reports = _report_tables()
    rows = conn.execute(
        select(blocker_reports.c.id, blocker_reports.c.person_id, blocker_reports.c.bottleneck_id, bottlenecks.c.title, blocker_reports.c.text, blocker_reports.c.reported_at)
        .join(bottlenecks, bottlenecks.c.id == blocker_reports.c.bottleneck_id)
        .where(bottlenecks.c.status.in_(OPEN))
        .order_by(blocker_reports.c.id)
    ).all()
    return [ReportRef(r.id, r.person_id, r.bottleneck_id, r.title, r.text, r.reported_at) for r in rows]


def bottlenecks_view(conn: Connection, window: Window, as_of: int, members: set[int] | None = None) -> BottlenecksView | None:
    """The board as it stood at ``as_of`` (the window's end, or now if that is earlier) and the
    response times, from the bottlenecks analysis; report ids read here.
    ``members`` (a team brief): only the bottlenecks they reported, and only them among the reporters."""
    if not table_exists(conn, "blocker_reports"):
        return None

    bottlenecks, blocker_reports = _report_tables()
    if not conn.execute(select(func.count()).select_from(blocker_reports)).scalar():
        return None
    # a past window's board: what was open then, with its level and age then (a bottleneck resolved
    # since still shows; one opened since does not)
    board = list_bottlenecks(conn, as_of, as_of=as_of)
    report_ids: dict[int, list[int]] = defaultdict(list)
    if board:
        for report_id, bottleneck_id, person_id in conn.execute(
            select(blocker_reports.c.id, blocker_reports.c.bottleneck_id, blocker_reports.c.person_id)
            .where(blocker_reports.c.bottleneck_id.in_([b["id"] for b in board]), blocker_reports.c.reported_at < as_of)
            .order_by(blocker_reports.c.id)
        ):
            if members is None or person_id in members:
                report_ids[bottleneck_id].append(report_id)
    shown = None
    if members is not None:
        shown = member_names(conn, members)
    opened = [
        OpenBottleneck(b["id"], b["title"], b["resource"], b["status"], b["opened_at"], b["age_s"],
                       [r for r in b["reporters"] if shown is None or r in shown], report_ids.get(b["id"], []),
                       b["level"], b["holder"], b["call_at"], list(b.get("heard") or []), b.get("owner_reached"))
        for b in board
        if members is None or b["id"] in report_ids
    ]
    hours = lambda s: None if s is None else round(s / 3600, 1)  # noqa: E731
    unblock = [Unblock(m["by"], m["name"], m["escalations"], m["resolved"], hours(m["unblock_median_s"]), hours(m["ack_median_s"]), m["waiting"]) for m in metrics(conn, as_of)]
    counted = select(func.count()).select_from(blocker_reports).where(blocker_reports.c.reported_at >= window.start, blocker_reports.c.reported_at < window.end)
    if members is not None:
        counted = counted.where(blocker_reports.c.person_id.in_(list(members)))
    in_window = conn.execute(counted).scalar()
    return BottlenecksView(as_of, opened, in_window, unblock)


# -- meetings ------------------------------------------------------------------------------

@dataclass
class MeetingsView:
    meetings: int
    meeting_hours: float
    person_hours: float
    cost: float
    currency: str
    hourly_rate: float
    large_threshold: int
    largest: list  # the meetings analysis' MeetingLoad rows
    costliest: list
    walk_outs: list = field(default_factory=list)
    walk_out_note: str | None = None


def meetings_view(sections: dict, config=None) -> MeetingsView | None:
    """The week's largest and costliest meetings, picked out of the meetings analysis's ``sections``
    (the registry's, for the brief's window and, in a team's brief, its people)."""
    totals = sections["totals"]
    if not totals["meetings"]:
        return None
    settings = MeetingSettings.from_config(config)
    large = sections["large"]
    largest = sorted(large, key=lambda m: (-m.max_attendees, -m.person_hours, m.summary))[:5]
    candidates = {m.meeting_id: m for m in [*large, *sections["long"], *sections["series"]]}
    costliest = sorted(candidates.values(), key=lambda m: (-m.cost, m.summary))[:5]
    return MeetingsView(
        meetings=totals["meetings"], meeting_hours=totals["hours"], person_hours=totals["person_hours"], cost=totals["cost"], currency=totals["currency"],
        hourly_rate=settings.hourly_rate, large_threshold=settings.large_meeting_threshold, largest=largest, costliest=costliest,
    )
