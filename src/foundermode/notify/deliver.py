"""Delivering the outbox: claim what is due, send it, record what happened.

At-least-once, never twice on purpose:

* A claim moves due rows to "sending" under a fresh token and a lease, in one
  short write transaction. On PostgreSQL the candidate rows are locked with
  ``FOR UPDATE SKIP LOCKED`` (two deliverers take disjoint rows and neither
  waits); on SQLite the transaction is ``BEGIN IMMEDIATE``, so claims are
  serialised. Either way the UPDATE re-checks the state, and only rows that
  now carry our token are sent.
* Sending happens outside any transaction (a slow SMTP server holds no lock).
* A sent row is never claimed again. A row whose deliverer died mid-send is
  reclaimed when its lease runs out: that is the one case where the outside
  may see a message twice, and it carries the same idempotency key
  (Message-ID for email, ``Idempotency-Key`` header on HTTP) both times.
"""
from __future__ import annotations

import uuid
from typing import Callable

import httpx
from sqlalchemy import and_, or_, select, update

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from ..store.schema_notify import outbox
from .channels import USER_AGENT, ChannelError, send_email, send_slack, send_webhook
from .outbox import DUE_STATES, Message, decode, record_delivery
from .settings import NotifySettings, load_settings


def _due(now: int):
    return or_(
        and_(outbox.c.state.in_(DUE_STATES), outbox.c.next_attempt_at <= now),
        and_(outbox.c.state == "sending", outbox.c.lease_until <= now),
    )


def claim(store: Store, *, now: int, token: str, limit: int, lease: int, after_id: int = 0) -> list[Message]:
    """Take up to ``limit`` due messages with id > ``after_id`` for this deliverer."""
    with store.write() as conn:
        candidates = (
            select(outbox.c.id)
            .where(_due(now), outbox.c.id > after_id)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
        )
        ids = list(conn.execute(candidates).scalars())
        if not ids:
            return []
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), _due(now))
            .values(state="sending", claim_token=token, lease_until=now + lease)
        )
        rows = conn.execute(select(outbox).where(outbox.c.id.in_(ids), outbox.c.claim_token == token).order_by(outbox.c.id))
        return [decode(row) for row in rows]


class _Http:
    """One HTTP client per delivery run, made on first use: connections and TLS set-up are reused."""

    def __init__(self):
        self.client: httpx.Client | None = None

    def get(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT})
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def send(message: Message, settings: NotifySettings, now: int, http: _Http | None = None) -> str | None:
    """Send one message; returns a note for a partial success, raises ChannelError on failure."""
    channel = settings.channel(message.channel)
    if isinstance(channel, str):
        raise ChannelError(channel)
    if message.channel == "email":
        return send_email(message, channel)
    client = http.get() if http else None
    if message.channel == "slack":
        send_slack(message, channel, client)
        return None
    send_webhook(message, channel, timestamp=now, client=client)
    return None


def record_sent(store: Store, message: Message, *, now: int, note: str | None) -> None:
    # Whatever the token says: it went out, so no one may send it again.
    with store.write() as conn:
        done = conn.execute(
            update(outbox)
            .where(outbox.c.id == message.id, outbox.c.state != "sent")
            .values(state="sent", sent_at=now, attempts=outbox.c.attempts + 1, last_error=note, claim_token=None, lease_until=None)
        ).rowcount
        if done:
            record_delivery(conn, message, "sent", now, attempts=message.attempts + 1, error=note)


def record_failure(store: Store, message: Message, *, token: str, now: int, error: ChannelError, settings: NotifySettings) -> str:
    """Back off, or give up after the last try; returns the new state."""
    attempts = message.attempts + 1
    if attempts >= settings.max_attempts:
        state, next_at = "dead", now
    else:
        delay = settings.delay(message.attempts)
        if error.retry_after:
            delay = max(delay, min(error.retry_after, settings.backoff_cap))
        state, next_at = "retrying", now + delay
    with store.write() as conn:
        done = conn.execute(
            update(outbox)
            # Only while the claim is still ours: after a lost lease another deliverer owns the row.
            .where(outbox.c.id == message.id, outbox.c.claim_token == token, outbox.c.state == "sending")
            .values(state=state, attempts=attempts, next_attempt_at=next_at, last_error=str(error)[:2000], claim_token=None, lease_until=None)
        ).rowcount
        if done:
            record_delivery(conn, message, state, now, attempts=attempts, error=str(error)[:2000], retry_at=next_at)
    return state


def deliver_due(store: Store, config: Config, now: int | None = None, *, settings: NotifySettings | None = None) -> dict:
    """Send every message due at ``now``; returns {"sent": n, "failed": n, "dead": n}.

    "failed" counts failures that will be retried, "dead" those that used the
    last try. Each due message is tried at most once per call, even with a zero
    backoff. Safe to run from several processes or threads at once.
    """
    settings = settings or load_settings(config)
    clock: Callable[[], int] = (lambda: int(now)) if now is not None else clock_now
    token = uuid.uuid4().hex
    counts = {"sent": 0, "failed": 0, "dead": 0}
    http = _Http()
    try:
        _deliver_all(store, settings, clock, token, counts, http)
    finally:
        http.close()
    return counts


def _deliver_all(store: Store, settings: NotifySettings, clock: Callable[[], int], token: str, counts: dict, http: _Http) -> None:
    cursor = 0
    while True:
        batch = claim(store, now=clock(), token=token, limit=settings.batch, lease=settings.lease, after_id=cursor)
        if not batch:
            return
        for message in batch:
            cursor = max(cursor, message.id)
            try:
                note = send(message, settings, clock(), http)
            except ChannelError as error:
                failure = error
            except Exception as error:  # a bug with one message must not stop the others
                failure = ChannelError(f"{message.channel}: unexpected {type(error).__name__}: {error}")
            else:
                record_sent(store, message, now=clock(), note=note)
                counts["sent"] += 1
                continue
            state = record_failure(store, message, token=token, now=clock(), error=failure, settings=settings)
            counts["dead" if state == "dead" else "failed"] += 1
