"""Helpers for transcript and walk-out tests: meeting series written straight into
the calendar tables, and WebVTT written from an AMI meeting's real turn-taking."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from sqlalchemy import insert

from foundermode.config import Config
from foundermode.sources.identities import IdentityResolver
from foundermode.store import now
from foundermode.store.schema_meetings import attendance, meetings, occurrences

WEEK = 7 * 86400


def add_people(conn, people: dict[str, str]) -> dict[str, int]:
    """name -> email, to person ids through the identity resolver."""
    resolver = IdentityResolver.from_config(conn, Config())
    return {name: resolver.person_for(name, email, source="calendar") for name, email in people.items()}


def add_series(conn, title: str, first_start: int, count: int, attendees: dict[int, str], organizer: int | None, every: int = WEEK, length: int = 3600, uid: str | None = None) -> list[int]:
    """A recurring meeting with ``count`` occurrences; attendees: person id -> PARTSTAT. Returns occurrence ids."""
    stamp = now()
    meeting_id = conn.execute(
        insert(meetings)
        .values(uid=uid or f"{title}@test", summary=title, organizer_id=organizer, is_recurring=True, rrule="FREQ=WEEKLY", tzid="UTC", source="calendar", created_at=stamp, updated_at=stamp)
        .returning(meetings.c.id)
    ).scalar_one()
    ids = []
    for index in range(count):
        start = first_start + index * every
        rid = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        counted = sum(1 for r in attendees.values() if r != "DECLINED")
        occurrence_id = conn.execute(
            insert(occurrences)
            .values(meeting_id=meeting_id, recurrence_id=rid, start=start, end=start + length, all_day=False, status="CONFIRMED", transparent=False, is_moved=False, attendee_count=counted, is_meeting=counted >= 2, updated_at=stamp)
            .returning(occurrences.c.id)
        ).scalar_one()
        conn.execute(
            insert(attendance),
            [{"occurrence_id": occurrence_id, "person_id": pid, "response": response, "is_organizer": pid == organizer, "is_optional": False, "from_own_calendar": False} for pid, response in attendees.items()],
        )
        ids.append(occurrence_id)
    return ids


def rttm_rows(path: Path) -> list[tuple[float, float, str]]:
    return sorted((float(l.split()[3]), float(l.split()[4]), l.split()[7]) for l in path.read_text().splitlines() if l.strip())


def centisecond_totals(path: Path) -> dict[str, int]:
    """Independent speaking time: every 10 ms tick a speaker is talking, counted once (AMI times have 2 decimals)."""
    ticks: dict[str, set[int]] = defaultdict(set)
    for start, duration, speaker in rttm_rows(path):
        begin = round(start * 100)
        ticks[speaker].update(range(begin, begin + round(duration * 100)))
    return {speaker: len(t) for speaker, t in ticks.items()}


def stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def vtt_from_rttm(rttm: Path, out: Path, name_of: dict[str, str], style: str = "voice", mention: dict[int, str] | None = None) -> Path:
    """The RTTM's turns as WebVTT with made-up text; ``mention`` puts a name into the cue with that index."""
    lines = ["WEBVTT", ""]
    for number, (start, duration, label) in enumerate(rttm_rows(rttm)):
        text = "so we ship it now"
        if mention and number in mention:
            text = f"{mention[number]}, what do you think?"
        speaker = name_of.get(label, label)
        payload = f"<v {speaker}>{text}</v>" if style == "voice" else f"{speaker}: {text}"
        lines += [f"{stamp(start)} --> {stamp(start + duration)}", payload, ""]
    out.write_text("\n".join(lines), encoding="utf-8")
    return out
