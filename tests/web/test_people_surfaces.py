"""The org chart, not the commit log, says who is on the team: every surface lists the same people.

The test org (tests/web/conftest.py) gains two Platform engineers with no commit
(Cy, and Zed, whose name carries markup) and a leaver, Lou, who wrote code
months ago and left (end_date). The CLI's profiles, GET /api/people, the People
page, output per head and the review list all list exactly the org chart's
current members; Lou shows only when departed people are asked for.
"""
from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from conftest import init_repo
from foundermode.cli import app
from foundermode.ingest import ingest_repository
from foundermode.sources.org import import_org_chart, parse_org_chart

from .conftest import DAY, NOW, ORG, XSS

ZED = f"Zed Zero {XSS}"
EXTRA = f"""cy@example.com,Cy Zero,Engineer,Platform,lee@example.com,engineer,,
zed@example.com,{ZED},Engineer,Platform,lee@example.com,engineer,,
lou@example.com,Lou Leaver,Engineer,Platform,lee@example.com,engineer,2022-01-10,2023-09-29
"""
CURRENT = {"lee@example.com", "grace@example.com", "ada@example.com", "bob@example.com", "cy@example.com", "zed@example.com"}


def _with_zero_commit_people_and_a_leaver(org, tmp_path):
    old = init_repo(tmp_path / "old")
    for week in range(6):  # Lou's work, all of it long before the 90-day window
        old.commit({f"old/lou{week}.py": f"lou = {week}\n"}, f"Lou {week}", author=("Lou Leaver", "lou@example.com"), when=NOW - (200 - week * 7) * DAY)
    ingest_repository(org.store, tmp_path / "old", org.config)
    header, *rows = ORG.strip().splitlines()
    chart = "\n".join([header + ",start_date,end_date", *(row + ",," for row in rows)]) + "\n" + EXTRA
    import_org_chart(org.store, parse_org_chart(chart), org.config)
    org.app.state.view_cache.clear()


def _cli(org, *args):
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def _ids_on_page(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<a href="/people/(\d+)', html)}


def test_cli_api_and_page_list_the_org_charts_current_members(org, tmp_path, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    _with_zero_commit_people_and_a_leaver(org, tmp_path)
    cli = json.loads(_cli(org, "team", "profiles", "--json"))
    api = org.client().get("/api/people", headers=org.bearer("leader"))
    assert api.status_code == 200, api.text
    page = org.client("leader").get("/people")
    assert page.status_code == 200
    assert {p["email"] for p in cli} == {p["email"] for p in api.json()} == CURRENT
    assert {p["person_id"] for p in cli} == {p["person_id"] for p in api.json()} == _ids_on_page(page.text)
    assert api.headers["X-Total-Count"] == "6" and "6 people" in page.text
    zero = {p["email"]: (p["commits"], p["status"]) for p in api.json() if p["commits"] == 0}
    assert zero == {"lee@example.com": (0, "current"), "cy@example.com": (0, "current"), "zed@example.com": (0, "current")}
    # The team of four engineers is four on the command line too, two of them with zero rows.
    platform = json.loads(_cli(org, "team", "profiles", "--team", "Platform", "--json"))
    assert sorted((p["name"], p["commits"] > 0) for p in platform) == [("Ada Lovelace", True), ("Bob Builder", True), ("Cy Zero", False), (ZED, False)]
    text = _cli(org, "team", "profiles", "--team", "Platform")
    assert "Cy Zero" in text and "Lou Leaver" not in text

    # Lou left: not current anywhere, listed when departed people are asked for, with tenure.
    departed = org.client().get("/api/people?status=departed", headers=org.bearer("leader")).json()
    assert [(p["name"], p["status"], p["commits"]) for p in departed] == [("Lou Leaver", "departed", 0)]
    everyone = org.client().get("/api/people?status=all", headers=org.bearer("leader")).json()
    assert {p["email"] for p in everyone} == CURRENT | {"lou@example.com"}
    page = org.client("leader").get("/people?status=departed").text
    assert "Lou Leaver" in page and "Ada Lovelace" not in page and "departed" in page


def test_people_page_searches_filters_and_pages_on_the_server(org, tmp_path):
    _with_zero_commit_people_and_a_leaver(org, tmp_path)
    leader, api = org.client("leader"), org.client()

    def names(query: str) -> list[str]:
        response = api.get(f"/api/people?{query}", headers=org.bearer("leader"))
        assert response.status_code == 200, response.text
        return sorted(p["name"] for p in response.json())

    assert names("q=zero") == ["Cy Zero", ZED]  # by name
    assert names("q=GRACE%40example") == ["Grace Hopper"]  # by email, case ignored
    assert names("q=platform") == ["Ada Lovelace", "Bob Builder", "Cy Zero", ZED]  # by team
    assert names("team=Platform&status=current") == ["Ada Lovelace", "Bob Builder", "Cy Zero", ZED]
    assert names("team=Infra&q=zero") == []
    assert names("q=lou") == [] and names("q=lou&status=departed") == ["Lou Leaver"]

    # Pages of two: three pages, nobody twice, nobody missing; the links keep the search.
    seen = []
    for number in (1, 2, 3):
        html = leader.get(f"/people?per_page=2&page={number}").text
        ids = _ids_on_page(html)
        assert len(ids) == 2 and f"page {number} of 3" in html
        seen.extend(ids)
    assert len(set(seen)) == 6 and set(seen) == {p["person_id"] for p in api.get("/api/people", headers=org.bearer("leader")).json()}
    html = leader.get("/people?q=e&team=Platform&per_page=1&page=2").text
    assert 'href="/people?team=Platform&amp;q=e&amp;per_page=1&amp;page=3"' in html and 'rel="prev"' in html
    paged = api.get("/api/people?per_page=4&page=2", headers=org.bearer("leader"))
    assert len(paged.json()) == 2 and paged.headers["X-Total-Count"] == "6"

    # Bad parameters are one-line errors.
    # The window/team form keeps the search and the status: changing the team does not drop them
    html = leader.get("/people?q=e&status=all").text
    window_form = html.split('<form class="filters"')[1]
    assert '<input type="hidden" name="q" value="e">' in window_form and '<input type="hidden" name="status" value="all">' in window_form
    assert leader.get("/people?status=gone").status_code == 400
    assert leader.get("/people?page=zero").status_code == 400
    assert api.get("/api/people?status=gone", headers=org.bearer("leader")).status_code == 400


def test_people_page_escapes_names_and_the_search(org, tmp_path):
    _with_zero_commit_people_and_a_leaver(org, tmp_path)
    leader = org.client("leader")
    for path in ("/people", "/people?q=zed", f"/people?q={XSS}", "/people?status=all"):
        html = leader.get(path, params=None).text
        assert "<script" not in html and "<img src=x" not in html, path
    html = leader.get("/people", params={"q": XSS}).text
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the search, echoed as text
    assert "Zed Zero &lt;script&gt;" in leader.get("/people?q=zed").text


def test_output_per_head_and_the_review_list_count_the_org_chart(org, tmp_path, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    _with_zero_commit_people_and_a_leaver(org, tmp_path)
    report = org.client().get("/api/team?days=90", headers=org.bearer("leader")).json()
    platform = [m for m in report["output"] if m["team"] == "Platform"]
    # Four engineers here every month (Lou left in 2023); two of them shipped.
    assert platform and {(m["headcount"], m["committers"]) for m in platform if m["commits"]} == {(4, 2)}
    assert all(m["commits_per_head"] == m["commits"] / 4 for m in platform)
    assert "org chart" in platform[0]["headcount_basis"]
    table = _cli(org, "team", "output", "--days", "90")
    assert "headcount: org chart" in table
    review = json.loads(_cli(org, "team", "review", "--days", "120", "--json"))
    listed = {e["name"]: e for t in review for e in t["entries"]}
    assert {"Cy Zero", ZED} <= set(listed) and "Lou Leaver" not in listed
    assert "made no commit" in listed["Cy Zero"]["data_shows"]
    assert any("no commit in any ingested repository" in e for e in listed["Cy Zero"]["keep_evidence"])
    assert not any(e["name"] in ("Ada Lovelace", "Bob Builder") for t in review for e in t["entries"] if "no commit" in e["data_shows"])
