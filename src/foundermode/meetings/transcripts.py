"""Transcripts into the store, attached to meeting occurrences.

``import_transcripts`` is the library call behind ``foundermode ingest transcript``.
Every file is read and every occurrence and speaker resolved before anything is
written; then all of it lands in one transaction, or none of it does. A transcript
replaces whatever transcript its occurrence had, so re-importing is idempotent.

Speaker labels become people in this order:
1. the speaker map (``--speakers``): label -> email, name or 'Name <email>';
2. an attendee of the occurrence with that name (or email), or, for a one-word
   label such as Zoom's 'Ada', the one attendee with that first name;
3. a person already known by that exact name or email;
otherwise the label stays unmapped (its speech still counts in the meeting's
total) and the import says so, so that a map can be given.
"""
from __future__ import annotations

from ..errors import NotFound
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, or_, select

from ..config import Config
from ..sources.identities import IdentityResolver, find_person, identity_key
from ..sources.transcripts import SpeakerTarget, Transcript, TranscriptError, read_transcript
from ..store import Store, now
from ..store.schema import identities, people
from ..store.schema_meetings import attendance, meetings, occurrences
from ..store.schema_transcripts import transcript_participants, transcript_segments, transcripts
from .speaking import speaking_stats

DEFAULT_TOLERANCE_MINUTES = 30


class AttachError(NotFound):
    """No occurrence (or more than one) for a transcript."""


@dataclass
class ImportResult:
    path: str
    occurrence_id: int
    meeting: str
    start: int
    format: str
    segments: int
    speakers: int
    replaced: bool
    unmapped: list[str] = field(default_factory=list)


def parse_start(value: str) -> int:
    """ISO 8601 to epoch seconds; a time with no offset is taken as UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise AttachError(f"start '{value}' is not an ISO 8601 date-time (e.g. 2024-03-11T09:00 or 2024-03-11T09:00+01:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def find_occurrence(conn: Connection, occurrence_id: int | None = None, title: str | None = None, start: int | None = None, tolerance_minutes: int = DEFAULT_TOLERANCE_MINUTES) -> int:
    """An occurrence by id, or the one of the meeting titled ``title`` starting nearest ``start`` within the tolerance."""
    if occurrence_id is not None:
        if conn.execute(select(occurrences.c.id).where(occurrences.c.id == occurrence_id)).first() is None:
            raise AttachError(f"no meeting occurrence with id {occurrence_id}")
        return occurrence_id
    if not title or start is None:
        raise AttachError("give an occurrence id, or a meeting title and a start time")
    tolerance = tolerance_minutes * 60
    wanted = title.strip().casefold()
    title_of = func.lower(func.coalesce(occurrences.c.summary, meetings.c.summary))
    rows = conn.execute(
        select(occurrences.c.id, occurrences.c.start, func.coalesce(occurrences.c.summary, meetings.c.summary))
        .join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(or_(title_of == wanted, func.lower(meetings.c.summary) == wanted), occurrences.c.start.between(start - tolerance, start + tolerance))
    ).all()
    if not rows:
        near = conn.execute(
            select(occurrences.c.start)
            .join(meetings, meetings.c.id == occurrences.c.meeting_id)
            .where(or_(title_of == wanted, func.lower(meetings.c.summary) == wanted))
            .order_by(func.abs(occurrences.c.start - start))
            .limit(3)
        ).scalars().all()
        hint = f"; nearest: {', '.join(_iso(s) for s in near)}" if near else "; no meeting has that title"
        raise AttachError(f"no occurrence of '{title}' within {tolerance_minutes} min of {_iso(start)}{hint}")
    rows.sort(key=lambda r: abs(r[1] - start))
    if len(rows) > 1 and abs(rows[0][1] - start) == abs(rows[1][1] - start):
        raise AttachError(f"'{title}' at {_iso(start)} matches occurrences {rows[0][0]} and {rows[1][0]} equally; name the occurrence")
    return rows[0][0]


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Plan:
    transcript: Transcript
    sha256: str
    occurrence_id: int


def import_transcripts(
    store: Store,
    files: list[Path | str],
    config: Config | None = None,
    occurrence_ids: list[int] | None = None,
    title: str | None = None,
    starts: list[str | int] | None = None,
    speaker_map: dict[str, SpeakerTarget] | None = None,
    tolerance_minutes: int = DEFAULT_TOLERANCE_MINUTES,
) -> list[ImportResult]:
    """Read, attach and store transcripts: all of them, or none (raises TranscriptError or AttachError)."""
    config = config or Config()
    occurrence_ids = list(occurrence_ids or [])
    starts = list(starts or [])
    if occurrence_ids and (title or starts):
        raise AttachError("give occurrence ids, or a meeting title with start times, not both")
    wanted = len(occurrence_ids) if occurrence_ids else len(starts)
    if wanted != len(files):
        what = "occurrence id(s)" if occurrence_ids else "start time(s)"
        raise AttachError(f"{len(files)} transcript file(s) but {wanted} {what}; give one per file, in the same order")
    loaded = []
    for path in files:
        transcript = read_transcript(path)
        loaded.append((transcript, hashlib.sha256(Path(path).read_bytes()).hexdigest()))
    results: list[ImportResult] = []
    with store.write() as conn:
        plans = []
        for index, (transcript, digest) in enumerate(loaded):
            if occurrence_ids:
                occurrence = find_occurrence(conn, occurrence_id=occurrence_ids[index])
            else:
                start = starts[index] if isinstance(starts[index], int) else parse_start(str(starts[index]))
                occurrence = find_occurrence(conn, title=title, start=start, tolerance_minutes=tolerance_minutes)
            plans.append(_Plan(transcript, digest, occurrence))
        seen: dict[int, str] = {}
        for plan in plans:
            if plan.occurrence_id in seen:
                raise AttachError(f"{plan.transcript.path} and {seen[plan.occurrence_id]} both attach to occurrence {plan.occurrence_id}")
            seen[plan.occurrence_id] = plan.transcript.path
        resolver = IdentityResolver.from_config(conn, config)
        for plan in plans:
            results.append(_store_one(conn, plan, resolver, speaker_map or {}))
    return results


def _store_one(conn: Connection, plan: _Plan, resolver: IdentityResolver, speaker_map: dict[str, SpeakerTarget]) -> ImportResult:
    transcript = plan.transcript
    occurrence = conn.execute(
        select(occurrences.c.id, occurrences.c.start, func.coalesce(occurrences.c.summary, meetings.c.summary).label("title"))
        .join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(occurrences.c.id == plan.occurrence_id)
    ).one()
    attendees = {
        person_id: name
        for person_id, name in conn.execute(
            select(people.c.id, people.c.name)
            .join(attendance, attendance.c.person_id == people.c.id)
            .where(attendance.c.occurrence_id == plan.occurrence_id, attendance.c.response != "DECLINED")
        )
    }
    person_of: dict[str, int | None] = {label: _person_for_label(conn, label, attendees, resolver, speaker_map) for label in transcript.speakers}
    unmapped = [label for label, person in person_of.items() if person is None]
    # Participants are people where known, else the raw label, so two labels for one
    # person are one participant and their overlapping speech is counted once.
    key_of = {label: (("person", person) if person is not None else ("label", label)) for label, person in person_of.items()}
    names = {("person", pid): name for pid, name in attendees.items()}
    mapped_ids = [p for p in person_of.values() if p is not None and ("person", p) not in names]
    if mapped_ids:
        names.update({("person", pid): name for pid, name in conn.execute(select(people.c.id, people.c.name).where(people.c.id.in_(mapped_ids)))})
    for label in unmapped:
        names[("label", label)] = label
    stats = speaking_stats(
        [(key_of[s.speaker] if s.speaker is not None else None, s.start, s.end, s.text) for s in transcript.segments],
        names,
        has_text=transcript.has_text,
    )
    first_label: dict[tuple, str] = {}
    for label, key in key_of.items():
        first_label.setdefault(key, label)
    replaced = conn.execute(delete(transcripts).where(transcripts.c.occurrence_id == plan.occurrence_id)).rowcount > 0
    speech = sum(s.seconds for s in stats.values())
    transcript_id = conn.execute(
        insert(transcripts)
        .values(
            occurrence_id=plan.occurrence_id,
            path=str(Path(transcript.path).resolve()) if Path(transcript.path).exists() else transcript.path,
            format=transcript.format,
            recording=transcript.recording,
            sha256=plan.sha256,
            segment_count=len(transcript.segments),
            duration_seconds=transcript.duration,
            speech_seconds=speech,
            has_text=transcript.has_text,
            imported_at=now(),
        )
        .returning(transcripts.c.id)
    ).scalar_one()
    if transcript.segments:
        conn.execute(
            insert(transcript_segments),
            [
                {"transcript_id": transcript_id, "seq": seq, "label": s.speaker, "start_ms": round(s.start * 1000), "end_ms": round(s.end * 1000), "text": s.text, "line": s.line}
                for seq, s in enumerate(transcript.segments)
            ],
        )
    rows = [
        {
            "transcript_id": transcript_id,
            "person_id": key[1] if key[0] == "person" else None,
            "label": first_label.get(key),
            "speaking_seconds": stat.seconds,
            "turns": stat.turns,
            "words": stat.words,
            "addressed": stat.addressed,
        }
        for key, stat in stats.items()
    ]
    if rows:
        conn.execute(insert(transcript_participants), rows)
    return ImportResult(
        path=transcript.path,
        occurrence_id=plan.occurrence_id,
        meeting=occurrence.title,
        start=occurrence.start,
        format=transcript.format,
        segments=len(transcript.segments),
        speakers=len(transcript.speakers),
        replaced=replaced,
        unmapped=unmapped,
    )


def _person_for_label(conn, label: str, attendees: dict[int, str], resolver: IdentityResolver, speaker_map: dict[str, SpeakerTarget]) -> int | None:
    target = speaker_map.get(label)
    if target is not None:
        for query in (target.email, target.name):
            if query:
                try:
                    return find_person(conn, query)
                except LookupError:
                    pass
        return resolver.person_for(target.name or None, target.email or None, source="transcript")
    wanted = " ".join(label.split()).casefold()
    by_name = [pid for pid, name in attendees.items() if " ".join(name.split()).casefold() == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if "@" in label:
        row = conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", label))).first()
        if row:
            return row[0]
    if len(label.split()) == 1 and not by_name:
        by_first = [pid for pid, name in attendees.items() if name.split() and name.split()[0].casefold() == wanted]
        if len(by_first) == 1:
            return by_first[0]
    try:
        return find_person(conn, label)
    except LookupError:
        return None


def transcript_summary(conn: Connection, occurrence_id: int) -> list[dict]:
    """Per participant figures of an occurrence's transcript, most speaking first."""
    rows = conn.execute(
        select(
            transcript_participants.c.person_id,
            people.c.name,
            transcript_participants.c.label,
            transcript_participants.c.speaking_seconds,
            transcript_participants.c.turns,
            transcript_participants.c.words,
            transcript_participants.c.addressed,
            transcripts.c.speech_seconds,
        )
        .join(transcripts, transcripts.c.id == transcript_participants.c.transcript_id)
        .outerjoin(people, people.c.id == transcript_participants.c.person_id)
        .where(transcripts.c.occurrence_id == occurrence_id)
        .order_by(transcript_participants.c.speaking_seconds.desc(), transcript_participants.c.id)
    ).mappings().all()
    return [
        {
            "person_id": r["person_id"],
            "name": r["name"] or r["label"],
            "label": r["label"],
            "seconds": round(r["speaking_seconds"], 2),
            "share": round(r["speaking_seconds"] / r["speech_seconds"], 4) if r["speech_seconds"] else 0.0,
            "turns": r["turns"],
            "words": r["words"],
            "addressed": r["addressed"],
        }
        for r in rows
    ]


__all__ = ["AttachError", "ImportResult", "TranscriptError", "find_occurrence", "import_transcripts", "parse_start", "transcript_summary"]
