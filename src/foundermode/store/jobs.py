"""Scheduled jobs in the store: one run at a time across processes, and the last run of each.

A lock is a row of ``job_locks`` holding a lease. ``acquire`` takes it when no
row exists or the row's lease has run out (its holder died), in one write
transaction: on SQLite ``BEGIN IMMEDIATE`` serialises the attempts, on
PostgreSQL the primary key does (``ON CONFLICT DO NOTHING``). A long run
``renew``s its lease as it goes; ``release`` deletes the row only if it is
still ours.
"""
from __future__ import annotations

from ..errors import Conflict
import os
import socket
import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, delete, select, update

from . import Store
from . import now as clock_now
from .schema_sync import job_locks, job_runs


def _insert(conn: Connection, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(store: Store, name: str, holder: str, lease: int, now: int | None = None) -> bool:
    """Take the lock ``name`` for ``lease`` seconds; False if another live holder has it."""
    at = clock_now() if now is None else int(now)
    with store.write() as conn:
        conn.execute(delete(job_locks).where(job_locks.c.name == name, job_locks.c.expires_at <= at))
        conn.execute(
            _insert(conn, job_locks)
            .values(name=name, holder=holder, acquired_at=at, expires_at=at + lease)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return conn.execute(select(job_locks.c.holder).where(job_locks.c.name == name)).scalar() == holder


def renew(store: Store, name: str, holder: str, lease: int, now: int | None = None) -> bool:
    at = clock_now() if now is None else int(now)
    with store.write() as conn:
        changed = conn.execute(update(job_locks).where(job_locks.c.name == name, job_locks.c.holder == holder).values(expires_at=at + lease))
        return changed.rowcount == 1


def release(store: Store, name: str, holder: str) -> None:
    with store.write() as conn:
        conn.execute(delete(job_locks).where(job_locks.c.name == name, job_locks.c.holder == holder))


def lock_holder(conn: Connection, name: str, now: int | None = None) -> dict | None:
    at = clock_now() if now is None else int(now)
    row = conn.execute(select(job_locks).where(job_locks.c.name == name, job_locks.c.expires_at > at)).mappings().first()
    return dict(row) if row else None


class Busy(Conflict, RuntimeError):
    """Another process holds the job's lock."""


@contextmanager
def exclusive(store: Store, name: str, lease: int) -> Iterator[str]:
    """Hold ``name``'s lock for the body; raises Busy (naming the holder) when another process has it."""
    holder = new_holder()
    if not acquire(store, name, holder, lease):
        with store.read() as conn:
            other = lock_holder(conn, name)
        who = f"{other['holder']} since {other['acquired_at']}" if other else "another process"
        raise Busy(f"{name} is already running ({who})")
    try:
        yield holder
    finally:
        release(store, name, holder)


# -- last runs -----------------------------------------------------------------------------


def record_start(store: Store, name: str, now: int | None = None) -> None:
    at = clock_now() if now is None else int(now)
    _upsert_run(store, name, started_at=at, status="running")


def record_finish(store: Store, name: str, *, error: str | None = None, detail: str | None = None, now: int | None = None) -> None:
    at = clock_now() if now is None else int(now)
    _upsert_run(store, name, finished_at=at, status="failed" if error else "ok", error=error, detail=detail)


def _upsert_run(store: Store, name: str, **values) -> None:
    with store.write() as conn:
        statement = _insert(conn, job_runs).values(name=name, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))


@contextmanager
def recorded(store: Store, name: str) -> Iterator[dict]:
    """Record a run of ``name``: started, then finished with the body's ``detail`` or its error (re-raised)."""
    record_start(store, name)
    outcome: dict = {"detail": None, "error": None}
    try:
        yield outcome
    except Exception as error:
        record_finish(store, name, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    record_finish(store, name, error=outcome["error"], detail=outcome["detail"])


def last_runs(conn: Connection) -> dict[str, dict]:
    return {row["name"]: dict(row) for row in conn.execute(select(job_runs).order_by(job_runs.c.name)).mappings()}
