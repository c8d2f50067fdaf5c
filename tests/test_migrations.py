"""Alembic migrations: from empty, from each previous revision, and in step with the tables."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from foundermode.store import make_engine, metadata, open_store, Store
from foundermode.store.migrate import alembic_config, current_revisions, downgrade, head_revisions, upgrade


def schema_differences(store) -> list:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, metadata)
    # SQLite reflects no index/constraint names on some objects; only missing or extra tables/columns matter.
    return [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "remove_table", "add_column", "remove_column")]


def test_upgrade_from_empty_matches_the_tables(store_url):
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            assert current_revisions(conn) == head_revisions(store)
            tables = set(inspect(conn).get_table_names())
        assert set(metadata.tables) <= tables
        assert schema_differences(store) == []
    finally:
        store.dispose()


def test_upgrade_from_every_previous_revision(store_url):
    """Each revision can be reached from its parent: down to it, then up to heads again."""
    store = Store(make_engine(store_url))
    try:
        upgrade(store)
        script = ScriptDirectory.from_config(alembic_config(store))
        revisions = list(script.walk_revisions())
        assert any(r.revision == "0001_foundation" for r in revisions)
        for revision in revisions:
            if revision.down_revision is None:
                continue
            parents = revision.down_revision if isinstance(revision.down_revision, tuple) else (revision.down_revision,)
            downgrade(store, parents[0])
            with store.engine.connect() as conn:
                assert revision.revision not in current_revisions(conn)
            upgrade(store)
            with store.engine.connect() as conn:
                assert current_revisions(conn) == head_revisions(store)
        assert schema_differences(store) == []
    finally:
        store.dispose()


def test_downgrade_to_base_and_back(store_url):
    store = Store(make_engine(store_url))
    try:
        upgrade(store)
        downgrade(store, "base")
        with store.engine.connect() as conn:
            leftover = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert leftover == set()
        upgrade(store)
        assert schema_differences(store) == []
    finally:
        store.dispose()


def test_open_store_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    open_store(url).dispose()
    store = open_store(url)
    with store.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    store.dispose()
    assert (mode, fks) == ("wal", 1)
