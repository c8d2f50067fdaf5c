"""Transcript readers and speaking stats on real AMI meetings, plus VTT fixtures
generated from those meetings' real turn-taking in both speaker styles."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from foundermode.meetings.speaking import speaking_stats, union_seconds
from foundermode.meetings.transcripts import AttachError, import_transcripts, transcript_summary
from foundermode.sources.transcripts import TranscriptError, parse_transcript, read_speaker_map, read_transcript
from foundermode.store.schema_transcripts import transcript_participants, transcript_segments, transcripts

try:
    from .transcript_helpers import add_people, add_series, centisecond_totals, stamp, vtt_from_rttm
except ImportError:
    from transcript_helpers import add_people, add_series, centisecond_totals, stamp, vtt_from_rttm

# A short meeting, a long one and one from the training split, each 4 speakers.
AMI_SAMPLES = ["dev/ES2011a.rttm", "dev/IB4001.rttm", "train/EN2001a.rttm"]


def ami(shared_data: Path, name: str) -> Path:
    path = shared_data / "ami-rttm" / name
    if not path.exists():
        pytest.skip(f"{path} missing")
    return path


def rttm_turns(path: Path) -> dict[str, int]:
    rows = sorted((float(l.split()[3]), float(l.split()[4]), l.split()[7]) for l in path.read_text().splitlines())
    turns: dict[str, int] = defaultdict(int)
    previous = None
    for _start, _dur, speaker in rows:
        if speaker != previous:
            turns[speaker] += 1
            previous = speaker
    return dict(turns)


def stats_by_label(transcript):
    segments = [(s.speaker, s.start, s.end, s.text) for s in transcript.segments]
    return speaking_stats(segments, {}, has_text=transcript.has_text)


@pytest.mark.parametrize("sample", AMI_SAMPLES)
def test_ami_rttm_speaking_seconds_match_an_independent_count(shared_data, sample):
    path = ami(shared_data, sample)
    transcript = read_transcript(path)
    assert transcript.format == "rttm"
    assert transcript.recording == path.stem
    expected = centisecond_totals(path)
    stats = stats_by_label(transcript)
    assert set(stats) == set(expected)
    for speaker, ticks in expected.items():
        assert stats[speaker].seconds == pytest.approx(ticks / 100, abs=0.011 * 3), speaker
        assert stats[speaker].words is None
    assert {k: s.turns for k, s in stats.items()} == rttm_turns(path)


def test_every_ami_meeting_reads(shared_data):
    files = sorted((shared_data / "ami-rttm").glob("*/*.rttm"))
    if not files:
        pytest.skip("no AMI files")
    for path in files:
        transcript = read_transcript(path)
        lines = [l for l in path.read_text().splitlines() if l.strip()]
        assert len(transcript.segments) == len(lines)
        assert 3 <= len(transcript.speakers) <= 5, path


def test_own_overlap_is_counted_once_others_overlap_is_not_subtracted():
    text = "\n".join(
        [
            "SPEAKER m 1 0.0 10.0 <NA> <NA> A <NA> <NA>",
            "SPEAKER m 1 5.0 10.0 <NA> <NA> A <NA> <NA>",  # A overlapping A: union is 0-15
            "SPEAKER m 1 12.0 6.0 <NA> <NA> B <NA> <NA>",  # B over A: both were talking
            "SPEAKER m 1 30.0 1.5 <NA> <NA> A <NA> <NA>",
        ]
    )
    stats = stats_by_label(parse_transcript(text, "m.rttm"))
    assert stats["A"].seconds == pytest.approx(16.5)
    assert stats["B"].seconds == pytest.approx(6.0)
    assert (stats["A"].turns, stats["B"].turns) == (2, 1)
    assert union_seconds([]) == 0


# -- WebVTT generated from real turn-taking -------------------------------------

NAMES = ["Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Margaret Hamilton", "Radia Perlman"]


def write_vtt_from_rttm(path: Path, out: Path, style: str) -> dict:
    """A WebVTT file with the RTTM's turns; made-up text in which some cues address
    the previous speaker by first name. Returns the words and mentions written."""
    rows = sorted((float(l.split()[3]), float(l.split()[4]), l.split()[7]) for l in path.read_text().splitlines())
    labels = list(dict.fromkeys(r[2] for r in rows))
    name_of = {label: NAMES[i] for i, label in enumerate(labels)}
    words: dict[str, int] = defaultdict(int)
    addressed: dict[str, int] = defaultdict(int)
    lines = ["WEBVTT", "Kind: captions", ""]
    previous = None
    for number, (start, duration, label) in enumerate(rows):
        filler = " ".join(["so", "we", "ship", "it", "now"][: 1 + number % 5])
        text = filler
        if previous and previous != label and number % 7 == 0:
            text = f"{filler}, what do you think {name_of[previous].split()[0].lower()}?"
            addressed[previous] += 1
        if number % 11 == 0 and previous and previous != label:
            text += f" I agree with {name_of[previous]}."
            addressed[previous] += 1
        words[label] += len(re.findall(r"\w+", text))
        if style == "voice":
            lines += [f"{number}-0", f"{stamp(start)} --> {stamp(start + duration)}", f"<v {name_of[label]}>{text}</v>", ""]
        else:
            lines += [str(number + 1), f"{stamp(start)} --> {stamp(start + duration)} align:start", f"{name_of[label]}: {text}", ""]
        previous = label
    out.write_text("\n".join(lines), encoding="utf-8")
    return {"names": name_of, "words": dict(words), "addressed": dict(addressed)}


@pytest.mark.parametrize("style", ["voice", "prefix"])
@pytest.mark.parametrize("sample", AMI_SAMPLES[:2])
def test_vtt_from_real_turns_reads_back_to_the_rttm_figures(shared_data, tmp_path, sample, style):
    rttm = ami(shared_data, sample)
    written = write_vtt_from_rttm(rttm, tmp_path / "meeting.vtt", style)
    transcript = read_transcript(tmp_path / "meeting.vtt")
    assert transcript.format == f"vtt-{style}"
    assert set(transcript.speakers) == set(written["names"].values())
    names = {name: name for name in written["names"].values()}
    stats = speaking_stats([(s.speaker, s.start, s.end, s.text) for s in transcript.segments], names)
    expected_seconds = centisecond_totals(rttm)
    turns = rttm_turns(rttm)
    for label, name in written["names"].items():
        assert stats[name].seconds == pytest.approx(expected_seconds[label] / 100, abs=0.03), name
        assert stats[name].turns == turns[label]
        assert stats[name].words == written["words"][label]
        assert stats[name].addressed == written["addressed"].get(label, 0), name


# -- speaking stats on text ------------------------------------------------------


def test_addressed_by_first_or_full_name_word_boundary_not_self():
    segments = [
        ("ada", 0, 5, "Morning all. Grace, can you look at the build?"),
        ("grace", 5, 9, "Sure Ada. Ada Lovelace wrote it, right? Adam knows too."),
        ("ada", 9, 12, "I'm Ada, yes. GRACE HOPPER fixed it last time."),
        ("alan", 12, 13, "Gracefully done, grace-period ends today"),
    ]
    names = {"ada": "Ada Lovelace", "grace": "Grace Hopper", "alan": "Alan Turing", "silent": "Alan Kay"}
    stats = speaking_stats(segments, names)
    assert stats["ada"].addressed == 2  # "Ada", "Ada Lovelace" once (not twice); not "Adam", not her own "Ada"
    assert stats["grace"].addressed == 3  # "Grace", "GRACE HOPPER", "grace-period" (a word boundary, as written)
    # Two Alans: only full names count for them.
    assert stats["alan"].addressed == 0 and stats["silent"].addressed == 0
    assert stats["silent"].seconds == 0 and stats["silent"].turns == 0 and stats["silent"].words == 0
    assert stats["ada"].words == 9 + 9  # "I'm" is one word


# -- readers' details and bad input --------------------------------------------


def test_teams_and_zoom_vtt_details():
    teams = """\ufeffWEBVTT

NOTE produced by a meeting tool

STYLE
::cue { color: white }

a1b2c3/12-0
00:00:01.000 --> 00:00:04.500
<v Ada Lovelace>Hello &amp; welcome,</v>
<v Ada Lovelace>second line</v>

a1b2c3/13-0
00:00:04.000 --> 00:00:06.000
<v.loud Grace Hopper>Thanks <b>Ada</b>.</v>

00:00:06.000 --> 00:00:07.000
no speaker here
"""
    t = parse_transcript(teams, "teams.vtt")
    assert t.format == "vtt-voice"
    assert [(s.speaker, s.start, s.end, s.text, s.line) for s in t.segments] == [
        ("Ada Lovelace", 1.0, 4.5, "Hello & welcome, second line", 9),
        ("Grace Hopper", 4.0, 6.0, "Thanks Ada .", 14),
        (None, 6.0, 7.0, "no speaker here", 17),
    ]
    zoom = "WEBVTT\n\n1\n00:01.000 --> 00:02.000\nAda Lovelace: Status: green\n\n2\n01:00:02.000 --> 01:00:03.250\nGrace Hopper: ok\nmore\n"
    z = parse_transcript(zoom, "zoom.vtt")
    assert z.format == "vtt-prefix"
    assert [(s.speaker, s.start, s.end, s.text) for s in z.segments] == [
        ("Ada Lovelace", 1.0, 2.0, "Status: green"),
        ("Grace Hopper", 3602.0, 3603.25, "ok more"),
    ]


BAD_VTT = [
    ("no header", "1\n00:00:01.000 --> 00:00:02.000\n<v A>x</v>\n", r"bad\.vtt:1: missing 'WEBVTT' header"),
    ("header typo", "WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nA: x\n", r"bad\.vtt:1: missing 'WEBVTT' header"),
    ("comma millis", "WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nA: x\n", r"bad\.vtt:3: malformed timestamp '00:00:01,000' \(WebVTT uses a dot"),
    ("61 seconds", "WEBVTT\n\nid\n00:00:61.000 --> 00:01:02.000\nA: x\n", r"bad\.vtt:4: malformed timestamp '00:00:61.000'"),
    ("no arrow", "WEBVTT\n\n00:00:01.000 00:00:02.000\nA: x\n", r"bad\.vtt:3: expected a cue timing line"),
    ("ends before start", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nA: x\n", r"bad\.vtt:3: cue ends at 00:00:02.000, not after it starts at 00:00:05.000"),
    ("zero length", "WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nA: x\n", r"bad\.vtt:3: cue ends at"),
    (
        "same speaker overlap",
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v A>x</v>\n\n00:00:03.000 --> 00:00:04.000\n<v B>y</v>\n\n00:00:04.500 --> 00:00:06.000\n<v A>z</v>\n",
        r"bad\.vtt:9: cue overlaps the cue on line 3 by the same speaker 'A'",
    ),
    ("out of order", "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nA: x\n\n00:00:01.000 --> 00:00:02.000\nB: y\n", r"bad\.vtt:6: cue starts at 1.000 s, before the previous cue \(line 3\)"),
]


@pytest.mark.parametrize("case,text,message", BAD_VTT, ids=[c[0] for c in BAD_VTT])
def test_bad_vtt_names_file_and_line(tmp_path, case, text, message):
    path = tmp_path / "bad.vtt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TranscriptError, match=message):
        read_transcript(path)


def test_different_speakers_may_overlap_in_vtt():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v A>x</v>\n\n00:00:02.000 --> 00:00:04.000\n<v B>y</v>\n\n00:00:05.000 --> 00:00:06.000\n<v A>z</v>\n"
    t = parse_transcript(text, "ok.vtt")
    assert [s.speaker for s in t.segments] == ["A", "B", "A"]


OK = "SPEAKER m 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n"
BAD_RTTM = [
    ("too few fields", OK + "SPEAKER m 1 2.0 1.0 <NA> <NA>\n", r"bad\.rttm:2: expected 10 fields .* found 7"),
    ("start not a number", OK + OK + "SPEAKER m 1 two 1.0 <NA> <NA> A <NA> <NA>\n", r"bad\.rttm:3: start 'two' is not a number"),
    ("nan duration", "SPEAKER m 1 2.0 nan <NA> <NA> A <NA> <NA>\n", r"bad\.rttm:1: duration 'nan' is not a number"),
    ("negative duration", OK + "SPEAKER m 1 2.0 -1.0 <NA> <NA> A <NA> <NA>\n", r"bad\.rttm:2: negative duration -1.0"),
    ("negative start", "SPEAKER m 1 -2.0 1.0 <NA> <NA> A <NA> <NA>\n", r"bad\.rttm:1: negative start time"),
    ("no speaker", ";; comment\nSPEAKER m 1 2.0 1.0 <NA> <NA> <NA> <NA> <NA>\n", r"bad\.rttm:2: missing speaker label"),
    ("unknown type", OK + "SPEAKR m 1 2.0 1.0 <NA> <NA> A <NA> <NA>\n", r"bad\.rttm:2: unknown RTTM record type 'SPEAKR'"),
    ("two recordings", OK + "SPEAKER other 1 2.0 1.0 <NA> <NA> A <NA> <NA>\n", r"bad\.rttm: holds 2 recordings \('m' \(line 1\), 'other' \(line 2\)\)"),
    ("only comments", ";; nothing\n", r"bad\.rttm: no SPEAKER lines"),
]


@pytest.mark.parametrize("case,text,message", BAD_RTTM, ids=[c[0] for c in BAD_RTTM])
def test_bad_rttm_names_file_and_line(tmp_path, case, text, message):
    path = tmp_path / "bad.rttm"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TranscriptError, match=message):
        read_transcript(path)


def test_unknown_format_and_encoding(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\nAda: hi\n")
    with pytest.raises(TranscriptError, match=r"notes\.txt:1: not a transcript"):
        read_transcript(path)
    latin = tmp_path / "latin.vtt"
    latin.write_bytes(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nJos\xe9: hola\n")
    with pytest.raises(TranscriptError, match=r"latin\.vtt:4: not UTF-8"):
        read_transcript(latin)


def test_speaker_maps_csv_and_toml(tmp_path):
    csv_map = tmp_path / "speakers.csv"
    csv_map.write_text("label,person\nMEE068,ada@example.com\nSPEAKER_01,Grace Hopper <grace@example.com>\nFEE005,Katherine Johnson,kj@example.com\n")
    mapped = read_speaker_map(csv_map)
    assert (mapped["MEE068"].name, mapped["MEE068"].email) == ("", "ada@example.com")
    assert (mapped["SPEAKER_01"].name, mapped["SPEAKER_01"].email) == ("Grace Hopper", "grace@example.com")
    assert (mapped["FEE005"].name, mapped["FEE005"].email, mapped["FEE005"].line) == ("Katherine Johnson", "kj@example.com", 4)
    toml_map = tmp_path / "speakers.toml"
    toml_map.write_text('[speakers]\nSPEAKER_00 = "Ada Lovelace"\n"SPEAKER_01" = "grace@example.com"\n')
    mapped = read_speaker_map(toml_map)
    assert mapped["SPEAKER_00"].name == "Ada Lovelace" and mapped["SPEAKER_01"].email == "grace@example.com"
    bad = tmp_path / "bad.csv"
    bad.write_text("MEE068,ada@example.com\nMEE069\n")
    with pytest.raises(TranscriptError, match=r"bad\.csv:2: expected 'label,person'"):
        read_speaker_map(bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("MEE068,ada@example.com\nMEE068,grace@example.com\n")
    with pytest.raises(TranscriptError, match=r"dup\.csv:2: speaker 'MEE068' already mapped on line 1"):
        read_speaker_map(dup)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[speakers]\nSPEAKER_00 = 3\n")
    with pytest.raises(TranscriptError, match=r"bad\.toml:2: speaker 'SPEAKER_00' must map to a string"):
        read_speaker_map(bad_toml)


# -- into the store, attached to occurrences ----------------------------------



T0 = 1_710_147_600  # Monday 2024-03-11 09:00 UTC
ES2011 = {"FEE041": "Ada Lovelace", "FEE042": "Grace Hopper", "FEE043": "Katherine Johnson", "FEE044": "Margaret Hamilton"}


def es2011_labels(path: Path) -> set[str]:
    return {l.split()[7] for l in path.read_text().splitlines() if l.strip()}


def sync_series(store, count=3):
    with store.write() as conn:
        ids = add_people(conn, {name: f"{name.split()[0].lower()}@example.com" for name in [*ES2011.values(), "Radia Perlman"]})
        occ = add_series(conn, "Design review", T0, count, {pid: "ACCEPTED" for pid in ids.values()}, organizer=ids["Ada Lovelace"])
    return ids, occ


def counts(store):
    with store.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (transcripts, transcript_segments, transcript_participants))


def test_rttm_with_speaker_map_attaches_by_id_and_reimport_replaces(store, shared_data, tmp_path):
    rttm = ami(shared_data, "dev/ES2011a.rttm")
    assert es2011_labels(rttm) == set(ES2011)
    ids, occ = sync_series(store)
    speakers = tmp_path / "speakers.csv"
    speakers.write_text("label,person\n" + "".join(f"{label},{name.split()[0].lower()}@example.com\n" for label, name in ES2011.items()))
    result = import_transcripts(store, [rttm], occurrence_ids=[occ[0]], speaker_map=read_speaker_map(speakers))
    assert (result[0].occurrence_id, result[0].replaced, result[0].unmapped, result[0].format) == (occ[0], False, [], "rttm")
    expected = centisecond_totals(rttm)
    with store.read() as conn:
        summary = {row["name"]: row for row in transcript_summary(conn, occ[0])}
    assert set(summary) == {*ES2011.values(), "Radia Perlman"}
    total = sum(expected.values()) / 100
    for label, name in ES2011.items():
        assert summary[name]["seconds"] == pytest.approx(expected[label] / 100, abs=0.03)
        assert summary[name]["share"] == pytest.approx(expected[label] / 100 / total, abs=1e-3)
        assert summary[name]["words"] is None and summary[name]["label"] == label
    assert summary["Radia Perlman"]["seconds"] == 0 and summary["Radia Perlman"]["label"] is None
    before = counts(store)
    assert before == (1, len(rttm.read_text().splitlines()), 5)
    again = import_transcripts(store, [rttm], occurrence_ids=[occ[0]], speaker_map=read_speaker_map(speakers))
    assert again[0].replaced is True
    assert counts(store) == before


def test_vtt_attaches_by_title_and_nearest_start_and_maps_names_to_attendees(store, shared_data, tmp_path):
    rttm = ami(shared_data, "dev/ES2011b.rttm")
    ids, occ = sync_series(store)
    names = dict(ES2011)
    names["FEE044"] = "Margaret"  # Zoom shows a first name only: the one attendee called Margaret
    vtt = vtt_from_rttm(rttm, tmp_path / "b.vtt", names, style="prefix", mention={5: "Radia", 9: "radia perlman"})
    # Recording started 7 minutes late: the occurrence a week in is nearest.
    result = import_transcripts(store, [vtt], title="design REVIEW", starts=["2024-03-18T09:07:00Z"])
    assert result[0].occurrence_id == occ[1] and result[0].unmapped == []
    with store.read() as conn:
        summary = {row["name"]: row for row in transcript_summary(conn, occ[1])}
    expected = centisecond_totals(rttm)
    assert summary["Margaret Hamilton"]["seconds"] == pytest.approx(expected["FEE044"] / 100, abs=0.03)
    assert summary["Radia Perlman"]["addressed"] == 2 and summary["Radia Perlman"]["seconds"] == 0
    # Five words a cue; "radia perlman, what do you think?" has six.
    assert sum(row["words"] for row in summary.values()) == 5 * len(rttm.read_text().splitlines()) + 1
    with pytest.raises(AttachError, match=r"no occurrence of 'Design review' within 30 min of 2024-03-18T10:00:00Z; nearest: 2024-03-18T09:00:00Z"):
        import_transcripts(store, [vtt], title="Design review", starts=["2024-03-18T10:00:00+00:00"])
    with pytest.raises(AttachError, match="no meeting has that title"):
        import_transcripts(store, [vtt], title="Standup", starts=["2024-03-18T09:00"])
    with pytest.raises(AttachError, match="no meeting occurrence with id 999"):
        import_transcripts(store, [vtt], occurrence_ids=[999])


def test_unmapped_labels_are_kept_and_reported(store, shared_data):
    rttm = ami(shared_data, "dev/ES2011c.rttm")
    _ids, occ = sync_series(store)
    result = import_transcripts(store, [rttm], occurrence_ids=[occ[2]])
    assert sorted(result[0].unmapped) == sorted(es2011_labels(rttm))
    with store.read() as conn:
        rows = transcript_summary(conn, occ[2])
    unmapped = [r for r in rows if r["person_id"] is None]
    assert {r["label"] for r in unmapped} == es2011_labels(rttm)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0, abs=1e-3)


def test_nothing_is_imported_when_one_file_is_bad(store, shared_data, tmp_path):
    rttm = ami(shared_data, "dev/ES2011a.rttm")
    _ids, occ = sync_series(store)
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:00.500\n<v Ada Lovelace>hi</v>\n")
    with pytest.raises(TranscriptError, match=r"bad\.vtt:3: cue ends at"):
        import_transcripts(store, [rttm, bad], occurrence_ids=[occ[0], occ[1]])
    assert counts(store) == (0, 0, 0)
    with pytest.raises(AttachError, match="no meeting occurrence with id 12345"):
        import_transcripts(store, [rttm, rttm], occurrence_ids=[occ[0], 12345])
    assert counts(store) == (0, 0, 0)
    with pytest.raises(AttachError, match="both attach to occurrence"):
        import_transcripts(store, [rttm, rttm], occurrence_ids=[occ[0], occ[0]])
    with pytest.raises(AttachError, match="2 transcript file"):
        import_transcripts(store, [rttm, rttm], occurrence_ids=[occ[0]])
    assert counts(store) == (0, 0, 0)
