"""Fuzzing the parsers of files written by other people: real inputs, mutated.

Why Hypothesis (not atheris): the parsers are pure Python over text formats,
where what finds failures is structure (a ``RRULE`` moved, a field made huge,
a bracket repeated) more than branch coverage; Hypothesis installs from a
wheel everywhere CI runs (atheris needs a libFuzzer build), runs inside pytest
for the short CI pass, and shrinks a failure to the fewest mutations of one
real file, which is the reproduction to keep. The mutations are drawn by
Hypothesis (so they shrink) and applied to seeds read from real files:

* ICS: the calendars shipped in the ``icalendar`` and ``recurring-ical-events``
  wheels (Google, Exchange, DAVx5 exports...), read from the installed packages;
* RTTM: the AMI meetings in ``shared/data/ami-rttm``;
* VTT: WebVTT built from those AMI turns, with text from ``shared/data/duplicate-reports``;
* blocker CSV/JSON: the duplicate-reports texts as CSV, JSON and JSON lines, and the
  real GitHub API pages of ``shared/data/github-pulls`` (the issues shape, labels);
* org CSV: org charts whose people are the GitHub users of those pages.

Each input is written to a file and read through the same ``read_*`` function
the product uses. An outcome is ``ok``, ``error`` (the parser's own error
class, whose first line names the file) or a failure: ``traceback`` (any other
exception, or an error not naming the file), ``hang`` (over the time limit, 5 s).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import random
import signal
import tempfile
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Callable
from ..bottlenecks.files import BlockerFileError, read_blockers
from ..sources.calendar import CalendarError, read_calendar
from ..sources.org import OrgChartError, read_org_chart
from ..sources.transcripts import TranscriptError, read_transcript

HANG_SECONDS = 5.0
MAX_SEED_BYTES = 48 * 1024  # a longer real file is cut at a line: mutation and parsing stay fast
PARSERS = ("org", "blocker-csv", "blocker-json", "ics", "vtt", "rttm")


def shared_data() -> Path | None:
    """``shared/data`` beside the repository (or FOUNDERMODE_SHARED_DATA)."""
    env = os.environ.get("FOUNDERMODE_SHARED_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [parent / "shared" / "data" for parent in here.parents]
    candidates.append(Path.cwd().parent / "shared" / "data")
    return next((c for c in candidates if c.is_dir()), None)


def _cut(data: bytes, limit: int = MAX_SEED_BYTES) -> bytes:
    if len(data) <= limit:
        return data
    end = data.rfind(b"\n", 0, limit)
    return data[: end + 1 if end > 0 else limit]


# -- seeds -----------------------------------------------------------------------------------

def _wheel_calendars() -> list[bytes]:
    import icalendar
    import recurring_ical_events

    found: list[bytes] = []
    for package in (icalendar, recurring_ical_events):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.ics")):
            data = path.read_bytes()
            if b"BEGIN:VCALENDAR" in data[:200].upper() and len(data) <= 4 * MAX_SEED_BYTES:
                found.append(data)
    return found


CRAFTED_ICS = [
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\nUID:tick\r\nSUMMARY:tick\r\n"
    "DTSTART:19700101T000000Z\r\nDTEND:19700101T000001Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:standup\r\nSUMMARY:Stand-up\r\nDTSTART;TZID=Europe/Paris:20240102T093000\r\n"
    "DTEND;TZID=Europe/Paris:20240102T094500\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
    "EXDATE;TZID=Europe/Paris:20240103T093000\r\nATTENDEE;CN=Ada;PARTSTAT=ACCEPTED:mailto:ada@example.com\r\n"
    "ORGANIZER;CN=Grace:mailto:grace@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
]


def _rttm_files(data: Path | None) -> list[Path]:
    return sorted((data / "ami-rttm").rglob("*.rttm")) if data else []


def _report_texts(data: Path | None, limit: int = 400) -> list[str]:
    texts: list[str] = []
    if data and (data / "duplicate-reports" / "dev.jsonl").exists():
        with (data / "duplicate-reports" / "dev.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                pair = json.loads(line)
                texts += [pair["a"], pair["b"]]
                if len(texts) >= limit:
                    break
    return texts or ["CI is red since the runner upgrade", "GPU quota exhausted, training blocked", "waiting on the vendor's API key"]


def _github_pages(data: Path | None) -> list[list]:
    pages = []
    for path in sorted((data / "github-pulls").glob("*.json")) if data else []:
        pages.append(json.loads(path.read_text(encoding="utf-8")))
    return pages


def _logins(data: Path | None) -> list[str]:
    logins = []
    for page in _github_pages(data):
        for item in page:
            login = (item.get("user") or {}).get("login")
            if login and login not in logins:
                logins.append(login)
    return logins or ["ada", "grace", "linus", "barbara"]


def _vtt_from_rttm(text: str, sentences: list[str], cues: int = 120) -> bytes:
    out = ["WEBVTT", ""]
    turns = [line.split() for line in text.splitlines() if line.startswith("SPEAKER")][:cues]
    for i, parts in enumerate(turns):
        start, length, speaker = float(parts[3]), float(parts[4]), parts[7]
        stamp = lambda s: f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}"
        words = sentences[i % len(sentences)].split("\n")[0][:160]
        out += [str(i + 1), f"{stamp(start)} --> {stamp(start + length)}", f"<v {speaker}>{words}</v>", ""]
    return "\n".join(out).encode("utf-8")


def _csv_text(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@lru_cache(maxsize=None)
def seeds(parser: str) -> tuple[tuple[str, bytes], ...]:
    """(file suffix, bytes) of the real inputs a parser's mutations start from."""
    data = shared_data()
    rng = random.Random(16)
    if parser == "ics":
        found = [(".ics", _cut(d)) for d in _wheel_calendars()]
        return tuple(found + [(".ics", c.encode()) for c in CRAFTED_ICS])
    if parser == "rttm":
        return tuple((".rttm", _cut(p.read_bytes(), 16 * 1024)) for p in _rttm_files(data)) or (
            (".rttm", b"SPEAKER m 1 0.00 1.50 <NA> <NA> A <NA> <NA>\nSPEAKER m 1 1.60 2.00 <NA> <NA> B <NA> <NA>\n"),)
    texts = _report_texts(data)
    if parser == "vtt":
        found = [(".vtt", _vtt_from_rttm(p.read_text(encoding="utf-8"), texts[i * 7:] or texts)) for i, p in enumerate(_rttm_files(data)[:24])]
        return tuple(found) or ((".vtt", b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Ada>CI is red</v>\n"),)
    logins = _logins(data)
    if parser == "org":
        charts = []
        for size in (3, 12, 40):
            people = logins[:size]
            rows = [["email", "name", "title", "team", "manager_email", "role", "start_date", "end_date"]]
            for i, login in enumerate(people):
                manager = "" if i == 0 else f"{people[(i - 1) // 4]}@example.com"
                rows.append([f"{login}@example.com", login.replace("-", " ").title(), rng.choice(["Engineer", "Staff engineer, \"infra\"", "Manager"]),
                             rng.choice(["core", "web", "data"]), manager, rng.choice(["engineer", "manager", "executive", "other"]),
                             rng.choice(["", "2021-03-01"]), rng.choice(["", "", "2024-06-30"])])
            charts.append((".csv", _csv_text(rows)))
        charts.append((".csv", b"\xef\xbb\xbfemail,name,title,team,manager_email,role\r\nada@example.com,Ada,CTO,core,,executive\r\n"))
        return tuple(charts)
    if parser == "blocker-csv":
        found = []
        for k in (4, 25):
            rows = [["text", "email", "date", "labels"]]
            for i in range(k):
                rows.append([texts[(i + k) % len(texts)], f"{logins[i % len(logins)]}@example.com", f"2024-01-{1 + i % 28:02d}T09:00:00Z", rng.choice(["blocked", "", "blocked;ci"])])
            found.append((".csv", _csv_text(rows)))
        found.append((".csv", _csv_text([["summary", "reporter"]] + [[t, logins[0]] for t in texts[:6]])))
        return tuple(found)
    if parser == "blocker-json":
        found = []
        items = [{"text": t, "email": f"{logins[i % len(logins)]}@example.com", "date": "2024-01-05T10:00:00Z"} for i, t in enumerate(texts[:20])]
        found.append((".json", json.dumps(items, indent=1).encode()))
        found.append((".jsonl", "\n".join(json.dumps(i) for i in items[:10]).encode() + b"\n"))
        for page in _github_pages(data):
            issues = []
            for item in page[:3]:
                item = dict(item)
                item["labels"] = (item.get("labels") or []) + [{"name": "blocked"}]
                issues.append(item)
            found.append((".json", json.dumps(issues).encode()))
        return tuple(found)
    raise ValueError(f"unknown parser {parser!r}; expected one of {', '.join(PARSERS)}")


# -- mutations --------------------------------------------------------------------------------

TOKENS = {
    "ics": [b"RRULE:FREQ=SECONDLY\r\n", b"RRULE:FREQ=MINUTELY;INTERVAL=1;BYSECOND=0,1,2,3,4,5,6,7,8,9\r\n", b"DTSTART:19700101T000000Z\r\n",
            b"DTSTART;TZID=Nowhere/Zone:20240101T090000\r\n", b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n", b"BEGIN:VTIMEZONE\r\n", b"END:VCALENDAR\r\n",
            b"\r\n ", b"COUNT=999999999", b"UNTIL=99991231T235959Z", b"EXDATE;VALUE=DATE:20240101\r\n", b"RECURRENCE-ID:20240102T090000Z\r\n",
            b"DURATION:-P9999999W\r\n", b"RDATE;VALUE=PERIOD:20240101T000000Z/PT1H\r\n", b"STATUS:CANCELLED\r\n", b"ATTENDEE:mailto:\r\n",
            b"TZOFFSETFROM:+9999\r\n", b";VALUE=DATE", b"BYSETPOS=-366", b"INTERVAL=0", b"\x1b]52;c;aGk=\x07", b"99999999T999999"],
    "json": [b"[" * 200, b"{\"a\":" * 100, b"9" * 5000, b"1e99999", b"-0.0e-400", b"\"\\ud800\"", b"NaN", b"Infinity", b"null", b"\"labels\"",
             b"\"blocked\"", b"\"date\": 1e300", b"\"date\": \"0001-01-01T00:00:00+14:00\"", b"\"created_at\": \"9999-99-99\"", b"\x00", b"\xff\xfe"],
    "csv": [b"\"", b",", b"\n", b"\r", b"\"\"", b"x" * 140_000, b"\x00", b"\xef\xbb\xbf", b"email,name", b"9" * 5000, b"2024-13-45",
            b"0001-01-01", b"\x1b[2J", b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", b"manager_email"],
    "vtt": [b"-->", b" --> ", b"99:99:99.999", b"00:00:00.000", b"1" * 200, b"<v ", b"</v>", b"NOTE\n", b"STYLE\n", b"\n\n", b"WEBVTT\n",
            b"-1:00:00.000", b"00:00:60.000", b"::", b"<c.red>", b"&amp;", b"\x00"],
    "rttm": [b"SPEAKER", b"nan", b"inf", b"-inf", b"1e308", b"-1", b"<NA>", b" ", b"\t", b"\n", b"9" * 400, b"0x10", b"1_000"],
}
INTERESTING_INTS = [b"0", b"-1", b"1" + b"0" * 20, b"4294967296", b"9" * 60, b"-9223372036854775809"]


def _token_set(parser: str) -> list[bytes]:
    return TOKENS["json" if parser == "blocker-json" else "csv" if parser in ("org", "blocker-csv") else parser]


def apply_mutations(data: bytes, ops: list[tuple], parser: str, other: bytes = b"") -> bytes:
    """Apply Hypothesis-drawn operations to ``data``: each (kind, a, b, c) with integers the op reads modulo the size."""
    tokens = _token_set(parser)
    buf = bytearray(data)
    for kind, a, b, c in ops:
        n = len(buf)
        at = a % (n + 1)
        if kind == 0 and n:  # flip bits of one byte
            buf[a % n] ^= 1 << (b % 8)
        elif kind == 1:  # insert raw bytes
            buf[at:at] = bytes([(b >> (8 * i)) & 0xFF for i in range(1 + c % 8)])
        elif kind == 2 and n:  # delete a range
            buf[at:at + 1 + b % 64] = b""
        elif kind == 3 and n:  # duplicate a range, maybe many times
            chunk = buf[at:at + 1 + b % 256]
            times = 1 + c % 16 if c % 5 else 1 + c % 2000
            buf[at:at] = chunk * times
        elif kind == 4:  # a format token
            buf[at:at] = tokens[b % len(tokens)]
        elif kind == 5:  # a number at a digit
            digits = [i for i in range(max(0, at - 64), min(n, at + 64)) if 48 <= buf[i] <= 57]
            if digits:
                i = digits[b % len(digits)]
                buf[i:i + 1] = INTERESTING_INTS[c % len(INTERESTING_INTS)]
        elif kind == 6 and n:  # truncate
            del buf[at:]
        elif kind == 7 and other:  # splice a piece of another real input
            start = b % len(other)
            buf[at:at] = other[start:start + 1 + c % 512]
        elif kind == 8:  # a control character or a non-UTF-8 byte
            buf[at:at] = bytes([(0, 7, 8, 9, 11, 12, 13, 27, 127, 0x80, 0x9B, 0xC0, 0xFF)[b % 13]])
        elif kind == 9 and n:  # swap two lines
            lines = bytes(buf).split(b"\n")
            if len(lines) > 2:
                i, j = b % len(lines), c % len(lines)
                lines[i], lines[j] = lines[j], lines[i]
                buf = bytearray(b"\n".join(lines))
        elif kind == 10 and n:  # replace a line by a copy of another
            lines = bytes(buf).split(b"\n")
            if len(lines) > 1:
                lines[b % len(lines)] = lines[c % len(lines)]
                buf = bytearray(b"\n".join(lines))
        if len(buf) > 8 * 1024 * 1024:  # keep one input bounded: the size limits have their own tests
            del buf[8 * 1024 * 1024:]
    return bytes(buf)


def mutation_plans():
    """The Hypothesis strategy of a plan: which seed, which other seed to splice, which operations."""
    from hypothesis import strategies as st

    op = st.tuples(st.integers(0, 10), st.integers(0, 2**32), st.integers(0, 2**32), st.integers(0, 2**16))
    return st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.lists(op, min_size=1, max_size=8), st.integers(0, 3))


def build_input(parser: str, plan) -> tuple[str, bytes, int]:
    pool = seeds(parser)
    first, second, ops, window = plan
    suffix, data = pool[first % len(pool)]
    other = pool[second % len(pool)][1]
    return suffix, apply_mutations(data, ops, parser, other), window


# -- running one input --------------------------------------------------------------------------

class Hang(BaseException):
    """Raised by the alarm inside a parser; not an Exception, so no ``except Exception`` in it swallows the hang."""


def _alarm(_signum, _frame):
    raise Hang()


WINDOWS = [
    (dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc)),
    (dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2019, 3, 1, tzinfo=dt.timezone.utc)),
    (dt.datetime(2005, 6, 1, tzinfo=dt.timezone.utc), dt.datetime(2013, 6, 1, tzinfo=dt.timezone.utc)),
    (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(1970, 1, 8, tzinfo=dt.timezone.utc)),
]


def _reader(parser: str) -> tuple[Callable, type]:
    if parser == "org":
        return read_org_chart, OrgChartError
    if parser in ("blocker-csv", "blocker-json"):
        return read_blockers, BlockerFileError
    if parser == "ics":
        def read(path, window=0):
            start, end = WINDOWS[window % len(WINDOWS)]
            return read_calendar(path, int(start.timestamp()), int(end.timestamp()))

        return read, CalendarError

    return read_transcript, TranscriptError


@dataclasses.dataclass
class Outcome:
    kind: str  # ok, error, traceback, hang
    detail: str = ""
    seconds: float = 0.0


def run_one(parser: str, suffix: str, data: bytes, window: int = 0, folder: Path | None = None, limit: float = HANG_SECONDS) -> Outcome:
    """Write ``data`` to a file and read it as the product does; the outcome, never an exception."""
    read, error_class = _reader(parser)
    folder = folder or Path(tempfile.gettempdir())
    path = folder / f"fuzz-{parser}{suffix}"
    path.write_bytes(data)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    began = time.perf_counter()
    try:
        try:
            read(path, window) if parser == "ics" else read(path)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outcome = Outcome("ok")
    except Hang:
        outcome = Outcome("hang", f"over {limit:g} s")
    except error_class as failure:
        lines = str(failure).split("\n")
        # One line naming the file; or a count ("3 bad row(s), nothing imported:") over one such line per row.
        named = str(path) in lines[0] or (len(lines) > 1 and all(str(path) in line for line in lines[1:]))
        outcome = Outcome("error", lines[0]) if named else Outcome("traceback", f"{type(failure).__name__} without the file: {lines[0][:300]}")
    except RecursionError as failure:
        outcome = Outcome("traceback", f"RecursionError: {str(failure)[:200]}")
    except MemoryError:
        outcome = Outcome("traceback", "MemoryError")
    except Exception as failure:  # the point of the harness: anything else is a traceback a user would see
        import traceback

        where = traceback.extract_tb(failure.__traceback__)[-1]
        outcome = Outcome("traceback", f"{type(failure).__name__}: {str(failure)[:200]} at {Path(where.filename).name}:{where.lineno}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    outcome.seconds = time.perf_counter() - began
    return outcome


# -- campaigns ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Campaign:
    parser: str
    inputs: int = 0
    outcomes: Counter = dataclasses.field(default_factory=Counter)
    failures: list = dataclasses.field(default_factory=list)  # (kind, detail, saved file)
    slowest: float = 0.0
    seconds: float = 0.0

    @property
    def tracebacks(self) -> int:
        return self.outcomes["traceback"]

    @property
    def hangs(self) -> int:
        return self.outcomes["hang"]


def campaign(parser: str, examples: int, seed: int = 0, batch: int = 2000, keep: Path | None = None, progress: Callable | None = None) -> Campaign:
    """``examples`` mutated inputs for ``parser``, Hypothesis drawing the mutations, in batches
    (a fresh Hypothesis run each, so its memory of what it tried stays small); every outcome counted."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    result = Campaign(parser)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="foundermode-fuzz-") as folder:
        work = Path(folder)
        done = 0
        round_no = 0
        while done < examples:
            size = min(batch, examples - done)

            @hypothesis_seed(seed * 1_000_003 + round_no)
            @settings(max_examples=size, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(mutation_plans())
            def one(plan):
                suffix, data, window = build_input(parser, plan)
                outcome = run_one(parser, suffix, data, window, work)
                result.inputs += 1
                result.outcomes[outcome.kind] += 1
                result.slowest = max(result.slowest, outcome.seconds)
                if outcome.kind in ("traceback", "hang") and len(result.failures) < 50:
                    saved = None
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        saved = keep / f"{parser}-{result.inputs}{suffix}"
                        saved.write_bytes(data)
                    result.failures.append((outcome.kind, outcome.detail, str(saved) if saved else None))

            before = result.inputs
            one()
            ran = result.inputs - before
            done += max(ran, 1)
            round_no += 1
            if progress:
                progress(result)
    result.seconds = time.perf_counter() - began
    return result


def peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


__all__ = ["PARSERS", "HANG_SECONDS", "seeds", "apply_mutations", "mutation_plans", "build_input", "run_one", "Outcome", "Campaign", "campaign", "peak_memory_mb", "shared_data"]
