"""Walk-out suggestions: recurring meetings a person could skip, with the evidence.

For each recurring series, take its last K occurrences that have a transcript
(default 3). An attendee is a candidate when they were invited to all K (and did
not decline), are not the organizer, spoke under a share of the speech in those
occurrences (default 5 %), and nobody addressed them by name. The suggestion is
written to the person, as an option they have, never as a verdict on them: the
numbers are the evidence and the decision is theirs.

Transcripts without text (RTTM) say how long someone spoke but not whether they
were named; such occurrences still count for speaking time, and the suggestion
says that mentions could not be checked in them.

Settings come from ``[meetings]`` in foundermode.toml:
``walkout_occurrences`` (K) and ``walkout_max_share`` (a fraction, 0.05 = 5 %).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ..config import Config
from ..settings import default
from ..store import now
from ..store.schema import people
from ..store.schema_meetings import attendance, meetings, occurrences
from ..store.schema_transcripts import transcript_participants, transcripts

DEFAULT_OCCURRENCES = default("meetings", "walkout_occurrences")
DEFAULT_MAX_SHARE = default("meetings", "walkout_max_share")
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class WalkoutSettings:
    occurrences: int = DEFAULT_OCCURRENCES
    max_share: float = DEFAULT_MAX_SHARE

    @classmethod
    def from_config(cls, config) -> "WalkoutSettings":
        """[meetings] walkout_* as the settings schema checked them."""
        section = (config or Config()).settings.meetings
        return cls(occurrences=section.walkout_occurrences, max_share=section.walkout_max_share)


@dataclass
class WalkoutSuggestion:
    person_id: int
    person: str
    email: str | None
    meeting_id: int
    meeting: str
    organizer: str | None
    occurrences: int  # how many transcribed occurrences the evidence covers
    first: int  # start of the first and last of them (epoch seconds)
    last: int
    seconds_spoken: float
    speech_seconds: float  # everyone's speech in those occurrences
    share: float
    meeting_seconds: int  # scheduled length of those occurrences together
    addressed: int
    mentions_checked: int  # of the occurrences, how many had text to look for names in
    hours_per_month: float | None  # time skipping would free: the calendar's occurrences in the next 4 weeks, per month
    suggestion: str


def walkout_suggestions(conn: Connection, settings: WalkoutSettings | None = None, as_of: int | None = None, person_id: int | None = None) -> list[WalkoutSuggestion]:
    settings = settings or WalkoutSettings()
    as_of = now() if as_of is None else as_of
    series = conn.execute(
        select(meetings.c.id, meetings.c.summary, meetings.c.organizer_id, people.c.name)
        .outerjoin(people, people.c.id == meetings.c.organizer_id)
        .where(meetings.c.is_recurring == True)  # noqa: E712
        .where(meetings.c.id.in_(select(occurrences.c.meeting_id).join(transcripts, transcripts.c.occurrence_id == occurrences.c.id)))
        .order_by(meetings.c.summary, meetings.c.id)
    ).all()
    out: list[WalkoutSuggestion] = []
    for meeting_id, title, organizer_id, organizer_name in series:
        out.extend(_series_suggestions(conn, settings, as_of, meeting_id, title, organizer_id, organizer_name, person_id))
    out.sort(key=lambda s: (-(s.hours_per_month or 0), s.share, s.person, s.meeting))
    return out


def _series_suggestions(conn, settings, as_of, meeting_id, title, organizer_id, organizer_name, only_person):
    recent = conn.execute(
        select(occurrences.c.id, occurrences.c.start, occurrences.c.end, transcripts.c.id.label("transcript_id"), transcripts.c.speech_seconds, transcripts.c.has_text)
        .join(transcripts, transcripts.c.occurrence_id == occurrences.c.id)
        .where(occurrences.c.meeting_id == meeting_id, occurrences.c.start <= as_of)
        .order_by(occurrences.c.start.desc())
        .limit(settings.occurrences)
    ).mappings().all()
    if len(recent) < settings.occurrences:
        return []
    occurrence_ids = [r["id"] for r in recent]
    speech = sum(r["speech_seconds"] for r in recent)
    scheduled = sum(r["end"] - r["start"] for r in recent)
    with_text = sum(1 for r in recent if r["has_text"])
    invited: dict[int, int] = {}
    organizers = {organizer_id} if organizer_id is not None else set()
    for occurrence_id, pid, response, is_organizer in conn.execute(
        select(attendance.c.occurrence_id, attendance.c.person_id, attendance.c.response, attendance.c.is_organizer).where(attendance.c.occurrence_id.in_(occurrence_ids))
    ):
        if is_organizer:
            organizers.add(pid)
        if response != "DECLINED":
            invited[pid] = invited.get(pid, 0) + 1
    candidates = [pid for pid, count in invited.items() if count == len(recent) and pid not in organizers and (only_person is None or pid == only_person)]
    if not candidates:
        return []
    spoken: dict[int, list[float]] = {}
    for pid, seconds, addressed in conn.execute(
        select(transcript_participants.c.person_id, transcript_participants.c.speaking_seconds, transcript_participants.c.addressed).where(
            transcript_participants.c.transcript_id.in_([r["transcript_id"] for r in recent]), transcript_participants.c.person_id.in_(candidates)
        )
    ):
        totals = spoken.setdefault(pid, [0.0, 0])
        totals[0] += seconds
        totals[1] += addressed
    per_month = _hours_per_month(conn, meeting_id, as_of)
    info = {pid: (name, email, is_bot) for pid, name, email, is_bot in conn.execute(select(people.c.id, people.c.name, people.c.email, people.c.is_bot).where(people.c.id.in_(candidates)))}
    suggestions = []
    for pid in candidates:
        seconds, addressed = spoken.get(pid, [0.0, 0])
        share = seconds / speech if speech else 0.0
        if addressed or share >= settings.max_share or info[pid][2]:
            continue
        name, email, _bot = info[pid]
        suggestions.append(
            WalkoutSuggestion(
                person_id=pid,
                person=name,
                email=email,
                meeting_id=meeting_id,
                meeting=title,
                organizer=organizer_name,
                occurrences=len(recent),
                first=recent[-1]["start"],
                last=recent[0]["start"],
                seconds_spoken=round(seconds, 2),
                speech_seconds=round(speech, 2),
                share=round(share, 4),
                meeting_seconds=scheduled,
                addressed=int(addressed),
                mentions_checked=with_text,
                hours_per_month=per_month,
                suggestion=_wording(title, len(recent), seconds, scheduled, with_text, per_month),
            )
        )
    return suggestions


FOUR_WEEKS = 28 * 86400


def _hours_per_month(conn, meeting_id: int, as_of: int) -> float | None:
    """The calendar's own occurrences in the next 4 weeks, each for its own length, as hours a month.

    Counting what the calendar holds (holidays, moved and cancelled occurrences
    already out) rather than a cadence guessed from gaps: a weekday stand-up has
    a median gap of one day, which made it 30 a month instead of about 21.7.
    When the imported window ends before the next 4 weeks, the last 4 weeks stand in.
    """
    def hours_between(start: int, end: int) -> tuple[int, int]:
        rows = conn.execute(
            select(occurrences.c.start, occurrences.c.end).where(occurrences.c.meeting_id == meeting_id, occurrences.c.start >= start, occurrences.c.start < end)
        ).all()
        return len(rows), sum(max(0, e - s) for s, e in rows)

    count, seconds = hours_between(as_of, as_of + FOUR_WEEKS)
    if not count:
        count, seconds = hours_between(as_of - FOUR_WEEKS, as_of)
    if not count:
        return None
    return round(seconds / 3600 * DAYS_PER_MONTH * 86400 / FOUR_WEEKS, 1)


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    hours = seconds / 3600
    return f"{hours:.0f} h" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f} h"


def _wording(title: str, count: int, seconds: float, scheduled: int, with_text: int, per_month: float | None) -> str:
    spoke = f"you did not speak in {duration_text(scheduled)}" if seconds < 0.5 else f"you spoke {duration_text(seconds)} of {duration_text(scheduled)}"
    if with_text == count:
        named = "nobody addressed you by name"
    elif with_text:
        named = f"nobody addressed you by name in the {with_text} with text (the others could not be checked)"
    else:
        named = "(these transcripts have no text, so mentions of your name could not be checked)"
    joiner = " and " if with_text else " "
    free = f"; skipping would free {duration_text(per_month * 3600)} a month" if per_month else ""
    return f"You could skip '{title}': over the last {count} occurrences {spoke}{joiner}{named}{free}."
