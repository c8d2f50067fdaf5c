"""The reader on real exports shipped inside the icalendar and recurring-ical-events wheels.

Every expected figure is computed here independently of the code under test:
by hand from the file's RRULE/EXDATE (written out below), or with dateutil's
rrule over local wall-clock times localized with zoneinfo. Neither path goes
through recurring-ical-events.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import DAILY, TH, TU, WEEKLY, rrule

from foundermode.sources.calendar import CalendarError, read_calendar

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def wheel_calendars(package: str, folder: str) -> Path:
    module = pytest.importorskip(package)
    path = Path(module.__file__).parent / folder
    if not path.is_dir():
        pytest.skip(f"{package} wheel ships no test calendars at {path}")
    return path


@pytest.fixture(scope="module")
def ric() -> Path:
    return wheel_calendars("recurring_ical_events", "test/calendars")


@pytest.fixture(scope="module")
def ical() -> Path:
    return wheel_calendars("icalendar", "tests/calendars")


def epoch(year, month, day, hour=0, minute=0, tz=UTC) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=tz).timestamp())


def local_series(naive_starts, zone) -> list[int]:
    return [int(start.replace(tzinfo=zone).timestamp()) for start in naive_starts]


def test_sabredav_weekly_with_two_exdates_across_dst(ric):
    # RRULE:FREQ=WEEKLY;COUNT=8 from 2019-03-04 00:30 Europe/Berlin, 30 minutes;
    # EXDATE 20190310T233000Z and 20190324T233000Z (the 2nd and 4th); DST starts 2019-03-31.
    export = read_calendar(ric / "each_week_but_two_deleted.ics", epoch(2019, 1, 1), epoch(2020, 1, 1))
    local = list(rrule(WEEKLY, count=8, dtstart=dt.datetime(2019, 3, 4, 0, 30)))
    excluded = {epoch(2019, 3, 10, 23, 30), epoch(2019, 3, 24, 23, 30)}
    expected = [s for s in local_series(local, BERLIN) if s not in excluded]
    assert [o.start for o in export.occurrences] == expected
    assert len(expected) == 6
    # After the change to summer time the same 00:30 wall clock is an hour earlier in UTC.
    assert dt.datetime.fromtimestamp(expected[1], UTC).hour == 23 and dt.datetime.fromtimestamp(expected[2], UTC).hour == 22
    assert sum(o.end - o.start for o in export.occurrences) / 3600 == 6 * 0.5
    assert len({o.key for o in export.occurrences}) == 6


def test_davx5_exdate_list_folded_across_lines_and_dst(ric):
    # DAVx5 export: weekly on Tuesdays from 2019-10-15 16:15 Berlin, DURATION 1h30,
    # UNTIL 2020-02-04T15:14:59Z, nine EXDATEs in UTC folded over three lines.
    path = ric / "issue_20_exdate_ignored.ics"
    text = path.read_text()
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    exdates = {int(dt.datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()) for v in re.search(r"^EXDATE:(.*)$", unfolded, re.M).group(1).split(",") if v}
    until = epoch(2020, 2, 4, 15, 14) + 59
    local = rrule(WEEKLY, byweekday=TU, dtstart=dt.datetime(2019, 10, 15, 16, 15), until=dt.datetime(2020, 2, 5))
    expected = [s for s in local_series(local, BERLIN) if s <= until and s not in exdates]
    export = read_calendar(path, epoch(2019, 1, 1), epoch(2021, 1, 1))
    assert len(exdates) == 9
    assert [o.start for o in export.occurrences] == expected
    assert len(expected) == 16 - 9  # Tuesdays 2019-10-15 .. 2020-01-28, less the nine EXDATEs
    assert sum(o.end - o.start for o in export.occurrences) == len(expected) * 90 * 60


def test_thunderbird_cancelled_instance_is_dropped_and_reported(ric):
    # Daily COUNT=3 from 2020-01-28 22:00 Berlin (1 h); the 29th is overridden with STATUS:CANCELLED.
    export = read_calendar(ric / "issue_18_cancel_status.ics", epoch(2020, 1, 1), epoch(2020, 3, 1))
    assert [o.start for o in export.occurrences] == [epoch(2020, 1, 28, 21), epoch(2020, 1, 30, 21)]
    assert export.cancelled == {("b65c2b5b-b785-4edc-9560-e0379036d1f2", "20200129T210000Z")}
    assert sum(o.end - o.start for o in export.occurrences) == 2 * 3600


def test_google_weekly_series_with_exdate_and_x_wr_timezone_across_dst(ric):
    # Google export (X-WR-TIMEZONE:Europe/Berlin): "Montessori Schulklasse" weekly on Thursdays
    # 08:30-14:30 Berlin from 2019-02-28, EXDATE 2019-03-07; DST starts 2019-03-31.
    export = read_calendar(ric / "daylight_saving_time.ics", epoch(2019, 2, 25), epoch(2019, 4, 15))
    series = [o for o in export.occurrences if o.uid == "7g6502aejkun96i5fenfu6hvc1@google.com"]
    local = rrule(WEEKLY, byweekday=TH, dtstart=dt.datetime(2019, 2, 28, 8, 30), until=dt.datetime(2019, 4, 14))
    expected = [s for s in local_series(local, BERLIN) if s != epoch(2019, 3, 7, 8, 30, BERLIN)]
    assert [o.start for o in series] == expected
    assert len(expected) == 6
    assert {dt.datetime.fromtimestamp(s, UTC).hour for s in expected} == {7, 6}  # CET then CEST
    assert sum(o.end - o.start for o in series) == 6 * 6 * 3600
    assert export.timezone == "Europe/Berlin"
    assert all(o.is_recurring and o.rrule.startswith("FREQ=WEEKLY") for o in series)


def test_google_moved_instance_keeps_its_original_recurrence_id(ric):
    # Monthly on the last Friday 21:30 Berlin from 2021-11-26; the 2021-12-31 instance moved to 2021-12-17.
    export = read_calendar(ric / "issue_62_moved_event.ics", epoch(2021, 11, 1), epoch(2022, 3, 1))
    got = [(o.recurrence_id, o.start, o.is_moved) for o in export.occurrences]
    assert got == [
        ("20211126T203000Z", epoch(2021, 11, 26, 21, 30, BERLIN), False),
        ("20211231T203000Z", epoch(2021, 12, 17, 21, 30, BERLIN), True),
        ("20220128T203000Z", epoch(2022, 1, 28, 21, 30, BERLIN), False),
        ("20220225T203000Z", epoch(2022, 2, 25, 21, 30, BERLIN), False),
    ]


def test_range_thisandfuture_instances_are_distinct_and_shifted(ric):
    # UID 210: every 2 days from 2024-09-01 12:00Z (2 h) plus RDATE 2024-09-14 09:00Z.
    # 09-13 THISANDFUTURE: 3 h earlier, 7 h long; 09-15 alone: 17:00-19:00;
    # 09-21 THISANDFUTURE: to 09-22 14:22-16:13 (+26 h 22 min, 1 h 51 min).
    export = read_calendar(ric / "issue_75_range_parameter.ics", epoch(2024, 9, 1), epoch(2024, 10, 1))
    slots = [epoch(2024, 9, d, 12) for d in range(1, 30, 2)] + [epoch(2024, 9, 14, 9)]
    shift_13, shift_21 = -3 * 3600, 26 * 3600 + 22 * 60
    expected = {}
    for slot in slots:
        if slot == epoch(2024, 9, 15, 12):
            expected[slot] = (epoch(2024, 9, 15, 17), 2 * 3600)
        elif slot >= epoch(2024, 9, 21, 12):
            expected[slot] = (slot + shift_21, 111 * 60)
        elif slot >= epoch(2024, 9, 13, 12) or slot == epoch(2024, 9, 14, 9):
            expected[slot] = (slot + shift_13, 7 * 3600)
        else:
            expected[slot] = (slot, 2 * 3600)
    got = {}
    for o in export.occurrences:
        original = int(dt.datetime.strptime(o.recurrence_id, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())
        got[original] = (o.start, o.end - o.start)
    assert got == expected
    assert len(export.occurrences) == 16
    assert sum(o.end - o.start for o in export.occurrences) / 3600 == pytest.approx(12 + 7 + 7 + 2 + 14 + 5 * 111 / 60)


def test_windows_time_zone_name_across_us_dst(ric):
    # TZID "Pacific Standard Time" (a Windows name): weekly Thursday 10:00-11:00 from 2023-01-05
    # until 2023-06-08T17:00Z inclusive; US DST starts 2023-03-12.
    export = read_calendar(ric / "issue_107_omitting_last_event.ics", epoch(2023, 1, 1), epoch(2023, 7, 1))
    pacific = ZoneInfo("America/Los_Angeles")
    local = rrule(WEEKLY, byweekday=TH, dtstart=dt.datetime(2023, 1, 5, 10), until=dt.datetime(2023, 6, 8, 10))
    expected = local_series(local, pacific)
    assert expected[-1] == epoch(2023, 6, 8, 17)
    assert [o.start for o in export.occurrences] == expected
    assert len(expected) == 23
    assert sum(o.end - o.start for o in export.occurrences) == 23 * 3600


def test_exchange_all_day_series_with_moved_instances_in_a_windows_zone(ric):
    # Exchange 2010, "Refuse black bin": all-day, every 2nd Thursday from 2020-04-02 until 2020-09-16;
    # three instances moved to the Friday (RECURRENCE-ID;TZID=GMT Standard Time).
    export = read_calendar(ric / "issue_28_rrule_with_UTC_endinginZ.ics", epoch(2020, 1, 1), epoch(2021, 1, 1))
    days = [d.date() for d in rrule(WEEKLY, interval=2, byweekday=TH, dtstart=dt.datetime(2020, 4, 2), until=dt.datetime(2020, 9, 16))]
    moved = {dt.date(2020, 4, 16), dt.date(2020, 5, 28), dt.date(2020, 9, 3)}
    expected = sorted((d + dt.timedelta(days=1)) if d in moved else d for d in days)
    series = [o for o in export.occurrences if o.series_summary == "Refuse black bin"]
    assert len({o.uid for o in series}) == 1
    assert [dt.datetime.fromtimestamp(o.start, UTC).date() for o in series] == expected
    assert all(o.all_day and o.end - o.start == 86400 for o in series)
    assert {o.recurrence_id for o in series} == {d.strftime("%Y%m%d") for d in days}


def test_daily_rule_over_a_window_only_returns_what_starts_inside(ric):
    # one_day_event_repeat_every_day.ics: an all-day event every day from 2019-03-04 (RRULE:FREQ=DAILY).
    export = read_calendar(ric / "one_day_event_repeat_every_day.ics", epoch(2019, 3, 1), epoch(2019, 3, 11))
    days = list(rrule(DAILY, dtstart=dt.datetime(2019, 3, 4), until=dt.datetime(2019, 3, 10)))
    assert len(days) == 7
    assert [dt.datetime.fromtimestamp(o.start, UTC).date() for o in export.occurrences] == [d.date() for d in days]


# -- bad input from the wheels ---------------------------------------------------------------

def test_broken_content_line_names_file_and_line(ical):
    path = ical / "issue_104_broken_calendar.ics"
    with pytest.raises(CalendarError) as caught:
        read_calendar(path, epoch(2014, 1, 1), epoch(2015, 1, 1))
    lines = path.read_text().splitlines()
    assert caught.value.line == lines.index("X") + 1
    assert str(path) in str(caught.value) and f":{caught.value.line}:" in str(caught.value)


def test_unknown_tzid_without_vtimezone_is_an_error_with_its_line(ical):
    path = ical / "issue_722_missing_VTIMEZONE_custom.ics"
    with pytest.raises(CalendarError) as caught:
        read_calendar(path, epoch(2014, 1, 1), epoch(2015, 1, 1))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "TZID=CUSTOM_tzid" in text)
    assert caught.value.line == line
    assert "CUSTOM_tzid" in str(caught.value) and "tz_aliases" in str(caught.value)


def test_unknown_tzid_can_be_mapped_in_config(ical):
    path = ical / "issue_722_missing_VTIMEZONE_custom.ics"
    export = read_calendar(path, epoch(2014, 1, 1), epoch(2015, 1, 1), tz_aliases={"CUSTOM_tzid": "America/New_York"})
    assert [o.start for o in export.occurrences] == [epoch(2014, 8, 29, 8, tz=ZoneInfo("America/New_York"))]


def test_custom_vtimezone_defined_after_its_use_is_honoured(ical):
    # The VTIMEZONE "custom_America/New_York_Forward_reference" follows the event; the event repeats DTSTART,
    # which is itself bad input.
    with pytest.raises(CalendarError, match="DTSTART appears 2 times"):
        read_calendar(ical / "america_new_york_forward_reference.ics", epoch(2014, 1, 1), epoch(2015, 1, 1))


def test_bad_property_value_names_its_line(ical):
    path = ical / "broken_dtstart.ics"
    with pytest.raises(CalendarError) as caught:
        read_calendar(path, epoch(2014, 1, 1), epoch(2015, 1, 1))
    assert caught.value.line == path.read_text().splitlines().index("DTSTART:INVALID-DATE") + 1


# -- the fast paths agree with the plain ones ---------------------------------------------------

AGREEMENT = [
    ("ric", "each_week_but_two_deleted.ics"), ("ric", "issue_20_exdate_ignored.ics"), ("ric", "issue_18_cancel_status.ics"),
    ("ric", "daylight_saving_time.ics"), ("ric", "issue_62_moved_event.ics"), ("ric", "issue_75_range_parameter.ics"),
    ("ric", "issue_107_omitting_last_event.ics"), ("ric", "issue_28_rrule_with_UTC_endinginZ.ics"), ("ric", "recurring_events_moved.ics"),
    ("ric", "issue_48_daylight_aware_repeats.ics"), ("ric", "rdate.ics"), ("ric", "issue_163_deleted_modification.ics"),
    ("ical", "issue_313_globally_unique_tzid.ics"), ("ical", "timezone_rdate.ics"),
]


@pytest.mark.parametrize("where,name", AGREEMENT)
def test_shared_parsing_and_occurrence_objects_match_the_public_api(where, name, request, monkeypatch):
    """Each distinct VEVENT parsed once, and recurring-ical-events' Occurrence objects instead of its
    copied components: both shortcuts must give exactly what whole-file parsing and between() give."""
    import foundermode.sources.calendar as reader

    path = request.getfixturevalue(where) / name
    window = (epoch(2018, 1, 1), epoch(2026, 1, 1))

    def facts(export):
        return [(o.uid, o.recurrence_id, o.start, o.end, o.all_day, o.is_moved, o.summary, o.status, o.attendees) for o in export.occurrences], export.cancelled

    try:
        fast = facts(read_calendar(path, *window))
    except CalendarError as error:
        fast = str(error)
    monkeypatch.setattr(reader, "_load_shared", lambda text, cache: None)
    monkeypatch.setattr(reader, "_occurrences", lambda q, a, b, comps, pos, core: list(reader._public_occurrences(q, a, b, comps, core)))
    try:
        plain = facts(read_calendar(path, *window))
    except CalendarError as error:
        plain = str(error)
    assert fast == plain


def test_custom_tzid_defined_by_its_own_vtimezone(ical):
    # TZID "UTC+11" is no zone name anywhere, but the file's VTIMEZONE defines it (+11:00, no DST).
    export = read_calendar(ical / "issue_218_bad_tzid.ics", epoch(2017, 1, 1), epoch(2018, 1, 1))
    assert [(o.start, o.end) for o in export.occurrences] == [(epoch(2017, 2, 28, 12), epoch(2017, 2, 28, 12, 30))]
