"""Bounds for every parser of files written by other people, and the bounded readers.

A CSV export, a JSON dump, a calendar or a transcript comes from outside: a
mutated or hostile file must end in the parser's own one-line error, naming
the file, the line and the limit, never in a traceback, a hang or a process
that grows without end. The limits live here, once, so every parser states
the same figures and docs/reliability.md can list them.

``read_text`` bounds the file, ``csv_rows`` the fields and lines of a CSV,
``load_json``/``decode_json_at`` the nesting and the size of numbers in JSON.
Each takes the parser's own error class, so a caller keeps catching what it
caught before.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Callable, Iterator
from ..present.sanitize import clean_line

MAX_FILE_BYTES = 64 * 1024 * 1024  # CSV, JSON, VTT, RTTM
MAX_CALENDAR_BYTES = 64 * 1024 * 1024
MAX_FIELD_CHARS = 1024 * 1024  # one CSV field; Python's own default (128 kB) is a traceback, not a message
MAX_LINE_CHARS = 4 * 1024 * 1024  # one physical line of a text format (VTT, RTTM, ICS content line)
MAX_JSON_DEPTH = 64  # a blocker list needs 4
MAX_NUMBER_DIGITS = 40  # a JSON integer, a timestamp's parts: no honest value is longer
MAX_TRANSCRIPT_SECONDS = 31 * 86_400  # no recording is a month long
# Calendars: recurrence expansion (sources/calendar.py)
MAX_OCCURRENCES_PER_EVENT = 20_000
MAX_OCCURRENCES_PER_FILE = 500_000
MAX_EXPANSION_STEPS = 200_000  # rule periods walked for one event (FREQ=SECONDLY over a year is 31 million)
CALENDAR_TIME_BUDGET = 20.0  # seconds of expansion per file
MAX_COMPONENT_PROPERTIES = 10_000  # one VEVENT's (or the calendar's own) properties: an event with 10,000 attendees is not a meeting
MAX_EVENT_DAYS = 400  # one event's length: a sabbatical fits; a DTEND centuries away would make every expansion look back that far

ErrorFactory = Callable[[str], Exception]


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n:,} bytes"


def quoted(value, limit: int = 60) -> str:
    """A value from the file, for an error message: quoted, on one line (newlines and controls
    shown visibly), cut at ``limit`` characters; so one row's error stays one line."""
    text = clean_line(value)
    return "'" + (text[:limit] + "…" if len(text) > limit else text) + "'"


def read_bytes(path: Path | str, error: ErrorFactory, limit: int | None = None, what: str = "file") -> bytes:
    """The file's bytes, refusing one larger than ``limit`` (MAX_FILE_BYTES) before reading it."""
    path = Path(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise error(f"{path}: {what} is {size:,} bytes, over the limit of {_size(limit)}")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # a file growing while read is still bounded
    except OSError as failure:
        raise error(f"{path}: cannot read ({failure.strerror or failure})") from None
    if len(data) > limit:
        raise error(f"{path}: {what} is over the limit of {_size(limit)}")
    return data


def decode(data: bytes, path: Path | str, error: ErrorFactory) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as failure:
        line = data[: failure.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 ({failure.reason} at byte {failure.start})") from None


def read_text(path: Path | str, error: ErrorFactory, limit: int | None = None, what: str = "file") -> str:
    """UTF-8 text of a file (a BOM dropped), bounded in size; errors name the file and line."""
    return decode(read_bytes(path, error, limit, what), path, error)


def check_lines(text: str, name: str, error: ErrorFactory, limit: int = MAX_LINE_CHARS) -> None:
    """Refuse a physical line longer than ``limit`` (cheap: one scan for the first long one)."""
    if len(text) <= limit:
        return
    start = 0
    number = 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end == -1 else end
        if stop - start > limit:
            raise error(f"{name}:{number}: line is {stop - start:,} characters, over the limit of {limit:,}")
        if end == -1:
            return
        start = end + 1
        number += 1


def csv_rows(text: str, name: str, error: ErrorFactory, limit: int = MAX_FIELD_CHARS) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each CSV record; a field over ``limit`` characters, or a malformed
    record, is the caller's error with the line (csv's own ``_csv.Error`` never escapes)."""
    reader = csv.reader(io.StringIO(text), strict=False)
    previous = csv.field_size_limit()
    csv.field_size_limit(limit)  # the module-wide setting, restored at once: csv reads it per record
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as failure:
                message = str(failure)
                if "field larger than field limit" in message:
                    raise error(f"{name}:{reader.line_num}: a field is longer than {limit:,} characters (the limit)") from None
                raise error(f"{name}:{reader.line_num}: malformed CSV ({message})") from None
            yield reader.line_num, row
    finally:
        csv.field_size_limit(previous)


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_LONG_NUMBER = re.compile(r"-?\d{%d,}" % (MAX_NUMBER_DIGITS + 1))


def _depth_error(text: str, start: int, end: int, name: str, error: ErrorFactory, limit: int) -> None:
    """Raise when brackets outside strings nest deeper than ``limit`` in text[start:end]."""
    chunk = _STRINGS.sub(lambda m: " " * len(m.group(0)), text[start:end])
    depth = 0
    for match in _BRACKETS.finditer(chunk):
        if match.group(0) in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, start + match.start()) + 1
                raise error(f"{name}:{line}: JSON nested deeper than {limit} levels (the limit)")
        else:
            depth -= 1


class _OverLimit(Exception):
    """Raised inside the JSON decoder's callbacks; turned into the caller's error outside it."""


def _parse_int(name: str, text: str, limit: int):
    def parse(digits: str) -> int:
        if len(digits.lstrip("-")) > limit:
            at = text.find(digits)
            line = text.count("\n", 0, at) + 1 if at >= 0 else 1
            raise _OverLimit(f"{name}:{line}: a number of {len(digits):,} digits, over the limit of {limit}")
        return int(digits)

    return parse


def decode_json_at(text: str, pos: int, name: str, error: ErrorFactory, depth: int = MAX_JSON_DEPTH, digits: int = MAX_NUMBER_DIGITS):
    """``json.JSONDecoder.raw_decode`` with bounds: (value, end). JSON syntax errors are
    ``json.JSONDecodeError`` as before; nesting and number sizes are the caller's error."""
    decoder = json.JSONDecoder(parse_int=_parse_int(name, text, digits))
    try:
        return decoder.raw_decode(text, pos)
    except _OverLimit as failure:
        raise error(str(failure)) from None
    except RecursionError:
        _depth_error(text, pos, len(text), name, error, depth)
        raise error(f"{name}: JSON nested too deeply") from None
    except json.JSONDecodeError:
        raise
    except ValueError as failure:  # an over-long float, say; never a traceback
        raise error(f"{name}: invalid JSON ({failure})") from None


def check_json(text: str, name: str, error: ErrorFactory, depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse deep nesting before parsing: the C decoder recurses once per level."""
    if text.count("[") + text.count("{") > depth:
        _depth_error(text, 0, len(text), name, error, depth)


def load_json(text: str, name: str, error: ErrorFactory, depth: int = MAX_JSON_DEPTH, digits: int = MAX_NUMBER_DIGITS):
    """``json.loads`` with the bounds; a syntax error is the caller's error with the line."""
    check_json(text, name, error, depth)
    try:
        value, end = decode_json_at(text, 0 if not text[:1].isspace() else len(text) - len(text.lstrip()), name, error, depth, digits)
    except json.JSONDecodeError as failure:
        raise error(f"{name}:{failure.lineno}: invalid JSON: {failure.msg}") from None
    if text[end:].strip():
        raise error(f"{name}:{text.count(chr(10), 0, end) + 1}: invalid JSON: extra data after the value")
    return value


__all__ = [
    "MAX_FILE_BYTES", "MAX_CALENDAR_BYTES", "MAX_COMPONENT_PROPERTIES", "MAX_FIELD_CHARS", "MAX_LINE_CHARS", "MAX_JSON_DEPTH", "MAX_NUMBER_DIGITS",
    "MAX_TRANSCRIPT_SECONDS", "MAX_OCCURRENCES_PER_EVENT", "MAX_OCCURRENCES_PER_FILE", "MAX_EXPANSION_STEPS", "CALENDAR_TIME_BUDGET",
    "quoted", "read_bytes", "read_text", "decode", "check_lines", "csv_rows", "decode_json_at", "check_json", "load_json",
]
