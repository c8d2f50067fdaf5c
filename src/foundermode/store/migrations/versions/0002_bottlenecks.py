"""bottlenecks: blocker reports, bottlenecks, escalations, events, API tokens

Revision ID: 0002_bottlenecks
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_bottlenecks"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bottlenecks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("escalated_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["merged_into_id"], ["bottlenecks.id"], name=op.f("fk_bottlenecks_merged_into_id_bottlenecks"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bottlenecks")),
    )
    op.create_index("ix_bottlenecks_status", "bottlenecks", ["status"], unique=False)

    op.create_table(
        "blocker_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bottleneck_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["bottleneck_id"], ["bottlenecks.id"], name=op.f("fk_blocker_reports_bottleneck_id_bottlenecks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_blocker_reports_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocker_reports")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_blocker_reports_source_external_id")),
    )
    op.create_index(op.f("ix_blocker_reports_bottleneck_id"), "blocker_reports", ["bottleneck_id"], unique=False)
    op.create_index(op.f("ix_blocker_reports_person_id"), "blocker_reports", ["person_id"], unique=False)

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bottleneck_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chain_name", sa.Text(), nullable=False),
        sa.Column("chain", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("call_uid", sa.Text(), nullable=True),
        sa.Column("call_start", sa.BigInteger(), nullable=True),
        sa.Column("call_end", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["bottleneck_id"], ["bottlenecks.id"], name=op.f("fk_escalations_bottleneck_id_bottlenecks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["people.id"], name=op.f("fk_escalations_acknowledged_by_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("bottleneck_id", "chain_name", name=op.f("uq_escalations_bottleneck_id_chain_name")),
    )
    op.create_index("ix_escalations_due", "escalations", ["status", "next_at"], unique=False)

    op.create_table(
        "bottleneck_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bottleneck_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["bottleneck_id"], ["bottlenecks.id"], name=op.f("fk_bottleneck_events_bottleneck_id_bottlenecks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"], name=op.f("fk_bottleneck_events_escalation_id_escalations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["blocker_reports.id"], name=op.f("fk_bottleneck_events_report_id_blocker_reports"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_bottleneck_events_person_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bottleneck_events")),
    )
    op.create_index(op.f("ix_bottleneck_events_bottleneck_id"), "bottleneck_events", ["bottleneck_id"], unique=False)
    op.create_index("ix_bottleneck_events_kind_at", "bottleneck_events", ["kind", "at"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_api_tokens_person_id_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_person_id"), "api_tokens", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("bottleneck_events")
    op.drop_table("escalations")
    op.drop_table("blocker_reports")
    op.drop_table("bottlenecks")
