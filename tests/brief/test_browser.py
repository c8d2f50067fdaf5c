"""The HTML brief in a real browser: Debian's Chromium, headless, driven by Playwright.

Every request the page makes is recorded; the only one allowed is the file
itself. A screenshot goes to test-artifacts/ for a human to look at.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def test_html_brief_opens_with_no_network_request(browser, demo):
    page_file = demo.folder / "brief.html"
    url = page_file.resolve().as_uri()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    # Anything that is not the file itself is refused, so a stray fetch fails loudly as well as being recorded.
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)

    assert requests == [url], f"requests outside the file: {[r for r in requests if r != url]}"
    sections = page.locator("section")
    assert sections.count() == 6
    for index in range(6):
        assert sections.nth(index).get_attribute("data-has-content") == "yes", sections.nth(index).inner_text()[:200]
    assert page.locator("svg").count() >= 2  # the charts are drawn into the page, not fetched
    # A commit subject carrying markup shows as text, never runs.
    assert page.evaluate("() => window.__xss === undefined")
    assert "<script>alert(1)</script>" in page.locator("body").inner_text()
    assert page.locator("main script").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "brief.png"), full_page=True)
    page.close()
