"""When to hold the escalation call: the first 30-minute slot everyone is free.

The window runs from now to the end of the next working day, in working hours
of the configured time zone. Busy time comes from ingested calendars when the
meetings tables hold any; without them, working hours alone decide.

The calls foundermode itself booked are hard constraints: two escalation calls
never share a slot for anyone (the leader sits in all of them). When the next
working day holds no such slot, the search goes on, a working day at a time,
up to two weeks. A person whose zone is not the org's ([meetings.timezones], else their own
calendar's) is busy outside the working hours on their own clock. A calendar meeting in the way
(or a slot out of someone's hours) is softer: failing a slot free
for everyone, the one with the fewest people busy is taken and they are named.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from ..store.schema_bottlenecks import bottleneck_events, escalations
from .resources import WorkingHours

SLOT_STEP = 30 * 60  # candidate starts on the hour and half hour


@dataclass(frozen=True)
class Slot:
    start: int
    end: int
    busy: tuple[int, ...] = ()  # people who are not free then; empty when everyone is

    @property
    def everyone_free(self) -> bool:
        return not self.busy


def working_windows(hours: WorkingHours, start: int, days_ahead: int = 14, working_days: int = 1) -> list[tuple[int, int]]:
    """Working-hours intervals (epoch seconds) from ``start``: the rest of today if working, then ``working_days`` more."""
    zone = hours.zone
    day = dt.datetime.fromtimestamp(start, zone).date()
    windows: list[tuple[int, int]] = []
    for offset in range(days_ahead):
        date = day + dt.timedelta(days=offset)
        if date.weekday() not in hours.days:
            continue
        begin = int(dt.datetime.combine(date, hours.start, zone).timestamp())
        end = int(dt.datetime.combine(date, hours.end, zone).timestamp())
        if end <= start:
            continue
        windows.append((max(begin, start), end))
        if offset > 0:
            working_days -= 1
            if working_days <= 0:
                break  # the horizon: this many working days after today
    return windows


def candidate_slots(hours: WorkingHours, now: int, minutes: int = 30, working_days: int = 1) -> list[tuple[int, int]]:
    length = minutes * 60
    first = -(-now // SLOT_STEP) * SLOT_STEP  # round up to the next :00 or :30
    slots = []
    for begin, end in working_windows(hours, first, working_days=working_days):
        start = -(-begin // SLOT_STEP) * SLOT_STEP
        while start + length <= end:
            slots.append((start, start + length))
            start += SLOT_STEP
    return slots


def off_hours(hours: WorkingHours, zone: dt.tzinfo, start: int, end: int) -> list[tuple[int, int]]:
    """The time in [start, end) outside working hours and days as kept in ``zone`` (a person's own
    zone): for a call, that person is as busy then as in a meeting."""
    day = dt.datetime.fromtimestamp(start, zone).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(end, zone).date()
    out: list[tuple[int, int]] = []
    cursor = start
    while day <= last:
        if day.weekday() in hours.days:
            begin = int(dt.datetime.combine(day, hours.start, zone).timestamp())
            finish = int(dt.datetime.combine(day, hours.end, zone).timestamp())
            if begin > cursor:
                out.append((cursor, min(begin, end)))
            cursor = max(cursor, finish)
        day += dt.timedelta(days=1)
    if cursor < end:
        out.append((cursor, end))
    return [(s, e) for s, e in out if s < e]


def with_own_hours(busy: dict[int, list[tuple[int, int]]], hours: WorkingHours, zones: dict[int, dt.tzinfo | None], start: int, end: int) -> dict[int, list[tuple[int, int]]]:
    """``busy`` plus, for each person working in a zone other than ``hours``', the time outside
    their working hours there (same hours and days, their own clock)."""
    out = {p: list(intervals) for p, intervals in busy.items()}
    for person_id, zone in zones.items():
        if zone is None or str(zone) == hours.tz:
            continue
        out[person_id] = sorted(out.get(person_id, []) + off_hours(hours, zone, start, end))
    return out


MAX_WORKING_DAYS = 10  # how far the search for a slot with no booked call goes


def first_common_slot(
    busy: dict[int, list[tuple[int, int]]],
    hours: WorkingHours,
    now: int,
    minutes: int = 30,
    booked: dict[int, list[tuple[int, int]]] | None = None,
) -> Slot | None:
    """The earliest slot free for everyone in ``busy``; failing that, the earliest with the fewest people busy.

    ``booked``: calls already booked, per person; a slot overlapping one is never taken.
    """
    booked = booked or {}

    def overlaps(intervals, start, end) -> bool:
        return any(s < end and e > start for s, e in intervals)

    for horizon in (1, MAX_WORKING_DAYS):
        best: Slot | None = None
        for start, end in candidate_slots(hours, now, minutes, working_days=horizon):
            if any(overlaps(intervals, start, end) for intervals in booked.values()):
                continue
            taken = tuple(sorted(p for p, intervals in busy.items() if overlaps(intervals, start, end)))
            if not taken:
                return Slot(start, end)
            if best is None or len(taken) < len(best.busy):
                best = Slot(start, end, taken)
        if best is not None:
            return best
    return None


def booked_calls(conn: Connection, person_ids: list[int], start: int, end: int) -> dict[int, list[tuple[int, int]]]:
    """The escalation calls foundermode booked for these people between ``start`` and ``end`` (not cancelled)."""
    out: dict[int, list[tuple[int, int]]] = {p: [] for p in person_ids}
    wanted = set(person_ids)
    rows = conn.execute(
        select(escalations.c.id, escalations.c.call_start, escalations.c.call_end, bottleneck_events.c.detail)
        .join(bottleneck_events, (bottleneck_events.c.escalation_id == escalations.c.id) & (bottleneck_events.c.kind == "scheduled"))
        .where(escalations.c.call_start.is_not(None), escalations.c.call_start < end, escalations.c.call_end > start)
        # a call whose bottleneck was resolved before it began was cancelled: its slot is free again
        .where(or_(escalations.c.resolved_at.is_(None), escalations.c.resolved_at >= escalations.c.call_start), escalations.c.status != "merged")
    ).all()
    for _id, begin, finish, detail in rows:
        attendees = (json.loads(detail) if detail else {}).get("attendee_ids") or []
        for person_id in attendees:
            if person_id in wanted:
                out[person_id].append((begin, finish))
    return out
