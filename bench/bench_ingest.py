"""Full git ingestion: foundermode against a serial ``git log --numstat`` and against PyDriller.

    python bench/bench_ingest.py                      # everything below, repositories that are present
    python bench/bench_ingest.py full --repos git,rails --repeat 3
    python bench/bench_ingest.py pydriller            # pallets/flask
    python bench/bench_ingest.py shortlog --repos flask,rails

full       ``foundermode ingest git REPO --jobs 2`` into a fresh SQLite store, and
           ``git log --numstat --format=<the same fields> HEAD > /dev/null`` on the
           same revision, back to back, ``--repeat`` times; ratio of medians; peak
           RSS of the foundermode process. A snapshot that lacks objects gets
           empty stand-ins (refs/replace, benchmark clone only) so the serial
           git log can finish; foundermode is also run on it as it is
           (GIT_NO_REPLACE_OBJECTS=1) and each commit it warned about is checked.
pydriller  foundermode against PyDriller reading the same commits with their
           modified files (added_lines, deleted_lines, filename of each).
shortlog   per-person commit counts in the store against ``git shortlog -sne HEAD``
           (same .mailmap), people matched through foundermode's identity keys.

Results: a table on stdout and bench/results/ingest-*.json.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Skip  # noqa: E402

PYDRILLER_SCRIPT = r"""
import sys, time
from pydriller import Repository
commits = files = added = deleted = 0
for commit in Repository(sys.argv[1]).traverse_commits():
    commits += 1
    commit.author.name, commit.author.email
    for m in commit.modified_files:
        files += 1
        added += m.added_lines
        deleted += m.deleted_lines
        m.filename
print(commits, files, added, deleted)
"""


def serial_git_log(path: Path, env=None) -> common.Run:
    return common.timed(["git", "-C", str(path), "log", "--numstat", common.GIT_LOG_FORMAT, "HEAD"], env=env, stdout_to_null=True)


def bench_full(names: list[str], repeat: int, jobs: int) -> list[dict]:
    rows = []
    for name in names:
        try:
            path = common.repo(name)
        except Skip as skip:
            print(f"skipped: {skip}")
            continue
        head = common.git(path, "rev-parse", "HEAD").strip()
        count = int(common.git(path, "rev-list", "--count", "HEAD"))
        missing = common.fill_missing_blobs(path)
        git_times, fm_times, rss, git_cpu, fm_cpu = [], [], [], [], []
        with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
            tmp = Path(tmp)
            for i in range(repeat):
                base = serial_git_log(path)
                if base.returncode != 0:
                    raise RuntimeError(f"serial git log failed in {path}: {base.stderr.decode(errors='replace')[-500:]}")
                run = common.ingest(path, common.fresh_db(tmp, name), cwd=tmp, jobs=jobs)
                git_times.append(base.seconds)
                fm_times.append(run.seconds)
                git_cpu.append(base.cpu_s)
                fm_cpu.append(run.cpu_s)
                rss.append(run.maxrss_mb)
                print(f"  {name} run {i + 1}: git log {base.seconds:.2f}s, foundermode {run.seconds:.2f}s ({run.seconds / base.seconds:.2f}x); CPU {base.cpu_s:.1f}s vs {run.cpu_s:.1f}s; {run.maxrss_mb:.0f} MB; load {common.os.getloadavg()[0]:.1f}", file=sys.stderr)
            stored = _scalar(tmp / f"{name}.db", "select count(*) from commits")
            row = {
                "repository": common.KNOWN.get(name, name),
                "head": head,
                "commits": count,
                "stored": stored,
                "jobs": jobs,
                "git_log_s": common.median(git_times),
                "foundermode_s": common.median(fm_times),
                "ratio": common.median(fm_times) / common.median(git_times),
                "commits_per_s": count / common.median(fm_times),
                "git_log_cpu_s": common.median(git_cpu),
                "foundermode_cpu_s": common.median(fm_cpu),
                "cpu_ratio": common.median(fm_cpu) / common.median(git_cpu),
                "max_rss_mb": max(rss),
                "git_log_runs": git_times,
                "foundermode_runs": fm_times,
                "missing_blobs": missing,
            }
            if missing:
                row["as_is"] = _as_is(path, tmp, name, jobs)
        rows.append(row)
    return rows


def _as_is(path: Path, tmp: Path, name: str, jobs: int) -> dict:
    """foundermode on the snapshot with its holes; which warned commits git could in fact read."""
    env = common.no_replace_env()
    run = common.ingest(path, common.fresh_db(tmp, name + "-as-is"), cwd=tmp, jobs=jobs, env=env)
    warned = []
    for warning in common.warnings_of(run):
        if warning.startswith("commit "):
            warned.append(warning.split()[1].rstrip(":"))
    readable = []
    for sha in warned:
        check = common.timed(["git", "-C", str(path), "log", "-1", "--raw", "--numstat", "-M", sha], env=env, stdout_to_null=True)
        if check.returncode == 0:
            readable.append(sha)
    stored = _scalar(tmp / f"{name}-as-is.db", "select count(*) from commits")
    return {
        "foundermode_s": run.seconds,
        "max_rss_mb": run.maxrss_mb,
        "stored": stored,
        "warned_commits": warned,
        "warned_but_readable": readable,
        "warnings": common.warnings_of(run),
    }


def _scalar(db: Path, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def bench_pydriller(name: str, repeat: int, jobs: int) -> list[dict]:
    try:
        import pydriller  # noqa: F401
    except ImportError:
        print("skipped: PyDriller is not installed (pip install -e '.[bench]')")
        return []
    try:
        path = common.repo(name)
    except Skip as skip:
        print(f"skipped: {skip}")
        return []
    count = int(common.git(path, "rev-list", "--count", "HEAD"))
    fm_times, pd_times, fm_cpu, pd_cpu = [], [], [], []
    pd_out = ""
    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(repeat):
            run = common.ingest(path, common.fresh_db(tmp, name), cwd=tmp, jobs=jobs)
            pd = common.timed([sys.executable, "-c", PYDRILLER_SCRIPT, str(path)])
            if pd.returncode != 0:
                raise RuntimeError(f"PyDriller failed: {pd.stderr.decode(errors='replace')[-1000:]}")
            pd_out = pd.stdout.decode().strip()
            fm_times.append(run.seconds)
            pd_times.append(pd.seconds)
            fm_cpu.append(run.cpu_s)
            pd_cpu.append(pd.cpu_s)
            print(f"  {name} run {i + 1}: foundermode {run.seconds:.2f}s, PyDriller {pd.seconds:.2f}s ({pd.seconds / run.seconds:.1f}x); "
                  f"CPU {run.cpu_s:.1f}s vs {pd.cpu_s:.1f}s; load {common.os.getloadavg()[0]:.1f}", file=sys.stderr)
        db = tmp / f"{name}.db"
        fm_files = _scalar(db, "select count(*) from file_changes fc join commits c on c.id = fc.commit_id where not c.is_merge")
        fm_adds = _scalar(db, "select coalesce(sum(fc.additions), 0) from file_changes fc join commits c on c.id = fc.commit_id where not c.is_merge")
    pd_commits, pd_files, pd_added, pd_deleted = (int(x) for x in pd_out.split())
    return [
        {
            "repository": common.KNOWN.get(name, name),
            "commits": count,
            "jobs": jobs,
            "foundermode_s": common.median(fm_times),
            "pydriller_s": common.median(pd_times),
            "speedup": common.median(pd_times) / common.median(fm_times),
            "foundermode_cpu_s": common.median(fm_cpu),
            "pydriller_cpu_s": common.median(pd_cpu),
            "cpu_speedup": common.median(pd_cpu) / common.median(fm_cpu),
            "foundermode_runs": fm_times,
            "pydriller_runs": pd_times,
            "pydriller_commits": pd_commits,
            "pydriller_files": pd_files,
            "pydriller_added": pd_added,
            "foundermode_files_non_merge": fm_files,
            "foundermode_added_non_merge_text": fm_adds,
            "pydriller_version": common.package_version("pydriller"),
        }
    ]


def shortlog_check(names: list[str], jobs: int) -> list[dict]:
    from foundermode.sources.identities import identity_key

    rows = []
    for name in names:
        try:
            path = common.repo(name)
        except Skip as skip:
            print(f"skipped: {skip}")
            continue
        with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
            tmp = Path(tmp)
            common.ingest(path, common.fresh_db(tmp, name), cwd=tmp, jobs=jobs)
            with sqlite3.connect(tmp / f"{name}.db") as conn:
                key_to_person = dict(conn.execute("select key, person_id from identities"))
                names_of = dict(conn.execute("select id, name from people"))
                store_counts = dict(conn.execute("select author_id, count(*) from commits group by author_id"))
        shortlog = common.git(path, "shortlog", "-sne", "HEAD")
        expected: dict[int, int] = {}
        unmatched = []
        entries: dict[int, list[str]] = {}
        for line in shortlog.splitlines():
            count, _, who = line.strip().partition("\t")
            person_name, _, email = who.rpartition(" <")
            email = email.rstrip(">")
            person = key_to_person.get(identity_key(person_name, email))
            if person is None:
                unmatched.append(who)
                continue
            expected[person] = expected.get(person, 0) + int(count)
            entries.setdefault(person, []).append(f"{count} {who}")
        mismatches = []
        for person in sorted(set(expected) | set(store_counts)):
            if expected.get(person, 0) != store_counts.get(person, 0):
                mismatches.append(
                    {
                        "person": names_of.get(person),
                        "store": store_counts.get(person, 0),
                        "shortlog": expected.get(person, 0),
                        "shortlog_entries": entries.get(person, []),
                    }
                )
        rows.append(
            {
                "repository": common.KNOWN.get(name, name),
                "shortlog_entries": len(shortlog.splitlines()),
                "people": len(store_counts),
                "commits_store": sum(store_counts.values()),
                "commits_shortlog": sum(int(l.split("\t")[0]) for l in shortlog.splitlines()),
                "mismatched_people": len(mismatches),
                "unmatched_shortlog_entries": len(unmatched),
                "mismatches": mismatches,
                "unmatched": unmatched,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=["all", "full", "pydriller", "shortlog"])
    parser.add_argument("--repos", default=None, help="comma-separated: git, rails, flask")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    results = {"machine": common.machine(), "foundermode": common.package_version("foundermode")}
    if args.what in ("all", "full"):
        names = args.repos.split(",") if args.repos else ["git", "rails"]
        rows = bench_full(names, args.repeat, args.jobs)
        results["full"] = rows
        print(common.table(rows, ["repository", "commits", "git_log_s", "foundermode_s", "ratio", "git_log_cpu_s", "foundermode_cpu_s", "cpu_ratio", "max_rss_mb"], "Full ingest vs serial git log --numstat (ratio < 1 is faster)"))
        for row in rows:
            if row.get("as_is"):
                a = row["as_is"]
                print(f"{row['repository']}: {len(row['missing_blobs'])} missing blob(s); as-is ingest {a['foundermode_s']:.2f}s, "
                      f"{a['stored']} commits stored, {len(a['warned_commits'])} commit(s) warned, {len(a['warned_but_readable'])} of them readable by git alone")
        print()
    if args.what in ("all", "pydriller"):
        names = args.repos.split(",") if (args.repos and args.what == "pydriller") else ["flask"]
        rows = [r for name in names for r in bench_pydriller(name, args.repeat, args.jobs)]
        results["pydriller"] = rows
        print(common.table(rows, ["repository", "commits", "foundermode_s", "pydriller_s", "speedup", "foundermode_cpu_s", "pydriller_cpu_s", "cpu_speedup"], "Ingest vs PyDriller (speedup > 1: foundermode faster)"))
        print()
    if args.what in ("all", "shortlog"):
        names = args.repos.split(",") if (args.repos and args.what == "shortlog") else ["flask", "rails"]
        rows = shortlog_check(names, args.jobs)
        results["shortlog"] = rows
        print(common.table(rows, ["repository", "commits_store", "commits_shortlog", "people", "mismatched_people", "unmatched_shortlog_entries"], "Per-person commits: store vs git shortlog -sne HEAD"))
        for row in rows:
            for m in row["mismatches"][:20]:
                print(f"  {row['repository']}: {m['person']}: store {m['store']} vs shortlog {m['shortlog']} ({'; '.join(m['shortlog_entries'][:4])})")
            for u in row["unmatched"][:20]:
                print(f"  {row['repository']}: shortlog identity not in store: {u}")
    out = common.write_results(f"ingest-{args.what}", results)
    print(f"\nresults: {out}")


if __name__ == "__main__":
    common.main_guard(main)
