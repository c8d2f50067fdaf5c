"""A review queue is a bottleneck, heard twice: code review as a source of reports.

A reviewer whose queue holds up the ready pull requests of two or more different
people (each waiting at least ``[reviews] queue_days`` for that reviewer) is a
bottleneck on the resource "<reviewer>'s review queue". Each waiting pull request
is a report, by its author, with its link: the ordinary intake places them
(``intake.report_many``) and the ordinary rule — heard from two different people —
escalates it once through the ordinary chain (owner, then the leader). The owner
is the reviewer's manager in the org chart, else the repository's code owner
(CODEOWNERS' rule for every file), else the leader. A report's key is the pull
request, the reviewer and the moment the review was asked: running this again adds
nothing; a fresh request after the bottleneck closed is a new wait. When none of a
queue bottleneck's pull requests waits for that reviewer any more, it is resolved.

Runs on every ``foundermode tick`` (and ``foundermode reviews escalate``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import select

from ..config import Config
from ..sources import codeowners
from ..sources.identities import identity_key
from ..store import Store
from ..store import now as clock_now
from ..store.schema import identities, people, repositories
from ..store.schema_bottlenecks import blocker_reports, bottlenecks
from ..store.schema_reviews import pull_requests
from ..team import reviews as review_api
from .bottleneck import Bottleneck
from .statuses import OPEN
from .escalation import lock_rule
from .intake import Blocker, report_many
from .resources import DEFAULT_WAIT, Catalog, Resource, Step, load_catalog

SOURCE = "reviews"  # blocker_reports.source of every report made here
HEARD_IN = "review"
DAY = 86_400


@dataclass
class QueueOwner:
    email: str | None
    why: str  # manager, code owner, leader


@dataclass
class QueueResult:
    queues: list[dict] = field(default_factory=list)  # each bottleneck-worthy queue: reviewer, owner, pull requests, bottleneck
    reports: int = 0  # new reports placed
    opened: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)  # queue bottlenecks whose pull requests no longer wait


def resource_name(reviewer: str) -> str:
    return f"{reviewer}'s review queue"


def report_key(item: review_api.Waiting, reviewer_id: int, requested_at: int) -> str:
    return f"{item.repo}#{item.number}:reviewer:{reviewer_id}:{requested_at}"


def _pull_of(key: str) -> tuple[str, int, int] | None:
    """(repository, number, reviewer) from a report key."""
    try:
        pull, _word, reviewer, _at = key.rsplit(":", 3)
        repo, number = pull.rsplit("#", 1)
        return repo, int(number), int(reviewer)
    except ValueError:
        return None


def queue_owner(conn, reviewer_id: int, repos: list[str], leader: str | None, aliases: dict[str, list[str]] | None = None) -> QueueOwner:
    """Who answers for a reviewer's queue: their manager, else the code owner, else the leader."""
    manager_id = conn.execute(select(people.c.manager_id).where(people.c.id == reviewer_id)).scalar()
    if manager_id is not None and manager_id != reviewer_id:
        manager = conn.execute(select(people.c.email).where(people.c.id == manager_id)).scalar()
        if manager:
            return QueueOwner(manager, "manager")
    for repo in repos:
        owner = _code_owner(conn, repo, reviewer_id, aliases or {})
        if owner:
            return QueueOwner(owner, "code owner")
    return QueueOwner(leader, "leader")


def _code_owner(conn, forge_repo: str, reviewer_id: int, aliases: dict[str, list[str]]) -> str | None:
    """The first owner (other than the reviewer) of the git repository's rule for every file, as an email.
    A login is a person through their ``github:LOGIN`` identity, or the ``[identities.aliases]`` entry naming it
    (a code owner need not have opened or reviewed a pull request)."""
    by_alias = {identity_key("", alias): canonical for canonical, others in aliases.items() for alias in others if ":" in alias or "@" in alias}
    for (repo_id,) in conn.execute(select(repositories.c.id).where(repositories.c.name == forge_repo.split("/")[-1])):
        rules = codeowners.load(conn, repo_id)
        for rule in reversed(rules.rules):
            if rule.pattern not in ("*", "/", "/*", "**", "/**"):
                continue
            for owner in rule.owners:
                key = identity_key("", "github:" + owner[1:]) if owner.startswith("@") and "/" not in owner else (identity_key("", owner) if "@" in owner else None)
                if key is None:
                    continue  # a team (@org/team) has no one address
                keys = [key] + ([identity_key("", by_alias[key])] if key in by_alias else [])
                row = conn.execute(
                    select(people.c.id, people.c.email).join(identities, identities.c.person_id == people.c.id).where(identities.c.key.in_(keys))
                ).first()
                if row and row.id != reviewer_id and row.email:
                    return row.email
            break  # the last rule for every file wins
    return None


def _resource(name: str, owner: str | None) -> Resource:
    """The queue as a resource: the default chain (owner twice, then the leader), heard from two people."""
    return Resource(name=name, kind="resource", owner=owner, threshold=review_api.QUEUE_AUTHORS,
                    chain=(Step("owner", ("email",), DEFAULT_WAIT, 1), Step("leader", ("email",), 2 * 3600, 0)))


def hear_queues(store: Store, config: Config, now: int | None = None, *, catalog: Catalog | None = None) -> QueueResult:
    """Turn every review queue holding up two or more people's pull requests into reports; resolve drained ones."""
    now = clock_now() if now is None else int(now)
    catalog = catalog or load_catalog(config)
    min_days = float(config.settings.reviews.queue_days)
    result = QueueResult()
    with store.read() as conn:
        if conn.execute(select(pull_requests.c.id).where(pull_requests.c.state == "open").limit(1)).first() is None \
                and conn.execute(select(blocker_reports.c.id).where(blocker_reports.c.source == SOURCE).limit(1)).first() is None:
            return result  # no open pull request and no queue bottleneck: nothing to do (the common tick)
        data = review_api.read_pulls(conn, open_only=True)
        queues = [q for q in review_api.review_queues(data, now, min_days=min_days) if len(q.authors) >= review_api.QUEUE_AUTHORS]
        owners = {q.reviewer_id: queue_owner(conn, q.reviewer_id, sorted({w.repo for w in q.pulls}), catalog.leader, config.aliases) for q in queues}
        requested = _requested_at(data)
    still_waiting = {(w.repo, w.number, reviewer) for w in review_api.waiting(data, now) if w.waiting_for == "review" and not w.is_draft
                     for reviewer in w.waiting_on}
    derived = dict(catalog.resources)
    blockers: list[Blocker] = []
    for queue in queues:
        name = resource_name(queue.reviewer)
        owner = owners[queue.reviewer_id]
        derived.setdefault(name, _resource(name, owner.email))
        for item in queue.pulls:
            asked = requested.get((item.repo, item.number, queue.reviewer_id)) or int(now - item.waited_days * DAY)
            blockers.append(Blocker(
                text=f"{item.repo}#{item.number} \"{item.title}\" has waited {item.waited_days:g} days for {queue.reviewer}'s review",
                person_id=item.author_id, reported_at=min(now, int(asked + min_days * DAY)), external_id=report_key(item, queue.reviewer_id, asked),
                heard_in=HEARD_IN, heard_where=f"{item.repo}#{item.number}", heard_link=item.url, confidence=1.0, resource=name,
            ))
        result.queues.append({"reviewer": queue.reviewer, "owner": owner.email, "owner_is": owner.why, "authors": len(queue.authors),
                              "pulls": [f"{w.repo}#{w.number}" for w in queue.pulls], "bottleneck": None})
    blockers = [b for b in blockers if b.person_id is not None]
    if blockers:
        placed = report_many(store, config, blockers, source=SOURCE, now=now, catalog=dataclasses.replace(catalog, resources=derived))
        by_resource = {}
        for blocker, intake in zip(blockers, placed):
            by_resource[blocker.resource] = intake.bottleneck_id
            if intake.duplicate:
                continue
            result.reports += 1
            if intake.opened:
                result.opened.append(intake.bottleneck_id)
            if intake.escalated:
                result.escalated.append(intake.bottleneck_id)
        for row in result.queues:
            row["bottleneck"] = by_resource.get(resource_name(row["reviewer"]))
    result.resolved = _resolve_drained(store, config, catalog, still_waiting, now)
    return result


def _requested_at(data: review_api.PullData) -> dict[tuple[str, int, int], int]:
    """(repository, number, reviewer) -> when the review was asked, when the source says."""
    out = {}
    for pull in data.pulls:
        for reviewer, _team, at in pull.pending:
            if reviewer is not None and at:
                out[(pull.repo, pull.number, reviewer)] = at
    return out


def _drained(conn, still_waiting: set) -> list[int]:
    """Open queue bottlenecks none of whose pull requests waits for that reviewer any more."""
    rows = conn.execute(
        select(bottlenecks.c.id, blocker_reports.c.external_id)
        .join(blocker_reports, blocker_reports.c.bottleneck_id == bottlenecks.c.id)
        .where(bottlenecks.c.status.in_(OPEN), blocker_reports.c.source == SOURCE)
    ).all()
    keys: dict[int, list] = {}
    for bottleneck_id, key in rows:
        keys.setdefault(bottleneck_id, []).append(_pull_of(key or ""))
    return [b for b, pulls in sorted(keys.items()) if not any(p is not None and p in still_waiting for p in pulls)]


def _resolve_drained(store: Store, config: Config, catalog: Catalog, still_waiting: set, now: int) -> list[int]:
    """Drained queue bottlenecks, resolved. The tick runs every minute: candidates are found in a read,
    and the write lock is taken only when there is one (then they are found again under it)."""
    with store.read() as conn:
        if not _drained(conn, still_waiting):
            return []
    out = []
    with store.write() as conn:
        lock_rule(conn)
        for bottleneck_id in _drained(conn, still_waiting):
            Bottleneck.load(conn, config, bottleneck_id, catalog).resolve(None, now)
            out.append(bottleneck_id)
    return out
