"""Slack heard for blockers: a workspace export built here in Slack's documented layout, and the
Events API live on loopback (signed requests, a retry, a bad signature, a stale timestamp)."""
from __future__ import annotations

import json
import threading
import time
import zipfile

import httpx
import pytest
from sqlalchemy import func, select

from foundermode.bottlenecks import board
from foundermode.bottlenecks.heard import hear_slack_export, pending
from foundermode.sources.slack import SlackExportError, read_export
from foundermode.store.schema_bottlenecks import blocker_reports, escalations
from foundermode.store.schema_heard import slack_events_seen
from foundermode.web.slack import signature

from .conftest import MONDAY

SECRET = "slack-events-test-secret"
SLACK = """
[slack]
signing_secret_env = "FM_HEARD_SLACK"
workspace = "acme"

[identities.aliases]
"ada@example.com" = ["slack:U01ADA"]
"bob@example.com" = ["slack:U02BOB"]
"""

USERS = [
    {"id": "U01ADA", "name": "ada", "real_name": "Ada Lovelace", "profile": {"real_name": "Ada Lovelace", "email": "ada@example.com"}},
    {"id": "U02BOB", "name": "bob", "profile": {"real_name": "Bob Builder", "display_name": "bob", "email": "bob@example.com"}},
    {"id": "U03CY", "name": "cy", "profile": {"real_name": "Cy Young"}},
    {"id": "B01BOT", "name": "deploybot", "is_bot": True, "profile": {"real_name": "Deploy bot"}},
]
CHANNELS = [{"id": "C01INFRA", "name": "infra", "created": 1700000000}, {"id": "C02GEN", "name": "general", "created": 1700000000},
            {"id": "C03RANDOM", "name": "random", "created": 1700000000}]


def ts(offset: int) -> str:
    return f"{MONDAY + offset}.{offset:06d}"


def build_export(path, extra_general=()):
    days = {
        "infra/2024-03-11.json": [
            {"type": "message", "subtype": "channel_join", "user": "U03CY", "text": "<@U03CY> has joined the channel", "ts": ts(1)},
            {"type": "message", "user": "U01ADA", "text": "Morning all. Still waiting on the GPU cluster, my cuda jobs don't start.", "ts": ts(60)},
            {"type": "message", "subtype": "bot_message", "bot_id": "B01", "username": "deploybot", "text": "We are blocked on the GPU cluster (deploy 42)", "ts": ts(70)},
        ],
        "general/2024-03-11.json": [
            {"type": "message", "user": "U02BOB", "text": "We're blocked on the GPU cluster since 9am.", "ts": ts(120),
             "user_profile": {"real_name": "Bob Builder"}},
            {"type": "message", "user": "U03CY", "text": "I merged the login fix, CI is green again.", "ts": ts(180)},
            *extra_general,
        ],
        "random/2024-03-11.json": [{"type": "message", "user": "U03CY", "text": "I'm blocked on the coffee machine", "ts": ts(200)}],
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("users.json", json.dumps(USERS))
        archive.writestr("channels.json", json.dumps(CHANNELS))
        for name, messages in days.items():
            archive.writestr(name, json.dumps(messages, indent=4))
    return path


def count(store, table, *where):
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_slack_export_same_blocker_two_people_two_channels_escalates_once(store, write_config, tmp_path):
    config = write_config(SLACK)
    export = build_export(tmp_path / "acme-slack.zip", extra_general=[
        {"type": "message", "user": "U03CY", "text": "I think we might be waiting on the staging db, not sure", "ts": ts(240)},
    ])
    users, messages = read_export(export, ["infra", "general"])
    assert [m.user for m in messages] == ["U01ADA", "U02BOB", "U03CY", "U03CY"]  # no join, no bot, not #random
    heard = hear_slack_export(store, config, export, channels=["infra", "general"], workspace="acme", now=MONDAY + 600)
    summary = heard.summary()
    assert (summary["reports"], summary["bottlenecks_opened"], summary["escalated"], summary["not_blockers"]) == (2, 1, 1, 1)
    assert summary["to_confirm"] == 1  # a hedge: shown to confirm, never escalated on its own
    (bottleneck_id,) = summary["bottlenecks"]
    assert count(store, escalations) == 1
    with store.read() as conn:
        rows = conn.execute(select(blocker_reports.c.heard_in, blocker_reports.c.heard_where, blocker_reports.c.heard_link, blocker_reports.c.reported_at)
                            .order_by(blocker_reports.c.id)).all()
        detail = board.bottleneck_detail(conn, bottleneck_id)
    assert [(r[0], r[1]) for r in rows] == [("slack", "#infra"), ("slack", "#general")]
    assert rows[0][2] == f"https://acme.slack.com/archives/C01INFRA/p{ts(60).replace('.', '')}" and rows[0][3] == MONDAY + 60
    assert detail["resource"] == "GPU cluster" and sorted(r["person"] for r in detail["reports"]) == ["Ada Lovelace", "Bob Builder"]
    assert [p["said"] for p in pending(store)] == ["I think we might be waiting on the staging db, not sure"]

    # Heard again: nothing added, nothing escalated twice.
    again = hear_slack_export(store, config, export, channels=["infra", "general"], now=MONDAY + 700).summary()
    assert (again["reports"], again["escalated"], again["to_confirm"]) == (0, 0, 0)
    assert count(store, blocker_reports) == 2 and count(store, escalations) == 1


def test_slack_export_not_a_blocker_escalates_nothing_and_bad_exports_are_one_line(store, write_config, tmp_path):
    config = write_config(SLACK)
    export = build_export(tmp_path / "quiet.zip")
    heard = hear_slack_export(store, config, export, channels=["general"], now=MONDAY + 600).summary()
    assert heard["reports"] == 1 and heard["escalated"] == 0  # Bob alone: heard once, no call
    folder = tmp_path / "unzipped"
    folder.mkdir()
    (folder / "users.json").write_text("[]", encoding="utf-8")
    with pytest.raises(SlackExportError, match="channels.json"):
        read_export(folder)
    (folder / "channels.json").write_text('[{"id": "C1", "name": "x"}]', encoding="utf-8")
    (folder / "x").mkdir()
    (folder / "x" / "2024-03-11.json").write_text('[{"type": "message", ', encoding="utf-8")
    with pytest.raises(SlackExportError, match=r"2024-03-11.json:1: invalid JSON"):
        read_export(folder)
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 nope")
    with pytest.raises(SlackExportError, match="not a Slack export"):
        read_export(tmp_path / "not.zip")


def _serve(app):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def _event(event_id: str, user: str, channel: str, text: str, at: int) -> bytes:
    return json.dumps({
        "token": "unused", "team_id": "T01", "api_app_id": "A01", "type": "event_callback", "event_id": event_id, "event_time": at,
        "event": {"type": "message", "channel": channel, "user": user, "text": text, "ts": f"{at}.000200", "channel_type": "channel"},
    }).encode("utf-8")


def _post(client, body: bytes, *, at: int, secret: str = SECRET, retry: int | None = None):
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(at), "X-Slack-Signature": signature(secret, str(at), body)}
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return client.post("/slack/events", content=body, headers=headers)


def test_events_api_live_on_loopback(store, write_config, monkeypatch):
    from foundermode.web.app import create_app

    monkeypatch.setenv("FM_HEARD_SLACK", SECRET)
    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "heard-test-secret-key")
    config = write_config(SLACK + '\n[slack.__unused__]\n' if False else SLACK.replace('workspace = "acme"', 'workspace = "acme"\nchannels = ["C01INFRA", "C02GEN"]'))
    clock = type("Clock", (), {"now": MONDAY, "__call__": lambda self: self.now})()
    server, thread, base = _serve(create_app(store, config, clock=clock))
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            challenge = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "token": "x"}).encode()
            assert _post(client, challenge, at=MONDAY).json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}

            first = _event("Ev01", "U01ADA", "C01INFRA", "still waiting on the GPU cluster, cuda jobs won't start", MONDAY - 30)
            assert _post(client, first, at=MONDAY).json() == {"ok": True, "heard": "report"}
            # Slack did not see our answer in time and retries the same event: taken once.
            assert _post(client, first, at=MONDAY + 4, retry=1).json() == {"ok": True, "heard": "duplicate"}
            # A forged request and a replayed one are refused, and hear nothing.
            forged = _event("Ev02", "U02BOB", "C02GEN", "we are blocked on the GPU cluster", MONDAY)
            assert _post(client, forged, at=MONDAY, secret="not-the-secret").status_code == 401
            assert _post(client, forged, at=MONDAY - 301).status_code == 401
            assert count(store, blocker_reports) == 1 and count(store, escalations) == 0

            # Bob says it in another channel: two people, one bottleneck, one escalation.
            clock.now = MONDAY + 60
            second = _event("Ev03", "U02BOB", "C02GEN", "We're blocked on the GPU cluster since 9am.", MONDAY + 50)
            assert _post(client, second, at=MONDAY + 60).json() == {"ok": True, "heard": "report"}
            assert _post(client, second, at=MONDAY + 70, retry=2).json()["heard"] == "duplicate"
            chat = _event("Ev04", "U02BOB", "C02GEN", "I shipped the parser, the build is green.", MONDAY + 80)
            assert _post(client, chat, at=MONDAY + 80).json()["heard"] == "not a blocker"
            elsewhere = _event("Ev05", "U02BOB", "C03RANDOM", "I'm blocked on the GPU cluster", MONDAY + 90)
            assert _post(client, elsewhere, at=MONDAY + 90).json()["heard"] == "ignored"  # not a chosen channel
            stranger = _event("Ev06", "U09WHO", "C02GEN", "We're blocked on the GPU cluster", MONDAY + 95)
            assert _post(client, stranger, at=MONDAY + 95).json()["heard"] == "unknown user"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert count(store, blocker_reports) == 2 and count(store, escalations) == 1
    with store.read() as conn:
        places = conn.execute(select(blocker_reports.c.heard_where, blocker_reports.c.bottleneck_id).order_by(blocker_reports.c.id)).all()
        seen = conn.execute(select(func.count()).select_from(slack_events_seen)).scalar_one()
    assert [p[0] for p in places] == ["#C01INFRA", "#C02GEN"] and places[0][1] == places[1][1]
    assert seen == 5
