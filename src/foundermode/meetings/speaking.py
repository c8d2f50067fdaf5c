"""Who spoke in a meeting, how much, and who was spoken to.

Pure functions over transcript segments whose speaker has already been turned
into a participant key (a person id, or the raw label when nobody is known).

* speaking seconds: the union of a participant's own segments, so overlapping
  segments of one person are not counted twice (overlap with *others* does not
  reduce anyone's time: both were talking);
* turns: runs of consecutive segments, in start order, by the same participant;
  a caption with no speaker neither starts nor breaks a turn;
* words: tokens in the text, where the format has text (None otherwise);
* addressed: how often another speaker's text names the participant, by full
  name or first name, on word boundaries, ignoring case. A first name shared by two
  participants is ambiguous and only the full name counts for them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

WORD = re.compile(r"\w+(?:['’]\w+)*")


@dataclass
class SpeakerStats:
    key: Hashable
    name: str
    seconds: float = 0.0
    turns: int = 0
    words: int | None = None
    addressed: int = 0


def union_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of [start, end) intervals."""
    total = 0.0
    current_start = current_end = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None:
        total += current_end - current_start
    return total


def count_words(text: str | None) -> int:
    return len(WORD.findall(text or ""))


def name_patterns(names: dict[Hashable, str]) -> dict[Hashable, re.Pattern]:
    """A regex per participant matching their full name or, when unambiguous, their first name."""
    firsts: dict[str, int] = {}
    for name in names.values():
        parts = name.split()
        if parts:
            firsts[parts[0].casefold()] = firsts.get(parts[0].casefold(), 0) + 1
    patterns = {}
    for key, name in names.items():
        parts = name.split()
        if not parts:
            continue
        variants = [r"\s+".join(re.escape(p) for p in parts)]
        first = parts[0]
        # One-letter "names" and diarization labels would match noise, not people.
        if len(parts) > 1 and len(first) > 1 and firsts[first.casefold()] == 1:
            variants.append(re.escape(first))
        # Longest first, so "Ada Lovelace" is one mention, not two.
        patterns[key] = re.compile(r"(?<!\w)(?:" + "|".join(variants) + r")(?!\w)", re.IGNORECASE)
    return patterns


def speaking_stats(
    segments: Sequence[tuple[Hashable | None, float, float, str | None]],
    names: dict[Hashable, str],
    has_text: bool = True,
) -> dict[Hashable, SpeakerStats]:
    """Per participant stats from (key, start, end, text) segments.

    ``names`` maps every participant who could be addressed (speakers and silent
    attendees) to a display name; speakers missing from it are named by their key.
    """
    ordered = sorted((s for s in segments if s[0] is not None), key=lambda s: (s[1], s[2]))
    stats: dict[Hashable, SpeakerStats] = {key: SpeakerStats(key=key, name=name, words=0 if has_text else None) for key, name in names.items()}
    intervals: dict[Hashable, list[tuple[float, float]]] = {}
    previous = None
    for key, start, end, text in ordered:
        if key not in stats:
            stats[key] = SpeakerStats(key=key, name=str(key), words=0 if has_text else None)
        intervals.setdefault(key, []).append((start, end))
        if key != previous:
            stats[key].turns += 1
            previous = key
        if has_text:
            stats[key].words += count_words(text)
    for key, spans in intervals.items():
        stats[key].seconds = union_seconds(spans)
    if has_text:
        patterns = name_patterns(names)
        for key, _start, _end, text in ordered:
            if not text:
                continue
            for other, pattern in patterns.items():
                if other != key:
                    stats[other].addressed += len(pattern.findall(text))
    return stats
