"""Times and durations for people: "3 h ago", "Mon 09:00 CET", "2 h 30 min".

The one place the web (and anything else shown to a person) turns epoch seconds or
ISO 8601 strings into words. Machine formats (JSON, CSV) keep ISO 8601 and plain
numbers: see ``iso`` here, used by the exports.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc


def zone(name: str | None) -> dt.tzinfo:
    """The viewer's zone by IANA name (``Europe/Paris``); UTC when unknown or not given."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def to_datetime(value) -> dt.datetime | None:
    """Epoch seconds, an ISO 8601 string or a datetime, as an aware datetime (None if it is none of them)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def iso(value) -> str | None:
    """ISO 8601 in UTC (``2026-12-04T20:50:29+00:00``), for machines."""
    moment = to_datetime(value)
    return moment.astimezone(UTC).isoformat() if moment else None


def duration(seconds) -> str:
    """Seconds in words: "45 s", "20 min", "2 h 30 min", "3 days", "5 weeks".

    >>> duration(7200), duration(9000), duration(90), duration(3 * 86400)
    ('2 h', '2 h 30 min', '2 min', '3 days')
    """
    if seconds is None:
        return "–"
    s = abs(int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return f"{h} h" + (f" {m} min" if m else "")
    days = round(s / 86400)
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30)} months" if days < 730 else f"{days / 365:.1f} years".replace(".0 ", " ")


def relative(value, now) -> str:
    """ "3 h ago", "in 20 min", "just now"."""
    moment, current = to_datetime(value), to_datetime(now)
    if moment is None or current is None:
        return "–"
    delta = (current - moment).total_seconds()
    if abs(delta) < 60:
        return "just now"
    return f"{duration(delta)} ago" if delta > 0 else f"in {duration(delta)}"


def clock(value, tz: dt.tzinfo = UTC, now=None) -> str:
    """ "Mon 09:00 CET" within a week of ``now``, else "Mon 9 Nov 09:00 CET" (or with the year when it differs)."""
    moment = to_datetime(value)
    if moment is None:
        return "–"
    local = moment.astimezone(tz)
    name = local.tzname() or "UTC"
    current = to_datetime(now)
    if current is not None and abs((current - moment).total_seconds()) < 6 * 86400:
        return f"{local:%a %H:%M} {name}"
    if current is not None and current.astimezone(tz).year != local.year:
        return f"{local:%a} {local.day} {local:%b %Y %H:%M} {name}"
    return f"{local:%a} {local.day} {local:%b %H:%M} {name}"


def when(value, now=None, tz: dt.tzinfo = UTC) -> str:
    """A moment for a person: "Wed 10:00 UTC (3 h ago)"."""
    moment = to_datetime(value)
    if moment is None:
        return "–"
    text = clock(moment, tz, now)
    return f"{text} ({relative(moment, now)})" if now is not None else text


def day(value, tz: dt.tzinfo = UTC) -> str:
    """A date for a person: "Fri 4 Dec 2026"."""
    moment = to_datetime(value)
    if moment is None:
        return "–"
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y}"
