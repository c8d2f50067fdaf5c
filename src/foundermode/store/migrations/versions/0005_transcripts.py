"""transcripts: transcripts per occurrence, segments, per-participant speaking figures

Revision ID: 0005_transcripts
Revises: 0004_meetings
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_transcripts"
down_revision = "0004_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("recording", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("segment_count", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("speech_seconds", sa.Float(), nullable=False),
        sa.Column("has_text", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["occurrence_id"], ["occurrences.id"], name=op.f("fk_transcripts_occurrence_id_occurrences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcripts")),
        sa.UniqueConstraint("occurrence_id", name=op.f("uq_transcripts_occurrence_id")),
    )
    op.create_table(
        "transcript_segments",
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], name=op.f("fk_transcript_segments_transcript_id_transcripts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("transcript_id", "seq", name=op.f("pk_transcript_segments")),
    )
    op.create_table(
        "transcript_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("speaking_seconds", sa.Float(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=True),
        sa.Column("addressed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], name=op.f("fk_transcript_participants_transcript_id_transcripts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_transcript_participants_person_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_participants")),
    )
    op.create_index(op.f("ix_transcript_participants_transcript_id"), "transcript_participants", ["transcript_id"], unique=False)
    op.create_index("ix_transcript_participants_person_id", "transcript_participants", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transcript_participants_person_id", table_name="transcript_participants")
    op.drop_index(op.f("ix_transcript_participants_transcript_id"), table_name="transcript_participants")
    op.drop_table("transcript_participants")
    op.drop_table("transcript_segments")
    op.drop_table("transcripts")
