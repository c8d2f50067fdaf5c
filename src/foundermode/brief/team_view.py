"""The team section, composed from principle 1's registered analyses (registry.py).

Truck factors, managers and the review list are the registry's ``truck-factor``,
``managers`` and ``review`` (their scope and their figures, with the authorship
read once per brief); the review list's window is the ``review`` analysis's own
(``scope.SPANS["review"]``) ending at the brief's end. The brief only asks the
truck factor about its own areas besides, so "the truck factor of a hot area"
names the same area as the state-of-areas section.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .activity import AreaMap
from .window import Window
from .. import registry
from ..scope import Scope
from ..store.schema import people
from ..team.truck_factor import truck_factor_of

RISKY_TRUCK_FACTOR = 2


@dataclass
class TruckFactorRisk:
    repo: str
    area: str | None  # None: the whole repository
    truck_factor: int
    files: int
    people: list[str]
    person_ids: list[int]


@dataclass
class ManagerNote:
    name: str
    team: str | None
    reports: int
    reports_commits: int
    reports_share_of_commits: float
    note: str
    person_id: int | None = None


@dataclass
class ReviewChange:
    name: str
    team: str
    change: str  # joined, left
    detail: str
    keep_evidence: list[str] = field(default_factory=list)
    person_id: int | None = None


@dataclass
class TeamView:
    truck_factors: list[TruckFactorRisk]
    managers: list[ManagerNote]
    review_changes: list[ReviewChange]
    review_size: int
    review_note: str | None = None
    managers_note: str | None = None


class Authorships:
    """Authorship per repository, computed once per brief (it reads git) and shared with the
    registry's analyses the brief runs (``shared``)."""

    def __init__(self, store, config):
        import threading

        self.store = store
        self.config = config
        self.shared = registry.Shared()
        self.error: str | None = None
        self._lock = threading.Lock()  # the review lists ask from their own thread (compose.build_brief)

    def get(self):
        with self._lock:
            try:
                return registry.authorships(self.store, self.config, None, self.shared) or []
            except (LookupError, OSError, RuntimeError) as error:
                # The brief says so in its caveats; every analysis sharing it sees no authorship.
                self.error = str(error)
                self.shared.put(registry.authorships_key(None), [])
                return []


@dataclass
class AreaTruckFactor:
    truck_factor: int
    files: int
    person_ids: list[int]


def hot_area_truck_factors(authorships: Authorships, areas: AreaMap, hot: list[tuple[str, str]], present: set[int] | None = None) -> dict[tuple[str, str], AreaTruckFactor]:
    """(repo, area) -> the area's truck factor among the people here (``present``), with the brief's areas and the team module's authorship."""
    out = {}
    by_repo = {auth.repository: auth for auth in authorships.get()}
    for repo, area in hot:
        auth = by_repo.get(repo)
        if auth is None:
            continue
        files = {path: who for path, who in auth.authors.items() if areas.area(auth.repo_id, path) == area}
        if files:
            result = truck_factor_of(auth, {}, area=area, files=files, present=present)
            out[(repo, area)] = AreaTruckFactor(result.truck_factor, result.files, [m.person_id for m in result.members])
    return out


def review_days() -> float:
    """The review list's own length in days (the registry's ``review`` analysis, ``scope.SPANS``)."""
    return registry.get("review").default_days


def review_entries(store, window: Window, authorships: Authorships, before: bool) -> dict:
    """person -> review entry: the registry's review list over its own window ending at the brief's end (or its start, ``before``)."""
    end = window.start if before else window.end
    review = registry.get("review")
    authorships.get()  # read once for the brief (a failure is its caveat, not this section's)
    with store.read() as conn:
        scope = review.scope(conn, until=end)
    return {e.person_id: e for t in review.compute(store, authorships.config, scope, shared=authorships.shared) for e in t.entries}


def team_view(store, config, window: Window, authorships: Authorships, hot: dict[tuple[str, str], AreaTruckFactor], reviews=None) -> TeamView:
    """``reviews``: futures of the two ``review_entries`` (now, before), started earlier: the brief
    runs them beside its other sections."""
    from sqlalchemy import select

    with store.read() as conn:
        names = dict(conn.execute(select(people.c.id, people.c.name)).all())
    risks = []
    authorships.get()
    for tf in registry.get("truck-factor").compute(store, config, Scope(), shared=authorships.shared, by_area=False):
        risks.append(TruckFactorRisk(tf.repository, None, tf.truck_factor, tf.files, [m.name for m in tf.members], [m.person_id for m in tf.members]))
    # The hot areas whose knowledge rests on one or two people: the risk that matters this week.
    for (repo, area), tf in hot.items():
        if tf.truck_factor <= RISKY_TRUCK_FACTOR:
            risks.append(TruckFactorRisk(repo, area, tf.truck_factor, tf.files, [names.get(p, str(p)) for p in tf.person_ids], tf.person_ids))

    scope = Scope(since=window.start, until=window.end)
    managers = [
        ManagerNote(m.name, m.team, len(m.reports), m.reports_commits, round(m.reports_share_of_commits, 3), m.note, m.person_id)
        for m in registry.get("managers").compute(store, config, scope, shared=authorships.shared)
    ]

    changes: list[ReviewChange] = []
    review_note = None
    size = 0
    try:
        if reviews is not None:
            now_list, before_list = (pending.result() for pending in reviews)
        else:
            now_list, before_list = (review_entries(store, window, authorships, before) for before in (False, True))
        size = len(now_list)
        for pid, entry in now_list.items():
            if pid not in before_list:
                changes.append(ReviewChange(entry.name, entry.team, "joined", entry.data_shows, list(entry.keep_evidence), pid))
        for pid, entry in before_list.items():
            if pid not in now_list:
                changes.append(ReviewChange(entry.name, entry.team, "left", f"no longer low on several measures against {entry.team}'s median over the last {review_days():g} days", person_id=pid))
        if not changes:
            review_note = f"no change since the window began: {size} on the review list (over the last {review_days():g} days)"
    except ValueError as error:
        review_note = str(error)
    managers_note = None if managers else "every manager in the org chart has a technical footprint in the window (or no org chart is ingested)"
    risks.sort(key=lambda r: (r.area is not None, r.truck_factor, r.repo, r.area or ""))
    return TeamView(risks, managers, changes, size, review_note, managers_note)
