"""Issue 15: the timeline says what the outbox did with each message (queued, sent, failed with the
error, dead), never "notified" for an email that failed; the board flags a bottleneck whose owner
has not been reached. Real SMTP (aiosmtpd) on loopback that accepts, refuses, or is not there."""
from __future__ import annotations

import socket

from foundermode.bottlenecks.board import bottleneck_detail, list_bottlenecks
from foundermode.bottlenecks.engine import tick
from foundermode.bottlenecks.intake import report
from foundermode.notify.outbox import DELIVERY_WORDS, TIMELINE_WORDS
from foundermode.store.queries import iso

from .conftest import MONDAY

CONFIG = """
[org]
leader = "lead@example.com"

[notify]
max_attempts = 2
backoff_base = 60

[notify.email]
host = "127.0.0.1"
port = {port}
sender = "foundermode <fm@example.com>"

[[resources]]
name = "GPU cluster"
keywords = ["cuda", "gpu"]
owner = "grace@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "2h"
"""


def escalate(store, config) -> int:
    bottleneck_id = report(store, config, text="The GPU cluster is down, training jobs stuck", by="ada@example.com", now=MONDAY).bottleneck_id
    assert report(store, config, text="gpu cluster down: my cuda jobs are stuck", by="bob@example.com", now=MONDAY + 60).escalated
    return bottleneck_id


def to_owner(store, bottleneck_id) -> list[dict]:
    """The owner's escalation email on the timeline: each delivery event, in order."""
    with store.read() as conn:
        timeline = bottleneck_detail(conn, bottleneck_id)["timeline"]
    return [e for e in timeline if e["kind"] in DELIVERY_WORDS and e["to"] == "grace@example.com" and e["what"] == "bottleneck.escalation"]


def board_row(store, bottleneck_id, **kw) -> dict:
    with store.read() as conn:
        return next(b for b in list_bottlenecks(conn, MONDAY + 86400, **kw) if b["id"] == bottleneck_id)


def closed_port() -> int:
    with socket.socket() as probe:  # bound, never listening, closed: connections are refused
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_words_are_named_once():
    assert DELIVERY_WORDS == ("queued", "sent", "failed", "dead") and TIMELINE_WORDS["retrying"] == "failed"


def test_accepted_email_is_queued_then_sent_and_the_owner_is_reached(store, write_config, smtp_server):
    config = write_config(resources=CONFIG.format(port=smtp_server.port))
    bottleneck_id = escalate(store, config)
    assert [e["kind"] for e in to_owner(store, bottleneck_id)] == ["queued"]
    assert board_row(store, bottleneck_id)["owner_reached"] is False  # queued is not reached
    with store.read() as conn:
        kinds = [e["kind"] for e in bottleneck_detail(conn, bottleneck_id)["timeline"]]
    assert "notified" not in kinds and kinds.count("queued") == 4 + 1  # four invites (owner, two reporters, leader), one step

    tick(store, config, MONDAY + 120)
    events = to_owner(store, bottleneck_id)
    assert [e["kind"] for e in events] == ["queued", "sent"]
    assert events[1]["at"] == iso(MONDAY + 120) and events[1]["attempts"] == 1 and events[1]["channel"] == "email"
    assert any(m["To"].addresses[0].addr_spec == "grace@example.com" and m["Subject"].startswith("[foundermode] Bottleneck") for m in smtp_server.messages)
    row = board_row(store, bottleneck_id)
    assert row["owner"] == "grace@example.com" and row["owner_reached"] is True
    # as the board stood before the delivery, the owner had not been reached
    assert board_row(store, bottleneck_id, as_of=MONDAY + 100)["owner_reached"] is False
    assert board_row(store, bottleneck_id, as_of=MONDAY + 121)["owner_reached"] is True


def test_refused_email_fails_with_the_error_then_dies_and_the_board_says_owner_not_reached(store, write_config, smtp_server):
    smtp_server.refuse.add("grace@example.com")
    config = write_config(resources=CONFIG.format(port=smtp_server.port))
    bottleneck_id = escalate(store, config)
    tick(store, config, MONDAY + 120)
    failed = to_owner(store, bottleneck_id)
    assert [e["kind"] for e in failed] == ["queued", "failed"]
    assert "550" in failed[1]["error"] and "grace@example.com" in failed[1]["error"]
    assert failed[1]["retry_at"] == MONDAY + 120 + 60 and failed[1]["attempts"] == 1
    tick(store, config, MONDAY + 200)  # the second and last try
    dead = to_owner(store, bottleneck_id)
    assert [e["kind"] for e in dead] == ["queued", "failed", "dead"] and "550" in dead[2]["error"] and "retry_at" not in dead[2]
    assert not any(m["To"].addresses[0].addr_spec == "grace@example.com" for m in smtp_server.messages)
    # the reporters' invites went: only the owner is unreached
    with store.read() as conn:
        sent_to = {e["to"] for e in bottleneck_detail(conn, bottleneck_id)["timeline"] if e["kind"] == "sent"}
    assert {"ada@example.com", "bob@example.com", "lead@example.com"} <= sent_to and "grace@example.com" not in sent_to
    row = board_row(store, bottleneck_id)
    assert row["owner"] == "grace@example.com" and row["owner_reached"] is False


def test_no_smtp_server_fails_with_the_connection_error(store, write_config):
    config = write_config(resources=CONFIG.format(port=closed_port()))
    bottleneck_id = escalate(store, config)
    tick(store, config, MONDAY + 120)
    events = to_owner(store, bottleneck_id)
    assert [e["kind"] for e in events] == ["queued", "failed"] and events[1]["error"].startswith("email")
    assert board_row(store, bottleneck_id)["owner_reached"] is False
