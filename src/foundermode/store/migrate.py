"""Alembic, driven from code: every command that opens the store migrates it first."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(store) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", store.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(store, revision: str = "heads") -> None:
    cfg = alembic_config(store)
    with store.engine.connect().execution_options(fm_write=True) as conn:
        if revision == "heads" and current_revisions(conn) == head_revisions(store):
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def downgrade(store, revision: str) -> None:
    cfg = alembic_config(store)
    with store.engine.connect().execution_options(fm_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def current_revisions(conn) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions(store) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(store)).get_heads())
