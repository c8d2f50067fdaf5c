"""team aggregates: per-repository whole-history summaries (authorship, changes per path) and two indexes

Revision ID: 0006_team_aggregates
Revises: 0005_transcripts

The summaries start empty: the first ingest, ``foundermode rules`` or report
after the upgrade computes them (team/summary.py).
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_team_aggregates"
down_revision = "0005_transcripts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_summaries",
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.Text(), nullable=False),
        sa.Column("patterns", sa.Text(), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=True),
        sa.Column("authorship_error", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repositories.id"], name=op.f("fk_team_summaries_repo_id_repositories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("repo_id", name=op.f("pk_team_summaries")),
    )
    op.create_table(
        "team_path_changes",
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repositories.id"], name=op.f("fk_team_path_changes_repo_id_repositories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("repo_id", "path", name=op.f("pk_team_path_changes")),
    )
    op.create_table(
        "team_file_authors",
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repositories.id"], name=op.f("fk_team_file_authors_repo_id_repositories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("repo_id", "path", name=op.f("pk_team_file_authors")),
    )
    op.create_index("ix_commits_author_counted", "commits", ["author_id", "is_merge", "is_boundary", "authored_at", "repo_id", "additions", "deletions"], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # see store/schema_team.py
        op.create_index("ix_commits_authored_at", "commits", ["authored_at"], unique=False)
    op.create_index(
        "ix_file_changes_excluded",
        "file_changes",
        ["commit_id"],
        unique=False,
        sqlite_where=sa.text("is_excluded = 1"),
        postgresql_where=sa.text("is_excluded = true"),
    )


def downgrade() -> None:
    op.drop_index("ix_file_changes_excluded", table_name="file_changes")
    op.drop_index("ix_commits_author_counted", table_name="commits")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_commits_authored_at", table_name="commits")
    op.drop_table("team_file_authors")
    op.drop_table("team_path_changes")
    op.drop_table("team_summaries")
