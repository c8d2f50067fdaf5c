"""Load on the web dashboard: ``foundermode serve`` on loopback over a big generated store.

    python bench/bench_web.py                               # 1,000 people, ~1,000,000 commits, SQLite
    python bench/bench_web.py --commits 200000 --requests 40
    python bench/bench_web.py --db sqlite:////tmp/bench-web/web-1000000.db   # reuse a generated store
    python bench/bench_web.py --pg postgresql://postgres@127.0.0.1:54329/postgres

The store is written straight into the tables with ``foundermode.store.bulk.insert_rows``
(no git): 1,000 people in 20 teams with managers and a leader, 10 repositories,
``--commits`` commits over five years (Zipf-like authors and files, 15 % merges),
about 1.6 file changes per commit, files at HEAD with ownership, daily team
stand-ups and a weekly all-hands for the last twelve weeks with everyone's
calendar, and 200 blocker reports placed through the library's intake
(grouping, escalation), then the team's whole-history summaries, as
``foundermode serve``'s background loop leaves them after an ingest
(team/summary.py). Generation is not timed.

Then ``foundermode --db URL serve --no-tick`` runs as a subprocess; the leader's
session is opened by the token form like a browser; each page is requested once
(cold, reported apart), then ``--requests`` times per page from ``--clients``
concurrent httpx clients. Reported per page: cold ms, p50, p95, max, and the
analysis each page calls. Results: a table on stdout and bench/results/web.json
(web-pg.json for PostgreSQL).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WORK = Path("/tmp/bench-web")
DAY = 86_400
LEADER = "leader@bench.example"
END = 1_710_115_200  # 2024-03-11 00:00 UTC: the history's end
PAGES = {
    "overview": ("/", "brief.build_brief (areas, talk-to, time split, bottlenecks, meetings, team)"),
    "team": ("/team", "the registry's team analysis (profiles, authorship + truck factor per area, output, managers, review)"),
    "meetings": ("/meetings", "meetings.load.report + walkout_suggestions"),
    "bottlenecks": ("/bottlenecks", "bottlenecks.board.list_bottlenecks + metrics"),
    "bottleneck": ("/bottlenecks/1", "bottlenecks.board.bottleneck_detail"),
    "resources": ("/resources", "resources catalog + board"),
    "people": ("/people", "team.profiles"),
    "person": ("/people/{person}", "team.profile + walkout_suggestions"),
}

CONFIG = f"""
[org]
leader = "{LEADER}"

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda"]
owner = "p10@bench.example"

[[resources]]
name = "CI"
keywords = ["ci", "runner", "pipeline"]
owner = "p11@bench.example"
"""

TEXTS = ["the gpu cluster queue is stuck", "cuda jobs fail on the gpu cluster", "CI runners are down", "the pipeline is red for everyone",
         "staging database is read-only", "vpn drops every hour", "the wiki search is broken", "code review tool times out"]


def generate(url: str, commits: int, people_count: int = 1000, repos: int = 10, seed: int = 7) -> dict:
    from sqlalchemy import text as sql

    from foundermode.bottlenecks.engine import tick
    from foundermode.bottlenecks.intake import report
    from foundermode.config import load_config
    from foundermode.store import open_store
    from foundermode.store.bulk import insert_rows
    from foundermode.store.schema import commits as commits_t
    from foundermode.store.schema import file_changes, identities, ownership, ownership_files, people, repositories
    from foundermode.store.schema_meetings import attendance, calendars, meetings, occurrences
    from foundermode.team.summary import refresh

    rng = random.Random(seed)
    store = open_store(url)
    started = time.perf_counter()
    teams = [f"team-{i:02d}" for i in range(20)]
    with store.write() as conn:
        rows = [(1, "Lee Leader", LEADER, "CTO", "Leadership", "executive", None, False, True, 0)]
        managers = {team: 2 + i for i, team in enumerate(teams)}
        for team, pid in managers.items():
            rows.append((pid, f"Manager {pid}", f"p{pid}@bench.example", "Engineering Manager", team, "manager", 1, False, True, 0))
        team_of = {}
        for pid in range(2 + len(teams), people_count + 1):
            team = teams[pid % len(teams)]
            team_of[pid] = team
            rows.append((pid, f"Person {pid}", f"p{pid}@bench.example", "Engineer", team, "engineer", managers[team], False, True, 0))
        for pid in (10, 11):  # the resources' owners are engineers
            team_of.setdefault(pid, teams[pid % len(teams)])
        insert_rows(conn, people, ["id", "name", "email", "title", "team", "role", "manager_id", "is_bot", "in_org_chart", "created_at"], rows)
        insert_rows(conn, identities, ["id", "person_id", "key", "name", "email", "source"], [(r[0], r[0], r[2], r[1], r[2], "org") for r in rows])
        insert_rows(conn, repositories, ["id", "name", "path", "head_ref", "last_sha", "last_ingested_at", "commit_count", "is_shallow"],
                    [(r, f"repo{r}", str(WORK / f"repo{r}"), "main", f"{r:040x}", END, commits // repos, False) for r in range(1, repos + 1)])
        engineers = sorted(team_of)
        weights = [1 / (i + 1) ** 0.6 for i in range(len(engineers))]
        files_per_repo = 2000
        paths = {r: [f"area{i % 12}/pkg{i % 90}/file{i}.py" for i in range(files_per_repo)] for r in range(1, repos + 1)}
        from itertools import accumulate

        file_cum = list(accumulate(1 / (i + 1) ** 0.8 for i in range(files_per_repo)))  # cumulative once: choices() would redo it per call
        span = 5 * 365 * DAY
        created: dict[int, set] = {r: set() for r in paths}
        batch_c, batch_f = [], []
        fc_id = 0
        authors_at = rng.choices(engineers, weights, k=commits)
        for cid in range(1, commits + 1):
            repo = 1 + cid % repos
            at = END - span + span * cid // commits
            author = authors_at[cid - 1]
            merge = rng.random() < 0.15
            changes = [] if merge else sorted(set(rng.choices(range(files_per_repo), cum_weights=file_cum, k=rng.choice((1, 1, 2, 2, 3)))))
            added = 0
            for f in changes:
                path = paths[repo][f]
                status = "M" if path in created[repo] else "A"
                created[repo].add(path)
                a, d = rng.randint(0, 60), rng.randint(0, 30)
                added += a
                fc_id += 1
                batch_f.append((fc_id, cid, path, None, status, a, d, False, False, False))
            batch_c.append((cid, repo, f"{cid:040x}", "", author, author, at, 0, at, "change", merge, False, added, 0, len(changes)))
            if len(batch_c) >= 50_000:
                insert_rows(conn, commits_t, ["id", "repo_id", "sha", "parents", "author_id", "committer_id", "authored_at", "author_tz", "committed_at", "subject", "is_merge", "is_boundary", "additions", "deletions", "files_changed"], batch_c)
                insert_rows(conn, file_changes, ["id", "commit_id", "path", "old_path", "status", "additions", "deletions", "is_binary", "is_submodule", "is_excluded"], batch_f)
                batch_c, batch_f = [], []
        if batch_c:
            insert_rows(conn, commits_t, ["id", "repo_id", "sha", "parents", "author_id", "committer_id", "authored_at", "author_tz", "committed_at", "subject", "is_merge", "is_boundary", "additions", "deletions", "files_changed"], batch_c)
            insert_rows(conn, file_changes, ["id", "commit_id", "path", "old_path", "status", "additions", "deletions", "is_binary", "is_submodule", "is_excluded"], batch_f)
        insert_rows(conn, ownership_files, ["repo_id", "path", "blob", "lines", "is_excluded"], [(r, p, "0" * 40, 100, False) for r, ps in created.items() for p in sorted(ps)])
        insert_rows(conn, ownership, ["repo_id", "path", "person_id", "lines"], [(r, p, engineers[hash(p) % 60], 100) for r, ps in created.items() for p in sorted(ps)])

        # Meetings: a daily stand-up per team and a weekly all-hands, the last twelve weeks; everyone has a calendar.
        first_monday = END - 12 * 7 * DAY
        members = {team: [pid for pid, t in team_of.items() if t == team] + [managers[team]] for team in teams}
        meeting_rows, occ_rows, att_rows = [], [], []
        occ_id = 0
        for m, team in enumerate(teams, start=1):
            meeting_rows.append((m, f"standup-{team}", f"{team} stand-up", managers[team], True, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "UTC", "calendar", END, END))
        meeting_rows.append((len(teams) + 1, "all-hands", "All hands", 1, True, "FREQ=WEEKLY", "UTC", "calendar", END, END))
        for day in range(12 * 7):
            midnight = first_monday + day * DAY
            if day % 7 >= 5:
                continue
            for m, team in enumerate(teams, start=1):
                occ_id += 1
                occ_rows.append((occ_id, m, str(midnight), None, midnight + 9 * 3600 + 30 * 60, midnight + 9 * 3600 + 45 * 60, False, "CONFIRMED", False, False, len(members[team]), True, END))
                att_rows.extend((occ_id, pid, "ACCEPTED", pid == managers[team], False, True) for pid in members[team])
            if day % 7 == 3:
                occ_id += 1
                occ_rows.append((occ_id, len(teams) + 1, str(midnight), None, midnight + 15 * 3600, midnight + 16 * 3600, False, "CONFIRMED", False, False, people_count, True, END))
                att_rows.extend((occ_id, pid, "ACCEPTED" if pid % 9 else "DECLINED", pid == 1, False, True) for pid in range(1, people_count + 1))
        insert_rows(conn, meetings, ["id", "uid", "summary", "organizer_id", "is_recurring", "rrule", "tzid", "source", "created_at", "updated_at"], meeting_rows)
        # Through SQLAlchemy, not insert_rows: its COPY column list is not quoted and "end" is reserved in PostgreSQL.
        occ_columns = ["id", "meeting_id", "recurrence_id", "summary", "start", "end", "all_day", "status", "transparent", "is_moved", "attendee_count", "is_meeting", "updated_at"]
        conn.execute(occurrences.insert(), [dict(zip(occ_columns, row)) for row in occ_rows])
        insert_rows(conn, attendance, ["occurrence_id", "person_id", "response", "is_organizer", "is_optional", "from_own_calendar"], att_rows)
        insert_rows(conn, calendars, ["id", "key", "name", "person_id", "path", "timezone", "window_start", "window_end", "occurrence_count", "imported_at"],
                    [(pid, f"cal-{pid}", f"p{pid}", pid, f"/cal/{pid}.ics", "UTC", first_monday, END, 0, END) for pid in range(1, people_count + 1)])
        if conn.dialect.name == "postgresql":
            for table in ("people", "identities", "repositories", "commits", "file_changes", "meetings", "occurrences", "calendars"):
                conn.execute(sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            conn.execute(sql("ANALYZE"))
    generated = time.perf_counter() - started

    config_path = WORK / "foundermode.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    config = load_config(config_path)
    now = END - 2 * DAY
    for i in range(200):
        now += 600
        report(store, config, text=f"{TEXTS[i % len(TEXTS)]} ({i})", person_id=engineers[(i * 37) % len(engineers)], source="api", now=now)
    tick(store, config, now, deliver=False)
    if store.is_sqlite:
        with store.write() as conn:
            conn.execute(sql("ANALYZE"))
    # What serve's background loop does after an ingest (cli/web.py): the team's
    # whole-history summaries (authorship, changes per path) are computed for the new
    # history. Done here, timed apart, not part of the figures.
    t = time.perf_counter()
    refresh(store, config)
    summaries = time.perf_counter() - t
    store.dispose()
    return {"commits": commits, "file_changes": fc_id, "people": people_count, "repositories": repos, "occurrences": occ_id,
            "attendance": len(att_rows), "reports": 200, "generate_s": round(generated, 1), "summaries_s": round(summaries, 1),
            "total_s": round(time.perf_counter() - started, 1)}


def leader_token(url: str) -> str:
    from foundermode.store import open_store
    from foundermode.web.tokens import create_token

    store = open_store(url)
    with store.write() as conn:
        secret = create_token(conn, 1, END, "bench")[1]
    store.dispose()
    return secret


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_load(url: str, requests: int, clients: int, port: int, workers: int) -> list[dict]:
    import httpx

    secret = leader_token(url)
    env = {**os.environ, "FOUNDERMODE_SECRET_KEY": "bench-web-secret", "FOUNDERMODE_CONFIG": str(WORK / "foundermode.toml")}
    server = subprocess.Popen(common.foundermode_cmd() + ["--db", url, "serve", "--port", str(port), "--no-tick", "--workers", str(workers)],
                              cwd=WORK, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("server did not start: " + (server.stderr.read().decode(errors="replace")[-2000:] if server.poll() is not None else "timeout"))
            time.sleep(0.2)

        def signed_in() -> httpx.Client:
            client = httpx.Client(base_url=base, timeout=900)
            client.get("/login")
            response = client.post("/login/token", data={"token": secret, "csrf": client.cookies.get("fm_login_csrf"), "next": "/"})
            assert response.status_code == 303, response.text
            return client

        probe = signed_in()
        person = 200
        rows = []
        for name, (path, analysis) in PAGES.items():
            path = path.format(person=person)
            t = time.perf_counter()
            response = probe.get(path)
            cold = (time.perf_counter() - t) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:500]}")
            latencies: list[float] = []
            errors = []
            lock = threading.Lock()
            per_client = max(1, requests // clients)

            def worker():
                client = signed_in()
                for _ in range(per_client):
                    t0 = time.perf_counter()
                    r = client.get(path)
                    ms = (time.perf_counter() - t0) * 1000
                    with lock:
                        latencies.append(ms)
                        if r.status_code != 200:
                            errors.append(r.status_code)
                client.close()

            threads = [threading.Thread(target=worker) for _ in range(clients)]
            t = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - t
            row = {"page": name, "path": path, "cold_ms": round(cold), "requests": len(latencies), "errors": len(errors),
                   "p50_ms": round(percentile(latencies, 0.5)), "p95_ms": round(percentile(latencies, 0.95)), "max_ms": round(max(latencies)),
                   "req_per_s": round(len(latencies) / wall, 1), "bytes": len(response.content), "analysis": analysis}
            rows.append(row)
            print(f"  {name:12s} cold {row['cold_ms']:>6} ms  p50 {row['p50_ms']:>6} ms  p95 {row['p95_ms']:>6} ms  max {row['max_ms']:>6} ms  "
                  f"{row['req_per_s']:>6} req/s  errors {row['errors']}", flush=True)
        probe.close()
        return rows
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--db", help="an already generated store (skips generation)")
    parser.add_argument("--pg", help="PostgreSQL admin URL: generate into a fresh database there instead of SQLite")
    parser.add_argument("--requests", type=int, default=60, help="requests per page after the cold one")
    parser.add_argument("--clients", type=int, default=4, help="concurrent httpx clients")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (foundermode serve --workers)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "foundermode.toml").write_text(CONFIG, encoding="utf-8")
    info: dict = {}
    if args.db:
        url = args.db
    elif args.pg:
        import psycopg

        name = f"fm_bench_web_{args.commits}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.pg.rsplit("/", 1)[0] + f"/{name}"
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        print(f"generating {args.commits:,} commits, {args.people:,} people into {name} ...", flush=True)
        info = generate(url, args.commits, args.people)
    else:
        url = common.fresh_db(WORK, f"web-{args.commits}")
        print(f"generating {args.commits:,} commits, {args.people:,} people into {url} ...", flush=True)
        info = generate(url, args.commits, args.people)
    if info:
        print(f"  generated: {info}", flush=True)
    port = args.port or _free_port()
    print(f"serving {url} on 127.0.0.1:{port}; {args.requests} requests per page from {args.clients} clients, {args.workers} worker(s)", flush=True)
    rows = run_load(url, args.requests, args.clients, port, args.workers)
    name = "web-pg" if url.startswith("postgresql") else "web"  # one file per database, so one run does not overwrite the other
    out = common.write_results(name, {"machine": common.machine(), "foundermode": common.package_version("foundermode"), "store": url.split("@")[-1],
                                       "generated": info, "requests": args.requests, "clients": args.clients, "workers": args.workers, "rows": rows})
    print(common.table(rows, ["page", "cold_ms", "p50_ms", "p95_ms", "max_ms", "req_per_s", "errors", "analysis"]))
    print(f"results: {out}")
    return 0


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
