"""Precision, recall and F1 of the blocker detector on real, labelled sentences.

    python bench/bench_detector.py                          # held-out v3 figures (the ones in docs/benchmarks.md)
    python bench/bench_detector.py --split tune --errors    # the tuning part (v1 tuning + the v1 held-out), every mistake

The labels (bench/data/blocker_labels.csv, guideline in bench/data/blocker_labels.md) are
references into real text read in place (see bench/blocker_corpus.py); a sentence whose
source is absent, or whose text no longer matches the hash it was labelled with, is
unreadable. When fewer than 80 % of the chosen sentences are readable the figures would
describe a different sample, so none are printed and the exit status is 1.

Parts: ``heldout3`` (the held-out part: Node.js TSC minutes, never used for tuning), ``tune`` (the v1 tuning part, the v1 held-out part, measured once at P 0.857 R 0.938,
and the v2 held-out part, measured once at P 0.765 R 0.361; both folded into tuning after their
one measurement), ``heldout1`` and ``heldout2`` (those parts alone), ``all``.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from blocker_corpus import all_sentences  # noqa: E402

from foundermode.bottlenecks.detector import CANDIDATE, CONFIDENT, figures, kappa, score_sentence  # noqa: E402

LABELS = Path(__file__).parent / "data" / "blocker_labels.csv"
PARTS = {"heldout3": {"heldout3"}, "tune": {"tune", "heldout1", "heldout2"}, "heldout1": {"heldout1"}, "heldout2": {"heldout2"},
         "all": {"tune", "heldout1", "heldout2", "heldout3"}}
READABLE = 0.8  # below this share of readable sentences, no figures


def load_labels() -> list[dict]:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["ref"] = (row["corpus"], row["file"], int(row["line_or_id"]), int(row["sentence"]))
    return rows


def text_hash(sentence: str) -> str:
    return hashlib.sha1(sentence.encode("utf-8")).hexdigest()[:10]


def agreement_line(rows: list[dict]) -> str:
    a, b = [int(r["pass1"]) for r in rows], [int(r["pass2"]) for r in rows]
    same = sum(x == y for x, y in zip(a, b))
    return (f"{len(rows)} labelled, {sum(int(r['final']) for r in rows)} blocked; two-pass agreement {same}/{len(rows)} "
            f"({same / len(rows):.3f}), Cohen's kappa {kappa(a, b):.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(PARTS), default="heldout3")
    parser.add_argument("--errors", action="store_true", help="print every mistake (refused on the held-out part)")
    parser.add_argument("--write", metavar="CSV", help="write the chosen sentences (text,pass1,pass2,final,split) for `foundermode eval detector`; outside the repository")
    args = parser.parse_args(argv)
    if args.errors and args.split in ("heldout3", "all"):
        parser.error("--errors reads the held-out part's mistakes: that is tuning on it; use --split tune")
    labels = load_labels()
    chosen = [r for r in labels if r["split"] in PARTS[args.split]]
    print(f"{args.split}: {agreement_line(chosen)}")
    text = all_sentences()
    present = [r for r in chosen if r["ref"] in text and text_hash(text[r["ref"]][1]) == r["text_sha1"]]
    missing = len(chosen) - len(present)
    if len(present) < READABLE * len(chosen):
        print(f"{args.split}: only {len(present)} of the {len(chosen)} labelled sentences can be read here "
              f"(the monero-site, ethereum/pm and nodejs/TSC mirrors and shared/data/github-pulls, see bench/blocker_corpus.py); "
              f"below {READABLE:.0%}, so no figures")
        return 1
    if args.write:
        with open(args.write, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["text", "pass1", "pass2", "final", "split"])
            for row in present:
                out.writerow([text[row["ref"]][1], row["pass1"], row["pass2"], row["final"], row["split"]])
    scored = []
    for row in present:
        found = score_sentence(text[row["ref"]][1])
        score = found.score if found else 0.0
        scored.append((row, int(row["final"]), score))
        if args.errors and (int(row["final"]) != (score >= CONFIDENT)):
            print(f"  {'FN' if int(row['final']) else 'FP'} {score:.2f} {text[row['ref']][1][:400]}")
    groups = [("all", scored)]
    strata = sorted({row["stratum"] for row, _, _ in scored if row["stratum"]})
    if len(strata) > 1:
        groups += [(f"stratum {s}", [x for x in scored if x[0]["stratum"] == s]) for s in strata]
    positives = sum(label for _, label, _ in scored)
    print(f"{args.split}: {len(present)} sentences ({positives} blocked), {missing} unreadable here")
    for name, group in groups:
        pairs = [(label, score) for _, label, score in group]
        for threshold, level in ((CONFIDENT, "confident (escalates)"), (CANDIDATE, "candidate (shown to confirm)")):
            f = figures(pairs, threshold)
            print(f"  {name:10} {level:29} {len(pairs):4} sent. P {f['precision']:.3f}  R {f['recall']:.3f}  F1 {f['f1']:.3f}  "
                  f"(tp {f['tp']}, fp {f['fp']}, fn {f['fn']}; score >= {threshold})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
