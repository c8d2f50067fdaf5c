"""Hostile files end in the parser's own one-line error (file, line, limit), never a traceback or a hang.

The reproductions of issue 16: each failed on the code before sources/limits.py.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest

from foundermode.bottlenecks.files import BlockerFileError, parse_csv, parse_json, read_blockers
from foundermode.sources import limits
from foundermode.sources.calendar import CalendarError, parse_calendar
from foundermode.sources.org import OrgChartError, parse_org_chart, read_org_chart
from foundermode.sources.transcripts import TranscriptError, parse_transcript

ORG_HEADER = "email,name,title,team,manager_email,role\n"


def one_line(error: Exception) -> str:
    text = str(error)
    assert "Traceback" not in text
    return text


# -- CSV -----------------------------------------------------------------------------------

def test_org_chart_field_over_128k_is_an_error_with_line_and_limit():
    text = ORG_HEADER + "ada@example.com,Ada,CTO,core,,executive\n" + "bob@example.com,\"" + "B" * (limits.MAX_FIELD_CHARS + 10) + "\",x,core,,engineer\n"
    with pytest.raises(OrgChartError) as caught:
        parse_org_chart(text, "org.csv")
    assert one_line(caught.value).startswith("org.csv:3: a field is longer than 1,048,576 characters (the limit)")


def test_org_chart_field_of_200k_is_read_the_python_default_is_not_our_limit():
    # 128 kB is csv's default and crashed with _csv.Error; our limit is 1 MB and the rest of the process keeps csv's own.
    import csv

    rows = parse_org_chart(ORG_HEADER + f"ada@example.com,Ada,\"{'T' * 200_000}\",core,,executive\n", "org.csv")
    assert len(rows[0].title) == 200_000
    assert csv.field_size_limit() == 131_072


def test_blocker_csv_field_over_limit(tmp_path):
    path = tmp_path / "blockers.csv"
    path.write_text("text,email\n\"" + "x" * (limits.MAX_FIELD_CHARS + 1) + "\",ada@example.com\n", encoding="utf-8")
    with pytest.raises(BlockerFileError) as caught:
        read_blockers(path)
    assert one_line(caught.value) == f"{path}:2: a field is longer than 1,048,576 characters (the limit)"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "org.csv"
    path.write_text(ORG_HEADER + "ada@example.com,Ada,CTO,core,,executive\n" * 100, encoding="utf-8")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    with pytest.raises(OrgChartError) as caught:
        read_org_chart(path)
    assert "over the limit of 1,000 bytes" in one_line(caught.value)


# -- JSON ----------------------------------------------------------------------------------

def test_json_nested_100000_deep():
    with pytest.raises(BlockerFileError) as caught:
        parse_json("[" * 100_000 + "]" * 100_000, "b.json")
    assert one_line(caught.value) == "b.json:1: JSON nested deeper than 64 levels (the limit)"


def test_json_lines_nested_deep_names_the_line():
    text = '{"text": "ok", "email": "a@example.com"}\n{"text": ' + "[" * 1000 + "]" * 1000 + "}\n"
    with pytest.raises(BlockerFileError) as caught:
        parse_json(text, "b.jsonl")
    assert one_line(caught.value).startswith("b.json")
    assert "64 levels" in str(caught.value)


def test_json_5000_digit_number():
    text = json.dumps([{"text": "CI is red", "email": "a@example.com"}])[:-2] + ', "id": ' + "9" * 5000 + "}]"
    with pytest.raises(BlockerFileError) as caught:
        parse_json(text, "b.json")
    assert one_line(caught.value) == "b.json:1: a number of 5,000 digits, over the limit of 40"


@pytest.mark.parametrize("date", [1e300, float("nan"), -5, "9" * 30, "0001-01-01T00:00:00+14:00"])
def test_blocker_dates_out_of_range_are_row_errors(date):
    text = json.dumps([{"text": "CI is red", "email": "a@example.com", "date": date}])
    with pytest.raises(BlockerFileError) as caught:
        parse_json(text, "b.json")
    assert "b.json:1: " in one_line(caught.value)
    assert "out of range" in str(caught.value) or "ISO 8601" in str(caught.value)


def test_blocker_json_still_reads_real_shapes():
    blockers = parse_json('{"issues": [{"title": "GPU quota", "user": {"login": "ada"}, "labels": [{"name": "blocked"}]}]}', "b.json")
    assert [b.text for b in blockers] == ["GPU quota"]
    assert parse_csv("text,email\nCI red,a@example.com\n", "b.csv")[0].email == "a@example.com"


# -- transcripts ---------------------------------------------------------------------------

def test_vtt_200000_digit_timestamp():
    text = "WEBVTT\n\n" + "1" * 200_000 + ":00:00.000 --> 00:00:01.000\n<v Ada>hi</v>\n"
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, "m.vtt")
    assert one_line(caught.value) == "m.vtt:3: timestamp of 200,010 characters, over the limit of 40"


def test_rttm_200000_digit_start():
    text = f"SPEAKER m 1 {'1' * 200_000} 1.0 <NA> <NA> A <NA> <NA>\n"
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, "m.rttm")
    assert one_line(caught.value) == "m.rttm:1: start of 200,000 characters, over the limit of 40"


def test_rttm_far_future_time_is_refused():
    with pytest.raises(TranscriptError) as caught:
        parse_transcript("SPEAKER m 1 1e300 1.0 <NA> <NA> A <NA> <NA>\n", "m.rttm")
    assert "past the limit of 31 days" in one_line(caught.value)


def test_transcript_line_over_limit():
    text = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Ada>" + "a" * (limits.MAX_LINE_CHARS + 1) + "</v>\n"
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text, "m.vtt")
    assert one_line(caught.value).startswith("m.vtt:4: line is 4,194,316 characters, over the limit of 4,194,304")


# -- calendars -----------------------------------------------------------------------------

def _calendar(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def _event(uid: str, start: str, end: str, rule: str, extra: str = "") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid} meeting\r\nDTSTART{start}\r\nDTEND{end}\r\nRRULE:{rule}\r\n{extra}END:VEVENT\r\n"


WINDOW = (int(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp()), int(dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc).timestamp()))


def test_secondly_rule_from_1970_is_bounded_in_a_child_process():
    """The issue's hang: minutes at 100% CPU and 1.8 GB before. In a child with a deadline and its peak memory."""
    ics = _calendar(_event("tick", ":19700101T000000Z", ":19700101T000001Z", "FREQ=SECONDLY"),
                    _event("standup", ":19700101T090000Z", ":19700101T091500Z", "FREQ=DAILY"))
    script = textwrap.dedent(f"""
        import resource, json
        from foundermode.sources.calendar import parse_calendar
        export = parse_calendar({ics!r}, "tick.ics", {WINDOW[0]}, {WINDOW[1]})
        print(json.dumps([len(export.occurrences), export.warnings, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    count, warnings, peak_kb = json.loads(done.stdout)
    assert count == 91  # the daily stand-up, every day of the window; the ticking event is left out
    assert len(warnings) == 1 and warnings[0].startswith("tick.ics:4: event 'tick' (tick meeting) skipped: its rule FREQ=SECONDLY")
    assert "over the limit of 200,000" in warnings[0]
    assert peak_kb < 500 * 1024


def _expand_both(ics: str, monkeypatch):
    from foundermode.sources import calendar

    bounded = parse_calendar(ics, "a.ics", *WINDOW)
    monkeypatch.setattr(calendar, "_bounded_series", lambda components, master, a, b: (components, None))
    walked = parse_calendar(ics, "a.ics", *WINDOW)
    return bounded, walked


@pytest.mark.parametrize("start,end,rule", [
    (";TZID=Europe/Berlin:20000103T093000", ";TZID=Europe/Berlin:20000103T100000", "FREQ=DAILY;INTERVAL=3"),  # across DST changes
    (";TZID=America/New_York:19990104T170000", ";TZID=America/New_York:19990104T173000", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
    (":20231201T080000Z", ":20231201T081000Z", "FREQ=HOURLY;INTERVAL=7"),
    (":20231201T080000", ":20231201T081000", "FREQ=MINUTELY;INTERVAL=997"),  # floating time
    (";VALUE=DATE:19950310", ";VALUE=DATE:19950311", "FREQ=WEEKLY;INTERVAL=2"),
    (":20100105T120000Z", ":20100105T123000Z", "FREQ=DAILY;COUNT=5200"),  # COUNT lowered by what is skipped
    (":20100105T120000Z", ":20100105T123000Z", "FREQ=DAILY;COUNT=100"),  # ends long before the window
    (":20100105T120000Z", ":20100105T123000Z", "FREQ=WEEKLY;UNTIL=20240301T000000Z"),
])
def test_moving_a_series_to_the_window_changes_no_occurrence(start, end, rule, monkeypatch):
    ics = _calendar(_event("s", start, end, rule, "EXDATE:20240110T120000Z\r\n"))
    bounded, walked = _expand_both(ics, monkeypatch)
    assert [(o.start, o.end, o.recurrence_id) for o in bounded.occurrences] == [(o.start, o.end, o.recurrence_id) for o in walked.occurrences]
    assert not bounded.warnings


def test_too_many_occurrences_in_the_window_is_a_warning_naming_the_event():
    ics = _calendar(_event("every-minute", ":20231201T080000Z", ":20231201T080010Z", "FREQ=MINUTELY;INTERVAL=5"))
    export = parse_calendar(ics, "a.ics", *WINDOW)
    assert export.occurrences == []
    assert export.warnings == ["a.ics:4: event 'every-minute' (every-minute meeting) skipped: 26,208 occurrences in the window, over the limit of 20,000 per event"]


def test_calendar_expansion_time_budget(monkeypatch):
    from foundermode.sources import calendar

    monkeypatch.setattr(calendar, "CALENDAR_TIME_BUDGET", -1.0)
    with pytest.raises(CalendarError) as caught:
        parse_calendar(_calendar(_event("a", ":20240101T080000Z", ":20240101T090000Z", "FREQ=DAILY")), "a.ics", *WINDOW)
    assert one_line(caught.value).startswith("a.ics:4: expanding the events took over -1 s (the limit per file); stopped at event 'a'")


def test_calendar_line_over_limit(monkeypatch):
    from foundermode.sources import calendar

    ics = _calendar(_event("a", ":20240101T080000Z", ":20240101T090000Z", "FREQ=DAILY", "DESCRIPTION:" + "d" * 5000 + "\r\n"))
    monkeypatch.setattr(calendar, "check_lines", lambda text, name, error, limit=1000: limits.check_lines(text, name, error, limit))
    with pytest.raises(CalendarError) as caught:
        parse_calendar(ics, "a.ics", *WINDOW)
    assert one_line(caught.value) == "a.ics:10: line is 5,013 characters, over the limit of 1,000"


def test_an_event_of_a_hundred_thousand_properties_is_refused_before_icalendar_reads_it():
    """Found by the 100k fuzz run (seed 2026): 145,000 properties in one event took icalendar 5 s to refuse."""
    ics = _calendar(_event("a", ":20240101T080000Z", ":20240101T090000Z", "FREQ=DAILY", "ATTENDEE:mailto:x@example.com\r\n" * 100_000))
    with pytest.raises(CalendarError) as caught:
        parse_calendar(ics, "a.ics", *WINDOW)
    assert one_line(caught.value).endswith(f"a component with more than {limits.MAX_COMPONENT_PROPERTIES:,} properties (the limit)")
    assert caught.value.line is not None
    # A folded long description and a large meeting stay well inside it.
    ok = _calendar(_event("b", ":20240101T080000Z", ":20240101T090000Z", "FREQ=DAILY", "ATTENDEE:mailto:y@example.com\r\n" * 500 + "DESCRIPTION:" + "d" * 70 + "\r\n " + "e" * 70 + "\r\n"))
    parse_calendar(ok, "b.ics", *WINDOW)


def test_a_value_with_a_newline_keeps_each_row_error_on_one_line():
    """Found by the fuzzer: a quoted field with a newline, quoted back in the error, split one row's error over two lines."""
    text = ORG_HEADER + 'ada@example.com,Ada,CTO,core,,"exec\nutive"\n' + "bob@example.com,Bob,x,core,ada@example.com," + "r" * 500 + "\n"
    with pytest.raises(OrgChartError) as caught:
        parse_org_chart(text, "org.csv")
    lines = str(caught.value).split("\n")
    assert lines[0] == "2 bad row(s), nothing imported:"
    assert lines[1] == "org.csv:3: role 'exec\\nutive' is not one of engineer, manager, executive, other"
    assert lines[2].startswith("org.csv:4: role 'rrrr") and lines[2].count("r") < 100 and "…" in lines[2]


def test_a_blocker_date_with_a_newline_keeps_its_row_error_on_one_line():
    """Found by the 100k fuzz run (seed 2026): a date string carrying a newline, quoted back raw."""
    text = json.dumps([{"text": "CI is red", "email": "a@example.com", "date": "2024-01-05T10rames\nthis error"}])
    with pytest.raises(BlockerFileError) as caught:
        parse_json(text, "b.json")
    lines = str(caught.value).split("\n")
    assert lines == ["1 bad row(s), nothing imported:", "b.json:1: date '2024-01-05T10rames\\nthis error' is not ISO 8601 (2024-03-11 or 2024-03-11T09:30:00Z)"]


@pytest.mark.parametrize("tzid", ["Europe", "Europe/", "America/../Europe", "/etc/passwd", "zoneinfo/Europe/Paris"])
def test_a_tzid_naming_a_folder_of_the_zone_database_is_an_error_not_an_oserror(tzid):
    """Found by the fuzzer: TZID=Europe opened the zoneinfo folder: IsADirectoryError, a traceback."""
    ics = _calendar(f"BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:a\r\nDTSTART;TZID={tzid}:20240102T090000\r\nDTEND;TZID={tzid}:20240102T100000\r\nEND:VEVENT\r\n")
    with pytest.raises(CalendarError) as caught:
        parse_calendar(ics, "a.ics", *WINDOW)
    assert one_line(caught.value).startswith("a.ics:")
    assert "unknown time zone" in str(caught.value) or "a.ics:" in str(caught.value)


def test_a_secondly_event_nested_inside_another_event_is_bounded_too():
    """Found by the fuzzer: a VEVENT nested in a VEVENT was expanded with its parent, past the bounds: a hang."""
    nested = _event("tick", ":19700101T000000Z", ":19700101T000001Z", "FREQ=SECONDLY")
    outer = _event("vespers", ":20140801T190000Z", ":20140801T200000Z", "FREQ=WEEKLY").replace("END:VEVENT\r\n", nested + "END:VEVENT\r\n")
    script = textwrap.dedent(f"""
        import json
        from foundermode.sources.calendar import parse_calendar
        export = parse_calendar({_calendar(outer)!r}, "nested.ics", {WINDOW[0]}, {WINDOW[1]})
        print(json.dumps([len(export.occurrences), export.warnings]))
    """)
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("parsing a nested FREQ=SECONDLY event did not end within 30 s")
    assert done.returncode == 0, done.stderr
    count, warnings = json.loads(done.stdout)
    assert count == 13  # the weekly event, every week of the window
    assert any("event 'tick' (tick meeting) skipped" in w for w in warnings), warnings


def test_rdate_with_a_bare_time_is_ignored_not_walked_forever():
    """RDATE;VALUE=TIME names no day; recurring-ical-events walked it without end (found by the fuzzer)."""
    ics = _calendar(
        "BEGIN:VEVENT\r\nUID:vtime\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T120000Z\r\nDTEND:20240105T123000Z\r\n"
        "SUMMARY:one\r\nRDATE;VALUE=TIME:133000Z\r\nEND:VEVENT\r\n"
    )
    code = f"from foundermode.sources.calendar import parse_calendar\nexport = parse_calendar({ics!r}, 'a.ics', {WINDOW[0]}, {WINDOW[1]})\nprint(len(export.occurrences))"
    # In a child process with a generous bound, so a regression fails instead of hanging the suite.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"  # the DTSTART occurrence, and nothing from the bare time


def test_an_end_centuries_before_the_start_is_a_warning_not_a_walk_through_every_period():
    """Found by the fuzz run: DTEND in year 14 made the recurrence library look back 2,000 years for each day (15 s)."""
    ics = _calendar(_event("far", ":20140803T190000Z", ":00140803T210000Z", "FREQ=DAILY;UNTIL=20260320T030000Z"),
                    _event("standup", ":20231201T090000Z", ":20231201T091500Z", "FREQ=DAILY"))
    export = parse_calendar(ics, "a.ics", *WINDOW)
    assert len(export.occurrences) == 91
    assert export.warnings == ["a.ics:4: event 'far' (far meeting) skipped: it lasts 730,484 days, over the limit of 400 for one event"]


def test_an_end_a_little_before_the_start_is_swapped_as_recurring_ical_events_does():
    """A real export (recurring-ical-events' issue 132) writes DTEND 15 minutes before DTSTART: the meeting still counts."""
    ics = _calendar("BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:swapped\r\nDTSTART:20240110T234500Z\r\nDTEND:20240110T233000Z\r\nEND:VEVENT\r\n")
    export = parse_calendar(ics, "a.ics", *WINDOW)
    assert [(o.end - o.start) for o in export.occurrences] == [900]
    assert not export.warnings


def test_an_event_without_uid_and_with_two_summaries_is_read():
    """Found by the fuzz run: the synthetic UID called ``to_ical`` on the list two SUMMARY lines parse to (a traceback)."""
    ics = _calendar("BEGIN:VEVENT\r\nSUMMARY:one\r\nSUMMARY:two\r\nDTSTART:20240110T090000Z\r\nDTEND:20240110T093000Z\r\nEND:VEVENT\r\n")
    export = parse_calendar(ics, "a.ics", *WINDOW)
    assert len(export.occurrences) == 1 and export.occurrences[0].uid.startswith("no-uid-")
