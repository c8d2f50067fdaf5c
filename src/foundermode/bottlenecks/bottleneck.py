"""A bottleneck and what people do with it: escalate, acknowledge, resolve, hand
to a vendor; and what a leader does: merge, split, move a report.

Every method writes through the caller's transaction and appends a timed event.
The rule lives in ``evaluate``: an open bottleneck heard from N distinct people
(the resource's threshold, 2 by default) escalates, once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from .. import errors
from ..config import Config
from ..people import person_keys
from ..present.times import duration
from ..store.schema import identities, people
from ..store.schema_bottlenecks import blocker_reports, bottlenecks, escalations
from . import escalation
from .statuses import OPEN
from .resources import DEFAULT_THRESHOLD, Catalog, ChainSnapshot, Resource, load_catalog
from .. import people as people_rules
from ..sources.identities import identity_key

TITLE_LENGTH = 120


class BottleneckError(errors.Conflict, ValueError):
    """An action that does not apply: unknown id, closed bottleneck, wrong report."""


class NotFound(BottleneckError, errors.NotFound):
    """No bottleneck or report with that id."""

    http_status = errors.NotFound.http_status


class NotAllowed(errors.NotAllowed):
    """The person may not take this action on this bottleneck."""


class UnprovenLeader(NotAllowed):
    """Only a leader's rights would allow it, and who acts is claimed, not proven (no token)."""


def title_of(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def is_leader(conn: Connection, config: Config, person_id: int) -> bool:
    """Who may merge, split and escalate: the one rule in ``foundermode.people``."""
    return people_rules.is_leader(conn, config, person_id)


@dataclass
class Bottleneck:
    conn: Connection
    config: Config
    catalog: Catalog
    id: int
    title: str
    resource_name: str | None
    status: str
    opened_at: int

    @classmethod
    def load(cls, conn: Connection, config: Config, bottleneck_id: int, catalog: Catalog | None = None) -> "Bottleneck":
        row = conn.execute(select(bottlenecks).where(bottlenecks.c.id == bottleneck_id)).mappings().first()
        if row is None:
            raise NotFound(f"no bottleneck #{bottleneck_id}")
        return cls(conn, config, catalog or load_catalog(config), row["id"], row["title"], row["resource"], row["status"], row["opened_at"])

    @classmethod
    def touch(cls, conn: Connection, config: Config, bottleneck_id: int, catalog: Catalog, now: int, resource: str | None = None) -> "Bottleneck":
        """Load a bottleneck a new report joins, marking it updated (and giving it ``resource`` if it had none), in one statement."""
        row = conn.execute(
            update(bottlenecks)
            .where(bottlenecks.c.id == bottleneck_id)
            .values(updated_at=now, resource=func.coalesce(bottlenecks.c.resource, resource))
            .returning(bottlenecks.c.id, bottlenecks.c.title, bottlenecks.c.resource, bottlenecks.c.status, bottlenecks.c.opened_at)
        ).first()
        if row is None:
            raise NotFound(f"no bottleneck #{bottleneck_id}")
        return cls(conn, config, catalog, *row)

    @classmethod
    def open_new(cls, conn: Connection, config: Config, catalog: Catalog, *, text: str, resource: str | None, at: int, now: int) -> "Bottleneck":
        bottleneck_id = conn.execute(
            insert(bottlenecks)
            .values(title=title_of(text), resource=resource, status="open", opened_at=at, updated_at=now)
            .returning(bottlenecks.c.id)
        ).scalar_one()
        return cls(conn, config, catalog, bottleneck_id, title_of(text), resource, "open", at)

    # -- what it is ---------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def resource(self) -> Resource | None:
        return self.catalog.get(self.resource_name)

    @property
    def threshold(self) -> int:
        return self.resource.threshold if self.resource else DEFAULT_THRESHOLD

    def reporters(self) -> list[dict]:
        return escalation.reporters(self.conn, self.id)

    def reporter_count(self) -> int:
        """Distinct people who reported it."""
        return self.conn.execute(
            select(func.count(func.distinct(blocker_reports.c.person_id))).where(blocker_reports.c.bottleneck_id == self.id)
        ).scalar()

    def report_ids(self) -> list[int]:
        return [r for (r,) in self.conn.execute(select(blocker_reports.c.id).where(blocker_reports.c.bottleneck_id == self.id).order_by(blocker_reports.c.id))]

    def escalations(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute(select(escalations).where(escalations.c.bottleneck_id == self.id).order_by(escalations.c.id)).mappings()]

    def may_handle(self, person_id: int | None, *, leader: bool = True) -> bool:
        """The resource's owner, whoever an escalation is with now, or (``leader``) a leader.

        ``leader=False`` leaves the leader's rights out: for someone whose identity
        is claimed rather than proven, who may act as owner or holder only.
        """
        if person_id is None:
            return False
        keys = person_keys(self.conn, person_id)
        emails = {self.resource.owner if self.resource else None}
        for esc in self.escalations():
            emails.add(esc["holder"])
        if any(e and identity_key("", e) in keys for e in emails):
            return True
        return leader and is_leader(self.conn, self.config, person_id)

    def _set(self, now: int, **values) -> None:
        self.conn.execute(update(bottlenecks).where(bottlenecks.c.id == self.id).values(updated_at=now, **values))
        if "status" in values:
            self.status = values["status"]

    def _require_open(self) -> None:
        if not self.is_open:
            raise BottleneckError(f"bottleneck #{self.id} is {self.status}")

    # -- the rule --------------------------------------------------------------
    def evaluate(self, now: int, reporters: int | None = None) -> escalation.Started | None:
        """Escalate when heard from enough distinct people and nobody has taken it yet."""
        if self.status != "open" or (self.reporter_count() if reporters is None else reporters) < self.threshold:
            return None
        return self.escalate(now)

    def escalate(self, now: int, by: int | None = None) -> escalation.Started | None:
        """Start the resource's chain (the leader's when no resource claims it) and book the call."""
        self._require_open()
        chain = self.resource or escalation.leader_chain(self.catalog)
        started = escalation.start(self.conn, self.config, self.catalog, self.id, chain, now, by=by, call=True)
        if started is not None and self.status == "open":
            self._set(now, status="escalated", escalated_at=now)
        return started

    # -- the owner's answers -------------------------------------------------------
    def acknowledge(self, by: int | None, now: int, *, vendor: bool = False) -> int:
        """The holder has it: its chain stops climbing. ``vendor`` records the vendor's acknowledgement."""
        self._require_open()
        kinds = ("vendor",) if vendor else ("resource", "leader")
        holder = self.conn.execute(select(people.c.email).where(people.c.id == by)).scalar() if by else None
        count = 0
        for esc in self.escalations():
            if esc["kind"] in kinds and esc["status"] in ("active", "exhausted"):
                # an owner's acknowledgement holds for stale_after; then the chain climbs again (engine.restale_due)
                stale = None if vendor else now + ChainSnapshot.from_json(esc["chain"]).stale_after(esc["step"], self.catalog.stale_after)
                self.conn.execute(
                    update(escalations).where(escalations.c.id == esc["id"])
                    .values(status="acknowledged", acknowledged_at=now, acknowledged_by=by, next_at=stale, holder=esc["holder"] if vendor else (holder or esc["holder"]))
                )
                escalation.record(self.conn, self.id, "acknowledged", now, person_id=by, escalation_id=esc["id"], chain=esc["chain_name"])
                count += 1
            elif not vendor and esc["kind"] in kinds and esc["status"] == "acknowledged" and esc["next_at"] is not None:
                # acknowledged again (answering the reminder) while its next climb is pending: the
                # acknowledgement holds for stale_after from now; the first acknowledged_at stays for
                # the response-time figures
                renewed = now + ChainSnapshot.from_json(esc["chain"]).stale_after(esc["step"], self.catalog.stale_after)
                self.conn.execute(update(escalations).where(escalations.c.id == esc["id"]).values(next_at=renewed))
                escalation.record(self.conn, self.id, "acknowledged", now, person_id=by, escalation_id=esc["id"], chain=esc["chain_name"],
                                  again=True, next_at=renewed)
                count += 1
        if vendor and not count:
            raise BottleneckError(f"bottleneck #{self.id} has no vendor escalation to acknowledge")
        if not vendor:
            if not count:
                escalation.record(self.conn, self.id, "acknowledged", now, person_id=by)
            values = {"acknowledged_at": func.coalesce(bottlenecks.c.acknowledged_at, now)}
            if self.status in ("open", "escalated"):
                values["status"] = "acknowledged"
            self._set(now, **values)
        return count

    def resolve(self, by: int | None, now: int, *, expired_after: int | None = None) -> None:
        """Resolved by someone, or (``expired_after``) closed by the tick after that long without activity."""
        self._require_open()
        self.conn.execute(
            update(escalations)
            .where(escalations.c.bottleneck_id == self.id, escalations.c.status != "resolved")
            .values(status="resolved", resolved_at=now, next_at=None)
        )
        self._set(now, status="resolved", resolved_at=now)
        if expired_after is None:
            escalation.record(self.conn, self.id, "resolved", now, person_id=by)
        else:  # nobody unblocked it: board.metrics leaves it out of time-to-unblock
            escalation.record(self.conn, self.id, "resolved", now, person_id=by, expired=True, note=f"expired after {duration(expired_after)} without activity")
        escalation.cancel_calls(self.conn, self.config, self.catalog, self.id, now, "resolved" if expired_after is None else "expired")

    def blocked_on_vendor(self, by: int | None, now: int, vendor: str | None = None) -> escalation.Started | None:
        """The owner is waiting on an outside vendor: that vendor's chain starts."""
        self._require_open()
        name = vendor or (self.resource.depends_on if self.resource else None)
        target = self.catalog.get(name) if name else None
        if target is None or target.kind != "vendor":
            known = ", ".join(self.catalog.vendors) or "none configured"
            raise BottleneckError(f"name a vendor for bottleneck #{self.id} (known: {known})" if not name else f"'{name}' is not a configured vendor (known: {known})")
        if any(e["kind"] in ("resource", "leader") and e["status"] in ("active", "exhausted") for e in self.escalations()):
            self.acknowledge(by, now)  # handing it on is an answer: the owner's clock stops
        started = escalation.start(self.conn, self.config, self.catalog, self.id, target, now, by=by, call=False)
        if started is None:
            raise BottleneckError(f"bottleneck #{self.id} is already with {target.name}")
        self._set(now, status="vendor", acknowledged_at=func.coalesce(bottlenecks.c.acknowledged_at, now))
        return started

    # -- a leader's corrections ------------------------------------------------------
    def _move(self, report_ids: list[int], target: "Bottleneck", by: int | None, now: int, kind: str) -> None:
        self.conn.execute(
            update(blocker_reports).where(blocker_reports.c.id.in_(report_ids)).values(bottleneck_id=target.id, pinned=True)
        )
        escalation.record(self.conn, self.id, kind, now, person_id=by, to=target.id, reports=report_ids)
        escalation.record(self.conn, target.id, kind, now, person_id=by, **{"from": self.id, "reports": report_ids})
        target._set(now)

    def merge_into(self, other_id: int, by: int | None, now: int) -> "Bottleneck":
        """Fold this bottleneck into another: its reports move there, and stay."""
        self._require_open()
        if other_id == self.id:
            raise BottleneckError("a bottleneck cannot be merged into itself")
        target = Bottleneck.load(self.conn, self.config, other_id, self.catalog)
        target._require_open()
        self._move(self.report_ids(), target, by, now, "merged")
        self.conn.execute(
            update(escalations)
            .where(escalations.c.bottleneck_id == self.id, escalations.c.status.in_(("active", "exhausted")))
            .values(status="merged", next_at=None)
        )
        self._set(now, status="merged", merged_into_id=target.id)
        escalation.cancel_calls(self.conn, self.config, self.catalog, self.id, now, f"merged into #{target.id}")
        if target.resource_name is None and self.resource_name:
            target._set(now, resource=self.resource_name)
            target.resource_name = self.resource_name
        target.evaluate(now)
        return target

    def split(self, report_ids: list[int], by: int | None, now: int) -> "Bottleneck":
        """Take some reports out into a bottleneck of their own."""
        self._require_open()
        mine = self.report_ids()
        wanted = sorted(set(report_ids))
        strangers = [r for r in wanted if r not in mine]
        if strangers or not wanted:
            raise BottleneckError(f"reports {', '.join(map(str, strangers)) or '(none)'} are not in bottleneck #{self.id}")
        if len(wanted) == len(mine):
            raise BottleneckError(f"splitting every report out of bottleneck #{self.id} leaves it empty; move or merge instead")
        first = self.conn.execute(select(blocker_reports.c.text, blocker_reports.c.reported_at).where(blocker_reports.c.id == wanted[0])).one()
        opened = self.conn.execute(select(func.min(blocker_reports.c.reported_at)).where(blocker_reports.c.id.in_(wanted))).scalar()
        new = Bottleneck.open_new(self.conn, self.config, self.catalog, text=first.text, resource=self.resource_name, at=opened, now=now)
        self._move(wanted, new, by, now, "split")
        new.evaluate(now)
        return new


def move_report(conn: Connection, config: Config, report_id: int, to_id: int, by: int | None, now: int, catalog: Catalog | None = None) -> Bottleneck:
    """Put one report in another open bottleneck; an emptied bottleneck is folded into the target."""
    catalog = catalog or load_catalog(config)
    row = conn.execute(select(blocker_reports.c.bottleneck_id).where(blocker_reports.c.id == report_id)).first()
    if row is None:
        raise NotFound(f"no report #{report_id}")
    source = Bottleneck.load(conn, config, row[0], catalog)
    if source.id == to_id:
        raise BottleneckError(f"report #{report_id} is already in bottleneck #{to_id}")
    target = Bottleneck.load(conn, config, to_id, catalog)
    target._require_open()
    source._move([report_id], target, by, now, "moved")
    if not source.report_ids():
        source._set(now, status="merged", merged_into_id=target.id)
        conn.execute(
            update(escalations)
            .where(escalations.c.bottleneck_id == source.id, escalations.c.status.in_(("active", "exhausted")))
            .values(status="merged", next_at=None)
        )
    target.evaluate(now)
    return target
