"""Meeting load: hours and cost per person and team, large and long meetings,
recurring series by person-hours, focus time, the weekly trend; and the busy
intervals other principles ask for.

What counts as a meeting (``occurrences.is_meeting``): not all-day, not
cancelled, and at least two attendees who did not decline. An attendee's
meeting time counts only when they did not decline. Each analysis is a small
function over ``MeetingData`` (loaded once per window) returning plain
dataclasses; nothing here formats.

Definitions:
- person hours: the sum of the durations of the meetings they attend
  (overlapping meetings both count: double-booking is load too);
  person cost = hours x hourly rate.
- meeting cost = duration x counted attendees x hourly rate; a team's cost is
  its members' hours x rate.
- large: more than ``large_meeting_threshold`` (8) counted attendees;
  long: longer than ``long_meeting_minutes`` (60).
- focus time: free blocks of at least ``focus_block_minutes`` (120) inside
  working hours on working days, in the person's time zone, between meetings
  that are not marked free (TRANSP:TRANSPARENT). Only people whose own
  calendar was imported get a focus figure: for anyone else an empty
  calendar would read as all focus. A meeting breaks focus when it leaves
  free time around it too short to be a focus block: what it costs is the
  focus time removing it would give back, less its own duration (a meeting
  at 10:00 costs the hour from 09:00; one at 15:00 that ends the day
  costs nothing beyond itself).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from ..config import Config
from ..sources.calendar import zone_for
from ..store.schema import people
from ..store.schema_meetings import attendance, calendars, meetings, occurrences

HOUR = 3600.0


# -- settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MeetingSettings:
    hourly_rate: float = 100.0
    currency: str = "USD"
    large_meeting_threshold: int = 8
    long_meeting_minutes: int = 60
    focus_block_minutes: int = 120
    working_hours: tuple[int, int] = (9 * 60, 17 * 60)  # minutes after local midnight
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    timezone: str = "UTC"
    timezones: dict = field(default_factory=dict)  # email -> zone, overrides a calendar's own zone

    @classmethod
    def from_config(cls, config: Config | None) -> "MeetingSettings":
        """[meetings] as checked by the settings schema (a bad value is a ConfigError with its line)."""
        section = (config or Config()).settings.meetings
        return cls(
            hourly_rate=section.hourly_rate, currency=section.currency, large_meeting_threshold=section.large_meeting_threshold,
            long_meeting_minutes=section.long_meeting_minutes, focus_block_minutes=section.focus_block_minutes,
            working_hours=section.working_hours, working_days=section.working_days, timezone=section.timezone,
            timezones={email.lower(): zone for email, zone in section.timezones.items()},
        )


# -- data ---------------------------------------------------------------------------------

@dataclass
class MeetingData:
    """Everything the analyses need for one window, read in a few queries."""

    start: int
    end: int
    # (occurrence_id, meeting_id, person_id, start, end, attendee_count, transparent)
    rows: list[tuple] = field(default_factory=list)
    meetings: dict[int, dict] = field(default_factory=dict)  # id -> summary, organizer_id, is_recurring
    titles: dict[int, str] = field(default_factory=dict)  # occurrence id -> its own title when renamed
    people: dict[int, dict] = field(default_factory=dict)  # id -> name, email, team
    calendar_people: dict[int, str | None] = field(default_factory=dict)  # person with an own export -> its zone
    _occurrences: dict | None = field(default=None, repr=False)

    @classmethod
    def load(cls, conn: Connection, start: int, end: int) -> "MeetingData":
        data = cls(start=start, end=end)
        stmt = (
            select(
                occurrences.c.id, occurrences.c.meeting_id, attendance.c.person_id, occurrences.c.start, occurrences.c.end,
                occurrences.c.attendee_count, occurrences.c.transparent, occurrences.c.summary,
            )
            .join(attendance, attendance.c.occurrence_id == occurrences.c.id)
            .where(
                occurrences.c.start >= start, occurrences.c.start < end, occurrences.c.is_meeting == True,  # noqa: E712
                attendance.c.response != "DECLINED",
            )
        )
        # Plain driver tuples: a year of a large company is half a million rows, and Row objects cost more than the query.
        result = conn.execute(stmt)
        fetched = result.cursor.fetchall() if result.cursor is not None else [tuple(r) for r in result]
        result.close()
        data.rows = [(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in fetched]
        meeting_ids = {r[1] for r in fetched}
        data.titles = {r[0]: r[7] for r in fetched if r[7]}
        for row in conn.execute(select(meetings.c.id, meetings.c.summary, meetings.c.organizer_id, meetings.c.is_recurring)):
            if row.id in meeting_ids:
                data.meetings[row.id] = {"summary": row.summary, "organizer_id": row.organizer_id, "is_recurring": bool(row.is_recurring)}
        for row in conn.execute(select(people.c.id, people.c.name, people.c.email, people.c.team)):
            data.people[row.id] = {"name": row.name, "email": row.email, "team": row.team}
        for person_id, zone in conn.execute(select(calendars.c.person_id, calendars.c.timezone).where(calendars.c.person_id.is_not(None))):
            data.calendar_people[person_id] = zone or data.calendar_people.get(person_id)
        return data

    def name(self, person_id: int | None) -> str | None:
        return self.people.get(person_id, {}).get("name") if person_id is not None else None

    def attended_by(self, members: set[int]) -> "MeetingData":
        """Only the occurrences one of ``members`` attended (with all their attendees): a team's view."""
        attended = {row[0] for row in self.rows if row[2] in members}
        self.rows = [row for row in self.rows if row[0] in attended]
        self._occurrences = None
        return self

    def occurrences(self) -> dict[int, tuple]:
        """occurrence id -> (meeting_id, start, end, attendee_count); built once."""
        if self._occurrences is None:
            self._occurrences = {row[0]: (row[1], row[3], row[4], row[5]) for row in self.rows}
        return self._occurrences


# -- per person and team ----------------------------------------------------------------------

@dataclass
class PersonLoad:
    person_id: int
    name: str
    team: str | None
    meetings: int
    hours: float
    cost: float
    hours_per_week: float


@dataclass
class TeamLoad:
    team: str
    people: int
    meetings: int
    hours: float
    hours_per_person: float
    cost: float


def _weeks(data: MeetingData) -> float:
    return max((data.end - data.start) / (7 * 86400), 1 / 7)


def hours_per_person(data: MeetingData, settings: MeetingSettings) -> list[PersonLoad]:
    hours: dict[int, float] = defaultdict(float)
    count: dict[int, int] = defaultdict(int)
    for _, _, person_id, start, end, _, _ in data.rows:
        hours[person_id] += (end - start) / HOUR
        count[person_id] += 1
    weeks = _weeks(data)
    out = [
        PersonLoad(
            person_id=pid, name=data.name(pid) or str(pid), team=data.people.get(pid, {}).get("team"), meetings=count[pid],
            hours=round(h, 2), cost=round(h * settings.hourly_rate, 2), hours_per_week=round(h / weeks, 2),
        )
        for pid, h in hours.items()
    ]
    return sorted(out, key=lambda p: (-p.hours, p.name))


def hours_per_team(data: MeetingData, settings: MeetingSettings) -> list[TeamLoad]:
    teams: dict[str, list[PersonLoad]] = defaultdict(list)
    for load in hours_per_person(data, settings):
        teams[load.team or "(no team)"].append(load)
    out = []
    for team, members in teams.items():
        total = sum(m.hours for m in members)
        out.append(TeamLoad(team=team, people=len(members), meetings=sum(m.meetings for m in members), hours=round(total, 2), hours_per_person=round(total / len(members), 2), cost=round(total * settings.hourly_rate, 2)))
    return sorted(out, key=lambda t: (-t.hours, t.team))


# -- per meeting -----------------------------------------------------------------------------

@dataclass
class MeetingLoad:
    meeting_id: int
    summary: str
    organizer: str | None
    recurring: bool
    occurrences: int
    max_attendees: int
    avg_attendees: float
    hours: float  # calendar hours: the sum of the occurrences' durations
    person_hours: float  # hours x attendees, summed
    cost: float


def _by_meeting(data: MeetingData, settings: MeetingSettings, keep) -> list[MeetingLoad]:
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for occurrence_id, (meeting_id, start, end, count) in data.occurrences().items():
        if keep(start, end, count):
            grouped[meeting_id].append((start, end, count))
    out = []
    for meeting_id, items in grouped.items():
        info = data.meetings.get(meeting_id, {})
        hours = sum((e - s) / HOUR for s, e, _ in items)
        person_hours = sum((e - s) / HOUR * c for s, e, c in items)
        out.append(
            MeetingLoad(
                meeting_id=meeting_id, summary=info.get("summary", ""), organizer=data.name(info.get("organizer_id")), recurring=info.get("is_recurring", False),
                occurrences=len(items), max_attendees=max(c for _, _, c in items), avg_attendees=round(sum(c for _, _, c in items) / len(items), 1),
                hours=round(hours, 2), person_hours=round(person_hours, 2), cost=round(person_hours * settings.hourly_rate, 2),
            )
        )
    return sorted(out, key=lambda m: (-m.person_hours, m.summary))


def large_meetings(data: MeetingData, settings: MeetingSettings) -> list[MeetingLoad]:
    """Meetings with more than ``large_meeting_threshold`` counted attendees, by person-hours."""
    return _by_meeting(data, settings, lambda s, e, c: c > settings.large_meeting_threshold)


def long_meetings(data: MeetingData, settings: MeetingSettings) -> list[MeetingLoad]:
    """Meetings longer than ``long_meeting_minutes``, by person-hours."""
    return _by_meeting(data, settings, lambda s, e, c: (e - s) > settings.long_meeting_minutes * 60)


def series_ranking(data: MeetingData, settings: MeetingSettings) -> list[MeetingLoad]:
    """Recurring series ranked by total person-hours in the window."""
    return [m for m in _by_meeting(data, settings, lambda s, e, c: True) if m.recurring]


def total_cost(data: MeetingData, settings: MeetingSettings) -> dict:
    occ = data.occurrences()
    hours = sum((e - s) / HOUR for _, s, e, _ in occ.values())
    person_hours = sum((e - s) / HOUR * c for _, s, e, c in occ.values())
    return {"meetings": len(occ), "hours": round(hours, 2), "person_hours": round(person_hours, 2), "cost": round(person_hours * settings.hourly_rate, 2), "currency": settings.currency}


# -- weekly trend ---------------------------------------------------------------------------

@dataclass
class WeekLoad:
    week: str  # the Monday, in the configured time zone
    meetings: int
    hours: float
    person_hours: float
    cost: float
    large_meetings: int
    people: int


def weekly_trend(data: MeetingData, settings: MeetingSettings) -> list[WeekLoad]:
    zone = zone_for(settings.timezone)
    weeks: dict[dt.date, dict] = {}
    occ = data.occurrences()
    people_by_week: dict[dt.date, set] = defaultdict(set)
    week_of: dict[int, dt.date] = {}
    for occurrence_id, (_, start, end, count) in occ.items():
        local = dt.datetime.fromtimestamp(start, zone).date()
        monday = local - dt.timedelta(days=local.weekday())
        week_of[occurrence_id] = monday
        item = weeks.setdefault(monday, {"meetings": 0, "hours": 0.0, "person_hours": 0.0, "large": 0})
        item["meetings"] += 1
        item["hours"] += (end - start) / HOUR
        item["person_hours"] += (end - start) / HOUR * count
        item["large"] += count > settings.large_meeting_threshold
    for occurrence_id, _, person_id, *_ in data.rows:
        people_by_week[week_of[occurrence_id]].add(person_id)
    # Weeks with no meetings are part of a trend too.
    first = dt.datetime.fromtimestamp(data.start, zone).date()
    last = dt.datetime.fromtimestamp(data.end - 1, zone).date()
    monday = first - dt.timedelta(days=first.weekday())
    out = []
    while monday <= last:
        item = weeks.get(monday, {"meetings": 0, "hours": 0.0, "person_hours": 0.0, "large": 0})
        out.append(WeekLoad(week=monday.isoformat(), meetings=item["meetings"], hours=round(item["hours"], 2), person_hours=round(item["person_hours"], 2), cost=round(item["person_hours"] * settings.hourly_rate, 2), large_meetings=item["large"], people=len(people_by_week.get(monday, ()))))
        monday += dt.timedelta(days=7)
    return out


# -- focus time -----------------------------------------------------------------------------

@dataclass
class PersonFocus:
    person_id: int
    name: str
    timezone: str
    working_days: int
    working_hours: float
    focus_hours: float
    focus_share: float  # of working time
    days_without_focus: int
    meeting_hours_at_work: float


@dataclass
class FocusBreaker:
    meeting_id: int
    summary: str
    occurrences: int  # occurrences that broke someone's focus
    people: int
    focus_hours_lost: float  # free time it left too short for focus, summed over people and days


def merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def focus_seconds(day_start: int, day_end: int, busy: list[tuple[int, int]], block: int) -> int:
    """Free time inside [day_start, day_end) in gaps of at least ``block`` seconds."""
    total, cursor = 0, day_start
    for start, end in merge([(max(s, day_start), min(e, day_end)) for s, e in busy if e > day_start and s < day_end]):
        if start - cursor >= block:
            total += start - cursor
        cursor = max(cursor, end)
    if day_end - cursor >= block:
        total += day_end - cursor
    return total


def _busy_seconds(day_start: int, day_end: int, busy: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in merge([(max(s, day_start), min(e, day_end)) for s, e in busy if e > day_start and s < day_end]))


def working_days(start: int, end: int, zone, settings: MeetingSettings) -> list[tuple[int, int]]:
    """[(start, end)] of working time per working day inside the window, DST-correct."""
    day = dt.datetime.fromtimestamp(start, zone).date()
    last = dt.datetime.fromtimestamp(end - 1, zone).date()
    out = []
    begin_min, end_min = settings.working_hours
    while day <= last:
        if day.weekday() in settings.working_days:
            # Wall-clock times: 09:00 is 09:00 on both sides of a daylight-saving change.
            day_start = int(dt.datetime(day.year, day.month, day.day, begin_min // 60, begin_min % 60, tzinfo=zone).timestamp())
            if end_min >= 24 * 60:
                following = day + dt.timedelta(days=1)
                day_end = int(dt.datetime(following.year, following.month, following.day, tzinfo=zone).timestamp())
            else:
                day_end = int(dt.datetime(day.year, day.month, day.day, end_min // 60, end_min % 60, tzinfo=zone).timestamp())
            if day_start >= start and day_end <= end:
                out.append((day_start, day_end))
        day += dt.timedelta(days=1)
    return out


def pick_zone(email: str | None, calendar_zone: str | None, settings: MeetingSettings) -> str:
    """A person's zone: [meetings.timezones] for their address, else their own calendar's, else the org's."""
    return settings.timezones.get((email or "").lower()) or calendar_zone or settings.timezone


def person_zone(person_id: int, data: MeetingData, settings: MeetingSettings) -> str:
    return pick_zone(data.people.get(person_id, {}).get("email"), data.calendar_people.get(person_id), settings)


def zones_of(conn: Connection, person_ids, settings: MeetingSettings) -> dict[int, str]:
    """Each person's zone (pick_zone), read for these people only."""
    person_ids = list(person_ids)
    if not person_ids:
        return {}
    emails = dict(conn.execute(select(people.c.id, people.c.email).where(people.c.id.in_(person_ids))).all())
    own: dict[int, str] = {}
    for person_id, zone in conn.execute(select(calendars.c.person_id, calendars.c.timezone).where(calendars.c.person_id.in_(person_ids))):
        if zone:
            own.setdefault(person_id, zone)
    return {p: pick_zone(emails.get(p), own.get(p), settings) for p in person_ids}


def focus_time(data: MeetingData, settings: MeetingSettings) -> tuple[list[PersonFocus], list[FocusBreaker]]:
    block = settings.focus_block_minutes * 60
    busy: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # person -> (start, end, occurrence id)
    for occurrence_id, _, person_id, start, end, _, transparent in data.rows:
        if not transparent and person_id in data.calendar_people:
            busy[person_id].append((start, end, occurrence_id))
    meeting_of = {row[0]: row[1] for row in data.rows}
    lost: dict[int, float] = defaultdict(float)
    broke: dict[int, set] = defaultdict(set)
    broke_people: dict[int, set] = defaultdict(set)
    people_out = []
    day_cache: dict[str, list[tuple[int, int]]] = {}
    for person_id in data.calendar_people:
        zone_name = person_zone(person_id, data, settings)
        days = day_cache.get(zone_name)
        if days is None:
            days = day_cache[zone_name] = working_days(data.start, data.end, zone_for(zone_name), settings)
        items = sorted(busy.get(person_id, []))
        focus = work = meeting_at_work = 0
        without = 0
        cursor = 0
        for day_start, day_end in days:
            while cursor < len(items) and items[cursor][1] <= day_start:
                cursor += 1
            todays = []
            index = cursor
            while index < len(items) and items[index][0] < day_end:
                if items[index][1] > day_start:
                    todays.append(items[index])
                index += 1
            length = day_end - day_start
            work += length
            if not todays:
                focus += length if length >= block else 0
                without += length < block
                continue
            # Merged busy blocks, each with the meetings inside it, and the free gaps around them.
            blocks: list[list] = []
            for s, e, oid in sorted((max(s, day_start), min(e, day_end), oid) for s, e, oid in todays):
                if blocks and s <= blocks[-1][1]:
                    blocks[-1][1] = max(blocks[-1][1], e)
                    blocks[-1][2].append((s, e, oid))
                else:
                    blocks.append([s, e, [(s, e, oid)]])
            gaps = [blocks[0][0] - day_start] + [blocks[i][0] - blocks[i - 1][1] for i in range(1, len(blocks))] + [day_end - blocks[-1][1]]
            free = sum(g for g in gaps if g >= block)
            busy_today = sum(e - s for s, e, _ in blocks)
            focus += free
            meeting_at_work += busy_today
            if free == 0:
                without += 1
            for i, (bs, be, members) in enumerate(blocks):
                if len(members) == 1:
                    # What removing it would give back, less its own time: the free time it leaves too short to use.
                    before, after = gaps[i], gaps[i + 1]
                    joined = before + (be - bs) + after
                    stranded = [(members[0][2], (joined if joined >= block else 0) - (before if before >= block else 0) - (after if after >= block else 0) - (be - bs))]
                else:
                    # Overlapping meetings share a block: take each out in turn.
                    stranded = []
                    for _, _, oid in members:
                        others = [(s, e) for s, e, other in todays if other != oid]
                        stranded.append((oid, focus_seconds(day_start, day_end, others, block) - free - (busy_today - _busy_seconds(day_start, day_end, others))))
                for occurrence_id, gained in stranded:
                    if gained > 0:
                        meeting_id = meeting_of[occurrence_id]
                        lost[meeting_id] += gained / HOUR
                        broke[meeting_id].add(occurrence_id)
                        broke_people[meeting_id].add(person_id)
        people_out.append(
            PersonFocus(
                person_id=person_id, name=data.name(person_id) or str(person_id), timezone=zone_name, working_days=len(days),
                working_hours=round(work / HOUR, 2), focus_hours=round(focus / HOUR, 2), focus_share=round(focus / work, 3) if work else 0.0,
                days_without_focus=without, meeting_hours_at_work=round(meeting_at_work / HOUR, 2),
            )
        )
    breakers = [
        FocusBreaker(meeting_id=mid, summary=data.meetings.get(mid, {}).get("summary", ""), occurrences=len(broke[mid]), people=len(broke_people[mid]), focus_hours_lost=round(hours, 2))
        for mid, hours in lost.items()
    ]
    return sorted(people_out, key=lambda p: (p.focus_share, p.name)), sorted(breakers, key=lambda b: (-b.focus_hours_lost, b.summary))


# -- for other principles ----------------------------------------------------------------------

def busy_intervals(conn: Connection, person_ids, start: int, end: int) -> dict[int, list[tuple[int, int]]]:
    """Merged busy time per person inside [start, end), epoch seconds.

    Busy: any timed, not-cancelled, not-free (TRANSP:OPAQUE) occurrence the
    person attends and did not decline, meetings or not (a dentist
    appointment on one's own calendar is busy too). Clipped to the window.
    """
    person_ids = list(person_ids)
    out: dict[int, list[tuple[int, int]]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    raw: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for offset in range(0, len(person_ids), 500):
        chunk = person_ids[offset : offset + 500]
        stmt = (
            select(attendance.c.person_id, occurrences.c.start, occurrences.c.end)
            .join(occurrences, occurrences.c.id == attendance.c.occurrence_id)
            .where(
                attendance.c.person_id.in_(chunk), attendance.c.response != "DECLINED",
                occurrences.c.all_day == False, occurrences.c.transparent == False,  # noqa: E712
                occurrences.c.start < end, occurrences.c.end > start,
            )
        )
        for person_id, s, e in conn.execute(stmt):
            raw[person_id].append((max(s, start), min(e, end)))
    for person_id, intervals in raw.items():
        out[person_id] = merge([i for i in intervals if i[1] > i[0]])
    return out


@dataclass
class MeetingWith:
    occurrence_id: int
    meeting_id: int
    summary: str
    start: int
    end: int
    hours: float
    recurring: bool
    others: list[int]  # person ids of the other attendees who did not decline


def meeting_time_with(conn: Connection, person_id: int, start: int, end: int) -> list[MeetingWith]:
    """The meetings a person attends in [start, end), each with who else was there."""
    mine = (
        select(occurrences.c.id, occurrences.c.meeting_id, occurrences.c.start, occurrences.c.end, occurrences.c.summary, meetings.c.summary, meetings.c.is_recurring)
        .join(attendance, and_(attendance.c.occurrence_id == occurrences.c.id, attendance.c.person_id == person_id))
        .join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(occurrences.c.start >= start, occurrences.c.start < end, occurrences.c.is_meeting == True, attendance.c.response != "DECLINED")  # noqa: E712
        .order_by(occurrences.c.start)
    )
    rows = conn.execute(mine).all()
    ids = [row[0] for row in rows]
    others: dict[int, list[int]] = defaultdict(list)
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for occurrence_id, other in conn.execute(
            select(attendance.c.occurrence_id, attendance.c.person_id).where(attendance.c.occurrence_id.in_(chunk), attendance.c.person_id != person_id, attendance.c.response != "DECLINED")
        ):
            others[occurrence_id].append(other)
    return [
        MeetingWith(occurrence_id=r[0], meeting_id=r[1], summary=r[4] or r[5], start=r[2], end=r[3], hours=round((r[3] - r[2]) / HOUR, 2), recurring=bool(r[6]), others=sorted(others.get(r[0], [])))
        for r in rows
    ]


# -- everything at once ------------------------------------------------------------------------

def report(conn: Connection, start: int, end: int, settings: MeetingSettings | None = None, members: set[int] | None = None) -> dict:
    """All sections for one window: what ``foundermode meetings report`` prints; ``members``: the meetings one of them attended."""
    settings = settings or MeetingSettings()
    data = MeetingData.load(conn, start, end)
    if members is not None:
        data.attended_by(members)
    focus, breakers = focus_time(data, settings)
    return {
        "window": {"start": start, "end": end},
        "totals": total_cost(data, settings),
        "people": hours_per_person(data, settings),
        "teams": hours_per_team(data, settings),
        "large": large_meetings(data, settings),
        "long": long_meetings(data, settings),
        "series": series_ranking(data, settings),
        "focus": focus,
        "focus_breakers": breakers,
        "trend": weekly_trend(data, settings),
    }


__all__ = [
    "MeetingSettings", "MeetingData", "hours_per_person", "hours_per_team", "large_meetings", "long_meetings", "series_ranking",
    "total_cost", "weekly_trend", "focus_time", "focus_seconds", "busy_intervals", "meeting_time_with", "report", "merge",
]
