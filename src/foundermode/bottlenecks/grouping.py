"""Which open bottleneck a new report belongs to.

The text matcher (``matching``) says how alike two reports are; this module
keeps an index of the reports of open bottlenecks in step with the store and
applies the rule: join the open bottleneck of the most similar report when the
score reaches the matcher's threshold, or half of it when both talk about the
same configured resource; never join a bottleneck about a different resource.

Grouping only places new reports. Reports a leader merged, split or moved keep
their place (``pinned``), so corrections are never undone by later grouping.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks
from . import matching

CLOSED = ("resolved", "merged")
# Two reports naming the same resource need less textual overlap to be one bottleneck.
SAME_RESOURCE_FACTOR = 0.5
CANDIDATES = 10


@dataclass(frozen=True)
class Candidate:
    bottleneck_id: int
    resource: str | None
    score: float
    report_id: int


def choose(candidates: list[Candidate], resource: str | None, threshold: float) -> Candidate | None:
    """The first candidate (best score first) the rule accepts, or None: open a new bottleneck."""
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if resource and candidate.resource and candidate.resource != resource:
            continue
        needed = threshold * SAME_RESOURCE_FACTOR if (resource and candidate.resource == resource) else threshold
        if candidate.score >= needed:
            return candidate
    return None


class ReportIndex:
    """The matcher's index over reports of open bottlenecks, for one store.

    Writers hold the store's write lock while they use it, so what it reads is
    what the store holds; ``sync`` adds reports other processes wrote since the
    last look and drops those of bottlenecks closed since.
    """

    def __init__(self, kind: str = "lexical"):
        self.kind = kind
        self.index = matching.build_index(kind)
        self.report_mark = 0
        self.event_mark = 0
        self.lock = threading.RLock()

    def sync(self, conn: Connection) -> None:
        newest = conn.execute(select(func.max(blocker_reports.c.id))).scalar() or 0
        if newest < self.report_mark:  # the store was emptied or replaced: start over
            self.__init__(self.kind)
        rows = conn.execute(
            select(blocker_reports.c.id, blocker_reports.c.text)
            .join(bottlenecks, bottlenecks.c.id == blocker_reports.c.bottleneck_id)
            .where(blocker_reports.c.id > self.report_mark, bottlenecks.c.status.not_in(CLOSED))
            .order_by(blocker_reports.c.id)
        ).all()
        for report_id, text in rows:
            if report_id not in self.index:
                self.index.add(report_id, text)
        self.report_mark = max(self.report_mark, newest)
        closed = conn.execute(
            select(bottleneck_events.c.id, bottleneck_events.c.bottleneck_id)
            .where(bottleneck_events.c.id > self.event_mark, bottleneck_events.c.kind.in_(("resolved", "merged")))
            .order_by(bottleneck_events.c.id)
        ).all()
        if closed:
            ids = {b for _, b in closed}
            for (report_id,) in conn.execute(select(blocker_reports.c.id).where(blocker_reports.c.bottleneck_id.in_(ids))):
                self.discard(report_id)
        self.event_mark = conn.execute(select(func.max(bottleneck_events.c.id))).scalar() or 0

    def add(self, report_id: int, text: str) -> None:
        self.index.add(report_id, text)
        self.report_mark = max(self.report_mark, report_id)

    def discard(self, report_id: int) -> None:
        if report_id in self.index:
            self.index.remove(report_id)

    def candidates(self, conn: Connection, text: str, k: int = CANDIDATES) -> list[Candidate]:
        """Open bottlenecks holding the reports most like ``text``, best first, one per bottleneck."""
        hits = self.index.query(text, k=k)
        if not hits:
            return []
        scores = dict(hits)
        rows = conn.execute(
            select(blocker_reports.c.id, bottlenecks.c.id, bottlenecks.c.resource, bottlenecks.c.status)
            .join(bottlenecks, bottlenecks.c.id == blocker_reports.c.bottleneck_id)
            .where(blocker_reports.c.id.in_(list(scores)))
        ).all()
        best: dict[int, Candidate] = {}
        for report_id, bottleneck_id, resource, status in rows:
            if status in CLOSED:
                self.discard(report_id)
                continue
            candidate = Candidate(bottleneck_id, resource, scores[report_id], report_id)
            if bottleneck_id not in best or candidate.score > best[bottleneck_id].score:
                best[bottleneck_id] = candidate
        return sorted(best.values(), key=lambda c: -c.score)


_indexes: dict[tuple[str, str], ReportIndex] = {}
_indexes_lock = threading.Lock()


def index_for(store_key: str, kind: str = "lexical") -> ReportIndex:
    """One index per store and matcher kind, shared by the threads of this process."""
    with _indexes_lock:
        index = _indexes.get((store_key, kind))
        if index is None:
            index = _indexes[(store_key, kind)] = ReportIndex(kind)
        return index


def forget(store_key: str) -> None:
    """Drop a store's indexes (after a rolled-back write, whose reports the index may hold)."""
    with _indexes_lock:
        for key in [k for k in _indexes if k[0] == store_key]:
            del _indexes[key]
