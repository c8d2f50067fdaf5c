"""Walk-out suggestions on a weekly series whose transcripts carry real AMI turn-taking."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from foundermode.config import Config
from foundermode.meetings.transcripts import import_transcripts
from foundermode.meetings.walkout import WalkoutSettings, duration_text, walkout_suggestions
from foundermode.sources.transcripts import SpeakerTarget

try:
    from .transcript_helpers import WEEK, add_people, add_series, centisecond_totals, vtt_from_rttm
except ImportError:
    from transcript_helpers import WEEK, add_people, add_series, centisecond_totals, vtt_from_rttm

T0 = 1_710_147_600  # Monday 2024-03-11 09:00 UTC
SPEAKERS = {"FEE041": "Ada Lovelace", "FEE042": "Grace Hopper", "FEE043": "Katherine Johnson", "FEE044": "Margaret Hamilton"}
SILENT = ["Radia Perlman", "Alan Turing", "Olga Organiser", "Barbara Liskov"]
# The last three occurrences carry ES2011b, c, d; the one before carries ES2011a.
FILES = ["dev/ES2011a.rttm", "dev/ES2011b.rttm", "dev/ES2011c.rttm", "dev/ES2011d.rttm"]


def ami_files(shared_data: Path) -> list[Path]:
    paths = [shared_data / "ami-rttm" / f for f in FILES]
    if not all(p.exists() for p in paths):
        pytest.skip("AMI ES2011 meetings missing")
    return paths


def build(store, shared_data, tmp_path, text=True):
    paths = ami_files(shared_data)
    with store.write() as conn:
        ids = add_people(conn, {name: f"{name.split()[0].lower()}@example.com" for name in [*SPEAKERS.values(), *SILENT]})
        responses = {pid: "ACCEPTED" for pid in ids.values()}
        occ = add_series(conn, "Design review", T0, 5, responses, organizer=ids["Olga Organiser"])
        # Barbara declined one of the last three: she was not in all of them.
        from foundermode.store.schema_meetings import attendance
        from sqlalchemy import update

        conn.execute(update(attendance).where(attendance.c.occurrence_id == occ[3], attendance.c.person_id == ids["Barbara Liskov"]).values(response="DECLINED"))
    if text:
        files = [
            vtt_from_rttm(paths[0], tmp_path / "a.vtt", SPEAKERS, mention={3: "Radia"}),  # outside the last three
            vtt_from_rttm(paths[1], tmp_path / "b.vtt", SPEAKERS),
            vtt_from_rttm(paths[2], tmp_path / "c.vtt", SPEAKERS, style="prefix", mention={10: "Alan"}),
            vtt_from_rttm(paths[3], tmp_path / "d.vtt", SPEAKERS),
        ]
        speaker_map = None
    else:
        files = paths
        speaker_map = {label: SpeakerTarget(name=name, email="", line=0) for label, name in SPEAKERS.items()}
    import_transcripts(store, files, occurrence_ids=occ[:4], speaker_map=speaker_map)
    return ids, occ, paths


def expected_shares(paths: list[Path]) -> dict[str, float]:
    totals: dict[str, int] = {}
    for path in paths:
        for label, ticks in centisecond_totals(path).items():
            totals[label] = totals.get(label, 0) + ticks
    speech = sum(totals.values())
    return {SPEAKERS[label]: ticks / speech for label, ticks in totals.items()}


def test_silent_unnamed_attendee_gets_a_suggestion_with_evidence(store, shared_data, tmp_path):
    ids, occ, paths = build(store, shared_data, tmp_path)
    as_of = T0 + 4 * WEEK + 86400  # the day after the fifth (untranscribed) occurrence
    with store.read() as conn:
        suggestions = walkout_suggestions(conn, WalkoutSettings(), as_of=as_of)
    # Every AMI speaker holds well over 5 % of the talk; of the silent ones, Alan was named,
    # Olga organises and Barbara declined one: Radia is the only one.
    assert min(expected_shares(paths[1:]).values()) > 0.05
    assert [s.person for s in suggestions] == ["Radia Perlman"]
    radia = suggestions[0]
    assert (radia.occurrences, radia.seconds_spoken, radia.addressed, radia.mentions_checked) == (3, 0, 0, 3)
    assert (radia.first, radia.last) == (T0 + WEEK, T0 + 3 * WEEK)
    assert radia.meeting_seconds == 3 * 3600
    speech = sum(sum(centisecond_totals(p).values()) for p in paths[1:]) / 100
    assert radia.speech_seconds == pytest.approx(speech, abs=0.1)
    assert radia.hours_per_month == round(365.25 / 12 / 7, 1)  # weekly, one hour
    assert radia.organizer == "Olga Organiser"
    assert radia.suggestion == (
        "You could skip 'Design review': over the last 3 occurrences you did not speak in 3 h "
        "and nobody addressed you by name; skipping would free 4.3 h a month."
    )


def test_threshold_is_configurable_and_share_is_measured(store, shared_data, tmp_path):
    ids, occ, paths = build(store, shared_data, tmp_path)
    shares = expected_shares(paths[1:])
    config = Config(raw={"meetings": {"walkout_max_share": 0.2, "walkout_occurrences": 3}})
    with store.read() as conn:
        suggestions = {s.person: s for s in walkout_suggestions(conn, WalkoutSettings.from_config(config), as_of=T0 + 5 * WEEK)}
    quiet = {name for name, share in shares.items() if share < 0.2}
    assert quiet == {"Grace Hopper"}  # 18.6 % of ES2011b-d
    assert set(suggestions) == quiet | {"Radia Perlman"}
    grace = suggestions["Grace Hopper"]
    assert grace.share == pytest.approx(shares["Grace Hopper"], abs=1e-3)
    assert grace.suggestion.startswith(f"You could skip 'Design review': over the last 3 occurrences you spoke {duration_text(grace.seconds_spoken)} of 3 h and nobody")
    # Only the people asked about.
    with store.read() as conn:
        only = walkout_suggestions(conn, WalkoutSettings(max_share=0.2), as_of=T0 + 5 * WEEK, person_id=ids["Grace Hopper"])
    assert [s.person for s in only] == ["Grace Hopper"]


def test_needs_k_transcribed_occurrences_and_counts_only_the_last_k(store, shared_data, tmp_path):
    ids, occ, paths = build(store, shared_data, tmp_path)
    with store.read() as conn:
        # Before the fourth transcript, the last three are a, b, c: Radia was named in a,
        # Alan in c, and Barbara had not declined yet.
        assert [s.person for s in walkout_suggestions(conn, as_of=T0 + 2 * WEEK + 60)] == ["Barbara Liskov"]
        assert walkout_suggestions(conn, WalkoutSettings(occurrences=5), as_of=T0 + 5 * WEEK) == []
        two = walkout_suggestions(conn, WalkoutSettings(occurrences=2), as_of=T0 + 5 * WEEK)
    # Over c and d: Alan was named in c and Barbara declined d.
    assert {s.person for s in two} == {"Radia Perlman"}
    with pytest.raises(ValueError, match="walkout_max_share"):
        WalkoutSettings.from_config(Config(raw={"meetings": {"walkout_max_share": 5}}))


def test_transcripts_without_text_say_names_were_not_checked(store, shared_data, tmp_path):
    build(store, shared_data, tmp_path, text=False)
    with store.read() as conn:
        suggestions = walkout_suggestions(conn, as_of=T0 + 5 * WEEK)
    # Without text nobody can be shown to have been named: Radia and Alan both qualify.
    assert {s.person for s in suggestions} == {"Radia Perlman", "Alan Turing"}
    assert all(s.mentions_checked == 0 for s in suggestions)
    assert "could not be checked" in suggestions[0].suggestion


def test_cli_ingest_transcript_speaking_and_walkout(sqlite_store, shared_data, tmp_path):
    import json

    from typer.testing import CliRunner

    from foundermode.cli import app

    paths = ami_files(shared_data)
    with sqlite_store.write() as conn:
        ids = add_people(conn, {name: f"{name.split()[0].lower()}@example.com" for name in [*SPEAKERS.values(), *SILENT]})
        occ = add_series(conn, "Design review", T0, 4, {pid: "ACCEPTED" for pid in ids.values()}, organizer=ids["Olga Organiser"])
    speakers = tmp_path / "speakers.toml"
    speakers.write_text("[speakers]\n" + "".join(f'{label} = "{name.split()[0].lower()}@example.com"\n' for label, name in SPEAKERS.items()))
    db = sqlite_store.url
    runner = CliRunner()
    args = ["--db", db, "ingest", "transcript", *map(str, paths[1:]), "--speakers", str(speakers)]
    for occurrence_id in occ[1:]:
        args += ["--occurrence", str(occurrence_id)]
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [row["occurrence"] for row in json.loads(result.output)] == occ[1:]
    # By title and start: ten minutes late still finds the first occurrence.
    start = dt.datetime.fromtimestamp(T0 + 600, dt.timezone.utc).isoformat()
    result = runner.invoke(app, ["--db", db, "ingest", "transcript", str(paths[0]), "--meeting", "Design review", "--start", start], env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "FEE041" in result.output and "not people" in result.output  # no map given: reported
    bad = tmp_path / "bad.rttm"
    bad.write_text("SPEAKER x 1 0.5 oops <NA> <NA> A <NA> <NA>\n")
    result = runner.invoke(app, ["--db", db, "ingest", "transcript", str(bad), "--occurrence", str(occ[0])])
    message = " ".join(result.output.split())
    assert result.exit_code == 1 and "bad.rttm:1: duration 'oops' is not a number" in message and "nothing was imported" in message
    result = runner.invoke(app, ["--db", db, "meetings", "speaking", str(occ[3]), "--json"], catch_exceptions=False)
    rows = {row["name"]: row for row in json.loads(result.output)}
    expected = centisecond_totals(paths[3])
    assert rows["Ada Lovelace"]["seconds"] == pytest.approx(expected["FEE041"] / 100, abs=0.03)
    as_of = dt.datetime.fromtimestamp(T0 + 4 * WEEK, dt.timezone.utc).isoformat()
    result = runner.invoke(app, ["--db", db, "meetings", "walkout", "--as-of", as_of, "--json"], catch_exceptions=False)
    people = {s["person"] for s in json.loads(result.output)}
    assert people == {"Radia Perlman", "Alan Turing", "Barbara Liskov"}  # RTTM: names could not be checked
    result = runner.invoke(app, ["--db", db, "meetings", "walkout", "--as-of", as_of, "--person", "radia@example.com", "--format", "markdown"], catch_exceptions=False)
    assert result.exit_code == 0 and "You could skip 'Design review'" in result.output and "Alan" not in result.output


def test_end_to_end_from_an_ics_series(sqlite_store, shared_data, tmp_path):
    """The series comes from a calendar export read by the calendar ingest; transcripts attach by title and start."""
    from foundermode.meetings.calendars import import_calendars

    paths = ami_files(shared_data)
    people = {**{name: f"{name.split()[0].lower()}@example.com" for name in SPEAKERS.values()}, "Radia Perlman": "radia@example.com"}
    attendees = "".join(f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{email}\r\n" for name, email in people.items())
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//foundermode tests//EN\r\n"
        "BEGIN:VEVENT\r\nUID:design-review@example.com\r\nDTSTAMP:20240301T000000Z\r\n"
        "DTSTART:20240311T090000Z\r\nDTEND:20240311T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n"
        "SUMMARY:Design review\r\nORGANIZER;CN=Ada Lovelace:mailto:ada@example.com\r\n"
        f"{attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "team.ics").write_text(ics, encoding="utf-8")
    import_calendars(sqlite_store, [tmp_path / "team.ics"], since=T0 - WEEK, until=T0 + 8 * WEEK)
    files = [vtt_from_rttm(p, tmp_path / f"{p.stem}.vtt", SPEAKERS) for p in paths[1:]]
    starts = [T0 + week * WEEK + 120 for week in (1, 2, 3)]  # recordings start two minutes in
    results = import_transcripts(sqlite_store, files, title="Design review", starts=starts)
    assert all(r.unmapped == [] for r in results)
    with sqlite_store.read() as conn:
        suggestions = walkout_suggestions(conn, as_of=T0 + 4 * WEEK)
    # Ada organises; the other speakers all talk well over 5 %: Radia, silent and never named, is the one.
    assert [(s.person, s.occurrences, s.seconds_spoken, s.organizer, s.hours_per_month) for s in suggestions] == [
        ("Radia Perlman", 3, 0, "Ada Lovelace", round(2 * 1.0 * (365.25 / 12) / 28, 1))
    ]  # by hand: the 6-week series has 2 one-hour occurrences left in the 4 weeks after as_of


def test_walkout_hours_are_the_calendars_own_occurrences(sqlite_store, tmp_path):
    """A 15-minute weekday stand-up: the calendar holds 20 occurrences in the next 4 weeks
    (5.4 h a month), not the 30 a month a one-day median gap suggests (7.6 h)."""
    from sqlalchemy import select

    from foundermode.meetings.calendars import import_calendars
    from foundermode.meetings.walkout import _hours_per_month
    from foundermode.store.schema_meetings import meetings

    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//foundermode tests//EN\r\n"
        "BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20240301T000000Z\r\n"
        "DTSTART:20240304T090000Z\r\nDTEND:20240304T091500Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
        "SUMMARY:Stand-up\r\nORGANIZER;CN=Ada Lovelace:mailto:ada@example.com\r\n"
        "ATTENDEE;CN=Radia Perlman;PARTSTAT=ACCEPTED:mailto:radia@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "standup.ics").write_text(ics, encoding="utf-8")
    monday = 1709510400  # 2024-03-04T00:00Z
    import_calendars(sqlite_store, [tmp_path / "standup.ics"], since=monday, until=monday + 12 * WEEK)
    with sqlite_store.read() as conn:
        meeting_id = conn.execute(select(meetings.c.id).where(meetings.c.summary == "Stand-up")).scalar_one()
        hours = _hours_per_month(conn, meeting_id, as_of=monday + 2 * WEEK)
    hand_count = 20 * 0.25  # 4 weeks x 5 weekdays x 15 minutes
    assert hours == round(hand_count * (365.25 / 12) / 28, 1) == 5.4
