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

from foundermode.bottlenecks.detector import CANDIDATE, CONFIDENT, score_sentence  # noqa: E402

LABELS = Path(__file__).parent / "data" / "blocker_labels.csv"


def load_labels() -> list[dict]:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        line = int(row["line_or_id"])
        row["ref"] = (row["corpus"], row["file"], line, int(row["sentence"]))
    return rows


def kappa(a: list[int], b: list[int]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def figures(pairs: list[tuple[int, float]], threshold: float) -> dict:
    tp = sum(1 for label, score in pairs if label and score >= threshold)
    fp = sum(1 for label, score in pairs if not label and score >= threshold)
    fn = sum(1 for label, score in pairs if label and score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    parser.add_argument("--errors", action="store_true", help="print every mistake (never use on the held-out part while tuning)")
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
