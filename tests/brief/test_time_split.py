"""The leader's time split on a calendar built here, where the right share is known by hand."""
from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from foundermode.brief.time_split import TimeSplitUnavailable, leader_time_split
from foundermode.brief.window import Window
from foundermode.config import Config
from foundermode.sources.org import import_org_chart, parse_org_chart

UTC = dt.timezone.utc
MONDAY = dt.datetime(2023, 11, 13, tzinfo=UTC)  # the last week of the window starts here
END = MONDAY + dt.timedelta(days=7)
LEADER = ("Lea Leader", "lead@example.com")
ENGINEER = ("Eve Engineer", "eve@example.com")  # role engineer in the org chart, no commits
COMMITTER = ("Carl Committer", "carl@example.com")  # not in the org chart: engineer by his commits
MANAGER = ("Mona Manager", "mona@example.com")
SALES = ("Sid Sales", "sid@example.com")
ORG = """email,name,title,team,manager_email,role
lead@example.com,Lea Leader,CEO,,,executive
mona@example.com,Mona Manager,Engineering Manager,Core,lead@example.com,manager
eve@example.com,Eve Engineer,Engineer,Core,mona@example.com,engineer
sid@example.com,Sid Sales,Sales,,lead@example.com,other
"""


def _event(uid, start, hours, attendees, declined=(), status=None):
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("summary", uid)
    event.add("dtstamp", MONDAY)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(hours=hours))
    if status:
        event.add("status", status)
    organizer = icalendar.vCalAddress(f"mailto:{LEADER[1]}")
    organizer.params["CN"] = LEADER[0]
    event["organizer"] = organizer
    for name, email in [LEADER, *attendees]:
        address = icalendar.vCalAddress(f"mailto:{email}")
        address.params["CN"] = name
        address.params["PARTSTAT"] = "DECLINED" if email in declined else "ACCEPTED"
        event.add("attendee", address)
    return event


def leader_calendar(path):
    """Last week: 3 h with engineers, 1 h with a manager; declined and cancelled meetings on top.
    The week before: a 1 h one-to-one with the manager and a 1 h meeting with an engineer and the manager."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//foundermode tests//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", LEADER[1])
    day = lambda n, hour: MONDAY + dt.timedelta(days=n, hours=hour)  # noqa: E731
    events = [
        _event("eve-1on1", day(0, 10), 1, [ENGINEER]),
        _event("carl-pairing", day(1, 14), 2, [COMMITTER]),
        _event("mona-1on1", day(2, 10), 1, [MANAGER]),
        _event("declined-review", day(3, 10), 2, [ENGINEER], declined={LEADER[1]}),
        _event("cancelled-sync", day(3, 14), 1, [MANAGER], status="CANCELLED"),
        _event("mona-1on1-before", day(-7, 10), 1, [MANAGER]),
        _event("eve-and-mona-before", day(-6, 10), 1, [ENGINEER, MANAGER]),
    ]
    for event in events:
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())
    return path


@pytest.fixture
def calendar_store(store, repo, tmp_path):
    from foundermode.ingest import ingest_repository
    from foundermode.meetings.calendars import import_calendars

    repo.commit({"core.py": "x = 1\n"}, "Core: first cut", author=COMMITTER, when=int((MONDAY + dt.timedelta(days=1)).timestamp()))
    repo.commit({"core.py": "x = 2\n"}, "Core: second cut", author=COMMITTER, when=int((MONDAY + dt.timedelta(days=2)).timestamp()))
    config = Config(raw={"org": {"leader": LEADER[1]}})
    ingest_repository(store, repo.path, config)
    import_org_chart(store, parse_org_chart(ORG), config)
    path = leader_calendar(tmp_path / f"{LEADER[1]}.ics")
    import_calendars(store, [path], config, since=int((MONDAY - dt.timedelta(weeks=5)).timestamp()), until=int(END.timestamp()))
    return store, config


def test_three_hours_with_engineers_and_one_with_a_manager_is_75_percent(calendar_store):
    store, config = calendar_store
    window = Window(int(MONDAY.timestamp()), int(END.timestamp()))
    with store.read() as conn:
        split = leader_time_split(conn, config, window)
    last = split.weeks[-1]
    assert (last.start, last.end) == (window.start, window.end)
    assert last.meetings == 3  # the declined and the cancelled meetings do not count
    assert last.engineer_hours == pytest.approx(3.0)
    assert last.manager_hours == pytest.approx(1.0)
    assert last.share == pytest.approx(0.75)

    before = split.weeks[-2]
    # A one-to-one with the manager, and an hour shared by an engineer and the manager: 0.5 h against 1.5 h.
    assert before.engineer_hours == pytest.approx(0.5)
    assert before.manager_hours == pytest.approx(1.5)
    assert before.share == pytest.approx(0.25)
    assert split.weeks[0].share is None and split.weeks[0].meetings == 0

    assert split.share == pytest.approx(3.5 / 6.0, abs=1e-4)
    assert split.meets_target is True and split.target == 0.5
    assert split.leader == LEADER[0] and split.leader_source == "config"
    assert {c.name: c.kind for c in split.companions} == {ENGINEER[0]: "engineer", COMMITTER[0]: "engineer", MANAGER[0]: "manager"}


def test_time_split_names_what_is_missing(calendar_store):
    store, _ = calendar_store
    window = Window(int(MONDAY.timestamp()), int(END.timestamp()))
    with store.read() as conn:
        # The org chart's single top executive stands in for an unconfigured leader.
        split = leader_time_split(conn, Config(), window)
        assert split.leader_source == "org chart" and split.share == pytest.approx(3.5 / 6.0, abs=1e-4)
        with pytest.raises(TimeSplitUnavailable, match="in no ingested calendar"):
            leader_time_split(conn, Config(raw={"org": {"leader": "nobody@example.com"}}), window)
        later = Window(window.end + 60 * 86400, window.end + 67 * 86400)
        with pytest.raises(TimeSplitUnavailable, match="ingest the leader's calendar"):
            leader_time_split(conn, Config(raw={"org": {"leader": LEADER[1]}}), later)


def test_brief_section_carries_the_figure(calendar_store):
    from foundermode.brief import build_brief, to_markdown

    store, config = calendar_store
    brief = build_brief(store, config, Window(int(MONDAY.timestamp()), int(END.timestamp())))
    section = brief.section("time_split")
    assert section.has_content and section.data.weeks[-1].share == pytest.approx(0.75)
    markdown = to_markdown(brief)
    assert "| 2023-11-13 – 11-19 | 3 | 4.0 h | 3.0 h | 1.0 h | 0.0 h | 75% |" in markdown


def test_time_split_and_activity_count_only_counted_commits(calendar_store, repo):
    """One rule for counted work (issue 13): a boundary commit and a bot's commit inside the
    window are nobody's work, for the brief's activity and time split as for store.queries."""
    from sqlalchemy import func, select, update

    from foundermode.brief.activity import load_commits
    from foundermode.brief.time_split import technical_people
    from foundermode.ingest import ingest_repository
    from foundermode.store.queries import counted_commit
    from foundermode.store.schema import commits, people

    store, config = calendar_store
    bea, bot = ("Bea Boundary", "bea@example.com"), ("Build Bot", "bot@example.com")
    repo.commit({"edge.py": "y = 1\n"}, "Edge: shallow boundary", author=bea, when=int((MONDAY + dt.timedelta(days=3)).timestamp()))
    repo.commit({"lock.txt": "1\n"}, "Bump lock", author=bot, when=int((MONDAY + dt.timedelta(days=4)).timestamp()))
    ingest_repository(store, repo.path, config)
    with store.write() as conn:
        bea_id = conn.execute(select(people.c.id).where(people.c.email == bea[1])).scalar_one()
        bot_id = conn.execute(select(people.c.id).where(people.c.email == bot[1])).scalar_one()
        conn.execute(update(commits).where(commits.c.author_id == bea_id).values(is_boundary=True))
        conn.execute(update(people).where(people.c.id == bot_id).values(is_bot=True))
        conn.execute(update(people).where(people.c.id == bea_id).values(role="engineer"))  # an engineer, so only her commit could make her "active"
    window = Window(int(MONDAY.timestamp()), int(END.timestamp()))
    with store.read() as conn:
        rule = conn.execute(
            select(func.count()).select_from(commits).join(people, people.c.id == commits.c.author_id)
            .where(commits.c.authored_at >= window.start, commits.c.authored_at < window.end, counted_commit())
        ).scalar_one()
        assert rule == 2  # Carl's two; not Bea's boundary commit, not the bot's
        assert len(load_commits(conn, window)) == rule
        assert bot_id not in technical_people(conn, window.start, window.end)
        split = leader_time_split(conn, config, window)
    # Bea's only commit in the window is a boundary commit: she is not an active engineer the leader missed.
    assert split.engineers_not_met == []
