"""Ownership at HEAD (surviving lines per person, git blame): foundermode against git-fame.

    python bench/bench_ownership.py                       # pallets/flask
    python bench/bench_ownership.py --repos flask,rails --repeat 3

Both sides blame every text file at HEAD with whitespace ignored (-w) and
moves within a file followed (-M), excluding nothing:

foundermode  ``foundermode ingest git REPO --ownership --jobs 2`` on a store that
             already holds the history (the ingest before it is not timed), so
             the timed run is the blame of every file (its ownership table is empty).
git-fame     ``git-fame -w -M --loc surviving --format json --show name,email -s
             --branch HEAD -j N REPO``; git-fame runs one ``git blame
             --line-porcelain`` per file on a thread pool. It is timed with -j 2
             (one per core, as foundermode) and with its default (-j 0: a pool of
             min(32, cores + 4) threads); the ratio uses its faster run.

Each tool starts from the repository as cloned (no commit-graph; foundermode
writes one itself before a large blame, and that is inside its time: any
graph it left is removed before git-fame runs). --commit-graph yes|both also
runs both on a repository that already carries a commit-graph with
changed-path Bloom filters (``git commit-graph write --reachable --changed-paths``,
what ``git maintenance`` writes), which git blame uses to skip commits that
do not touch the file; both tools benefit.

Per-person totals: git-fame's "Name <email>" rows are matched to foundermode's
people through foundermode's own identity keys (the email, case-folded, GitHub
noreply addresses by login), then both sides are summed per person.
Results: a table on stdout and bench/results/ownership.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Skip  # noqa: E402


def git_fame_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "git-fame"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("git-fame")
    if not found:
        raise Skip("git-fame is not installed (pip install -e '.[bench]')")
    return [found]


def run_git_fame(path: Path, jobs: int) -> tuple[common.Run, dict[str, float]]:
    cmd = git_fame_cmd() + ["-w", "-M", "--loc", "surviving", "--format", "json", "--show", "name,email", "-s", "--branch", "HEAD", "-j", str(jobs), str(path)]
    run = common.timed(cmd)
    if run.returncode != 0:
        raise RuntimeError(f"git-fame failed: {run.stderr.decode(errors='replace')[-1000:]}")
    text = run.stdout.decode("utf-8", errors="replace")
    data = json.loads(text[text.find("{"):])
    cols = data["columns"]
    who, loc = cols.index("Author"), cols.index("loc")
    return run, {row[who]: row[loc] for row in data["data"]}


def compare(db: Path, fame: dict[str, float]) -> dict:
    from foundermode.sources.identities import identity_key

    with sqlite3.connect(db) as conn:
        key_to_person = dict(conn.execute("select key, person_id from identities"))
        names = dict(conn.execute("select id, name from people"))
        ours = dict(conn.execute("select person_id, sum(lines) from ownership group by person_id"))
        files = conn.execute("select count(*) from ownership_files").fetchone()[0]
    theirs: dict = {}
    unmatched = {}
    for author, loc in fame.items():
        name, _, email = author.rpartition(" <")
        person = key_to_person.get(identity_key(name, email.rstrip(">")))
        if person is None:
            unmatched[author] = loc
            person = f"unmatched:{author}"
        theirs[person] = theirs.get(person, 0) + loc
    people = set(ours) | set(theirs)
    diffs = []
    for person in people:
        a, b = ours.get(person, 0), theirs.get(person, 0)
        if a != b:
            diffs.append({"person": names.get(person, person), "foundermode": a, "git_fame": b, "diff": a - b, "relative": (a - b) / b if b else None})
    diffs.sort(key=lambda d: -abs(d["diff"]))
    total_ours, total_theirs = sum(ours.values()), sum(theirs.values())
    big = [d for d in diffs if max(d["foundermode"], d["git_fame"]) >= 0.001 * total_theirs]
    worst_rel = max((abs(d["relative"]) for d in big if d["relative"] is not None), default=0.0)
    return {
        "files_blamed": files,
        "lines_foundermode": total_ours,
        "lines_git_fame": total_theirs,
        "total_relative_diff": (total_ours - total_theirs) / total_theirs if total_theirs else None,
        "people_foundermode": len(ours),
        "people_git_fame": len(theirs),
        "people_differing": len(diffs),
        "worst_abs_diff_lines": abs(diffs[0]["diff"]) if diffs else 0,
        "worst_abs_diff_share_of_total": abs(diffs[0]["diff"]) / total_theirs if diffs and total_theirs else 0.0,
        "worst_relative_diff_people_over_0.1pct": worst_rel,
        "lines_attributed_differently_share": sum(abs(d["diff"]) for d in diffs) / 2 / total_theirs if total_theirs else 0.0,
        "top_differences": diffs[:15],
        "unmatched_git_fame_authors": unmatched,
    }


def bench(name: str, repeat: int, jobs: int, commit_graph: bool = False, fame_jobs: tuple[int, ...] = (2, 0)) -> dict | None:
    try:
        path = common.repo(name)
        git_fame_cmd()
    except Skip as skip:
        print(f"skipped: {skip}")
        return None
    head = common.git(path, "rev-parse", "HEAD").strip()
    fm_times, gf2_times, gfd_times, rss = [], [], [], []
    fm_cpu, gf_cpu = [], []
    graph_s = None
    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        tmp = Path(tmp)
        # A clone of the benchmark clone (shared objects): foundermode writes a
        # commit-graph into the repository it blames, so each tool gets the
        # repository in the state the variant names before it runs.
        clone = tmp / f"{name}-{'graph' if commit_graph else 'plain'}"
        subprocess.run(["git", "clone", "-q", "--shared", str(path), str(clone)], check=True)
        path = clone

        def prepare() -> float | None:
            info = Path(common.git(path, "rev-parse", "--git-path", "objects/info").strip())
            info = info if info.is_absolute() else path / info
            (info / "commit-graph").unlink(missing_ok=True)
            shutil.rmtree(info / "commit-graphs", ignore_errors=True)
            if commit_graph:
                return common.timed(["git", "-C", str(path), "commit-graph", "write", "--reachable", "--changed-paths"]).seconds
            return None
        for i in range(repeat):
            url = common.fresh_db(tmp, name)
            common.ingest(path, url, cwd=tmp, jobs=jobs)  # history first, not timed
            graph_s = prepare() or graph_s
            run = common.ingest(path, url, cwd=tmp, jobs=jobs, extra=["--ownership"])
            fm_times.append(run.seconds)
            fm_cpu.append(run.cpu_s)
            rss.append(run.maxrss_mb)
            line = f"  {name} run {i + 1}: foundermode {run.seconds:.1f}s"
            if jobs in fame_jobs:
                prepare()
                gf2, fame = run_git_fame(path, jobs)
                gf2_times.append(gf2.seconds)
                gf_cpu.append(gf2.cpu_s)
                line += f", git-fame -j{jobs} {gf2.seconds:.1f}s"
            if 0 in fame_jobs:
                prepare()
                gfd, fame = run_git_fame(path, 0)
                gfd_times.append(gfd.seconds)
                gf_cpu.append(gfd.cpu_s)
                line += f", git-fame -j0 {gfd.seconds:.1f}s"
            print(line + f"; CPU foundermode {run.cpu_s:.1f}s, git-fame {gf_cpu[-1]:.1f}s; load {common.os.getloadavg()[0]:.1f}", file=sys.stderr)
        result = compare(tmp / f"{name}.db", fame)
    best_fame = min(common.median(t) for t in (gf2_times, gfd_times) if t)
    return {
        "repository": common.KNOWN.get(name, name) + (" (commit-graph)" if commit_graph else ""),
        "head": head,
        "jobs": jobs,
        "commit_graph": commit_graph,
        "commit_graph_write_s": graph_s,
        "foundermode_s": common.median(fm_times),
        f"git_fame_j{jobs}_s": common.median(gf2_times) if gf2_times else None,
        "git_fame_default_s": common.median(gfd_times) if gfd_times else None,
        "speedup": best_fame / common.median(fm_times),
        "foundermode_cpu_s": common.median(fm_cpu),
        "git_fame_cpu_s": common.median(gf_cpu),
        "cpu_speedup": common.median(gf_cpu) / common.median(fm_cpu),
        "foundermode_runs": fm_times,
        "git_fame_jobs_runs": gf2_times,
        "git_fame_default_runs": gfd_times,
        "max_rss_mb": max(rss),
        "git_fame_version": common.package_version("git-fame"),
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default="flask", help="comma-separated: flask, rails, git")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--commit-graph", choices=["no", "yes", "both"], default="no",
                        help="also (or only) run on a clone with a commit-graph with changed-path Bloom filters")
    parser.add_argument("--git-fame-jobs", default=None, help="git-fame -j values to time, comma-separated (default: JOBS,0; 0 is git-fame's own default pool)")
    args = parser.parse_args()
    fame_jobs = tuple(int(j) for j in (args.git_fame_jobs or f"{args.jobs},0").split(","))
    variants = {"no": [False], "yes": [True], "both": [False, True]}[args.commit_graph]
    rows = [r for r in (bench(name, args.repeat, args.jobs, cg, fame_jobs) for name in args.repos.split(",") for cg in variants) if r]
    print(common.table(rows, ["repository", "files_blamed", "foundermode_s", f"git_fame_j{args.jobs}_s", "git_fame_default_s", "speedup", "foundermode_cpu_s", "git_fame_cpu_s", "cpu_speedup"], "Ownership at HEAD vs git-fame (speedup > 1: foundermode faster)"))
    print()
    print(common.table(rows, ["repository", "lines_foundermode", "lines_git_fame", "total_relative_diff", "people_differing", "worst_abs_diff_lines", "worst_relative_diff_people_over_0.1pct"], "Surviving lines: foundermode vs git-fame"))
    for row in rows:
        for d in row["top_differences"][:8]:
            print(f"  {row['repository']}: {d['person']}: foundermode {d['foundermode']} vs git-fame {d['git_fame']}")
        for author, loc in list(row["unmatched_git_fame_authors"].items())[:8]:
            print(f"  {row['repository']}: git-fame author not in store: {author} ({loc} lines)")
    out = common.write_results("ownership", {"machine": common.machine(), "foundermode": common.package_version("foundermode"), "rows": rows})
    print(f"\nresults: {out}")


if __name__ == "__main__":
    common.main_guard(main)
