"""sync: declared sources' state, files already taken in, scheduled jobs' last runs and locks

Revision ID: 0014_sync
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_sync"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("last_checked_at", sa.BigInteger()),
        sa.Column("last_changed_at", sa.BigInteger()),
        sa.Column("last_status", sa.String(16)),
        sa.Column("last_summary", sa.Text()),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_at", sa.BigInteger()),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("fingerprint", sa.Text()),
        sa.UniqueConstraint("kind", "location", name="uq_sync_sources_kind_location"),
    )
    op.create_table(
        "sync_seen",
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sync_sources.id", ondelete="CASCADE", name="fk_sync_seen_source_id_sync_sources"), primary_key=True),
        sa.Column("path", sa.Text(), primary_key=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.BigInteger()),
        sa.Column("finished_at", sa.BigInteger()),
        sa.Column("status", sa.String(16)),
        sa.Column("detail", sa.Text()),
        sa.Column("error", sa.Text()),
    )
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_locks")
    op.drop_table("job_runs")
    op.drop_table("sync_seen")
    op.drop_table("sync_sources")
