"""``GET /api/analyses`` and ``GET /api/analyses/{name}``: every registered analysis, built from the registry.

Leaders only (these are the organisation's figures, individuals' included). The
result is exactly what ``foundermode analysis NAME --json`` prints for the same store and filters.
"""
from __future__ import annotations

from typing import List, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from .. import analyses as registry
from ..errors import FoundermodeError, http_status
from . import auth
from .auth import Viewer, api_viewer

router = APIRouter(prefix="/api/analyses", tags=["analyses"])


@router.get("")
def catalogue(viewer: Viewer = Depends(api_viewer)):
    """Every analysis: name, principle, summary, default window, whether the filters narrow it."""
    auth.require_leader(viewer)
    return registry.catalogue()


@router.get("/{name}")
def run(name: str, request: Request,
        since: Optional[str] = Query(None, description="Window start: a date, an ISO date-time or a span before the end (90d, 6m)."),
        until: Optional[str] = Query(None, description="Window end (exclusive): a date, an ISO date-time, last-commit or now."),
        days: Optional[float] = Query(None, description="Window length in days (default: the analysis's own)."),
        repo: Optional[List[str]] = Query(None, description="Only these repositories (repeatable)."),
        team: Optional[str] = Query(None, description="Only this team."),
        viewer: Viewer = Depends(api_viewer)):
    """One analysis for the window: the same JSON as the command line's ``foundermode analysis NAME --json``.

    The analysis's declared options (``GET /api/analyses`` lists them) are further query parameters by name."""
    auth.require_leader(viewer)
    known = {"since", "until", "days", "repo", "team"}
    options = {key: value for key, value in request.query_params.items() if key not in known}
    try:
        return registry.run(request.app.state.store, request.app.state.config, name,
                            since=since, until=until, days=days, repos=repo, team=team, now=request.app.state.clock(),
                            options=options, text=True)
    except FoundermodeError as error:  # the one mapping (errors.py); anything else is a bug: a 500
        raise HTTPException(http_status(error), str(error)) from None
