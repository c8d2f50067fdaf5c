"""Principle 2's calendar tables: meetings (series), their occurrences, who attends.

A meeting is one iCalendar UID: a recurring series or a one-off event. Each
occurrence inside an import window is one row, keyed by the meeting and its
recurrence id, so the same meeting seen in several people's exports is stored
once. ``recurrence_id`` is the occurrence's original start in UTC
(``20240311T090000Z``), or the date for all-day events (``20240311``), and ''
for a one-off event: an empty string, not NULL, so the unique key holds on
both SQLite and PostgreSQL.

Cancelled occurrences are not stored. Declined attendees are stored (with
their response) but not counted in ``attendee_count``. All-day events and
events with fewer than two counted attendees are stored but are not meetings
for the metrics (``is_meeting`` says which).

``calendars`` are the imported exports (one per person, usually);
``calendar_occurrences`` says which export showed which occurrence: a person's
own export tells us they attend, and a re-import of a changed export removes
only what that export no longer shows.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .schema import metadata

meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", Text, nullable=False, unique=True),
    Column("summary", Text, nullable=False, default=""),
    Column("organizer_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("is_recurring", Boolean, nullable=False, default=False),
    Column("rrule", Text),  # the series' RRULE as written, for display
    Column("tzid", Text),  # the time zone the series is written in
    Column("source", String(16), nullable=False, default="calendar"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

occurrences = Table(
    "occurrences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
    Column("recurrence_id", Text, nullable=False, default=""),
    Column("summary", Text),  # set when a moved instance was renamed; else the meeting's
    Column("start", BigInteger, nullable=False),  # UTC epoch seconds
    Column("end", BigInteger, nullable=False),
    Column("all_day", Boolean, nullable=False, default=False),
    Column("status", String(16)),  # CONFIRMED, TENTATIVE or NULL (cancelled ones are not stored)
    Column("transparent", Boolean, nullable=False, default=False),  # TRANSP:TRANSPARENT, shows as free
    Column("is_moved", Boolean, nullable=False, default=False),  # an edited instance (RECURRENCE-ID)
    Column("attendee_count", Integer, nullable=False, default=0),  # attendees who did not decline
    # Not all-day and at least two counted attendees: what the meeting metrics count.
    Column("is_meeting", Boolean, nullable=False, default=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("meeting_id", "recurrence_id"),
    Index("ix_occurrences_start", "start"),
)

attendance = Table(
    "attendance",
    metadata,
    Column("occurrence_id", Integer, ForeignKey("occurrences.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    # ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION, DELEGATED (iCalendar PARTSTAT)
    Column("response", String(16), nullable=False, default="NEEDS-ACTION"),
    Column("is_organizer", Boolean, nullable=False, default=False),
    Column("is_optional", Boolean, nullable=False, default=False),  # ROLE=OPT-PARTICIPANT
    # The occurrence was in this person's own export: their response there is authoritative.
    Column("from_own_calendar", Boolean, nullable=False, default=False),
    Index("ix_attendance_person_id", "person_id"),
)

calendars = Table(
    "calendars",
    metadata,
    Column("id", Integer, primary_key=True),
    # Owner's normalised email when known, else the export's resolved path.
    Column("key", Text, nullable=False, unique=True),
    Column("name", Text),  # X-WR-CALNAME
    Column("person_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("path", Text, nullable=False),
    Column("timezone", Text),  # X-WR-TIMEZONE: the owner's zone, for focus time
    Column("window_start", BigInteger),
    Column("window_end", BigInteger),
    Column("occurrence_count", Integer, nullable=False, default=0),
    Column("imported_at", BigInteger, nullable=False),
)

calendar_occurrences = Table(
    "calendar_occurrences",
    metadata,
    Column("calendar_id", Integer, ForeignKey("calendars.id", ondelete="CASCADE"), primary_key=True),
    Column("occurrence_id", Integer, ForeignKey("occurrences.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_calendar_occurrences_occurrence_id", "occurrence_id"),
)
