"""`foundermode sync`: every declared source taken in once, nothing re-read when nothing is new, failures named."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.config import ConfigError, load_config
from foundermode.store import set_clock
from foundermode.store.jobs import Busy, acquire, new_holder
from foundermode.store.schema import commits, people
from foundermode.store.schema_meetings import meetings, occurrences
from foundermode.store.schema_transcripts import transcripts
from foundermode.sync import declared_sources, parse_duration, redact_url, status_report, sync_all



def attendee(email: str) -> str:
    return f"ATTENDEE;PARTSTAT=ACCEPTED;CN={email.split('@')[0].title()}:mailto:{email}"


def event(uid: str, summary: str, start: str, end: str, organizer: str, attendees) -> str:
    return "\n".join([
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240301T000000Z", f"SUMMARY:{summary}",
        f"DTSTART;TZID=Europe/Berlin:{start}", f"DTEND;TZID=Europe/Berlin:{end}", f"ORGANIZER:mailto:{organizer}", *attendees, "END:VEVENT",
    ]) + "\n"


def calendar(owner: str, *events: str) -> str:
    head = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//foundermode tests//EN\nX-WR-CALNAME:{owner}\nX-WR-TIMEZONE:Europe/Berlin\n"
    return (head + "".join(events) + "END:VCALENDAR\n").replace("\n", "\r\n")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder / name

NOW = int(dt.datetime(2024, 3, 13, 12, 0, tzinfo=dt.timezone.utc).timestamp())


class IcsServer:
    """A calendar subscription on loopback: answers conditional GETs as Google's does (ETag, 304)."""

    def __init__(self, body: str):
        self.body = body.encode()
        self.status = 200
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                etag = '"' + hashlib.sha256(server.body).hexdigest()[:16] + '"'
                server.requests.append({"path": self.path, "if_none_match": self.headers.get("If-None-Match")})
                if server.status != 200:
                    self.send_response(server.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/calendar")
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", str(len(server.body)))
                    self.end_headers()
                    self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/calendar/ical/secret-token-123/basic.ics"

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def ics_server():
    server = IcsServer(calendar(
        "bob@example.com",
        event("standup@x", "Team stand-up", "20240312T093000", "20240312T094500", "bob@example.com",
              [attendee("bob@example.com"), attendee("ada@example.com")]),
    ))
    yield server
    server.close()


@pytest.fixture
def clock():
    set_clock(NOW)
    yield NOW
    set_clock(None)


def _vtt(lines: list[tuple[str, str]]) -> str:
    out = ["WEBVTT", ""]
    for number, (speaker, text) in enumerate(lines):
        out += [f"00:00:{number * 5:02d}.000 --> 00:00:{number * 5 + 4:02d}.000", f"<v {speaker}>{text}</v>", ""]
    return "\n".join(out)


@pytest.fixture
def organisation(tmp_path, make_repo, ics_server, monkeypatch):
    """Two repositories, a calendar folder, a subscription, a transcript folder and an org chart, declared once."""
    first, second = make_repo("api"), make_repo("web")
    for number in range(3):
        first.commit({f"api/{number}.py": f"x = {number}\n"}, message=f"api {number}")
    second.commit({"web/index.html": "<p>hi</p>\n"}, message="web", author=("Bob Builder", "bob@example.com"))
    write(tmp_path / "calendars", "ada@example.com.ics", calendar(
        "ada@example.com",
        event("weekly@x", "Weekly sync", "20240311T090000", "20240311T100000", "ada@example.com",
              [attendee("ada@example.com"), attendee("bob@example.com")]),
    ))
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    # 09:00 Berlin is 08:00 UTC; [meetings] timezone is UTC, so the name says 08.00.
    (recordings / "Weekly sync 2024-03-11 08.00.vtt").write_text(_vtt([("Ada Lovelace", "Bob, where are we?"), ("Bob Builder", "Shipping today.")]))
    (recordings / "Customer call-20240312_150000.vtt").write_text(_vtt([("Ada Lovelace", "Thanks for joining."), ("Carol", "Happy to.")]))
    (tmp_path / "org.csv").write_text(
        "email,name,title,team,manager_email,role\n"
        "ada@example.com,Ada Lovelace,CTO,leadership,,executive\n"
        "bob@example.com,Bob Builder,Engineer,web,ada@example.com,engineer\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FM_TEST_CALENDAR", ics_server.url)
    config_path = tmp_path / "foundermode.toml"
    config_path.write_text(
        '[sources]\n'
        'repositories = ["api", "web"]\n'
        'calendars = ["calendars/", { url_env = "FM_TEST_CALENDAR", owner = "bob@example.com" }]\n'
        'transcripts = ["recordings/"]\n'
        'org_chart = "org.csv"\n',
        encoding="utf-8",
    )
    return load_config(config_path), first, second


def _counts(store) -> dict:
    with store.read() as conn:
        return {
            "commits": conn.execute(select(func.count()).select_from(commits)).scalar(),
            "people": conn.execute(select(func.count()).select_from(people)).scalar(),
            "occurrences": conn.execute(select(func.count()).select_from(occurrences)).scalar(),
            "transcripts": conn.execute(select(func.count()).select_from(transcripts)).scalar(),
        }


def test_sync_takes_in_every_source_then_only_checks(store, organisation, ics_server, clock):
    config, first, _second = organisation
    result = sync_all(store, config)
    assert [(o.kind, o.status) for o in result.outcomes] == [
        ("org_chart", "updated"), ("repository", "updated"), ("repository", "updated"),
        ("calendar", "updated"), ("calendar", "updated"), ("transcripts", "updated"),
    ], [o.error for o in result.outcomes]
    counts = _counts(store)
    assert counts["commits"] == 4 and counts["transcripts"] == 2
    with store.read() as conn:
        titles = dict(conn.execute(
            select(meetings.c.summary, meetings.c.source).join(occurrences, occurrences.c.meeting_id == meetings.c.id)
            .join(transcripts, transcripts.c.occurrence_id == occurrences.c.id)
        ).all())
    # The weekly sync's recording joined its calendar occurrence; the unscheduled call became its own.
    assert titles == {"Weekly sync": "calendar", "Customer call": "transcript"}
    assert "2 attached" not in result.outcomes[-1].summary and "1 attached" in result.outcomes[-1].summary

    second = sync_all(store, config)
    assert [o.status for o in second.outcomes] == ["unchanged"] * 6
    assert _counts(store) == counts
    # The subscription was asked conditionally and answered 304: nothing downloaded again.
    assert ics_server.requests[-1]["if_none_match"] and "304" in second.outcomes[4].summary
    assert len(ics_server.requests) == 2

    # Something new in one source: only it is read.
    first.commit({"api/new.py": "y = 1\n"}, message="new")
    third = sync_all(store, config)
    assert [o.status for o in third.outcomes] == ["unchanged", "updated", "unchanged", "unchanged", "unchanged", "unchanged"]
    assert "1 new commit" in third.outcomes[1].summary


def test_a_failing_source_is_named_and_the_others_complete(store, store_url, organisation, ics_server, clock, tmp_path):
    config, first, second = organisation
    sync_all(store, config)
    import shutil

    shutil.rmtree(second.path)
    ics_server.status = 500
    first.commit({"api/more.py": "z = 2\n"}, message="more")
    result = sync_all(store, config)
    failed = {o.source: o.error for o in result.failed}
    assert set(failed) == {"web", "calendar from $FM_TEST_CALENDAR"}
    assert "no such folder" in failed["web"] and "HTTP 500" in failed["calendar from $FM_TEST_CALENDAR"]
    assert next(o for o in result.outcomes if o.source == "api").status == "updated"
    # The secret address never reaches a message.
    assert not any("secret-token-123" in (o.error or "") + o.summary for o in result.outcomes)

    cli = CliRunner().invoke(app, ["--db", store_url, "--config", str(config.path), "sync"])
    assert cli.exit_code == 1
    assert "failed repository web" in cli.output and "failed calendar calendar from $FM_TEST_CALENDAR" in cli.output
    status = CliRunner().invoke(app, ["--db", store_url, "--config", str(config.path), "status", "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    by_source = {s["source"]: s for s in report["sources"]}
    assert by_source["web"]["status"] == "failed" and "no such folder" in by_source["web"]["last_error"]
    assert by_source["api"]["status"] == "unchanged" and by_source["api"]["last_error"] is None
    assert report["jobs"]["sync"]["status"] == "failed" and "web" in report["jobs"]["sync"]["error"]
    assert "secret-token-123" not in status.stdout


def test_one_sync_at_a_time(store, organisation, clock):
    config, *_ = organisation
    assert acquire(store, "sync", new_holder(), lease=600)
    with pytest.raises(Busy):
        sync_all(store, config)
    # A holder that died: its lease runs out and the next sync goes ahead.
    set_clock(NOW + 601)
    assert sync_all(store, config).failed == []


def test_declarations(tmp_path, make_repo, monkeypatch):
    for name in ("a", "b"):
        make_repo(f"src/{name}").commit({"f": name})
    (tmp_path / "src" / "not-a-repo").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "foundermode.toml"
    path.write_text('[sources]\nrepositories = ["~/src/*", "https://git.example.com/api.git", "none/*"]\ncalendars = ["https://cal.example.com/ical/s3cret/basic.ics"]\n')
    sources = declared_sources(load_config(path))
    assert [s.label for s in sources[:3]] == [str(tmp_path / "src/a"), str(tmp_path / "src/b"), "https://git.example.com/api.git"]
    assert sources[3].problem == "none/*: matches no git repository"
    assert sources[4].label == "https://cal.example.com/…" and "s3cret" not in sources[4].location
    path.write_text('[sources]\nrepository = ["x"]\n')
    with pytest.raises(ConfigError, match="line 2"):
        declared_sources(load_config(path))
    assert parse_duration("15m") == 900 and parse_duration("1h30m") == 5400
    with pytest.raises(ValueError):
        parse_duration("soon")
    assert redact_url("https://calendar.google.com/calendar/ical/x%40y/private-abc/basic.ics") == "https://calendar.google.com/…"
