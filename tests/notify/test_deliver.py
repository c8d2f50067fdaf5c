"""Delivery through real receivers on loopback: aiosmtpd for email, http.server for Slack and the webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
from sqlalchemy import select

from foundermode.config import ConfigError, load_config
from foundermode.notify.deliver import claim, deliver_due
from foundermode.notify.invite import build_invite
from foundermode.notify.outbox import enqueue, list_messages
from foundermode.notify.settings import load_settings
from foundermode.store.schema_notify import outbox

T0 = 1_800_000_000
SECRET = "whsec-test-secret"


@pytest.fixture
def make_config(tmp_path, monkeypatch):
    def factory(text: str = "", *, smtp=None, slack=None, webhook=None, attempts: int = 6):
        parts = [f"[notify]\nmax_attempts = {attempts}\nbackoff_base = 10\nbackoff_cap = 100\nbatch = 5\nhttp_timeout = 2\n"]
        if smtp is not None:
            parts.append(f'[notify.email]\nhost = "{smtp.host}"\nport = {smtp.port}\nsender = "foundermode <fm@example.com>"\n')
        if slack is not None:
            monkeypatch.setenv("FM_TEST_SLACK_URL", slack.url("/slack"))
            parts.append('[notify.slack]\nwebhook_url_env = "FM_TEST_SLACK_URL"\n')
        if webhook is not None:
            monkeypatch.setenv("FM_TEST_WEBHOOK_URL", webhook.url("/webhook"))
            monkeypatch.setenv("FM_TEST_WEBHOOK_SECRET", SECRET)
            parts.append('[notify.webhook]\nurl_env = "FM_TEST_WEBHOOK_URL"\nsecret_env = "FM_TEST_WEBHOOK_SECRET"\n')
        path = tmp_path / "foundermode.toml"
        path.write_text("\n".join(parts) + text, encoding="utf-8")
        return load_config(path)

    return factory


def put(store, channel: str, key: str, **extra) -> int:
    values = dict(channel=channel, recipient="Owner <owner@example.com>", subject=f"subject {key}", body=f"body {key}", payload={"key": key, "n": 1}, idempotency_key=key)
    values.update(extra)
    with store.write() as conn:
        return enqueue(conn, now=T0, **values)


def states(store) -> dict[str, str]:
    with store.read() as conn:
        return {row.idempotency_key: row.state for row in conn.execute(select(outbox.c.idempotency_key, outbox.c.state))}


def test_email_invite_is_received_and_parses_back(store, smtp_server, make_config):
    start = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)
    ics = build_invite(
        uid="esc-1@foundermode", summary="GPU cluster: heard twice", description="Ada and Grace are blocked.",
        start=start, end=start + timedelta(minutes=30), organizer=("Leader", "leader@example.com"),
        attendees=[("Owner", "owner@example.com"), ("Ada", "ada@example.com"), ("Grace", "grace@example.com")],
    )
    put(store, "email", "esc-1-invite", recipient="owner@example.com, ada@example.com, grace@example.com",
        subject="Call: GPU cluster", body="Two people are blocked on the GPU cluster.",
        attachments=[{"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST", "content": ics}])

    assert deliver_due(store, make_config(smtp=smtp_server), now=T0) == {"sent": 1, "failed": 0, "dead": 0}

    [(mail_from, rcpts, message)] = smtp_server.received
    assert mail_from == "fm@example.com"
    assert sorted(rcpts) == ["ada@example.com", "grace@example.com", "owner@example.com"]
    assert message["Subject"] == "Call: GPU cluster"
    expected_id = "<" + hashlib.sha256(b"esc-1-invite").hexdigest()[:40] + "@example.com>"
    assert message["Message-ID"] == expected_id
    assert message.get_content_type() == "multipart/mixed"
    [alternative] = [p for p in message.iter_parts() if p.get_content_type() == "multipart/alternative"]
    kinds = [p.get_content_type() for p in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[1]
    assert calendar_part.get_param("method") == "REQUEST"
    assert "Two people are blocked" in list(alternative.iter_parts())[0].get_content()
    [attachment] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]

    for text in (calendar_part.get_content(), attachment.get_content().decode("utf-8")):
        calendar = icalendar.Calendar.from_ical(text)
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert event.decoded("DTSTART") == start
        assert event.decoded("DTEND") == start + timedelta(minutes=30)
        attendees = {str(a).removeprefix("mailto:"): a.params for a in event["ATTENDEE"]}
        assert set(attendees) == {"owner@example.com", "ada@example.com", "grace@example.com"}
        assert attendees["ada@example.com"]["CN"] == "Ada"
        assert all(p["RSVP"] == "TRUE" and p["PARTSTAT"] == "NEEDS-ACTION" for p in attendees.values())
    assert states(store) == {"esc-1-invite": "sent"}


def test_slack_payload_is_received(store, http_receiver, make_config):
    put(store, "slack", "esc-2-slack", subject="GPU cluster: heard twice", body="Ada and Grace are blocked",
        payload={"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*GPU cluster*"}}]})
    assert deliver_due(store, make_config(slack=http_receiver), now=T0)["sent"] == 1
    [request] = http_receiver.received("/slack")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "text": "*GPU cluster: heard twice*\nAda and Grace are blocked",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*GPU cluster*"}}],
    }


def test_webhook_payload_is_signed_and_verifiable(store, http_receiver, make_config):
    payload = {"event": "escalation.started", "bottleneck": {"id": 7, "resource": "GPU cluster"}, "reporters": ["ada", "grace"]}
    put(store, "webhook", "esc-3-webhook", payload=payload)
    deliver_due(store, make_config(webhook=http_receiver), now=T0)
    [request] = http_receiver.received("/webhook")
    assert request.json() == payload
    assert request.headers["idempotency-key"] == "esc-3-webhook"
    assert request.headers["x-foundermode-timestamp"] == str(T0)
    # Verified here from first principles, not with the library's own helper.
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-foundermode-signature"], expected)
    tampered = request.body.replace(b"grace", b"mallory")
    assert "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest() != expected


def test_channel_down_then_back_delivers_everything_exactly_once(store, http_receiver, make_config):
    config = make_config(slack=http_receiver, webhook=http_receiver)
    keys = [f"down-{channel}-{i}" for i in range(6) for channel in ("slack", "webhook")]
    for key in keys:
        put(store, key.split("-")[1], key)
    http_receiver.down()
    now = T0
    first = deliver_due(store, config, now=now)
    assert first == {"sent": 0, "failed": len(keys), "dead": 0}
    with store.read() as conn:
        rows = list_messages(conn)
    assert all(r["state"] == "retrying" and r["attempts"] == 1 and r["next_attempt_at"] == now + 10 for r in rows)
    assert all("ConnectError" in r["last_error"] and "127.0.0.1" not in r["last_error"] for r in rows)

    # Still down on the next try; ticks before a message is due do nothing.
    assert deliver_due(store, config, now=now + 5) == {"sent": 0, "failed": 0, "dead": 0}
    now += 10
    assert deliver_due(store, config, now=now)["failed"] == len(keys)

    http_receiver.up()
    for _ in range(6):  # several ticks, sooner and later than the backoff
        now += 15
        deliver_due(store, config, now=now)
    got = Counter(r.headers["idempotency-key"] for r in http_receiver.received())
    assert got == Counter({key: 1 for key in keys})
    assert set(states(store).values()) == {"sent"}


def test_sent_messages_are_never_sent_again(store, http_receiver, make_config):
    config = make_config(webhook=http_receiver)
    put(store, "webhook", "once")
    for tick in range(3):
        deliver_due(store, config, now=T0 + tick * 1000)
    assert len(http_receiver.received()) == 1


def test_receiver_error_backs_off_and_honours_retry_after(store, http_receiver, make_config):
    config = make_config(webhook=http_receiver)
    put(store, "webhook", "busy")
    http_receiver.status = 503
    assert deliver_due(store, config, now=T0)["failed"] == 1
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["last_error"] == "webhook: HTTP 503 ok"
    assert row["next_attempt_at"] == T0 + 10
    http_receiver.status = 200
    assert deliver_due(store, config, now=T0 + 10)["sent"] == 1
    assert len(http_receiver.received()) == 1


@pytest.mark.parametrize("deliverers", [2])
def test_concurrent_deliverers_send_nothing_twice(store, http_receiver, make_config, deliverers):
    config = make_config(slack=http_receiver, webhook=http_receiver)
    keys = [f"race-{i}" for i in range(40)]
    for i, key in enumerate(keys):
        put(store, "webhook" if i % 2 else "slack", key)
    http_receiver.delay = 0.002  # keeps both deliverers busy at the same time
    barrier = threading.Barrier(deliverers)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            results.append(deliver_due(store, config, now=T0))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(deliverers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["sent"] for r in results) == len(keys)
    got = Counter(r.headers["idempotency-key"] for r in http_receiver.received())
    assert got == Counter({key: 1 for key in keys})


def test_unconfigured_channel_fails_clearly_then_goes_dead(store, make_config):
    config = make_config(attempts=3)
    put(store, "slack", "nowhere")
    now = T0
    results = []
    for _ in range(3):
        results.append(deliver_due(store, config, now=now))
        now += 1000
    assert [r["failed"] for r in results] == [1, 1, 0]
    assert results[-1]["dead"] == 1
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["state"] == "dead" and row["attempts"] == 3 and row["next_attempt_at"] is None
    assert row["last_error"] == "slack is not configured: add [notify.slack] webhook_url_env to foundermode.toml"
    # A dead letter stays dead.
    assert deliver_due(store, config, now=now + 10_000) == {"sent": 0, "failed": 0, "dead": 0}


def test_missing_secret_names_the_variable(store, make_config, monkeypatch):
    monkeypatch.delenv("FM_TEST_ABSENT", raising=False)
    config = make_config('[notify.webhook]\nurl_env = "FM_TEST_ABSENT"\nsecret_env = "FM_TEST_ABSENT"\n')
    put(store, "webhook", "no-url")
    deliver_due(store, config, now=T0)
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["last_error"] == "[notify.webhook] url_env names FM_TEST_ABSENT, which is not set in the environment"


def test_a_crashed_deliverers_messages_are_reclaimed_after_the_lease(store, http_receiver, make_config):
    config = make_config(webhook=http_receiver)
    put(store, "webhook", "orphan")
    # A deliverer claims it and dies before sending.
    [taken] = claim(store, now=T0, token="dead-deliverer", limit=10, lease=300)
    assert taken.idempotency_key == "orphan"
    assert deliver_due(store, config, now=T0 + 299)["sent"] == 0
    assert deliver_due(store, config, now=T0 + 300)["sent"] == 1
    assert len(http_receiver.received()) == 1


def test_bad_notify_settings_name_key_and_line(make_config):
    with pytest.raises(ConfigError, match=r"max_attempts must be a whole number.*key 'notify.max_attempts', line 2"):
        make_config(attempts='"six"')


def test_email_server_down_is_retried(store, smtp_server, make_config):
    config = make_config(smtp=smtp_server)
    put(store, "email", "mail-later", recipient="owner@example.com")
    settings = load_settings(config)
    broken = load_settings(make_config(f'[notify.email]\nhost = "127.0.0.1"\nport = {_closed_port()}\nsender = "fm@example.com"\n'))
    assert deliver_due(store, config, now=T0, settings=broken)["failed"] == 1
    with store.read() as conn:
        assert "email: 127.0.0.1:" in list_messages(conn)[0]["last_error"]
    assert deliver_due(store, config, now=T0 + 10, settings=settings)["sent"] == 1
    assert len(smtp_server.received) == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, never listening, closed: connections are refused
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_smtp_login_uses_the_password_from_the_environment(store, make_config, make_smtp_server, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd itself answers 535 on a refusal
        return AuthResult(success=auth_data.login == b"fm" and auth_data.password == b"from-env", handled=False)

    server = make_smtp_server(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("FM_TEST_SMTP_PASSWORD", "from-env")
    config = make_config(f'[notify.email]\nhost = "127.0.0.1"\nport = {server.port}\nsender = "fm@example.com"\nusername = "fm"\npassword_env = "FM_TEST_SMTP_PASSWORD"\n')
    put(store, "email", "with-login", recipient="owner@example.com")
    assert deliver_due(store, config, now=T0)["sent"] == 1
    assert logins == [(b"fm", b"from-env")]
    assert len(server.received) == 1

    monkeypatch.setenv("FM_TEST_SMTP_PASSWORD", "wrong")
    put(store, "email", "bad-login", recipient="owner@example.com")
    assert deliver_due(store, config, now=T0)["failed"] == 1
    with store.read() as conn:
        error = [r for r in list_messages(conn) if r["idempotency_key"] == "bad-login"][0]["last_error"]
    assert error.startswith("email: 127.0.0.1:") and "535" in error and "wrong" not in error


def test_starttls_then_login(store, make_config, make_smtp_server, monkeypatch, tmp_path):
    """The production path: STARTTLS with a verified certificate, then AUTH."""
    import shutil
    import ssl
    import subprocess

    from aiosmtpd.smtp import AuthResult

    if not shutil.which("openssl"):
        pytest.skip("openssl binary needed to make a loopback certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    # The client verifies the certificate like any other: trust this one through OpenSSL's own variable.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((session.ssl is not None, auth_data.password))
        return AuthResult(success=True)

    server = make_smtp_server(tls_context=tls, require_starttls=True, authenticator=authenticator, auth_required=True)
    monkeypatch.setenv("FM_TEST_SMTP_PASSWORD", "over-tls")
    config = make_config(f'[notify.email]\nhost = "127.0.0.1"\nport = {server.port}\nsender = "fm@example.com"\n'
                         'starttls = true\nusername = "fm"\npassword_env = "FM_TEST_SMTP_PASSWORD"\n')
    put(store, "email", "tls-mail", recipient="owner@example.com")
    assert deliver_due(store, config, now=T0)["sent"] == 1
    assert logins == [(True, b"over-tls")]
    assert len(server.received) == 1


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def test_a_send_lost_before_it_was_recorded_repeats_with_the_same_message_id(store, smtp_server, make_config):
    """The at-least-once case: a deliverer sends, then dies before recording it."""
    from foundermode.notify.channels import send_email

    config = make_config(smtp=smtp_server)
    put(store, "email", "lost-ack", recipient="owner@example.com")
    [taken] = claim(store, now=T0, token="dies-after-sending", limit=10, lease=300)
    send_email(taken, load_settings(config).email)
    assert deliver_due(store, config, now=T0 + 300)["sent"] == 1
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Foundermode-Idempotency-Key"] == second["X-Foundermode-Idempotency-Key"] == "lost-ack"
    assert deliver_due(store, config, now=T0 + 10_000)["sent"] == 0
    assert len(smtp_server.messages) == 2


def test_partly_refused_recipients_count_as_sent_with_a_note(store, smtp_server, make_config):
    """Retrying would mail again those who got it; the refusal is kept as the note."""
    smtp_server.refuse.add("gone@example.com")
    put(store, "email", "picky", recipient="owner@example.com, gone@example.com")
    assert deliver_due(store, make_config(smtp=smtp_server), now=T0)["sent"] == 1
    [(_sender, rcpts, _message)] = smtp_server.received
    assert rcpts == ["owner@example.com"]
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["state"] == "sent"
    assert row["last_error"] == "refused by the server for gone@example.com (550 5.1.1 no such user)"


def test_every_recipient_refused_is_a_failure(store, smtp_server, make_config):
    smtp_server.refuse.add("gone@example.com")
    put(store, "email", "nobody", recipient="gone@example.com")
    assert deliver_due(store, make_config(smtp=smtp_server), now=T0)["failed"] == 1
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["last_error"] == "email: every recipient refused: gone@example.com (550 5.1.1 no such user)"
    assert smtp_server.received == []
