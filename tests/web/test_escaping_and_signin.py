"""Blocker text with markup is text everywhere; sign-in by emailed link works once and expires; charts are drawn from data."""
from __future__ import annotations

import re
from html import escape

from .conftest import NOW, XSS

ESCAPED = escape(XSS, quote=False)


def _no_live_markup(html: str, where: str) -> None:
    assert "<script" not in html, f"{where}: pages carry no script at all"
    assert "<script>alert(1)" not in html, f"{where}: a script from user text reached the page"
    assert "<img src=x" not in html, f"{where}: an img tag from user text reached the page"
    assert "onerror=alert(2)>" not in html.replace("onerror=alert(2)&gt;", ""), where


def test_blocker_text_is_shown_as_text_everywhere(org):
    bottleneck_id = org.escalated_gpu_bottleneck(text=f"gpu cluster down {XSS}")
    leader = org.client("leader")
    pages = {
        "board": leader.get("/bottlenecks").text,
        "timeline": leader.get(f"/bottlenecks/{bottleneck_id}").text,
        "brief": leader.get("/?days=7&until=2024-03-12").text,
        "resources": leader.get("/resources").text,
        "team": leader.get("/team?until=2024-03-12").text,  # commit subjects carry the same markup
    }
    for where, html in pages.items():
        _no_live_markup(html, where)
    for where in ("board", "timeline", "brief", "resources"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[where].replace("&#34;", '"'), f"{where}: the text is not shown"
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages["timeline"]
    # An engineer sees the same board, and the API returns the text as data, unchanged.
    _no_live_markup(org.client("engineer").get(f"/bottlenecks/{bottleneck_id}").text, "engineer's timeline")
    api = org.client()
    detail = api.get(f"/api/bottlenecks/{bottleneck_id}", headers=org.bearer("engineer"))
    assert detail.headers["content-type"].startswith("application/json")
    assert any(XSS in r["text"] for r in detail.json()["reports"])
    brief = api.get("/api/brief?until=2024-03-12", headers=org.bearer("leader")).json()
    assert XSS in str(brief)


def test_a_blocker_reported_through_the_form_is_escaped_too(org):
    client = org.client("engineer")
    response = client.post("/bottlenecks/report", data={"text": f"staging is read-only {XSS}", "csrf": org.csrf(client)})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    _no_live_markup(page, "timeline")
    assert ESCAPED.replace("&lt;", "&lt;") in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _link_from(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+", body).group(0)


def test_sign_in_by_email_link_works_once_and_expires(org, smtp_server, tmp_path):
    from foundermode.config import load_config
    from foundermode.web.app import create_app

    path = tmp_path / "with-email.toml"
    path.write_text(org.config.text + f'\n[notify.email]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsender = "foundermode <fm@example.com>"\n', encoding="utf-8")
    org.config = load_config(path)
    org.app = create_app(org.store, org.config, clock=org.clock)

    client = org.client()
    client.get("/login?next=/people")
    answer = client.post("/login/email", data={"email": "Bob@Example.com", "csrf": client.cookies.get("fm_login_csrf"), "next": "/people"})
    assert answer.status_code == 200 and "on its way" in answer.text
    unknown = client.post("/login/email", data={"email": "nobody@example.com", "csrf": client.cookies.get("fm_login_csrf")})
    assert unknown.status_code == 200 and "on its way" in unknown.text  # no hint whether an address is known
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "Bob@Example.com"
    link = _link_from(message)
    secret = re.search(r"token=([^&\s]+)", link).group(1)
    from urllib.parse import unquote

    secret = unquote(secret)
    # Stored hashed; never a bearer token.
    from sqlalchemy import select

    from foundermode.store.schema_bottlenecks import api_tokens
    from foundermode.web.tokens import hash_token

    with org.store.read() as conn:
        hashes = [h for (h,) in conn.execute(select(api_tokens.c.token_hash))]
    assert secret not in hashes and hash_token(secret) in hashes
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401

    page = client.get(link.replace(str(client.base_url), ""))  # GET shows a button: a mail scanner does not use the link up
    assert page.status_code == 200 and "use-link" in page.text
    used = client.post("/login/link", data={"token": secret, "csrf": client.cookies.get("fm_login_csrf"), "next": "/people"})
    assert used.status_code == 303 and used.headers["location"] == "/people"
    assert client.get("/people").headers["location"] == f"/people/{org.ids['engineer']}"
    assert client.get("/api/me").json()["email"] == "bob@example.com"

    again = org.client()
    again.get("/login")
    second = again.post("/login/link", data={"token": secret, "csrf": again.cookies.get("fm_login_csrf")})
    assert second.status_code == 401 and "already used or has expired" in second.text

    # A fresh link, used after 15 minutes: refused.
    again.post("/login/email", data={"email": "bob@example.com", "csrf": again.cookies.get("fm_login_csrf")})
    late = unquote(re.search(r"token=([^&\s]+)", _link_from(smtp_server.messages[-1])).group(1))
    org.clock.now += 15 * 60 + 1
    expired = again.post("/login/link", data={"token": late, "csrf": again.cookies.get("fm_login_csrf")})
    assert expired.status_code == 401
    assert NOW < org.clock.now


def test_sign_in_link_when_email_is_not_configured_says_so(org):
    client = org.client()
    client.get("/login")
    answer = client.post("/login/email", data={"email": "bob@example.com", "csrf": client.cookies.get("fm_login_csrf")})
    assert answer.status_code == 503 and "[notify.email]" in answer.text


def test_charts_are_drawn_from_data():
    from foundermode.web.charts import bar_chart, line_chart

    line = line_chart("x <b>", ["2024-01", "2024-02", "2024-03"], {"api <i>": [1.0, None, 3.0], "web": [2.0, 2.5, 0.0]})
    assert line.count("<path") == 2 and line.count("<circle") == 5 and 'data-points="5"' in line
    assert "<b>" not in line and "&lt;i&gt;" in line
    bars = bar_chart("tf", ["api", "web"], [2, 1])
    assert bars.count("<rect") == 2 and 'data-points="2"' in bars
    assert 'data-points="0"' in line_chart("empty", [], {}) and "no data yet" in bar_chart("empty", [], [])


def test_view_cache_serves_repeats_and_sees_every_write(org):
    cache = org.app.state.view_cache
    leader = org.client("leader")
    before = leader.get("/api/bottlenecks", headers=org.bearer("leader"))
    assert before.status_code == 200
    first = leader.get("/?until=2024-03-12")
    assert first.status_code == 200 and cache.misses == 1
    assert leader.get("/?until=2024-03-12").text == first.text and cache.hits == 1
    assert leader.get("/?until=2024-03-12&days=14").status_code == 200 and cache.misses == 2  # other filters, other entry
    org.report("ada", "the vpn drops every hour, nobody can push")  # written by the library, not the web: the fingerprint changes
    after = leader.get("/?until=2024-03-12")
    assert cache.misses == 3 and "vpn drops every hour" in after.text
    client = org.client("engineer")
    client.post("/bottlenecks/report", data={"text": "the printer is on fire", "csrf": org.csrf(client)})
    assert "printer is on fire" in leader.get("/?until=2024-03-12").text and cache.misses == 4
