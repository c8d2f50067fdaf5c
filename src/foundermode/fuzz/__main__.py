"""The fuzz command: ``python -m foundermode.fuzz [--examples N] [--parser P ...] [--keep DIR]``.

Runs N mutated real inputs per parser (one process), then prints per parser the
inputs, outcomes, tracebacks, hangs over 5 s, the slowest input and the peak
memory of the process; exits 1 when any traceback or hang was found. Needs the
test extras (Hypothesis): ``pip install -e '.[test]'``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .harness import HANG_SECONDS, PARSERS, campaign, peak_memory_mb, seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foundermode.fuzz", description="Mutate real inputs and feed them to foundermode's parsers.")
    parser.add_argument("--examples", "-n", type=int, default=100_000, help="inputs per parser (default 100,000)")
    parser.add_argument("--parser", "-p", action="append", choices=PARSERS, help="only this parser (repeatable; default all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (a run is reproducible)")
    parser.add_argument("--keep", type=Path, help="save every failing input into this folder")
    parser.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table (for docs/reliability.md)")
    args = parser.parse_args(argv)
    chosen = args.parser or list(PARSERS)
    results = []
    for name in chosen:
        print(f"{name}: {len(seeds(name))} seed files, {args.examples:,} inputs", file=sys.stderr, flush=True)
        started = time.perf_counter()

        def progress(result, started=started):
            print(f"  {name}: {result.inputs:,} inputs, {dict(result.outcomes)}, {time.perf_counter() - started:,.0f} s", file=sys.stderr, flush=True)

        result = campaign(name, args.examples, seed=args.seed, keep=args.keep, batch=max(1, min(5000, args.examples // 10 or 1)), progress=progress)
        results.append(result)
        for kind, detail, saved in result.failures[:10]:
            print(f"  {kind}: {detail}" + (f" ({saved})" if saved else ""), file=sys.stderr)
    peak = peak_memory_mb()
    if args.markdown:
        print("| parser | seeds | inputs | parsed | parser errors | tracebacks | hangs > 5 s | slowest input | time |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if args.markdown:
            print(f"| {r.parser} | {len(seeds(r.parser))} | {r.inputs:,} | {r.outcomes['ok']:,} | {r.outcomes['error']:,} | {r.tracebacks} | {r.hangs} | {r.slowest:.2f} s | {r.seconds:,.0f} s |")
        else:
            print(f"{r.parser}: {r.inputs:,} inputs, {r.outcomes['ok']:,} parsed, {r.outcomes['error']:,} parser errors, "
                  f"{r.tracebacks} tracebacks, {r.hangs} hangs over {HANG_SECONDS:g} s, slowest {r.slowest:.2f} s, {r.seconds:,.0f} s")
    print(f"peak memory of the process: {peak:,.0f} MB")
    return 1 if any(r.tracebacks or r.hangs for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
