"""Blocker intake under concurrency: N clients POST /api/blockers at once.

The API runs under uvicorn in its own process on a loopback port; clients are
httpx in threads, each with its own person's token. Every report is checked
afterwards: none lost, none doubled. The same reports placed by the library
in one process, without HTTP, are the reference.

    python bench/bench_bottleneck_api.py                      # SQLite
    python bench/bench_bottleneck_api.py --pg postgresql://postgres@127.0.0.1:54329/postgres
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

THEMES = [
    "GPU cluster is down, training jobs stuck", "staging db is read-only, migrations fail", "CI runners out of disk on main",
    "VPN drops every hour from the office", "docker registry times out on push", "flaky integration tests block merges",
    "expense tool rejects receipts", "code review queue for payments is two weeks long", "no access to the production logs",
    "the design spec for onboarding is missing",
]
CONFIG = """
[org]
leader = "lead@example.com"

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda"]
owner = "grace@example.com"

[[resources]]
name = "CI"
keywords = ["ci", "runners", "pipeline"]
owner = "carl@example.com"
"""


def text_for(client: int, number: int) -> str:
    return f"{THEMES[(client + number) % len(THEMES)]} (seen by engineer {client}, note {number})"


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


def prepare(db: str, config, clients: int) -> dict[str, str]:
    from foundermode.sources.identities import IdentityResolver
    from foundermode.store import open_store
    from foundermode.web.tokens import create_token

    store = open_store(db)
    tokens = {}
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        for n in range(clients):
            tokens[n] = create_token(conn, resolver.person_for("", f"engineer{n}@example.com", source="manual"), int(time.time()))[1]
    store.dispose()
    return tokens


def run_api(db: str, config_path: Path, clients: int, per_client: int) -> dict:
    import httpx

    from foundermode.config import load_config

    config = load_config(config_path)
    tokens = prepare(db, config, clients)
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", db, str(config_path), str(port)])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        latencies: list[float] = []
        ids: list[int] = []
        failures: list = []
        lock = threading.Lock()

        def client(n: int) -> None:
            mine, ids_mine = [], []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {tokens[n]}"}, timeout=120) as http:
                for i in range(per_client):
                    start = time.perf_counter()
                    response = http.post("/api/blockers", json={"text": text_for(n, i), "external_id": f"{n}-{i}"})
                    mine.append(time.perf_counter() - start)
                    if response.status_code != 201:
                        failures.append((n, i, response.status_code))
                    else:
                        ids_mine.append(response.json()["report_id"])
            with lock:
                latencies.extend(mine)
                ids.extend(ids_mine)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    stored = count_reports(db)
    latencies.sort()
    return {
        "reports": clients * per_client, "stored": stored, "unique_ids": len(set(ids)), "failures": len(failures),
        "seconds": elapsed, "per_second": clients * per_client / elapsed,
        "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


def count_reports(db: str) -> int:
    from sqlalchemy import func, select

    from foundermode.store import open_store
    from foundermode.store.schema_bottlenecks import blocker_reports

    store = open_store(db)
    with store.read() as conn:
        n = conn.execute(select(func.count()).select_from(blocker_reports)).scalar()
    store.dispose()
    return n


def run_library(db: str, config_path: Path, clients: int, per_client: int) -> dict:
    from foundermode.bottlenecks.intake import report
    from foundermode.config import load_config
    from foundermode.sources.identities import IdentityResolver
    from foundermode.store import open_store

    config = load_config(config_path)
    store = open_store(db)
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        people = [resolver.person_for("", f"engineer{n}@example.com", source="manual") for n in range(clients)]
    started = time.perf_counter()
    for i in range(per_client):
        for n in range(clients):
            report(store, config, text=text_for(n, i), person_id=people[n], source="api", external_id=f"{n}-{i}")
    elapsed = time.perf_counter() - started
    store.dispose()
    return {"reports": clients * per_client, "seconds": elapsed, "per_second": clients * per_client / elapsed}


def fresh_pg(admin: str) -> tuple[str, callable]:
    import psycopg

    name = f"fm_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name, drop


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=100)
    parser.add_argument("--pg", default=os.environ.get("FOUNDERMODE_TEST_PG"), help="PostgreSQL admin URL: a scratch database is created and dropped")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-api-"))
    config_path = folder / "foundermode.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    backends = [("sqlite", lambda tag: (f"sqlite:///{folder / tag}.db", lambda: None))]
    if args.pg:
        backends.append(("postgresql", lambda tag: fresh_pg(args.pg)))
    print(f"{args.clients} clients x {args.per_client} reports, {os.cpu_count()} cores")
    print("| store | path | reports | stored | failures | seconds | reports/s | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, make in backends:
        db, drop = make("api")
        try:
            api = run_api(db, config_path, args.clients, args.per_client)
        finally:
            drop()
        db, drop = make("lib")
        try:
            lib = run_library(db, config_path, args.clients, args.per_client)
        finally:
            drop()
        ok = api["stored"] == api["reports"] == api["unique_ids"] and not api["failures"]
        print(f"| {name} | HTTP API, {args.clients} concurrent clients | {api['reports']} | {api['stored']} | {api['failures']} | {api['seconds']:.1f} | {api['per_second']:.0f} | {api['p50_ms']:.0f} | {api['p95_ms']:.0f} |")
        print(f"| {name} | library, one thread (reference) | {lib['reports']} | | | {lib['seconds']:.1f} | {lib['per_second']:.0f} | | |")
        print(f"<!-- {name}: none lost, none doubled: {ok}; API/library throughput ratio {api['per_second'] / lib['per_second']:.2f} -->")


if __name__ == "__main__":
    main()
