"""The notification outbox: every message the system sends, before and after it goes out.

A message is written in the same transaction as the decision that caused it
(an escalation step), so a crash never loses one and a rolled-back decision
never sends one. Delivery happens later, outside that transaction
(``foundermode.notify.deliver``).

States: pending -> sending -> sent, or -> retrying -> ... -> dead.
"sending" carries a lease (``lease_until``): a deliverer that dies mid-send
leaves the row to be reclaimed once the lease runs out (at-least-once).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from .schema import metadata

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),  # email, slack, webhook
    Column("recipient", Text, nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("payload", Text, nullable=False, default="{}"),  # JSON
    Column("attachments", Text, nullable=False, default="[]"),  # JSON list of {filename, content_type, content}
    # Unique: enqueueing the same logical message twice (two ticks at once) inserts one row.
    Column("idempotency_key", Text, nullable=False, unique=True),
    # Plain integer, no foreign key: escalations live in the bottlenecks schema.
    Column("escalation_id", Integer, index=True),
    Column("state", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger),
    Column("claim_token", String(32)),  # which deliverer holds a "sending" row
    Column("lease_until", BigInteger),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
)
