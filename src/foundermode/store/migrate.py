"""Alembic, driven from code: every command that opens the store migrates it first.

Importing Alembic costs half a second, more than an incremental ingest with
nothing new; so the up-to-date check reads the revision ids straight from the
migration files and the ``alembic_version`` table, and Alembic is loaded only
when there is something to migrate. A brand-new store (no foundermode table at
all) is created straight from the tables' metadata and stamped with the heads:
replaying every migration would cost more than ingesting a small repository,
and tests/test_migrations.py proves both roads give the same schema.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from .schema import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)


def alembic_config(store):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", store.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def declared_heads() -> frozenset[str]:
    """Head revisions, read from the migration files without importing Alembic."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if not found:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - parents)


def stored_revisions(conn) -> set[str] | None:
    try:
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # no table yet: a new store
        return None


def upgrade(store, revision: str = "heads", new_store_from_metadata: bool = True) -> None:
    with store.engine.connect().execution_options(fm_write=True) as conn:
        if revision == "heads":
            with conn.begin_nested() if conn.in_transaction() else conn.begin():
                stored = stored_revisions(conn)
            if stored == set(declared_heads()):
                return
            if stored is None and new_store_from_metadata and create_new_store(store, conn):
                return
        from alembic import command

        cfg = alembic_config(store)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def create_new_store(store, conn) -> bool:
    """Create every table of an empty database and stamp it at the heads, in one transaction.

    Returns False, touching nothing, when any foundermode table or a version
    table is already there (a half-migrated or foreign store goes through Alembic).
    """
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect

    with conn.begin():
        if not store.is_sqlite:
            # Two processes opening one new PostgreSQL store at once: the second waits here,
            # then sees the first one's tables and leaves them alone.
            conn.execute(text("SELECT pg_advisory_xact_lock(7302651)"))
        present = set(inspect(conn).get_table_names())
        if "alembic_version" in present or present & set(metadata.tables):
            return False
        metadata.create_all(conn)
        version = Table(
            "alembic_version", MetaData(),
            Column("version_num", String(32), nullable=False),
            PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),  # as Alembic names it
        )
        version.create(conn)
        conn.execute(version.insert(), [{"version_num": head} for head in sorted(declared_heads())])
    return True


def downgrade(store, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(store)
    with store.engine.connect().execution_options(fm_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def current_revisions(conn) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions(store) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(store)).get_heads())
