"""The whole team report (principle 1) on a big ingested history.

    python bench/bench_team.py                          # rails/rails: ingested once into /tmp/bench-team/rails.db
    python bench/bench_team.py --db sqlite:////tmp/x.db # an already ingested store
    python bench/bench_team.py --repos flask,rails --repeat 3
    python bench/bench_team.py --synthetic 100000       # no mirror: a generated store of that many commits

Times, per repository:
  report    ``foundermode --db URL team report --days D`` as a subprocess, end to end
            (Python start-up, migrations check, every analysis, JSON out), D = 365
            and D = the whole history; median of --repeat runs, peak RSS.
  parts     the same analyses in-process, one by one (profiles, authorship + truck
            factor per area, output per month, managers, review list), to show
            where the time goes.
The ingest itself is not timed here (bench_ingest.py does that).
Results: a table on stdout and bench/results/team.json.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Skip  # noqa: E402

WORK = Path("/tmp/bench-team")


def store_for(name: str) -> tuple[str, str]:
    """(db url, description) of an ingested store for a known repository, ingesting it once."""
    path = common.repo(name, worktree=False)
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / f"{name}.db"
    url = f"sqlite:///{db}"
    head = common.git(path, "rev-parse", "HEAD").strip()
    marker = WORK / f"{name}.head"
    if not db.exists() or not marker.exists() or marker.read_text().strip() != head:
        print(f"ingesting {name} into {db} (once; not timed here)", file=sys.stderr)
        common.fresh_db(WORK, name)
        common.ingest(path, url, cwd=WORK, jobs=2)
        marker.write_text(head)
    return url, f"{common.KNOWN.get(name, name)} at {head[:12]}"


def synthetic_store(commits: int, people: int = 2000, files: int = 8000, seed: int = 7) -> tuple[str, str]:
    """A store with a generated history: Zipf-like authors and files, renames, merges, bots.

    Written straight into the tables (no git), for machines without a big mirror.
    The truck factor needs the repository's files; they come from the ownership file list.
    """
    from sqlalchemy import insert

    from foundermode.store import open_store
    from foundermode.store.schema import commits as commits_t
    from foundermode.store.schema import file_changes, identities, ownership, ownership_files, people as people_t, repositories

    WORK.mkdir(parents=True, exist_ok=True)
    name = f"synthetic-{commits}"
    url = common.fresh_db(WORK, name)
    store = open_store(url)
    rng = random.Random(seed)
    start = 1_262_304_000  # 2010-01-01
    span = 15 * 365 * 86_400
    author_weights = [1 / (i + 1) for i in range(people)]
    file_weights = [1 / (i + 1) ** 0.8 for i in range(files)]
    paths = [f"area{i % 40}/pkg{i % 300}/file{i}.rb" for i in range(files)]
    with store.write() as conn:
        conn.execute(insert(people_t), [{"id": i + 1, "name": f"Person {i}", "email": f"p{i}@example.com", "is_bot": i == 5, "in_org_chart": False, "created_at": 0} for i in range(people)])
        conn.execute(insert(identities), [{"person_id": i + 1, "key": f"p{i}@example.com", "name": f"Person {i}", "email": f"p{i}@example.com", "source": "git"} for i in range(people)])
        conn.execute(insert(repositories).values(id=1, name=name, path=str(WORK / name), last_sha="f" * 40, commit_count=commits, is_shallow=False))
        created: set[str] = set()
        batch_c, batch_f = [], []
        fc_id = 0
        for cid in range(1, commits + 1):
            at = start + span * cid // commits
            author = rng.choices(range(1, people + 1), author_weights)[0]
            merge = rng.random() < 0.15
            changes = [] if merge else sorted(set(rng.choices(range(files), file_weights, k=rng.choice((1, 1, 2, 3, 5)))))
            added = 0
            for f in changes:
                path = paths[f]
                status = "M" if path in created else "A"
                created.add(path)
                a, d = rng.randint(0, 60), rng.randint(0, 30)
                added += a
                fc_id += 1
                batch_f.append({"id": fc_id, "commit_id": cid, "path": path, "old_path": None, "status": status, "additions": a, "deletions": d, "is_binary": False, "is_submodule": False, "is_excluded": False})
            batch_c.append({"id": cid, "repo_id": 1, "sha": f"{cid:040x}", "parents": "", "author_id": author, "committer_id": author, "authored_at": at, "author_tz": 0, "committed_at": at, "subject": "change", "is_merge": merge, "is_boundary": False, "additions": added, "deletions": 0, "files_changed": len(changes)})
            if len(batch_c) >= 20_000:
                conn.execute(insert(commits_t), batch_c)
                conn.execute(insert(file_changes), batch_f)
                batch_c, batch_f = [], []
        if batch_c:
            conn.execute(insert(commits_t), batch_c)
            conn.execute(insert(file_changes), batch_f if batch_f else [])
        present = sorted(created)
        conn.execute(insert(ownership_files), [{"repo_id": 1, "path": p, "blob": "0" * 40, "lines": 100, "is_excluded": False} for p in present])
        conn.execute(insert(ownership), [{"repo_id": 1, "path": p, "person_id": 1 + (hash(p) % 50), "lines": 100} for p in present])
    store.dispose()
    return url, f"synthetic: {commits} commits, {people} people, {files} files"


def first_day(url: str) -> int:
    from foundermode import team
    from foundermode.store import open_store

    store = open_store(url)
    with store.read() as conn:
        first, last = team.queries.activity_span(conn, team.Scope())
    store.dispose()
    return (last - first) // 86_400 + 2


def timed_cpu(cmd: list[str]) -> tuple[float, float, float, bytes, int]:
    """(wall s, CPU s of the process and the git processes it waited for, peak RSS MB, stdout, exit code).

    On a shared machine wall time mostly measures the neighbours; CPU time is
    what the report itself costs."""
    import os
    import tempfile

    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=WORK, env={**os.environ, "NO_COLOR": "1"}, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(), os.waitstatus_to_exitcode(status)


def bench_report(url: str, days: int, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        wall, cpu, rss, stdout, code = timed_cpu(common.foundermode_cmd() + ["--db", url, "team", "report", "--days", str(days)])
        if code != 0:
            raise RuntimeError(f"team report failed ({code})")
        runs.append((wall, cpu, rss))
    report = json.loads(stdout)
    return {
        "days": days,
        "seconds": common.median([r[0] for r in runs]),
        "cpu_seconds": common.median([r[1] for r in runs]),
        "runs": [round(r[0], 3) for r in runs],
        "cpu_runs": [round(r[1], 3) for r in runs],
        "maxrss_mb": max(r[2] for r in runs),
        "profiles": len(report["profiles"]),
        "months": len(report["output"]),
        "truck_factors": [(t["area"], t["truck_factor"]) for t in report["truck_factors"] if t["area"] is None],
        "areas": len(report["truck_factors"]) - 1,
    }


def cpu_now() -> float:
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def bench_parts(url: str, days: int) -> dict:
    """Wall and CPU seconds of each analysis, in-process."""
    from foundermode import team
    from foundermode.store import open_store

    store = open_store(url)
    parts = {}
    computed = {}
    started, started_cpu = time.perf_counter(), cpu_now()
    scope = team.window(store, days=days)
    for label, call in (
        ("profiles", lambda: team.profiles(store, scope)),
        ("authorship", lambda: computed.__setitem__("auth", team.authorships(store))),
        ("truck_factor_by_area", lambda: team.truck_factor(store, computed=computed["auth"], by_area=True)),
        ("output", lambda: team.output(store, scope)),
        ("managers", lambda: team.managers_without_footprint(store, scope)),
        ("review", lambda: team.review_list(store, team.window(store, days=182), computed=computed["auth"])),
    ):
        t, c = time.perf_counter(), cpu_now()
        call()
        parts[label] = {"wall": round(time.perf_counter() - t, 3), "cpu": round(cpu_now() - c, 3)}
    parts["total_in_process"] = {"wall": round(time.perf_counter() - started, 3), "cpu": round(cpu_now() - started_cpu, 3)}
    store.dispose()
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default="rails", help="comma-separated: flask, rails, git")
    parser.add_argument("--db", help="an already ingested store instead of --repos")
    parser.add_argument("--synthetic", type=int, help="generate a store with this many commits instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    targets = []
    if args.synthetic:
        targets.append(synthetic_store(args.synthetic))
    elif args.db:
        targets.append((args.db, args.db))
    else:
        for name in args.repos.split(","):
            try:
                targets.append(store_for(name.strip()))
            except Skip as skip:
                print(f"skipped: {skip}")
    rows = []
    for url, description in targets:
        whole = first_day(url)
        for days in (365, whole):
            load = __import__("os").getloadavg()[0]
            row = {"store": description, "loadavg_before": load, **bench_report(url, days, args.repeat), "parts": bench_parts(url, days)}
            rows.append(row)
            print(f"{description}: team report over {days} days: {row['seconds']:.2f} s wall, {row['cpu_seconds']:.2f} s CPU (runs {row['runs']}, CPU {row['cpu_runs']}), "
                  f"peak {row['maxrss_mb']:.0f} MB, {row['profiles']} profiles, {row['months']} months, TF {row['truck_factors']}, "
                  f"{row['areas']} areas; in-process parts {row['parts']}")
    if rows:
        label = "synthetic" if args.synthetic else ("db-" + Path(args.db.split("///")[-1]).stem if args.db else "-".join(n.strip() for n in args.repos.split(",")))
        out = common.write_results(f"team-{label}", {"machine": common.machine(), "foundermode": common.package_version("foundermode"), "rows": rows})
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
