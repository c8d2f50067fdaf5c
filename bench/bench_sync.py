"""`foundermode sync` over many repositories with nothing new: the cost of only checking.

    python bench/bench_sync.py                     # 200 generated repositories, 3 repeats
    python bench/bench_sync.py --repos 500 --commits 50 --repeat 5

Generates ``--repos`` small repositories (``--commits`` commits each by a few
authors, written with ``git fast-import``), declares them in a
foundermode.toml as one glob (``repositories = ["repos/*"]``, with an org
chart), and runs ``foundermode sync`` once to take them in (timed, not the
target). Then, ``--repeat`` times, ``foundermode sync`` again with nothing
new: that is the figure (target: under 10 s for 200). Also timed: the same
second sync inside one Python process (``sync_all`` alone, no interpreter
start-up or imports). Every second run must report every source unchanged.
Results: bench/results/sync.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

AUTHORS = [("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com"), ("Linus Torvalds", "linus@example.com"), ("Barbara Liskov", "barbara@example.com")]


def make_repo(path: Path, commits: int, seed: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = []
    when = 1_700_000_000 + seed * 3600
    for number in range(commits):
        name, email = AUTHORS[(seed + number) % len(AUTHORS)]
        content = f"value = {number}\n".encode()
        message = f"change {number} of repo {seed}\n".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"author {name} <{email}> {when + number * 600} +0000\n".encode())
        stream.append(f"committer {name} <{email}> {when + number * 600} +0000\n".encode())
        stream.append(b"data %d\n%s" % (len(message), message))
        stream.append(b"M 100644 inline src/file%d.py\ndata %d\n%s\n" % (number % 7, len(content), content))
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


IN_PROCESS = r"""
import sys, time, json
from foundermode.config import load_config
from foundermode.store import open_store
from foundermode.sync import sync_all
config = load_config(sys.argv[2])
store = open_store(sys.argv[1])
start = time.perf_counter()
result = sync_all(store, config)
print(json.dumps({"seconds": time.perf_counter() - start, "statuses": sorted({o.status for o in result.outcomes}), "sources": len(result.outcomes)}))
"""


def sync_cli(folder: Path, db: str) -> common.Run:
    cmd = common.foundermode_cmd() + ["--db", db, "--config", str(folder / "foundermode.toml"), "sync", "--json"]
    run = common.timed(cmd, cwd=folder, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    if run.returncode != 0:
        raise RuntimeError(f"foundermode sync failed ({run.returncode}): {run.stderr.decode(errors='replace')[-2000:]}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fm-bench-sync-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        for number in range(args.repos):
            make_repo(folder / "repos" / f"repo{number:04d}", args.commits, number)
        generated = time.perf_counter() - started
        (folder / "org.csv").write_text("email,name,title,team,manager_email,role\n" + "".join(
            f"{email},{name},Engineer,core,,engineer\n" for name, email in AUTHORS
        ))
        (folder / "foundermode.toml").write_text('[sources]\nrepositories = ["repos/*"]\norg_chart = "org.csv"\n')
        db = common.fresh_db(folder, "sync")

        first = sync_cli(folder, db)
        first_rows = json.loads(first.stdout)["outcomes"]
        assert len(first_rows) == args.repos + 1 and all(r["status"] == "updated" for r in first_rows), first.stdout[:2000]

        cli_runs, in_process = [], []
        for _ in range(args.repeat):
            run = sync_cli(folder, db)
            rows = json.loads(run.stdout)["outcomes"]
            assert {r["status"] for r in rows} == {"unchanged"}, "a second sync found something new"
            cli_runs.append(run)
            inner = common.timed([sys.executable, "-c", IN_PROCESS, db, str(folder / "foundermode.toml")])
            if inner.returncode != 0:
                raise RuntimeError(inner.stderr.decode(errors="replace")[-2000:])
            report = json.loads(inner.stdout)
            assert report["statuses"] == ["unchanged"], report
            in_process.append(report["seconds"])

    result = {
        "machine": common.machine(),
        "repos": args.repos,
        "commits_each": args.commits,
        "generate_s": round(generated, 2),
        "first_sync_s": round(first.seconds, 2),
        "second_sync_cli_s": [round(r.seconds, 3) for r in cli_runs],
        "second_sync_cli_cpu_s": [round(r.cpu_s, 3) for r in cli_runs],
        "second_sync_in_process_s": [round(s, 3) for s in in_process],
        "median_second_sync_cli_s": round(common.median([r.seconds for r in cli_runs]), 3),
        "median_second_sync_in_process_s": round(common.median(in_process), 3),
        "target_s": 10.0,
    }
    result["met"] = result["median_second_sync_cli_s"] < 10.0
    path = common.write_results("sync", result)
    print(common.table([{
        "repos": args.repos, "first sync": result["first_sync_s"], "second (CLI, median)": result["median_second_sync_cli_s"],
        "second (in-process, median)": result["median_second_sync_in_process_s"], "target": "< 10 s", "met": result["met"],
    }], ["repos", "first sync", "second (CLI, median)", "second (in-process, median)", "target", "met"], title="foundermode sync, nothing new"))
    print(f"results: {path}")


if __name__ == "__main__":
    common.main_guard(main)
