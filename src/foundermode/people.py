"""Who is here, and what they are: tenure and roles, decided once for every analysis and surface.

**Tenure.** A person is *current* at a time ``t`` or not, by one rule:

* an org chart (or leavers CSV) date wins: here from ``start_date`` (unknown:
  from the beginning of the data) through ``end_date`` (its last day; unknown:
  still here);
* when an org chart is imported, it is the list of who is on the team: people
  it does not name are *outside the org chart* (their work still counts in
  ``--everyone`` figures and in what was lost);
* otherwise tenure is derived from activity (commits, co-authorships, blocker
  reports): *current* while the person has activity in the ``inactive_after``
  before ``t`` (``[org] inactive_after`` in foundermode.toml, default 6 months),
  *departed* after that.

``as_of`` defaults to just after the store's last activity, like a team window:
a report on a mirrored or archived repository stays meaningful.

**Roles.** ``role_of`` is the one place that says leader, manager, engineer or
other: the people named by ``[org] leader``/``[org] leaders`` and the org
chart's executives are leaders, its managers managers; ``is_leader`` (leaders
and managers: who may see everyone and merge bottlenecks) is what the escalation
engine and the web both ask.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from .store.schema import coauthors, commits, identities, people
from .sources.identities import identity_key
from .store import table_exists
from .store.schema_bottlenecks import blocker_reports

DAY = 86_400
DEFAULT_INACTIVE_AFTER = "6m"
MONTH_DAYS = 30.4375

CURRENT = "current"
DEPARTED = "departed"
NOT_STARTED = "not started"
OUTSIDE = "outside the org chart"
BOT = "bot"
STATUSES = (CURRENT, DEPARTED, NOT_STARTED, OUTSIDE)

LEADER = "leader"
MANAGER = "manager"
ENGINEER = "engineer"
OTHER = "other"


# -- settings -------------------------------------------------------------------------------

def parse_span(value, key: str = "inactive_after") -> int:
    """'6m', '180d', '26w', '1y' or a number of days -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a span such as 6m, 180d or 1y (got {value!r})")
    if isinstance(value, (int, float)):
        days = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dwmy]?)\s*", str(value))
        if not match:
            raise ValueError(f"{key} must be a span such as 6m, 180d or 1y (got {value!r})")
        days = float(match.group(1)) * {"": 1, "d": 1, "w": 7, "m": MONTH_DAYS, "y": 365.25}[match.group(2)]
    if days <= 0:
        raise ValueError(f"{key} must be longer than 0 days (got {value!r})")
    return round(days * DAY)


def inactive_after(config=None) -> int:
    """Seconds without activity after which someone not dated by the org chart has departed."""
    section = config.section("org") if config is not None else {}
    value = section.get("inactive_after", DEFAULT_INACTIVE_AFTER)
    try:
        return parse_span(value)
    except ValueError as error:
        raise ValueError(config.locate(str(error), "inactive_after") if config is not None else str(error)) from None


def date_epoch(text: str) -> int:
    """'2024-03-31' -> UTC midnight of that day (epoch seconds); ValueError otherwise."""
    day = dt.date.fromisoformat(text.strip())
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


def day_text(epoch: int | None) -> str | None:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat() if epoch is not None else None


# -- tenure ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tenure:
    person_id: int
    name: str
    team: str | None
    role: str | None
    in_org_chart: bool
    is_bot: bool
    start_date: int | None  # the org chart's (UTC midnight)
    end_date: int | None  # the org chart's last day (UTC midnight)
    first_activity: int | None
    last_activity: int | None  # the last at or before the roster's as_of

    @property
    def dated(self) -> bool:
        return self.start_date is not None or self.end_date is not None


@dataclass
class Roster:
    """Everyone's tenure as of one time, and the rule that reads it."""

    as_of: int
    inactive_after: int
    from_org_chart: bool  # an org chart lists the team
    tenures: dict[int, Tenure] = field(default_factory=dict)
    _activity_days: dict[int, list[int]] | None = field(default=None, repr=False)
    _conn_days: object = field(default=None, repr=False)

    def status(self, person_id: int, at: int | None = None) -> str:
        """current, departed, not started or outside the org chart (bot for bots), at ``at`` (default: as_of)."""
        tenure = self.tenures.get(person_id)
        if tenure is None:
            return OUTSIDE if self.from_org_chart else DEPARTED
        if tenure.is_bot:
            return BOT
        at = self.as_of if at is None else at
        if tenure.start_date is not None and at < tenure.start_date:
            return NOT_STARTED
        if tenure.end_date is not None:
            return CURRENT if at < tenure.end_date + DAY else DEPARTED
        if tenure.in_org_chart:
            return CURRENT
        if self.from_org_chart:
            return OUTSIDE
        if tenure.start_date is not None and tenure.first_activity is None:
            return CURRENT  # dated as joined, not yet active
        last = self._last_activity_before(person_id, at)
        if last is None:
            return NOT_STARTED if tenure.first_activity is not None else DEPARTED
        return CURRENT if at - last < self.inactive_after else DEPARTED

    def is_current(self, person_id: int, at: int | None = None) -> bool:
        return self.status(person_id, at) == CURRENT

    def current(self, at: int | None = None, team: str | None = None) -> set[int]:
        """The people here at ``at`` (on ``team``, when given)."""
        return {p for p, t in self.tenures.items() if (team is None or t.team == team) and self.is_current(p, at)}

    def departed(self, at: int | None = None) -> set[int]:
        return {p for p in self.tenures if self.status(p, at) in (DEPARTED, OUTSIDE)}

    def left_on(self, person_id: int) -> int | None:
        """When a departed person left: the org chart's end date, else their last activity."""
        tenure = self.tenures.get(person_id)
        if tenure is None:
            return None
        return tenure.end_date if tenure.end_date is not None else tenure.last_activity

    def _last_activity_before(self, person_id: int, at: int) -> int | None:
        tenure = self.tenures[person_id]
        if at >= self.as_of:
            return tenure.last_activity
        return self._from_days(person_id, at)

    def _from_days(self, person_id: int, at: int) -> int | None:
        """The last activity at or before ``at`` from each person's active days (read once, when asked)."""
        if self._activity_days is None:
            self._activity_days = activity_days(self._conn_days) if self._conn_days is not None else {}
        days = self._activity_days.get(person_id, [])
        index = bisect.bisect_right(days, at // DAY) - 1
        if index < 0:
            return None
        day = days[index]
        return min(at, day * DAY + DAY - 1)


def last_activity_time(conn: Connection) -> int | None:
    """The store's last activity (a commit, co-authored commit or blocker report)."""
    times = [conn.execute(select(func.max(commits.c.authored_at))).scalar()]
    reports = _reports_table(conn)
    if reports is not None:
        times.append(conn.execute(select(func.max(reports.c.reported_at))).scalar())
    times = [t for t in times if t is not None]
    return max(times) if times else None


def _reports_table(conn: Connection):
    if not table_exists(conn, "blocker_reports"):
        return None

    return blocker_reports


def activity_span(conn: Connection, until: int | None = None) -> dict[int, tuple[int, int]]:
    """person -> (first, last) activity before ``until``: authored commits, co-authorships, blocker reports."""
    spans: dict[int, tuple[int, int]] = {}

    def fold(query):
        for person_id, first, last in conn.execute(query):
            if person_id is None or first is None:
                continue
            old = spans.get(person_id)
            spans[person_id] = (min(first, old[0]), max(last, old[1])) if old else (first, last)

    authored = select(commits.c.author_id, func.min(commits.c.authored_at), func.max(commits.c.authored_at))
    coauthored = select(coauthors.c.person_id, func.min(commits.c.authored_at), func.max(commits.c.authored_at)).join(commits, commits.c.id == coauthors.c.commit_id)
    if until is not None:
        authored = authored.where(commits.c.authored_at < until)
        coauthored = coauthored.where(commits.c.authored_at < until)
    fold(authored.group_by(commits.c.author_id))
    fold(coauthored.group_by(coauthors.c.person_id))
    reports = _reports_table(conn)
    if reports is not None:
        query = select(reports.c.person_id, func.min(reports.c.reported_at), func.max(reports.c.reported_at))
        if until is not None:
            query = query.where(reports.c.reported_at < until)
        fold(query.group_by(reports.c.person_id))
    return spans


def activity_days(conn: Connection) -> dict[int, list[int]]:
    """person -> sorted UTC day numbers with an authored commit (what past tenure is read from)."""
    day = commits.c.authored_at // DAY
    out: dict[int, list[int]] = {}
    for person_id, number in conn.execute(select(commits.c.author_id, day).group_by(commits.c.author_id, day)):
        out.setdefault(person_id, []).append(int(number))
    return {p: sorted(d) for p, d in out.items()}


def roster(conn: Connection, config=None, as_of: int | None = None) -> Roster:
    """Everyone's tenure as of ``as_of`` (default: just after the store's last activity)."""
    if as_of is None:
        last = last_activity_time(conn)
        as_of = (last + 1) if last is not None else int(dt.datetime.now(dt.timezone.utc).timestamp())
    spans = activity_span(conn, until=as_of + 1)
    rows = conn.execute(
        select(people.c.id, people.c.name, people.c.team, people.c.role, people.c.in_org_chart, people.c.is_bot, people.c.start_date, people.c.end_date)
    ).all()
    tenures = {
        row.id: Tenure(
            row.id, row.name, row.team, row.role, bool(row.in_org_chart), bool(row.is_bot), row.start_date, row.end_date,
            spans.get(row.id, (None, None))[0], spans.get(row.id, (None, None))[1],
        )
        for row in rows
    }
    found = Roster(as_of=as_of, inactive_after=inactive_after(config), from_org_chart=any(t.in_org_chart for t in tenures.values()), tenures=tenures)
    found._conn_days = conn
    return found


def roster_of(store_or_conn, config=None, as_of: int | None = None) -> Roster:
    if hasattr(store_or_conn, "read"):
        with store_or_conn.read() as conn:
            found = roster(conn, config, as_of)
            found._activity_days = activity_days(conn)  # the connection closes here
            found._conn_days = None
            return found
    return roster(store_or_conn, config, as_of)


def headcount_by_month(found: Roster, months: list[str], team: str | None = None, by_team: bool = False) -> dict[tuple[str, str | None], int]:
    """(month, team or None) -> people here on the month's last day: the org's headcount, not its committers."""
    out: dict[tuple[str, str | None], int] = {}
    for month in months:
        year, number = int(month[:4]), int(month[5:7])
        after = dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=dt.timezone.utc)
        at = min(int(after.timestamp()) - 1, found.as_of)
        for person_id in found.current(at, team):
            key = (month, found.tenures[person_id].team if by_team else None)
            out[key] = out.get(key, 0) + 1
    return out


# -- roles ----------------------------------------------------------------------------------

def leader_emails(config) -> set[str]:
    """``[org] leader`` and ``[org] leaders`` (declared in settings.py), lower-cased."""
    if config is None:
        return set()
    org = config.settings.org
    return {email.strip().lower() for email in ((org.leader,) if org.leader else ()) + tuple(org.leaders) if email.strip()}


def person_keys(conn: Connection, person_id: int) -> set[str]:
    return {k for (k,) in conn.execute(select(identities.c.key).where(identities.c.person_id == person_id))}


def role_of(conn: Connection, config, person_id: int | None) -> str:
    """leader, manager, engineer or other: the one rule every surface and the escalation engine use."""
    if person_id is None:
        return OTHER
    row = conn.execute(select(people.c.role, people.c.is_bot).where(people.c.id == person_id)).first()
    if row is None:
        return OTHER
    emails = leader_emails(config)
    if emails and person_keys(conn, person_id) & {identity_key("", e) for e in emails}:
        return LEADER
    if row.role == "executive":
        return LEADER
    if row.role == "manager":
        return MANAGER
    if row.role in (None, "engineer") and not row.is_bot:
        return ENGINEER
    return OTHER


def is_leader(conn: Connection, config, person_id: int | None) -> bool:
    """A leader or a manager: may see everyone's figures and merge, split and escalate bottlenecks."""
    return role_of(conn, config, person_id) in (LEADER, MANAGER)


def counts_as_engineer(org_role: str | None) -> bool:
    """An org chart role (or none) that puts a person among the engineers compared with each other."""
    return org_role in (None, ENGINEER)
