"""The reviews page (issue 17): time to first review over time and review load per person as inline SVG charts,
queues and waiting work, figures from team/reviews.py on the hand-counted scenario; text from the data escaped."""
from __future__ import annotations

import re

from foundermode.ingest_reviews import ingest_files
from foundermode.sources import pulls_samples as s

from reviews.scenario import REPO, T0, write_export
from .conftest import XSS


def test_reviews_page_draws_both_charts_and_escapes_titles(org, tmp_path):
    write_export(tmp_path / "export")
    s.write_pages(tmp_path / "more" / "pulls.json", [s.pull(REPO, 11, "ada", T0 + 4 * 86_400, title=XSS, requested=["cy"])])
    ingest_files(org.store, org.config, [tmp_path / "export"])
    ingest_files(org.store, org.config, [tmp_path / "more"])
    page = org.client("leader").get("/reviews", params={"until": "2023-11-21", "days": "30"})
    assert page.status_code == 200, page.text
    html = page.text
    charts = dict(re.findall(r'<svg[^>]*class="chart (\w+)"[^>]*data-points="(\d+)"', html))
    # one ISO week (2023-W46) of pull requests with a first review; ada, bob and cy gave two reviews each
    assert charts == {"line": "1", "bars": "3"}
    assert "Time to first review, median per week (hours)" in html and "Reviews given per person" in html
    assert XSS not in html and "&lt;script" in html  # the title, escaped
    queue = re.search(r'<section class="card" id="queues">.*?</section>', html, re.S).group(0)
    assert ">cy<" in queue and f"{REPO}#2" in queue and f"{REPO}#11" in queue
    nav = re.search(r"<nav>.*?</nav>", html, re.S).group(0)
    assert 'href="/reviews" class="here"' in nav


def test_reviews_page_with_nothing_ingested_says_so(org):
    html = org.client("leader").get("/reviews").text
    assert "no pull requests in this window" in html and 'data-points="0"' in html
    assert org.client("engineer").get("/reviews").status_code == 403
