"""Meeting transcripts (WebVTT with ``<v Name>`` voice tags, as Teams writes them).

Turn-taking follows how a planning meeting goes: the organizer opens and hands
over by name, each speaker answers in turns of a few seconds to half a minute,
questions bounce back, and the organizer closes. Engineers talk about the
commits they actually made. The attendees marked silent never speak and are
never named, which is what a walk-out suggestion looks for.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from .calendars import Series
from .org import Member

OPENERS = [
    "Morning all, let's get going.",
    "Okay, I think everyone who's coming is here.",
    "Let's start, we have a full agenda today.",
]
HANDOVERS = [
    "{name}, do you want to start?",
    "{name}, what moved since last week?",
    "Over to you, {name}.",
    "{name}, where are you with it?",
]
UPDATES = [
    "I landed “{subject}”, so that part is done.",
    "Most of my week went into “{subject}”. There's a follow-up I still need to write.",
    "“{subject}” is in. It touched more files than I expected, so I'd like a second pair of eyes on it.",
    "I'm still on the work behind “{subject}”. I should be done by Thursday.",
]
GENERIC = [
    "Nothing blocking on my side, just the review queue.",
    "CI was slow again on Tuesday, builds sat in the queue for a while.",
    "I paired on the migration, it went better than last time.",
    "I'd like to split that ticket, it's really two pieces of work.",
    "The flaky test is back. I've muted it for now but we need a real fix.",
    "I can take that one if nobody else wants it.",
]
QUESTIONS = [
    "{name}, does that change the estimate for the release?",
    "{name}, can you review that today?",
    "What do you think, {name}?",
    "{name}, is that something product needs to sign off?",
]
ANSWERS = [
    "Not really, we planned some slack for it.",
    "Yes, I'll look at it after this.",
    "I think it's fine, as long as we tell support.",
    "Let's take it offline, I need to check with the customer first.",
]
PRODUCT = [
    "From the customer side, the import speed is what keeps coming up.",
    "Two customers asked about the audit log this week.",
    "Sales would love a date for the new onboarding flow, but no pressure.",
]
CLOSERS = [
    "Great, thanks everyone. Same time next week.",
    "Okay, that's it. Ping me if anything gets stuck.",
]


def _stamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int(round((seconds - whole) * 1000)) % 1000:03d}"


def conversation(series: Series, subjects: dict[str, list[str]], rng: random.Random, minutes: int | None = None) -> list[tuple[str, str, float, float]]:
    """(speaker name, text, start, end) cues for one occurrence."""
    speakers = [m for m in series.members if m.email not in series.silent and m.email not in series.declined]
    host = series.organizer
    others = [m for m in speakers if m.email != host.email]
    cues: list[tuple[str, str, float, float]] = []
    clock = rng.uniform(2, 6)
    limit = (minutes or series.minutes) * 60 - 30

    def say(member: Member, text: str, low: float = 3.0, high: float = 22.0) -> None:
        nonlocal clock
        length = min(max(len(text.split()) * rng.uniform(0.35, 0.5), low), high)
        if clock + length > limit:
            return
        cues.append((member.name, text, clock, clock + length))
        clock += length + rng.uniform(0.3, 2.5)

    say(host, rng.choice(OPENERS))
    for member in rng.sample(others, len(others)):
        say(host, rng.choice(HANDOVERS).format(name=member.first_name))
        mine = subjects.get(member.email) or []
        for _ in range(rng.randint(1, 3)):
            text = rng.choice(UPDATES).format(subject=rng.choice(mine)) if mine and rng.random() < 0.7 else rng.choice(PRODUCT if member.role == "other" else GENERIC)
            say(member, text, high=28.0)
        if len(others) > 1 and rng.random() < 0.6:
            asked = rng.choice([m for m in others if m.email != member.email])
            say(member, rng.choice(QUESTIONS).format(name=asked.first_name))
            say(asked, rng.choice(ANSWERS))
        if rng.random() < 0.5:
            say(host, "Thanks. Anything blocking?")
            say(member, rng.choice(GENERIC))
    say(host, rng.choice(CLOSERS))
    return cues


def write_vtt(cues: list[tuple[str, str, float, float]], path: Path) -> None:
    lines = ["WEBVTT", ""]
    for number, (name, text, start, end) in enumerate(cues, start=1):
        lines += [str(number), f"{_stamp(start)} --> {_stamp(end)}", f"<v {name}>{text}</v>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_transcripts(series: list[Series], subjects: dict[str, list[str]], last_commit: dt.datetime, folder: Path, seed: int, per_series: int = 3) -> dict[str, list[tuple[dt.datetime, Path]]]:
    """The last ``per_series`` occurrences up to the last commit of each transcribed series."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: dict[str, list[tuple[dt.datetime, Path]]] = {}
    for item in series:
        if not item.transcribe:
            continue
        starts = item.occurrences(last_commit)[-per_series:]
        for start in starts:
            path = folder / f"{item.uid.split('@')[0]}-{start:%Y%m%dT%H%M}.vtt"
            write_vtt(conversation(item, subjects, rng), path)
            out.setdefault(item.summary, []).append((start, path))
    return out
