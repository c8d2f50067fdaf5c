"""Hearing a blocker: from the CLI, the API, Slack or an imported file.

Each report joins the open bottleneck it is about or opens one, and the rule is
checked in the same transaction: the report, its grouping and an escalation it
triggers land together or not at all. A batch (an import) is one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from ..config import Config
from ..errors import InputError
from ..sources.identities import IdentityResolver, identity_key
from ..store.schema import identities
from ..store import Store
from ..store import now as clock_now
from ..store.schema_bottlenecks import blocker_reports, bottlenecks
from . import matching
from .bottleneck import Bottleneck
from .statuses import OPEN
from .escalation import event, lock_rule, record_all
from .grouping import Candidate, ReportIndex, choose, forget, index_for, maybe
from .resources import Catalog, load_catalog

MAX_TEXT = 4000


@dataclass
class Blocker:
    """A report before it is placed: who (a person id, or an email/name to resolve) and what."""

    text: str
    email: str | None = None
    name: str | None = None
    person_id: int | None = None
    reported_at: int | None = None
    external_id: str | None = None
    # Where it was heard (bottlenecks/heard.py): typed, slack, meeting, standup, ticket.
    heard_in: str = "typed"
    heard_where: str | None = None
    heard_link: str | None = None
    confidence: float | None = None
    # The resource a source knows the report is about (a reviewer's review queue): it joins
    # that resource's open bottleneck whatever its words, or opens one.
    resource: str | None = None


@dataclass
class Intake:
    """Where a report went."""

    report_id: int
    bottleneck_id: int
    opened: bool  # it started a new bottleneck
    duplicate: bool = False  # its external id was already in: nothing was added
    resource: str | None = None
    score: float | None = None  # similarity to the report it was grouped with
    reporters: int = 0  # distinct people on the bottleneck now
    escalated: bool = False  # this report made the bottleneck escalate
    maybe_same_as: int | None = None  # opened its own, but may be the same as this open bottleneck (a leader decides)


def clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError("a blocker needs some text: what is blocking you?")
    if len(text) > MAX_TEXT:
        raise ValueError(f"a blocker is at most {MAX_TEXT} characters ({len(text)} given)")
    return text


class UnknownReporter(InputError):
    """A report names somebody the store does not know (not in the org chart, no commits, never seen)."""


def report(store: Store, config: Config, *, text: str, by: str | None = None, person_id: int | None = None, source: str = "cli",
           now: int | None = None, reported_at: int | None = None, external_id: str | None = None, known_only: bool = False) -> Intake:
    """One blocker, from ``by`` (an email) or ``person_id``."""
    return report_many(store, config, [Blocker(text=text, email=by, person_id=person_id, reported_at=reported_at, external_id=external_id)], source=source, now=now, known_only=known_only)[0]


def unknown_reporters(conn: Connection, blockers: list[Blocker]) -> list[str]:
    """The reporters no identity in the store names (org chart, commits, aliases, an earlier report)."""
    out = []
    for blocker in blockers:
        if blocker.person_id is not None or not blocker.email:
            continue
        key = identity_key(blocker.name or "", blocker.email)
        if conn.execute(select(identities.c.person_id).where(identities.c.key == key)).first() is None:
            out.append(blocker.email)
    return sorted(set(out))


def report_many(store: Store, config: Config, blockers: list[Blocker], *, source: str, now: int | None = None, known_only: bool = False,
                catalog: Catalog | None = None) -> list[Intake]:
    """Place every blocker in one transaction: all of them land, or none.

    ``known_only``: refuse a reporter the store does not know, rather than make a
    new person of a typo (an operator typing ``--by`` on someone's behalf).
    ``catalog``: the configured resources plus those a source derives (review queues, with their owners).
    """
    now = clock_now() if now is None else int(now)
    catalog = catalog or load_catalog(config)
    for blocker in blockers:
        blocker.text = clean_text(blocker.text)
        if blocker.person_id is None and not (blocker.email or blocker.name):
            raise ValueError("a blocker needs a reporter (an email address)")
    key = store.url
    index = index_for(key, catalog.matcher)
    try:
        with store.write() as conn:
            lock_rule(conn)
            if known_only:
                unknown = unknown_reporters(conn, blockers)
                if unknown:
                    raise UnknownReporter(
                        f"nobody known as {', '.join(repr(u) for u in unknown[:3])}{' and more' if len(unknown) > 3 else ''}: "
                        "a reporter must be in the org chart, have commits or have reported before"
                    )
            with index.lock:
                index.sync(conn)
                resolver = IdentityResolver.from_config(conn, config) if any(b.person_id is None for b in blockers) else None
                out = []
                for blocker in blockers:
                    person_id = blocker.person_id or resolver.person_for(blocker.name or "", blocker.email or "", source="manual")
                    out.append(place(conn, config, catalog, index, person_id, blocker, source, now))
    except BaseException:
        forget(key)  # the index may hold reports that were rolled back
        raise
    return out


def _open_on(conn: Connection, resource: str) -> Candidate | None:
    """The newest open bottleneck on ``resource``, as the candidate a report joins."""
    row = conn.execute(
        select(bottlenecks.c.id).where(bottlenecks.c.resource == resource, bottlenecks.c.status.in_(OPEN)).order_by(bottlenecks.c.id.desc())
    ).first()
    return Candidate(row[0], resource, 1.0, None) if row else None


def place(conn: Connection, config: Config, catalog: Catalog, index: ReportIndex, person_id: int, blocker: Blocker, source: str, now: int) -> Intake:
    """Group one report and check the rule, inside the caller's locked transaction."""
    if blocker.external_id:
        seen = conn.execute(
            select(blocker_reports.c.id, blocker_reports.c.bottleneck_id)
            .where(blocker_reports.c.source == source, blocker_reports.c.external_id == blocker.external_id)
        ).first()
        if seen:
            return Intake(seen[0], seen[1], opened=False, duplicate=True)
    near = None
    if blocker.resource:
        # a source that knows what the report is about (a review queue: the reviewer) names it
        resource = blocker.resource
        chosen = _open_on(conn, resource)
    else:
        terms = catalog.match_terms()
        resource = matching.detect_resource(blocker.text, terms) if terms else None
        candidates = index.candidates(conn, blocker.text)
        chosen = choose(candidates, resource, catalog.match_threshold)
        # not confident enough to join: a leader decides, with the near miss named on the bottleneck
        near = None if chosen else maybe(candidates, resource, catalog.match_threshold)
    at = blocker.reported_at or now
    if chosen:
        bottleneck = Bottleneck.touch(conn, config, chosen.bottleneck_id, catalog, now, resource)
    else:
        bottleneck = Bottleneck.open_new(conn, config, catalog, text=blocker.text, resource=resource, at=at, now=now)
    report_id = conn.execute(
        insert(blocker_reports)
        .values(bottleneck_id=bottleneck.id, person_id=person_id, text=blocker.text, source=source, external_id=blocker.external_id,
                reported_at=at, received_at=now, pinned=False, heard_in=blocker.heard_in, heard_where=blocker.heard_where,
                heard_link=blocker.heard_link, confidence=blocker.confidence)
        .returning(blocker_reports.c.id)
    ).scalar_one()
    index.add(report_id, blocker.text, bottleneck.id)
    record_all(conn, [
        event(bottleneck.id, "reported", at, person_id=person_id, report_id=report_id, source=source,
              **({"heard_in": blocker.heard_in, "heard_where": blocker.heard_where} if blocker.heard_in != "typed" else {})),
        event(bottleneck.id, "grouped", now, person_id=person_id, report_id=report_id, opened=chosen is None,
              score=round(chosen.score, 4) if chosen else None, like=chosen.report_id if chosen else None, resource=resource,
              **({"maybe": near.bottleneck_id, "maybe_score": round(near.score, 4), "maybe_like": near.report_id} if near else {})),
    ])
    reporters = bottleneck.reporter_count()
    started = bottleneck.evaluate(now, reporters)
    return Intake(report_id, bottleneck.id, opened=chosen is None, resource=bottleneck.resource_name,
                  score=chosen.score if chosen else None, reporters=reporters, escalated=started is not None,
                  maybe_same_as=near.bottleneck_id if near else None)
