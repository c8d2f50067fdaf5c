"""heard: where a report was heard (typed, Slack, meeting, stand-up, ticket), statements
waiting for confirmation, and the Slack events already taken

Revision ID: 0016_heard
Revises: 0002_bottlenecks
"""
from alembic import op
import sqlalchemy as sa


revision = "0016_heard"
down_revision = "0002_bottlenecks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("blocker_reports", sa.Column("heard_in", sa.String(length=16), nullable=False, server_default="typed"))
    op.add_column("blocker_reports", sa.Column("heard_where", sa.Text(), nullable=True))
    op.add_column("blocker_reports", sa.Column("heard_link", sa.Text(), nullable=True))
    op.add_column("blocker_reports", sa.Column("confidence", sa.Float(), nullable=True))
    op.create_table(
        "heard_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("heard_in", sa.String(length=16), nullable=False),
        sa.Column("heard_where", sa.Text(), nullable=True),
        sa.Column("heard_link", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("said_at", sa.BigInteger(), nullable=False),
        sa.Column("heard_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_heard_statements_person_id_people"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by"], ["people.id"], name=op.f("fk_heard_statements_decided_by_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["report_id"], ["blocker_reports.id"], name=op.f("fk_heard_statements_report_id_blocker_reports"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heard_statements")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_heard_statements_source_external_id")),
    )
    op.create_index(op.f("ix_heard_statements_person_id"), "heard_statements", ["person_id"], unique=False)
    op.create_index("ix_heard_statements_status", "heard_statements", ["status"], unique=False)
    op.create_table(
        "slack_events_seen",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_events_seen")),
    )


def downgrade() -> None:
    op.drop_table("slack_events_seen")
    op.drop_index("ix_heard_statements_status", table_name="heard_statements")
    op.drop_index(op.f("ix_heard_statements_person_id"), table_name="heard_statements")
    op.drop_table("heard_statements")
    # ALTER TABLE, not a batch: a batch copies blocker_reports and drops the original,
    # and with foreign keys on that would take the reports' events with it.
    for column in ("confidence", "heard_link", "heard_where", "heard_in"):
        op.execute(f"ALTER TABLE blocker_reports DROP COLUMN {column}")
