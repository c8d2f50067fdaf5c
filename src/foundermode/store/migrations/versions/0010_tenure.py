"""people: tenure from the org chart (start_date, end_date) and the record of merges (people split)

Revision ID: 0010_tenure
Revises: 0001_foundation

Both dates start empty: tenure is then derived from activity (people.py) until
an org chart or leavers CSV with start_date/end_date is imported.
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_tenure"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("start_date", sa.BigInteger(), nullable=True))
    op.add_column("people", sa.Column("end_date", sa.BigInteger(), nullable=True))
    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=True),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_name", sa.Text(), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("merged_at", sa.BigInteger(), nullable=False),
        sa.Column("split_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["kept_id"], ["people.id"], name=op.f("fk_person_merges_kept_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    op.create_index(op.f("ix_person_merges_kept_id"), "person_merges", ["kept_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_person_merges_kept_id"), table_name="person_merges")
    op.drop_table("person_merges")
    # ALTER TABLE, not a batch: SQLite's batch mode copies people and drops the original,
    # and with foreign keys on that would delete every identity.
    op.execute("ALTER TABLE people DROP COLUMN end_date")
    op.execute("ALTER TABLE people DROP COLUMN start_date")
