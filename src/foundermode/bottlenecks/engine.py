"""The clock: ``tick(store, config, now)`` moves every escalation that is due, then delivers the outbox.

Idempotent by construction. The rule pass runs under the store's write lock
and an escalation exists once per bottleneck and chain (a unique key); each due
escalation is advanced in its own transaction that re-reads it under a row lock
(FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite) and checks it
is still due; every message has an idempotency key. Two ticks at once, or the
same tick twice, send nothing twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks, escalations
from . import escalation
from .bottleneck import Bottleneck
from .statuses import OPEN
from .resources import load_catalog
from ..notify.deliver import deliver_due
from .review_queue import hear_queues

log = logging.getLogger("foundermode.bottlenecks")


@dataclass
class TickResult:
    now: int
    escalated: list[int] = field(default_factory=list)  # bottleneck ids the rule escalated on this tick
    advanced: dict[int, str] = field(default_factory=dict)  # escalation id -> repeated, stepped, exhausted
    restaled: dict[int, str] = field(default_factory=dict)  # escalation id -> reminded, re-escalated, unreached (nobody to tell)
    expired: list[int] = field(default_factory=list)  # bottleneck ids closed for want of activity
    review_queues: dict = field(default_factory=dict)  # what the review queues reported (review_queue.py)
    delivery: dict = field(default_factory=dict)


def escalate_due(store: Store, config: Config, now: int) -> list[int]:
    """The rule over every open bottleneck (a threshold may have been lowered, reports merged)."""
    catalog = load_catalog(config)
    with store.write() as conn:
        escalation.lock_rule(conn)
        rows = conn.execute(
            select(bottlenecks.c.id, bottlenecks.c.resource, func.count(func.distinct(blocker_reports.c.person_id)))
            .join(blocker_reports, blocker_reports.c.bottleneck_id == bottlenecks.c.id)
            .where(bottlenecks.c.status == "open")
            .group_by(bottlenecks.c.id, bottlenecks.c.resource)
        ).all()
        out = []
        for bottleneck_id, resource, count in rows:
            if count < catalog.threshold_for(resource):
                continue  # most open bottlenecks were heard once: no need to load them
            if Bottleneck.load(conn, config, bottleneck_id, catalog).evaluate(now, count) is not None:
                out.append(bottleneck_id)
        return out


def _each_due(store: Store, status: str, now: int, act) -> dict[int, str]:
    """Every escalation in ``status`` whose next_at has come, each in its own short write
    transaction, locked so two ticks never act on one: ``act(conn, escalation_id)`` says what it did."""
    with store.read() as conn:
        due = [i for (i,) in conn.execute(
            select(escalations.c.id).where(escalations.c.status == status, escalations.c.next_at <= now).order_by(escalations.c.next_at, escalations.c.id)
        )]
    out: dict[int, str] = {}
    for escalation_id in due:
        with store.write() as conn:
            locked = conn.execute(
                select(escalations.c.id)
                .where(escalations.c.id == escalation_id, escalations.c.status == status, escalations.c.next_at <= now)
                .with_for_update(skip_locked=True)
            ).first()
            if locked is None:
                continue  # its state changed meanwhile, or another tick holds it
            outcome = act(conn, escalation_id)
            if outcome:
                out[escalation_id] = outcome
    return out


def advance_due(store: Store, config: Config, now: int) -> dict[int, str]:
    """Unacknowledged past the step's wait: the same step again, the next step, or the end."""
    return _each_due(store, "active", now, lambda conn, i: escalation.advance(conn, config, i, now))


def restale_due(store: Store, config: Config, now: int) -> dict[int, str]:
    """Acknowledged but unresolved past stale_after: the owner is reminded, then the leader told."""
    catalog = load_catalog(config)
    return _each_due(store, "acknowledged", now, lambda conn, i: escalation.restale(conn, config, catalog, i, now))


def expire_idle(store: Store, config: Config, now: int) -> list[int]:
    """An open bottleneck with no report, event or acknowledgement for expire_after closes itself."""
    catalog = load_catalog(config)
    cutoff = now - catalog.expire_after

    def idle():
        # The tick runs every minute: find candidates by index (NOT EXISTS on bottleneck_id) in a
        # read, and take the write lock only on the rare tick that has one.
        recent_event = select(bottleneck_events.c.id).where(bottleneck_events.c.bottleneck_id == bottlenecks.c.id, bottleneck_events.c.at > cutoff)
        recent_report = select(blocker_reports.c.id).where(blocker_reports.c.bottleneck_id == bottlenecks.c.id, blocker_reports.c.reported_at > cutoff)
        return (
            select(bottlenecks.c.id)
            .where(
                bottlenecks.c.status.in_(OPEN), bottlenecks.c.updated_at <= cutoff,
                func.coalesce(bottlenecks.c.acknowledged_at, 0) <= cutoff,
                ~recent_event.exists(), ~recent_report.exists(),
            )
            .order_by(bottlenecks.c.id)
        )

    with store.read() as conn:
        if conn.execute(idle().limit(1)).first() is None:
            return []
    out = []
    with store.write() as conn:
        escalation.lock_rule(conn)
        for (bottleneck_id,) in conn.execute(idle()).all():  # again under the lock: a report may have come meanwhile
            Bottleneck.load(conn, config, bottleneck_id, catalog).resolve(None, now, expired_after=catalog.expire_after)
            out.append(bottleneck_id)
    return out


def tick(store: Store, config: Config, now: int | None = None, *, deliver: bool = True) -> TickResult:
    """Advance every escalation that is due, then send what the outbox holds."""
    now = clock_now() if now is None else int(now)
    result = TickResult(now=now)

    try:
        queues = hear_queues(store, config, now)  # a source of reports, like Slack: placed before the rule pass
        result.review_queues = {"reports": queues.reports, "escalated": queues.escalated, "resolved": queues.resolved}
    except Exception as error:  # noqa: BLE001 - one source failing must not stop the escalations already due
        log.exception("review queues failed")
        result.review_queues = {"error": f"{type(error).__name__}: {error}"}
    result.escalated = escalate_due(store, config, now)
    result.advanced = advance_due(store, config, now)
    result.restaled = restale_due(store, config, now)
    result.expired = expire_idle(store, config, now)
    if deliver:
        result.delivery = deliver_due(store, config, now=now)
    return result
