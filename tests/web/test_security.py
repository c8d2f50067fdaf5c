"""Web security (issue 16): headers on every page, cookies, sessions that end, sign-in rate limits.

Each failed on the code before: no page sent a Content-Security-Policy,
X-Frame-Options, Referrer-Policy or nosniff; the session cookie had no Secure
flag behind a TLS proxy; the old cookie still worked after sign-out; sign-in
could be tried without limit.
"""
from __future__ import annotations

import re
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from conftest import free_port
from foundermode.web.security import style_sources

from .conftest import NOW, DAY
from .test_authorization import API, PAGES

ROLE = "leader"


def _paths(org) -> list[str]:
    bottleneck_id = org.escalated_gpu_bottleneck()
    paths = []
    for method, path in [*PAGES, *API]:
        if method != "GET":
            continue
        paths.append(path.replace("{bottleneck_id}", str(bottleneck_id)).replace("{person_id}", str(org.ids["ada"])))
    return paths + ["/no-such-page", "/bottlenecks/999999", "/api/no-such-route"]


def assert_security_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    for directive in ("default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"):
        assert directive in csp, f"{where}: {directive} missing from {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    if headers.get("content-type", "").startswith("text/html"):
        body = response.content
        assert b"<script" not in body.lower(), where
        styles = re.search(r"style-src ([^;]*)", csp).group(1).split()
        needed = style_sources(body)
        assert needed and set(needed) <= set(styles), f"{where}: the page's own styles are not all allowed"
        assert headers.get("cache-control") == "no-store", where
        assert int(headers["content-length"]) == len(body), where


@pytest.mark.parametrize("role", ["anonymous", ROLE, "engineer"])
def test_security_headers_on_every_page_and_route(org, role):
    client = org.client(None if role == "anonymous" else role)
    checked = 0
    for path in _paths(org):
        response = client.get(path, headers=org.bearer(role) if role != "anonymous" and path.startswith("/api/") and path != "/api/openapi.json" else {})
        assert_security_headers(response, f"{role} GET {path} ({response.status_code})")
        checked += 1
    assert checked >= 25
    assert_security_headers(client.post("/logout", data={"csrf": "forged"}), f"{role} POST /logout")


def test_a_style_not_rendered_by_the_server_is_not_allowed():
    from foundermode.web.security import policy

    page = b'<html><head><style>body{color:red}</style></head><body><p style="width:1em">x</p></body></html>'
    csp = policy(page)
    assert "'unsafe-hashes'" in csp and csp.count("'sha256-") == 2
    assert policy(page.replace(b"width:1em", b"width:2em")) != csp


def _cookie_header(response, name: str = "fm_session") -> str:
    found = [value for key, value in response.headers.multi_items() if key == "set-cookie" and value.startswith(name + "=")]
    assert found, f"no {name} cookie set: {response.headers}"
    return found[-1]


def _sign_in(client, org, role: str):
    client.get("/login")
    return client.post("/login/token", data={"token": org.tokens[role], "csrf": client.cookies.get("fm_login_csrf"), "next": "/"})


def test_session_cookie_flags_over_http_https_and_behind_a_tls_proxy(org, tmp_path):
    from foundermode.config import load_config
    from foundermode.web.app import create_app

    plain = _cookie_header(_sign_in(TestClient(org.app, follow_redirects=False), org, ROLE)).lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    https_client = TestClient(org.app, base_url="https://foundermode.example", follow_redirects=False)
    response = _sign_in(https_client, org, ROLE)
    assert "; secure" in _cookie_header(response).lower()
    assert "strict-transport-security" in response.headers
    assert "; secure" in _cookie_header(TestClient(org.app, base_url="https://foundermode.example").get("/login"), "fm_login_csrf").lower()

    path = tmp_path / "proxied.toml"
    path.write_text(org.config.path.read_text(encoding="utf-8") + "\n[web]\ntls_proxy = true\n", encoding="utf-8")
    proxied = TestClient(create_app(org.store, load_config(path), clock=org.clock), follow_redirects=False)
    login = proxied.get("/login")
    assert "; secure" in _cookie_header(login, "fm_login_csrf").lower()
    # The proxy speaks HTTPS to the browser, which sends Secure cookies back: the test client (plain http) must be given it by hand.
    csrf = _cookie_header(login, "fm_login_csrf").split(";", 1)[0].split("=", 1)[1]
    response = proxied.post("/login/token", data={"token": org.tokens[ROLE], "csrf": csrf, "next": "/"}, headers={"cookie": f"fm_login_csrf={csrf}"})
    assert response.status_code == 303
    cookie = _cookie_header(response).lower()
    assert "; secure" in cookie and "httponly" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_sign_out_then_the_old_cookie_replayed_is_refused(org):
    client = org.client(ROLE)
    old = client.cookies.get("fm_session")
    assert client.get("/team").status_code == 200
    response = client.post("/logout", data={"csrf": org.csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = TestClient(org.app, follow_redirects=False)
    replay.cookies.set("fm_session", old)
    page = replay.get("/team")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert replay.get("/api/me").status_code == 401  # the read API's cookie path too
    # A new sign-in opens a new session; the old one stays dead.
    fresh = org.client(ROLE)
    assert fresh.get("/team").status_code == 200
    assert replay.get("/team").status_code == 303


def test_a_forged_or_old_style_cookie_is_refused(org):
    from itsdangerous import URLSafeTimedSerializer

    signer = URLSafeTimedSerializer(org.app.state.secret_key, salt="foundermode.session")
    client = TestClient(org.app, follow_redirects=False)
    client.cookies.set("fm_session", signer.dumps({"p": org.ids[ROLE], "c": "x", "t": None}))  # the cookie before server-side sessions
    assert client.get("/team").status_code == 303
    client.cookies.set("fm_session", signer.dumps({"s": "guessed-session-key", "c": "x"}))
    assert client.get("/team").status_code == 303


def test_revoking_the_token_ends_its_sessions(org):
    from foundermode.web.auth import token_id_of
    from foundermode.web.tokens import revoke_token

    client = org.client("engineer")
    assert client.get("/bottlenecks").status_code == 200
    with org.store.write() as conn:
        revoke_token(conn, token_id_of(conn, org.tokens["engineer"]), NOW)
    assert client.get("/bottlenecks").status_code == 303


def test_a_persons_end_date_ends_their_sessions(org):
    from foundermode.store.schema import people
    from foundermode.store.schema_sessions import web_sessions

    client = org.client("engineer")
    assert client.get("/bottlenecks").status_code == 200
    with org.store.write() as conn:
        conn.execute(update(people).where(people.c.id == org.ids["engineer"]).values(end_date=NOW - NOW % DAY))
    assert client.get("/bottlenecks").status_code == 200  # their last day is today: still here
    org.clock.now = NOW - NOW % DAY + DAY
    assert client.get("/bottlenecks").status_code == 303
    with org.store.read() as conn:
        rows = conn.execute(web_sessions.select().where(web_sessions.c.person_id == org.ids["engineer"])).all()
    assert rows and all(r.revoked_at is not None for r in rows)


def test_sessions_expire_server_side(org):
    client = org.client(ROLE)
    org.clock.now = NOW + 14 * DAY + 1
    assert client.get("/team").status_code == 303


def test_sign_in_is_rate_limited_per_address(org):
    client = TestClient(org.app, follow_redirects=False)
    client.get("/login")
    csrf = client.cookies.get("fm_login_csrf")
    answers = [client.post("/login/token", data={"token": f"fmt_wrong{i}", "csrf": csrf}).status_code for i in range(21)]
    assert answers[:20] == [401] * 20 and answers[20] == 429
    refused = client.post("/login/token", data={"token": org.tokens[ROLE], "csrf": csrf})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0  # even the right token waits
    assert "too many sign-in attempts from this address" in refused.text
    assert client.post("/login/link", data={"token": "fml_x", "csrf": csrf}).status_code == 429
    other = TestClient(org.app, follow_redirects=False, client=("192.0.2.7", 5000))
    assert _sign_in(other, org, ROLE).status_code == 303  # another address is not held up
    org.clock.now += 901
    assert client.post("/login/token", data={"token": org.tokens[ROLE], "csrf": csrf}).status_code == 303


def test_sign_in_links_are_rate_limited_per_account(org):
    answers = []
    for i in range(6):
        client = TestClient(org.app, follow_redirects=False, client=(f"198.51.100.{i}", 4000))
        client.get("/login")
        answers.append(client.post("/login/email", data={"email": "Ada@Example.com", "csrf": client.cookies.get("fm_login_csrf")}))
    assert [a.status_code for a in answers[:5]] != [429] * 5 and answers[5].status_code == 429
    assert "this account" in answers[5].text
    client = TestClient(org.app, follow_redirects=False, client=("198.51.100.99", 4000))
    client.get("/login")
    assert client.post("/login/email", data={"email": "bob@example.com", "csrf": client.cookies.get("fm_login_csrf")}).status_code != 429


@pytest.mark.browser
def test_chromium_applies_the_pages_styles_under_the_policy_and_reports_no_violation(org, browser):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(org.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        context = browser.new_context()
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        page.add_init_script("document.addEventListener('securitypolicyviolation', e => console.log('CSP violation ' + e.violatedDirective))")
        page.goto(base + "/login")
        assert page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor") == "rgb(246, 247, 249)"
        page.fill("#token", org.tokens[ROLE])
        with page.expect_navigation():
            page.click("form[action='/login/token'] button")
        for path in ("/", "/team", "/meetings", "/bottlenecks", "/people", "/resources"):
            page.goto(base + path)
            assert page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor") == "rgb(29, 39, 51)", path
        assert not [m for m in messages if "Content Security Policy" in m or "CSP violation" in m], messages
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
