"""What was heard but not yet believed: blocker statements the detector scored
below its confident threshold wait here for the person who said them, or a
leader, to confirm (then they become a report) or dismiss. And the Slack Events
API deliveries already taken, so a retried event is answered and ignored.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from .schema import metadata

heard_statements = Table(
    "heard_statements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("text", Text, nullable=False),  # the sentence the detector picked
    Column("message", Text),  # the whole message it came from, for context
    Column("heard_in", String(16), nullable=False),  # slack, meeting, standup, ticket
    Column("heard_where", Text),
    Column("heard_link", Text),
    Column("source", String(16), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("said_at", BigInteger, nullable=False),
    Column("heard_at", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending, confirmed, dismissed
    Column("decided_by", Integer, ForeignKey("people.id", ondelete="SET NULL")),
    Column("decided_at", BigInteger),
    Column("report_id", Integer, ForeignKey("blocker_reports.id", ondelete="SET NULL")),
    Column("detail", Text),  # JSON: cue times, channel ids
    UniqueConstraint("source", "external_id"),
    Index("ix_heard_statements_status", "status"),
)

slack_events_seen = Table(
    "slack_events_seen",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("received_at", BigInteger, nullable=False),
)
