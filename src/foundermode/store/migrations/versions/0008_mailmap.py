"""foundation: the .mailmap a repository's commits were attributed under (its text)

Revision ID: 0008_mailmap
Revises: 0001_foundation

Empty after the upgrade: the next ingest of a repository that has a .mailmap
re-attributes its stored commits once under it (ingest.py: remap_people).
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_mailmap"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("repositories", sa.Column("mailmap", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE, not a batch: SQLite's batch mode copies the table and drops the
    # original, and with foreign keys on, dropping repositories deletes every commit.
    op.execute("ALTER TABLE repositories DROP COLUMN mailmap")
