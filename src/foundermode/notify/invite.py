"""Call invites as iCalendar requests (RFC 5545 / iTIP RFC 5546).

METHOD:REQUEST with the attendees marked RSVP=TRUE is what makes Gmail,
Outlook and Apple Calendar show "accept / decline" instead of a plain file.
Re-sending the same UID with a higher SEQUENCE updates the event in place.
"""
from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//foundermode//escalation calls//EN"


def _utc(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC: the store keeps UTC epoch seconds.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _address(name: str, email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def build_invite(
    *,
    uid: str,
    summary: str,
    description: str,
    start: datetime,
    end: datetime,
    organizer: tuple[str, str],
    attendees: list[tuple[str, str]],
    sequence: int = 0,
    stamp: datetime | None = None,
    method: str = "REQUEST",
) -> str:
    """An iCalendar REQUEST (or CANCEL, with a higher ``sequence``) with one VEVENT; ``organizer`` and ``attendees`` are (name, email)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"an invite's method is REQUEST or CANCEL, not {method!r}")
    if _utc(end) <= _utc(start):
        raise ValueError("an invite must end after it starts")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(stamp or datetime.now(timezone.utc)).replace(microsecond=0))
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(end))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    event.add("sequence", int(sequence))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(organizer[0], organizer[1]), encode=0)
    for name, email in attendees:
        event.add(
            "attendee",
            _address(name, email, CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE"),
            encode=0,
        )
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
