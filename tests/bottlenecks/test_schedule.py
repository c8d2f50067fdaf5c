"""The call: the first common free 30-minute slot within the next working day."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from foundermode.bottlenecks.intake import report
from foundermode.bottlenecks.resources import WorkingHours
from foundermode.bottlenecks.schedule import first_common_slot
from foundermode.sources.identities import IdentityResolver
from foundermode.store.schema_bottlenecks import escalations
from foundermode.store.schema_meetings import attendance, meetings, occurrences

from .conftest import MONDAY

UTC = WorkingHours()


def at(day: int, hour: int, minute: int = 0, zone=dt.timezone.utc) -> int:
    return int(dt.datetime(2024, 3, day, hour, minute, tzinfo=zone).timestamp())


def test_first_free_slot_for_everyone():
    busy = {1: [(at(11, 10), at(11, 12))], 2: [(at(11, 12), at(11, 13))]}
    slot = first_common_slot(busy, UTC, at(11, 9, 50))
    assert (slot.start, slot.end, slot.busy) == (at(11, 13), at(11, 13, 30), ())


def test_starts_on_the_next_half_hour_and_skips_the_weekend():
    assert first_common_slot({}, UTC, at(11, 10, 5)).start == at(11, 10, 30)
    assert first_common_slot({}, UTC, at(15, 17, 0)).start == at(18, 9)  # Friday evening -> Monday 09:00
    assert first_common_slot({}, UTC, at(16, 12)).start == at(18, 9)  # Saturday


def test_working_hours_are_in_the_configured_time_zone():
    paris = WorkingHours(tz="Europe/Paris")
    slot = first_common_slot({}, paris, at(11, 7, 0))  # 08:00 in Paris
    assert slot.start == at(11, 8, 0)  # 09:00 in Paris


def test_nobody_free_takes_the_slot_with_fewest_conflicts():
    whole_days = [(at(11, 0), at(13, 0))]
    busy = {1: whole_days, 2: whole_days, 3: [(at(11, 10), at(11, 16))]}
    slot = first_common_slot(busy, UTC, at(11, 10))
    assert slot.busy == (1, 2) and slot.start == at(11, 16)


def test_escalation_books_around_ingested_calendars(store, config):
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        grace = resolver.person_for("Grace Hopper", "grace@example.com", source="manual")
        ada = resolver.person_for("Ada", "ada@example.com", source="manual")
        meeting = conn.execute(insert(meetings).values(uid="m1", summary="planning", is_recurring=False, source="calendar", created_at=MONDAY, updated_at=MONDAY).returning(meetings.c.id)).scalar_one()
        for start, end, transparent in [(at(11, 10), at(11, 11, 30), False), (at(11, 11, 30), at(11, 12, 0), True)]:
            occurrence = conn.execute(insert(occurrences).values(
                meeting_id=meeting, recurrence_id=str(start), start=start, end=end, all_day=False, transparent=transparent,
                attendee_count=2, is_meeting=True, updated_at=MONDAY).returning(occurrences.c.id)).scalar_one()
            conn.execute(insert(attendance).values(occurrence_id=occurrence, person_id=grace, response="ACCEPTED"))
            conn.execute(insert(attendance).values(occurrence_id=occurrence, person_id=ada, response="DECLINED"))
    report(store, config, text="GPU cluster is down", by="ada@example.com", now=MONDAY)
    report(store, config, text="the GPU cluster is down for everyone", by="bob@example.com", now=MONDAY)
    with store.read() as conn:
        start, end = conn.execute(select(escalations.c.call_start, escalations.c.call_end)).one()
    # Grace is busy 10:00-11:30; her 11:30 entry is marked free (transparent); Ada declined, so she is free
    assert (start, end) == (at(11, 11, 30), at(11, 12, 0))


def test_outside_ones_own_working_hours_is_busy():
    from zoneinfo import ZoneInfo

    from foundermode.bottlenecks.schedule import off_hours, with_own_hours

    new_york = ZoneInfo("America/New_York")  # UTC-4 on Monday 11 March 2024 (DST began the day before)
    gaps = off_hours(UTC, new_york, at(11, 9), at(11, 17))
    assert gaps == [(at(11, 9), at(11, 13))]  # 05:00-09:00 in New York
    # Friday evening to Monday morning in New York: all of it off
    assert off_hours(UTC, new_york, at(15, 21), at(18, 13)) == [(at(15, 21), at(18, 13))]
    busy = with_own_hours({1: [(at(11, 14), at(11, 15))], 2: []}, UTC, {1: new_york, 2: ZoneInfo("UTC"), 3: None}, at(11, 9), at(11, 17))
    assert busy == {1: [(at(11, 9), at(11, 13)), (at(11, 14), at(11, 15))], 2: []}
    slot = first_common_slot(busy, UTC, at(11, 9))
    assert (slot.start, slot.busy) == (at(11, 13), ())  # the first half hour in everyone's working day


def test_a_persons_zone_settings_first_then_their_calendar(store, write_config):
    from foundermode.meetings.load import MeetingSettings, zones_of
    from foundermode.store.schema_meetings import calendars

    config = write_config('[meetings]\ntimezone = "Europe/Paris"\n\n[meetings.timezones]\n"ada@example.com" = "America/New_York"\n')
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        ada, bob, cy = (resolver.person_for(n, f"{n}@example.com", source="manual") for n in ("ada", "bob", "cy"))
        for person_id, zone in ((ada, "Asia/Tokyo"), (bob, "Asia/Tokyo"), (cy, None)):
            conn.execute(insert(calendars).values(key=f"k{person_id}", person_id=person_id, path="x.ics", timezone=zone, occurrence_count=0, imported_at=MONDAY))
    with store.read() as conn:
        zones = zones_of(conn, [ada, bob, cy], MeetingSettings.from_config(config))
    assert zones == {ada: "America/New_York", bob: "Asia/Tokyo", cy: "Europe/Paris"}
