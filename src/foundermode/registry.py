"""The registry's machinery and the analyses of principles 1, 2 and 4 (analyses.py lists them with the brief).

An :class:`Analysis` names a pure computation over the store for one
:class:`~foundermode.scope.Scope` (code-maat's ``supported-analysis``): its
name, the principle it serves, the report whose default length it takes
(``scope.SPANS``) and where its window ends when nothing says, whether the
repository and team filters narrow it, the options it takes beside its scope
(:class:`Param`), and the function that computes it. Every surface takes both
halves from the entry: ``analysis.scope(...)`` for the window (the one grammar
of scope.py) and ``analysis.compute(...)`` for the figures, keeping only its
presentation (tables, wording, HTML).

This module sits below the brief: the brief composes these entries (its team,
meetings and bottlenecks sections, ``registry.get``), and ``analyses.py``, above
both, is the whole list every surface reads, the brief included. ``calls``
counts every ``compute`` so the registry test can tell a surface that went
through it from one that called the library on its own.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable

from . import scope as scopes
from .errors import InputError, NotFound
from .reports import machine, to_plain

PRINCIPLES = {
    1: "Small, strong, technical teams",
    2: "No stagnation, no useless meetings",
    3: "A leader connected to engineers",
    4: "Remove bottlenecks the second time you hear them",
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Param:
    """An option an analysis takes beside its scope (truck factor's ``at``, walk-outs' ``person``).

    Declared once; every surface reads it: the older command's flag passes it by name,
    ``foundermode analysis NAME --option name=value`` and ``GET /api/analyses/NAME?name=value``
    parse it from text by its ``kind`` (``bool``, ``int``, ``float``, ``text``, ``list``: comma-separated)."""

    name: str
    kind: str = "text"
    default: Any = None
    help: str = ""

    def parse(self, text: str) -> Any:
        value = str(text).strip()
        try:
            if self.kind == "bool":
                if value.lower() in _TRUE:
                    return True
                if value.lower() in _FALSE:
                    return False
                raise ValueError
            if self.kind == "int":
                return int(value)
            if self.kind == "float":
                return float(value)
        except ValueError:
            raise InputError(f"the option '{self.name}' takes {'true or false' if self.kind == 'bool' else f'a number ({self.kind})'}, not '{value}'") from None
        if self.kind == "list":
            return [part.strip() for part in value.split(",") if part.strip()] or None
        return value or None

    def plain(self) -> dict:
        return {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help}


class Shared:
    """Inputs several analyses need, computed once for one page, command or brief.

    Authorship (it reads git, or the stored summary) is the one today: the team page's
    truck factors and review list, and the brief's, share it (``authorships`` below)."""

    def __init__(self):
        self._values: dict = {}
        self._lock = threading.Lock()

    def get(self, key, make: Callable[[], Any]):
        with self._lock:
            if key not in self._values:
                self._values[key] = make()
            return self._values[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._values[key] = value


# How many times each analysis was computed in this process: the registry test asserts that a
# surface went through ``Analysis.compute`` (and did not call the library on its own).
calls: Counter = Counter()
_calls_lock = threading.Lock()


@dataclass(frozen=True)
class Analysis:
    name: str
    principle: int
    summary: str
    function: Callable[..., Any]  # (store, config, scope, shared, **options) -> dataclasses, rows, dicts
    report: str = "team"  # whose default window length (scope.SPANS) it takes
    filtered: bool = True  # narrowed by the repository and team filters (the organisation's otherwise)
    ends: str | None = None  # where its window ends when nothing says (None: scope.DEFAULT_END, the last commit)
    params: tuple[Param, ...] = ()
    plain: Callable[[Any], Any] = to_plain  # its result as JSON-ready data (the brief has its own rendering)

    @property
    def default_span(self) -> str:
        return scopes.SPANS.get(self.report, scopes.DEFAULT_SPAN)

    @property
    def default_length(self) -> int:
        """The default window in seconds."""
        return scopes.span_seconds(self.default_span)

    @property
    def default_days(self) -> float:
        """The default window in days: what exports carry (a number, not the ``90d`` spelling)."""
        days = self.default_length / scopes.DAY
        return int(days) if days == int(days) else round(days, 2)

    def scope(self, conn, *, since=None, until=None, days=None, repos=None, team=None, now=None) -> scopes.Scope:
        """This analysis's scope by the one grammar; the filters apply only where they mean something."""
        return scopes.resolve(
            conn, since=since, until=until, days=days, report=self.report, now=now, ends=self.ends,
            repos=repos if self.filtered else None, team=team if self.filtered else None,
        )

    def widened(self, scope: scopes.Scope) -> scopes.Scope:
        """``scope``, or this analysis's own default length ending where it ends when ``scope`` is
        shorter: how a page that shows it beside shorter-windowed analyses (the team page's
        review list) keeps its minimum."""
        return scope if scope.length >= self.default_length else scope.ending(scope.until, self.default_length)

    def options(self, given: dict | None = None, *, text: bool = False) -> dict:
        """Every declared option, with ``given`` over the defaults; ``text``: parse the values (a URL's, a --option's)."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(given or {}) - set(declared))
        if unknown:
            known = ", ".join(declared) or "none"
            raise InputError(f"the analysis '{self.name}' has no option {', '.join(repr(u) for u in unknown)} (its options: {known})")
        values = {p.name: p.default for p in self.params}
        for key, value in (given or {}).items():
            values[key] = declared[key].parse(value) if text and isinstance(value, str) else value
        return values

    def compute(self, store, config, scope: scopes.Scope, *, shared: Shared | None = None, **options) -> Any:
        """The analysis's figures for ``scope`` (dataclasses, rows): what every surface shows."""
        values = self.options(options)
        with _calls_lock:
            calls[self.name] += 1
        return self.function(store, config, scope, shared if shared is not None else Shared(), **values)

    def run(self, store, config, scope: scopes.Scope, *, shared: Shared | None = None, **options) -> dict:
        """The analysis as JSON-ready data, with the window it covers: what ``analysis NAME`` and the API return."""
        # Moments as ISO 8601 UTC (reports.machine), the same for the CLI's --json and the API.
        return machine({
            "analysis": self.name,
            "window": {"start": scope.start, "end": scope.end, "ends": scope.ends, "heading": scope.heading()},
            "result": self.plain(self.compute(store, config, scope, shared=shared, **options)),
        })


def store_now() -> int:
    """The store's clock (``store.now``: tests move it); deferred, the CLI starts without SQLAlchemy."""
    from .store import now  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return now()


def authorships_key(repo_ids: tuple[int, ...] | None) -> tuple:
    """Where ``Shared`` keeps the authorship of these repositories (the brief stores a failed read's ``[]`` there)."""
    return ("authorships", repo_ids)


def authorships(store, config, repo_ids: tuple[int, ...] | None, shared: Shared | None = None):
    """DOA authorship per repository (team.authorships), once per ``shared``."""
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    def make():
        return team.authorships(store, repo_ids, None, config)

    return make() if shared is None else shared.get(authorships_key(repo_ids), make)


def _ids(scope: scopes.Scope) -> list[int] | None:
    return list(scope.repo_ids) if scope.repo_ids else None


# -- the computations: each calls its principle's library, nothing is computed here -------------

def _profiles(store, config, scope, shared, everyone=False):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.profiles(store, scope, config, everyone=everyone)


def _output(store, config, scope, shared, by_team=None):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.output(store, scope, by_team, config=config)


def _managers(store, config, scope, shared):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.managers_without_footprint(store, scope)


def _review(store, config, scope, shared):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.review_list(store, scope, authorships(store, config, scope.repo_ids, shared), config=config)


def _needed(analysis: str, option: str, value, what: str):
    if value is None or value == "":
        raise InputError(f"the analysis '{analysis}' needs the option '{option}' ({what})")
    return value


def _found(make):
    """``make()``, a missing person or team a NotFound (errors.py's one mapping: 404, exit 1)."""
    try:
        return make()
    except NotFound:
        raise
    except LookupError as error:
        raise NotFound(str(error)) from None


def _profile(store, config, scope, shared, person=None):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    person = _needed("profile", "person", person, "id, email, github:login or exact name")
    return _found(lambda: team.profile(store, person, scope, config))


def _growth(store, config, scope, shared, team_name=None):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    team_name = _needed("growth", "team_name", team_name, "an org-chart team")
    return _found(lambda: team.growth(store, team_name, scope, authorships(store, config, scope.repo_ids, shared), config=config))


PULL_STATES = ("open", "merged", "closed", "all")


def _pulls(store, config, scope, shared, state="all", forge_repos=None, pulls_team=None):
    from .team import reviews  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    if state not in PULL_STATES:
        raise InputError(f"the state of a pull request is open, merged, closed or all, not '{state}'")
    with store.read() as conn:
        data = _found(lambda: reviews.read_pulls(conn, forge_repos, pulls_team))
    return reviews.pull_rows(data, state=state)


def _truck_factor(store, config, scope, shared, at=None, by_area=True, by_owner=False, everyone=False, without=None, reference=False):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    # At the ingested tip the authorship is shared with the page's other analyses; at another
    # revision, or as the reference tool computes it, it is its own.
    computed = None if at or reference else authorships(store, config, scope.repo_ids, shared)
    return team.truck_factor(store, repos=scope.repo_ids, at=at, by_area=by_area, config=config, computed=computed,
                             by_owner=by_owner, everyone=everyone, without=without, reference=reference)


def _team(store, config, scope, shared):
    """The team page and ``team report``: the five analyses above over one scope, authorship read once;
    the review list over its own minimum length (``widened``) when the page's window is shorter."""
    from concurrent.futures import ThreadPoolExecutor

    from .team import TeamReport  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    review = get("review")
    # The parts run on their own connections in a second thread while this one runs the others:
    # they spend most of their time inside the database driver, which releases the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(authorships, store, config, scope.repo_ids, shared)
        found_output = pool.submit(get("output").compute, store, config, scope, shared=shared)
        found_profiles = get("profiles").compute(store, config, scope, shared=shared)
        pending.result()
        found_review = pool.submit(review.compute, store, config, review.widened(scope), shared=shared)
        found_managers = get("managers").compute(store, config, scope, shared=shared)
        truck_factors = get("truck-factor").compute(store, config, scope, shared=shared)
        return TeamReport(scope=scope, profiles=found_profiles, truck_factors=truck_factors, output=found_output.result(),
                          managers=found_managers, review=found_review.result())


def stagnation_settings(config, **overrides):
    """The stagnation settings in effect: foundermode.toml's, with the options given (None: not given)."""
    from .meetings.stagnation import StagnationSettings  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return StagnationSettings.from_config(config, **{k: v for k, v in overrides.items() if v is not None})


def _stagnation(store, config, scope, shared, **overrides):
    from .meetings.stagnation import area_activity  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        return area_activity(conn, stagnation_settings(config, **overrides), as_of=scope.until, repo_ids=_ids(scope))


def _branches(store, config, scope, shared, **overrides):
    from .meetings.stagnation import stale_branches  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        found, warnings = stale_branches(conn, stagnation_settings(config, **overrides), as_of=scope.until, config=config, repo_ids=_ids(scope))
    return {"branches": found, "warnings": warnings}


def _meetings(store, config, scope, shared, large_threshold=None, long_minutes=None, members=None):
    from .meetings import load  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    settings = load.MeetingSettings.from_config(config)
    if large_threshold is not None:
        settings = replace(settings, large_meeting_threshold=large_threshold)
    if long_minutes is not None:
        settings = replace(settings, long_meeting_minutes=long_minutes)
    with store.read() as conn:
        return load.report(conn, scope.start, scope.end, settings, None if members is None else {int(m) for m in members})


def _walkouts(store, config, scope, shared, occurrences=None, max_share=None, person=None):
    from .meetings.walkout import WalkoutSettings, walkout_suggestions  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from .sources.identities import find_person  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    settings = WalkoutSettings.from_config(config)
    if occurrences is not None:
        settings = replace(settings, occurrences=occurrences)
    if max_share is not None:
        settings = replace(settings, max_share=max_share)
    with store.read() as conn:
        person_id = person if isinstance(person, int) or person is None else find_person(conn, person)
        return walkout_suggestions(conn, settings, as_of=scope.until, person_id=person_id)


def _reviews(store, config, scope, shared, forge_repos=None, pulls_team=None):
    from .team import reviews  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        data = reviews.read_pulls(conn, forge_repos, pulls_team)
    start, end = scope.since, scope.until
    pairs = [{"reviewer": data.name(r), "author": data.name(a), "pulls": n} for (r, a), n in reviews.review_matrix(data, start, end).items()]
    return {
        "pulls": len(data.pulls),
        # Waiting ages are measured at the window's end.
        "load": reviews.review_load(data, start, end, now=end),
        "waiting": reviews.waiting(data, end),
        "queues": reviews.review_queues(data, end),
        "delivery": reviews.delivery(data, start, end),
        "first_review": reviews.first_review_by_week(data, start, end),
        "matrix": sorted(pairs, key=lambda p: (-p["pulls"], p["reviewer"] or "", p["author"] or "")),
    }


def _bottlenecks(store, config, scope, shared, members=None):
    from .brief.inputs import bottlenecks_view  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        # A window that ends in the future shows the bottlenecks as they stand now.
        return bottlenecks_view(conn, scope, min(scope.until, store_now()), None if members is None else {int(m) for m in members})


_STAGNATION = (
    Param("weeks", "int", None, "Window length in weeks (default: [meetings] stagnation_weeks, 12)."),
    Param("threshold", "float", None, "Flag areas under this fraction of their typical rate (default 0.25)."),
    Param("depth", "int", None, "Directory levels that make an area (default 1)."),
    Param("by", "text", None, "'directory' or 'codeowners' (default directory)."),
    Param("stale_days", "int", None, "A branch is stale when its tip is older than this many days (default 30)."),
)

ENTRIES: tuple[Analysis, ...] = (
    Analysis("profiles", 1, "Contribution profile per person, with the trend against the window before.", _profiles, params=(
        Param("everyone", "bool", False, "Also everyone who has left (or is outside the org chart), with their status."),
    )),
    Analysis("output", 1, "Team size against output, month by month.", _output, report="output", params=(
        Param("by_team", "bool", None, "Per org-chart team (default: when an org chart is present)."),
    )),
    Analysis("managers", 1, "Managers and their technical footprint.", _managers),
    Analysis("review", 1, "The review list: low signal and reasons to keep, per person.", _review, report="review"),
    Analysis("truck-factor", 1, "Truck factor per repository and area, among the people who are here.", _truck_factor, params=(
        Param("at", "text", None, "Any revision (tag, sha, branch): files present there, history reachable from it."),
        Param("by_area", "bool", True, "Also one truck factor per top-level directory."),
        Param("by_owner", "bool", False, "Also one per CODEOWNERS owner (rules at the ingested tip)."),
        Param("everyone", "bool", False, "Count every author who ever was, departed ones marked (the published computation)."),
        Param("without", "list", None, "What if these people left too: emails, names or ids."),
        Param("reference", "bool", False, "As the authors' tool computes it (aserg-ufmg/Truck-Factor), to compare with published values."),
    )),
    Analysis("profile", 1, "One person in depth: the figures, every area worked in, CODEOWNERS teams, trend.", _profile, params=(
        Param("person", "text", None, "Whose profile (required): id, email, github:login or exact name."),
    )),
    Analysis("growth", 1, "Should this team grow? Output per head, truck-factor risk and open bottlenecks, as evidence.", _growth, report="review", params=(
        Param("team_name", "text", None, "The org-chart team (required)."),
    )),
    Analysis("team", 1, "The team report: profiles, truck factors per area, output, managers, review list, authorship read once.", _team),
    # Pull requests live on the forge, not in git: the git repository filter does not apply; the
    # forge's repositories and the team are its own options. Its window ends now (waiting is measured then).
    Analysis("reviews", 1, "Code review: review load, who reviews whom, pull requests waiting, review queues, delivery, time to first review by week.",
             _reviews, report="reviews", filtered=False, ends="now", params=(
        Param("forge_repos", "list", None, "Only these forge repositories (owner/name, or its last part)."),
        Param("pulls_team", "text", None, "Only pull requests authored or reviewed by this org-chart team."),
    )),
    # The stored pull requests, every one (a listing: the window does not narrow it).
    Analysis("pulls", 1, "Pull and merge requests in the store: state, times, reviews.", _pulls, report="reviews", filtered=False, ends="now", params=(
        Param("state", "text", "all", "open, merged, closed or all."),
        Param("forge_repos", "list", None, "Only these forge repositories (owner/name, or its last part)."),
        Param("pulls_team", "text", None, "Only pull requests authored or reviewed by this org-chart team."),
    )),
    Analysis("stagnation", 2, "Areas of the code by recent activity, stagnant ones flagged.", _stagnation, params=_STAGNATION),
    Analysis("branches", 2, "Unmerged branches whose tip is older than the stale limit (reads git).", _branches, params=_STAGNATION),
    Analysis("meetings", 2, "Meeting hours and cost, large meetings, focus time, weekly trend.", _meetings, report="meetings", filtered=False, params=(
        Param("large_threshold", "int", None, "Large: more than this many attendees (default: [meetings] large_meeting_threshold, 8)."),
        Param("long_minutes", "int", None, "Long: longer than this many minutes (default: [meetings] long_meeting_minutes, 60)."),
        Param("members", "list", None, "Only the meetings one of these people attended (person ids: a team's brief)."),
    )),
    Analysis("walkouts", 2, "Who could walk out of which recurring meeting.", _walkouts, report="meetings", filtered=False, params=(
        Param("occurrences", "int", None, "The last K transcribed occurrences of each series (default: [meetings] walkout_occurrences, 3)."),
        Param("max_share", "float", None, "Speaking share under which to suggest (default: [meetings] walkout_max_share, 0.05)."),
        Param("person", "text", None, "Only this person's suggestions (id, email or name)."),
    )),
    Analysis("bottlenecks", 4, "Bottlenecks opened, open and resolved in the window, with response times.", _bottlenecks, report="brief", filtered=False, params=(
        Param("members", "list", None, "Only the bottlenecks these people reported, and only them among the reporters (person ids: a team's brief)."),
    )),
)
_BY_NAME = {a.name: a for a in ENTRIES}
assert len(_BY_NAME) == len(ENTRIES), "an analysis is declared twice"


def find(by_name: dict[str, Analysis], name: str) -> Analysis:
    """``by_name[name]``, or the NotFound every surface answers an unknown name with."""
    try:
        return by_name[name]
    except KeyError:
        raise NotFound(f"no analysis named '{name}' (known: {', '.join(by_name)})") from None


def get(name: str) -> Analysis:
    """One of this module's entries (the brief's sections ask by name); surfaces use ``analyses.get``."""
    return find(_BY_NAME, name)


__all__ = ["Analysis", "ENTRIES", "PRINCIPLES", "Param", "Shared", "authorships", "authorships_key", "calls", "find", "get", "stagnation_settings", "store_now"]
