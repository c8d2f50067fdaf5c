"""Blocker reports made while a full ingest of a large history writes the same SQLite store.

A full `foundermode ingest git` of rails/rails (from the read-only mirror, never
copied into this repository) runs in its own process; meanwhile 20 blocker
reports are made into the same store, alternating the CLI (`foundermode blocker
report`, a fresh process each: its start-up is included) and the API (`POST
/api/blockers` to `foundermode serve`'s app under uvicorn on a loopback port).
Each report's latency is the wall time from the request to its acceptance.
Afterwards every report is checked in the store: none lost.

Since ingest.py stages commits in short transactions and lands them in one
INSERT ... SELECT, a report waits at most for one staged batch or the landing.

    python bench/bench_intake_during_ingest.py [--repo rails] [--reports 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MIRROR_DIR, KNOWN, Skip, foundermode_cmd  # noqa: E402

CONFIG = """
[org]
leader = "lead@example.com"

[[resources]]
name = "CI"
keywords = ["ci", "runners"]
owner = "carl@example.com"
"""


def serve(db: str, config_path: str, port: int) -> None:
    import uvicorn

    from foundermode.config import load_config
    from foundermode.store import open_store
    from foundermode.web.app import create_app

    uvicorn.run(create_app(open_store(db), load_config(config_path)), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default="rails")
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=0.5, help="Seconds between reports.")
    parser.add_argument("--jobs", type=int, default=None, help="git processes of the ingest (default: one per core).")
    args = parser.parse_args()
    source = MIRROR_DIR / KNOWN[args.repo].replace("/", "+") / "repo"
    if not source.exists():
        raise Skip(f"no mirror of {args.repo} at {source}")
    import httpx

    from foundermode.config import load_config
    from foundermode.sources.identities import IdentityResolver
    from foundermode.store import open_store
    from foundermode.web.tokens import create_token

    cli = foundermode_cmd()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        config_path = folder / "foundermode.toml"
        config_path.write_text(CONFIG, encoding="utf-8")
        db = f"sqlite:///{folder / 'store.db'}"
        env = {**os.environ, "FOUNDERMODE_DB": db, "FOUNDERMODE_CONFIG": str(config_path)}
        store = open_store(db)
        with store.write() as conn:
            person = IdentityResolver.from_config(conn, load_config(config_path)).person_for("Ada", "ada@example.com", source="manual")
            token = create_token(conn, person, int(time.time()))[1]
        store.dispose()
        port = free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", db, str(config_path), str(port)])
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            started = time.monotonic()
            ingest = subprocess.Popen([*cli, "ingest", "git", str(source), *(["-j", str(args.jobs)] if args.jobs else [])], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(3)  # into the git read
            latencies = {"cli": [], "api": []}
            during = []  # latencies of the reports that ended while the ingest still ran
            texts = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
                for n in range(args.reports):
                    text = f"CI runners out of disk again, report {n}"
                    texts.append(text)
                    t0 = time.perf_counter()
                    if n % 2 == 0:
                        done = subprocess.run([*cli, "blocker", "report", text, "--by", "ada@example.com", "--new-person"], env=env, capture_output=True)
                        ok = done.returncode == 0
                        kind = "cli"
                    else:
                        response = http.post("/api/blockers", json={"text": text, "external_id": f"bench-{n}"})
                        ok = response.status_code in (200, 201)
                        kind = "api"
                    elapsed = time.perf_counter() - t0
                    if not ok:
                        print(f"report {n} ({kind}) failed", file=sys.stderr)
                    latencies[kind].append(elapsed)
                    if ingest.poll() is None:
                        during.append(elapsed)
                    print(f"report {n:2d} {kind}: {elapsed * 1000:7.0f} ms  (ingest running: {ingest.poll() is None})", flush=True)
                    time.sleep(args.spacing)
            still_running = ingest.poll() is None
            code = ingest.wait()
            ingest_seconds = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(10)
        store = open_store(db)
        from sqlalchemy import func, select

        from foundermode.store.schema import commits
        from foundermode.store.schema_bottlenecks import blocker_reports as report_rows

        with store.read() as conn:
            stored = set(conn.execute(select(report_rows.c.text)).scalars())
            commit_count = conn.execute(select(func.count()).select_from(commits)).scalar_one()
        store.dispose()
    every = latencies["cli"] + latencies["api"]
    print(f"\ningest of {args.repo}: exit {code}, {commit_count:,} commits in {ingest_seconds:.0f} s; still running after the last report: {still_running}")
    for kind, values in latencies.items():
        print(f"{kind}: n={len(values)} median {statistics.median(values) * 1000:.0f} ms, p99 {p99(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
    if during:
        print(f"during the ingest: n={len(during)} p99 {p99(during) * 1000:.0f} ms, max {max(during) * 1000:.0f} ms")
    print(f"all: p99 {p99(every) * 1000:.0f} ms; reports stored {len(stored & set(texts))}/{len(texts)}")
    return 0 if code == 0 and stored >= set(texts) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    try:
        sys.exit(main())
    except Skip as skip:
        print(f"skipped: {skip}")
        sys.exit(0)
