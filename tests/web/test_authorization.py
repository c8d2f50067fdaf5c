"""Every route, as every role: anonymous, engineer, owner (of the GPU cluster), leader.

The table below must name every route in ``app.openapi()`` and every HTML route
in ``app.routes``: a new route without an expectation fails this test. Each
call is made as a browser would (the session cookie, with the form's CSRF
token) for pages, and with a bearer token for the API.
"""
from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from .conftest import NOW

ROLES = ("anonymous", "engineer", "owner", "leader")
LOGIN = (303, "/login?next=")


def same(status, anonymous=401):
    return {"anonymous": anonymous, "engineer": status, "owner": status, "leader": status}


def leader_only(ok=200, anonymous=401):
    return {"anonymous": anonymous, "engineer": 403, "owner": 403, "leader": ok}


def owner_or_leader(ok=200, anonymous=401):
    return {"anonymous": anonymous, "engineer": 403, "owner": ok, "leader": ok}


API = {
    ("GET", "/health"): same(200, anonymous=200),
    ("POST", "/api/blockers"): same(201),
    ("GET", "/api/bottlenecks"): same(200),
    ("GET", "/api/bottlenecks/metrics"): same(200),
    ("GET", "/api/bottlenecks/{bottleneck_id}"): same(200),
    ("POST", "/api/bottlenecks/{bottleneck_id}/acknowledge"): owner_or_leader(),
    ("POST", "/api/bottlenecks/{bottleneck_id}/resolve"): owner_or_leader(),
    ("POST", "/api/bottlenecks/{bottleneck_id}/vendor"): owner_or_leader(),
    ("POST", "/api/bottlenecks/{bottleneck_id}/merge"): leader_only(),
    ("POST", "/api/bottlenecks/{bottleneck_id}/split"): leader_only(201),
    ("POST", "/api/reports/{report_id}/move"): leader_only(),
    ("GET", "/api/resources"): same(200),
    ("POST", "/slack/commands"): same(401, anonymous=401),  # Slack's signature is the credential; none here
    ("POST", "/slack/events"): same(401, anonymous=401),  # the Events API: signed like the slash command
    ("POST", "/slack/interactive"): same(401, anonymous=401),  # block-kit buttons: signed like the slash command
    ("GET", "/api/me"): same(200),
    ("GET", "/api/brief"): leader_only(),
    ("GET", "/api/team"): leader_only(),
    ("GET", "/api/meetings"): leader_only(),
    ("GET", "/api/people"): leader_only(),
    ("GET", "/api/people/{person_id}"): leader_only(),  # someone else's profile; one's own is checked below
    ("GET", "/api/people/duplicates"): leader_only(),
    ("GET", "/api/board"): same(200),
    ("GET", "/api/resources/open"): same(200),
    ("GET", "/api/analyses"): leader_only(),
    ("GET", "/api/analyses/{name}"): leader_only(),  # everyone's figures: the leader's
}

PAGES = {
    ("GET", "/api/openapi.json"): same(200),
    ("GET", "/"): {"anonymous": LOGIN, "engineer": (303, "/bottlenecks"), "owner": (303, "/bottlenecks"), "leader": 200},
    ("GET", "/team"): leader_only(anonymous=LOGIN),
    ("GET", "/meetings"): leader_only(anonymous=LOGIN),
    ("GET", "/reviews"): leader_only(anonymous=LOGIN),
    ("GET", "/bottlenecks"): same(200, anonymous=LOGIN),
    ("POST", "/bottlenecks/report"): same((303, "/bottlenecks/"), anonymous=LOGIN),
    ("GET", "/bottlenecks/{bottleneck_id}"): same(200, anonymous=LOGIN),
    # an emailed link (signed, below): the action ready for who may take it; the link itself grants nothing
    ("GET", "/bottlenecks/{bottleneck_id}/act"): owner_or_leader(anonymous=LOGIN),
    ("POST", "/bottlenecks/{bottleneck_id}/acknowledge"): owner_or_leader((303, "/bottlenecks/"), anonymous=LOGIN),
    ("POST", "/bottlenecks/{bottleneck_id}/resolve"): owner_or_leader((303, "/bottlenecks/"), anonymous=LOGIN),
    ("POST", "/bottlenecks/{bottleneck_id}/vendor"): owner_or_leader((303, "/bottlenecks/"), anonymous=LOGIN),
    ("POST", "/bottlenecks/{bottleneck_id}/merge"): leader_only((303, "/bottlenecks/"), anonymous=LOGIN),  # "maybe the same as #N"
    ("GET", "/resources"): same(200, anonymous=LOGIN),
    ("GET", "/status"): leader_only(anonymous=LOGIN),
    ("GET", "/people"): {"anonymous": LOGIN, "engineer": (303, "/people/"), "owner": (303, "/people/"), "leader": 200},
    ("GET", "/people/{person_id}"): leader_only(anonymous=LOGIN),  # someone else's profile
    ("GET", "/people/duplicates"): leader_only(anonymous=LOGIN),
    ("POST", "/people/duplicates/merge"): leader_only((303, "/people/duplicates"), anonymous=LOGIN),
    ("POST", "/logout"): same((303, "/login"), anonymous=LOGIN),
    # Sign-in itself is open to all; its forms need the sign-in CSRF cookie (sent without it here: 403).
    ("GET", "/login"): same(200, anonymous=200),
    ("POST", "/login/token"): same(403, anonymous=403),
    ("POST", "/login/email"): same(403, anonymous=403),
    ("GET", "/login/link"): same(200, anonymous=200),
    ("POST", "/login/link"): same(403, anonymous=403),
}

BODIES = {
    "/api/blockers": lambda org, ids: {"text": "the wiki search is slow"},
    "/api/bottlenecks/{bottleneck_id}/merge": lambda org, ids: {"into": ids["other"]},
    "/api/bottlenecks/{bottleneck_id}/split": lambda org, ids: {"reports": [ids["first_report"]]},
    "/api/reports/{report_id}/move": lambda org, ids: {"to": ids["other"]},
}


def _fresh(org) -> dict:
    """A fresh escalated GPU bottleneck (two reports) and another bottleneck to merge or move into."""
    bottleneck_id = org.escalated_gpu_bottleneck()
    other = org.report("ada", "the wiki is down for everyone").bottleneck_id
    from foundermode.bottlenecks import board

    with org.store.read() as conn:
        reports = board.bottleneck_detail(conn, bottleneck_id)["reports"]
    return {"bottleneck_id": bottleneck_id, "other": other, "first_report": reports[0]["id"], "report_id": reports[0]["id"], "person_id": org.ids["ada"], "name": "profiles"}


def _signed_link(ids: dict) -> str:
    from foundermode.web import links

    return "?link=" + links.sign(ids["bottleneck_id"], "acknowledge", "grace@example.com", NOW, 86_400, links.secret_key())


QUERIES = {"/bottlenecks/{bottleneck_id}/act": _signed_link}


def _url(path: str, ids: dict) -> str:
    return (path.format(**ids) if "{" in path else path) + (QUERIES[path](ids) if path in QUERIES else "")


def _check(response, expected, what):
    status, prefix = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, f"{what}: {response.status_code} {response.text[:300]}"
    if prefix is not None:
        assert response.headers["location"].startswith(prefix), f"{what}: redirected to {response.headers.get('location')}"


def _flat(routes, prefix: str = ""):
    """APIRoutes, also inside included routers (FastAPI >= 0.16x keeps those as one entry each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            context_prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            assert not context_prefix, "routers are included without an extra prefix"
            yield from _flat(route.original_router.routes)


def test_every_route_has_an_expectation(org):
    schema_routes = {(method.upper(), path) for path, item in org.app.openapi()["paths"].items() for method in item}
    assert schema_routes == set(API), f"routes in the OpenAPI schema without an expectation: {schema_routes - set(API)}; stale: {set(API) - schema_routes}"
    every = {(method, route.path) for route in _flat(org.app.routes) for method in route.methods if method != "HEAD"}
    html_routes = every - schema_routes
    assert html_routes == set(PAGES), f"HTML routes without an expectation: {html_routes - set(PAGES)}; stale: {set(PAGES) - html_routes}"
    assert not [r for r in _flat(org.app.routes) if r.path in ("/openapi.json", "/docs", "/redoc")], "FastAPI's public docs must be off"
    client = org.client()
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code in (303, 404)


@pytest.mark.parametrize("role", ROLES)
def test_api_routes(org, role):

    client = org.client()  # no cookie: the API is called with bearer tokens
    headers = org.bearer(role) if role != "anonymous" else {}
    shared = _fresh(org)  # read-only routes share one; every action gets a bottleneck of its own
    for (method, path), expected in API.items():
        ids = _fresh(org) if method == "POST" and "{" in path else shared
        url = _url(path, ids)
        body = BODIES.get(path, lambda o, i: None)(org, ids)
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, headers=headers, json=body) if not path.startswith("/slack/") else client.post(url, headers=headers, content=b"text=hi")
        _check(response, expected[role], f"{role} {method} {url}")


@pytest.mark.parametrize("role", ROLES)
def test_pages(org, role):
    client = org.client(role if role != "anonymous" else None)
    csrf = org.csrf(client) if role != "anonymous" else ""
    if role != "anonymous":
        client.cookies.delete("fm_login_csrf")  # the sign-in forms are posted without their cookie below
    shared = _fresh(org)
    for (method, path), expected in PAGES.items():
        ids = _fresh(org) if method == "POST" and "{" in path else shared
        url = _url(path, ids)
        if path == "/logout":
            continue  # last, below: it ends the session
        if method == "GET":
            response = client.get(url)
        elif path.startswith("/login"):
            response = client.post(url, data={"token": "x", "email": "ada@example.com", "csrf": "forged"})
        else:
            response = client.post(url, data={"csrf": csrf, "text": "the gpu cluster queue is stuck", "into": str(ids["other"])})
        _check(response, expected[role], f"{role} {method} {url}")
    _check(client.post("/logout", data={"csrf": csrf}), PAGES[("POST", "/logout")][role], f"{role} POST /logout")


@pytest.mark.parametrize("role", ("engineer", "owner"))
def test_everyone_reads_their_own_profile_and_no_one_elses(org, role):
    client = org.client(role)
    own, other = org.ids[role], org.ids["ada"]
    assert client.get(f"/people/{own}").status_code == 200
    assert client.get(f"/people/{other}").status_code == 403
    api = org.client()
    assert api.get(f"/api/people/{own}", headers=org.bearer(role)).status_code == 200
    assert api.get(f"/api/people/{other}", headers=org.bearer(role)).status_code == 403
    assert api.get(f"/api/people/{other}", headers=org.bearer("leader")).json()["profile"]["name"] == "Ada Lovelace"


def test_forms_refuse_a_missing_or_forged_csrf_token(org):
    bottleneck_id = org.escalated_gpu_bottleneck()
    client = org.client("owner")
    for data in ({}, {"csrf": "forged"}):
        assert client.post("/bottlenecks/report", data={**data, "text": "blocked"}).status_code == 403
        assert client.post(f"/bottlenecks/{bottleneck_id}/acknowledge", data=data).status_code == 403
        assert client.post("/logout", data=data).status_code == 403
    from foundermode.bottlenecks import board

    with org.store.read() as conn:
        assert board.bottleneck_detail(conn, bottleneck_id)["status"] == "escalated"


def test_session_cookie_is_signed_httponly_and_samesite(org):
    client = org.client()
    client.get("/login")
    response = client.post("/login/token", data={"token": org.tokens["engineer"], "csrf": client.cookies.get("fm_login_csrf"), "next": "//evil.example/x"})
    assert response.status_code == 303 and response.headers["location"] == "/"  # never off-site
    cookie = next(h for k, h in response.headers.multi_items() if k == "set-cookie" and h.startswith("fm_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    tampered = org.client()
    value = client.cookies.get("fm_session")
    tampered.cookies.set("fm_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert tampered.get("/bottlenecks").status_code == 303
    assert client.get("/bottlenecks").status_code == 200
    assert org.client().get("/api/me", headers={"Authorization": "Bearer fm_not-a-token"}).status_code == 401
    # Revoking the token ends the session it opened.
    from foundermode.web.auth import token_id_of
    from foundermode.web.tokens import revoke_token

    with org.store.write() as conn:
        assert revoke_token(conn, token_id_of(conn, org.tokens["engineer"]), NOW)
    assert client.get("/bottlenecks").status_code == 303
