"""Principle 2's transcript tables: a transcript per meeting occurrence, its
segments, and per-participant speaking figures.

One transcript per occurrence: re-importing replaces it (the rows cascade).
Segment times are integer milliseconds from the start of the recording, exact on
both SQLite and PostgreSQL; the speaker label is kept as written in the file so a
changed speaker map can be re-applied without the file.

``transcript_participants`` has one row per participant: a person (a mapped
speaker, or an attendee who never spoke, with zero seconds) or an unmapped
speaker label (``person_id`` NULL). Their seconds are the union of their own
segments; the transcript's ``speech_seconds`` is the sum over participants,
the denominator of a speaking share.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from .schema import metadata

transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("occurrence_id", Integer, ForeignKey("occurrences.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("format", String(16), nullable=False),  # vtt-voice, vtt-prefix, rttm
    Column("recording", Text),  # RTTM's file id
    Column("sha256", String(64), nullable=False),
    Column("segment_count", Integer, nullable=False, default=0),
    Column("duration_seconds", Float, nullable=False, default=0.0),  # first segment start to last segment end
    Column("speech_seconds", Float, nullable=False, default=0.0),
    Column("has_text", Boolean, nullable=False, default=False),  # words and names could be counted
    Column("imported_at", BigInteger, nullable=False),
)

transcript_segments = Table(
    "transcript_segments",
    metadata,
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("label", Text),  # as written; NULL for a caption with no speaker
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("text", Text),
    Column("line", Integer, nullable=False),
)

transcript_participants = Table(
    "transcript_participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="SET NULL")),
    Column("label", Text),  # the speaker label (the first one, if several map to this person); NULL for a silent attendee
    Column("speaking_seconds", Float, nullable=False, default=0.0),
    Column("turns", Integer, nullable=False, default=0),
    Column("words", Integer),  # NULL when the format has no text
    Column("addressed", Integer, nullable=False, default=0),
    Index("ix_transcript_participants_person_id", "person_id"),
)
