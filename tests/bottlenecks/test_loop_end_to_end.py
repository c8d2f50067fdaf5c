"""Issue 15, what it must show: the whole bottleneck loop on a generated org, through the command
line, to a real SMTP server (aiosmtpd) and a real HTTP receiver (the signed webhook) on loopback.

Three resources, six reporters (two each), and ingested calendars for the leader, the owners and
the reporters with meetings in the way; one reporter works in New York ([meetings.timezones]).

- No two calls overlap for anyone, none sits on anyone's ingested meeting, and each falls in every
  invitee's working hours in that invitee's own time zone; each invite's text tells the time on
  that invitee's clock.
- Staging is resolved before its call while a webhook message for it is still waiting for a retry:
  that message is withdrawn, every invitee gets METHOD:CANCEL with SEQUENCE one more than the
  invite, and nothing else for it is delivered afterwards, by email or webhook. Its call's slot
  is free again: the next call booked takes it.
- The GPU cluster, acknowledged by its owner and left alone, is reminded exactly at
  acknowledged_at + stale_after (not a second before), then re-escalated to the leader after as
  long again, on both channels and on the timeline.
- CI runners, never acknowledged, runs its chain out and, idle for expire_after, closes itself with
  a note.
- Resolved before any invite was tried (between the escalation and the first delivery), a call
  sends nobody a CANCEL for an invite they never got: nothing at all is sent.

Time moves by --now only; nothing sleeps. The last test is a false merge this test ran into (one
shared word, 'hour', joined an unrelated bottleneck): words of time are not content words.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from zoneinfo import ZoneInfo

from foundermode.present.times import duration

from .through_cli import calendar_of, invoke, subject
from .conftest import MONDAY

SECRET = "loop-webhook-secret"
DAY = 86400
UTC = dt.timezone.utc

CHAIN = """
[[resources.chain]]
notify = "owner"
channels = ["email", "webhook"]
wait = "30m"
repeat = 1

[[resources.chain]]
notify = "leader"
channels = ["email", "webhook"]
wait = "2h"
"""

CONFIG = """
[org]
leader = "lead@example.com"

[meetings]
working_hours = "09:00-17:00"

[meetings.timezones]
"hana@example.com" = "America/New_York"

[bottlenecks]
stale_after = "2d"
expire_after = "30d"

[notify]
backoff_base = 60
backoff_cap = 600
http_timeout = 2

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda", "nvidia"]
owner = "grace@example.com"
""" + CHAIN + """
[[resources]]
name = "CI runners"
keywords = ["ci", "runner", "runners", "pipeline"]
owner = "carol@example.com"
""" + CHAIN + """
[[resources]]
name = "Staging database"
keywords = ["staging", "postgres", "database"]
owner = "dora@example.com"
""" + CHAIN

REPORTS = [  # (reporter, text, resource)
    ("ada@example.com", "The GPU cluster is down, training jobs are stuck", "GPU cluster"),
    ("bob@example.com", "gpu cluster down again, my cuda jobs are stuck", "GPU cluster"),
    ("erin@example.com", "CI runners are stuck, the pipeline queue is an hour long", "CI runners"),
    ("frank@example.com", "the ci pipeline runners are stuck in the queue", "CI runners"),
    ("gus@example.com", "The staging database is full and postgres refuses writes", "Staging database"),
    ("hana@example.com", "staging postgres database refuses writes, it is full", "Staging database"),
]
OWNERS = {"GPU cluster": "grace@example.com", "CI runners": "carol@example.com", "Staging database": "dora@example.com"}
LEADER = "lead@example.com"
ZONES = {"hana@example.com": "America/New_York"}  # everyone else works in UTC, the org's zone

# Monday 11 March 2024 (UTC): each person's meetings, chosen so that the earliest slots are taken.
MEETINGS = {
    LEADER: [(10, 0, 11, 30)],
    "grace@example.com": [(9, 30, 10, 0)],
    "ada@example.com": [(12, 0, 12, 30)],
    "erin@example.com": [(9, 0, 10, 0)],
    "carol@example.com": [(12, 0, 12, 30)],
    "dora@example.com": [(13, 0, 14, 0)],
    "gus@example.com": [(13, 0, 14, 30)],
}


def at(hour: int, minute: int = 0, day: int = 11) -> int:
    return int(dt.datetime(2024, 3, day, hour, minute, tzinfo=UTC).timestamp())


def ics(email: str, meetings) -> str:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{email.split('@')[0]}-{i}@example.com\r\nDTSTAMP:20240301T000000Z\r\n"
        f"DTSTART:20240311T{h1:02d}{m1:02d}00Z\r\nDTEND:20240311T{h2:02d}{m2:02d}00Z\r\nSUMMARY:In the way {i}\r\n"
        f"ORGANIZER:mailto:{email}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{email}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone-else@example.com\r\nEND:VEVENT\r\n"
        for i, (h1, m1, h2, m2) in enumerate(meetings)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//foundermode tests//EN\r\n{events}END:VCALENDAR\r\n"


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, UTC).isoformat()  # how show --json writes a time




def to(message) -> str:
    return message["To"].addresses[0].addr_spec



def cli_args(tmp_path, store_url, smtp_server, webhook: bool = False) -> list[str]:
    """The org's foundermode.toml (CONFIG, mail to the SMTP receiver, the signed webhook if asked) and the CLI's --db/--config."""
    config_path = tmp_path / "foundermode.toml"
    config_path.write_text(CONFIG + f"""
[notify.email]
host = "{smtp_server.host}"
port = {smtp_server.port}
sender = "foundermode <fm@example.com>"
""" + ("""
[notify.webhook]
url_env = "FM_LOOP_WEBHOOK"
secret_env = "FM_LOOP_SECRET"
""" if webhook else ""), encoding="utf-8")
    return ["--db", store_url.replace("postgresql+psycopg://", "postgresql://"), "--config", str(config_path)]


def ingest_org(args, tmp_path, everyone) -> None:
    """The org chart: the leader and ``everyone`` else, engineers reporting to the leader."""
    (tmp_path / "org.csv").write_text(
        "email,name,title,team,manager_email,role\nlead@example.com,Lea Leader,CEO,,,executive\n"
        + "".join(f"{who},{who.split('@')[0].title()},Engineer,core,lead@example.com,engineer\n" for who in everyone),
        encoding="utf-8",
    )
    invoke(args, "ingest", "org", str(tmp_path / "org.csv"))


def bottleneck_of(message) -> int:
    """The bottleneck a message is about: every subject names it as #N."""
    return int(re.search(r"#(\d+)", subject(message)).group(1))


def test_the_loop_on_a_generated_org(tmp_path, store_url, smtp_server, http_receiver, monkeypatch):
    monkeypatch.setenv("FM_LOOP_WEBHOOK", http_receiver.url("/webhook"))
    monkeypatch.setenv("FM_LOOP_SECRET", SECRET)
    args = cli_args(tmp_path, store_url, smtp_server, webhook=True)

    # the generated org: a leader, three owners, six reporters; everyone's calendar but hana's ingested
    ingest_org(args, tmp_path, [w for w, _, _ in REPORTS] + list(OWNERS.values()))
    folder = tmp_path / "calendars"
    folder.mkdir()
    for email, meetings in MEETINGS.items():
        (folder / f"{email}.ics").write_text(ics(email, meetings), encoding="utf-8")
    invoke(args, "ingest", "calendar", str(folder), "--since", "2024-03-01", "--until", "2024-04-01")

    # six reports from 09:00, two per resource; the webhook receiver is down when they are delivered
    http_receiver.down()
    for minute, (who, text, _resource) in enumerate(REPORTS):
        invoke(args, "blocker", "report", text, "--by", who, "--now", str(at(9, minute)))
    ids = {b["resource"]: b["id"] for b in json.loads(invoke(args, "bottlenecks", "--json", "--now", str(at(9, 6))))}
    assert sorted(ids) == sorted(OWNERS)
    gpu, ci, staging = ids["GPU cluster"], ids["CI runners"], ids["Staging database"]
    invoke(args, "tick", "--now", str(at(9, 6)))

    # -- the calls -----------------------------------------------------------------------------
    calls = {}
    for message in smtp_server.messages:
        if not subject(message).startswith("Call:"):
            continue
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        people = frozenset(str(a).lower().removeprefix("mailto:") for a in event.get("ATTENDEE"))
        uid = str(event["UID"])
        call = (event.decoded("DTSTART"), event.decoded("DTEND"), people, int(event.get("SEQUENCE", 0)))
        assert calls.setdefault(uid, call) == call  # every invitee got the same invite
        calls[uid] = call
        calls.setdefault(("to", uid), set()).add(to(message))
    uids = [k for k in calls if isinstance(k, str)]
    assert len(uids) == 3  # one call per bottleneck
    by_resource = {}
    for resource, owner in OWNERS.items():
        reporters = {w for w, _, r in REPORTS if r == resource}
        (uid,) = [u for u in uids if owner in calls[u][2]]
        assert calls[uid][2] == reporters | {owner, LEADER}  # owner, both reporters and the leader
        assert calls[("to", uid)] == set(calls[uid][2])  # each of them got the invite
        by_resource[resource] = uid
    for uid in uids:
        start, end, people, _seq = calls[uid]
        assert end - start == dt.timedelta(minutes=30)
        for person in people:
            for h1, m1, h2, m2 in MEETINGS.get(person, []):
                assert not (start.timestamp() < at(h2, m2) and end.timestamp() > at(h1, m1)), f"{uid} sits on {person}'s meeting"
            zone = ZoneInfo(ZONES.get(person, "UTC"))
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            assert local_start.weekday() < 5 and dt.time(9) <= local_start.time() and local_end.time() <= dt.time(17) \
                and local_start.date() == local_end.date(), f"{uid} is outside {person}'s working hours ({local_start:%a %H:%M} {zone})"
        for other in uids:
            if other != uid and people & calls[other][2]:
                o_start, o_end = calls[other][0], calls[other][1]
                assert end <= o_start or o_end <= start, f"{uid} and {other} overlap for {sorted(people & calls[other][2])}"

    # and each is the earliest such slot: GPU (escalated first) skips grace 09:30 and the leader
    # 10:00-11:30; CI skips erin 09:30 and the leader, then 11:30, free in every calendar but
    # the GPU call's (the leader is on it), and carol 12:00; staging waits for New York's 09:00
    # (13:00 UTC), then dora's and gus's meetings
    assert {r: calls[u][0].astimezone(UTC).strftime("%H:%M") for r, u in by_resource.items()} == {
        "GPU cluster": "11:30", "CI runners": "12:30", "Staging database": "14:30"}
    # each invite's text gives the time on the invitee's own clock: New York for hana, the org's for gus
    said = {to(m): m.get_body(("plain",)).get_content() for m in smtp_server.messages
            if subject(m).startswith("Call:") and bottleneck_of(m) == staging}
    assert "Call at Monday 11 March 10:30 (America/New_York), 30 minutes." in said["hana@example.com"]
    assert "Call at Monday 11 March 14:30 (UTC), 30 minutes." in said["gus@example.com"]

    # each owner got the step-1 email; the webhook messages wait for a retry
    owner_mail = [m for m in smtp_server.messages if subject(m).startswith("[foundermode] Bottleneck #")]
    assert sorted(to(m) for m in owner_mail) == sorted(OWNERS.values())
    assert http_receiver.received() == []
    retrying = json.loads(invoke(args, "outbox", "--state", "retrying", "--json"))
    assert len([m for m in retrying if m["channel"] == "webhook"]) == 3

    # -- staging resolved before its call, its webhook message still waiting ---------------------
    staging_uid = by_resource["Staging database"]
    resolve_at = at(9, 8)
    assert resolve_at < calls[staging_uid][0].timestamp()
    mails_before = len(smtp_server.messages)
    invoke(args, "bottlenecks", "resolve", str(staging), "--by", "dora@example.com", "--now", str(resolve_at))
    detail = json.loads(invoke(args, "bottlenecks", "show", str(staging), "--json"))
    (withdrawn,) = [e for e in detail["timeline"] if e["kind"] == "withdrawn"]
    assert withdrawn["messages"] == 1 and withdrawn["at"] == iso(resolve_at)
    states = {(m["channel"], m["state"]) for m in json.loads(invoke(args, "outbox", "--json", "-n", "0"))
              if m["escalation_id"] is not None and m["subject"].startswith(f"[foundermode] Bottleneck #{staging} ")}
    assert states == {("email", "sent"), ("webhook", "withdrawn")}
    http_receiver.up()
    invoke(args, "tick", "--now", str(at(9, 10)))

    # The cancelled call's slot is free again: gus and hana, both on the staging call, report
    # something no resource claims; the leader holds it, and the first slot free for the leader,
    # gus (13:00-14:30) and hana (New York) is the one staging gave back.
    invoke(args, "blocker", "report", "The office wifi drops all the time", "--by", "gus@example.com", "--now", str(at(9, 11)))
    out = invoke(args, "blocker", "report", "office wifi keeps dropping all the time", "--by", "hana@example.com", "--now", str(at(9, 12)))
    assert "escalated" in out
    invoke(args, "tick", "--now", str(at(9, 13)))
    wifi_invites = [m for m in smtp_server.messages[mails_before:] if subject(m).startswith("Call:")]
    assert sorted(to(m) for m in wifi_invites) == sorted(["gus@example.com", "hana@example.com", LEADER])
    (event,) = calendar_of(wifi_invites[0]).walk("VEVENT")
    assert event.decoded("DTSTART") == calls[staging_uid][0]
    wifi = bottleneck_of(wifi_invites[0])
    assert wifi not in (gpu, ci, staging)

    # the GPU cluster's owner acknowledges it at 09:15; CI runners is left to its chain
    acked = at(9, 15)
    invoke(args, "bottlenecks", "ack", str(gpu), "--by", "grace@example.com", "--now", str(acked))
    for when in [at(9, 16) + 300 * i for i in range(9)] + [at(h, m) for h in range(10, 17) for m in (0, 31)] + [at(9, 0, day=12)]:
        invoke(args, "tick", "--now", str(when))
    after = smtp_server.messages[mails_before:]
    staging_mail = [m for m in after if bottleneck_of(m) == staging]
    cancels = [m for m in staging_mail if subject(m).startswith("Cancelled:")]
    assert staging_mail == cancels  # nothing but the cancellations, by email
    assert sorted(to(m) for m in cancels) == sorted(calls[staging_uid][2])  # every invitee, once
    for message in cancels:
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == staging_uid and str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == calls[staging_uid][3] + 1
        assert event.decoded("DTSTART") == calls[staging_uid][0]
    detail = json.loads(invoke(args, "bottlenecks", "show", str(staging), "--json"))
    (cancelled,) = [e for e in detail["timeline"] if e["kind"] == "call_cancelled"]
    assert sorted(cancelled["attendees"]) == sorted(calls[staging_uid][2]) and detail["status"] == "resolved"

    def hooks():
        return http_receiver.received("/webhook")

    assert not [h for h in hooks() if h.json().get("bottleneck_id") == staging]  # nothing for it by webhook either
    for request in hooks():  # every webhook that arrived is signed over its exact body
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers["x-foundermode-signature"], expected)
        assert request.headers["idempotency-key"]
    steps = [(p["bottleneck_id"], p["level"], p["repeat"], p["to"]) for p in (h.json() for h in hooks()) if p["event"] == "bottleneck.escalation"]
    # the GPU cluster: its owner's step, then nothing (acknowledged); CI runners: the owner twice, then the leader
    assert sorted(steps) == sorted([(gpu, 1, 0, "grace@example.com"), (ci, 1, 0, "carol@example.com"), (ci, 1, 1, "carol@example.com"), (ci, 2, 0, LEADER)])
    for payload in (h.json() for h in hooks()):
        resource = next((r for r, i in ids.items() if i == payload["bottleneck_id"]), None)
        assert resource is not None  # the wifi bottleneck's chain (the leader's) is email only
        assert payload["resource"] == resource
        assert sorted(payload.get("reporters", [])) in ([], sorted(w for w, _, r in REPORTS if r == resource))
    assert [to(m) for m in smtp_server.messages if bottleneck_of(m) == gpu and not subject(m).startswith("Call:")] == ["grace@example.com"]

    # -- the GPU cluster, acknowledged and left alone, climbs again on time ------------------------
    stale = 2 * DAY
    mails, sent_hooks = len(smtp_server.messages), len(hooks())
    invoke(args, "tick", "--now", str(acked + stale - 1))  # a second early: nothing
    assert len(smtp_server.messages) == mails and len(hooks()) == sent_hooks
    invoke(args, "tick", "--now", str(acked + stale))
    (reminder,) = smtp_server.messages[mails:]
    assert to(reminder) == "grace@example.com" and subject(reminder).startswith(f"[foundermode] Still open: bottleneck #{gpu} ")
    (hook,) = hooks()[sent_hooks:]
    assert (hook.json()["event"], hook.json()["bottleneck_id"], hook.json()["to"]) == ("bottleneck.reminded", gpu, "grace@example.com")
    mails, sent_hooks = len(smtp_server.messages), len(hooks())
    invoke(args, "tick", "--now", str(acked + 2 * stale - 1))  # as long again, less a second: still nothing
    assert len(smtp_server.messages) == mails and len(hooks()) == sent_hooks
    invoke(args, "tick", "--now", str(acked + 2 * stale))
    (climbed,) = smtp_server.messages[mails:]
    assert to(climbed) == LEADER and bottleneck_of(climbed) == gpu
    (hook,) = hooks()[sent_hooks:]
    assert (hook.json()["event"], hook.json()["bottleneck_id"], hook.json()["to"]) == ("bottleneck.re-escalated", gpu, LEADER)
    timeline = json.loads(invoke(args, "bottlenecks", "show", str(gpu), "--json"))["timeline"]
    assert [(e["kind"], e["at"], e["to"]) for e in timeline if e["kind"] in ("reminded", "re-escalated")] == [
        ("reminded", iso(acked + stale), "grace@example.com"), ("re-escalated", iso(acked + 2 * stale), LEADER)]
    mails, sent_hooks = len(smtp_server.messages), len(hooks())
    invoke(args, "tick", "--now", str(acked + 3 * stale))  # the climb ends at the leader
    assert len(smtp_server.messages) == mails and len(hooks()) == sent_hooks

    # -- CI runners, never acknowledged: idle for expire_after, it closes itself with a note ------
    detail = json.loads(invoke(args, "bottlenecks", "show", str(ci), "--json"))
    assert detail["status"] == "escalated" and "exhausted" in [e["kind"] for e in detail["timeline"]]
    last = max(int(dt.datetime.fromisoformat(e["at"]).timestamp()) for e in detail["timeline"])
    invoke(args, "tick", "--now", str(last + 30 * DAY - 1))
    assert json.loads(invoke(args, "bottlenecks", "show", str(ci), "--json"))["status"] == "escalated"
    invoke(args, "tick", "--now", str(last + 30 * DAY))
    detail = json.loads(invoke(args, "bottlenecks", "show", str(ci), "--json"))
    (closing,) = [e for e in detail["timeline"] if e["kind"] == "resolved"]
    assert detail["status"] == "resolved" and closing["expired"] is True and closing["at"] == iso(last + 30 * DAY)
    assert closing["note"] == f"expired after {duration(30 * DAY)} without activity"
    # the GPU cluster was active at its re-escalation: still acknowledged, not expired
    assert json.loads(invoke(args, "bottlenecks", "show", str(gpu), "--json"))["status"] == "acknowledged"


def test_one_shared_word_does_not_join_an_unrelated_bottleneck(store, write_config):
    """Found by the loop test: "drops every hour" joined "the pipeline queue is an hour long" on
    the one word 'hour' (0.15, over ONE_WORD_FACTOR x threshold in a small index). A word saying
    when or how long (matching.TIME_WORDS) is not what a blocker is about: it no longer counts."""
    from foundermode.bottlenecks.board import bottleneck_detail
    from foundermode.bottlenecks.intake import report
    from foundermode.bottlenecks.matching import shared_words

    config = write_config()
    ci = report(store, config, text="CI runners are stuck, the pipeline queue is an hour long", by="erin@example.com", now=MONDAY).bottleneck_id
    report(store, config, text="the ci pipeline runners are stuck in the queue", by="frank@example.com", now=MONDAY + 60)
    wifi = report(store, config, text="The office wifi drops every hour", by="gus@example.com", now=MONDAY + 120).bottleneck_id
    assert wifi != ci
    with store.read() as conn:
        assert [r["text"] for r in bottleneck_detail(conn, wifi)["reports"]] == ["The office wifi drops every hour"]
        assert len(bottleneck_detail(conn, ci)["reports"]) == 2
    assert shared_words("The office wifi drops every hour", "the pipeline queue is an hour long") == 0
    # a shared subject word still counts
    assert shared_words("The office wifi drops every hour", "office wifi keeps dropping all day") == 3  # office, wifi, drop


def test_resolved_before_any_invite_left_tells_nobody_of_the_call(tmp_path, store_url, smtp_server):
    """Resolved between the escalation and the first delivery: the invites are withdrawn untried, so
    nobody gets a CANCEL for a call they never heard of, and nothing at all is sent."""
    args = cli_args(tmp_path, store_url, smtp_server)
    gpu_reports = [(who, text) for who, text, resource in REPORTS if resource == "GPU cluster"]
    ingest_org(args, tmp_path, [OWNERS["GPU cluster"], *(who for who, _ in gpu_reports)])
    for minute, (who, text) in enumerate(gpu_reports):
        out = invoke(args, "blocker", "report", text, "--by", who, "--now", str(at(9, minute)))
    assert "escalated" in out
    (gpu,) = [b["id"] for b in json.loads(invoke(args, "bottlenecks", "--json", "--now", str(at(9, 2))))]
    invoke(args, "bottlenecks", "resolve", str(gpu), "--by", "grace@example.com", "--now", str(at(9, 2)))
    for moment in (at(9, 3), at(10), at(9, 0, day=12)):
        invoke(args, "tick", "--now", str(moment))
    assert smtp_server.messages == []
    rows = json.loads(invoke(args, "outbox", "--json", "-n", "0"))
    assert rows and {r["state"] for r in rows} == {"withdrawn"}
    invitees = sorted([LEADER, OWNERS["GPU cluster"], *(who for who, _ in gpu_reports)])
    assert sorted(r["recipient"].split("<")[-1].rstrip(">") for r in rows if r["subject"].startswith("Call:")) == invitees
    timeline = json.loads(invoke(args, "bottlenecks", "show", str(gpu), "--json"))["timeline"]
    (cancelled,) = [e for e in timeline if e["kind"] == "call_cancelled"]
    assert cancelled["attendees"] == [] and sorted(cancelled["uninvited"]) == invitees
