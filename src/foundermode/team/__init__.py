"""Principle 1: small, strong, technical teams — who really builds what.

The domain API, in a leader's words (a doctest: ``tests/team/test_docstring.py`` runs it)::

    >>> import tempfile
    >>> from foundermode import team
    >>> from foundermode.store import open_store
    >>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/foundermode.db")   # ingest git fills it
    >>> scope = team.window(store, since="2024-01-01", until="2024-07-01")
    >>> scope.heading()
    '2024-01-01 to 2024-06-30 (182 days, UTC; ends where asked)'
    >>> team.profiles(store, scope)                # what each person built, and the trend
    []
    >>> team.truck_factor(store)                   # who the code depends on (Avelino et al. 2016)
    []
    >>> team.output(store, scope)                  # did adding people add output?
    []
    >>> team.managers_without_footprint(store, scope)
    []
    >>> team.review_list(store, scope)             # low signal, with the evidence to keep, never a verdict
    []
    >>> store.dispose()

Each analysis is a small module: the arithmetic is pure and tested on its own,
``queries`` reads the store with the aggregation done in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..people import roster
from ..scope import Scope, resolve
from ..sources import codeowners
from ..sources.identities import find_person
from ..store.schema import commits
from . import queries
from .growth import GrowthCheck, read_growth
from .managers import Manager, read_managers
from .output import Month, read_output
from .profiles import Profile, read_profile, read_profiles
from .review import TeamReview, read_review
from .truck_factor import Authorship, TruckFactor, areas, authorship, owner_areas, truck_factor_of
from . import summary



def window(store_or_conn, since=None, until=None, repos: list[str] | None = None, team: str | None = None, days: float | None = None, report: str = "team") -> Scope:
    """A scope in the one grammar of ``scope.py``; the window ends at ``scope.DEFAULT_END`` unless told otherwise.

    Ending at the data's last commit, not at the wall clock, keeps a report on
    an old or a mirrored repository meaningful.
    """
    return _with_conn(store_or_conn, lambda conn: resolve(conn, since=since, until=until, days=days, repos=repos, team=team, report=report))


def _with_conn(store_or_conn, fn):
    if hasattr(store_or_conn, "read"):
        with store_or_conn.read() as conn:
            return fn(conn)
    return fn(store_or_conn)


def profiles(store, scope: Scope, config=None, everyone: bool = False) -> list[Profile]:
    """Who is on the team for the window (the org chart's people here, else the recently active; profiles.team_members)
    and what git says each did; ``everyone`` adds every other person who was ever here, with their status."""
    return _with_conn(store, lambda conn: read_profiles(conn, scope, config=config, everyone=everyone))


def profile(store, person: str | int, scope: Scope, config=None) -> Profile:
    def run(conn):
        person_id = person if isinstance(person, int) else find_person(conn, person)
        return read_profile(conn, scope, person_id, config)

    return _with_conn(store, run)


def authorships(store, repos: list[str] | tuple[int, ...] | None = None, at: str | None = None, config=None, reference: bool = False) -> list[Authorship]:
    """DOA authorship of every file, per repository (the expensive part; shared by the reports).

    At the ingested tip (no ``at``) the stored summary is read whenever the
    history it was computed from is unchanged; given a store, stale summaries
    are recomputed and stored first (team/summary.py). At another revision, or
    where no summary can be used, authorship is computed from the history.
    ``reference``: the reference tool's file filter and alias rule (never stored).
    """
    patterns = summary.effective_patterns(config)

    def resolve(conn):
        return repos if isinstance(repos, tuple) else queries.resolve_repositories(conn, repos)

    if at is None and not reference and hasattr(store, "write"):
        # Should this fail (a read-only database user), run() below computes from the history.
        summary.refresh_quietly(store, repo_ids=_with_conn(store, resolve), patterns=patterns)

    def run(conn):
        rows = [repo for repo in queries.repository_rows(conn, resolve(conn)) if repo["last_sha"]]
        stored = {}
        if at is None and not reference:
            def recompute(repo):
                return _with_conn(store, lambda c: authorship(c, repo, excluded_patterns=patterns).histories)

            stored = summary.stored_authorships(conn, rows, patterns, recompute)
        return [stored.get(repo["id"]) or authorship(conn, repo, at=at, excluded_patterns=patterns, reference=reference) for repo in rows]

    return _with_conn(store, run)


def truck_factor(
    store,
    repos: list[str] | None = None,
    at: str | None = None,
    by_area: bool = False,
    config=None,
    computed: list[Authorship] | None = None,
    by_owner: bool = False,
    everyone: bool = False,
    without: list[str] | None = None,
    reference: bool = False,
) -> list[TruckFactor]:
    """Truck factor per repository; per top-level directory with ``by_area``, per CODEOWNERS owner with ``by_owner``.

    Among the people who are here (people.py's tenure rule, as of the revision's
    time or the store's last activity), with what already left reported as
    knowledge lost; ``everyone`` keeps every author who ever was (the published
    computation), departed members marked; ``without`` takes named people away too.
    ``reference``: as the authors' tool computes it (Linguist's source files,
    same-name developers as one, everyone counted), to compare with published values.
    """
    computed = computed if computed is not None else authorships(store, repos, at, config, reference=reference)
    everyone = everyone or reference

    def run(conn):
        names = {p: row["name"] for p, row in queries.people_rows(conn).items()}
        out = []
        gone = {find_person(conn, who) for who in (without or [])}
        for auth in computed:
            as_of = None
            if auth.revision:
                stamp = conn.execute(select(commits.c.committed_at).where(commits.c.sha == auth.revision, commits.c.repo_id == auth.repo_id)).scalar()
                as_of = stamp + 1 if stamp is not None else None
            here = roster(conn, config, as_of)
            statuses = {p: here.status(p) for p in names}
            present = None if everyone else here.current()
            options = dict(present=present, statuses=statuses, without=gone)
            out.append(truck_factor_of(auth, names, **options))
            if by_area:
                out.extend(truck_factor_of(auth, names, area, **options) for area in areas(auth))
            if by_owner:
                rules = codeowners.load(conn, auth.repo_id)
                if rules.rules:
                    out.extend(truck_factor_of(auth, names, f"CODEOWNERS {owners}", files, **options) for owners, files in owner_areas(auth, rules).items())
        if reference:
            for found in out:
                found.basis = "reference"
        return out

    return _with_conn(store, run)


def output(store, scope: Scope, by_team: bool | None = None, config=None) -> list[Month]:
    return _with_conn(store, lambda conn: read_output(conn, scope, by_team, config))


def managers_without_footprint(store, scope: Scope) -> list[Manager]:
    return _with_conn(store, lambda conn: read_managers(conn, scope))


def review_list(store, scope: Scope, computed: list[Authorship] | None = None, config=None) -> list[TeamReview]:
    computed = computed if computed is not None else authorships(store, scope.repo_ids, config=config)
    return _with_conn(store, lambda conn: read_review(conn, scope, computed, config))


def growth(store, team_name: str, scope: Scope, computed: list[Authorship] | None = None, config=None) -> GrowthCheck:
    computed = computed if computed is not None else authorships(store, scope.repo_ids, config=config)
    return _with_conn(store, lambda conn: read_growth(conn, team_name, scope, computed, config))


@dataclass
class TeamReport:
    """What the Team page and ``team report`` show; composed by the registry's ``team`` analysis (analyses.py)."""

    scope: Scope
    profiles: list[Profile]
    truck_factors: list[TruckFactor]
    output: list[Month]
    managers: list[Manager]
    review: list[TeamReview]


__all__ = [
    "Scope", "window", "profiles", "profile", "authorships", "truck_factor", "output",
    "managers_without_footprint", "review_list", "growth", "TeamReport",
    "Profile", "TruckFactor", "Month", "Manager", "TeamReview", "GrowthCheck",
]
