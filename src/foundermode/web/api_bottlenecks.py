"""The bottlenecks JSON API: report a blocker, read the board, act on a bottleneck.

Every route needs a person's API token (``foundermode token create EMAIL``).
Routes are plain ``def``: FastAPI runs them in its thread pool, and the store
serialises the writes.
"""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field

from ..bottlenecks import actions, board
from ..bottlenecks.grouping import maybe_same
from ..bottlenecks.statuses import CLOSED
from ..errors import FoundermodeError, http_status
from ..bottlenecks.intake import MAX_TEXT, report
from ..bottlenecks.resources import load_catalog
from .tokens import Caller, CurrentPerson
from .views import board_moment

router = APIRouter(prefix="/api", tags=["bottlenecks"])


class BlockerIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT, description="What blocks you, in your own words.")
    external_id: Optional[str] = Field(None, max_length=200, description="Your key for this report: sending it again adds nothing.")
    reported_at: Optional[int] = Field(None, description="When you were blocked (UTC epoch seconds); default now.")


class AcknowledgeIn(BaseModel):
    vendor: bool = Field(False, description="Record that the vendor acknowledged (not the owner).")


class VendorIn(BaseModel):
    vendor: Optional[str] = Field(None, description="Vendor name; default the resource's depends_on.")


class MergeIn(BaseModel):
    into: int


class SplitIn(BaseModel):
    reports: list[int] = Field(..., min_length=1)


class MoveIn(BaseModel):
    to: int


def _ctx(request: Request):
    return request.app.state.store, request.app.state.config, request.app.state.clock()


def _guard(call):
    """Library errors as HTTP answers: the one mapping (errors.http_status)."""
    try:
        return call()
    except FoundermodeError as error:
        raise HTTPException(http_status(error), str(error)) from None
    except ValueError as error:  # a check inside the engine not yet typed: the action does not apply
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None


@router.post("/blockers", status_code=status.HTTP_201_CREATED)
def report_blocker(body: BlockerIn, request: Request, response: Response, caller: Caller = CurrentPerson,
                   idempotency_key: Optional[str] = Header(None, max_length=200)):
    """Report what blocks you. It joins the bottleneck it is about, or opens one; the second person escalates it."""
    store, config, now = _ctx(request)
    key = body.external_id or idempotency_key
    result = _guard(lambda: report(store, config, text=body.text, person_id=caller.person_id, source="api", now=now,
                                   reported_at=body.reported_at, external_id=f"{caller.person_id}:{key}" if key else None))
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/bottlenecks")
def list_bottlenecks(request: Request, caller: Caller = CurrentPerson,
                     status_filter: str = Query("open", alias="status", description="open (default), all, or one status"),
                     resource: Optional[str] = None,
                     until: Optional[str] = Query(None, description="The board as it stood at this moment: a date, an ISO date-time, epoch seconds, last-commit or now.")):
    """Bottlenecks now, or as they stood at ``until`` (status, level, holder and age then)."""
    store, _config, now = _ctx(request)
    with store.read() as conn:
        return board.list_bottlenecks(conn, now, status=status_filter, resource=resource, as_of=board_moment(conn, until, now))


@router.get("/bottlenecks/metrics")
def bottleneck_metrics(request: Request, caller: Caller = CurrentPerson):
    """Time-to-acknowledge and time-to-unblock (seconds) per resource, owner and vendor."""
    store, _config, now = _ctx(request)
    with store.read() as conn:
        return board.metrics(conn, now)


def _with_maybe(conn, detail: dict) -> dict:
    """The open bottlenecks this one may be the same as, each with the merge a leader would post."""
    if detail["status"] in CLOSED:
        return {**detail, "maybe_same_as": []}
    maybe = [{**m, "merge": {"method": "POST", "path": f"/api/bottlenecks/{detail['id']}/merge", "body": {"into": m["id"]}}} for m in maybe_same(conn, detail["id"])]
    return {**detail, "maybe_same_as": maybe}


@router.get("/bottlenecks/{bottleneck_id}")
def get_bottleneck(bottleneck_id: int, request: Request, caller: Caller = CurrentPerson):
    """One bottleneck: its reports, escalations, timeline, and the open bottlenecks it may be the same as (with their merge)."""
    store, _config, _now = _ctx(request)
    with store.read() as conn:
        return _guard(lambda: _with_maybe(conn, board.bottleneck_detail(conn, bottleneck_id)))


def _detail(request: Request, bottleneck_id: int) -> dict:
    with request.app.state.store.read() as conn:
        return _with_maybe(conn, board.bottleneck_detail(conn, bottleneck_id))


@router.post("/bottlenecks/{bottleneck_id}/acknowledge")
def acknowledge(bottleneck_id: int, request: Request, body: AcknowledgeIn = AcknowledgeIn(), caller: Caller = CurrentPerson):
    store, config, now = _ctx(request)
    _guard(lambda: actions.acknowledge(store, config, bottleneck_id, caller.person_id, now, vendor=body.vendor, enforce=True))
    return _detail(request, bottleneck_id)


@router.post("/bottlenecks/{bottleneck_id}/resolve")
def resolve(bottleneck_id: int, request: Request, caller: Caller = CurrentPerson):
    store, config, now = _ctx(request)
    _guard(lambda: actions.resolve(store, config, bottleneck_id, caller.person_id, now, enforce=True))
    return _detail(request, bottleneck_id)


@router.post("/bottlenecks/{bottleneck_id}/vendor")
def blocked_on_vendor(bottleneck_id: int, request: Request, body: VendorIn = VendorIn(), caller: Caller = CurrentPerson):
    """The owner is waiting on an outside vendor: its chain (contact, then executive) starts."""
    store, config, now = _ctx(request)
    _guard(lambda: actions.blocked_on_vendor(store, config, bottleneck_id, caller.person_id, now, vendor=body.vendor, enforce=True))
    return _detail(request, bottleneck_id)


@router.post("/bottlenecks/{bottleneck_id}/merge")
def merge(bottleneck_id: int, body: MergeIn, request: Request, caller: Caller = CurrentPerson):
    store, config, now = _ctx(request)
    target = _guard(lambda: actions.merge(store, config, bottleneck_id, body.into, caller.person_id, now, enforce=True))
    return _detail(request, target)


@router.post("/bottlenecks/{bottleneck_id}/split", status_code=status.HTTP_201_CREATED)
def split(bottleneck_id: int, body: SplitIn, request: Request, caller: Caller = CurrentPerson):
    store, config, now = _ctx(request)
    new_id = _guard(lambda: actions.split(store, config, bottleneck_id, body.reports, caller.person_id, now, enforce=True))
    return _detail(request, new_id)


@router.post("/reports/{report_id}/move")
def move(report_id: int, body: MoveIn, request: Request, caller: Caller = CurrentPerson):
    store, config, now = _ctx(request)
    target = _guard(lambda: actions.move(store, config, report_id, body.to, caller.person_id, now, enforce=True))
    return _detail(request, target)


@router.get("/resources")
def resources(request: Request, caller: Caller = CurrentPerson):
    return _guard(lambda: load_catalog(request.app.state.config).rows())
