"""Call invites: an iCalendar REQUEST that calendar clients offer to accept."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from foundermode.notify.invite import build_invite

START = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)


def test_invite_round_trips_through_icalendar():
    text = build_invite(
        uid="esc-7@foundermode",
        summary="GPU cluster: blocked twice",
        description="Ada and Grace are blocked on the GPU cluster.",
        start=START,
        end=START + timedelta(minutes=30),
        organizer=("Leader", "leader@example.com"),
        attendees=[("Owner Person", "owner@example.com"), ("Ada", "ada@example.com")],
        sequence=2,
    )
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "esc-7@foundermode"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=30)
    assert "DTSTART:20261124T153000Z" in text
    assert int(event["SEQUENCE"]) == 2
    assert "DTSTAMP" in event
    assert str(event["ORGANIZER"]) == "mailto:leader@example.com"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:owner@example.com", "mailto:ada@example.com"]
    for attendee, name in zip(attendees, ["Owner Person", "Ada"]):
        assert attendee.params["CN"] == name
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"


def test_local_times_are_written_in_utc():
    paris = timezone(timedelta(hours=1))
    text = build_invite(uid="u", summary="s", description="", start=datetime(2026, 11, 24, 16, 30, tzinfo=paris),
                        end=datetime(2026, 11, 24, 17, 0, tzinfo=paris), organizer=("L", "l@example.com"), attendees=[])
    assert "DTSTART:20261124T153000Z" in text and "DTEND:20261124T160000Z" in text


def test_end_before_start_is_refused():
    with pytest.raises(ValueError):
        build_invite(uid="u", summary="s", description="", start=START, end=START, organizer=("L", "l@example.com"), attendees=[])
