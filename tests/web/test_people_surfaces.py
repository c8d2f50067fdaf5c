"""The org chart, not the commit log, says who is on the team: one organisation, every surface.

One fixture builds the organisation for real: a git history made by the test
(Ada, Bob and Grace commit; Lou, a leaver, wrote code months before the window),
an org chart CSV file with ``start_date``/``end_date`` columns imported by
``foundermode ingest org`` (two Platform engineers with no commit, Cy, and Zed
whose name carries markup; Lou with an end date; Grace with a start date, 2024-01-01,
so Infra has no head in December), and
the web app. The expected people are read from that CSV by the test, and five
surfaces must list exactly them: ``team profiles --json``, output per head (the
org chart's headcount each month), the review list, the People page (HTML) and
``GET /api/people``. Lou shows only when departed people are asked for.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from typer.testing import CliRunner

from conftest import init_repo
from foundermode.cli import app
from foundermode.ingest import ingest_repository

from .conftest import CONFIG, DAY, NOW, PEOPLE, XSS, Clock, Org, build_history

ZED = f"Zed Zero {XSS}"
ORG_CHART = f"""email,name,title,team,manager_email,role,start_date,end_date
lee@example.com,Lee Leader,CTO,Leadership,,executive,,
grace@example.com,Grace Hopper,Infra engineer,Infra,lee@example.com,engineer,2024-01-01,
ada@example.com,Ada Lovelace,Engineer,Platform,lee@example.com,engineer,,
bob@example.com,Bob Builder,Engineer,Platform,lee@example.com,engineer,,
cy@example.com,Cy Zero,Engineer,Platform,lee@example.com,engineer,,
zed@example.com,{ZED},Engineer,Platform,lee@example.com,engineer,,
lou@example.com,Lou Leaver,Engineer,Platform,lee@example.com,engineer,2022-01-10,2023-09-29
"""


def _day(text: str) -> int | None:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()) if text else None


def chart_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(ORG_CHART)))


def here_at(at: int, team: str | None = None, engineers: bool = False) -> set[str]:
    """The org chart's people here at ``at``, read from the CSV by the test (start_date on, end_date its last day)."""
    return {
        r["email"] for r in chart_rows()
        if (not r["start_date"] or _day(r["start_date"]) <= at) and (not r["end_date"] or at < _day(r["end_date"]) + DAY)
        and (team is None or r["team"] == team) and (not engineers or r["role"] == "engineer")
    }


CURRENT = here_at(NOW)


@pytest.fixture
def team_org(store, tmp_path, monkeypatch) -> Org:
    """The one organisation of this module: a git history, an org chart CSV file with tenure dates, the web app."""
    from foundermode.config import load_config
    from foundermode.sources.identities import find_person
    from foundermode.web.app import create_app
    from foundermode.web.tokens import create_token

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "test-secret-key-for-web-tests")
    monkeypatch.setenv("FM_WEB_TEST_SLACK", "slack-signing-secret")
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    (tmp_path / "foundermode.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "foundermode.toml")
    build_history(tmp_path / "acme")
    old = init_repo(tmp_path / "old")
    for week in range(6):  # Lou's work, all of it long before the 90-day window
        old.commit({f"old/lou{week}.py": f"lou = {week}\n"}, f"Lou {week}", author=("Lou Leaver", "lou@example.com"), when=NOW - (200 - week * 7) * DAY)
    (tmp_path / "org.csv").write_text(ORG_CHART, encoding="utf-8")
    clock = Clock(NOW)
    org = Org(store, config, create_app(store, config, clock=clock), clock)
    _cli(org, "ingest", "org", str(tmp_path / "org.csv"))
    for path in ("acme", "old"):
        ingest_repository(store, tmp_path / path, config)
    with store.write() as conn:
        for role, email in PEOPLE.items():
            org.ids[role] = find_person(conn, email)
            org.tokens[role] = create_token(conn, org.ids[role], NOW, "web test")[1]
    return org


def _cli(org, *args):
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def _ids_on_page(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<a href="/people/(\d+)', html)}


def _month_end(month: str) -> int:
    year, number = int(month[:4]), int(month[5:7])
    return int(dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=dt.timezone.utc).timestamp()) - 1


def test_every_surface_lists_exactly_the_org_charts_current_members(team_org):
    org = team_org
    assert CURRENT == {"lee@example.com", "grace@example.com", "ada@example.com", "bob@example.com", "cy@example.com", "zed@example.com"}
    with org.store.read() as conn:
        from foundermode.sources.identities import find_person

        ids = {email: find_person(conn, email) for email in here_at(NOW) | {"lou@example.com"}}
    current_ids = {ids[e] for e in CURRENT}

    # 1. team profiles --json, 2. GET /api/people, 3. the People page: the same people, exactly the org chart's current members.
    cli = json.loads(_cli(org, "team", "profiles", "--json"))
    api = org.client().get("/api/people", headers=org.bearer("leader"))
    assert api.status_code == 200, api.text
    page = org.client("leader").get("/people")
    assert page.status_code == 200
    assert {p["email"] for p in cli} == {p["email"] for p in api.json()} == CURRENT
    assert {p["person_id"] for p in cli} == {p["person_id"] for p in api.json()} == _ids_on_page(page.text) == current_ids
    assert api.headers["X-Total-Count"] == "6" and "6 people" in page.text
    zero = {p["email"]: (p["commits"], p["status"]) for p in api.json() if p["commits"] == 0}
    assert zero == {"lee@example.com": (0, "current"), "cy@example.com": (0, "current"), "zed@example.com": (0, "current")}
    # The team of four engineers is four on the command line too, two of them with zero rows.
    platform = json.loads(_cli(org, "team", "profiles", "--team", "Platform", "--json"))
    assert {p["email"] for p in platform} == here_at(NOW, "Platform")
    assert sorted((p["name"], p["commits"] > 0) for p in platform) == [("Ada Lovelace", True), ("Bob Builder", True), ("Cy Zero", False), (ZED, False)]
    text = _cli(org, "team", "profiles", "--team", "Platform")
    assert "Cy Zero" in text and "Lou Leaver" not in text

    # 4. Output per head: each month's heads are the org chart's people here on its last day, team by team.
    report = org.client().get("/api/team?days=90", headers=org.bearer("leader")).json()
    assert report["output"]
    for month in report["output"]:
        assert month["headcount"] == len(here_at(min(_month_end(month["month"]), NOW), month["team"])), month
        assert "org chart" in month["headcount_basis"]
    assert [(m["month"], m["headcount"]) for m in report["output"] if m["team"] == "Infra"][-3:] == [("2024-01", 1), ("2024-02", 1), ("2024-03", 1)]
    assert not any(m["team"] == "Infra" and m["month"] == "2023-12" and m["headcount"] for m in report["output"])  # Grace starts in January
    platform_months = [m for m in report["output"] if m["team"] == "Platform"]
    # Four engineers here every month (Lou left in 2023); two of them shipped.
    assert platform_months and {(m["headcount"], m["committers"]) for m in platform_months if m["commits"]} == {(4, 2)}
    assert all(m["commits_per_head"] == m["commits"] / 4 for m in platform_months)
    assert "headcount: org chart" in _cli(org, "team", "output", "--days", "90")

    # 5. The review list: each team's members are its current engineers; the ones with no commit are named, Lou is not.
    review = json.loads(_cli(org, "team", "review", "--days", "120", "--json"))
    assert {t["team"]: t["members"] for t in review} == {team: len(here_at(NOW, team, engineers=True)) for team in {t["team"] for t in review}}
    assert sum(t["members"] for t in review) == len(here_at(NOW, engineers=True))
    listed = {e["name"]: e for t in review for e in t["entries"]}
    assert {"Cy Zero", ZED} <= set(listed) and "Lou Leaver" not in listed
    assert {e["name"] for t in review for e in t["entries"] if "made no commit" in e["data_shows"]} == {"Cy Zero", ZED}
    assert "made no commit" in listed["Cy Zero"]["data_shows"]
    assert any("no commit in any ingested repository" in e for e in listed["Cy Zero"]["keep_evidence"])

    # Lou left: not current anywhere, listed when departed people are asked for, with tenure.
    departed = org.client().get("/api/people?status=departed", headers=org.bearer("leader")).json()
    assert [(p["name"], p["status"], p["commits"]) for p in departed] == [("Lou Leaver", "departed", 0)]
    everyone = org.client().get("/api/people?status=all", headers=org.bearer("leader")).json()
    assert {p["email"] for p in everyone} == CURRENT | {"lou@example.com"}
    page = org.client("leader").get("/people?status=departed").text
    assert "Lou Leaver" in page and "Ada Lovelace" not in page and "departed" in page


def test_people_page_searches_filters_and_pages_on_the_server(team_org):
    org = team_org
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


def test_people_page_escapes_names_and_the_search(team_org):
    org = team_org
    leader = org.client("leader")
    for path in ("/people", "/people?q=zed", f"/people?q={XSS}", "/people?status=all"):
        html = leader.get(path, params=None).text
        assert "<script" not in html and "<img src=x" not in html, path
    html = leader.get("/people", params={"q": XSS}).text
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the search, echoed as text
    assert "Zed Zero &lt;script&gt;" in leader.get("/people?q=zed").text
