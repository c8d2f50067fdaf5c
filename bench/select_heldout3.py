"""How the held-out v3 sentences were chosen (run once, before labelling; kept to be repeatable).

    python bench/select_heldout3.py > /tmp/heldout3-refs.csv

A source no rule was tuned on: the Node.js TSC meeting minutes (nodejs/TSC, ``meetings/``, at the
commit pinned in bench/blocker_corpus.py), never labelled or read before (one file,
``meetings/node.js/2015-06-04.md``, was glanced at when the mirror was fetched, and is left out).
Chosen by a salted SHA-256 of the reference (corpus|file|line|sentence), in two strata:

- A: every sentence, 1 in 400 (a broad sample, whatever its words);
- B: sentences with a blocker word (the same narrow list as held-out v2's, plus "blocker",
  "pending", "on hold", "awaiting", "depends on"): all of them (the minutes have only about 250).

The word list was written before any of these sentences was read. Prints references only.
"""
from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from blocker_corpus import nodejs_messages, sentences  # noqa: E402

SEEN = {"meetings/node.js/2015-06-04.md"}
NARROW = re.compile(r"\b(?:waiting|awaiting|blocked|blockers?|blocking|stuck|held up|holding (?:up|back)|hold(?:ing)? off|on hold|unable to|"
                    r"no access|lack of|lacking|pending|depends on|don'?t have (?:access|permission|enough)|"
                    r"can'?t (?:merge|build|deploy|push|release|access|test|get|land|proceed|move))\b", re.I)
A_EVERY, B_EVERY = 400, 1


def _hash(salt: str, ref: tuple) -> int:
    return int(hashlib.sha256((salt + "|" + "|".join(map(str, ref))).encode()).hexdigest(), 16)


def choose():
    """(stratum, reference) of every chosen sentence."""
    for ref, _speaker, text in sentences(nodejs_messages()):
        if ref[1] in SEEN:
            continue
        if _hash("heldout3a", ref) % A_EVERY == 0:
            yield "A", ref
        elif NARROW.search(text) and _hash("heldout3b", ref) % B_EVERY == 0:
            yield "B", ref


def main() -> int:
    out = csv.writer(sys.stdout)
    out.writerow(["stratum", "corpus", "file", "line_or_id", "sentence"])
    for stratum, ref in choose():
        out.writerow([stratum, *ref])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
