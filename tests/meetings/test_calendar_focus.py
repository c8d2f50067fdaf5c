"""Focus time against a brute-force minute grid, on random days with overlapping meetings."""
from __future__ import annotations

import datetime as dt
import random

from foundermode.meetings.load import MeetingData, MeetingSettings, focus_time

MONDAY = int(dt.datetime(2024, 6, 3, tzinfo=dt.timezone.utc).timestamp())  # no daylight-saving change in UTC


def grid_focus(meetings: list[tuple[int, int]], day_start: int, block_min: int = 120) -> int:
    """Free minutes in 09:00-17:00 that sit in runs of at least ``block_min``."""
    free = [True] * 480
    for start, end in meetings:
        for minute in range((start - day_start) // 60, (end - day_start) // 60):
            if 0 <= minute < 480:
                free[minute] = False
    total = run = 0
    for is_free in free + [False]:
        if is_free:
            run += 1
        else:
            total += run if run >= block_min else 0
            run = 0
    return total


def test_focus_and_breakers_match_a_minute_grid():
    rng = random.Random(5)
    rows, expected_focus, expected_lost = [], 0, {}
    occurrence = 0
    for day in range(5):
        day_start = MONDAY + day * 86400 + 9 * 3600
        todays = []
        for _ in range(rng.randrange(0, 5)):
            start = day_start + rng.randrange(-60, 480) * 60
            end = start + rng.choice([15, 30, 45, 60, 90, 120]) * 60
            occurrence += 1
            todays.append((occurrence, start, end))
            # meeting id = occurrence id: one meeting per occurrence, so losses are per occurrence
            rows.append((occurrence, occurrence, 1, start, end, 2, False))
        spans = [(s, e) for _, s, e in todays]
        base = grid_focus(spans, day_start)
        expected_focus += base
        for oid, s, e in todays:
            others = [(a, b) for o, a, b in todays if o != oid]
            own = sum(1 for m in range(480) if s <= day_start + m * 60 < e and not any(a <= day_start + m * 60 < b for a, b in others))
            stranded = grid_focus(others, day_start) - base - own
            if stranded > 0:
                expected_lost[oid] = stranded / 60
    data = MeetingData(start=MONDAY, end=MONDAY + 5 * 86400, rows=rows, people={1: {"name": "Ada", "email": "ada@example.com", "team": None}}, calendar_people={1: "UTC"})
    data.meetings = {row[1]: {"summary": f"m{row[1]}", "organizer_id": None, "is_recurring": False} for row in rows}
    people, breakers = focus_time(data, MeetingSettings())
    assert len(rows) > 5
    assert people[0].focus_hours == round(expected_focus / 60, 2)
    assert {b.meeting_id: b.focus_hours_lost for b in breakers} == {k: round(v, 2) for k, v in expected_lost.items()}


def test_working_hours_follow_the_wall_clock_across_daylight_saving():
    from zoneinfo import ZoneInfo

    from foundermode.meetings.load import working_days

    zone = ZoneInfo("America/New_York")  # clocks go forward on Sunday 2024-03-10
    start = int(dt.datetime(2024, 3, 4, tzinfo=dt.timezone.utc).timestamp())
    end = int(dt.datetime(2024, 3, 18, tzinfo=dt.timezone.utc).timestamp())
    days = working_days(start, end, zone, MeetingSettings())
    assert len(days) == 10
    for day_start, day_end in days:
        local = dt.datetime.fromtimestamp(day_start, zone)
        assert (local.hour, local.minute, local.weekday() < 5, day_end - day_start) == (9, 0, True, 8 * 3600)
    utc_hours = [dt.datetime.fromtimestamp(s, dt.timezone.utc).hour for s, _ in days]
    assert utc_hours == [14] * 5 + [13] * 5
