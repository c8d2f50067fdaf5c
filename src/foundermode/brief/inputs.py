"""What the brief reads from the other principles' tables.

The team, meetings and bottlenecks analyses own their metrics; where the brief
needs a narrower view than they offer (open reports with their ids, the
week's meetings by size and cost), it reads their tables here, each read
guarded by a check that the table exists, so a store without that principle's
data yields a plain "not ingested" note instead of an error.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from ..store import table_exists
from ..store.schema import people
from .talk_to import ReportRef
from .window import Window

OPEN_STATUSES = ("open", "escalated", "acknowledged", "vendor")
DEFAULT_HOURLY_RATE = 100.0
LARGE_MEETING = 8  # more than this many attendees (Microsoft workplace analytics)


# -- bottlenecks ---------------------------------------------------------------------------

@dataclass
class OpenBottleneck:
    id: int
    title: str
    resource: str | None
    status: str
    opened_at: int
    reporters: list[str]
    report_ids: list[int]
    escalated_to: str | None = None  # who holds the escalation now
    escalation: str | None = None  # "CI, step 2 of 3 (vendor)"
    call_start: int | None = None


@dataclass
class Unblock:
    resource: str
    resolved: int
    median_hours: float
    mean_hours: float


@dataclass
class BottlenecksView:
    open: list[OpenBottleneck]
    reports_in_window: int
    resolved_in_window: int
    time_to_unblock: list[Unblock] = field(default_factory=list)
    time_to_acknowledge_hours: float | None = None


def has_bottlenecks(conn: Connection) -> bool:
    return table_exists(conn, "blocker_reports") and bool(conn.execute(select(func.count()).select_from(_tables()[1])).scalar())


def _tables():
    from ..store.schema_bottlenecks import blocker_reports, bottlenecks, escalations

    return bottlenecks, blocker_reports, escalations


def open_reports(conn: Connection) -> list[ReportRef]:
    """Every report on a bottleneck that is not resolved or merged away."""
    if not table_exists(conn, "blocker_reports"):
        return []
    bottlenecks, blocker_reports, escalations = _tables()
    holders = _holders(conn)
    rows = conn.execute(
        select(blocker_reports.c.id, blocker_reports.c.person_id, blocker_reports.c.bottleneck_id, bottlenecks.c.title, blocker_reports.c.text, blocker_reports.c.reported_at)
        .join(bottlenecks, bottlenecks.c.id == blocker_reports.c.bottleneck_id)
        .where(bottlenecks.c.status.in_(OPEN_STATUSES))
        .order_by(blocker_reports.c.id)
    ).all()
    return [ReportRef(r.id, r.person_id, r.bottleneck_id, r.title, r.text, r.reported_at, holders.get(r.bottleneck_id)) for r in rows]


def _holders(conn: Connection) -> dict[int, str]:
    _, _, escalations = _tables()
    out: dict[int, str] = {}
    for bottleneck_id, holder in conn.execute(select(escalations.c.bottleneck_id, escalations.c.holder).order_by(escalations.c.started_at, escalations.c.id)):
        if holder:
            out[bottleneck_id] = holder  # the latest chain (a vendor's, once started) holds it
    return out


def bottlenecks_view(conn: Connection, window: Window) -> BottlenecksView | None:
    if not table_exists(conn, "blocker_reports"):
        return None
    bottlenecks, blocker_reports, escalations = _tables()
    if not conn.execute(select(func.count()).select_from(blocker_reports)).scalar():
        return None
    names = dict(conn.execute(select(people.c.id, people.c.name)).all())
    reporters: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for report_id, bottleneck_id, person_id in conn.execute(select(blocker_reports.c.id, blocker_reports.c.bottleneck_id, blocker_reports.c.person_id).order_by(blocker_reports.c.id)):
        reporters[bottleneck_id].append((report_id, person_id))
    chains: dict[int, dict] = {}
    for row in conn.execute(select(escalations).order_by(escalations.c.started_at, escalations.c.id)).mappings():
        chains[row["bottleneck_id"]] = dict(row)
    opened = []
    for row in conn.execute(select(bottlenecks).where(bottlenecks.c.status.in_(OPEN_STATUSES)).order_by(bottlenecks.c.opened_at, bottlenecks.c.id)).mappings():
        chain = chains.get(row["id"])
        who = []
        for _, person_id in reporters.get(row["id"], []):
            name = names.get(person_id, str(person_id))
            if name not in who:
                who.append(name)
        item = OpenBottleneck(row["id"], row["title"], row["resource"], row["status"], row["opened_at"], who, [r for r, _ in reporters.get(row["id"], [])])
        if chain:
            steps = _chain_length(chain.get("chain"))
            item.escalated_to = chain.get("holder")
            item.escalation = f"{chain['chain_name']} ({chain['kind']}), step {chain['step'] + 1}" + (f" of {steps}" if steps else "") + f", {chain['status']}"
            item.call_start = chain.get("call_start")
        opened.append(item)
    resolved = conn.execute(select(bottlenecks.c.resource, bottlenecks.c.opened_at, bottlenecks.c.resolved_at).where(bottlenecks.c.resolved_at.is_not(None))).all()
    per_resource: dict[str, list[float]] = defaultdict(list)
    for resource, opened_at, resolved_at in resolved:
        per_resource[resource or "(no resource)"].append((resolved_at - opened_at) / 3600)
    unblock = [Unblock(name, len(hours), round(statistics.median(hours), 1), round(statistics.fmean(hours), 1)) for name, hours in sorted(per_resource.items())]
    acked = conn.execute(select(escalations.c.started_at, escalations.c.acknowledged_at).where(escalations.c.acknowledged_at.is_not(None))).all()
    ack_hours = round(statistics.median([(a - s) / 3600 for s, a in acked]), 1) if acked else None
    in_window = conn.execute(select(func.count()).select_from(blocker_reports).where(blocker_reports.c.reported_at >= window.start, blocker_reports.c.reported_at < window.end)).scalar()
    resolved_now = sum(1 for _, _, r in resolved if window.start <= r < window.end)
    return BottlenecksView(opened, in_window, resolved_now, unblock, ack_hours)


def _chain_length(snapshot) -> int | None:
    import json

    try:
        data = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
    except ValueError:
        return None
    if isinstance(data, dict):
        data = data.get("steps")
    return len(data) if isinstance(data, list) else None


# -- meetings ------------------------------------------------------------------------------

@dataclass
class MeetingRow:
    meeting_id: int
    summary: str
    start: int
    hours: float
    attendees: int
    occurrences: int
    person_hours: float
    cost: float


@dataclass
class MeetingsView:
    meetings: int
    meeting_hours: float
    person_hours: float
    cost: float
    hourly_rate: float
    largest: list[MeetingRow]
    costliest: list[MeetingRow]  # series, summed over the window
    large_count: int
    walk_outs: list[dict] = field(default_factory=list)
    walk_out_note: str | None = None


def hourly_rate(config) -> float:
    if config is None:
        return DEFAULT_HOURLY_RATE
    section = config.section("meetings")
    value = section.get("hourly_rate", section.get("rate", DEFAULT_HOURLY_RATE))
    try:
        return float(value)
    except (TypeError, ValueError):
        return DEFAULT_HOURLY_RATE


def meetings_view(conn: Connection, window: Window, config=None) -> MeetingsView | None:
    if not table_exists(conn, "occurrences"):
        return None
    from ..store.schema_meetings import meetings, occurrences

    rows = conn.execute(
        select(occurrences.c.meeting_id, func.coalesce(occurrences.c.summary, meetings.c.summary).label("summary"), occurrences.c.start, occurrences.c.end, occurrences.c.attendee_count)
        .join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(occurrences.c.is_meeting == True, occurrences.c.start >= window.start, occurrences.c.start < window.end)  # noqa: E712
        .order_by(occurrences.c.start)
    ).all()
    if not rows:
        return None
    rate = hourly_rate(config)
    singles = []
    series: dict[int, MeetingRow] = {}
    for meeting_id, summary, start, end, count in rows:
        hours = max(end - start, 0) / 3600
        singles.append(MeetingRow(meeting_id, summary or "(untitled)", start, round(hours, 2), count, 1, round(hours * count, 2), round(hours * count * rate, 2)))
        total = series.setdefault(meeting_id, MeetingRow(meeting_id, summary or "(untitled)", start, 0.0, 0, 0, 0.0, 0.0))
        total.occurrences += 1
        total.hours = round(total.hours + hours, 2)
        total.attendees = max(total.attendees, count)
        total.person_hours = round(total.person_hours + hours * count, 2)
        total.cost = round(total.person_hours * rate, 2)
    largest = sorted(singles, key=lambda m: (-m.attendees, -m.hours, m.start))
    seen, unique = set(), []
    for m in largest:
        if m.meeting_id not in seen:  # one line per series: the same all-hands five times says nothing new
            seen.add(m.meeting_id)
            unique.append(m)
    return MeetingsView(
        meetings=len(singles),
        meeting_hours=round(sum(m.hours for m in singles), 2),
        person_hours=round(sum(m.person_hours for m in singles), 2),
        cost=round(sum(m.cost for m in singles), 2),
        hourly_rate=rate,
        largest=unique[:5],
        costliest=sorted(series.values(), key=lambda m: (-m.cost, m.summary))[:5],
        large_count=sum(1 for m in singles if m.attendees > LARGE_MEETING),
    )
