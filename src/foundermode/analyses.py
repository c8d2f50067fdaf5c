"""The registry of analyses: each analysis declared once, every surface built from it.

An :class:`Analysis` names a pure computation over the store for one
:class:`~foundermode.scope.Scope` (code-maat's ``supported-analysis``): its
name, the principle it serves, the report whose default length it takes
(``scope.SPANS``), whether the repository and team filters narrow it, and the
function that computes it. ``foundermode analysis NAME`` (cli/analyses.py) and
``GET /api/analyses/NAME`` (web/api_analyses.py) are built from this list, and
``tests/web/test_analyses_registry.py`` runs every entry through both and through the
figures the older commands, pages and the brief show, asserting the same numbers.

To add an analysis: write the function in its principle's package (data in,
data out), then add one ``Analysis`` to ``ANALYSES`` below. See docs/extending.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import scope as scopes
from .errors import NotFound
from .reports import machine, to_plain

PRINCIPLES = {
    1: "Small, strong, technical teams",
    2: "No stagnation, no useless meetings",
    3: "A leader connected to engineers",
    4: "Remove bottlenecks the second time you hear them",
}


@dataclass(frozen=True)
class Analysis:
    name: str
    principle: int
    summary: str
    compute: Callable[[Any, Any, scopes.Scope], Any]  # (store, config, scope) -> dataclasses, rows, dicts
    report: str = "team"  # whose default window length (scope.SPANS) it takes
    filtered: bool = True  # narrowed by the repository and team filters (the organisation's otherwise)

    @property
    def default_span(self) -> str:
        return scopes.SPANS.get(self.report, scopes.DEFAULT_SPAN)

    @property
    def default_days(self) -> float:
        """The default window in days: what exports carry (a number, not the ``90d`` spelling)."""
        days = scopes.span_seconds(self.default_span) / scopes.DAY
        return int(days) if days == int(days) else round(days, 2)

    def scope(self, conn, *, since=None, until=None, days=None, repos=None, team=None, now=None) -> scopes.Scope:
        """This analysis's scope by the one grammar; the filters apply only where they mean something."""
        return scopes.resolve(
            conn, since=since, until=until, days=days, report=self.report, now=now,
            repos=repos if self.filtered else None, team=team if self.filtered else None,
        )

    def run(self, store, config, scope: scopes.Scope) -> dict:
        """The analysis as JSON-ready data, with the window it covers: what every surface returns."""
        # Moments as ISO 8601 UTC (reports.machine), the same for the CLI's --json and the API.
        return machine({
            "analysis": self.name,
            "window": {"start": scope.start, "end": scope.end, "ends": scope.ends, "heading": scope.heading()},
            "result": to_plain(self.compute(store, config, scope)),
        })


def store_now() -> int:
    """The store's clock (``store.now``: tests move it); deferred, the CLI starts without SQLAlchemy."""
    from .store import now  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return now()


# -- the computations: each calls its principle's library, nothing is computed here -------------

def _profiles(store, config, scope):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.profiles(store, scope, config)


def _output(store, config, scope):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.output(store, scope, config=config)


def _managers(store, config, scope):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.managers_without_footprint(store, scope)


def _review(store, config, scope):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.review_list(store, scope, config=config)


def _truck_factor(store, config, scope):
    from . import team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return team.truck_factor(store, repos=scope.repo_ids, by_area=True, config=config)


def _stagnation(store, config, scope):
    from .meetings.stagnation import StagnationSettings, area_activity  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        return area_activity(conn, StagnationSettings.from_config(config), as_of=scope.until,
                             repo_ids=list(scope.repo_ids) if scope.repo_ids else None)


def _meetings(store, config, scope):
    from .meetings import load  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        return load.report(conn, scope.start, scope.end, load.MeetingSettings.from_config(config))


def _walkouts(store, config, scope):
    from .meetings.walkout import WalkoutSettings, walkout_suggestions  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        return walkout_suggestions(conn, WalkoutSettings.from_config(config), as_of=scope.until)


def _reviews(store, config, scope):
    from .team import reviews  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        data = reviews.read_pulls(conn, list(scope.repo_ids) if scope.repo_ids else None, scope.team)
    return {
        "load": reviews.review_load(data, scope.since, scope.until, now=scope.until),
        "waiting": reviews.waiting(data, scope.until),
        "delivery": reviews.delivery(data, scope.since, scope.until),
    }


def _bottlenecks(store, config, scope):
    from .brief.inputs import bottlenecks_view  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        # A window that ends in the future shows the bottlenecks as they stand now.
        return bottlenecks_view(conn, scope, min(scope.until, store_now()))


def _brief(store, config, scope):
    from .brief import build_brief  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    import json

    from .brief.render import to_json  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    # The brief's own JSON (what 'foundermode brief --format json' prints), not a second conversion.
    return json.loads(to_json(build_brief(store, config, scope)))


ANALYSES: tuple[Analysis, ...] = (
    Analysis("profiles", 1, "Contribution profile per person, with the trend against the window before.", _profiles),
    Analysis("output", 1, "Team size against output, month by month.", _output, report="output"),
    Analysis("managers", 1, "Managers and their technical footprint.", _managers),
    Analysis("review", 1, "The review list: low signal and reasons to keep, per person.", _review, report="review"),
    Analysis("truck-factor", 1, "Truck factor per repository and area, among the people who are here.", _truck_factor),
    Analysis("reviews", 1, "Code review: review load, pull requests waiting, delivery.", _reviews),
    Analysis("stagnation", 2, "Areas of the code by recent activity, stagnant ones flagged.", _stagnation),
    Analysis("meetings", 2, "Meeting hours and cost, large meetings, focus time, weekly trend.", _meetings, report="meetings", filtered=False),
    Analysis("walkouts", 2, "Who could walk out of which recurring meeting.", _walkouts, report="meetings", filtered=False),
    Analysis("brief", 3, "The leader's brief: every principle's view of the window.", _brief, report="brief", filtered=False),
    Analysis("bottlenecks", 4, "Bottlenecks opened, open and resolved in the window, with response times.", _bottlenecks, report="brief", filtered=False),
)
_BY_NAME = {a.name: a for a in ANALYSES}
assert len(_BY_NAME) == len(ANALYSES), "an analysis is declared twice"


def get(name: str) -> Analysis:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise NotFound(f"no analysis named '{name}' (known: {', '.join(_BY_NAME)})") from None


def names() -> list[str]:
    return list(_BY_NAME)


def catalogue() -> list[dict]:
    """What ``foundermode analyses`` and ``GET /api/analyses`` list."""
    return [{"name": a.name, "principle": a.principle, "principle_name": PRINCIPLES[a.principle], "summary": a.summary,
             "default_days": a.default_days, "filtered": a.filtered} for a in ANALYSES]


def run(store, config, name: str, *, since=None, until=None, days=None, repos=None, team=None, now=None) -> dict:
    """Resolve the scope and run one analysis: the one entry point of every surface."""
    analysis = get(name)
    with store.read() as conn:
        # The store's clock (tests move it), or the web app's, which the API passes.
        scope = analysis.scope(conn, since=since, until=until, days=days, repos=repos, team=team,
                               now=now if now is not None else store_now())
    return analysis.run(store, config, scope)


__all__ = ["Analysis", "ANALYSES", "PRINCIPLES", "get", "names", "catalogue", "run"]
