"""Precision, recall and F1 of the blocker detector on real, labelled sentences.

    python bench/bench_detector.py                 # held-out figures (the ones in docs/benchmarks.md)
    python bench/bench_detector.py --split tune --errors   # the tuning part, with every mistake

The labels (bench/data/blocker_labels.csv) are references into real text read in
place (see bench/blocker_corpus.py); sentences whose source is absent are skipped
and counted. Labels were made in two passes before the rules were written; the
held-out part (split by a hash of the reference) was never looked at while tuning.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from blocker_corpus import all_sentences  # noqa: E402

from foundermode.bottlenecks.detector import CANDIDATE, CONFIDENT, figures, kappa, score_sentence  # noqa: E402

LABELS = Path(__file__).parent / "data" / "blocker_labels.csv"


def load_labels() -> list[dict]:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        line = int(row["line_or_id"])
        row["ref"] = (row["corpus"], row["file"], line, int(row["sentence"]))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    parser.add_argument("--errors", action="store_true", help="print every mistake (never use on the held-out part while tuning)")
    parser.add_argument("--write", metavar="CSV", help="write the chosen sentences (text,pass1,pass2,final,split) for `foundermode eval detector`; outside the repository")
    args = parser.parse_args(argv)
    labels = load_labels()
    print(f"labelled sentences: {len(labels)}; positives {sum(int(r['final']) for r in labels)}; "
          f"two-pass agreement {sum(r['pass1'] == r['pass2'] for r in labels) / len(labels):.3f}, "
          f"Cohen's kappa {kappa([int(r['pass1']) for r in labels], [int(r['pass2']) for r in labels]):.3f}")
    text = all_sentences()
    chosen = [r for r in labels if args.split == "all" or r["split"] == args.split]
    present = [r for r in chosen if r["ref"] in text]
    missing = len(chosen) - len(present)
    if not present:
        print(f"{args.split}: none of the {len(chosen)} sentences' sources can be read here; skipped")
        return 0
    if args.write:
        with open(args.write, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["text", "pass1", "pass2", "final", "split"])
            for row in present:
                out.writerow([text[row["ref"]][1], row["pass1"], row["pass2"], row["final"], row["split"]])
    pairs = []
    for row in present:
        found = score_sentence(text[row["ref"]][1])
        score = found.score if found else 0.0
        pairs.append((int(row["final"]), score))
        if args.errors and (int(row["final"]) != (score >= CONFIDENT)):
            print(f"  {'FN' if int(row['final']) else 'FP'} {score:.2f} {text[row['ref']][1][:160]}")
    positives = sum(label for label, _ in pairs)
    print(f"{args.split}: {len(present)} sentences ({positives} blocked), {missing} unreadable here")
    for threshold, name in ((CONFIDENT, "confident (escalates)"), (CANDIDATE, "candidate (shown to confirm)")):
        f = figures(pairs, threshold)
        print(f"  {name:30} P {f['precision']:.3f}  R {f['recall']:.3f}  F1 {f['f1']:.3f}  (tp {f['tp']}, fp {f['fp']}, fn {f['fn']}; score >= {threshold})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
