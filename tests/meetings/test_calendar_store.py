"""Calendar exports into the store (SQLite and PostgreSQL): merging several people's
exports, idempotent and changed re-imports, all-or-nothing folders; then the
meeting-load analyses against figures worked out by hand in this file.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from foundermode.config import Config, ConfigError
from foundermode.meetings.calendars import CalendarError, import_calendars
from foundermode.meetings.load import (
    MeetingData,
    MeetingSettings,
    busy_intervals,
    focus_time,
    hours_per_person,
    hours_per_team,
    large_meetings,
    long_meetings,
    meeting_time_with,
    series_ranking,
    total_cost,
    weekly_trend,
)
from foundermode.sources.identities import find_person
from foundermode.store.schema import people
from foundermode.store.schema_meetings import attendance, calendar_occurrences, calendars, meetings, occurrences

try:
    from .calendar_helpers import ADA, BOB, CAT, DAN, OTHERS, all_hands, attendee, calendar, event, planning, sync_series, team_exports, write
except ImportError:  # collected without a package (rootdir-relative imports)
    from calendar_helpers import ADA, BOB, CAT, DAN, OTHERS, all_hands, attendee, calendar, event, planning, sync_series, team_exports, write

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
SINCE = int(dt.datetime(2024, 3, 4, tzinfo=UTC).timestamp())
UNTIL = int(dt.datetime(2024, 4, 1, tzinfo=UTC).timestamp())


def berlin(day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(2024, 3, day, hour, minute, tzinfo=BERLIN).timestamp())


def counts(store) -> dict:
    with store.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (meetings, occurrences, attendance, calendars, calendar_occurrences)}


def occurrence_rows(conn, uid: str) -> list:
    return conn.execute(
        select(occurrences).join(meetings, meetings.c.id == occurrences.c.meeting_id).where(meetings.c.uid == uid).order_by(occurrences.c.start)
    ).mappings().all()


def pid(conn, who: str) -> int:
    return find_person(conn, who)


@pytest.fixture
def imported(store, tmp_path):
    files = team_exports(tmp_path / "exports")
    result = import_calendars(store, [tmp_path / "exports"], since=SINCE, until=UNTIL)
    return store, result, files


def test_the_same_meeting_in_three_exports_is_stored_once(imported):
    store, result, _ = imported
    assert result.files == 3
    with store.read() as conn:
        sync = occurrence_rows(conn, "sync@example.com")
        assert [r["start"] for r in sync] == [berlin(4, 10), berlin(11, 10), berlin(19, 14), berlin(25, 10)]
        assert [r["is_moved"] for r in sync] == [False, False, True, False]
        assert sync[2]["recurrence_id"] == "20240318T090000Z"
        # Ada, Bob and Cat attend; Dan declined and is not counted.
        assert {r["attendee_count"] for r in sync} == {3} and all(r["is_meeting"] for r in sync)
        links = conn.execute(select(func.count()).select_from(calendar_occurrences).where(calendar_occurrences.c.occurrence_id == sync[0]["id"])).scalar_one()
        assert links == 3
        dan = conn.execute(select(attendance.c.response).where(attendance.c.occurrence_id == sync[0]["id"], attendance.c.person_id == pid(conn, DAN))).scalar_one()
        assert dan == "DECLINED"
        organizer = conn.execute(select(meetings.c.organizer_id).where(meetings.c.uid == "sync@example.com")).scalar_one()
        assert organizer == pid(conn, ADA)


def test_cancelled_personal_all_day_and_rooms(imported):
    store, _, _ = imported
    with store.read() as conn:
        planning = occurrence_rows(conn, "planning@example.com")
        assert [r["start"] for r in planning] == [berlin(6, 9), berlin(13, 9), berlin(27, 9)]
        lunch = occurrence_rows(conn, "lunch@example.com")
        assert [(r["attendee_count"], r["is_meeting"]) for r in lunch] == [(1, False)]
        offsite = occurrence_rows(conn, "offsite@example.com")
        assert len(offsite) == 1 and offsite[0]["all_day"] and not offsite[0]["is_meeting"]
        allhands = occurrence_rows(conn, "allhands@example.com")
        assert allhands[0]["attendee_count"] == 12  # the room is not a person
        assert conn.execute(select(func.count()).select_from(people).where(people.c.email == "room-1@example.com")).scalar_one() == 0


def test_a_person_own_export_decides_their_response(imported):
    store, _, _ = imported
    with store.read() as conn:
        one = occurrence_rows(conn, "one@example.com")
        assert len(one) == 4 and {r["attendee_count"] for r in one} == {2}
        cat = conn.execute(select(attendance.c.response, attendance.c.from_own_calendar).where(attendance.c.occurrence_id == one[0]["id"], attendance.c.person_id == pid(conn, CAT))).one()
        assert tuple(cat) == ("ACCEPTED", True)


def test_reimport_is_idempotent(imported, tmp_path):
    store, _, _ = imported
    before = counts(store)
    with store.read() as conn:
        snapshot = conn.execute(select(occurrences.c.id, occurrences.c.start, occurrences.c.end, occurrences.c.attendee_count).order_by(occurrences.c.id)).all()
    again = import_calendars(store, [tmp_path / "exports"], since=SINCE, until=UNTIL)
    assert (again.meetings_added, again.occurrences_added, again.occurrences_updated, again.occurrences_removed) == (0, 0, 0, 0)
    assert counts(store) == before
    with store.read() as conn:
        assert conn.execute(select(occurrences.c.id, occurrences.c.start, occurrences.c.end, occurrences.c.attendee_count).order_by(occurrences.c.id)).all() == snapshot


def test_reimporting_a_changed_export_updates_the_window(imported, tmp_path):
    store, _, files = imported
    # Ada cancels the last sync and moves the all-hands an hour later; Bob's and Cat's exports are stale.
    changed = calendar(ADA, sync_series(cancel_last=True), all_hands("20240306T160000", "20240306T180000"), planning())
    write(tmp_path / "exports", f"{ADA}.ics", changed)
    result = import_calendars(store, [files[0]], since=SINCE, until=UNTIL)
    with store.read() as conn:
        sync = occurrence_rows(conn, "sync@example.com")
        assert [r["start"] for r in sync] == [berlin(4, 10), berlin(11, 10), berlin(19, 14)]  # a cancellation wins over stale copies
        assert [r["start"] for r in occurrence_rows(conn, "allhands@example.com")] == [berlin(6, 16)]
        # Ada's export no longer shows her lunch or the offsite: lunch was only hers and goes; the offsite stays on Bob's.
        assert occurrence_rows(conn, "lunch@example.com") == []
        offsite = occurrence_rows(conn, "offsite@example.com")
        assert len(offsite) == 1
        assert conn.execute(select(func.count()).select_from(attendance).where(attendance.c.occurrence_id == offsite[0]["id"], attendance.c.person_id == pid(conn, ADA), attendance.c.from_own_calendar == True)).scalar_one() == 0  # noqa: E712
    assert result.occurrences_removed == 2 and result.occurrences_updated == 1


def test_a_folder_with_one_bad_file_imports_nothing(store, tmp_path):
    team_exports(tmp_path / "exports")
    bad = write(tmp_path / "exports", "zz-broken.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2024031\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(CalendarError) as caught:
        import_calendars(store, [tmp_path / "exports"], since=SINCE, until=UNTIL)
    assert caught.value.path == str(bad) and caught.value.line == 5
    assert set(counts(store).values()) == {0}
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 0


def test_unknown_time_zone_in_a_folder_names_file_and_line(store, tmp_path):
    team_exports(tmp_path / "exports")
    odd = calendar(DAN, event("odd@example.com", "Odd", "20240305T100000", "20240305T110000", DAN, [attendee(ADA)], tz="Mars/Olympus_Mons"))
    path = write(tmp_path / "exports", "dan.ics", odd)
    with pytest.raises(CalendarError) as caught:
        import_calendars(store, [tmp_path / "exports"], since=SINCE, until=UNTIL)
    expected_line = next(n for n, line in enumerate(odd.split("\r\n"), 1) if "Mars/Olympus_Mons" in line)
    assert caught.value.path == str(path) and caught.value.line == expected_line
    assert set(counts(store).values()) == {0}
    # The documented way out: map the name in foundermode.toml.
    config = Config(raw={"meetings": {"tz_aliases": {"Mars/Olympus_Mons": "Europe/Berlin"}}})
    import_calendars(store, [tmp_path / "exports"], config, since=SINCE, until=UNTIL)
    with store.read() as conn:
        assert [r["start"] for r in occurrence_rows(conn, "odd@example.com")] == [berlin(5, 10)]


def test_bad_config_names_key_and_line(tmp_path):
    toml = tmp_path / "foundermode.toml"
    toml.write_text('[meetings]\nhourly_rate = 120\nworking_hours = "17:00-09:00"\n')
    from foundermode.config import load_config

    with pytest.raises(ConfigError, match=r"working_hours.*line 3"):
        MeetingSettings.from_config(load_config(toml))


# -- analytics -------------------------------------------------------------------------------

@pytest.fixture
def data(imported):
    store, _, _ = imported
    with store.write() as conn:
        conn.execute(update(people).where(people.c.email.in_([ADA, BOB])).values(team="core"))
        conn.execute(update(people).where(people.c.email == CAT).values(team="web"))
    with store.read() as conn:
        return MeetingData.load(conn, SINCE, UNTIL), {who: pid(conn, who) for who in (ADA, BOB, CAT, DAN, *OTHERS)}


# By hand, March 4-31 2024: sync 4 x 1 h x 3 people; all hands 1 x 2 h x 12; planning 3 x 0.5 h x 2; Bob/Cat 4 x 0.5 h x 2.
HOURS = {ADA: 4 + 2 + 1.5, BOB: 4 + 2 + 1.5 + 2, CAT: 4 + 2 + 2, **{p: 2.0 for p in OTHERS}}


def test_hours_and_cost_per_person_and_team(data):
    data, ids = data
    settings = MeetingSettings(hourly_rate=100)
    got = {row.person_id: (row.hours, row.cost) for row in hours_per_person(data, settings)}
    assert got == {ids[who]: (hours, hours * 100) for who, hours in HOURS.items()}
    assert ids[DAN] not in got
    teams = {t.team: (t.people, t.hours, t.cost) for t in hours_per_team(data, settings)}
    assert teams == {"core": (2, 17.0, 1700.0), "web": (1, 8.0, 800.0), "(no team)": (9, 18.0, 1800.0)}
    totals = total_cost(data, settings)
    assert totals["person_hours"] == sum(HOURS.values()) == 12 + 24 + 3 + 4
    assert totals["cost"] == 4300.0 and totals["meetings"] == 4 + 1 + 3 + 4


def test_large_long_and_series(data):
    data, _ = data
    settings = MeetingSettings(hourly_rate=100)
    assert [(m.summary, m.max_attendees, m.person_hours) for m in large_meetings(data, settings)] == [("All hands", 12, 24.0)]
    assert [m.summary for m in long_meetings(data, settings)] == ["All hands"]  # exactly one hour is not long
    assert [(m.summary, m.occurrences, m.person_hours, m.cost) for m in series_ranking(data, settings)] == [
        ("Weekly sync", 4, 12.0, 1200.0), ("Bob / Cat", 4, 4.0, 400.0), ("Planning", 3, 3.0, 300.0),
    ]


def _focus_by_minutes(days: dict[int, list[tuple[float, float]]]) -> float:
    """Independent check: a minute grid per working day, 09:00-17:00, runs of free minutes >= 120."""
    total = 0
    for day in range(4, 32):
        if dt.date(2024, 3, day).weekday() >= 5:
            continue
        free = [True] * (8 * 60)
        for start, end in days.get(day, []):
            for minute in range(int((start - 9) * 60), int((end - 9) * 60)):
                if 0 <= minute < len(free):
                    free[minute] = False
        run = 0
        for is_free in free + [False]:
            if is_free:
                run += 1
            else:
                total += run if run >= 120 else 0
                run = 0
    return total / 60


def test_focus_time_and_what_breaks_it(data):
    data, ids = data
    people, breakers = focus_time(data, MeetingSettings())
    focus = {p.person_id: p for p in people}
    assert set(focus) == {ids[ADA], ids[BOB], ids[CAT]}  # only people whose own calendar we have
    ada_meetings = {4: [(10, 11)], 6: [(9, 9.5), (15, 17)], 11: [(10, 11)], 13: [(9, 9.5)], 19: [(14, 15)], 25: [(10, 11)], 27: [(9, 9.5)]}
    assert focus[ids[ADA]].focus_hours == _focus_by_minutes(ada_meetings) == 160 - 10.5
    assert focus[ids[ADA]].timezone == "Europe/Berlin" and focus[ids[ADA]].working_days == 20
    cat_meetings = {4: [(10, 11)], 6: [(15, 17)], 7: [(16, 16.5)], 11: [(10, 11)], 14: [(16, 16.5)], 19: [(14, 15)], 21: [(16, 16.5)], 25: [(10, 11)], 28: [(16, 16.5)]}
    assert focus[ids[CAT]].focus_hours == _focus_by_minutes(cat_meetings)
    by_name = {b.summary: b for b in breakers}
    # Monday's 10:00 sync leaves 09:00-10:00 too short for focus: 1 h for Ada, Bob and Cat on three Mondays
    # (the moved one, Tuesday 14:00-15:00, leaves 5 h before and 2 h after: no loss).
    assert (by_name["Weekly sync"].people, by_name["Weekly sync"].occurrences, by_name["Weekly sync"].focus_hours_lost) == (3, 3, 9.0)
    # Thursday 16:00-16:30 strands 16:30-17:00: half an hour each for Bob and Cat, four times.
    assert by_name["Bob / Cat"].focus_hours_lost == 2 * 4 * 0.5
    # Planning at 09:00 and the all hands ending the day leave nothing stranded.
    assert "Planning" not in by_name and "All hands" not in by_name


def test_weekly_trend(data):
    data, _ = data
    weeks = weekly_trend(data, MeetingSettings())
    assert [w.week for w in weeks] == ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    assert [w.meetings for w in weeks] == [4, 3, 2, 3]
    assert [w.large_meetings for w in weeks] == [1, 0, 0, 0]
    assert weeks[0].person_hours == 3 + 24 + 1 + 1


def test_busy_intervals_and_meeting_time_with(imported):
    store, _, _ = imported
    with store.read() as conn:
        ada, dan, bob, cat = pid(conn, ADA), pid(conn, DAN), pid(conn, BOB), pid(conn, CAT)
        day = berlin(5, 0), berlin(7, 0)
        busy = busy_intervals(conn, [ada, dan], *day)
        # Ada's lunch is busy though not a meeting; Wednesday's planning and all hands too; Dan declined everything.
        assert busy == {ada: [(berlin(5, 12), berlin(5, 13)), (berlin(6, 9), berlin(6, 9, 30)), (berlin(6, 15), berlin(6, 17))], dan: []}
        week = meeting_time_with(conn, ada, berlin(4, 0), berlin(11, 0))
        assert [(m.summary, m.start) for m in week] == [("Weekly sync", berlin(4, 10)), ("Planning", berlin(6, 9)), ("All hands", berlin(6, 15))]
        assert week[0].others == sorted([bob, cat]) and len(week[2].others) == 11


def test_the_scheduler_takes_busy_time_from_the_meetings_analysis():
    """One definition of busy time (issue 13): the escalation scheduler calls the meetings
    analysis's busy_intervals (tested above, clipping and merging included), not a copy."""
    from foundermode.bottlenecks import escalation, schedule
    from foundermode.meetings import load

    assert escalation.busy_intervals is load.busy_intervals
    assert not hasattr(schedule, "busy_intervals")


def test_merging_two_people_who_share_meetings(imported):
    from foundermode.sources.identities import merge_people

    store, _, _ = imported
    with store.write() as conn:
        merge_people(conn, pid(conn, BOB), pid(conn, DAN))
    with store.read() as conn:
        bob = pid(conn, BOB)
        sync = occurrence_rows(conn, "sync@example.com")[0]
        rows = conn.execute(select(attendance.c.person_id).where(attendance.c.occurrence_id == sync["id"])).all()
        assert sorted(r[0] for r in rows) == sorted([pid(conn, ADA), bob, pid(conn, CAT)])
        assert conn.execute(select(calendars.c.person_id).where(calendars.c.key == BOB)).scalar_one() == bob


def test_a_whole_series_cancelled_later_disappears(store, tmp_path):
    review = event("review@example.com", "Review", "20240305T100000", "20240305T110000", ADA, [attendee(ADA), attendee(BOB)], "RRULE:FREQ=WEEKLY;COUNT=3")
    path = write(tmp_path / "one", f"{ADA}.ics", calendar(ADA, review))
    import_calendars(store, [path], since=SINCE, until=UNTIL)
    with store.read() as conn:
        assert len(occurrence_rows(conn, "review@example.com")) == 3
    write(tmp_path / "one", f"{ADA}.ics", calendar(ADA, review.replace("RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=WEEKLY;COUNT=3\nSTATUS:CANCELLED")))
    result = import_calendars(store, [path], since=SINCE, until=UNTIL)
    assert result.occurrences_removed == 3
    with store.read() as conn:
        assert occurrence_rows(conn, "review@example.com") == []
        assert conn.execute(select(func.count()).select_from(meetings).where(meetings.c.uid == "review@example.com")).scalar_one() == 0
