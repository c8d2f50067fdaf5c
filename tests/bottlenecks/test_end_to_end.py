"""Heard twice, the owner gets a call: through the command line, to a real SMTP server
(aiosmtpd) and real HTTP receivers standing in for Slack and the generic webhook."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json



from .through_cli import calendar_of, invoke
from .conftest import MONDAY, RESOURCES

SECRET = "e2e-webhook-secret"


def notify_section(smtp, receiver, monkeypatch) -> str:
    monkeypatch.setenv("FM_E2E_SLACK", receiver.url("/slack"))
    monkeypatch.setenv("FM_E2E_WEBHOOK", receiver.url("/webhook"))
    monkeypatch.setenv("FM_E2E_SECRET", SECRET)
    return f"""
[notify]
backoff_base = 60
backoff_cap = 600
http_timeout = 2

[notify.email]
host = "{smtp.host}"
port = {smtp.port}
sender = "foundermode <fm@example.com>"

[notify.slack]
webhook_url_env = "FM_E2E_SLACK"

[notify.webhook]
url_env = "FM_E2E_WEBHOOK"
secret_env = "FM_E2E_SECRET"
"""



def test_two_reports_get_the_owner_on_a_call(tmp_path, store_url, smtp_server, http_receiver, monkeypatch):
    config_path = tmp_path / "foundermode.toml"
    config_path.write_text(RESOURCES + notify_section(smtp_server, http_receiver, monkeypatch), encoding="utf-8")
    args = ["--db", store_url.replace("postgresql+psycopg://", "postgresql://"), "--config", str(config_path)]

    invoke(args, "blocker", "report", "The GPU cluster is down, training jobs stuck", "--by", "ada@example.com", "--new-person", "--now", str(MONDAY))
    invoke(args, "tick", "--now", str(MONDAY + 30))
    assert smtp_server.messages == [] and http_receiver.received() == []  # heard once: nothing sent

    out = invoke(args, "blocker", "report", "gpu cluster down: my jobs are stuck", "--by", "bob@example.com", "--new-person", "--now", str(MONDAY + 60))
    assert "escalated" in out
    invoke(args, "tick", "--now", str(MONDAY + 90))
    invoke(args, "tick", "--now", str(MONDAY + 120))  # a second tick sends nothing more

    invites = [m for m in smtp_server.messages if m["Subject"].startswith("Call:")]
    assert sorted(m["To"].addresses[0].addr_spec for m in invites) == sorted(["grace@example.com", "ada@example.com", "bob@example.com", "lead@example.com"])
    calendar = calendar_of(invites[0])
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    attendees = sorted(str(a).lower().removeprefix("mailto:") for a in event.get("ATTENDEE"))
    assert attendees == sorted(["grace@example.com", "ada@example.com", "bob@example.com", "lead@example.com"])
    # reported at 10:01 on a Monday, nobody's calendar is known: the next half hour
    assert event.decoded("DTSTART") == dt.datetime(2024, 3, 11, 10, 30, tzinfo=dt.timezone.utc)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=30)
    owner_mail = [m for m in smtp_server.messages if not m["Subject"].startswith("Call:")]
    assert [m["To"].addresses[0].addr_spec for m in owner_mail] == ["grace@example.com"]
    (slack,) = http_receiver.received("/slack")
    assert "Bottleneck #1" in slack.json()["text"] and "grace@example.com" in slack.json()["text"]

    # nobody acknowledges: the owner again after 30 minutes, then the leader (email + signed webhook)
    invoke(args, "tick", "--now", str(MONDAY + 60 + 1800))
    http_receiver.down()  # the webhook receiver is down when the leader's step fires
    invoke(args, "tick", "--now", str(MONDAY + 60 + 3600))
    assert http_receiver.received("/webhook") == []
    http_receiver.up()
    for minute in range(62, 120, 5):
        invoke(args, "tick", "--now", str(MONDAY + 60 * minute))
    (hook,) = http_receiver.received("/webhook")
    expected = "sha256=" + hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["x-foundermode-signature"], expected)
    payload = hook.json()
    assert (payload["bottleneck_id"], payload["level"], payload["to"], payload["resource"]) == (1, 2, "lead@example.com", "GPU cluster")
    assert sorted(payload["reporters"]) == ["ada@example.com", "bob@example.com"]
    assert len(http_receiver.received("/slack")) == 2  # step 1, then its one repeat
    assert sum(m["To"].addresses[0].addr_spec == "lead@example.com" and not m["Subject"].startswith("Call:") for m in smtp_server.messages) == 1

    # the owner acknowledges, then resolves; the board and the metrics show the times
    invoke(args, "bottlenecks", "ack", "1", "--by", "grace@example.com", "--now", str(MONDAY + 7200))
    invoke(args, "bottlenecks", "resolve", "1", "--by", "grace@example.com", "--now", str(MONDAY + 10800))
    board = json.loads(invoke(args, "bottlenecks", "--status", "all", "--json", "--now", str(MONDAY + 10800)))
    assert [(b["id"], b["status"], b["people"]) for b in board] == [(1, "resolved", 2)]
    figures = {(m["by"], m["name"]): m for m in json.loads(invoke(args, "bottlenecks", "metrics", "--json"))}
    assert figures[("resource", "GPU cluster")]["ack_median_s"] == 7200 - 60
    assert figures[("owner", "grace@example.com")]["unblock_median_s"] == 10800
    sent = len(smtp_server.messages)
    invoke(args, "tick", "--now", str(MONDAY + 86400))
    assert len(smtp_server.messages) == sent
