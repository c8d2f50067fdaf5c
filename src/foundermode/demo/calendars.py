"""Several weeks of an organisation's calendars, one iCalendar export per person.

The meetings are the ones a real engineering organisation keeps: daily
stand-ups, weekly one-to-ones, team planning, a leadership sync, a fortnightly
architecture review with the leader, skip-levels, and an all-hands large
enough to count as a large meeting. Every series is dated relative to the
history's last commit, so the brief's window over the end of the history has
meetings in it. Each event appears in the export of every attendee, with the
same UID, as Google or Exchange would export it; a holiday is an EXDATE and a
few people decline a series, so the ingest has cancellations and declines to
honour.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import icalendar

from .org import Member, Organisation

UTC = dt.timezone.utc
WEEKS = 5
DAYS = ["MO", "TU", "WE", "TH", "FR"]


@dataclass
class Series:
    uid: str
    summary: str
    first: dt.datetime  # the first occurrence, UTC
    minutes: int
    organizer: Member
    attendees: list[Member]
    byday: list[str] | None = None  # weekly on these days; None: weekly on the first's weekday
    interval: int = 1
    declined: set[str] = field(default_factory=set)  # emails
    exdates: list[dt.datetime] = field(default_factory=list)
    transcribe: bool = False
    silent: set[str] = field(default_factory=set)  # emails of attendees who never speak in its transcripts

    def occurrences(self, until: dt.datetime) -> list[dt.datetime]:
        """Starts of the occurrences up to ``until`` (what the RRULE below expands to), for transcripts."""
        days = self.byday or [DAYS[self.first.weekday()]]
        out = []
        week_start = self.first - dt.timedelta(days=self.first.weekday())
        week = 0
        while True:
            monday = week_start + dt.timedelta(weeks=week)
            if monday > until:
                break
            if week % self.interval == 0:
                for day in days:
                    start = monday + dt.timedelta(days=DAYS.index(day))
                    if self.first <= start <= until and start not in self.exdates:
                        out.append(start)
            week += 1
        return sorted(out)

    @property
    def members(self) -> list[Member]:
        seen, out = set(), []
        for member in [self.organizer, *self.attendees]:
            if member.email not in seen:
                seen.add(member.email)
                out.append(member)
        return out


def plan_series(org: Organisation, last_commit: dt.datetime) -> tuple[list[Series], dt.datetime, dt.datetime]:
    """The organisation's recurring meetings, from the Monday five weeks before the last commit."""
    day0 = (last_commit - dt.timedelta(weeks=WEEKS)).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day0 - dt.timedelta(days=day0.weekday())
    until = last_commit.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=8)

    def at(weekday: int, hour: int, minute: int = 0, week: int = 0) -> dt.datetime:
        return monday + dt.timedelta(weeks=week, days=weekday, hours=hour, minutes=minute)

    leader = org.leader
    pm = org.staff_titled("Product Manager")
    designer = org.staff_titled("Product Designer")
    series: list[Series] = []
    team_names = list(org.teams)
    for index, team in enumerate(team_names):
        manager = org.manager_of(team)
        engineers = org.teams[team]
        slug = team.lower()
        holiday = at(0, 9, 30 + 0, week=2) if index == 0 else None
        standup = Series(f"standup-{slug}@demo", f"{team} stand-up", at(0, 9, 30), 15, manager, engineers, byday=DAYS)
        if holiday:
            standup.exdates.append(holiday)
        series.append(standup)
        # Planning: the team, product, and for the first team the leader and the designer.
        guests = [pm] + ([leader, designer] if index == 0 else [])
        planning = Series(f"planning-{slug}@demo", f"{team} planning", at(1 + index % 4, 11), 60, manager, [*engineers, *guests], transcribe=True)
        planning.silent = {designer.email} if index == 0 else set()
        quiet = sorted(engineers, key=lambda m: (m.commits, m.name))
        if len(engineers) >= 3:
            planning.silent.add(quiet[0].email)
        series.append(planning)
        for rank, engineer in enumerate(engineers):
            weekday = 1 + rank % 3
            minute = 30 * (rank // 3)
            series.append(Series(f"1on1-{slug}-{rank}@demo", f"{manager.first_name} / {engineer.first_name} 1:1", at(weekday, 14, minute), 30, manager, [engineer]))
    for rank, manager in enumerate(org.managers):
        series.append(Series(f"1on1-leader-{rank}@demo", f"{leader.first_name} / {manager.first_name} 1:1", at(0, 10, 30 * rank), 30, leader, [manager]))
    sync = Series("leadership-sync@demo", "Leadership sync", at(0, 14), 60, leader, [*org.managers, pm], transcribe=True, silent={pm.email})
    series.append(sync)
    top = sorted(org.engineers, key=lambda m: (-m.commits, m.name))
    for rank, engineer in enumerate(top[:2]):
        series.append(Series(f"skip-level-{rank}@demo", f"{leader.first_name} / {engineer.first_name} skip-level", at(2, 15, 30 * rank), 30, leader, [engineer], interval=2))
    leads = [org.teams[team][0] for team in team_names if org.teams[team]]
    review = Series("architecture-review@demo", "Architecture review", at(3, 15), 60, top[0], [*leads, *org.managers, leader], interval=2)
    if len(top) > 3:
        review.attendees.append(top[-1])
        review.declined.add(top[-1].email)
    series.append(review)
    everyone = [m for m in org.everyone if m is not leader]
    all_hands = Series("all-hands@demo", "All-hands", at(4, 16), 60, leader, everyone)
    all_hands.declined.add(org.staff_titled("Head of Sales").email)
    series.append(all_hands)
    return series, monday, until


def _address(member: Member, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{member.email}")
    address.params["CN"] = icalendar.vText(member.name)
    for key, value in params.items():
        address.params[key.upper()] = icalendar.vText(value)
    return address


def _event(series: Series, until: dt.datetime, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", series.uid)
    event.add("summary", series.summary)
    event.add("dtstamp", stamp)
    event.add("dtstart", series.first)
    event.add("dtend", series.first + dt.timedelta(minutes=series.minutes))
    rule = {"freq": "weekly", "until": until, "byday": series.byday or [DAYS[series.first.weekday()]]}
    if series.interval > 1:
        rule["interval"] = series.interval
    event.add("rrule", rule)
    for exdate in series.exdates:
        event.add("exdate", exdate)
    event.add("status", "CONFIRMED")
    event["organizer"] = _address(series.organizer)
    for member in series.members:
        status = "DECLINED" if member.email in series.declined else "ACCEPTED"
        event.add("attendee", _address(member, partstat=status, role="REQ-PARTICIPANT", cutype="INDIVIDUAL"))
    return event


def write_calendars(org: Organisation, series: list[Series], until: dt.datetime, folder: Path) -> list[Path]:
    """One export per person, named after their address, holding every series they are in."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = until.replace(hour=0, minute=0)
    paths = []
    for member in org.everyone:
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//foundermode//demo//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", member.email)
        calendar.add("x-wr-timezone", "UTC")
        mine = [s for s in series if any(m.email == member.email for m in s.members)]
        for item in mine:
            calendar.add_component(_event(item, until, stamp))
        path = folder / f"{member.email}.ics"
        path.write_bytes(calendar.to_ical())
        paths.append(path)
    return paths
