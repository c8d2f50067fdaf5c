"""A folder of recordings' transcripts, attached without being told where each belongs.

Recorders name their files after the meeting and when it started: Zoom's local
recordings live in ``2024-03-11 09.00.00 Weekly sync 81234567890/``, its cloud
ones are ``GMT20240311-090000_Recording.transcript.vtt`` (UTC), Teams and most
scripts write ``Weekly sync-20240311_090000.vtt`` or ``2024-03-11T0900 Weekly
sync.vtt``. ``guess_meeting`` reads a title and a start from the file's name
(then its folder's); with no time in either, the start is the file's
modification time less the recording's length (a recorder writes the file when
the meeting ends).

``attach`` then finds the occurrence: among those starting within the tolerance,
the one whose title shares the most words with the guessed title (any of them
when the name gave no title), the nearest in time breaking ties. A transcript
that matches nothing becomes its own occurrence (a meeting whose source is
"transcript"), so a recording of an unscheduled call is kept, not refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from ..sources.calendar import zone_for
from ..sources.transcripts import Transcript
from ..store import now as clock_now
from ..store.schema_meetings import meetings, occurrences
from .transcripts import DEFAULT_TOLERANCE_MINUTES

TRANSCRIPT_SUFFIXES = (".vtt", ".rttm")
_STAMP = re.compile(
    r"(?P<gmt>GMT)?(?P<y>20\d\d)-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)"
    r"(?:[T _.-]*(?P<H>[0-2]\d)[:.h-]?(?P<M>[0-5]\d)(?:[:.-]?(?P<S>[0-5]\d))?)?",
    re.IGNORECASE,
)
# What recorders add to a name that is not the meeting's title.
_NOISE = {"recording", "recordings", "transcript", "transcription", "meeting", "audio", "video", "captions", "caption", "closed", "saved", "gmt", "vtt", "rttm", "zoom", "teams"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Guess:
    title: str | None
    start: int
    from_name: bool  # False: the start is the file's time less its length


def transcript_files(folder: Path) -> list[Path]:
    """Transcripts under ``folder`` (recursively, hidden folders skipped), sorted."""
    return sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in TRANSCRIPT_SUFFIXES and p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _title_from(text: str) -> str | None:
    words = [w for w in _WORD.findall(text) if w.casefold() not in _NOISE and not (w.isdigit() and len(w) >= 6)]
    return " ".join(words) or None


def _stamp_in(text: str, zone) -> tuple[int | None, str]:
    """(start, the text without the time stamp) for the first stamp in ``text``."""
    match = _STAMP.search(text)
    if not match:
        return None, text
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "gmt"}
    try:
        moment = dt.datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0))
    except ValueError:
        return None, text
    if match.group("H") is None:
        return None, text  # a day alone does not say which meeting
    moment = moment.replace(tzinfo=dt.timezone.utc if match.group("gmt") else zone)
    return int(moment.timestamp()), text[: match.start()] + " " + text[match.end():]


def guess_meeting(path: Path, transcript: Transcript, root: Path, timezone: str = "UTC") -> Guess:
    zone = zone_for(timezone) or dt.timezone.utc
    # "Weekly sync 2024-03-11 09.00.transcript.en.vtt": only the trailing words that are not the name go.
    names = [re.sub(r"(\.(transcript|captions?|[a-z]{2}(-[a-z]{2})?))+$", "", path.name[: -len(path.suffix)], flags=re.IGNORECASE)]
    if path.parent != root:
        names.append(path.parent.name)
    start, title = None, None
    for name in names:
        found, rest = _stamp_in(name, zone)
        title = title or _title_from(rest)
        if found is not None and start is None:
            start = found
        if start is not None and title:
            break
    if start is not None:
        return Guess(title, start, True)
    return Guess(title, int(path.stat().st_mtime - transcript.duration), False)


def _words(text: str | None) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text or "")}


def title_similarity(a: str | None, b: str | None) -> float:
    """Shared words over the shorter title's words: 'planning platform' is 'Platform planning'."""
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def match_occurrence(conn: Connection, guess: Guess, tolerance_minutes: int = DEFAULT_TOLERANCE_MINUTES) -> int | None:
    tolerance = tolerance_minutes * 60
    rows = conn.execute(
        select(occurrences.c.id, occurrences.c.start, func.coalesce(occurrences.c.summary, meetings.c.summary))
        .join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(occurrences.c.start.between(guess.start - tolerance, guess.start + tolerance))
    ).all()
    scored = []
    for occurrence_id, start, title in rows:
        similarity = title_similarity(guess.title, title) if guess.title else 1.0
        if similarity >= 0.5:
            scored.append((-similarity, abs(start - guess.start), occurrence_id))
    return min(scored)[2] if scored else None


def own_occurrence(conn: Connection, path: Path, guess: Guess, transcript: Transcript, digest: str) -> int:
    """A meeting of one occurrence for a recording no calendar shows."""
    at = clock_now()
    title = guess.title or path.stem
    uid = f"transcript:{digest[:32]}"
    meeting_id = conn.execute(select(meetings.c.id).where(meetings.c.uid == uid)).scalar()
    if meeting_id is None:
        meeting_id = conn.execute(
            insert(meetings).values(uid=uid, summary=title, is_recurring=False, source="transcript", created_at=at, updated_at=at).returning(meetings.c.id)
        ).scalar_one()
    existing = conn.execute(select(occurrences.c.id).where(occurrences.c.meeting_id == meeting_id)).scalar()
    if existing is not None:
        return existing
    speakers = len(transcript.speakers)
    return conn.execute(
        insert(occurrences).values(
            meeting_id=meeting_id, recurrence_id="", start=guess.start, end=guess.start + max(60, int(round(transcript.duration))),
            all_day=False, status="CONFIRMED", transparent=False, is_moved=False,
            attendee_count=speakers, is_meeting=speakers >= 2, updated_at=at,
        ).returning(occurrences.c.id)
    ).scalar_one()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
