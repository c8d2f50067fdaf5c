"""The registry of analyses: each analysis declared once, every surface built from it.

Each :class:`~foundermode.registry.Analysis` names a pure computation over the
store for one :class:`~foundermode.scope.Scope` (code-maat's ``supported-analysis``):
its name, principle, default window (``scope.SPANS``), filters, declared options
and function. registry.py holds the machinery and the analyses of principles 1,
2 and 4 (the brief composes them); this module is the whole list, the brief
included, and what every surface reads: ``get(name).scope(...)`` and
``.compute(...)``, or ``scope()`` and ``run()`` below. ``foundermode analysis NAME``
(cli/analyses.py) and ``GET /api/analyses/NAME`` (web/api_analyses.py) are built
from this list; the older commands (``team ...``, ``meetings ...``, ``stagnation``,
``reviews ...``, ``pulls``, ``brief``), the pages and their JSON twins (web/views.py) and the
brief's sections call the same entries; ``tests/web/test_analyses_registry.py``
runs every entry through all of them on one store, asserting the same numbers
and that each went through ``compute`` (``calls``).

To add an analysis: write the function in its principle's package (data in,
data out), then add one ``Analysis`` to ``registry.ENTRIES`` (or, for one that
composes the others as the brief does, here). See docs/extending.md.
"""
from __future__ import annotations

from . import scope as scopes
from .registry import ENTRIES, PRINCIPLES, Analysis, Param, Shared, authorships, authorships_key, calls, find, store_now


def _brief(store, config, scope, shared, audience=None):
    from .brief import build_brief  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    # A scope with people (brief/audience.py) is that team's brief; ``audience`` names it.
    return build_brief(store, config, scope, audience=audience)


def _brief_plain(brief):
    import json

    from .brief.render import to_json  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    # The brief's own JSON (what 'foundermode brief --format json' prints), not a second conversion.
    return json.loads(to_json(brief))


BRIEF = Analysis(
    "brief", 3, "The leader's brief: every principle's view of the window.", _brief, report="brief", filtered=False, plain=_brief_plain,
    params=(Param("audience", "text", None, "Whose brief it is, in its heading (a team's or a manager's; their people are the scope's)."),),
)
# registry.py's entries and the brief, by principle (the order 'foundermode analyses' lists them in).
ANALYSES: tuple[Analysis, ...] = tuple(sorted((*ENTRIES, BRIEF), key=lambda a: a.principle))
_BY_NAME = {a.name: a for a in ANALYSES}
assert len(_BY_NAME) == len(ANALYSES), "an analysis is declared twice"


def get(name: str) -> Analysis:
    return find(_BY_NAME, name)


def names() -> list[str]:
    return list(_BY_NAME)


def catalogue() -> list[dict]:
    """What ``foundermode analyses`` and ``GET /api/analyses`` list."""
    return [{"name": a.name, "principle": a.principle, "principle_name": PRINCIPLES[a.principle], "summary": a.summary,
             "default_days": a.default_days, "filtered": a.filtered, "options": [p.plain() for p in a.params]} for a in ANALYSES]


def scope(store, name: str, *, since=None, until=None, days=None, repos=None, team=None, now=None) -> scopes.Scope:
    """One analysis's scope for what a surface was given, on the store's clock unless ``now`` is passed."""
    with store.read() as conn:
        # The store's clock (tests move it), or the web app's, which the pages and the API pass.
        return get(name).scope(conn, since=since, until=until, days=days, repos=repos, team=team,
                               now=now if now is not None else store_now())


def run(store, config, name: str, *, since=None, until=None, days=None, repos=None, team=None, now=None,
        options: dict | None = None, text: bool = False) -> dict:
    """Resolve the scope and run one analysis as JSON (``options`` by name; ``text``: as typed, parsed by kind)."""
    analysis = get(name)
    values = analysis.options(options, text=text)
    found = scope(store, name, since=since, until=until, days=days, repos=repos, team=team, now=now)
    return analysis.run(store, config, found, **values)


__all__ = ["Analysis", "ANALYSES", "PRINCIPLES", "Param", "Shared", "authorships", "authorships_key", "calls", "get", "names", "catalogue", "scope", "run", "store_now"]
