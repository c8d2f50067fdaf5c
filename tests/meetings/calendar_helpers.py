"""Small iCalendar exports for store and analytics tests, written as a calendar app would."""
from __future__ import annotations

from pathlib import Path

BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def attendee(email: str, partstat: str = "ACCEPTED", name: str | None = None, cutype: str = "INDIVIDUAL") -> str:
    cn = name or email.split("@")[0].title()
    return f"ATTENDEE;CUTYPE={cutype};ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={cn}:mailto:{email}"


def event(uid: str, summary: str, start: str, end: str, organizer: str | None = None, attendees=(), extra: str = "", tz: str | None = "Europe/Berlin", date: bool = False) -> str:
    if date:
        when = f"DTSTART;VALUE=DATE:{start}\nDTEND;VALUE=DATE:{end}\n"
    elif tz:
        when = f"DTSTART;TZID={tz}:{start}\nDTEND;TZID={tz}:{end}\n"
    else:
        when = f"DTSTART:{start}\nDTEND:{end}\n"
    lines = [f"BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240301T000000Z", f"SUMMARY:{summary}", when.rstrip("\n")]
    if organizer:
        lines.append(f"ORGANIZER;CN={organizer.split('@')[0].title()}:mailto:{organizer}")
    lines.extend(attendees)
    if extra:
        lines.append(extra.strip("\n"))
    lines.append("END:VEVENT")
    return "\n".join(lines) + "\n"


def calendar(owner: str | None, *events: str, tz_name: str = "Europe/Berlin", vtimezone: str = BERLIN_VTIMEZONE) -> str:
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//foundermode tests//EN\nCALSCALE:GREGORIAN\nMETHOD:PUBLISH\n"
    if owner:
        head += f"X-WR-CALNAME:{owner}\n"
    if tz_name:
        head += f"X-WR-TIMEZONE:{tz_name}\n"
    return (head + vtimezone + "".join(events) + "END:VCALENDAR\n").replace("\n", "\r\n")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


ADA, BOB, CAT, DAN = "ada@example.com", "bob@example.com", "cat@example.com", "dan@example.com"
OTHERS = [f"p{i}@example.com" for i in range(1, 10)]

# March 2024, Europe/Berlin. Window: 2024-03-04 .. 2024-04-01 (UTC), four working weeks.
SYNC_ATTENDEES = [attendee(ADA), attendee(BOB), attendee(CAT), attendee(DAN, "DECLINED")]


def sync_series(moved: bool = True, cancel_last: bool = False, bob_view: bool = False) -> str:
    """Weekly sync, Mondays 10:00-11:00 Berlin, 4 times; the 18 March one moved to Tue 19 March 14:00."""
    text = event("sync@example.com", "Weekly sync", "20240304T100000", "20240304T110000", ADA, SYNC_ATTENDEES, "RRULE:FREQ=WEEKLY;COUNT=4")
    if moved:
        text += event("sync@example.com", "Weekly sync", "20240319T140000", "20240319T150000", ADA, SYNC_ATTENDEES, "RECURRENCE-ID;TZID=Europe/Berlin:20240318T100000\nSEQUENCE:1")
    if cancel_last:
        text += event("sync@example.com", "Weekly sync", "20240325T100000", "20240325T110000", ADA, SYNC_ATTENDEES, "RECURRENCE-ID;TZID=Europe/Berlin:20240325T100000\nSTATUS:CANCELLED\nSEQUENCE:2")
    return text


def all_hands(start: str = "20240306T150000", end: str = "20240306T170000") -> str:
    people = [attendee(ADA), attendee(BOB), attendee(CAT)] + [attendee(p) for p in OTHERS] + [attendee("room-1@example.com", cutype="ROOM")]
    return event("allhands@example.com", "All hands", start, end, ADA, people)


def planning() -> str:
    """Wednesdays 09:00-09:30, 4 times; the third (20 March) cancelled."""
    people = [attendee(ADA), attendee(BOB)]
    return event("planning@example.com", "Planning", "20240306T090000", "20240306T093000", ADA, people, "RRULE:FREQ=WEEKLY;COUNT=4") + event(
        "planning@example.com", "Planning", "20240320T090000", "20240320T093000", ADA, people, "RECURRENCE-ID;TZID=Europe/Berlin:20240320T090000\nSTATUS:CANCELLED"
    )


def one_on_one(cat_partstat: str) -> str:
    """Bob and Cat, Thursdays 16:00-16:30, 4 times, organised by Bob."""
    return event("one@example.com", "Bob / Cat", "20240307T160000", "20240307T163000", BOB, [attendee(CAT, cat_partstat)], "RRULE:FREQ=WEEKLY;COUNT=4")


def team_exports(folder: Path, **sync_options) -> list[Path]:
    ada = calendar(
        ADA,
        sync_series(**sync_options),
        all_hands(),
        planning(),
        event("lunch@example.com", "Lunch", "20240305T120000", "20240305T130000"),  # just Ada: not a meeting
        event("offsite@example.com", "Offsite", "20240307", "20240308", ADA, [attendee(BOB)], date=True),  # all day: not a meeting
    )
    bob = calendar(BOB, sync_series(), all_hands(), planning(), one_on_one("NEEDS-ACTION"), event("offsite@example.com", "Offsite", "20240307", "20240308", ADA, [attendee(BOB)], date=True))
    cat = calendar(CAT, sync_series(), all_hands(), one_on_one("ACCEPTED"))
    return [write(folder, f"{ADA}.ics", ada), write(folder, f"{BOB}.ics", bob), write(folder, f"{CAT}.ics", cat)]
