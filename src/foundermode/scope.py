"""What a report is about: one ``Scope`` and one grammar for its window, for every surface.

A scope is repositories, a team, people and a half-open window ``[since, until)``
in UTC epoch seconds. Every surface (the CLI's ``--since/--until/--days``, the
web's ``?days=&until=``, the brief, the API) turns what it was given into a
scope with :func:`resolve`, so the same words give the same window everywhere.

The grammar (pydriller's single place for range options)::

    2026-01-01            a day, at 00:00 UTC; as an end it is exclusive (the window stops as that day begins)
    2026-01-01T09:00      an ISO date-time, UTC unless it carries an offset
    1767225600            epoch seconds
    90d  2w  6m  1y       a span: as a start, that long before the end
    all                   as a start: the beginning of what is stored
    last-commit           just after the newest counted commit in scope
    now                   the wall clock

One rule decides where a window ends when nothing says: ``DEFAULT_END``
(``last-commit``), so a report on a quiet or mirrored repository still has
something to show, and it is the same for the CLI, the web and the brief. Each
report's natural length is declared once in ``SPANS``. A scope remembers which
rule ended it (``ends``) and ``heading()`` says so, printed in every report.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, replace

from .errors import InputError

# SQLAlchemy and the store's schema are not imported here: every command's --help
# reads this module for its option texts, and they cost 200 ms of start-up. The two
# functions that read the store import them when they are called.

DAY = 86_400
WEEK = 7 * DAY

DEFAULT_END = "last-commit"
# Each report's length when neither a start nor a length is given (the web's pages use the same).
SPANS = {
    "team": "90d",        # profiles (the People page), one profile, managers: a quarter
    "review": "182d",     # the review list looks at half a year at least
    "brief": "7d",        # the weekly brief
    "meetings": "12w",    # meeting load: twelve whole weeks
    "output": "365d",     # team size against output: a year of months
    "reviews": "90d",     # code review: a quarter of pull requests
}
DEFAULT_SPAN = SPANS["team"]

SINCE_HELP = "Window start: a date (2026-01-01), an ISO date-time, or a span before the end (90d, 2w, 6m, 1y)."
UNTIL_HELP = "Window end (exclusive): a date, an ISO date-time, 'last-commit' or 'now'. Default: just after the last commit in scope."

_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*([dwmy])")
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}
_LAST_COMMIT = ("last-commit", "last_commit", "lastcommit")
_BEGINNING = ("all", "everything")


@dataclass(frozen=True)
class Scope:
    """Repositories, a team, people and a window; None means "all" (or unbounded)."""

    since: int | None = None
    until: int | None = None
    repo_ids: tuple[int, ...] | None = None
    team: str | None = None
    people: tuple[int, ...] | None = None
    ends: str | None = None  # what ended the window: "last-commit", "now" or "given"

    # -- the window ---------------------------------------------------------------------
    @property
    def start(self) -> int:
        return self.since

    @property
    def end(self) -> int:
        return self.until

    @property
    def length(self) -> int:
        return self.until - self.since

    @property
    def days(self) -> float:
        return (self.until - self.since) / DAY if self.since is not None and self.until is not None else 0.0

    def previous(self, count: int = 1) -> "Scope":
        """The ``count`` windows of equal length just before this one, as one scope."""
        return replace(self, since=self.since - count * self.length, until=self.since)

    def unbounded(self) -> "Scope":
        return replace(self, since=None, until=None)

    def ending(self, until: int, length: int | None = None) -> "Scope":
        """The same scope over the window of ``length`` (default: this one's) ending at ``until``."""
        return replace(self, since=until - (self.length if length is None else length), until=until)

    # -- words --------------------------------------------------------------------------
    def period(self) -> str:
        """The window in a phrase: "this week" for 7 days, else "in these 30 days"."""
        return "this week" if self.days == 7 else f"in these {self.days:g} days"

    def label(self) -> str:
        """"2026-01-01 to 2026-03-31 (90 days, UTC)"."""
        return f"{day(self.since)} to {day(self.until - 1)} ({self.days:g} days, UTC)"

    def end_rule(self) -> str:
        return {
            "last-commit": "ends at the last commit in scope",
            "now": "ends now",
            "given": "ends where asked",
        }.get(self.ends or "", "ends where asked")

    def heading(self) -> str:
        """The window with the rule that ended it: every report prints this."""
        return f"{day(self.since)} to {day(self.until - 1)} ({self.days:g} days, UTC; {self.end_rule()})"

    def as_of_heading(self) -> str:
        """The moment with the rule that chose it, for reports judged at one moment (stagnation, walk-outs)."""
        return f"as of {day(self.until - 1)} (UTC; {self.end_rule()})"


def day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


def stamp(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def span_seconds(value: str) -> int | None:
    """'90d' -> 7,776,000; None when the value is not a span."""
    match = _SPAN.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if not match:
        return None
    return round(float(match.group(1)) * _UNIT_DAYS[match.group(2)] * DAY)


def moment(value) -> int:
    """A date, an ISO date-time (UTC unless it says otherwise), epoch seconds or a date object -> epoch seconds."""
    if isinstance(value, bool):
        raise InputError(f"not a date: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp())
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp())
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"not a date: '{text}' (a date such as 2026-01-01, an ISO date-time, a span such as 90d, 6m, 1y, 'last-commit' or 'now')"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def last_activity(conn, repo_ids: tuple[int, ...] | None = None, team: str | None = None) -> int | None:
    """The newest counted commit time among people's (not bots') commits in the repositories and team."""
    from .store.queries import activity_span  # deferred: SQLAlchemy (see the top)

    _first, last = activity_span(conn, Scope(repo_ids=repo_ids, team=team))
    return last


def resolve(
    conn,
    since=None,
    until=None,
    days: float | None = None,
    repos: list[str] | tuple[int, ...] | None = None,
    team: str | None = None,
    people: tuple[int, ...] | None = None,
    report: str = "team",
    now: int | None = None,
    ends: str | None = None,
) -> Scope:
    """Turn what a surface was given into the one scope.

    ``until``: a date (exclusive), a date-time, epoch seconds, ``last-commit`` or ``now``;
    unset: ``ends`` (default ``DEFAULT_END``). ``since``: a date, a date-time, or a span
    before the end; unset: ``days`` long, else the report's span in ``SPANS``. Given
    ``since`` and ``days`` without ``until``, the window is ``days`` long from ``since``.
    """
    from .store.queries import resolve_repositories  # deferred: SQLAlchemy (see the top)

    repo_ids = repos if isinstance(repos, tuple) else resolve_repositories(conn, list(repos) if repos else None)
    if days is not None and not (isinstance(days, (int, float)) and 0 < days <= 36_600):
        raise InputError(f"the window's length must be a number of days above 0, not {days!r}")
    wall = int(now if now is not None else time.time())
    rule = until if until not in (None, "") else (ends or DEFAULT_END)
    text = rule.strip().lower() if isinstance(rule, str) else None
    if text in _LAST_COMMIT:
        last = last_activity(conn, repo_ids, team)
        end, ended = ((last + 1), "last-commit") if last is not None else (wall, "now")
    elif text == "now":
        end, ended = wall, "now"
    else:
        end, ended = moment(rule), "given"
    start = None
    if since not in (None, ""):
        relative = span_seconds(since) if isinstance(since, str) else None
        if isinstance(since, str) and since.strip().lower() in _BEGINNING:
            start = 0
        elif relative is not None:
            start = end - relative
        else:
            start = moment(since)
            if days is not None and until in (None, ""):
                end, ended = start + round(days * DAY), "given"
    if start is None:
        length = round(days * DAY) if days is not None else span_seconds(SPANS.get(report, DEFAULT_SPAN))
        start = end - length
    if start >= end:
        raise InputError(f"the window is empty: {stamp(start)} is not before {stamp(end)}")
    return Scope(since=start, until=end, repo_ids=repo_ids, team=team, people=people, ends=ended)


__all__ = ["Scope", "resolve", "moment", "span_seconds", "last_activity", "day", "stamp", "DEFAULT_END", "SPANS", "DAY", "WEEK", "SINCE_HELP", "UNTIL_HELP"]
