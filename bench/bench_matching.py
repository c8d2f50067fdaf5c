"""Matching latency: p50/p95 of ``index.query`` against 10,000 indexed reports.

The reports are the dev pairs' 1,098 real bug-report texts plus variants of
them (words dropped, typos, words borrowed from another report), so the index
has the vocabulary and the near-duplicates a real backlog has; queries are
fresh variants that were not indexed. Run from the repository root:

    python bench/bench_matching.py [--reports 10000] [--queries 500] [--matcher lexical] [--json]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tracemalloc
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


def run(reports: int, queries: int, matcher: str, seed: int = 7) -> dict:
    rng = random.Random(seed)
    texts = load_texts(DEV)
    docs = corpus(texts, reports, rng)
    probes = [variant(rng.choice(texts), rng.choice(texts), rng) for _ in range(queries)]

    tracemalloc.start()
    index = build_index(matcher)
    started = time.perf_counter()
    for key, text in enumerate(docs):
        index.add(key, text)
    build_s = time.perf_counter() - started
    memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()

    index.query(probes[0])  # warm caches, as a long-running server would be
    timings = []
    for text in probes:
        started = time.perf_counter()
        index.query(text, k=5)
        timings.append((time.perf_counter() - started) * 1000)

    # Churn: bottlenecks resolve and new reports arrive while queries run.
    churn = []
    for i, text in enumerate(probes[:100]):
        started = time.perf_counter()
        index.remove(i)
        index.add(reports + i, text)
        churn.append((time.perf_counter() - started) * 1000)

    return {
        "matcher": matcher,
        "reports": reports,
        "queries": queries,
        "mean_query_chars": round(statistics.mean(map(len, probes))),
        "build_s": round(build_s, 2),
        "index_memory_mb": round(memory_mb, 1),
        "query_p50_ms": round(percentile(timings, 0.50), 2),
        "query_p95_ms": round(percentile(timings, 0.95), 2),
        "query_max_ms": round(max(timings), 2),
        "remove_plus_add_p50_ms": round(percentile(churn, 0.50), 2),
        "remove_plus_add_p95_ms": round(percentile(churn, 0.95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--matcher", default="lexical", choices=["lexical", "semantic"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.reports, args.queries, args.matcher)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>24}  {value}")


if __name__ == "__main__":
    main()
