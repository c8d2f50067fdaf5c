"""Incremental ingest of about 100 new commits against a full ingest of the same history.

    python bench/bench_incremental.py                      # git/git and rails/rails
    python bench/bench_incremental.py --repos rails --new 100 --repeat 3

For each repository: a bare clone sharing the benchmark clone's objects is set
back to the newest first-parent ancestor with at least ``--new`` commits after
it, and ingested into a fresh SQLite store (its state is kept). Then, back to
back, ``--repeat`` times: a full ingest of HEAD into a fresh store, and, from
the kept store, ``foundermode ingest git`` after the clone is moved forward to
HEAD (only the new commits are read). Also timed: a run with nothing new, and
the same incremental ingest inside one Python process (``ingest_repository``
alone, without interpreter start-up, imports and the migrations check).
Ratio: incremental / full (medians). Results: bench/results/incremental.json.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Skip  # noqa: E402


def base_commit(path: Path, new: int) -> tuple[str, int]:
    """The first-parent ancestor of HEAD with at least ``new`` commits after it, and that count."""
    k = max(1, new // 4)
    step = max(1, new // 8)
    while True:
        count = int(common.git(path, "rev-list", "--count", f"HEAD~{k}..HEAD"))
        if count >= new:
            return common.git(path, "rev-parse", f"HEAD~{k}").strip(), count
        k += step if count < new * 0.8 else 1


IN_PROCESS = r"""
import sys, time
from foundermode.store import open_store
from foundermode.ingest import ingest_repository
store = open_store(sys.argv[1])
start = time.perf_counter()
result = ingest_repository(store, sys.argv[2], jobs=int(sys.argv[3]))
print(time.perf_counter() - start, result.new_commits)
"""


def in_process(clone: Path, db: Path, jobs: int) -> float:
    """Seconds inside ingest_repository alone: no interpreter start-up, imports or migrations check."""
    run = common.timed([sys.executable, "-c", IN_PROCESS, f"sqlite:///{db}", str(clone), str(jobs)])
    if run.returncode != 0:
        raise RuntimeError(run.stderr.decode(errors="replace")[-1000:])
    return float(run.stdout.split()[0])


def copy_db(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        target = Path(str(dst) + suffix)
        target.unlink(missing_ok=True)
        source = Path(str(src) + suffix)
        if source.exists():
            shutil.copyfile(source, target)


def bench(name: str, new: int, repeat: int, jobs: int) -> dict | None:
    try:
        source = common.repo(name)
    except Skip as skip:
        print(f"skipped: {skip}")
        return None
    common.fill_missing_blobs(source)
    head = common.git(source, "rev-parse", "HEAD").strip()
    total = int(common.git(source, "rev-list", "--count", "HEAD"))
    base, count = base_commit(source, new)
    full_times, incr_times, noop_times, lib_times = [], [], [], []
    full_cpu, incr_cpu = [], []
    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        tmp = Path(tmp)
        clone = tmp / f"{name}-incr.git"
        subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(source), str(clone)], check=True)
        # the stand-ins for objects the snapshot lacks (see common.fill_missing_blobs) come along
        subprocess.run(["git", "-C", str(clone), "fetch", "-q", str(source), "refs/replace/*:refs/replace/*"], check=True)
        common.git(clone, "update-ref", "HEAD", base)
        old_db = tmp / "old.db"
        first = common.ingest(clone, f"sqlite:///{old_db}", cwd=tmp, jobs=jobs)
        print(f"  {name}: base {base[:12]} ingested in {first.seconds:.1f}s; {count} new commits to HEAD", file=sys.stderr)
        for i in range(repeat):
            common.git(clone, "update-ref", "HEAD", head)
            full = common.ingest(clone, common.fresh_db(tmp, "full"), cwd=tmp, jobs=jobs)
            work = tmp / "work.db"
            copy_db(old_db, work)
            incr = common.ingest(clone, f"sqlite:///{work}", cwd=tmp, jobs=jobs)
            rows = common.ingest_json(incr)
            assert rows and rows[0]["new_commits"] == count, rows
            noop = common.ingest(clone, f"sqlite:///{work}", cwd=tmp, jobs=jobs)
            assert common.ingest_json(noop)[0]["new_commits"] == 0
            copy_db(old_db, tmp / "lib.db")
            lib_times.append(in_process(clone, tmp / "lib.db", jobs))
            full_times.append(full.seconds)
            full_cpu.append(full.cpu_s)
            incr_cpu.append(incr.cpu_s)
            incr_times.append(incr.seconds)
            noop_times.append(noop.seconds)
            print(f"  {name} run {i + 1}: full {full.seconds:.2f}s, +{count} commits {incr.seconds:.2f}s ({incr.seconds / full.seconds:.2%}), nothing new {noop.seconds:.2f}s, in-process {lib_times[-1]:.2f}s; CPU full {full.cpu_s:.1f}s, incremental {incr.cpu_s:.2f}s; load {common.os.getloadavg()[0]:.1f}", file=sys.stderr)
        with sqlite3.connect(work) as a, sqlite3.connect(tmp / "full.db") as b:
            same = a.execute("select count(*), sum(additions), sum(deletions) from commits").fetchone() == b.execute("select count(*), sum(additions), sum(deletions) from commits").fetchone()
    return {
        "repository": common.KNOWN.get(name, name),
        "head": head,
        "base": base,
        "commits": total,
        "new_commits": count,
        "jobs": jobs,
        "full_s": common.median(full_times),
        "incremental_s": common.median(incr_times),
        "nothing_new_s": common.median(noop_times),
        "incremental_in_process_s": common.median(lib_times),
        "ratio": common.median(incr_times) / common.median(full_times),
        "full_cpu_s": common.median(full_cpu),
        "incremental_cpu_s": common.median(incr_cpu),
        "cpu_ratio": common.median(incr_cpu) / common.median(full_cpu),
        "in_process_ratio": common.median(lib_times) / common.median(full_times),
        "same_totals_as_full": same,
        "full_runs": full_times,
        "incremental_runs": incr_times,
        "nothing_new_runs": noop_times,
        "incremental_in_process_runs": lib_times,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default="git,rails")
    parser.add_argument("--new", type=int, default=100, help="new commits to ingest (at least)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = [r for r in (bench(name, args.new, args.repeat, args.jobs) for name in args.repos.split(",")) if r]
    print(common.table(rows, ["repository", "commits", "new_commits", "full_s", "incremental_s", "ratio", "nothing_new_s", "incremental_in_process_s", "in_process_ratio", "cpu_ratio", "same_totals_as_full"], "Incremental ingest vs full ingest (ratio: incremental / full)"))
    out = common.write_results("incremental", {"machine": common.machine(), "foundermode": common.package_version("foundermode"), "rows": rows})
    print(f"\nresults: {out}")


if __name__ == "__main__":
    common.main_guard(main)
