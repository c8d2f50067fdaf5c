"""person indexes: commits.committer_id, which every deletion of a person checks (people merge)

Revision ID: 0017_person_indexes
Revises: 0001_foundation
"""
from alembic import op


revision = "0017_person_indexes"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_commits_committer", "commits", ["committer_id"])


def downgrade() -> None:
    op.drop_index("ix_commits_committer", table_name="commits")
