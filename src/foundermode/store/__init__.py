"""The store: one SQLAlchemy engine over SQLite (default) or PostgreSQL.

``open_store(url)`` migrates to the newest revision and returns a ``Store``.
Writers use ``store.write()``: one transaction, ``BEGIN IMMEDIATE`` on SQLite so
concurrent writers queue on the busy timeout instead of failing mid-way.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from . import schema  # noqa: F401  (registers tables on the shared metadata)
from .schema import metadata
from .migrate import upgrade


def _import_principle_schemas() -> None:
    """Each principle's tables live in store/schema_<principle>.py; all share ``metadata``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("schema_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_principle_schemas()

SQLITE_BUSY_TIMEOUT_MS = 60_000


_frozen_clock: int | None = None


def now() -> int:
    """The store's clock: UTC epoch seconds. Every schedule (escalations, the brief,
    sync) reads it, so a test can move it with ``set_clock`` instead of the machine's."""
    return _frozen_clock if _frozen_clock is not None else int(time.time())


def set_clock(epoch: int | None) -> None:
    """Stop the store's clock at ``epoch`` (None: follow the machine again). For tests and replays."""
    global _frozen_clock
    _frozen_clock = None if epoch is None else int(epoch)


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: everything inside lands, or nothing does."""
        with self.engine.connect().execution_options(fm_write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy's begin event, not the driver, open transactions.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            immediate = conn.get_execution_options().get("fm_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(url: str, migrate: bool = True) -> Store:
    engine = make_engine(url)
    store = Store(engine)
    if migrate:
        upgrade(store)
    return store


def chunked(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def table_exists(conn: Connection, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(name)


__all__ = ["Store", "open_store", "make_engine", "metadata", "now", "set_clock", "chunked", "table_exists", "text"]
