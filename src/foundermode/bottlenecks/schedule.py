"""When to hold the escalation call: the first 30-minute slot everyone is free.

The window runs from now to the end of the next working day, in working hours
of the configured time zone. Busy time comes from ingested calendars when the
meetings tables hold any; without them, working hours alone decide.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

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


def working_windows(hours: WorkingHours, start: int, days_ahead: int = 14) -> list[tuple[int, int]]:
    """Working-hours intervals (epoch seconds) from ``start``: the rest of today if working, then the next working day."""
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
            break  # one working day after today is the horizon
    return windows


def candidate_slots(hours: WorkingHours, now: int, minutes: int = 30) -> list[tuple[int, int]]:
    length = minutes * 60
    first = -(-now // SLOT_STEP) * SLOT_STEP  # round up to the next :00 or :30
    slots = []
    for begin, end in working_windows(hours, first):
        start = -(-begin // SLOT_STEP) * SLOT_STEP
        while start + length <= end:
            slots.append((start, start + length))
            start += SLOT_STEP
    return slots


def first_common_slot(busy: dict[int, list[tuple[int, int]]], hours: WorkingHours, now: int, minutes: int = 30) -> Slot | None:
    """The earliest slot free for everyone in ``busy``; failing that, the earliest with the fewest people busy."""
    best: Slot | None = None
    for start, end in candidate_slots(hours, now, minutes):
        taken = tuple(sorted(p for p, intervals in busy.items() if any(s < end and e > start for s, e in intervals)))
        if not taken:
            return Slot(start, end)
        if best is None or len(taken) < len(best.busy):
            best = Slot(start, end, taken)
    return best


def busy_intervals(conn: Connection, person_ids: list[int], start: int, end: int) -> dict[int, list[tuple[int, int]]]:
    """Each person's busy time between ``start`` and ``end`` from ingested calendars (empty without them)."""
    out: dict[int, list[tuple[int, int]]] = {p: [] for p in person_ids}
    try:
        from ..store.schema_meetings import attendance, occurrences
    except ImportError:  # calendars are principle 2's; without them only working hours count
        return out
    if not person_ids:
        return out
    query = (
        select(attendance.c.person_id, occurrences.c.start, occurrences.c.end)
        .join(occurrences, occurrences.c.id == attendance.c.occurrence_id)
        .where(
            attendance.c.person_id.in_(person_ids),
            attendance.c.response != "DECLINED",
            occurrences.c.transparent == False,  # noqa: E712  (free-time entries do not block)
            occurrences.c.all_day == False,  # noqa: E712
            and_(occurrences.c.start < end, occurrences.c.end > start),
        )
    )
    for person_id, begin, finish in conn.execute(query):
        out[person_id].append((begin, finish))
    return out
