"""What each page and its JSON twin show: the registry's analyses (analyses.py), nothing computed here.

Every function takes the store, the config and the URL's filters, takes the
scope and the figures from the page's registered analysis (``analyses.get(name)``:
its ``scope`` and its ``compute``), and returns the analysis's own results
(dataclasses and rows), plus chart series picked out of them. The pages render
these; the API returns them as JSON.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import HTTPException, Request, status

from .. import analyses
from .. import scope as scopes
from ..errors import FoundermodeError, http_status
from ..bottlenecks import board
from ..bottlenecks.bottleneck import Bottleneck, NotFound
from ..bottlenecks.grouping import maybe_same
from ..bottlenecks.statuses import CLOSED
from ..bottlenecks.resources import load_catalog
from ..brief.document import document
from ..meetings import load
from ..store.schema import people, repositories
from ..team import reviews as review_api
from ..team.profiles import PEOPLE_STATUSES, find_people

# Which registered analysis each page shows: its scope (default length, whether the repository and
# team filters narrow it) and its figures are that analysis's, as on the command line.
ANALYSIS_OF_PAGE = {"overview": "brief", "team": "team", "meetings": "meetings", "people": "profiles"}


@dataclass
class Filters:
    """The view in the URL: ``?days=28&until=2024-03-31&team=payments&repo=api``."""

    days: float | None = None
    until: str | None = None  # YYYY-MM-DD, or last-commit (the default)
    team: str | None = None
    repo: str | None = None

    @classmethod
    def of(cls, request: Request) -> "Filters":
        q = request.query_params
        days = q.get("days") or None
        try:
            value = float(days) if days else None
        except ValueError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"days must be a number, not {days!r}") from None
        if value is not None and not 0 < value <= 3660:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "days must be between 0 and 3660")
        return cls(value, q.get("until") or None, q.get("team") or None, q.get("repo") or None)

    def query(self, **override) -> str:
        values = {"days": self.days, "until": self.until, "team": self.team, "repo": self.repo, **override}
        clean = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in values.items() if v not in (None, "")}
        return ("?" + urlencode(clean)) if clean else ""


def cached(request: Request, view: str, filters: "Filters | None", compute, *extra):
    """``compute()`` through the app's short view cache (web/cache.py), keyed by view, filters and ``extra``."""
    from dataclasses import astuple

    key = (view, astuple(filters) if filters is not None else (), *extra)
    return request.app.state.view_cache.get(request.app.state.store, key, compute)


def _bad(error: Exception):
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(error))


def window(store, filters: Filters, page: str):
    """The page's scope: its analysis's (analyses.py), by the one grammar and end rule of scope.py, as the CLI's."""
    try:
        return analyses.scope(store, ANALYSIS_OF_PAGE[page], until=filters.until, days=filters.days,
                              repos=[filters.repo] if filters.repo else None, team=filters.team)
    except (LookupError, ValueError) as error:
        raise _bad(error) from None


def compute(store, config, name: str, scope, **options):
    """One registered analysis's figures for the page's scope; its errors answer by errors.py's one mapping."""
    try:
        return analyses.get(name).compute(store, config, scope, **options)
    except FoundermodeError as error:  # the one mapping (errors.py)
        raise HTTPException(http_status(error), str(error)) from None


def scope(store, filters: Filters, page: str):
    return window(store, filters, page)


def choices(store) -> dict:
    """Teams and repositories for the filter form."""
    from sqlalchemy import select

    with store.read() as conn:
        teams = sorted(t for (t,) in conn.execute(select(people.c.team).where(people.c.team.is_not(None)).distinct()))
        repos = [r for (r,) in conn.execute(select(repositories.c.name).order_by(repositories.c.name))]
    return {"teams": teams, "repos": repos}


# -- the pages' data ---------------------------------------------------------------------------

def overview(store, config, filters: Filters):
    brief = compute(store, config, "brief", window(store, filters, "overview"))
    return brief, document(brief)


def team_page(store, config, filters: Filters) -> dict:
    report = compute(store, config, "team", scope(store, filters, "team"))
    months = sorted({m.month for m in report.output})
    teams = sorted({m.team or "everyone" for m in report.output})
    per_head = {t: [next((m.commits_per_head for m in report.output if m.month == month and (m.team or "everyone") == t), None) for month in months] for t in teams}
    areas = [t for t in report.truck_factors if t.area is not None]
    return {
        "report": report,
        "charts": {
            "output_per_head": {"labels": months, "series": per_head, "unit": " commits/head"},
            "truck_factor": {"labels": [f"{t.repository}:{t.area}" for t in areas], "values": [t.truck_factor for t in areas]},
        },
    }


def meetings_page(store, config, filters: Filters) -> dict:
    w = window(store, filters, "meetings")
    settings = load.MeetingSettings.from_config(config)
    report = compute(store, config, "meetings", w)
    walkouts = compute(store, config, "walkouts", w)
    trend = report["trend"]
    focus = report["focus"]
    return {
        "window": w,
        "settings": settings,
        "report": report,
        "walkouts": walkouts,
        "charts": {
            "hours_per_week": {"labels": [t.week for t in trend], "series": {"person-hours in meetings": [t.person_hours for t in trend],
                                                                            "calendar hours": [t.hours for t in trend]}, "unit": " h"},
            "focus": {"labels": [f.name for f in focus], "values": [f.focus_hours for f in focus]},
        },
    }


def board_moment(conn, until: str | None, now: int) -> int | None:
    """The moment a ``?until=`` asks the board for, by scope.py's one grammar (None: now, the live board)."""
    if not until:
        return None
    try:
        return scopes.resolve(conn, until=until, now=now).until
    except (LookupError, ValueError) as error:
        raise _bad(error) from None


def board_page(store, now: int, status_filter: str = "open", resource: str | None = None, until: str | None = None) -> dict:
    """The board now, or (``until``) as it stood at that moment."""
    with store.read() as conn:
        as_of = board_moment(conn, until, now)
        rows = board.list_bottlenecks(conn, now, status=status_filter, resource=resource, as_of=as_of)
        metrics = board.metrics(conn, now)
    unblock = [m for m in metrics if m["by"] == "resource" and m["unblock_median_s"] is not None]
    return {
        "as_of": min(as_of, now) if as_of is not None else None,
        "bottlenecks": rows,
        "metrics": metrics,
        "charts": {"time_to_unblock": {"labels": [m["name"] for m in unblock], "values": [round(m["unblock_median_s"] / 3600, 2) for m in unblock]}},
    }


def bottleneck_page(store, config, bottleneck_id: int, viewer) -> dict:
    try:
        with store.read() as conn:
            detail = board.bottleneck_detail(conn, bottleneck_id)
            may_handle = Bottleneck.load(conn, config, bottleneck_id).may_handle(viewer.person_id)
            maybe = maybe_same(conn, bottleneck_id) if detail["status"] not in CLOSED else []
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    return {"detail": detail, "may_handle": may_handle, "maybe_same": maybe, "closed": detail["status"] in CLOSED}


def resources_page(store, config, now: int) -> dict:
    rows = load_catalog(config).rows()
    with store.read() as conn:
        open_rows = board.list_bottlenecks(conn, now)
    for row in rows:
        row["open"] = [b for b in open_rows if (b["resource"] or "").casefold() == row["name"].casefold()]
    return {"resources": rows}


PEOPLE_PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class PeopleQuery:
    """The People page's own parameters: ``?q=ada&status=departed&page=2`` (beside the window's filters)."""

    text: str | None = None  # in name, email or team
    status: str | None = None  # None: the window's people (as team profiles); current, departed, all
    page: int = 1
    per_page: int | None = PEOPLE_PER_PAGE  # None: every row (the API without ?page=)

    @classmethod
    def of(cls, params, per_page: int | None = PEOPLE_PER_PAGE) -> "PeopleQuery":
        text = (params.get("q") or "").strip()[:200] or None
        wanted = params.get("status") or None
        if wanted is not None and wanted not in PEOPLE_STATUSES:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"status must be one of {', '.join(PEOPLE_STATUSES)}")
        raw = params.get("page") or None
        try:
            page = int(raw) if raw else 1
        except ValueError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"page must be a whole number, not {raw!r}") from None
        if page < 1:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "page must be 1 or more")
        size = params.get("per_page") or None
        if size is not None:
            try:
                per_page = int(size)
            except ValueError:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"per_page must be a whole number, not {size!r}") from None
            if not 1 <= per_page <= MAX_PER_PAGE:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"per_page must be between 1 and {MAX_PER_PAGE}")
        elif per_page is None and raw:
            per_page = PEOPLE_PER_PAGE  # without a page asked for, a caller that pages nothing (the API) gets every row
        return cls(text, wanted, page, per_page)

    def link(self, filters: Filters, page: int | None = None) -> str:
        """This view's URL query, on another page."""
        size = self.per_page if self.per_page not in (None, PEOPLE_PER_PAGE) else None
        return filters.query(q=self.text, status=self.status, per_page=size, page=page if page and page > 1 else None)


def people_page(store, filters: Filters, query: PeopleQuery | None = None, config=None) -> dict:
    """The window's people (who is on the team: team.profiles), searched, filtered by status and paged."""
    query = query or PeopleQuery(per_page=None)
    found = compute(store, config, "profiles", scope(store, filters, "people"), everyone=query.status is not None)
    matching = find_people(found, query.text, query.status)
    per_page = query.per_page or max(1, len(matching))
    pages = max(1, -(-len(matching) // per_page))
    page = min(query.page, pages)
    return {
        "profiles": matching[(page - 1) * per_page: page * per_page],
        "total": len(matching),
        "page": page,
        "pages": pages,
        "query": query,
    }


def person_page(store, config, filters: Filters, person_id: int) -> dict:
    s = scope(store, filters, "people")
    profile = compute(store, config, "profile", s, person=person_id)  # an unknown person: NotFound, a 404
    walkouts = compute(store, config, "walkouts", s, person=person_id)
    return {"profile": profile, "scope": s, "walkouts": walkouts}


def reviews_page(store, config, filters: Filters, now: int) -> dict:
    """Code review over the registry's reviews window (``scope.SPANS["reviews"]``, ending at ``until``, default now):
    load per person, time to first review by week, queues, waiting work, delivery."""
    try:
        w = analyses.scope(store, "reviews", until=filters.until, days=filters.days, now=now)
    except (LookupError, ValueError) as error:
        raise _bad(error) from None
    note = None
    try:
        figures = analyses.get("reviews").compute(store, config, w, forge_repos=[filters.repo] if filters.repo else None, pulls_team=filters.team)
    except LookupError as error:  # a repository with no pull requests ingested: the page says so
        note = str(error)
        figures = {"pulls": 0, **{key: [] for key in ("load", "waiting", "queues", "delivery", "first_review", "matrix")}}
    load, weeks = figures["load"], figures["first_review"]
    busiest = sorted((l for l in load if l.reviews_given), key=lambda l: (-l.reviews_given, l.name))[:30]
    return {
        "start": w.since, "end": w.until, "note": note, "pulls": figures["pulls"],
        "load": load, "queues": figures["queues"], "waiting": figures["waiting"],
        "delivery": figures["delivery"], "waiting_days": review_api.WAITING_DAYS,
        "charts": {
            "first_review": {"labels": [w["week"] for w in weeks], "series": {"median hours to first review": [w["median_hours"] for w in weeks]}, "unit": " h"},
            "load": {"labels": [l.name for l in busiest], "values": [l.reviews_given for l in busiest]},
        },
    }
