"""scale: staging tables for commit ranges written by Dask workers

Revision ID: 0007_ingest_staging
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_ingest_staging"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

STAGED = ("ingest_staged_parts", "ingest_staged_commits", "ingest_staged_file_changes", "ingest_staged_coauthors")


def upgrade() -> None:
    op.create_table(
        "ingest_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_path", sa.Text(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_attempts")),
    )
    op.create_index(op.f("ix_ingest_attempts_repo_path"), "ingest_attempts", ["repo_path"], unique=False)
    op.create_table(
        "ingest_staged_parts",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("commits", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("attempt_id", "part", name=op.f("pk_ingest_staged_parts")),
    )
    op.create_table(
        "ingest_staged_commits",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("committer_id", sa.Integer(), nullable=False),
        sa.Column("authored_at", sa.BigInteger(), nullable=False),
        sa.Column("author_tz", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("is_merge", sa.Boolean(), nullable=False),
        sa.Column("is_boundary", sa.Boolean(), nullable=False),
        sa.Column("additions", sa.Integer(), nullable=False),
        sa.Column("deletions", sa.Integer(), nullable=False),
        sa.Column("files_changed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "ingest_staged_file_changes",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("old_path", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("additions", sa.Integer(), nullable=True),
        sa.Column("deletions", sa.Integer(), nullable=True),
        sa.Column("is_binary", sa.Boolean(), nullable=False),
        sa.Column("is_submodule", sa.Boolean(), nullable=False),
        sa.Column("is_excluded", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "ingest_staged_coauthors",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Staged rows need no crash safety (a lost attempt is re-read) and skip the WAL.
        # ingest_attempts stays logged: its ids must never be handed out twice.
        for name in STAGED:
            op.execute(f'ALTER TABLE "{name}" SET UNLOGGED')


def downgrade() -> None:
    for name in reversed(STAGED):
        op.drop_table(name)
    op.drop_index(op.f("ix_ingest_attempts_repo_path"), table_name="ingest_attempts")
    op.drop_table("ingest_attempts")
