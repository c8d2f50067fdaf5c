"""iCalendar exports (.ics) into plain occurrence records over a time window.

``read_calendar(path, start, end)`` parses one export with icalendar, expands
recurrences with recurring-ical-events (RRULE, RDATE, EXDATE, moved instances,
RANGE=THISANDFUTURE) and returns a ``CalendarExport``: every occurrence that
overlaps the window, in UTC epoch seconds, with its attendees. It knows
nothing of the store.

Rules the records follow:

- Cancelled occurrences (``STATUS:CANCELLED`` on the event or on one instance;
  recurring-ical-events returns them) are left out and listed in
  ``cancelled`` so a re-import can remove what an earlier import stored.
- Each occurrence is keyed by its UID and its *original* start
  (``recurrence_id``): the RECURRENCE-ID of a moved instance, the rule's own
  start otherwise. Instances after a RANGE=THISANDFUTURE edit keep their own
  original start, shifted back by the edit's offset, so they do not collide.
- Times with a TZID use the VTIMEZONE in the file, else icalendar's names
  (IANA and Windows, e.g. "W. Europe Standard Time"); a TZID that neither
  knows is an error naming the file and line, unless ``tz_aliases`` maps it to
  a known zone. Floating times use X-WR-TIMEZONE, else ``default_tz``.
- All-day events start and end at midnight in the calendar's zone.
- Rooms, resources and groups (CUTYPE=ROOM/RESOURCE/GROUP) are not attendees.

Expanding a series is the slow part, and the same series appears in every
attendee's export: ``expansion_cache`` (a dict shared across the files of one
import) reuses an expansion when a series' timing properties and the file's
time zone definitions are byte-for-byte the same.
"""
from __future__ import annotations

from ..errors import InputError
import datetime as dt
import hashlib
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from icalendar.timezone import tzp

from .limits import (
    CALENDAR_TIME_BUDGET,
    MAX_CALENDAR_BYTES,
    MAX_COMPONENT_PROPERTIES,
    MAX_EVENT_DAYS,
    MAX_EXPANSION_STEPS,
    MAX_OCCURRENCES_PER_EVENT,
    MAX_OCCURRENCES_PER_FILE,
    check_lines,
    read_bytes,
)

UTC = dt.timezone.utc
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIMING_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID", "SEQUENCE")
TZ_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
NOT_PEOPLE = ("ROOM", "RESOURCE", "GROUP")  # a mailing list is not a person: its members' own exports count them


class CalendarError(InputError):
    """Bad input: the message names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


@dataclass(frozen=True)
class Attendee:
    email: str  # lower-cased, without mailto:
    name: str
    response: str  # PARTSTAT: ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION, DELEGATED
    optional: bool = False


@dataclass(slots=True)
class EventOccurrence:
    uid: str
    recurrence_id: str  # '' for a one-off event
    summary: str
    start: int
    end: int
    all_day: bool
    status: str | None
    transparent: bool
    is_moved: bool
    organizer: Attendee | None
    attendees: list[Attendee]
    is_recurring: bool
    series_summary: str
    rrule: str | None
    tzid: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.uid, self.recurrence_id)


@dataclass
class CalendarExport:
    path: Path
    name: str | None  # X-WR-CALNAME
    owner_email: str | None  # whose calendar this is, when the export says so
    timezone: str | None  # X-WR-TIMEZONE
    window: tuple[int, int]
    occurrences: list[EventOccurrence] = field(default_factory=list)
    cancelled: set[tuple[str, str]] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def default_window(now: dt.datetime | None = None, weeks_back: int = 12, weeks_ahead: int = 4) -> tuple[int, int]:
    """The last 12 weeks to 4 weeks ahead, from midnight UTC."""
    now = now or dt.datetime.now(UTC)
    today = dt.datetime(now.year, now.month, now.day, tzinfo=UTC)
    return int((today - dt.timedelta(weeks=weeks_back)).timestamp()), int((today + dt.timedelta(weeks=weeks_ahead)).timestamp())


def calendar_files(paths: list[Path | str]) -> list[Path]:
    """Files as given, and the .ics files inside folders (sorted, not recursive into hidden folders)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".ics", ".ical", ".ifb") and not any(part.startswith(".") for part in p.relative_to(path).parts))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CalendarError(path, "no such file or folder")
    return files


def read_calendar(
    path: Path | str,
    start: int,
    end: int,
    default_tz: str = "UTC",
    tz_aliases: dict[str, str] | None = None,
    owner_email: str | None = None,
    expansion_cache: dict | None = None,
) -> CalendarExport:
    path = Path(path)
    data = read_bytes(path, lambda message: CalendarError(path, message.split(": ", 1)[1]), MAX_CALENDAR_BYTES, "calendar")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CalendarError(path, f"not UTF-8 text ({error.reason} at byte {error.start})", _line_of_offset(data, error.start)) from error
    return parse_calendar(text, path, start, end, default_tz, tz_aliases, owner_email, expansion_cache)


def parse_calendar(
    text: str,
    path: Path | str,
    start: int,
    end: int,
    default_tz: str = "UTC",
    tz_aliases: dict[str, str] | None = None,
    owner_email: str | None = None,
    expansion_cache: dict | None = None,
) -> CalendarExport:
    path = Path(path)
    if not text.strip():
        raise CalendarError(path, "empty file; expected an iCalendar export (BEGIN:VCALENDAR)")
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarError(path, "not an iCalendar file: it must start with BEGIN:VCALENDAR", 1)
    check_lines(text, str(path), lambda message: CalendarError(path, message.split(": ", 1)[1], int(message.split(": ", 1)[0].rsplit(":", 1)[1])))
    _check_component_sizes(text, path)
    for alias, zone in (tz_aliases or {}).items():
        # Before parsing: icalendar silently reads an unknown TZID as floating time.
        text = text.replace(f"TZID={alias}:", f"TZID={zone}:").replace(f'TZID="{alias}"', f'TZID="{zone}"').replace(f"TZID={alias};", f"TZID={zone};")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export = _parse(text, path, start, end, default_tz, owner_email, expansion_cache)
    for warning in caught:
        message = f"{path}: {warning.message}"
        if message not in export.warnings:
            export.warnings.append(message)
    return export


def _check_component_sizes(text: str, path) -> None:
    """One pass before icalendar: no component holds more than MAX_COMPONENT_PROPERTIES
    properties. icalendar reads about half a megabyte a second; a mutated 1.7 MB file of
    145,000 properties in one event took 5 s to be refused (found by the fuzz run)."""
    counts: list[int] = [0]
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line[0] in " \t":
            continue  # a folded continuation is part of the property above
        head = line[:6].upper()
        if head.startswith("BEGIN:"):
            counts.append(0)
        elif head.startswith("END:"):
            if len(counts) > 1:
                counts.pop()
        else:
            counts[-1] += 1
            if counts[-1] > MAX_COMPONENT_PROPERTIES:
                raise CalendarError(path, f"a component with more than {MAX_COMPONENT_PROPERTIES:,} properties (the limit)", number)


def _parse(text, path, start, end, default_tz, owner_email, expansion_cache) -> CalendarExport:
    cache = expansion_cache if expansion_cache is not None else {}
    loaded = _load_shared(text, cache)
    if loaded is None:
        # The careful path: icalendar on the whole file, so every problem is reported with its line.
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except Exception as error:  # icalendar raises ValueError, and on some malformed lines TypeError or KeyError
            raise CalendarError(path, f"not a valid iCalendar file: {_short(error)}", _line_of_error(text, str(error))) from error
        calendars = [c for c in calendars if c.name == "VCALENDAR"]
        if not calendars:
            raise CalendarError(path, "no VCALENDAR in the file", 1)
        cal = calendars[0]
        parsed = [c for calendar in calendars for c in calendar.walk() if c.name in ("VTIMEZONE", "VEVENT")]
    else:
        cal, parsed = loaded
    shared = loaded is not None
    checked = cache.setdefault("checked", set())
    name = _text(cal.get("X-WR-CALNAME")) or None
    wr_tz = _text(cal.get("X-WR-TIMEZONE")) or None
    if wr_tz and _zone(wr_tz) is None:
        raise CalendarError(path, f"unknown time zone '{wr_tz}' in X-WR-TIMEZONE", _find_line(text, "X-WR-TIMEZONE"))
    floating_zone = _zone(wr_tz) if wr_tz else _zone(default_tz)
    if floating_zone is None:
        raise CalendarError(path, f"unknown default time zone '{default_tz}' (meetings.timezone)")

    events: dict[str, list] = {}
    defined_tz: set[str] = set()
    vtimezones = []
    for component in parsed:
        if component.name == "VTIMEZONE":
            defined_tz.add(_text(component.get("TZID")))
            vtimezones.append(component)
        elif component.name == "VEVENT":
            if not (shared and id(component) in checked):
                _check_event(component, path, text, defined_tz)
                if shared:
                    checked.add(id(component))
            uid = _text(component.get("UID")) or _synthetic_uid(component)
            events.setdefault(uid, []).append(component)
    # Zones may be defined after the events that use them; check names once all are known.
    for components in events.values():
        for component in components:
            _check_zones(component, path, text, defined_tz)

    export = CalendarExport(
        path=path,
        name=name,
        owner_email=(owner_email or _owner_from(name, path)),
        timezone=wr_tz,
        window=(start, end),
    )
    # Parsed once per import, shared components are the same objects in every file: their ids
    # identify them. Components parsed file by file are compared by their timing properties.
    if shared:
        tz_signature = (tuple(sorted(id(c) for c in vtimezones)), wr_tz, str(default_tz))
    else:
        tz_signature = hashlib.sha1(b"".join(sorted(c.to_ical() for c in vtimezones)) + (wr_tz or "").encode() + str(default_tz).encode()).hexdigest()
    # Floating and all-day times may be up to 14 hours either side of UTC: pad the query, filter exactly after.
    span_start = dt.datetime.fromtimestamp(start, UTC) - dt.timedelta(days=2)
    span_end = dt.datetime.fromtimestamp(end, UTC) + dt.timedelta(days=2)
    began = time.monotonic()
    skipped = cache.setdefault("skipped", {})
    for uid, components in events.items():
        if time.monotonic() - began > CALENDAR_TIME_BUDGET:
            raise CalendarError(path, f"expanding the events took over {CALENDAR_TIME_BUDGET:g} s (the limit per file); stopped at event {uid!r}", _event_line(text, uid))
        if len(export.occurrences) > MAX_OCCURRENCES_PER_FILE:
            raise CalendarError(path, f"over {MAX_OCCURRENCES_PER_FILE:,} occurrences in the window (the limit per file); stopped at event {uid!r}", _event_line(text, uid))
        if shared:
            signature = ("ids", uid, tz_signature, tuple(id(c) for c in components), start, end)
        else:
            signature = (uid, tz_signature, tuple(_timing(c) for c in components), start, end)
        if signature in skipped:
            export.warnings.append(f"{path}:{_event_line(text, uid) or 1}: {skipped[signature]}")
            continue
        group = cache.get(signature)
        if group is None:
            master = next((c for c in components if "RECURRENCE-ID" not in c), components[0])
            is_recurring = any(("RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c) for c in components)
            try:
                bounded, refusal = _bounded_series(components, master, span_start, span_end)
                if refusal is None:
                    expanded = _expand(uid, bounded, vtimezones, cal, span_start, span_end, floating_zone, is_recurring)
                    in_window = sum(1 for occurrence in expanded if start <= occurrence[0] < end)
                    if in_window > MAX_OCCURRENCES_PER_EVENT:
                        refusal = f"{in_window:,} occurrences in the window, over the limit of {MAX_OCCURRENCES_PER_EVENT:,} per event"
            except Exception as error:  # recurring-ical-events raises many kinds on malformed rules
                raise CalendarError(path, f"cannot expand event {uid!r}: {_short(error)}", _event_line(text, uid)) from error
            if refusal is not None:
                skipped[signature] = f"event {uid!r} ({_text(master.get('SUMMARY'))[:80] or 'no summary'}) skipped: {refusal}"
                export.warnings.append(f"{path}:{_event_line(text, uid) or 1}: {skipped[signature]}")
                continue
            rrule = master.get("RRULE")
            group = cache[signature] = (
                expanded,
                is_recurring,
                _text(master.get("SUMMARY")),
                (rrule[0] if isinstance(rrule, list) else rrule).to_ical().decode() if rrule is not None else None,
                _tzid_of(master.get("DTSTART")),
            )
        expanded, is_recurring, series_summary, rrule_text, tzid = group
        details = cache.setdefault("details", {})
        for occ_start, occ_end, all_day, rid, source_index, is_moved in expanded:
            # An occurrence belongs to the window its start falls in: re-imports replace exactly that.
            if not start <= occ_start < end:
                continue
            source = components[source_index]
            about = details.get(id(source))
            if about is None:
                # Shared by every occurrence of the component, in every export that carries it: parse attendees once.
                about = details[id(source)] = (
                    _text(source.get("SUMMARY")),
                    (_text(source.get("STATUS")) or "").upper() or None,
                    (_text(source.get("TRANSP")) or "").upper() == "TRANSPARENT",
                    _organizer(source),
                    _attendees(source),
                    source,  # keeps id() unique while cached
                )
            summary, status, transparent, organizer, attendees, _ = about
            if status == "CANCELLED":
                export.cancelled.add((uid, rid))
                continue
            export.occurrences.append(
                EventOccurrence(
                    uid=uid,
                    recurrence_id=rid,
                    summary=summary,
                    start=occ_start,
                    end=occ_end,
                    all_day=all_day,
                    status=status,
                    transparent=transparent,
                    is_moved=is_moved,
                    organizer=organizer,
                    attendees=attendees,
                    is_recurring=is_recurring,
                    series_summary=series_summary,
                    rrule=rrule_text,
                    tzid=tzid,
                )
            )
    export.occurrences.sort(key=lambda o: (o.start, o.uid, o.recurrence_id))
    return export


# -- expansion ------------------------------------------------------------------

# Rule periods of a fixed length on the wall clock: a series can be moved forward by whole periods.
FIXED_PERIOD = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86_400, "WEEKLY": 604_800}
APPROX_PERIOD = {**FIXED_PERIOD, "MONTHLY": 2_629_746, "YEARLY": 31_556_952}
DAYS_PER_PERIOD = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7}
DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")
FREQ_ORDER = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def _bounded_series(components, master, span_start, span_end):
    """(components to expand, None), or (None, why the series is refused).

    dateutil walks a rule from its DTSTART, period by period, and
    recurring-ical-events asks it to cache every step: a FREQ=SECONDLY rule
    from 1970 walks 1.7 billion seconds before the window. A rule whose periods
    have a fixed length is moved forward by whole periods to just before the
    window (its occurrences are the same instants; COUNT is lowered by the
    periods skipped); what would still take more than MAX_EXPANSION_STEPS
    steps is refused, and the caller names the event in a warning.
    """
    length = _length(master)
    if length is not None and abs(length) > dt.timedelta(days=MAX_EVENT_DAYS):
        # A DTEND centuries away makes the recurrence library look back that far for every occurrence.
        return None, f"it lasts {abs(length).days:,} days, over the limit of {MAX_EVENT_DAYS} for one event"
    rules = master.get("RRULE")
    if rules is None and master.get("EXRULE") is None:
        return components, None
    rules = [] if rules is None else (rules if isinstance(rules, list) else [rules])
    exrules = master.get("EXRULE")
    exrules = [] if exrules is None else (exrules if isinstance(exrules, list) else [exrules])
    begin = master["DTSTART"].dt
    begin_utc = _as_utc(begin)
    shift = dt.timedelta(0)
    if len(rules) == 1 and not exrules:
        rule = rules[0]
        freq = _part(rule, "FREQ")
        interval = max(int(_part(rule, "INTERVAL") or 1), 1)
        count = _part(rule, "COUNT")
        period = FIXED_PERIOD.get(str(freq).upper()) if freq else None
        filtered = any(key in rule for key in (*DAY_PARTS, "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS"))
        if period and (count is None or not filtered):
            period *= interval
            if not isinstance(begin, dt.datetime) and period % 86_400:
                period = 0  # an all-day series moves by whole days only
            skip = int((span_start - begin_utc).total_seconds() // period) - 2 if period else 0
            if skip > 0 and count is not None:
                skip = min(skip, int(count) - 1)  # a series that ends before the window keeps its last occurrence
            if skip > 0:
                shift = dt.timedelta(seconds=skip * period)
                moved = _moved(master, shift, None if count is None else int(count) - skip)
                components = [moved if c is master else c for c in components]
    steps = sum(_steps(rule, begin_utc + shift, span_end) for rule in [*rules, *exrules])
    if steps > MAX_EXPANSION_STEPS:
        described = "; ".join(_rule_text(r) for r in rules[:2])
        return None, f"its rule {described[:120]} would walk about {steps:,} periods to reach the end of the window, over the limit of {MAX_EXPANSION_STEPS:,}"
    return components, None


def _length(component) -> dt.timedelta | None:
    """DTEND - DTSTART (or DURATION). It may be negative: recurring-ical-events swaps an end
    written before the start (its issue 132, seen in real exports), and so do we."""
    begin = component["DTSTART"].dt
    if "DTEND" in component:
        return _as_utc(component["DTEND"].dt) - _as_utc(begin)
    if "DURATION" in component and isinstance(component["DURATION"].dt, dt.timedelta):
        return component["DURATION"].dt
    return None


def _part(rule, name):
    value = rule.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _rule_text(rule) -> str:
    try:
        return rule.to_ical().decode("ascii", "replace")
    except Exception:  # noqa: BLE001 - only for a message
        return str(dict(rule))


def _as_utc(value) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # floating: within 14 hours, and the walk keeps two periods' margin
    return value.astimezone(UTC)


def _steps(rule, begin: dt.datetime, span_end: dt.datetime) -> int:
    """An upper bound of the steps dateutil takes for ``rule`` from ``begin`` to the window's end."""
    freq = str(_part(rule, "FREQ") or "").upper()
    if freq not in APPROX_PERIOD:
        return 0  # recurring-ical-events refuses it; that is reported as a bad rule
    interval = max(int(_part(rule, "INTERVAL") or 1), 1)
    stop = span_end
    until = _part(rule, "UNTIL")
    if until is not None:
        try:
            stop = min(stop, _as_utc(until))
        except (TypeError, ValueError, OverflowError):
            pass
    periods = max(int((stop - begin).total_seconds() // (APPROX_PERIOD[freq] * interval)) + 2, 1)
    count = _part(rule, "COUNT")
    if count is not None and not any(key in rule for key in (*DAY_PARTS, "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS")):
        periods = min(periods, max(int(count), 1))
    rank = FREQ_ORDER.index(freq)
    per_period = 1
    if freq in DAYS_PER_PERIOD and any(key in rule for key in DAY_PARTS):
        per_period *= DAYS_PER_PERIOD[freq]
    for key, unit in (("BYHOUR", "HOURLY"), ("BYMINUTE", "MINUTELY"), ("BYSECOND", "SECONDLY")):
        values = rule.get(key)
        if values and rank > FREQ_ORDER.index(unit):
            per_period *= len(values) if isinstance(values, list) else 1
    return periods * per_period


def _moved(master, shift: dt.timedelta, count: int | None):
    """A copy of the series' master moved forward by ``shift`` (DTSTART, DTEND; COUNT lowered)."""
    import copy

    from icalendar.prop import vDDDTypes

    moved = copy.copy(master)  # the cached master is shared by every export: never edited in place
    for name in ("DTSTART", "DTEND"):
        if name in master:
            old = master[name]
            value = old.dt + shift
            new = vDDDTypes(value)
            new.params = copy.copy(old.params)
            moved[name] = new
    if count is not None:
        rule = copy.deepcopy(master["RRULE"])
        rule["COUNT"] = [max(count, 1)]
        moved["RRULE"] = rule
    return moved


def _expand(uid, components, vtimezones, cal, span_start, span_end, floating_zone, is_recurring):
    """[(start, end, all_day, recurrence_id, index of the source component, is_moved)] for one UID."""
    mini = icalendar.Calendar()
    for key in ("VERSION", "PRODID", "X-WR-TIMEZONE"):
        if key in cal:
            mini[key] = cal[key]
    for tz in vtimezones:
        mini.add_component(tz)
    # A VEVENT nested inside this one (a mangled export) is an event of its own, bounded on its own:
    # left inside, recurring-ical-events would walk it here, unbounded (the fuzzer's FREQ=SECONDLY hang).
    flat = [_without_bare_times(_without_nested(c)) for c in components]
    for component in flat:
        mini.add_component(component)
    position = {id(c): i for i, c in enumerate(flat)}
    this_and_future = {
        i: _delta(c) for i, c in enumerate(components) if "RECURRENCE-ID" in c and str(c["RECURRENCE-ID"].params.get("RANGE", "")).upper() == "THISANDFUTURE"
    }
    core_index = next((i for i, c in enumerate(components) if "RECURRENCE-ID" not in c), 0)
    query = recurring_ical_events.of(mini, keep_recurrence_attributes=True)
    out = []
    seen = set()
    for begin, finish, index in _occurrences(query, span_start, span_end, components, position, core_index):
        finish = begin if finish is None else finish
        all_day = not isinstance(begin, dt.datetime)
        start_epoch = _epoch(begin, floating_zone)
        end_epoch = _epoch(finish, floating_zone)
        source = components[index]
        if not is_recurring:
            rid, moved = "", False
        else:
            if index in this_and_future:
                # Instances after a THISANDFUTURE edit carry the edit's RECURRENCE-ID: undo the shift.
                original = begin - this_and_future[index]
            elif "RECURRENCE-ID" in source:
                original = source["RECURRENCE-ID"].dt
            else:
                original = begin
            rid = _rid_key(original, all_day, floating_zone)
            moved = (not all_day) and _epoch(original, floating_zone) != start_epoch
            if rid in seen:
                continue
        seen.add(rid)
        out.append((start_epoch, max(end_epoch, start_epoch), all_day, rid, index, moved))
    return out


_CALENDAR_OBJECTS = ("VCALENDAR", "VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE")


def _without_nested(component):
    """``component`` without calendar objects nested in it (a VALARM stays); a shallow copy when it has any."""
    if not any(sub.name in _CALENDAR_OBJECTS for sub in component.subcomponents):
        return component
    import copy

    flat = copy.copy(component)  # shared, cached components are never edited in place
    flat.subcomponents = [sub for sub in component.subcomponents if sub.name not in _CALENDAR_OBJECTS]
    return flat


def _without_bare_times(component):
    """``component`` without RDATE/EXDATE values that are a time of day with no date (VALUE=TIME):
    they name no day, and recurring-ical-events turns them into a rule it walks without end
    (a 700-byte file hung the import; found by the fuzzer)."""
    def bare(prop) -> bool:
        values = prop if isinstance(prop, list) else [prop]
        return any(isinstance(getattr(v, "dt", None), dt.time) for p in values for v in getattr(p, "dts", []))

    names = [name for name in ("RDATE", "EXDATE") if name in component and bare(component[name])]
    if not names:
        return component
    import copy

    cleaned = copy.copy(component)  # shared, cached components are never edited in place
    for name in names:
        del cleaned[name]
    return cleaned


def _occurrences(query, span_start, span_end, components, position, core_index):
    """(start, end, index of the source component) for each occurrence in the span.

    recurring-ical-events' public ``between()`` deep-copies a component per
    occurrence, which is most of the cost over a year of calendars; its
    ``Occurrence`` objects carry the same start, end and source. We use them
    when this version has them, and the public API otherwise
    (tests/meetings/test_calendar_real.py checks both agree).
    """
    try:
        found = query._occurrences_between(span_start, span_end)
        return [(o.start, o.end, position[id(o._adapter._component)]) for o in found]
    except (AttributeError, KeyError, TypeError):
        return list(_public_occurrences(query, span_start, span_end, components, core_index))


def _public_occurrences(query, span_start, span_end, components, core_index):
    # A moved instance shares its RECURRENCE-ID object with its source component: map back by identity.
    by_rid = {id(c.get("RECURRENCE-ID")): i for i, c in enumerate(components) if "RECURRENCE-ID" in c}
    for occurrence in query.between(span_start, span_end):
        begin = occurrence["DTSTART"].dt
        finish = occurrence["DTEND"].dt if "DTEND" in occurrence else None
        yield begin, finish, by_rid.get(id(occurrence.get("RECURRENCE-ID")), core_index)


def _delta(component) -> dt.timedelta:
    begin = component["DTSTART"].dt
    original = component["RECURRENCE-ID"].dt
    if isinstance(begin, dt.datetime) != isinstance(original, dt.datetime):
        begin = begin if isinstance(begin, dt.datetime) else dt.datetime(begin.year, begin.month, begin.day)
        original = original if isinstance(original, dt.datetime) else dt.datetime(original.year, original.month, original.day)
    if (getattr(begin, "tzinfo", None) is None) != (getattr(original, "tzinfo", None) is None):
        begin, original = begin.replace(tzinfo=None), original.replace(tzinfo=None)
    return begin - original


def _epoch(value, zone) -> int:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return int(value.timestamp())


def _rid_key(value, all_day: bool, zone) -> str:
    if all_day or not isinstance(value, dt.datetime):
        day = value.date() if isinstance(value, dt.datetime) else value
        return day.strftime("%Y%m%d")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _timing(component) -> tuple:
    parts = []
    for name in TIMING_PROPERTIES:
        value = component.get(name)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            parts.append((name, tuple(sorted((k, str(v)) for k, v in item.params.items())) if hasattr(item, "params") else (), item.to_ical() if hasattr(item, "to_ical") else str(item)))
    return tuple(parts)


# -- loading, shared across the exports of one import -------------------------------------

def _load_shared(text: str, cache: dict):
    """(calendar header, [VTIMEZONE and VEVENT components]) or None to take the careful path.

    The same event sits in every attendee's export, byte for byte apart from
    DTSTAMP (the export time): each distinct VEVENT is parsed once per import.
    Anything unusual (an unterminated block, a property icalendar flags)
    returns None and the whole file is parsed, and reported on, line by line.
    """
    header: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    kind = ""
    for line in text.splitlines():
        token = line.strip().upper()
        if current is None:
            if token.startswith("BEGIN:") and token != "BEGIN:VCALENDAR":
                current, kind = [line], token[6:]
            else:
                header.append(line)
        else:
            current.append(line)
            if token == "END:" + kind:
                blocks.append((kind, current))
                current = None
    if current is not None:
        return None
    parsed_blocks = cache.setdefault("blocks", {})
    headers = cache.setdefault("headers", {})
    header_text = "\r\n".join(header)
    calendars = headers.get(header_text)
    if calendars is None:
        try:
            calendars = icalendar.Calendar.from_ical(header_text, multiple=True)
        except Exception:  # noqa: BLE001 - the careful path below names what is wrong, with its line
            return None
        calendars = headers[header_text] = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars or any(getattr(c, "errors", None) for c in calendars):
        return None
    out = []
    for kind, lines in blocks:
        if kind not in ("VEVENT", "VTIMEZONE"):
            continue
        key = "\n".join(line for line in lines if not line.upper().startswith("DTSTAMP"))
        component = parsed_blocks.get(key)
        if component is None:
            try:
                component = icalendar.Component.from_ical("\r\n".join(lines))
            except Exception:  # noqa: BLE001 - ValueError, and OSError for a TZID naming a folder of zoneinfo ("Europe")
                return None
            if any(getattr(c, "errors", None) for c in component.walk()):
                return None
            parsed_blocks[key] = component
        out.append(component)
    return calendars[0], out


# -- people -------------------------------------------------------------------

def _address(value) -> tuple[str, str]:
    raw = str(value).strip()
    if raw.lower().startswith("mailto:"):
        raw = raw[7:]
    name = str(value.params.get("CN", "")).strip().strip('"') if hasattr(value, "params") else ""
    return raw.strip().lower(), name


def _organizer(component) -> Attendee | None:
    value = component.get("ORGANIZER")
    if value is None:
        return None
    email, name = _address(value)
    if not email and not name:
        return None
    return Attendee(email=email, name=name, response="ACCEPTED")


def _attendees(component) -> list[Attendee]:
    values = component.get("ATTENDEE")
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    out: dict[str, Attendee] = {}
    for value in values:
        params = getattr(value, "params", {})
        if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in NOT_PEOPLE:
            continue
        email, name = _address(value)
        if not email and not name:
            continue
        out[email or name.casefold()] = Attendee(
            email=email,
            name=name,
            response=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            optional=str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
        )
    return list(out.values())


def _owner_from(name: str | None, path: Path) -> str | None:
    """Google names an export after its owner's address; otherwise a file named after one."""
    for candidate in (name, path.stem, path.name):
        if candidate and EMAIL.match(candidate.strip()):
            return candidate.strip().lower()
    return None


# -- validation and locating lines --------------------------------------------

def _check_event(component, path, text, defined_tz) -> None:
    uid = _text(component.get("UID"))
    errors = getattr(component, "errors", None)
    if errors:
        prop, message = errors[0]
        line = _find_line(text, prop, within_uid=uid) if prop else _line_of_error(text, message)
        raise CalendarError(path, f"bad {prop or 'content line'} in event {uid or '(no UID)'}: {message}", line)
    if "DTSTART" not in component:
        raise CalendarError(path, f"event {uid or '(no UID)'} has no DTSTART", _event_line(text, uid))
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DURATION"):
        if isinstance(component.get(name), list):
            raise CalendarError(path, f"{name} appears {len(component[name])} times in event {uid or '(no UID)'}", _find_line(text, name, within_uid=uid))
        if name in component:
            try:
                component[name].dt
            except Exception as error:
                raise CalendarError(path, f"bad {name} in event {uid or '(no UID)'}: {error}", _find_line(text, name, within_uid=uid)) from error


def _check_zones(component, path, text, defined_tz) -> None:
    uid = _text(component.get("UID"))
    for name in TZ_PROPERTIES:
        value = component.get(name)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            tzid = getattr(item, "params", {}).get("TZID")
            if tzid and tzid not in defined_tz and _zone(tzid) is None:
                raise CalendarError(
                    path,
                    f"unknown time zone '{tzid}' in {name} of event {uid or '(no UID)'}: no VTIMEZONE in the file defines it and it is "
                    f"neither an IANA nor a Windows zone name (map it in foundermode.toml: [meetings.tz_aliases] \"{tzid}\" = \"Europe/Berlin\")",
                    _find_line(text, f"TZID={tzid}") or _find_line(text, f'TZID="{tzid}"') or _find_line(text, name, within_uid=uid),
                )


def _zone(name: str | None):
    if not name:
        return None
    try:
        zone = tzp.timezone(name)
    except Exception:
        zone = None
    if zone is not None:
        return zone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of the zone database
        return None


def zone_for(name: str | None):
    """A tzinfo for an IANA or Windows zone name, or None."""
    return _zone(name)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded content lines with the physical line each starts on."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line[1:])
        else:
            out.append((number, line))
    return out


def _find_line(text: str, needle: str, within_uid: str | None = None) -> int | None:
    lines = _logical_lines(text)
    if within_uid:
        start = _event_line(text, within_uid)
        if start:
            for number, line in lines:
                if number < start:
                    continue
                if line.upper().startswith("END:VEVENT"):
                    break
                if line.upper().startswith(needle.upper()) or needle in line:
                    return number
    for number, line in lines:
        if line.upper().startswith(needle.upper()) or needle in line:
            return number
    return None


def _event_line(text: str, uid: str | None) -> int | None:
    """The BEGIN:VEVENT line of the (first) event with this UID."""
    begin = None
    for number, line in _logical_lines(text):
        upper = line.upper()
        if upper.startswith("BEGIN:VEVENT"):
            begin = number
        elif begin and uid and upper.startswith("UID") and line.split(":", 1)[-1].strip() == uid:
            return begin
        elif begin and not uid and upper.startswith("END:VEVENT"):
            return begin
    return None


def _line_of_error(text: str, message: str) -> int | None:
    """icalendar quotes the content line it could not parse; find it in the file."""
    for quoted in re.findall(r"'([^']+)'", message):
        for number, line in _logical_lines(text):
            if line == quoted or (len(quoted) > 3 and quoted in line):
                return number
    return None


def _line_of_offset(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _tzid_of(prop) -> str | None:
    if prop is None:
        return None
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    if tzid:
        return str(tzid)
    value = getattr(prop, "dt", None)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return str(value.tzinfo)
    return None


def _short(error: Exception) -> str:
    """One line of a library's error, bounded: its text may quote a whole content line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _synthetic_uid(component) -> str:
    """Some exports omit UID: one made from the event's content still dedupes identical copies."""
    # A property may repeat (two SUMMARY lines parse as a list): every value counts, in file order.
    values = [value for name in ("DTSTART", "SUMMARY") if name in component
              for value in (component[name] if isinstance(component[name], list) else [component[name]])]
    digest = hashlib.sha1(b"".join(value.to_ical() if hasattr(value, "to_ical") else str(value).encode() for value in values)).hexdigest()[:16]
    return f"no-uid-{digest}"


__all__ = ["CalendarError", "CalendarExport", "EventOccurrence", "Attendee", "read_calendar", "parse_calendar", "calendar_files", "default_window", "zone_for"]
