"""Calls that know what they booked: three bottlenecks heard twice each on a generated org,
a meeting in the leader's way, through the CLI to a real SMTP server (aiosmtpd).

No two calls overlap for anyone (the leader sits in all three), none sits on the leader's
meeting; resolving one before its call sends METHOD:CANCEL to every invitee of that call
and nothing else is delivered for it afterwards."""
from __future__ import annotations

import datetime as dt
import json

import icalendar
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.store import set_clock

from .conftest import MONDAY

CONFIG = """
[org]
leader = "lead@example.com"

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda", "nvidia"]
owner = "grace@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "30m"
repeat = 1

[[resources]]
name = "CI runners"
keywords = ["ci", "runner", "runners", "pipeline"]
owner = "carol@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "30m"
repeat = 1

[[resources]]
name = "Staging database"
keywords = ["staging", "postgres", "database"]
owner = "dora@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "30m"
repeat = 1
"""

REPORTS = [
    ("ada@example.com", "The GPU cluster is down, training jobs are stuck"),
    ("bob@example.com", "gpu cluster down again, my cuda jobs are stuck"),
    ("erin@example.com", "CI runners are stuck, the pipeline queue is an hour long"),
    ("frank@example.com", "the ci pipeline runners are stuck in the queue"),
    ("gus@example.com", "The staging database is full and postgres refuses writes"),
    ("hana@example.com", "staging postgres database refuses writes, it is full"),
]

# The leader is in a meeting on Monday 10:00-11:30 UTC: no call may sit on it.
LEADER_MEETING = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//foundermode tests//EN\r\n"
    "BEGIN:VEVENT\r\nUID:board@example.com\r\nDTSTAMP:20240301T000000Z\r\n"
    "DTSTART:20240311T100000Z\r\nDTEND:20240311T113000Z\r\nSUMMARY:Board meeting\r\n"
    "ORGANIZER;CN=Lea Leader:mailto:lead@example.com\r\n"
    "ATTENDEE;CN=Lea Leader;PARTSTAT=ACCEPTED:mailto:lead@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def invoke(args, *more):
    result = CliRunner().invoke(app, [*args, *more])
    assert result.exit_code == 0, result.output
    return result.output


def subject(message) -> str:
    return " ".join(str(message["Subject"]).split())  # a long subject arrives folded


def calendar_of(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    content = part.get_content()
    return icalendar.Calendar.from_ical(content if isinstance(content, str) else content.decode())


def test_calls_never_overlap_and_resolving_cancels(tmp_path, store_url, smtp_server):
    config_path = tmp_path / "foundermode.toml"
    config_path.write_text(
        CONFIG + f'\n[notify.email]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsender = "foundermode <fm@example.com>"\n',
        encoding="utf-8",
    )
    (tmp_path / "lead.ics").write_text(LEADER_MEETING, encoding="utf-8")
    args = ["--db", store_url.replace("postgresql+psycopg://", "postgresql://"), "--config", str(config_path)]
    org = "email,name,title,team,manager_email,role\nlead@example.com,Lea Leader,CEO,,,executive\n" + "".join(
        f"{who},{who.split('@')[0].title()},Engineer,core,lead@example.com,engineer\n"
        for who in [w for w, _ in REPORTS] + ["grace@example.com", "carol@example.com", "dora@example.com"]
    )
    (tmp_path / "org.csv").write_text(org, encoding="utf-8")
    invoke(args, "ingest", "org", str(tmp_path / "org.csv"))
    invoke(args, "ingest", "calendar", str(tmp_path / "lead.ics"), "--owner", "lead@example.com", "--since", "2024-03-01", "--until", "2024-04-01")

    for minute, (who, text) in enumerate(REPORTS):
        invoke(args, "blocker", "report", text, "--by", who, "--now", str(MONDAY - 3600 + minute * 60))
    invoke(args, "tick", "--now", str(MONDAY - 3000))

    invites = [m for m in smtp_server.messages if subject(m).startswith("Call:")]
    calls = {}
    for message in invites:
        (event,) = calendar_of(message).walk("VEVENT")
        attendees = frozenset(str(a).lower().removeprefix("mailto:") for a in event.get("ATTENDEE"))
        calls[str(event["UID"])] = (event.decoded("DTSTART"), event.decoded("DTEND"), attendees)
    assert len(calls) == 3  # one call per bottleneck
    meeting = (dt.datetime(2024, 3, 11, 10, 0, tzinfo=dt.timezone.utc), dt.datetime(2024, 3, 11, 11, 30, tzinfo=dt.timezone.utc))
    found = sorted(calls.values(), key=lambda c: c[0])
    for index, (start, end, people) in enumerate(found):
        assert "lead@example.com" in people
        assert not (start < meeting[1] and end > meeting[0]), "a call sits on the leader's meeting"
        for other_start, other_end, other_people in found[index + 1:]:
            if people & other_people:
                assert end <= other_start or other_end <= start, "two calls overlap for someone"

    # Resolve the staging bottleneck before its call: every invitee gets a CANCEL, nothing else follows.
    staging_uid = next(uid for uid, (_s, _e, people) in calls.items() if "dora@example.com" in people)
    staging_start = calls[staging_uid][0].timestamp()
    show = invoke(args, "bottlenecks", "--json")
    staging_id = next(b["id"] for b in json.loads(show) if b.get("resource") == "Staging database")
    resolve_at = MONDAY - 2900
    assert resolve_at < staging_start
    before = len(smtp_server.messages)
    set_clock(resolve_at)
    try:
        invoke(args, "bottlenecks", "resolve", str(staging_id), "--by", "dora@example.com")
    finally:
        set_clock(None)
    for later in (resolve_at + 60, resolve_at + 3600, resolve_at + 4 * 3600):
        invoke(args, "tick", "--now", str(later))
    after = smtp_server.messages[before:]
    about_staging = [m for m in after if f"#{staging_id}" in subject(m)]
    cancels = [m for m in about_staging if subject(m).startswith("Cancelled:")]
    assert about_staging == cancels  # nothing but the cancellations for it
    assert sorted(m["To"].addresses[0].addr_spec for m in cancels) == sorted(calls[staging_uid][2])
    calendar = calendar_of(cancels[0])
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == staging_uid and int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CANCELLED"
    # the other two keep their chains: their owners are reminded when nobody acknowledges
    assert any("#" in subject(m) and f"#{staging_id}" not in subject(m) for m in after)
