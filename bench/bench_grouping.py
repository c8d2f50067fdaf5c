"""Grouping precision on held-out real pairs: does a report join the right bottleneck?

The 840 labelled pairs of real bug reports (shared/data/duplicate-reports/dev.jsonl)
are split once, by groups of pairs sharing a text (``matching.held_out_split``,
30% held out). Everything the lexical matcher ships with is chosen on the
training split only: the first line's weight (max F1 over a grid), the join
threshold (max F1), the "maybe the same" band (the highest cut still catching
95% of the duplicates). Each split is scored with the IDF of its own texts, as
an index of open reports gives it (no labels). The held-out split is then
scored once with the constants ``matching`` ships: precision, recall, F1 and
ROC-AUC, the band, and the "same resource lowers the threshold" rule
(``grouping.SAME_RESOURCE_FACTOR``). Run from the repository root:

    python bench/bench_grouping.py [--pairs PATH] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from foundermode.bottlenecks import grouping, matching  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "duplicate-reports" / "dev.jsonl"
TITLE_WEIGHTS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
MAYBE_RECALL = 0.95
SAME_RESOURCE_FACTORS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SAME_RESOURCE_PRECISION = 0.90
ONE_WORD_FACTORS = (1.0, 1.25, 1.5, 1.75, 2.0)
ONE_WORD_PRECISION = 0.95


def split_parts(rows: list[dict]) -> list[tuple[float, float, float, float]]:
    """The four cosines of each pair, IDF from the texts of these pairs only."""
    index = matching.LexicalIndex()
    for number, text in enumerate(dict.fromkeys(t for r in rows for t in (r["a"], r["b"]))):
        index.add(number, text)
    return [index.parts(r["a"], r["b"]) for r in rows]


def shared_words(rows: list[dict]) -> list[int]:
    return [matching.shared_words(r["a"], r["b"]) for r in rows]


def joined(scores: list[float], shared: list[int], threshold: float, factor: float) -> list[float]:
    """Scores as the join rule sees them: a pair below its needed score (grouping.needed_score) counts as 0."""
    return [s if s >= grouping.needed_score(grouping.Candidate(0, None, s, 0, n), None, threshold, factor) else 0.0 for s, n in zip(scores, shared)]


def figures(scores: list[float], labels: list[bool], threshold: float) -> dict:
    row = matching.metrics_at(scores, labels, threshold)
    row["roc_auc"] = matching.roc_auc(scores, labels)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEV)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    held = matching.held_out_split([(r["a"], r["b"]) for r in rows])
    train = [r for r, h in zip(rows, held) if not h]
    test = [r for r, h in zip(rows, held) if h]
    train_labels = [bool(r["duplicate"]) for r in train]
    test_labels = [bool(r["duplicate"]) for r in test]
    train_parts, test_parts = split_parts(train), split_parts(test)

    # -- tuning: the training split only --------------------------------------------
    grid = []
    for weight in TITLE_WEIGHTS:
        scores = [matching.combine(p, weight) for p in train_parts]
        cut = matching.best_threshold(scores, train_labels)
        grid.append({"title_weight": weight, "threshold": round(cut, 4), "train_f1": round(matching.metrics_at(scores, train_labels, cut)["f1"], 4)})
    chosen = max(grid, key=lambda g: (g["train_f1"], -g["title_weight"]))
    train_scores = [matching.combine(p, chosen["title_weight"]) for p in train_parts]
    maybe_cut = matching.threshold_for_recall(train_scores, train_labels, MAYBE_RECALL)
    # Every pair comes from one project, as two reports naming one resource come from one corner
    # of the organisation: the lowest factor that keeps precision at 0.90 there.
    factors = [{"factor": f, "train_precision": round(matching.metrics_at(train_scores, train_labels, chosen["threshold"] * f)["precision"], 4)} for f in SAME_RESOURCE_FACTORS]
    same_resource = min((row["factor"] for row in factors if row["train_precision"] >= SAME_RESOURCE_PRECISION), default=1.0)
    # One shared content word: the lowest factor keeping precision at 0.95 on first lines alone (one-line reports).
    train_short = [{**r, "a": matching.headline(r["a"]), "b": matching.headline(r["b"])} for r in train]
    train_short_scores, train_short_shared = [matching.combine(p, chosen["title_weight"]) for p in split_parts(train_short)], shared_words(train_short)
    one_word_grid = [{"factor": f, "train_first_lines_precision": round(matching.metrics_at(
        joined(train_short_scores, train_short_shared, chosen["threshold"], f), train_labels, chosen["threshold"])["precision"], 4)} for f in ONE_WORD_FACTORS]
    one_word = min((row["factor"] for row in one_word_grid if row["train_first_lines_precision"] >= ONE_WORD_PRECISION), default=ONE_WORD_FACTORS[-1])
    tuned = {"title_weight": chosen["title_weight"], "threshold": chosen["threshold"], "maybe_factor": round(maybe_cut / chosen["threshold"], 3),
             "same_resource_factor": same_resource, "one_word_factor": one_word, "grid": grid, "same_resource_grid": factors, "one_word_grid": one_word_grid}

    # -- the held-out split, scored once with what ships -------------------------------
    shipped = {"title_weight": matching.TITLE_WEIGHT, "threshold": matching.DEFAULT_THRESHOLD, "maybe_factor": matching.MAYBE_FACTOR,
               "same_resource_factor": grouping.SAME_RESOURCE_FACTOR, "one_word_factor": grouping.ONE_WORD_FACTOR}
    scores = [matching.combine(p, matching.TITLE_WEIGHT) for p in test_parts]
    join = matching.DEFAULT_THRESHOLD
    maybe = matching.maybe_threshold(join)
    band = [label for s, label in zip(scores, test_labels) if maybe <= s < join]
    old = [matching.combine(p, 0.0) for p in test_parts]
    # Blocker reports are one line: the first lines alone, scored in an index of first lines, are the nearest test of that.
    short = [{**r, "a": matching.headline(r["a"]), "b": matching.headline(r["b"])} for r in test]
    short_scores = [matching.combine(p) for p in split_parts(short)]
    test_shared, short_shared = shared_words(test), shared_words(short)
    pair_alone = [matching.lexical_similarity(r["a"], r["b"]) for r in test]
    result = {
        "pairs": {"train": len(train), "held_out": len(test), "held_out_duplicates": sum(test_labels)},
        "tuned_on_train": tuned,
        "shipped": shipped,
        "held_out": {
            "join": figures(joined(scores, test_shared, join, grouping.ONE_WORD_FACTOR), test_labels, join),
            "join_without_one_word_rule": figures(scores, test_labels, join),
            "maybe_band": {"from": round(maybe, 4), "to": join, "pairs": len(band), "duplicates": sum(band), "non_duplicates": len(band) - sum(band),
                           "duplicates_joined_or_flagged": round(sum(s >= maybe for s, label in zip(scores, test_labels) if label) / sum(test_labels), 4),
                           "non_duplicates_flagged": round(len(band) - sum(band), 4)},
            "same_resource": figures(scores, test_labels, join * grouping.SAME_RESOURCE_FACTOR),
            "same_resource_at_0.5": figures(scores, test_labels, join * 0.5),
            "previous_matcher_words_and_ngrams_only_at_0.093": figures(old, test_labels, 0.093),
            "first_lines_only": figures(joined(short_scores, short_shared, join, grouping.ONE_WORD_FACTOR), test_labels, join),
            "first_lines_without_one_word_rule": figures(short_scores, test_labels, join),
            "pair_alone_idf": figures(pair_alone, test_labels, join),
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"train {len(train)} pairs, held out {len(test)} ({sum(test_labels)} duplicates)")
    print(f"tuned on train: title weight {tuned['title_weight']}, threshold {tuned['threshold']:.4f}, maybe factor {tuned['maybe_factor']:.3f}, same resource x{tuned['same_resource_factor']}, one shared word x{tuned['one_word_factor']}")
    print(f"shipped:        title weight {shipped['title_weight']}, threshold {shipped['threshold']:.4f}, maybe factor {shipped['maybe_factor']}, same resource x{shipped['same_resource_factor']}, one shared word x{shipped['one_word_factor']}")
    for name, row in (("join (shipped rule)", result["held_out"]["join"]), ("join without the one-word rule", result["held_out"]["join_without_one_word_rule"]),
                      ("same resource (threshold x factor)", result["held_out"]["same_resource"]),
                      ("same resource at x0.5 (earlier rule)", result["held_out"]["same_resource_at_0.5"]),
                      ("previous matcher at 0.093", result["held_out"]["previous_matcher_words_and_ngrams_only_at_0.093"]),
                      ("first lines only (one-line reports)", result["held_out"]["first_lines_only"]),
                      ("first lines, without the one-word rule", result["held_out"]["first_lines_without_one_word_rule"]),
                      ("each pair alone (two-report IDF)", result["held_out"]["pair_alone_idf"])):
        print(f"{name:38} t={row['threshold']:.4f}  P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  AUC {row['roc_auc']:.3f}  tp {row['tp']} fp {row['fp']} fn {row['fn']} tn {row['tn']}")
    b = result["held_out"]["maybe_band"]
    print(f"maybe band [{b['from']:.4f}, {b['to']:.4f}): {b['pairs']} pairs ({b['duplicates']} duplicates, {b['non_duplicates']} not); duplicates joined or flagged {b['duplicates_joined_or_flagged']:.3f}")


if __name__ == "__main__":
    main()
