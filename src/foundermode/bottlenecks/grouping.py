"""Which open bottleneck a new report belongs to.

The text matcher (``matching``) says how alike two reports are; this module
keeps an index of the reports of open bottlenecks in step with the store and
applies the rule: join the open bottleneck of the most similar report when the
score reaches the matcher's threshold (``SAME_RESOURCE_FACTOR`` of it when both
talk about the same configured resource); never join a bottleneck about a
different resource. Precision first: below that, but above
``matching.maybe_threshold``, the report opens its own bottleneck and the
grouped event names the best match as ``maybe`` (the leader sees "maybe the
same as #N" with a merge one click away).

Every merge, split and move a leader makes is a labelled pair of texts
(``labelled_examples``), in the format ``foundermode eval grouping`` reads.

Grouping only places new reports. Reports a leader merged, split or moved keep
their place (``pinned``), so corrections are never undone by later grouping.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks
from . import matching
from .statuses import CLOSED

# Two reports naming the same resource need less textual overlap to be one bottleneck.
# Chosen on the training split (bench/bench_grouping.py): the lowest factor that
# keeps precision at 0.90 on pairs from one project, the nearest the labelled
# data comes to "two reports about one resource". 0.5 (the earlier value) gave
# precision 0.77 on the held-out pairs.
SAME_RESOURCE_FACTOR = 0.9
# Two reports sharing only one content word ("the kitchen floor" and "the third floor
# meeting rooms") score on that word's rarity alone, which in a small index of open
# reports is high. Such a pair joins only at this multiple of the threshold (below
# it, it is "maybe the same", one click from a merge). Chosen on the training split
# (bench/bench_grouping.py): the lowest of 1.0, 1.25, 1.5, ... keeping precision at
# 0.95 on first lines alone, the nearest the labelled data comes to one-line reports.
ONE_WORD_FACTOR = 1.25
CANDIDATES = 10
# Reports of one bottleneck beyond the first few say the same thing again: indexing
# them would only slow every query down as a busy bottleneck collects reports.
PER_BOTTLENECK = 12


@dataclass(frozen=True)
class Candidate:
    bottleneck_id: int
    resource: str | None
    score: float
    report_id: int
    # content words (stems) the report shares with the new one; None when the matcher does not say
    shared_words: int | None = None


def needed_score(candidate: Candidate, resource: str | None, threshold: float, one_word_factor: float = ONE_WORD_FACTOR) -> float:
    """The score at which ``candidate`` is taken to be the same bottleneck as a report about ``resource``."""
    if resource and candidate.resource == resource:
        return threshold * SAME_RESOURCE_FACTOR
    if candidate.shared_words is not None and candidate.shared_words < 2:
        return threshold * one_word_factor
    return threshold


def choose(candidates: list[Candidate], resource: str | None, threshold: float) -> Candidate | None:
    """The first candidate (best score first) the rule accepts, or None: open a new bottleneck."""
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if resource and candidate.resource and candidate.resource != resource:
            continue
        if candidate.score >= needed_score(candidate, resource, threshold):
            return candidate
    return None


def maybe(candidates: list[Candidate], resource: str | None, threshold: float) -> Candidate | None:
    """When ``choose`` found nothing: the best candidate close enough to be worth a leader's look, or None."""
    floor = matching.maybe_threshold(threshold)
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if resource and candidate.resource and candidate.resource != resource:
            continue
        return candidate if candidate.score >= floor else None
    return None


def maybe_same(conn: Connection, bottleneck_id: int) -> list[dict]:
    """Open bottlenecks this one may be the same as (its reports scored between the two thresholds), best first."""
    import json

    found: dict[int, float] = {}
    for (detail,) in conn.execute(
        select(bottleneck_events.c.detail).where(bottleneck_events.c.bottleneck_id == bottleneck_id, bottleneck_events.c.kind == "grouped")
    ):
        data = json.loads(detail) if detail else {}
        other = data.get("maybe")
        if other and other != bottleneck_id:
            found[other] = max(found.get(other, 0.0), float(data.get("maybe_score") or 0.0))
    if not found:
        return []
    rows = conn.execute(select(bottlenecks.c.id, bottlenecks.c.title, bottlenecks.c.resource, bottlenecks.c.status).where(bottlenecks.c.id.in_(list(found)))).all()
    out = [{"id": i, "title": t, "resource": r, "status": st, "score": round(found[i], 4)} for i, t, r, st in rows if st not in CLOSED]
    return sorted(out, key=lambda row: (-row["score"], row["id"]))


def labelled_examples(conn: Connection) -> list[dict]:
    """Every leader correction as labelled pairs of report texts: {"a", "b", "duplicate", "source", "id_a", "id_b"}.

    A merge or a move says the reports moved are the same as the ones already
    in the target (reported before the correction); a split or a move says
    they differ from the ones left behind. Each correction is read from the
    side that names its target (``to``), so none counts twice.
    """
    import json

    texts = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.text)).all())
    home = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.bottleneck_id)).all())
    reported = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.reported_at)).all())

    def members(bottleneck_id: int, before: int, leave_out: set[int]) -> list[int]:
        return sorted(r for r, b in home.items() if b == bottleneck_id and r not in leave_out and reported[r] <= before)

    out: list[dict] = []
    events = conn.execute(
        select(bottleneck_events.c.bottleneck_id, bottleneck_events.c.kind, bottleneck_events.c.at, bottleneck_events.c.detail)
        .where(bottleneck_events.c.kind.in_(("merged", "split", "moved"))).order_by(bottleneck_events.c.id)
    ).all()
    for source_id, kind, at, detail in events:
        data = json.loads(detail) if detail else {}
        if "to" not in data:
            continue
        moved = [r for r in data.get("reports", []) if r in texts]
        pairs = []
        if kind in ("merged", "moved"):
            pairs += [(r, other, True) for r in moved for other in members(data["to"], at, set(moved))]
        if kind in ("split", "moved"):
            pairs += [(r, other, False) for r in moved for other in members(source_id, at, set(moved))]
        out += [{"a": texts[a], "b": texts[b], "duplicate": same, "source": f"foundermode/{kind}", "id_a": str(a), "id_b": str(b)} for a, b, same in pairs]
    return out


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
        self.per_bottleneck: dict[int, int] = {}

    def sync(self, conn: Connection) -> None:
        rows = conn.execute(
            select(blocker_reports.c.id, blocker_reports.c.text, blocker_reports.c.bottleneck_id)
            .join(bottlenecks, bottlenecks.c.id == blocker_reports.c.bottleneck_id)
            .where(blocker_reports.c.id > self.report_mark, bottlenecks.c.status.not_in(CLOSED))
            .order_by(blocker_reports.c.id)
        ).all()
        for report_id, text, bottleneck_id in rows:
            self.add(report_id, text, bottleneck_id)
        events = conn.execute(
            select(bottleneck_events.c.id, bottleneck_events.c.kind, bottleneck_events.c.bottleneck_id).where(bottleneck_events.c.id > self.event_mark)
        ).all()
        closed = {b for _, kind, b in events if kind in CLOSED}
        if closed:
            for (report_id,) in conn.execute(select(blocker_reports.c.id).where(blocker_reports.c.bottleneck_id.in_(closed))):
                self.discard(report_id)
        self.event_mark = max([self.event_mark, *(e for e, _, _ in events)])

    def add(self, report_id: int, text: str, bottleneck_id: int) -> None:
        self.report_mark = max(self.report_mark, report_id)
        if report_id in self.index or self.per_bottleneck.get(bottleneck_id, 0) >= PER_BOTTLENECK:
            return
        self.index.add(report_id, text)
        self.per_bottleneck[bottleneck_id] = self.per_bottleneck.get(bottleneck_id, 0) + 1

    def discard(self, report_id: int) -> None:
        if report_id in self.index:
            self.index.remove(report_id)

    def candidates(self, conn: Connection, text: str, k: int = CANDIDATES) -> list[Candidate]:
        """Open bottlenecks holding the reports most like ``text``, best first, one per bottleneck."""
        hits = self.index.query(text, k=k)
        if not hits:
            return []
        scores = dict(hits)
        # for ONE_WORD_FACTOR: the content words each hit shares with the text (the lexical index says; other matchers do not)
        shared = self.index.shared_words(text, list(scores))
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
            candidate = Candidate(bottleneck_id, resource, scores[report_id], report_id, shared.get(report_id))
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
