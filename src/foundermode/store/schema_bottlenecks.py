"""Principle 4's tables: blocker reports, the bottlenecks they are grouped into,
escalations (a snapshotted chain plus a clock), every step as a timed event, and
the per-person API tokens the intake API authenticates with.

A bottleneck's status walks open -> escalated -> acknowledged | vendor -> resolved;
"merged" marks one a leader folded into another (``merged_into_id``).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from .schema import metadata

bottlenecks = Table(
    "bottlenecks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),  # the first report's text, shortened
    Column("resource", Text),  # a configured resource or vendor name; NULL when none was recognised
    Column("status", String(16), nullable=False, default="open"),
    Column("opened_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("escalated_at", BigInteger),
    Column("acknowledged_at", BigInteger),
    Column("resolved_at", BigInteger),
    Column("merged_into_id", Integer, ForeignKey("bottlenecks.id", ondelete="SET NULL")),
    Index("ix_bottlenecks_status", "status"),
)

blocker_reports = Table(
    "blocker_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bottleneck_id", Integer, ForeignKey("bottlenecks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("source", String(16), nullable=False),  # cli, api, slack, import
    # A client's or an export's own key: a retried request or a re-imported file adds nothing.
    Column("external_id", Text),
    Column("reported_at", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    # Set when a leader placed the report by hand; grouping never moves it again.
    Column("pinned", Boolean, nullable=False, default=False),
    # Where it was heard (bottlenecks/heard.py): typed, slack, meeting, standup, ticket; where
    # in it ("#infra", "Weekly sync 00:12:04", "OPS-12"), a link back, and the detector's score.
    Column("heard_in", String(16), nullable=False, default="typed", server_default="typed"),
    Column("heard_where", Text),
    Column("heard_link", Text),
    Column("confidence", Float),
    UniqueConstraint("source", "external_id"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bottleneck_id", Integer, ForeignKey("bottlenecks.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # resource, vendor, leader (no resource recognised)
    Column("chain_name", Text, nullable=False),  # resource or vendor name
    Column("chain", Text, nullable=False),  # JSON snapshot taken at start: config edits leave it alone
    Column("step", Integer, nullable=False, default=0),
    Column("repeat", Integer, nullable=False, default=0),  # times the current step has been re-sent
    Column("status", String(16), nullable=False),  # active, acknowledged, exhausted, resolved
    Column("holder", Text),  # email of whoever holds it now
    Column("started_at", BigInteger, nullable=False),
    Column("next_at", BigInteger),  # when the tick next looks at it; NULL once nothing is due
    Column("acknowledged_at", BigInteger),
    Column("acknowledged_by", Integer, ForeignKey("people.id", ondelete="SET NULL")),
    Column("resolved_at", BigInteger),
    Column("call_uid", Text),
    Column("call_start", BigInteger),
    Column("call_end", BigInteger),
    # The rule fires once per bottleneck and chain, whatever races: the database says no twice.
    UniqueConstraint("bottleneck_id", "chain_name"),
    Index("ix_escalations_due", "status", "next_at"),
)

bottleneck_events = Table(
    "bottleneck_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bottleneck_id", Integer, ForeignKey("bottlenecks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("escalation_id", Integer, ForeignKey("escalations.id", ondelete="CASCADE")),
    Column("report_id", Integer, ForeignKey("blocker_reports.id", ondelete="SET NULL")),
    # reported, grouped, escalated, queued|sent|failed|dead (notify.outbox.TIMELINE_WORDS), scheduled, step, acknowledged, vendor, resolved, merged, split, moved
    Column("kind", String(16), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="SET NULL")),
    Column("detail", Text),  # JSON
    Index("ix_bottleneck_events_kind_at", "kind", "at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the secret is shown once
    Column("label", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger),
    Column("revoked_at", BigInteger),
)
