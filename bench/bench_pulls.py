"""Ingest of 10,000 pull requests with their reviews from export files: full, then again with nothing new.

    python bench/bench_pulls.py                       # 10,000 pull requests, 3 repeats
    python bench/bench_pulls.py --pulls 10000 --repeat 3

The export is generated to GitHub's documented schema (foundermode.sources.pulls_samples,
the same payloads the tests use) as ``gh api --paginate`` writes it: the pull request list
in pages of 100, every pull request's reviews appended page after page into files of
1,000 pull requests each (``for n in ...; do gh api --paginate .../pulls/$n/reviews; done >> reviews-K.json``),
the repository's review comments and conversation comments. Half the pull requests are
merged, a tenth closed, the rest open with reviewers requested.

Timed, back to back, ``--repeat`` times: ``foundermode ingest github FOLDER`` into a fresh
SQLite store (full), then the same command on the kept store (nothing new: every file is
known by its content hash and no JSON is read), and that second run inside one Python
process (``ingest_files`` alone, without interpreter start-up and imports). Ratio: nothing
new / full (medians). The store's counts are checked against what was generated.
Results: bench/results/pulls.json.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

REPO = "bench/app"
T0 = 1_700_000_000
H = 3600
D = 86_400


def generate(folder: Path, pulls: int, seed: int = 17) -> dict:
    from foundermode.sources import pulls_samples as s

    rng = random.Random(seed)
    people = [f"dev{i}" for i in range(60)]
    items, reviews_by_chunk, review_comments, issue_comments = [], {}, [], []
    counts = {"pulls": pulls, "reviews": 0, "review_comments": 0, "issue_comments": 0}
    for number in range(1, pulls + 1):
        author = people[number % len(people)]
        created = T0 + number * 600
        others = [p for p in rng.sample(people, 4) if p != author][:3]
        fate = rng.random()
        merged = created + rng.randint(2 * H, 6 * D) if fate < 0.5 else None
        closed = created + rng.randint(H, 3 * D) if 0.5 <= fate < 0.6 else None
        requested = others[:1] if merged is None and closed is None else []
        items.append(s.pull(REPO, number, author, created, merged=merged, closed=closed, requested=requested, title=f"Change {number}"))
        theirs = []
        for index, reviewer in enumerate(others[: rng.randint(0, 3)]):
            state = rng.choice(["APPROVED", "APPROVED", "COMMENTED", "CHANGES_REQUESTED"])
            theirs.append(s.review(REPO, number, reviewer, state, created + (index + 1) * rng.randint(600, 2 * D), index=index))
        counts["reviews"] += len(theirs)
        reviews_by_chunk.setdefault((number - 1) // 1000, []).append(theirs)
        if theirs and rng.random() < 0.6:
            review_comments.append(s.review_comment(REPO, number, others[0], created + H))
        if rng.random() < 0.4:
            issue_comments.append(s.issue_comment(REPO, number, rng.choice(people), created + 2 * H))
    counts["review_comments"] = len(review_comments)
    counts["issue_comments"] = len(issue_comments)
    folder.mkdir(parents=True, exist_ok=True)
    s.write_pages(folder / "pulls.json", items, page_size=100)
    for chunk, per_pull in reviews_by_chunk.items():
        with (folder / f"reviews-{chunk:02d}.json").open("w", encoding="utf-8") as handle:
            import json

            for page in per_pull:  # one `gh api --paginate` per pull request, appended
                handle.write(json.dumps(page))
    s.write_pages(folder / "review-comments.json", review_comments)
    s.write_pages(folder / "comments.json", issue_comments)
    return counts


IN_PROCESS = r"""
import sys, time
from foundermode.config import Config
from foundermode.store import open_store
from foundermode.ingest_reviews import ingest_files
store = open_store(sys.argv[1])
start = time.perf_counter()
result = ingest_files(store, Config(), [sys.argv[2]])
print(time.perf_counter() - start, result.unchanged, result.files)
"""


def stored(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "pulls": one("select count(*) from pull_requests"),
            "reviews": one("select count(*) from pull_reviews"),
            "review_comments": one("select count(*) from pull_comments where kind = 'review'"),
            "issue_comments": one("select count(*) from pull_comments where kind = 'issue'"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pulls", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cmd = common.foundermode_cmd()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    with tempfile.TemporaryDirectory(prefix="fm-bench-pulls-") as tmp_name:
        tmp = Path(tmp_name)
        counts = generate(tmp / "export", args.pulls)
        size_mb = sum(p.stat().st_size for p in (tmp / "export").iterdir()) / 1e6
        files = len(list((tmp / "export").iterdir()))
        print(f"generated {counts} in {files} files, {size_mb:.1f} MB")
        full, again, again_cpu, full_cpu, in_process, rss = [], [], [], [], [], []
        for round_ in range(args.repeat):
            db_url = common.fresh_db(tmp, f"pulls{round_}")
            run = common.timed(cmd + ["--db", db_url, "ingest", "github", str(tmp / "export"), "--json"], cwd=tmp, env=env)
            if run.returncode != 0:
                raise RuntimeError(run.stderr.decode(errors="replace")[-2000:])
            full.append(run.seconds)
            full_cpu.append(run.cpu_s)
            rss.append(run.maxrss_mb)
            got = stored(tmp / f"pulls{round_}.db")
            if got != counts:
                raise SystemExit(f"store holds {got}, generated {counts}")
            run = common.timed(cmd + ["--db", db_url, "ingest", "github", str(tmp / "export"), "--json"], cwd=tmp, env=env)
            if run.returncode != 0:
                raise RuntimeError(run.stderr.decode(errors="replace")[-2000:])
            again.append(run.seconds)
            again_cpu.append(run.cpu_s)
            out = subprocess.run([sys.executable, "-c", IN_PROCESS, db_url, str(tmp / "export")], capture_output=True, text=True, check=True).stdout.split()
            in_process.append(float(out[0]))
            if int(out[1]) != files:
                raise SystemExit(f"nothing new, yet {files - int(out[1])} files were read again")
            if stored(tmp / f"pulls{round_}.db") != counts:
                raise SystemExit("the second run changed the store")
            print(f"round {round_ + 1}: full {full[-1]:.2f} s, nothing new {again[-1]:.2f} s ({again[-1] / full[-1]:.1%}), in-process {in_process[-1] * 1000:.0f} ms")
        result = {
            "machine": common.machine(), "counts": counts, "files": files, "export_mb": round(size_mb, 1),
            "full_s": common.median(full), "full_cpu_s": common.median(full_cpu), "peak_rss_mb": max(rss),
            "nothing_new_s": common.median(again), "nothing_new_cpu_s": common.median(again_cpu), "nothing_new_in_process_s": common.median(in_process),
            "ratio_wall": common.median(again) / common.median(full), "ratio_cpu": common.median(again_cpu) / common.median(full_cpu),
            "ratio_in_process": common.median(in_process) / common.median(full), "runs": {"full": full, "nothing_new": again, "in_process": in_process},
        }
        path = common.write_results("pulls", result)
        print(common.table([result], ["full_s", "nothing_new_s", "nothing_new_in_process_s", "ratio_wall", "ratio_cpu", "ratio_in_process", "peak_rss_mb"]))
        print(f"results: {path}")


if __name__ == "__main__":
    common.main_guard(main)
