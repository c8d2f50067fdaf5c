"""Matching latency: p50/p95 of ``index.query`` against 10,000 indexed reports.

The reports are the dev pairs' 1,098 real bug-report texts plus variants of
them (words dropped, typos, words borrowed from another report), so the index
has the vocabulary and the near-duplicates a real backlog has; queries are
fresh variants that were not indexed. Run from the repository root:

    python bench/bench_matching.py [--reports 10000] [--queries 500] [--matcher lexical|semantic] [--check 20] [--json]
    python bench/bench_matching.py --threshold-by-index-size 2,10,30,100,300,1000
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from foundermode.bottlenecks.matching import build_index  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "duplicate-reports" / "dev.jsonl"


def load_texts(path: Path) -> list[str]:
    texts: dict[str, None] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts.setdefault(row["a"], None)
            texts.setdefault(row["b"], None)
    return list(texts)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def variant(text: str, donor: str, rng: random.Random) -> str:
    """The same report as another person might write it: shorter, sloppier, a few words of their own."""
    words = text.split()
    kept = [typo(w, rng) if rng.random() < 0.08 else w for w in words if rng.random() > 0.25]
    borrowed = rng.sample(donor.split(), min(5, len(donor.split())))
    cut = rng.randint(0, len(kept))
    return " ".join(kept[:cut] + borrowed + kept[cut:])


def corpus(texts: list[str], size: int, rng: random.Random) -> list[str]:
    out = list(texts[:size])
    while len(out) < size:
        out.append(variant(rng.choice(texts), rng.choice(texts), rng))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(reports: int, queries: int, matcher: str, check: int = 20, seed: int = 7) -> dict:
    rng = random.Random(seed)
    texts = load_texts(DEV)
    docs = corpus(texts, reports, rng)
    probes = [variant(rng.choice(texts), rng.choice(texts), rng) for _ in range(queries)]

    index = build_index(matcher)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index.add_many(enumerate(docs))
    build_s = time.perf_counter() - started
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024  # KiB on Linux

    index.query(probes[0])  # warm caches, as a long-running server would be
    # Wall time is what a reporter waits; CPU time is what the query costs
    # whatever else the machine runs (the project's machines are shared).
    load_before = os.getloadavg()[0]
    timings, cpu = [], []
    for text in probes:
        started, started_cpu = time.perf_counter(), time.process_time()
        index.query(text, k=5)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    load_after = os.getloadavg()[0]

    # Churn: bottlenecks resolve and new reports arrive while queries run.
    churn = []
    for i, text in enumerate(probes[:100]):
        started = time.perf_counter()
        index.remove(i)
        index.add(reports + i, text)
        churn.append((time.perf_counter() - started) * 1000)

    # The query prunes common features when picking candidates: how often is
    # its best hit the exhaustive best hit, and how much of the exhaustive top 5
    # does it return? (Compared by score, so exact ties count as found.)
    top1 = found = 0
    checked = probes[:check] if hasattr(index, "score_all") else []
    for text in checked:
        exhaustive = [score for _, score in index.score_all(text)[:5]]
        hits = [score for _, score in index.query(text, k=5)]
        top1 += bool(hits) and abs(hits[0] - exhaustive[0]) < 1e-9
        found += sum(any(abs(h - e) < 1e-9 for h in hits) for e in exhaustive)

    return {
        "matcher": matcher,
        "reports": reports,
        "queries": queries,
        "mean_query_chars": round(statistics.mean(map(len, probes))),
        "build_s": round(build_s, 2),
        "peak_rss_growth_mb": round(rss_growth_mb),
        "query_p50_ms": round(percentile(timings, 0.50), 2),
        "query_p95_ms": round(percentile(timings, 0.95), 2),
        "query_max_ms": round(max(timings), 2),
        "query_cpu_p50_ms": round(percentile(cpu, 0.50), 2),
        "query_cpu_p95_ms": round(percentile(cpu, 0.95), 2),
        "load_average_1min": f"{load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores",
        "remove_plus_add_p50_ms": round(percentile(churn, 0.50), 2),
        "remove_plus_add_p95_ms": round(percentile(churn, 0.95), 2),
        "top1_equals_exhaustive": f"{top1}/{len(checked)}",
        "exhaustive_top5_found": f"{found}/{5 * len(checked)}",
    }


def threshold_by_index_size(sizes: list[int], seed: int = 7) -> list[dict]:
    """Does the shipped threshold hold for an index of 2, 10, ... reports?

    IDF comes from the index, so the scale of scores could move with its size.
    The labelled pairs are shuffled and cut into batches whose texts number
    about ``size``; each batch gets its own index and its pairs are scored
    with that index's IDF.
    """
    from foundermode.bottlenecks.matching import DEFAULT_THRESHOLD, LexicalIndex, best_threshold, metrics_at, roc_auc

    with DEV.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    rng = random.Random(seed)
    out = []
    for size in sizes:
        order = list(range(len(rows)))
        rng.shuffle(order)
        per_batch = max(1, size // 2)
        scores: list[float] = [0.0] * len(rows)
        for start in range(0, len(order), per_batch):
            batch = order[start : start + per_batch]
            index = LexicalIndex()
            index.add_many(enumerate(dict.fromkeys(t for i in batch for t in (rows[i]["a"], rows[i]["b"]))))
            for i in batch:
                scores[i] = index.similarity(rows[i]["a"], rows[i]["b"])
        labels = [row["duplicate"] for row in rows]
        best = best_threshold(scores, labels)
        out.append({
            "texts_per_index": size,
            "roc_auc": round(roc_auc(scores, labels), 3),
            "max_f1_threshold": round(best, 3),
            "max_f1": round(metrics_at(scores, labels, best)["f1"], 3),
            "f1_at_shipped_threshold": round(metrics_at(scores, labels, DEFAULT_THRESHOLD)["f1"], 3),
        })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--matcher", default="lexical", choices=["lexical", "semantic"])
    parser.add_argument("--check", type=int, default=20, help="queries also scored exhaustively, to check pruning")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threshold-by-index-size", metavar="SIZES", help="instead: e.g. 2,10,30,100,300,1000 (see threshold_by_index_size)")
    args = parser.parse_args()
    if args.threshold_by_index_size:
        rows = threshold_by_index_size([int(size) for size in args.threshold_by_index_size.split(",")])
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print("| " + " | ".join(rows[0]) + " |")
            print("|" + "---|" * len(rows[0]))
            for row in rows:
                print("| " + " | ".join(str(v) for v in row.values()) + " |")
        return
    result = run(args.reports, args.queries, args.matcher, args.check)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>24}  {value}")


if __name__ == "__main__":
    main()
