"""The leader's time split: how much of their meeting time is spent with engineers.

Engineers are people with a technical footprint (counted commits or co-authored
commits in the period, or the role "engineer" in the org chart); managers are
the org chart's managers and executives without one. Each meeting's length is
shared among the leader's counted fellow attendees (declines do not count), so
a one-to-one with an engineer is all engineer time and a meeting of two
engineers and two managers is half of each. The share is engineer time over
engineer plus manager time, against a target of at least 50%.
"""
from __future__ import annotations

from ..errors import Unavailable
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from ..sources.identities import identity_key
from ..store import table_exists
from ..store.queries import counted_commit
from ..store.schema import coauthors, commits, identities, people
from .window import WEEK, Window
from ..meetings.load import meeting_time_with

TARGET = 0.5
WEEKS = 4


@dataclass
class WeekSplit:
    start: int
    end: int
    meetings: int = 0
    meeting_hours: float = 0.0
    engineer_hours: float = 0.0
    manager_hours: float = 0.0
    other_hours: float = 0.0

    @property
    def share(self) -> float | None:
        total = self.engineer_hours + self.manager_hours
        return round(self.engineer_hours / total, 4) if total > 0 else None


@dataclass
class Companion:
    person_id: int
    name: str
    kind: str  # engineer, manager, other
    hours: float


@dataclass
class TimeSplit:
    leader_id: int
    leader: str
    leader_source: str  # config, org chart
    target: float
    weeks: list[WeekSplit]
    total: WeekSplit
    companions: list[Companion] = field(default_factory=list)
    engineers_not_met: list[str] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.total.share

    @property
    def meets_target(self) -> bool | None:
        return None if self.share is None else self.share >= self.target


class TimeSplitUnavailable(Unavailable):
    """Why there is no time split: the message says what to configure or ingest."""


def find_leader(conn: Connection, config) -> tuple[int, str]:
    email = (config.settings.org.leader or "").strip() if config is not None else ""
    if email:
        person = conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", email))).scalar()
        if person is None:
            raise TimeSplitUnavailable(f"the leader {email} ([org] leader) is in no ingested calendar or org chart: ingest the leader's calendar")
        return person, "config"
    # Without a configured leader, the org chart's single top executive is the natural reading.
    tops = conn.execute(select(people.c.id).where(people.c.role == "executive", people.c.manager_id.is_(None), people.c.in_org_chart == True)).scalars().all()  # noqa: E712
    if len(tops) == 1:
        return tops[0], "org chart"
    raise TimeSplitUnavailable("no leader known: set [org] leader = \"EMAIL\" in foundermode.toml")


def technical_people(conn: Connection, start: int, end: int) -> set[int]:
    """People with counted commits or co-authorships in [start, end), or the role engineer."""
    # The one rule for counted work (store.queries.counted_commit), on the commit's author.
    counted = and_(commits.c.authored_at >= start, commits.c.authored_at < end, counted_commit())
    authored = select(commits.c.author_id).join(people, people.c.id == commits.c.author_id)
    found = set(conn.execute(authored.where(counted).distinct()).scalars())
    found |= set(conn.execute(
        select(coauthors.c.person_id).join(commits, commits.c.id == coauthors.c.commit_id).join(people, people.c.id == commits.c.author_id).where(counted).distinct()
    ).scalars())
    found |= set(conn.execute(select(people.c.id).where(people.c.role == "engineer")).scalars())
    bots = set(conn.execute(select(people.c.id).where(people.c.is_bot == True)).scalars())  # noqa: E712
    return found - bots


def leader_time_split(conn: Connection, config, window: Window, weeks: int = WEEKS, target: float = TARGET) -> TimeSplit:
    """Week by week over the ``weeks`` seven-day periods ending where the window ends."""
    if not table_exists(conn, "occurrences"):
        raise TimeSplitUnavailable("no calendars in the store: foundermode ingest calendar LEADER.ics")
    leader_id, source = find_leader(conn, config)
    span = Window(window.end - weeks * WEEK, window.end)
    periods = [WeekSplit(span.start + i * WEEK, span.start + (i + 1) * WEEK) for i in range(weeks)]

    # The meetings analysis already knows who attended what (declines and cancellations out).
    met = meeting_time_with(conn, leader_id, span.start, span.end)
    leader_name = conn.execute(select(people.c.name).where(people.c.id == leader_id)).scalar() or str(leader_id)
    if not met:
        raise TimeSplitUnavailable(f"no meetings of {leader_name} between {span.label()}: ingest the leader's calendar for those weeks")

    technical = technical_people(conn, span.start, span.end)
    roles = dict(conn.execute(select(people.c.id, people.c.role)).all())
    names = dict(conn.execute(select(people.c.id, people.c.name)).all())

    def kind(person_id: int) -> str:
        if person_id in technical:
            return "engineer"
        return "manager" if roles.get(person_id) in ("manager", "executive") else "other"

    with_whom: dict[int, float] = defaultdict(float)
    for meeting in met:
        hours = max(meeting.end - meeting.start, 0) / 3600
        period = periods[min((meeting.start - span.start) // WEEK, weeks - 1)]
        period.meetings += 1
        period.meeting_hours += hours
        attendees = meeting.others
        if not attendees:
            period.other_hours += hours
            continue
        piece = hours / len(attendees)
        for person_id in attendees:
            setattr(period, f"{kind(person_id)}_hours", getattr(period, f"{kind(person_id)}_hours") + piece)
            with_whom[person_id] += piece

    total = WeekSplit(span.start, span.end)
    for period in periods:
        for name in ("meetings", "meeting_hours", "engineer_hours", "manager_hours", "other_hours"):
            setattr(total, name, getattr(total, name) + getattr(period, name))
    for period in [*periods, total]:
        for name in ("meeting_hours", "engineer_hours", "manager_hours", "other_hours"):
            setattr(period, name, round(getattr(period, name), 2))
    companions = sorted((Companion(pid, names.get(pid, str(pid)), kind(pid), round(h, 2)) for pid, h in with_whom.items()), key=lambda c: (-c.hours, c.name))
    active = set(conn.execute(
        select(commits.c.author_id).join(people, people.c.id == commits.c.author_id)
        .where(commits.c.authored_at >= window.start, commits.c.authored_at < window.end, counted_commit()).distinct()
    ).scalars()) & technical
    not_met = sorted(names.get(pid, str(pid)) for pid in active if pid not in with_whom and pid != leader_id)
    return TimeSplit(leader_id, leader_name, source, target, periods, total, companions, not_met)
