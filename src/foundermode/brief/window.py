"""The brief's window: a ``scope.Scope`` (``Window`` is the same class), made by ``scope.resolve``.

The brief's length is ``scope.SPANS["brief"]`` (seven days) and it ends where
every report ends (``scope.DEFAULT_END``: just after the last commit, or
``--until``); every section states the window it describes, with the rule that
ended it, because a brief read without its dates misleads.
"""
from __future__ import annotations

from sqlalchemy import Connection

from ..scope import DAY, WEEK, Scope, day, last_activity, resolve, stamp

Window = Scope


def resolve_window(conn: Connection, since=None, until=None, days: float | None = None, now: int | None = None) -> Window:
    """The brief's scope from --since/--until/--days (or the web's ?days=&until=)."""
    return resolve(conn, since=since, until=until, days=days, now=now, report="brief")


def last_commit_time(conn: Connection) -> int | None:
    """The newest counted commit among people's (not bots') commits."""
    return last_activity(conn)


__all__ = ["Window", "resolve_window", "last_commit_time", "day", "stamp", "DAY", "WEEK"]
