"""Writing to the outbox, and reading it back.

``enqueue`` runs inside the caller's transaction: the message exists exactly
when the decision that produced it was committed. The idempotency key makes
enqueueing idempotent: a second enqueue with the same key (a second tick, or
two ticks at once) inserts nothing and returns None.
"""
from __future__ import annotations

from ..errors import InputError
import json
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy import Connection, select, update

from ..store import now as clock_now
from ..store.schema_notify import outbox
from ..store.schema_bottlenecks import bottleneck_events, bottlenecks

CHANNELS = ("email", "slack", "webhook")
STATES = ("pending", "sending", "retrying", "sent", "dead", "withdrawn")  # withdrawn: its bottleneck was resolved first
DUE_STATES = ("pending", "retrying")
# What a bottleneck's timeline says when one of its messages reaches an outbox state: the one naming
# of a delivery's outcome (a retry is a failure with its error; "dead" is the last failure).
QUEUED, SENT, FAILED, DEAD = "queued", "sent", "failed", "dead"
TIMELINE_WORDS = {"pending": QUEUED, "sent": SENT, "retrying": FAILED, "dead": DEAD}
DELIVERY_WORDS = tuple(TIMELINE_WORDS.values())


@dataclass
class Message:
    """One outbox row, decoded."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    payload: dict
    idempotency_key: str
    attachments: list[dict] = field(default_factory=list)
    escalation_id: int | None = None
    attempts: int = 0


def _insert(conn: Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        raise RuntimeError(f"unsupported store dialect: {conn.dialect.name}")
    return insert(outbox)


def validate_attachments(attachments: list[dict] | None) -> list[dict]:
    out = []
    for number, item in enumerate(attachments or [], start=1):
        missing = [k for k in ("filename", "content_type", "content") if not isinstance(item.get(k), str)]
        if missing:
            raise ValueError(f"attachment {number} needs string fields {', '.join(missing)}")
        out.append({"filename": item["filename"], "content_type": item["content_type"], "content": item["content"]})
    return out


def enqueue(
    conn: Connection,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    payload: dict,
    idempotency_key: str,
    attachments: list[dict] | None = None,
    escalation_id: int | None = None,
    now: int | None = None,
) -> int | None:
    """Add one message to the outbox in ``conn``'s transaction; None if the key is already there."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: expected one of {', '.join(CHANNELS)}")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    at = clock_now() if now is None else int(now)
    # ON CONFLICT DO NOTHING, not check-then-insert: two concurrent writers
    # racing on the same key both succeed, and exactly one row exists.
    statement = (
        _insert(conn)
        .values(
            channel=channel,
            recipient=recipient or "",
            subject=subject or "",
            body=body or "",
            payload=json.dumps(payload or {}, sort_keys=True, default=str),
            attachments=json.dumps(validate_attachments(attachments)),
            idempotency_key=idempotency_key,
            escalation_id=escalation_id,
            state="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(outbox.c.id)
    )
    row = conn.execute(statement).first()
    if row is None:
        return None
    record_outcome(conn, message_id=row[0], channel=channel, recipient=recipient, payload=payload, escalation_id=escalation_id, state="pending", now=at)
    return row[0]


def record_outcome(conn: Connection, *, message_id: int, channel: str, recipient: str, payload: dict | None, escalation_id: int | None,
                   state: str, now: int, attempts: int | None = None, error: str | None = None, retry_at: int | None = None) -> None:
    """Put a message's outcome (``TIMELINE_WORDS[state]``) on its bottleneck's timeline, in ``conn``'s
    transaction, so the timeline says queued, sent, failed (with the error) or dead, never more than
    the outbox knows. Messages that are not about a bottleneck (a brief, a digest) have no timeline."""
    from sqlalchemy import insert

    bottleneck_id = (payload or {}).get("bottleneck_id")
    if not isinstance(bottleneck_id, int) or state not in TIMELINE_WORDS:
        return
    detail = {"message": message_id, "channel": channel, "to": parseaddr(recipient or "")[1] or recipient or None, "what": (payload or {}).get("event")}
    for key in ("level", "repeat"):
        if (payload or {}).get(key) is not None:
            detail[key] = payload[key]
    if attempts is not None:
        detail["attempts"] = attempts
    if error:
        detail["error"] = error
    if retry_at is not None:
        detail["retry_at"] = retry_at
    # a message whose bottleneck is gone is still delivered, without a timeline entry
    if conn.execute(select(bottlenecks.c.id).where(bottlenecks.c.id == bottleneck_id)).first() is None:
        return
    conn.execute(insert(bottleneck_events).values(
        bottleneck_id=bottleneck_id, escalation_id=escalation_id, kind=TIMELINE_WORDS[state], at=int(now),
        detail=json.dumps(detail, sort_keys=True, default=str),
    ))


def record_delivery(conn: Connection, message: "Message", state: str, now: int, *, attempts: int, error: str | None = None, retry_at: int | None = None) -> None:
    """The deliverer's hook: ``message`` reached ``state`` (sent, retrying or dead)."""
    record_outcome(conn, message_id=message.id, channel=message.channel, recipient=message.recipient, payload=message.payload,
                   escalation_id=message.escalation_id, state=state, now=now, attempts=attempts, error=error,
                   retry_at=retry_at if state == "retrying" else None)


def withdraw(conn: Connection, escalation_ids: list[int], reason: str, now: int | None = None) -> int:
    """Take back the messages of these escalations that have not gone yet (pending or retrying):
    their bottleneck was resolved first. A message being sent right now is left to finish."""
    if not escalation_ids:
        return 0
    result = conn.execute(
        update(outbox)
        .where(outbox.c.escalation_id.in_(escalation_ids), outbox.c.state.in_(DUE_STATES))
        .values(state="withdrawn", last_error=reason, next_attempt_at=clock_now() if now is None else int(now))
    )
    return result.rowcount or 0


def decode(row) -> Message:
    return Message(
        id=row.id,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        payload=json.loads(row.payload or "{}"),
        idempotency_key=row.idempotency_key,
        attachments=json.loads(row.attachments or "[]"),
        escalation_id=row.escalation_id,
        attempts=row.attempts,
    )


LIST_COLUMNS = ["id", "channel", "recipient", "subject", "state", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at", "escalation_id", "idempotency_key"]


def list_messages(conn: Connection, *, state: str | None = None, escalation_id: int | None = None, limit: int | None = None, message_id: int | None = None) -> list[dict]:
    """Newest first. ``next_attempt_at`` is None once a message is sent or dead: there is no next try."""
    query = select(*(outbox.c[name] for name in LIST_COLUMNS)).order_by(outbox.c.id.desc())
    if message_id is not None:
        query = query.where(outbox.c.id == message_id)
    if state:
        query = query.where(outbox.c.state == state)
    if escalation_id is not None:
        query = query.where(outbox.c.escalation_id == escalation_id)
    if limit:
        query = query.limit(limit)
    rows = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        if item["state"] in ("sent", "dead"):
            item["next_attempt_at"] = None
        rows.append(item)
    return rows


def get_message(conn: Connection, message_id: int) -> Message | None:
    row = conn.execute(select(outbox).where(outbox.c.id == message_id)).first()
    return decode(row) if row else None


class RetryError(InputError):
    pass


def requeue(conn: Connection, message_id: int, now: int | None = None) -> None:
    """Give a dead letter a fresh set of tries, due now. A sent message is never resent."""
    at = clock_now() if now is None else int(now)
    row = conn.execute(select(outbox.c.state).where(outbox.c.id == message_id)).first()
    if row is None:
        raise RetryError(f"no outbox message {message_id}")
    if row.state != "dead":
        raise RetryError(f"message {message_id} is {row.state}, not dead: only dead letters are requeued")
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.state == "dead")
        .values(state="pending", attempts=0, next_attempt_at=at, claim_token=None, lease_until=None)
    )
    message = get_message(conn, message_id)
    record_delivery(conn, message, "pending", at, attempts=0)


def counts_by_state(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    return {state: count for state, count in rows}
