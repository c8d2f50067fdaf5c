"""meetings: calendar series, occurrences, attendance, imported calendars

Revision ID: 0004_meetings
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_meetings"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=True),
        sa.Column("is_recurring", sa.Boolean(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("tzid", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["organizer_id"], ["people.id"], name=op.f("fk_meetings_organizer_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("uid", name=op.f("uq_meetings_uid")),
    )
    op.create_index(op.f("ix_meetings_organizer_id"), "meetings", ["organizer_id"], unique=False)

    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("recurrence_id", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("transparent", sa.Boolean(), nullable=False),
        sa.Column("is_moved", sa.Boolean(), nullable=False),
        sa.Column("attendee_count", sa.Integer(), nullable=False),
        sa.Column("is_meeting", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_occurrences_meeting_id_meetings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
        sa.UniqueConstraint("meeting_id", "recurrence_id", name=op.f("uq_occurrences_meeting_id_recurrence_id")),
    )
    op.create_index("ix_occurrences_start", "occurrences", ["start"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("is_organizer", sa.Boolean(), nullable=False),
        sa.Column("is_optional", sa.Boolean(), nullable=False),
        sa.Column("from_own_calendar", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["occurrence_id"], ["occurrences.id"], name=op.f("fk_attendance_occurrence_id_occurrences"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_attendance_person_id_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("occurrence_id", "person_id", name=op.f("pk_attendance")),
    )
    op.create_index("ix_attendance_person_id", "attendance", ["person_id"], unique=False)

    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("window_start", sa.BigInteger(), nullable=True),
        sa.Column("window_end", sa.BigInteger(), nullable=True),
        sa.Column("occurrence_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_calendars_person_id_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
        sa.UniqueConstraint("key", name=op.f("uq_calendars_key")),
    )
    op.create_index(op.f("ix_calendars_person_id"), "calendars", ["person_id"], unique=False)

    op.create_table(
        "calendar_occurrences",
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["calendar_id"], ["calendars.id"], name=op.f("fk_calendar_occurrences_calendar_id_calendars"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["occurrence_id"], ["occurrences.id"], name=op.f("fk_calendar_occurrences_occurrence_id_occurrences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("calendar_id", "occurrence_id", name=op.f("pk_calendar_occurrences")),
    )
    op.create_index("ix_calendar_occurrences_occurrence_id", "calendar_occurrences", ["occurrence_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_calendar_occurrences_occurrence_id", table_name="calendar_occurrences")
    op.drop_table("calendar_occurrences")
    op.drop_index(op.f("ix_calendars_person_id"), table_name="calendars")
    op.drop_table("calendars")
    op.drop_index("ix_attendance_person_id", table_name="attendance")
    op.drop_table("attendance")
    op.drop_index("ix_occurrences_start", table_name="occurrences")
    op.drop_table("occurrences")
    op.drop_index(op.f("ix_meetings_organizer_id"), table_name="meetings")
    op.drop_table("meetings")
