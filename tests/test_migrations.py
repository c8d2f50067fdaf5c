"""Alembic migrations: from empty, from each previous revision, and in step with the tables."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from foundermode.store import make_engine, metadata, open_store, Store
from foundermode.store.migrate import alembic_config, current_revisions, declared_heads, downgrade, head_revisions, upgrade


def schema_differences(store) -> list:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, metadata)
    # SQLite reflects no index/constraint names on some objects; only missing or extra tables/columns matter.
    return [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "remove_table", "add_column", "remove_column")]


def test_upgrade_from_empty_matches_the_tables(store_url):
    store = Store(make_engine(store_url))
    upgrade(store, new_store_from_metadata=False)
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


def index_condition(conn, name: str) -> str | None:
    """A partial index's WHERE, as the database spells it back."""
    if conn.dialect.name == "sqlite":
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"), {"n": name}).scalar() or ""
    else:
        sql = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}).scalar() or ""
    where = sql.upper().rpartition(" WHERE ")
    return " ".join(where[2].split()) if where[1] else None


def reflected_schema(store) -> dict:
    """Every table with its columns, types, nullability, keys and indexes, as the database reports them."""
    with store.engine.connect() as conn:
        inspector = inspect(conn)
        schema = {}
        for table in sorted(inspector.get_table_names()):
            schema[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
                     (fk.get("options") or {}).get("ondelete"))
                    for fk in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]), index_condition(conn, ix["name"])) for ix in inspector.get_indexes(table)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            }
        return schema


def test_a_new_store_from_the_tables_equals_one_built_by_every_migration(store_url):
    """open_store creates a brand-new store from the metadata in one step (fast); it must be
    exactly the store the migrations build, or later migrations would meet a different schema."""
    store = Store(make_engine(store_url))
    try:
        upgrade(store, new_store_from_metadata=False)
        migrated = reflected_schema(store)
        downgrade(store, "base")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        assert reflected_schema(store) == {}

        upgrade(store)  # the new-store road
        created = reflected_schema(store)
        with store.engine.connect() as conn:
            assert current_revisions(conn) == head_revisions(store) == set(declared_heads())
        assert created == migrated
        assert set(metadata.tables) <= set(created)
        flagged = [ix for ix in created["file_changes"]["indexes"] if ix[0] == "ix_file_changes_excluded"]
        assert flagged and "IS_EXCLUDED" in flagged[0][3]  # partial on both roads, not merely alike
        upgrade(store)  # nothing left to do, and Alembic agrees
        assert reflected_schema(store) == migrated
    finally:
        store.dispose()


def test_a_store_with_tables_but_no_version_is_not_recreated(tmp_path):
    """A database that already holds foundermode tables without a version goes through Alembic, untouched by the fast road."""
    from foundermode.store.migrate import create_new_store

    store = Store(make_engine(f"sqlite:///{tmp_path / 'odd.db'}"))
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
            conn.exec_driver_sql("INSERT INTO people (name) VALUES ('kept')")
        with store.engine.connect() as conn:
            assert create_new_store(store, conn) is False
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM people").scalars().all() == ["kept"]
            assert "alembic_version" not in inspect(conn).get_table_names()
    finally:
        store.dispose()


def test_leaving_the_mailmap_revision_keeps_every_commit(store_url, repo):
    """Dropping the repositories column must not recreate the table: on SQLite, with foreign
    keys on, dropping the old repositories table would delete every commit through the cascade."""
    from foundermode.ingest import ingest_repository

    repo.commit({"a.txt": "a\n"}, "one")
    repo.commit({"b.txt": "b\n"}, "two")
    store = open_store(store_url)
    try:
        ingest_repository(store, repo.path)
        downgrade(store, "0008_mailmap-1")
        with store.engine.connect() as conn:
            assert "0008_mailmap" not in current_revisions(conn)
            assert "mailmap" not in {c["name"] for c in inspect(conn).get_columns("repositories")}
            assert conn.execute(text("SELECT count(*) FROM commits")).scalar_one() == 2
            assert conn.execute(text("SELECT count(*) FROM file_changes")).scalar_one() == 2
        upgrade(store)
        with store.engine.connect() as conn:
            assert current_revisions(conn) == head_revisions(store)
            assert conn.execute(text("SELECT count(*) FROM commits")).scalar_one() == 2
    finally:
        store.dispose()
