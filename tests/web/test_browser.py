"""The dashboard in Debian's Chromium, headless, driven by Playwright, against ``uvicorn`` on loopback.

The store is ``foundermode demo``'s fictional organisation around a real git
history (calendars, transcripts, escalations), plus a GPU cluster owned by an
engineer. Bob signs in by pasting his token, reports a blocker in the form;
Ada's report (through the library) groups with it; the tick escalates; Grace,
the owner, acknowledges; Bob sees the timeline update. Then the leader opens
every page: a screenshot of each goes to test-artifacts/, and every chart must
carry data. No request may leave loopback, and no script from user text runs.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from conftest import free_port

from .conftest import XSS, Clock, build_history

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

pytestmark = pytest.mark.browser

GPU = """
[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda"]
owner = "grace@example.com"
threshold = 2

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "2h"
"""


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The demo's store and config behind uvicorn on a free loopback port, in a thread."""
    import uvicorn
    from io import StringIO

    from rich.console import Console

    from foundermode.config import load_config
    from foundermode.demo import run_demo
    from foundermode.sources.identities import find_person
    from foundermode.store import open_store
    from foundermode.web.app import create_app
    from foundermode.web.tokens import create_token

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "browser-test-key")
    build_history(tmp_path / "acme")
    demo = run_demo(tmp_path / "acme", tmp_path / "demo", console=Console(file=StringIO(), width=120))
    config_path = tmp_path / "demo" / "foundermode.toml"
    config_path.write_text(config_path.read_text(encoding="utf-8") + GPU, encoding="utf-8")
    config = load_config(config_path)
    store = open_store(f"sqlite:///{tmp_path / 'demo' / '.foundermode' / 'foundermode.db'}")
    clock = Clock(demo.last_commit + 2 * 3600)
    app = create_app(store, config, clock=clock)
    tokens, ids = {}, {}
    with store.write() as conn:
        for role, email in {"leader": "alex.morgan@northwind.example", "bob": "bob@example.com", "grace": "grace@example.com", "ada": "ada@example.com"}.items():
            ids[role] = find_person(conn, email)
            tokens[role] = create_token(conn, ids[role], clock.now, "browser test")[1]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield {"base": f"http://127.0.0.1:{port}", "store": store, "config": config, "clock": clock, "tokens": tokens, "ids": ids}
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()


def _page(browser, base: str, requests: list, dialogs: list):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    return context, page


def _sign_in(page, base: str, token: str, path: str) -> None:
    page.goto(base + path)
    assert "/login" in page.url
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("form[action='/login/token'] button")
    assert page.url == base + path, page.url


def _charts(page) -> list[dict]:
    return page.eval_on_selector_all(
        "svg.chart, section svg",
        "els => els.map(e => ({cls: e.getAttribute('class') || '', points: Number(e.getAttribute('data-points') || -1),"
        " marks: e.querySelectorAll('path, rect, circle').length, title: (e.querySelector('title') || {}).textContent || ''}))",
    )


def test_report_group_escalate_acknowledge_and_every_page(browser, served):
    from foundermode.bottlenecks.engine import tick
    from foundermode.bottlenecks.intake import report

    base, clock = served["base"], served["clock"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    dialogs: list[str] = []

    # Bob signs in by pasting his token and reports what blocks him.
    bob_context, bob = _page(browser, base, requests, dialogs)
    _sign_in(bob, base, served["tokens"]["bob"], "/bottlenecks")
    bob.fill("#blocker-text", f"The GPU cluster is down: cuda jobs fail to start {XSS}")
    with bob.expect_navigation():
        bob.click("#report button")
    assert "/bottlenecks/" in bob.url
    bottleneck_id = int(bob.url.rsplit("/", 1)[1])
    assert bob.locator("#status").inner_text() == "open"
    assert bob.locator(".report-text").count() == 1
    assert "<script>alert(1)</script>" in bob.locator(".report-text").inner_text()  # shown as text
    bob.screenshot(path=str(ARTIFACTS / "1-reported.png"), full_page=True)

    # Ada reports the same thing through the library: it groups; the tick escalates it.
    clock.now += 600
    ada = report(served["store"], served["config"], text="gpu cluster unusable for me too, cuda errors everywhere", person_id=served["ids"]["ada"], source="api", now=clock.now)
    assert ada.bottleneck_id == bottleneck_id and ada.reporters == 2
    clock.now += 60
    tick(served["store"], served["config"], clock.now, deliver=False)
    bob.reload()
    assert bob.locator("#status").inner_text() == "escalated"
    assert bob.locator(".report-text").count() == 2
    assert "Ada Lovelace" in bob.locator("#reports").inner_text()
    kinds = bob.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
    assert kinds.count("reported") == 2 and "escalated" in kinds and "queued" in kinds, kinds
    assert bob.locator("#owner-actions").count() == 0  # Bob is not the owner
    bob.screenshot(path=str(ARTIFACTS / "2-escalated.png"), full_page=True)

    # Grace, the owner, acknowledges.
    grace_context, grace = _page(browser, base, requests, dialogs)
    _sign_in(grace, base, served["tokens"]["grace"], f"/bottlenecks/{bottleneck_id}")
    clock.now += 300
    with grace.expect_navigation():
        grace.click("#owner-actions button:has-text('Acknowledge')")
    assert grace.locator("#status").inner_text() == "acknowledged"
    grace.screenshot(path=str(ARTIFACTS / "3-acknowledged.png"), full_page=True)

    # Bob sees the timeline update.
    bob.reload()
    assert bob.locator("#status").inner_text() == "acknowledged"
    acknowledged = bob.locator("#timeline li[data-kind=acknowledged]")
    assert acknowledged.count() == 1 and "Grace Hopper" in acknowledged.inner_text()

    # The leader opens every page; each chart carries data.
    leader_context, leader = _page(browser, base, requests, dialogs)
    _sign_in(leader, base, served["tokens"]["leader"], "/")
    pages = {
        "overview": ("/", 2),
        "team": ("/team", 2),
        "meetings": ("/meetings", 2),
        "bottlenecks": ("/bottlenecks", 1),
        "bottleneck": (f"/bottlenecks/{bottleneck_id}", 0),
        "resources": ("/resources", 0),
        "people": ("/people", 0),
        "person": (f"/people/{served['ids']['ada']}", 1),
    }
    for name, (path, min_charts) in pages.items():
        response = leader.goto(base + path)
        assert response.status == 200, (name, response.status)
        leader.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
        charts = _charts(leader)
        assert len(charts) >= min_charts, (name, charts)
        for chart in charts:
            assert chart["points"] != 0 and chart["marks"] > 0, f"{name}: empty chart {chart}"
    # On a phone the brief reads without sideways scrolling.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=leader_context.storage_state())
    phone_page = phone.new_page()
    phone_page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    phone_page.goto(base + "/")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 2
    phone_page.screenshot(path=str(ARTIFACTS / "page-overview-phone.png"), full_page=True)

    assert not dialogs, f"a script from user text ran: {dialogs}"
    assert all(url.startswith(base) for url in requests), [u for u in requests if not u.startswith(base)]
    for context in (bob_context, grace_context, leader_context, phone):
        context.close()
