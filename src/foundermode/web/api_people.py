"""People who appear under several identities: the pending merge proposals.

``pending(request)`` is what the People page, ``GET /api/people`` (the
``X-Identity-Proposals`` header) and ``GET /api/people/duplicates`` show: one
count, from ``sources.duplicates.pending_merges``, through the app's view cache.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from ..sources.duplicates import PendingMerges, pending_merges
from . import auth, views
from .auth import Viewer, api_viewer

router = APIRouter(prefix="/api", tags=["dashboard"])

PROPOSALS_HEADER = "X-Identity-Proposals"
PROPOSALS_API = "/api/people/duplicates"
PROPOSALS_PAGE = "/people/duplicates"


def pending(request: Request) -> PendingMerges:
    store = request.app.state.store

    def read() -> PendingMerges:
        with store.read() as conn:
            return pending_merges(conn)

    return views.cached(request, "pending-merges", None, read)


def mark(request: Request, response: Response) -> None:
    """The count of people under several identities, and where their proposals are, on a response listing people."""
    response.headers[PROPOSALS_HEADER] = str(pending(request).people)
    response.headers["Link"] = f'<{PROPOSALS_API}>; rel="duplicates"'


@router.get("/people/duplicates")
def duplicates(request: Request, viewer: Viewer = Depends(api_viewer)):
    """People who appear under several identities: the merge proposals at or above ``min_confidence`` joined into one group per person, largest first, with their evidence; ``people`` is the count the People page shows. Leaders only."""
    auth.require_leader(viewer)
    return pending(request).as_dict()
