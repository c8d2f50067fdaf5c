"""The JSON API for what the pages show: the brief, team, meetings, people, charts' data.

Blocker intake, the board and bottleneck actions are in ``api_bottlenecks``.
Every route here takes ``Authorization: Bearer <token>`` (or the session cookie,
read-only); leaders read everything, engineers read their own profile.
Filters are the pages' own query parameters: ``days``, ``until``, ``team``, ``repo``.
"""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request, Response

from ..reports import to_plain
from . import api_people, auth, views
from .auth import Viewer, api_viewer
from ..brief import to_json

router = APIRouter(prefix="/api", tags=["dashboard"])


def filters(days: Optional[float] = Query(None, description="Window length in days (default: the view's report span in scope.SPANS: brief 7d, meetings 12w, team and people 90d)."),
            until: Optional[str] = Query(None, description="End of the window (exclusive): a date, an ISO date-time, last-commit (default) or now."),
            team: Optional[str] = Query(None, description="Only this team (team, people)."),
            repo: Optional[str] = Query(None, description="Only this repository (team, people).")) -> views.Filters:
    if days is not None and not 0 < days <= 3660:
        from fastapi import HTTPException

        raise HTTPException(400, "days must be between 0 and 3660")
    return views.Filters(days, until, team, repo)


@router.get("/me")
def me(viewer: Viewer = Depends(api_viewer)):
    """Who the token (or session) belongs to, their role and the resources they own."""
    return {"person_id": viewer.person_id, "name": viewer.name, "email": viewer.email, "role": viewer.role, "owns": viewer.owns}


@router.get("/brief")
def brief(request: Request, f: views.Filters = Depends(filters), viewer: Viewer = Depends(api_viewer)):
    """The leader's brief for the window (what the Overview page shows). Leaders only."""
    import json

    auth.require_leader(viewer)
    result, _sections = views.cached(request, "overview", f, lambda: views.overview(request.app.state.store, request.app.state.config, f))
    return json.loads(to_json(result))


@router.get("/team")
def team(request: Request, f: views.Filters = Depends(filters), viewer: Viewer = Depends(api_viewer)):
    """Profiles, truck factors (per repository and area), output per head by month, managers, review list. Leaders only."""
    auth.require_leader(viewer)
    data = views.cached(request, "team", f, lambda: views.team_page(request.app.state.store, request.app.state.config, f))
    return {**to_plain(data["report"]), "charts": data["charts"]}


@router.get("/meetings")
def meetings(request: Request, f: views.Filters = Depends(filters), viewer: Viewer = Depends(api_viewer)):
    """Hours and cost per person and team, large and long meetings, series, focus time, weekly trend, walk-out suggestions. Leaders only."""
    auth.require_leader(viewer)
    data = views.cached(request, "meetings", f, lambda: views.meetings_page(request.app.state.store, request.app.state.config, f))
    return {"window": {"start": data["window"].start, "end": data["window"].end}, **to_plain(data["report"]),
            "walkouts": to_plain(data["walkouts"]), "charts": data["charts"]}


@router.get("/people")
def people(request: Request, response: Response, f: views.Filters = Depends(filters),
           q: Optional[str] = Query(None, description="Only people whose name, email or team contains this."),
           status: Optional[str] = Query(None, description="current, departed or all (default: the window's people, as team profiles: who is here, and who left with work in the window)."),
           page: Optional[int] = Query(None, ge=1, description="A page of per_page rows (default: every row); X-Total-Count gives the number matching."),
           per_page: Optional[int] = Query(None, ge=1, le=views.MAX_PER_PAGE, description="Rows per page (default 50 when a page is asked for)."),
           viewer: Viewer = Depends(api_viewer)):
    """The profile of everyone on the team for the window (the org chart's people here, zero rows for no commits), with tenure status. Leaders only."""
    auth.require_leader(viewer)
    asked = {"q": q, "status": status, "page": str(page) if page else None, "per_page": str(per_page) if per_page else None}
    query = views.PeopleQuery.of(asked, per_page=None)
    store, config = request.app.state.store, request.app.state.config
    data = views.cached(request, "people", f, lambda: views.people_page(store, f, query, config), query)
    response.headers["X-Total-Count"] = str(data["total"])
    api_people.mark(request, response)  # X-Identity-Proposals: people under several identities
    return to_plain(data["profiles"])


@router.get("/people/{person_id}")
def person(person_id: int, request: Request, f: views.Filters = Depends(filters), viewer: Viewer = Depends(api_viewer)):
    """One person's profile in depth. Leaders, or the person themself."""
    auth.require_person(viewer, person_id)
    data = views.cached(request, "person", f, lambda: views.person_page(request.app.state.store, request.app.state.config, f, person_id), person_id)
    return {"profile": to_plain(data["profile"]), "walkouts": to_plain(data["walkouts"])}


@router.get("/board")
def board_view(request: Request, status: str = Query("open", description="open (default), all, or one status"),
               until: Optional[str] = Query(None, description="Show the board as it stood at this moment: a date, an ISO date-time, epoch seconds, last-commit or now."),
               viewer: Viewer = Depends(api_viewer)):
    """The Bottlenecks page's data: the board (now, or as it stood at ``until``), time-to-acknowledge/unblock metrics and the chart series."""
    return views.board_page(request.app.state.store, request.app.state.clock(), status, until=until)


@router.get("/resources/open")
def resources_view(request: Request, viewer: Viewer = Depends(api_viewer)):
    """The Resources page's data: each resource's chain and its open bottlenecks."""
    return views.resources_page(request.app.state.store, request.app.state.config, request.app.state.clock())["resources"]


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, viewer: Viewer = Depends(api_viewer)):
    """The OpenAPI schema, for signed-in callers (FastAPI's public /openapi.json is switched off)."""
    return request.app.openapi()
