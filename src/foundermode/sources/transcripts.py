"""Meeting transcripts: who spoke when, and what they said where the format has text.

Three formats, told apart by content (not by extension):

* WebVTT with voice tags, as Microsoft Teams writes it: ``<v Ada Lovelace>Hello</v>``.
* WebVTT with a ``Name: text`` prefix on the cue's first line, as Zoom writes it.
* RTTM speaker diarization (pyannote, NIST): ``SPEAKER <file> <chan> <start> <dur> <NA> <NA> <speaker> <NA> <NA>``;
  timings only, no text.

Overlaps. Different speakers may overlap in every format: people talk over each
other. The same speaker overlapping themself is where the formats differ:

* in WebVTT it is an error. A cue is a caption of one utterance; one person with two
  captions at once means a broken or concatenated file, and guessing would put
  words and seconds in the wrong place.
* in RTTM it is allowed and the segments are merged (their union is what counts):
  an RTTM line labels a stretch of audio, and diarization systems that combine
  channels or passes legitimately emit overlapping labels for one speaker.

Every error names the file and the line (``path:line: message``). Readers know
nothing of the store: they return a ``Transcript`` of ``Segment`` records.
"""
from __future__ import annotations

from ..errors import InputError
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from .limits import MAX_NUMBER_DIGITS, MAX_TRANSCRIPT_SECONDS, check_lines, quoted, read_text
from ..config import line_of_key
from .identities import parse_name_email
from .limits import csv_rows


class TranscriptError(InputError):
    """Bad transcript input; the message names the file and, when known, the line."""


@dataclass(frozen=True)
class Segment:
    speaker: str | None  # the label as written in the file; None for a caption with no speaker
    start: float  # seconds from the start of the recording
    end: float
    text: str | None  # None in formats without text (RTTM)
    line: int  # where it starts in the file, for messages

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Transcript:
    path: str
    format: str  # "vtt-voice", "vtt-prefix" or "rttm"
    segments: list[Segment] = field(default_factory=list)
    recording: str | None = None  # RTTM's file id

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.speaker is not None:
                seen.setdefault(segment.speaker, None)
        return list(seen)

    @property
    def has_text(self) -> bool:
        return self.format != "rttm"

    @property
    def duration(self) -> float:
        if not self.segments:
            return 0.0
        return max(s.end for s in self.segments) - min(s.start for s in self.segments)


def read_transcript(source: Path | str) -> Transcript:
    path = Path(source)
    return parse_transcript(read_text(path, TranscriptError), str(path))


def parse_transcript(text: str, name: str = "transcript") -> Transcript:
    check_lines(text, name, TranscriptError)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("WEBVTT") or Path(name).suffix.lower() == ".vtt":
        return parse_vtt(text, name)
    if first.upper().startswith(("SPEAKER ", "SPEAKER\t", ";;")) or Path(name).suffix.lower() == ".rttm":
        return parse_rttm(text, name)
    if not first:
        raise TranscriptError(f"{name}: empty file")
    raise TranscriptError(f"{name}:1: not a transcript: expected a WEBVTT header or RTTM 'SPEAKER' lines, found {quoted(first, 40)}")


# -- WebVTT -------------------------------------------------------------------

TIMESTAMP = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
TIMING = re.compile(r"^\s*(?P<start>\S+)\s+-->\s+(?P<end>\S+)(?:\s+.*)?$")
VALID_TIMESTAMP = re.compile(rf"^{TIMESTAMP}$")
VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+(?P<name>[^>]+)>")
TAG = re.compile(r"</?[^>]*>")
# Zoom writes 'Name: text'. A name is short and holds no sentence punctuation other
# than the dots of initials, so 'Note: the build is red' still reads as a speaker only
# when it is the whole style of the file (decided per file, see _vtt_style).
PREFIX = re.compile(r"^(?P<name>[^:<>\n]{1,80}?):\s+(?P<text>.*)$", re.DOTALL)


def vtt_seconds(stamp: str) -> float:
    parts = stamp.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def parse_vtt(text: str, name: str = "transcript.vtt") -> Transcript:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = lines[0] if lines else ""
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise TranscriptError(f"{name}:1: missing 'WEBVTT' header (found {quoted(header, 40)}); is this a WebVTT file?")
    blocks = _blocks(lines)
    cues: list[tuple[int, float, float, list[str]]] = []
    for index, (first_line, block) in enumerate(blocks):
        if index == 0:
            continue  # the header block: 'WEBVTT' and any header lines
        head = block[0]
        if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
            continue
        if "-->" in head:
            timing_at, payload = 0, block[1:]
        elif len(block) > 1 and "-->" in block[1]:
            timing_at, payload = 1, block[2:]  # a cue identifier, then the timing
        else:
            raise TranscriptError(f"{name}:{first_line}: expected a cue timing line 'HH:MM:SS.mmm --> HH:MM:SS.mmm', found {quoted(head, 60)}")
        line_no = first_line + timing_at
        start, end = _timing(block[timing_at], name, line_no)
        cues.append((line_no, start, end, payload))
    style = _vtt_style(cues)
    segments = []
    for line_no, start, end, payload in cues:
        speaker, body = _speaker_and_text(payload, style)
        segments.append(Segment(speaker=speaker, start=start, end=end, text=body, line=line_no))
    _check_vtt_order(segments, name)
    return Transcript(path=name, format=f"vtt-{style}", segments=segments)


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the line number (1-based) of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(lines, start=1):
        if line.strip() == "":
            if current:
                blocks.append((start, current))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def _timing(line: str, name: str, line_no: int) -> tuple[float, float]:
    match = TIMING.match(line)
    if not match:
        raise TranscriptError(f"{name}:{line_no}: malformed cue timing '{line.strip()[:60]}'; expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm'")
    for stamp in (match["start"], match["end"]):
        if len(stamp) > MAX_NUMBER_DIGITS:
            raise TranscriptError(f"{name}:{line_no}: timestamp of {len(stamp):,} characters, over the limit of {MAX_NUMBER_DIGITS}")
        if not VALID_TIMESTAMP.match(stamp):
            hint = " (WebVTT uses a dot before the milliseconds, not a comma)" if "," in stamp else ""
            raise TranscriptError(f"{name}:{line_no}: malformed timestamp '{stamp}'{hint}; expected [HH:]MM:SS.mmm")
    start, end = vtt_seconds(match["start"]), vtt_seconds(match["end"])
    if end > MAX_TRANSCRIPT_SECONDS:
        raise TranscriptError(f"{name}:{line_no}: cue ends at {match['end']}, past the limit of {MAX_TRANSCRIPT_SECONDS // 86_400} days into a recording")
    if end <= start:
        raise TranscriptError(f"{name}:{line_no}: cue ends at {match['end']}, not after it starts at {match['start']}")
    return start, end


def _vtt_style(cues) -> str:
    if any(VOICE.search("\n".join(payload)) for _, _, _, payload in cues):
        return "voice"
    return "prefix"


def _speaker_and_text(payload: list[str], style: str) -> tuple[str | None, str]:
    joined = "\n".join(payload)
    speaker = None
    if style == "voice":
        match = VOICE.search(joined)
        if match:
            speaker = _clean(match["name"])
    else:
        match = PREFIX.match(joined)
        if match:
            speaker = _clean(match["name"])
            joined = match["text"]
    body = _clean(TAG.sub(" ", joined))
    return (speaker or None), body


def _clean(value: str) -> str:
    return " ".join(html.unescape(value).split())


def _check_vtt_order(segments: list[Segment], name: str) -> None:
    previous: Segment | None = None
    last_by_speaker: dict[str, Segment] = {}
    for segment in segments:
        if previous is not None and segment.start < previous.start:
            raise TranscriptError(
                f"{name}:{segment.line}: cue starts at {segment.start:.3f} s, before the previous cue (line {previous.line}) at {previous.start:.3f} s; cues must be in time order"
            )
        if segment.speaker is not None:
            earlier = last_by_speaker.get(segment.speaker)
            if earlier is not None and segment.start < earlier.end:
                raise TranscriptError(
                    f"{name}:{segment.line}: cue overlaps the cue on line {earlier.line} by the same speaker '{segment.speaker}' "
                    f"({segment.start:.3f} s < {earlier.end:.3f} s); one person cannot have two captions at once"
                )
            if earlier is None or segment.end > earlier.end:
                last_by_speaker[segment.speaker] = segment
        previous = segment


# -- RTTM ---------------------------------------------------------------------

# Other RTTM record types carry no speaker turn; they are legal and skipped.
RTTM_OTHER_TYPES = {"SEGMENT", "NOSCORE", "NO_RT_METADATA", "LEXEME", "NON-LEX", "NON-SPEECH", "FILLER", "EDIT", "IP", "CB", "A/P", "SU", "SPKR-INFO"}
NA = "<NA>"


def parse_rttm(text: str, name: str = "transcript.rttm") -> Transcript:
    segments: list[Segment] = []
    recordings: dict[str, int] = {}
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";;"):
            continue  # NIST comment lines
        fields = line.split()
        kind = fields[0].upper()
        if kind in RTTM_OTHER_TYPES:
            continue
        if kind != "SPEAKER":
            raise TranscriptError(f"{name}:{number}: unknown RTTM record type '{fields[0][:40]}'; expected SPEAKER")
        if len(fields) not in (9, 10):
            raise TranscriptError(
                f"{name}:{number}: expected 10 fields 'SPEAKER <file> <chan> <start> <dur> <NA> <NA> <speaker> <NA> <NA>', found {len(fields)}"
            )
        recording, start_text, duration_text, speaker = fields[1], fields[3], fields[4], fields[7]
        start = _rttm_number(start_text, "start", name, number)
        duration = _rttm_number(duration_text, "duration", name, number)
        if start < 0:
            raise TranscriptError(f"{name}:{number}: negative start time {start_text}")
        if duration < 0:
            raise TranscriptError(f"{name}:{number}: negative duration {duration_text}")
        if speaker == NA or not speaker:
            raise TranscriptError(f"{name}:{number}: missing speaker label (field 8 is '{speaker}')")
        recordings.setdefault(recording, number)
        segments.append(Segment(speaker=speaker, start=start, end=start + duration, text=None, line=number))
    if not segments:
        raise TranscriptError(f"{name}: no SPEAKER lines")
    if len(recordings) > 1:
        listed = ", ".join(f"'{r}' (line {n})" for r, n in list(recordings.items())[:4])
        raise TranscriptError(f"{name}: holds {len(recordings)} recordings ({listed}); one meeting per file, split it by the second field")
    segments.sort(key=lambda s: (s.start, s.end))
    return Transcript(path=name, format="rttm", segments=segments, recording=next(iter(recordings)))


def _rttm_number(value: str, what: str, name: str, number: int) -> float:
    if len(value) > MAX_NUMBER_DIGITS:
        raise TranscriptError(f"{name}:{number}: {what} of {len(value):,} characters, over the limit of {MAX_NUMBER_DIGITS}")
    try:
        parsed = float(value)
    except ValueError:
        raise TranscriptError(f"{name}:{number}: {what} '{value}' is not a number of seconds") from None
    if parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise TranscriptError(f"{name}:{number}: {what} '{value}' is not a number of seconds")
    if parsed > MAX_TRANSCRIPT_SECONDS:
        raise TranscriptError(f"{name}:{number}: {what} {value} s is past the limit of {MAX_TRANSCRIPT_SECONDS // 86_400} days into a recording")
    return parsed


# -- speaker maps -------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerTarget:
    """Who a label stands for: a name, an email, or both; ``line`` for messages."""

    name: str
    email: str
    line: int


def read_speaker_map(source: Path | str) -> dict[str, SpeakerTarget]:
    """Speaker labels to people, from CSV (``label,person`` with person an email,
    a name or 'Name <email>') or TOML (``[speakers]`` table of label = person).

    Diarization labels (SPEAKER_01, MEE068) are not people; this file says who they are.
    """
    path = Path(source)
    text = read_text(path, TranscriptError, what="speaker map")
    entries: list[tuple[int, str, str]] = []
    if path.suffix.lower() == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise TranscriptError(f"{path}: {error}") from error
        table = data.get("speakers", data)
        if not isinstance(table, dict):
            raise TranscriptError(f"{path}: [speakers] must be a table of label = \"person\"")

        for label, value in table.items():
            line = line_of_key(text, label) or line_of_key(text, f'"{label}"') or 0
            if not isinstance(value, str):
                raise TranscriptError(f"{path}:{line}: speaker '{label}' must map to a string (an email, a name or 'Name <email>')")
            entries.append((line, str(label), value))
    else:
        for number, row in csv_rows(text, str(path), TranscriptError):
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if number == 1 and [c.lower() for c in cells[:2]] in (["label", "person"], ["speaker", "person"], ["label", "email"], ["speaker", "email"]):
                continue
            if len(cells) < 2 or not cells[0] or not cells[1]:
                raise TranscriptError(f"{path}:{number}: expected 'label,person' (person: an email, a name or 'Name <email>'), found '{','.join(row)[:60]}'")
            person = cells[1] if len(cells) == 2 or not cells[2] else f"{cells[1]} <{cells[2]}>"
            entries.append((number, cells[0], person))
    out: dict[str, SpeakerTarget] = {}
    for line, label, value in entries:
        if label in out:
            raise TranscriptError(f"{path}:{line}: speaker '{label}' already mapped on line {out[label].line}")
        person_name, email = parse_name_email(value)
        if not person_name and not email:
            raise TranscriptError(f"{path}:{line}: speaker '{label}' maps to nobody")
        out[label] = SpeakerTarget(name=person_name, email=email, line=line)
    return out
