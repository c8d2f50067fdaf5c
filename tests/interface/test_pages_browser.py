"""Every page of the dashboard on Northwind, in Debian's Chromium, at a laptop's 1366 px
and a phone's 375 px: a screenshot of each goes to test-artifacts/interface/, and each
page must read without sideways scrolling, with no chart label drawn over another
(checked from the SVG text boxes), with no raw epoch or ISO timestamp in its visible
text, and with its links there and answering.

One browser, one server, one signed-in context per width: a modest test.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from conftest import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "interface"
WIDTHS = {"desktop": 1366, "phone": 375}

pytestmark = pytest.mark.browser

# "2026-12-04T20:50:29+00:00" or "2026-12-04 20:50:29": a program's timestamp (a date, or "16:53 UTC", reads fine).
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}|[ ]\d{2}:\d{2}:\d{2})")
EPOCH = re.compile(r"(?<![\d.,])1[4-9]\d{8}(?![\d.,])")

# Text boxes of every chart label, in page coordinates (what the reader sees overlap).
LABEL_BOXES = """
() => Array.from(document.querySelectorAll('svg')).map((svg, index) => ({
  index, title: (svg.querySelector('title') || {}).textContent || '',
  boxes: Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent.trim(), x: r.left, y: r.top, w: r.width, h: r.height};
  }),
}))
"""


def overlaps(boxes: list[dict], slack: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of label boxes that intersect by more than ``slack`` px in both directions."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > slack and dy > slack and a["w"] and b["w"]:
                found.append((a["text"], b["text"]))
    return found


def test_overlap_check_can_fail():
    assert overlaps([{"text": "a", "x": 0, "y": 0, "w": 10, "h": 10}, {"text": "b", "x": 5, "y": 5, "w": 10, "h": 10}]) == [("a", "b")]
    assert overlaps([{"text": "a", "x": 0, "y": 0, "w": 10, "h": 10}, {"text": "b", "x": 11, "y": 0, "w": 10, "h": 10}]) == []


def test_timestamp_checks_can_fail():
    assert ISO.search("opened 2026-12-04T20:50:29+00:00") and ISO.search("at 2026-12-04 20:50:29") and not ISO.search("as of 2026-12-04 16:53 UTC")
    assert EPOCH.search("at 1764881429") and not EPOCH.search("1,764,881,429 lines") and not EPOCH.search("on 2026-12-04")


@pytest.fixture(scope="module")
def served(northwind):
    import uvicorn

    from foundermode.brief.window import last_commit_time
    from foundermode.config import load_config
    from foundermode.store import open_store
    from foundermode.web.app import create_app

    store = open_store(northwind.store_url)
    with store.read() as conn:
        now = last_commit_time(conn) + 2 * 3600
    app = create_app(store, load_config(northwind.config_path), clock=lambda: now)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    token = (northwind.folder / "leader-token.txt").read_text(encoding="utf-8").strip()
    yield {"base": f"http://127.0.0.1:{port}", "token": token}
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()


def _context(browser, base: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    return context


def _first_link(page, pattern: str) -> str:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    matching = [h for h in hrefs if re.fullmatch(pattern, h.split("?")[0])]
    assert matching, f"no link matching {pattern} on {page.url}"
    return matching[0].split("?")[0]


def _check(page, name: str, width: int) -> list[str]:
    problems = []
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll > width + 1:
        wide = page.evaluate(
            "w => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))", width)
        problems.append(f"{name}@{width}: scrolls sideways ({scroll} px): {wide}")
    for chart in page.evaluate(LABEL_BOXES):
        if clash := overlaps(chart["boxes"]):
            problems.append(f"{name}@{width}: chart {chart['title']!r} labels overlap: {clash[:4]}")
    text = page.inner_text("body")
    for pattern in (ISO, EPOCH):
        if hit := pattern.search(text):
            problems.append(f"{name}@{width}: raw timestamp in the text: {text[max(0, hit.start() - 40):hit.end() + 20]!r}")
    return problems


def _links(page, base: str, name: str, checked: dict) -> list[str]:
    """Every local link on the page answers 200 (each checked once)."""
    problems = []
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        if not href.startswith("/") or href in checked:
            continue
        checked[href] = page.request.get(base + href).status
        if checked[href] != 200:
            problems.append(f"{name}: link {href} answers {checked[href]}")
    return problems


def test_every_page_at_laptop_and_phone_width(browser, served):
    base = served["base"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    checked: dict[str, int] = {}
    for label, width in WIDTHS.items():
        context = _context(browser, base, width)
        page = context.new_page()
        page.goto(base + "/login")
        page.screenshot(path=str(ARTIFACTS / f"login-{label}.png"), full_page=True)
        problems += _check(page, "login", width)
        page.fill("#token", served["token"])
        with page.expect_navigation():
            page.click("form[action='/login/token'] button")
        pages = {"overview": "/", "team": "/team", "meetings": "/meetings", "bottlenecks": "/bottlenecks?status=all",
                 "resources": "/resources", "people": "/people"}
        for name, path in list(pages.items()):
            response = page.goto(base + path)
            assert response.status == 200, (name, response.status)
            if name == "people":
                pages["person"] = _first_link(page, r"/people/\d+")
            if name == "bottlenecks":
                pages["bottleneck"] = _first_link(page, r"/bottlenecks/\d+")
            if name == "meetings":
                # Each walk-out suggestion names its person, linked: without the name two people's
                # "You could skip 'Core standup'" read as one bullet said twice.
                bullets = page.eval_on_selector_all("#walkouts li.text", "els => els.map(e => e.innerText)")
                assert bullets, "the demo has walk-out suggestions"
                assert len(set(bullets)) == len(bullets), bullets
                assert len(page.query_selector_all("#walkouts li.text a[href^='/people/']")) == len(bullets)
        # The links every leader's page must carry: people and bottlenecks are reachable from the brief.
        page.goto(base + "/")
        for pattern in (r"/people/\d+", r"/bottlenecks/\d+"):
            _first_link(page, pattern)
        for name, path in pages.items():
            response = page.goto(base + path)
            assert response.status == 200, (name, response.status)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
            problems += _check(page, name, width)
            if label == "desktop":
                problems += _links(page, base, name, checked)
        context.close()
    assert not problems, "\n".join(problems)
    assert len(list(ARTIFACTS.glob("*.png"))) >= 2 * 9
