"""The scheduled brief: sent once by the tick at ``[brief] send`` (the store's clock moved, not the machine's),
to a real SMTP server on loopback (aiosmtpd), and its HTML opened in Chromium with no request but itself."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from foundermode.brief.deliver import BriefSchedule, schedule_of, send_due
from foundermode.cli import app
from foundermode.config import ConfigError, load_config
from foundermode.ingest import ingest_repository
from foundermode.store import set_clock
from foundermode.store.jobs import last_runs
from foundermode.store.schema_notify import outbox

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 2024-03-18 08:00 in Berlin is 07:00 UTC.
MONDAY_8 = int(dt.datetime(2024, 3, 18, 8, 0, tzinfo=BERLIN).timestamp())


@pytest.fixture
def clock():
    yield set_clock
    set_clock(None)


@pytest.fixture
def delivery(tmp_path, store, history, smtp_server):
    path = tmp_path / "foundermode.toml"
    path.write_text(
        '[org]\nleader = "ada@example.com"\ntimezone = "Europe/Berlin"\n'
        '[brief]\nsend = "mon 08:00"\nrecipients = ["ada@example.com", "cto@example.com"]\nurl = "https://fm.example.com/brief"\n'
        f'[notify.email]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsender = "foundermode <fm@example.com>"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    ingest_repository(store, history.repo.path, config)
    return config


def _tick(store_url, config):
    result = CliRunner().invoke(app, ["--db", store_url, "--config", str(config.path), "tick", "--json"])
    assert result.exit_code == 0, result.output
    return result


def _outbox(store) -> dict[str, str]:
    with store.read() as conn:
        return {r.idempotency_key: r.state for r in conn.execute(select(outbox.c.idempotency_key, outbox.c.state))}


def test_the_brief_arrives_once_at_its_time(store, store_url, delivery, smtp_server, clock, browser, tmp_path):
    clock(MONDAY_8 - 60)  # a minute early: nothing
    _tick(store_url, delivery)
    assert smtp_server.received == [] and _outbox(store) == {}

    clock(MONDAY_8 + 30)  # the tick after 08:00 Berlin sends it, to each recipient once
    _tick(store_url, delivery)
    assert sorted(r for _s, rcpts, _m in smtp_server.received for r in rcpts) == ["ada@example.com", "cto@example.com"]
    assert set(_outbox(store).values()) == {"sent"}
    assert set(_outbox(store)) == {"brief:2024-03-18T07:00Z:email:ada@example.com", "brief:2024-03-18T07:00Z:email:cto@example.com"}

    for later in (MONDAY_8 + 90, MONDAY_8 + 3600, MONDAY_8 + 6 * 86400):  # later ticks that week send nothing
        clock(later)
        _tick(store_url, delivery)
    assert len(smtp_server.received) == 2
    with store.read() as conn:
        runs = last_runs(conn)
    assert runs["brief"]["status"] == "ok" and "2024-03-18T07:00Z" in runs["brief"]["detail"]
    assert runs["tick"]["status"] == "ok" and runs["tick"]["finished_at"] == MONDAY_8 + 6 * 86400

    message = smtp_server.messages[0]
    assert message["Subject"].startswith("Your week: ")
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    assert html_part is not None and text_part is not None
    html = html_part.get_content()
    assert "https://fm.example.com/brief" in text_part.get_content()
    # Self-contained: nothing to fetch, nothing to run.
    assert "<script" not in html.split("<main", 1)[-1].replace("&lt;script", "") and " src=" not in html

    page_file = tmp_path / "mail.html"
    page_file.write_text(html, encoding="utf-8")
    url = page_file.resolve().as_uri()
    page = browser.new_page(viewport={"width": 900, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)
    assert requests == [url]
    assert page.locator("section").count() == 6
    assert "Ken Thompson" in page.locator("body").inner_text()
    # Gmail and Outlook show no SVG: the charts are tables of coloured cells, drawn as bars.
    assert "<svg" not in html and "<img" not in html
    charts = page.locator("table.bars")
    assert charts.count() >= 1
    widths = page.eval_on_selector_all("table.bars td[bgcolor]", "cells => cells.map(c => c.getBoundingClientRect().width)")
    assert widths and max(widths) > 100 and min(widths) > 0  # the busiest area's bar is long, every bar visible
    page.close()

    # The next Monday is a new moment: sent again, once.
    clock(MONDAY_8 + 7 * 86400 + 5)
    _tick(store_url, delivery)
    _tick(store_url, delivery)
    assert len(smtp_server.received) == 4


def test_a_missed_moment_is_caught_up_only_for_a_while(store, delivery, clock):
    clock(MONDAY_8 + 13 * 3600)  # past catch_up_hours (12): waits for next Monday
    assert send_due(store, delivery) == []
    clock(MONDAY_8 + 11 * 3600)
    assert len(send_due(store, delivery)) == 2
    assert send_due(store, delivery) == []


def test_brief_send_now(store, store_url, delivery, smtp_server, clock):
    clock(MONDAY_8 + 3 * 86400)
    result = CliRunner().invoke(app, ["--db", store_url, "--config", str(delivery.path), "brief", "--send"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output and len(smtp_server.received) == 2


def test_schedule_setting(tmp_path):
    path = tmp_path / "foundermode.toml"
    path.write_text('[brief]\nsend = "mon,thu 07:30"\ntimezone = "America/New_York"\n')
    schedule = schedule_of(load_config(path))
    assert schedule == BriefSchedule((0, 3), 450, "America/New_York", 12 * 3600)
    # Across the daylight-saving change (2024-03-10 in New York) the local time holds.
    thursday = int(dt.datetime(2024, 3, 14, 7, 30, tzinfo=ZoneInfo("America/New_York")).timestamp())
    assert schedule.last_moment(thursday + 10) == thursday
    assert schedule.last_moment(thursday - 10) == int(dt.datetime(2024, 3, 11, 7, 30, tzinfo=ZoneInfo("America/New_York")).timestamp())
    path.write_text('[brief]\nsend = "monday at 8"\n')
    with pytest.raises(ConfigError, match="send"):
        load_config(path).settings


def test_slack_summary_links_the_web_brief(store, delivery, smtp_server, http_receiver, clock, monkeypatch):
    from foundermode.notify.deliver import deliver_due

    monkeypatch.setenv("FM_TEST_SLACK", http_receiver.url("/slack"))
    text = delivery.path.read_text().replace("[brief]\n", "[brief]\nslack = true\n") + '[notify.slack]\nwebhook_url_env = "FM_TEST_SLACK"\n'
    delivery.path.write_text(text)
    config = load_config(delivery.path)
    clock(MONDAY_8)
    assert len(send_due(store, config)) == 3
    assert deliver_due(store, config)["sent"] == 3
    [post] = http_receiver.received("/slack")
    summary = post.json()["text"]
    assert summary.startswith("*The week: ") and "<https://fm.example.com/brief|Read the brief>" in summary
    assert len(summary) < 2000  # a summary, not the brief


ORG_CHART = """email,name,title,team,manager_email,role
cto@example.com,Carol Chief,CTO,Leadership,,executive
grace@example.com,Grace Hopper,Engineering Manager,Infra,cto@example.com,manager
linus@example.com,Linus Torvalds,Engineer,Infra,grace@example.com,engineer
ken@example.com,Ken Thompson,Engineer,Infra,grace@example.com,engineer
barbara@example.com,Barbara Liskov,Engineering Manager,Core,cto@example.com,manager
ada@example.com,Ada Lovelace,Engineer,Core,barbara@example.com,engineer
"""
INFRA = {"Grace Hopper", "Linus Torvalds", "Ken Thompson"}
CORE = {"Barbara Liskov", "Ada Lovelace"}


@pytest.fixture
def managed(tmp_path, store, history, smtp_server):
    """The history's authors under two managers; [brief] managers = true."""
    from foundermode.sources.org import import_org_chart, parse_org_chart

    path = tmp_path / "foundermode.toml"
    path.write_text(
        '[org]\nleader = "cto@example.com"\ntimezone = "Europe/Berlin"\n'
        '[brief]\nsend = "mon 08:00"\nmanagers = true\n'
        f'[notify.email]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsender = "foundermode <fm@example.com>"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    ingest_repository(store, history.repo.path, config)
    import_org_chart(store, parse_org_chart(ORG_CHART), config)
    return config


def _named(text: str) -> set[str]:
    return {name for name in INFRA | CORE | {"Carol Chief"} if name in text}


def test_each_manager_gets_their_own_teams_brief(store, store_url, managed, smtp_server, clock, browser, tmp_path):
    clock(MONDAY_8 + 30)
    _tick(store_url, managed)
    by_recipient = {rcpts[0]: message for _s, rcpts, message in smtp_server.received}
    assert sorted(by_recipient) == ["barbara@example.com", "cto@example.com", "grace@example.com"]
    assert set(_outbox(store)) == {
        "brief:2024-03-18T07:00Z:email:cto@example.com",
        "brief:2024-03-18T07:00Z:team:grace@example.com",
        "brief:2024-03-18T07:00Z:team:barbara@example.com",
    }
    # The leader's brief names people of both teams; each manager's, only their own people.
    leader_html = by_recipient["cto@example.com"].get_body(preferencelist=("html",)).get_content()
    assert {"Linus Torvalds", "Ada Lovelace"} <= _named(leader_html)
    for manager, team, other in (("grace@example.com", INFRA, CORE), ("barbara@example.com", CORE, INFRA)):
        message = by_recipient[manager]
        assert message["Subject"].startswith("Your team's week (")
        html = message.get_body(preferencelist=("html",)).get_content()
        text = message.get_body(preferencelist=("plain",)).get_content()
        for body in (html, text):
            assert _named(body) <= team, (manager, _named(body) - team)
            assert _named(body) & (team - {"Grace Hopper", "Barbara Liskov"}), manager  # their engineers are in it
        assert "The brief for " in html and "<svg" not in html
        page_file = tmp_path / f"{manager}.html"
        page_file.write_text(html, encoding="utf-8")
        url = page_file.resolve().as_uri()
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
        page.goto(url, wait_until="load")
        shown = page.locator("body").inner_text()
        page.close()
        assert requests == [url]
        assert not (_named(shown) & other)
    # Once per moment: later ticks send no second team brief.
    clock(MONDAY_8 + 3600)
    _tick(store_url, managed)
    assert len(smtp_server.received) == 3


def test_brief_of_one_team_on_the_command_line(store, store_url, managed):
    def run(*args):
        return CliRunner().invoke(app, ["--db", store_url, "--config", str(managed.path), "brief", "--format", "markdown", *args])

    grace = run("--manager", "grace@example.com")
    assert grace.exit_code == 0, grace.output
    assert "# The brief for Grace Hopper's team" in grace.output
    assert _named(grace.output) <= INFRA and "Linus Torvalds" in grace.output
    core = run("--team", "core")
    assert core.exit_code == 0, core.output
    assert _named(core.output) <= CORE and "Ada Lovelace" in core.output
    missing = run("--team", "Nowhere")
    assert missing.exit_code != 0 and "no team named 'Nowhere'" in missing.output and "Core" in missing.output
    assert run("--manager", "ken@example.com").exit_code != 0  # no one reports to Ken


def test_team_under_walks_the_whole_chart(store, managed):
    from foundermode.sources.identities import find_person
    from foundermode.store.schema import people
    from foundermode.team.queries import team_under

    with store.read() as conn:
        cto = find_person(conn, "cto@example.com")
        names = dict(conn.execute(select(people.c.id, people.c.name)).all())
        assert {names[p] for p in team_under(conn, cto)} == INFRA | CORE
        assert team_under(conn, find_person(conn, "ken@example.com")) == []


def test_a_listed_manager_not_in_the_store_does_not_stop_the_brief(store, managed, clock):
    managed.path.write_text(managed.path.read_text().replace("managers = true", 'managers = ["grace@example.com", "nobody@example.com"]'))
    config = load_config(managed.path)
    clock(MONDAY_8 + 30)
    assert len(send_due(store, config)) == 2  # the leader's, and Grace's (Barbara is not listed)
    assert set(_outbox(store)) == {"brief:2024-03-18T07:00Z:email:cto@example.com", "brief:2024-03-18T07:00Z:team:grace@example.com"}
    with store.read() as conn:
        run = last_runs(conn)["brief"]
    assert run["status"] == "ok" and "nobody@example.com, who is not in the store" in run["detail"]
    assert send_due(store, config) == []
