"""The server-rendered pages: Overview (the brief), Team, Meetings, Bottlenecks,
People, Resources, and sign-in.

Pages read with no JavaScript at all: links and plain HTML forms, charts as
inline SVG drawn by ``charts``. Filters live in the URL (``?days=&until=&team=&repo=``)
so a view can be shared. Every template is rendered with autoescape on, and
nothing a user or a repository wrote is ever marked safe: only the SVG that
``charts`` and the brief draw (they escape every label themselves).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..bottlenecks.statuses import already_done
from . import auth, charts, links, views
from .auth import Viewer, page_viewer
from ..bottlenecks import actions
from ..bottlenecks.bottleneck import BottleneckError, NotAllowed, NotFound
from ..bottlenecks.intake import report
from ..brief.render import bars_svg
from ..present import times
from ..present.links import Linker
from ..present.times import zone
from ..errors import FoundermodeError, http_status
from ..sources.duplicates import accept, accept_group
from ..sources.identities import find_person
from ..sync import status_report
from . import api, api_people
from .cache import ViewCache
from .tokens import person_for_token

log = logging.getLogger("foundermode.web")
TEMPLATES = Path(__file__).parent / "templates"
env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True)

NAV = [
    ("/", "Overview", "overview", True),
    ("/team", "Team", "team", True),
    ("/meetings", "Meetings", "meetings", True),
    ("/reviews", "Reviews", "reviews", True),
    ("/bottlenecks", "Bottlenecks", "bottlenecks", False),
    ("/people", "People", "people", False),
    ("/resources", "Resources", "resources", False),
    ("/status", "Status", "status", True),
]

router = APIRouter(include_in_schema=False)
ROWS = 50  # longest table shown before "show all" (?all=1): a page for 1,000 people stays light
CHART_BARS = 30


def _date(epoch: int | None) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d") if epoch else "–"


env.globals["date"] = _date


def _zone(request: Request | None):
    """The viewer's time zone: ``?tz=Europe/Paris`` (remembered in a cookie by the browser's own link), else UTC."""
    if request is None:
        return zone(None)
    return zone(request.query_params.get("tz") or request.cookies.get("fm_tz"))


def _linker(request: Request | None):
    """The brief's and pages' names as links (present/links.py), read again at most once a minute."""
    import time

    if request is None:
        return Linker()
    state = request.app.state
    cached = getattr(state, "fm_linker", None)
    if cached is None or time.monotonic() - cached[0] > 60:
        cached = (time.monotonic(), Linker.of(state.store))
        state.fm_linker = cached
    return cached[1]


def render(name: str, viewer: Viewer | None, here: str = "", status_code: int = 200, request: Request | None = None, **context) -> HTMLResponse:
    linker = _linker(request) if viewer is not None else None
    now = _now(request) if request is not None else None
    tz = _zone(request)
    html = env.get_template(name).render(viewer=viewer, nav=NAV, here=here, linkify=linker.linkify if linker else (lambda text, skip=None: text),
                                         when=lambda value: times.when(value, now, tz), ago=lambda value: times.relative(value, now) if now else "–",
                                         duration=times.duration, day=lambda value: times.day(value, tz), **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _lowest(labels, values, count: int = CHART_BARS) -> tuple[list, list]:
    """The ``count`` smallest values, smallest first (the riskiest truck factors, the least focus): a chart of 1,000 bars says nothing."""
    pairs = sorted(zip(labels, values), key=lambda pair: pair[1])[:count]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def svg(markup: str) -> Markup:
    """Only for what ``charts`` (or the brief's own drawing) returned: they escape every label."""
    return Markup(markup)


def _scope_label(scope) -> str:
    return scope.heading() + (f" · team {scope.team}" if scope.team else "")


def _limit(request: Request) -> int | None:
    return None if request.query_params.get("all") else ROWS


def _now(request: Request) -> int:
    return request.app.state.clock()


# -- pages -------------------------------------------------------------------------------------

@router.get("/")
def overview(request: Request, viewer: Viewer = Depends(page_viewer)):
    if not viewer.is_leader:
        return RedirectResponse("/bottlenecks", status.HTTP_303_SEE_OTHER)

    filters = views.Filters.of(request)
    store, config = request.app.state.store, request.app.state.config
    brief, sections = views.cached(request, "overview", filters, lambda: views.overview(store, config, filters))
    return render("overview.html", viewer, "overview", request=request, title="Overview", brief=brief, sections=sections, filters=filters,
                  choices=views.choices(store), present={s.key: s.has_content for s in brief.sections},
                  kind_of=lambda block: type(block).__name__.lower(), chart_for=lambda block: svg(bars_svg(block)))


@router.get("/team")
def team_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    auth.require_leader(viewer)
    filters = views.Filters.of(request)
    store, config = request.app.state.store, request.app.state.config
    data = views.cached(request, "team", filters, lambda: views.team_page(store, config, filters))
    c = data["charts"]
    drawn = {
        "output_per_head": svg(charts.line_chart("Commits per head per month", c["output_per_head"]["labels"], c["output_per_head"]["series"], c["output_per_head"]["unit"])),
        "truck_factor": svg(charts.bar_chart("Truck factor per area (the lowest first)", *_lowest(c["truck_factor"]["labels"], c["truck_factor"]["values"]))),
    }
    return render("team.html", viewer, "team", request=request, title="Team", report=data["report"], charts=drawn, filters=filters, limit=_limit(request),
                  choices=views.choices(store), scope_label=_scope_label(data["report"].scope))


@router.get("/meetings")
def meetings_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    auth.require_leader(viewer)
    filters = views.Filters.of(request)
    store, config = request.app.state.store, request.app.state.config
    data = views.cached(request, "meetings", filters, lambda: views.meetings_page(store, config, filters))
    c = data["charts"]
    drawn = {
        "hours_per_week": svg(charts.line_chart("Meeting hours per week", c["hours_per_week"]["labels"], c["hours_per_week"]["series"], c["hours_per_week"]["unit"])),
        "focus": svg(charts.bar_chart("Focus hours in the window (the least first)", *_lowest(c["focus"]["labels"], c["focus"]["values"]), " h")),
    }
    return render("meetings.html", viewer, "meetings", request=request, title="Meetings", charts=drawn, filters=filters, choices=views.choices(store), limit=_limit(request),
                  **{k: v for k, v in data.items() if k != "charts"})


@router.get("/reviews")
def reviews_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    auth.require_leader(viewer)
    filters = views.Filters.of(request)
    store = request.app.state.store
    data = views.cached(request, "reviews", filters, lambda: views.reviews_page(store, request.app.state.config, filters, _now(request)))
    c = data["charts"]
    drawn = {
        "first_review": svg(charts.line_chart("Time to first review, median per week (hours)", c["first_review"]["labels"], c["first_review"]["series"], c["first_review"]["unit"])),
        "load": svg(charts.bar_chart("Reviews given per person (the most first)", c["load"]["labels"], c["load"]["values"])),
    }
    return render("reviews.html", viewer, "reviews", request=request, title="Reviews", charts=drawn, filters=filters, choices=views.choices(store),
                  limit=_limit(request), **{k: v for k, v in data.items() if k != "charts"})


@router.get("/bottlenecks")
def board_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    status_filter = request.query_params.get("status", "open")
    until = request.query_params.get("until") or None
    data = views.board_page(request.app.state.store, _now(request), status_filter, request.query_params.get("resource") or None, until)
    c = data["charts"]["time_to_unblock"]
    drawn = {"time_to_unblock": svg(charts.bar_chart("Median time to unblock", c["labels"], c["values"], " h"))}
    return render("board.html", viewer, "bottlenecks", request=request, title="Bottlenecks", bottlenecks=data["bottlenecks"], metrics=data["metrics"],
                  charts=drawn, status_filter=status_filter, until=until, as_of=data["as_of"])


@router.post("/bottlenecks/report")
def report_page(request: Request, text: str = Form(""), csrf: str = Form(""), viewer: Viewer = Depends(page_viewer)):
    auth.check_csrf(viewer, csrf)

    try:
        result = report(request.app.state.store, request.app.state.config, text=text, person_id=viewer.person_id, source="web", now=_now(request))
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    request.app.state.view_cache.clear()
    return RedirectResponse(f"/bottlenecks/{result.bottleneck_id}", status.HTTP_303_SEE_OTHER)


TIME_KEYS = {"start", "end", "next_at", "call_start", "call_end", "due", "until", "sent_at", "opened_at"}
DURATION_KEYS = {"wait", "waited", "after", "seconds", "elapsed"}


def _timeline_detail(event: dict, now: int | None = None, tz=None) -> str:
    """An event's extra fields in words: times as "Wed 10:00 UTC", waits as "2 h", yes/no, lists joined, scores as numbers."""
    standard = {"at", "kind", "person", "escalation_id", "report_id"}
    parts = []
    for key, value in event.items():
        if key in standard or value in (None, "", [], {}):
            continue
        label = key.replace("_", " ")
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif key in TIME_KEYS or key.endswith("_at"):
            text = times.when(value, now, tz or times.UTC) if times.to_datetime(value) else str(value)
        elif key in DURATION_KEYS and isinstance(value, (int, float)):
            text = times.duration(value)
        elif isinstance(value, float):
            text = f"{value:.2f}".rstrip("0").rstrip(".")
        elif isinstance(value, (str, int)):
            text = str(value)
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            text = ", ".join(str(v) for v in value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{label}: {text}")
    return "; ".join(parts)


@router.get("/bottlenecks/{bottleneck_id}")
def bottleneck_page(bottleneck_id: int, request: Request, viewer: Viewer = Depends(page_viewer)):
    data = views.bottleneck_page(request.app.state.store, request.app.state.config, bottleneck_id, viewer)
    return render("bottleneck.html", viewer, "bottlenecks", request=request, title=f"Bottleneck #{bottleneck_id}",
                  timeline_detail=lambda event: _timeline_detail(event, _now(request), _zone(request)), **data)


@router.get("/bottlenecks/{bottleneck_id}/act")
def act_page(bottleneck_id: int, request: Request, link: str = ""):
    """An emailed or Slack link (web/links.py): after sign-in, the bottleneck's page with the action
    ready behind one confirm button (a POST with the session's CSRF token). A GET changes nothing,
    so a mail scanner that follows the link acknowledges nothing; an expired or changed link gets
    a page that says so, before any sign-in is asked for."""
    try:
        found = links.read(link, _now(request), links.secret_key())
        if found.bottleneck_id != bottleneck_id:
            raise links.LinkInvalid("this link is not valid: it was changed after it was sent")
    except links.LinkError as error:
        expired = isinstance(error, links.LinkExpired)
        return render("bottleneck_link.html", auth.viewer_of(request, bearer=False), "bottlenecks", request=request,
                      title="Link expired" if expired else "Link not valid", status_code=410 if expired else 400,
                      heading="This link has expired" if expired else "This link is not valid", detail=str(error).capitalize() + ".",
                      bottleneck_id=bottleneck_id)
    viewer = page_viewer(request)  # not signed in: to the sign-in page, and back here after it
    data = views.bottleneck_page(request.app.state.store, request.app.state.config, bottleneck_id, viewer)
    detail, verb = data["detail"], links.VERBS[found.action]

    def render_page(**extra):  # the page as /bottlenecks/{id} draws it, and what the link asks for
        return render("bottleneck.html", viewer, "bottlenecks", request=request, title=f"Bottleneck #{bottleneck_id}",
                      timeline_detail=lambda event: _timeline_detail(event, _now(request), _zone(request)), **data, **extra)

    if found.action == "open":
        return render_page()
    if not data["may_handle"]:
        return render("bottleneck_link.html", viewer, "bottlenecks", request=request, title="Not yours to act on", status_code=403,
                      heading=f"You may not {found.action} bottleneck #{bottleneck_id}",
                      detail=f"Only its owner, the person holding it, or a leader may {found.action} it; you are signed in as {viewer.name}.",
                      bottleneck_id=bottleneck_id)
    if already_done(detail["status"], found.action):
        return render_page(message=f"Bottleneck #{bottleneck_id} is already {detail['status']}: nothing to {found.action}.", message_tone="note")
    return render_page(ready={"action": found.action, "verb": verb, "to": found.to})


def _act(request: Request, viewer: Viewer, bottleneck_id: int, csrf: str, verb: str, into: int | None = None):
    auth.check_csrf(viewer, csrf)
    store, config, now = request.app.state.store, request.app.state.config, _now(request)

    def merge(store, config, bottleneck_id, by, now, enforce):
        if into is None:
            raise BottleneckError(f"name the bottleneck #{bottleneck_id} is to be merged into")
        return actions.merge(store, config, bottleneck_id, into, by, now, enforce=enforce)

    call = {"acknowledge": actions.acknowledge, "resolve": actions.resolve, "vendor": actions.blocked_on_vendor, "merge": merge}[verb]
    try:
        call(store, config, bottleneck_id, viewer.person_id, now, enforce=True)
        request.app.state.view_cache.clear()
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    except NotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except (BottleneckError, ValueError) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    return RedirectResponse(f"/bottlenecks/{into if verb == 'merge' else bottleneck_id}", status.HTTP_303_SEE_OTHER)


@router.post("/bottlenecks/{bottleneck_id}/merge")
def merge(bottleneck_id: int, request: Request, csrf: str = Form(""), into: int | None = Form(None), viewer: Viewer = Depends(page_viewer)):
    """The one click behind "maybe the same as #N": this bottleneck is folded into #N (a leader)."""
    return _act(request, viewer, bottleneck_id, csrf, "merge", into=into)


@router.post("/bottlenecks/{bottleneck_id}/acknowledge")
def acknowledge(bottleneck_id: int, request: Request, csrf: str = Form(""), viewer: Viewer = Depends(page_viewer)):
    return _act(request, viewer, bottleneck_id, csrf, "acknowledge")


@router.post("/bottlenecks/{bottleneck_id}/resolve")
def resolve(bottleneck_id: int, request: Request, csrf: str = Form(""), viewer: Viewer = Depends(page_viewer)):
    return _act(request, viewer, bottleneck_id, csrf, "resolve")


@router.post("/bottlenecks/{bottleneck_id}/vendor")
def vendor(bottleneck_id: int, request: Request, csrf: str = Form(""), viewer: Viewer = Depends(page_viewer)):
    return _act(request, viewer, bottleneck_id, csrf, "vendor")


@router.get("/resources")
def resources_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    data = views.resources_page(request.app.state.store, request.app.state.config, _now(request))
    return render("resources.html", viewer, "resources", request=request, title="Resources", **data)


@router.get("/status")
def status_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    """What an operator checks first: each source's last sync and error, the outbox, the scheduled jobs."""
    auth.require_leader(viewer)
    report = status_report(request.app.state.store, request.app.state.config)
    counts = report["outbox"]["counts"]
    waiting = sum(counts.get(s, 0) for s in ("pending", "retrying", "sending"))
    jobs = [{"name": name, **report["jobs"].get(name, {})} for name in ("sync", "tick", "brief")]
    jobs += [{"name": name, **run} for name, run in report["jobs"].items() if name not in ("sync", "tick", "brief")]
    return render("status.html", viewer, "status", request=request, title="Status", report=report, counts=counts, waiting=waiting, jobs=jobs)


@router.get("/people")
def people_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    if not viewer.is_leader:
        return RedirectResponse(f"/people/{viewer.person_id}", status.HTTP_303_SEE_OTHER)
    filters = views.Filters.of(request)
    query = views.PeopleQuery.of(request.query_params)
    store, config = request.app.state.store, request.app.state.config
    data = views.cached(request, "people", filters, lambda: views.people_page(store, filters, query, config), query)
    return render("people.html", viewer, "people", request=request, title="People", filters=filters, choices=views.choices(store),
                  pending=api_people.pending(request), proposals_page=api_people.PROPOSALS_PAGE, **data)


PROPOSALS_SHOWN = 200


@router.get("/people/duplicates")  # before /people/{person_id}
def people_duplicates_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    """People who appear under several identities: the proposals to merge, one group per person, with their evidence. Leaders only."""
    auth.require_leader(viewer)
    pending = api_people.pending(request)
    return render("people_duplicates.html", viewer, "people", request=request, title="People under several identities",
                  pending=pending, groups=pending.groups[:PROPOSALS_SHOWN], api=api_people.PROPOSALS_API)


@router.post("/people/duplicates/merge")
def people_duplicates_merge(request: Request, csrf: str = Form(""), keep: int | None = Form(None), viewer: Viewer = Depends(page_viewer)):
    """A leader merges one group of the proposals (``keep``: the person it is kept under) or all of them; ``people split`` undoes."""
    auth.require_leader(viewer)
    auth.check_csrf(viewer, csrf)
    evidence = f"merged on the People page by {viewer.name or viewer.email or viewer.person_id}"
    try:
        with request.app.state.store.write() as conn:
            if keep is None:
                accept(conn, evidence=evidence)
            else:
                accept_group(conn, keep, evidence=evidence)
    except FoundermodeError as error:
        raise HTTPException(http_status(error), str(error)) from None
    request.app.state.view_cache.clear()
    return RedirectResponse(api_people.PROPOSALS_PAGE, status.HTTP_303_SEE_OTHER)


@router.get("/people/{person_id}")
def person_page(person_id: int, request: Request, viewer: Viewer = Depends(page_viewer)):
    auth.require_person(viewer, person_id)
    filters = views.Filters.of(request)
    store = request.app.state.store
    data = views.cached(request, "person", filters, lambda: views.person_page(store, request.app.state.config, filters, person_id), person_id)
    p = data["profile"]
    areas_chart = svg(charts.bar_chart("Lines changed per area", [a["area"] for a in p.areas[:12]], [a["lines_changed"] for a in p.areas[:12]]))
    return render("person.html", viewer, "people", request=request, title=p.name, filters=filters, choices=views.choices(store), areas_chart=areas_chart,
                  scope_label=_scope_label(data["scope"]), **data)


# -- sign-in -----------------------------------------------------------------------------------

def _login_form(request: Request, next_url: str, message: str | None = None, tone: str | None = None, status_code: int = 200, template: str = "login.html", **extra):
    import secrets

    token = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(template, None, title="Sign in", csrf=token, next=auth.safe_next(next_url), message=message, tone=tone, status_code=status_code, **extra)
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="lax", secure=auth.cookie_secure(request), path="/")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return _login_form(request, next)


@router.post("/login/token")
def login_token(request: Request, token: str = Form(""), csrf: str = Form(""), next: str = Form("/")):
    auth.check_login_csrf(request, csrf)
    auth.check_sign_in_rate(request)
    with request.app.state.store.read() as conn:
        person_id = person_for_token(conn, token.strip()) if token.strip() else None
        token_id = auth.token_id_of(conn, token.strip()) if person_id is not None else None
    if person_id is None:
        auth.record_sign_in(request, False)
        return _login_form(request, next, "That token is unknown or revoked.", "error", status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(auth.safe_next(next), status.HTTP_303_SEE_OTHER)
    auth.start_session(request, response, person_id, token_id)
    return response


@router.post("/login/email")
def login_email(request: Request, email: str = Form(""), csrf: str = Form(""), next: str = Form("/")):
    auth.check_login_csrf(request, csrf)
    store, config = request.app.state.store, request.app.state.config
    sent = "If that address belongs to someone here, a sign-in link is on its way (it works once, within 15 minutes)."
    address = email.strip()
    if "@" not in address:
        return _login_form(request, next, "Give an email address.", "error", status.HTTP_400_BAD_REQUEST)
    auth.check_sign_in_rate(request, address)
    auth.record_sign_in(request, False, address)  # each link asked for counts: nobody floods an inbox
    with store.write() as conn:
        try:
            person_id = find_person(conn, address)
        except LookupError:
            person_id = None
        secret = auth.create_link(conn, person_id, _now(request)) if person_id is not None else None
    if secret is not None:
        base = str(request.base_url).rstrip("/")
        from urllib.parse import quote

        link = f"{base}/login/link?token={quote(secret)}&next={quote(auth.safe_next(next), safe='/')}"
        try:
            auth.send_link(config, address, link)
        except Exception as error:  # noqa: BLE001 - the page says it could not send; the log says why
            log.warning("sign-in link for %s not sent: %s", address, error)
            return _login_form(request, next, "The sign-in email could not be sent: ask an admin to check [notify.email].", "error",
                               status.HTTP_503_SERVICE_UNAVAILABLE)
    return _login_form(request, next, sent, "good")


@router.get("/login/link")
def login_link_page(request: Request, token: str = "", next: str = "/"):
    """The emailed link opens a one-button form: a mail scanner's GET does not use the link up."""
    return _login_form(request, next, template="link.html", token=token)


@router.post("/login/link")
def login_link(request: Request, token: str = Form(""), csrf: str = Form(""), next: str = Form("/")):
    auth.check_login_csrf(request, csrf)
    auth.check_sign_in_rate(request)
    with request.app.state.store.write() as conn:
        person_id = auth.redeem_link(conn, token.strip(), _now(request))
    if person_id is None:
        auth.record_sign_in(request, False)
        return _login_form(request, next, "That sign-in link was already used or has expired: ask for a new one.", "error", status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(auth.safe_next(next), status.HTTP_303_SEE_OTHER)
    auth.start_session(request, response, person_id)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), viewer: Viewer = Depends(page_viewer)):
    auth.check_csrf(viewer, csrf)
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    auth.end_session(response, request)
    return response


# -- wiring ------------------------------------------------------------------------------------

def install(app: FastAPI) -> None:
    """Add the pages, the read API, the session key and the error pages to ``app``."""
    app.state.secret_key = auth.secret_key()
    app.state.view_cache = ViewCache()
    # FastAPI's own /openapi.json, /docs and /redoc answer anyone (and the docs pages pull scripts
    # from a CDN): off. The schema is served at /api/openapi.json to signed-in callers.
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")]
    app.include_router(api.router)
    app.include_router(router)

    @app.exception_handler(auth.LoginRequired)
    async def _login_required(request: Request, exc: auth.LoginRequired):
        return RedirectResponse(auth.login_url(exc.next_url), status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or request.url.path in ("/health", "/openapi.json") or request.url.path.startswith("/slack"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        viewer = request.scope.get("fm_viewer")
        response = render("error.html", viewer, title=str(exc.status_code), status_code=exc.status_code, detail=exc.detail)
        response.headers.update(getattr(exc, "headers", None) or {})  # Retry-After of a 429, say
        return response
