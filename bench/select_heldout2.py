"""How the held-out v2 sentences were chosen (run once, before labelling; kept to be repeatable).

    python bench/select_heldout2.py > /tmp/heldout2-refs.csv

Only sentences not already in bench/data/blocker_labels.csv's v1 rows, and for the
monero logs only meeting files none of whose sentences were labelled before.
Chosen by a salted SHA-256 of the reference (corpus|file|line|sentence), in two strata:

- A: monero, a broad word list (wait, block, stuck, hold, can't, need, lack, down,
  missing, pending, until, ...): 1 in 5; other monero sentences: 1 in 250; apache
  comments not yet labelled: 1 in 8;
- B: a narrow word list (waiting, blocked, stuck, held up, unable to, lack of, ...)
  in the ethereum/pm call transcripts and the unused monero files: 2 in 3.

The word lists are not the detector's rules (they were written before any of these
sentences was read); stratum B enriches the positives, stratum A keeps sentences the
detector's vocabulary does not cover. Prints references only, never the text.
"""
from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from blocker_corpus import apache_messages, ethereum_messages, monero_messages, sentences  # noqa: E402

LABELS = Path(__file__).parent / "data" / "blocker_labels.csv"
BROAD = re.compile(r"\b(?:wait\w*|block\w*|stuck|hold\w*|held|can'?t|cannot|can not|unable|lack\w*|missing|don'?t have|do not have|"
                   r"no access|down|broken|pending|delay\w*|need\w*|until)\b", re.I)
NARROW = re.compile(r"\b(?:waiting|awaiting|blocked|blocker|blocking|stuck|held up|holding (?:up|back)|hold(?:ing)? off|unable to|no access|"
                    r"lack of|lacking|don'?t have (?:access|permission|enough)|can'?t (?:merge|build|deploy|push|release|access|test|get))\b", re.I)


def _hash(salt: str, ref: tuple) -> int:
    return int(hashlib.sha256((salt + "|" + "|".join(map(str, ref))).encode()).hexdigest(), 16)


def choose(v1_rows: list[dict]):
    """(stratum, reference) of every chosen sentence."""
    v1 = [r for r in v1_rows if r["split"] in ("tune", "heldout")]
    used_refs = {(r["corpus"], r["file"], int(r["line_or_id"]), int(r["sentence"])) for r in v1}
    used_files = {(r["corpus"], r["file"]) for r in v1 if r["corpus"] == "monero"}
    for ref, _speaker, text in sentences(list(monero_messages()) + list(apache_messages()) + list(ethereum_messages())):
        if ref in used_refs or (ref[0], ref[1]) in used_files:
            continue
        if ref[0] == "monero":
            if _hash("heldout2", ref) % 5 == 0 if BROAD.search(text) else _hash("heldout2", ref) % 250 == 0:
                yield "A", ref
                continue
        elif ref[0] == "apache":
            if _hash("heldout2", ref) % 8 == 0:
                yield "A", ref
            continue
        if NARROW.search(text) and _hash("heldout2b", ref) % 3 < 2:
            yield "B", ref


def main() -> int:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = csv.writer(sys.stdout)
    out.writerow(["stratum", "corpus", "file", "line_or_id", "sentence"])
    for stratum, ref in choose(rows):
        out.writerow([stratum, *ref])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
