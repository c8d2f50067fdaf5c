"""The brief's window: an explicit [start, end) in UTC epoch seconds.

The default is the seven days ending now; ``until="last-commit"`` ends the
window at the newest stored commit, so a repository that has gone quiet still
has a week to look at (the demo uses it). Every section states the window it
describes, because a brief read without its dates misleads.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ..store.schema import people

DAY = 86_400
WEEK = 7 * DAY


@dataclass(frozen=True)
class Window:
    start: int
    end: int

    @property
    def days(self) -> float:
        return (self.end - self.start) / DAY

    @property
    def length(self) -> int:
        return self.end - self.start

    def previous(self, count: int = 1) -> "Window":
        """The ``count`` windows of equal length just before this one, as one window."""
        return Window(self.start - count * self.length, self.start)

    def label(self) -> str:
        return f"{day(self.start)} to {day(self.end - 1)} ({self.days:g} days, UTC)"


def day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


def stamp(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def parse_moment(value: str, end_of_day: bool = False) -> int:
    """An ISO date or date-time (UTC unless it says otherwise), or epoch seconds."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"not a date: '{value}' (use YYYY-MM-DD, an ISO date-time or 'last-commit')") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    if end_of_day and len(value) == 10:
        parsed += dt.timedelta(days=1)
    return int(parsed.timestamp())


def last_commit_time(conn: Connection) -> int | None:
    """The newest authored time among people's (not bots') commits."""
    from ..team.queries import edge_commit_time

    # Each person's newest commit is one index seek; MAX over the joined tables read every commit
    # (every page asks this: 100 ms on a million commits, against a few ms).
    newest = edge_commit_time(True, counted_only=False)
    return conn.execute(select(func.max(newest)).select_from(people).where(people.c.is_bot == False)).scalar()  # noqa: E712


def resolve_window(conn: Connection, since: str | None = None, until: str | None = None, days: float | None = None, now: int | None = None) -> Window:
    """Turn the command line's --since/--until/--days into a window.

    ``until`` may be "last-commit": the window then ends just after the newest commit.
    """
    if until and until.strip().lower() in ("last-commit", "last_commit", "lastcommit"):
        last = last_commit_time(conn)
        end = (last + 1) if last is not None else int(now or time.time())
    elif until:
        end = parse_moment(until, end_of_day=True)
    else:
        end = int(now or time.time())
    if since:
        start = parse_moment(since)
        if days is not None:
            end = start + int(days * DAY) if not until else end
    else:
        start = end - int((days if days is not None else 7) * DAY)
    if start >= end:
        raise ValueError(f"the window is empty: {stamp(start)} is not before {stamp(end)}")
    return Window(start, end)
