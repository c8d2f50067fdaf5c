"""Ingestion on Dask distributed: a LocalCluster with two workers, a real PostgreSQL."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from sqlalchemy import select

from foundermode.ingest import ingest_repository
from foundermode.scale.distributed import RepoListError, RepoSource, ingest_distributed, read_repo_list
from foundermode.store import open_store
from foundermode.store.schema import coauthors, commits, file_changes, identities, repositories

from conftest import fast_history

pytest.importorskip("distributed", reason="dask[distributed] is in the test extra")


def store_contents(url: str) -> set:
    """Everything ingested, with people named by their identity keys (ids differ between stores)."""
    store = open_store(url)
    try:
        with store.read() as conn:
            keys = {}
            for person_id, key in conn.execute(select(identities.c.person_id, identities.c.key)):
                keys.setdefault(person_id, set()).add(key)
            names = {r.id: r.name for r in conn.execute(select(repositories.c.id, repositories.c.name))}
            rows = set()
            for c in conn.execute(select(commits)).mappings():
                rows.add(("commit", names[c["repo_id"]], c["sha"], frozenset(keys[c["author_id"]]), c["additions"], c["deletions"], c["is_merge"], c["subject"]))
            for f in conn.execute(select(commits.c.sha, file_changes.c.path, file_changes.c.additions, file_changes.c.is_excluded).join(commits, commits.c.id == file_changes.c.commit_id)):
                rows.add(("file", *f))
            for sha, person in conn.execute(select(commits.c.sha, coauthors.c.person_id).join(commits, commits.c.id == coauthors.c.commit_id)):
                rows.add(("coauthor", sha, frozenset(keys[person])))
            for r in conn.execute(select(repositories.c.name, repositories.c.last_sha, repositories.c.commit_count)):
                rows.add(("repo", *r))
        return rows
    finally:
        store.dispose()


@pytest.fixture
def several_repos(tmp_path, repo):
    paths = [fast_history(tmp_path / f"svc{i}", commits=150 + 40 * i, authors=3 + i, files=20) for i in range(4)]
    repo.commit({"a.txt": "a\n"}, "one", author=("Ada", "ada@example.com"))
    repo.commit({"b.txt": "b\n"}, "two\n\nCo-authored-by: Dev 1 <dev1@example.com>", author=("Bob", "bob@example.com"))
    return paths + [repo.path]


def test_local_cluster_into_postgres_equals_serial_sqlite(several_repos, fresh_pg_url, tmp_path):
    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    serial = open_store(serial_url)
    for path in several_repos:
        ingest_repository(serial, path)
    serial.dispose()
    results = ingest_distributed(fresh_pg_url, [str(p) for p in several_repos], scheduler="local", workers=2, cache=tmp_path / "cache")
    assert all("error" not in r for r in results), results
    assert sum(r["new_commits"] for r in results) == sum(150 + 40 * i for i in range(4)) + 2
    assert store_contents(fresh_pg_url) == store_contents(serial_url)
    # a second distributed run reads nothing new
    again = ingest_distributed(fresh_pg_url, [str(p) for p in several_repos], scheduler="local", workers=2, cache=tmp_path / "cache")
    assert sum(r["new_commits"] for r in again) == 0


def test_a_worker_killed_mid_ingest_leaves_a_complete_store(tmp_path, store_url):
    from distributed import Client, LocalCluster

    paths = [fast_history(tmp_path / f"big{i}", commits=2500, authors=5, files=60) for i in range(4)]
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    killed = []

    def kill_one_worker_once_busy():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            processing = client.processing()
            busy = [address for address, tasks in processing.items() if tasks]
            if busy:
                time.sleep(0.5)  # well inside its transaction
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.05)

    try:
        killer = threading.Thread(target=kill_one_worker_once_busy)
        killer.start()
        results = ingest_distributed(store_url, [str(p) for p in paths], client=client, retries=3)
        killer.join()
    finally:
        client.close()
        cluster.close()
    assert killed, "no worker was killed"
    assert all("error" not in r for r in results), results
    store = open_store(store_url)
    with store.read() as conn:
        counts = dict(conn.execute(select(repositories.c.name, repositories.c.commit_count)).all())
        shas = conn.execute(select(commits.c.sha, commits.c.repo_id)).all()
    store.dispose()
    assert counts == {f"big{i}": 2500 for i in range(4)}
    assert len(shas) == len(set(shas)) == 10_000


def test_repo_lists(tmp_path):
    plain = tmp_path / "repos.txt"
    plain.write_text("# our services\n/srv/api\nhttps://git.example.com/org/web.git  # the front end\n\n")
    assert [s.location for s in read_repo_list(plain)] == ["/srv/api", "https://git.example.com/org/web.git"]
    github = tmp_path / "github.json"
    github.write_text(json.dumps([{"name": "api", "clone_url": "https://github.com/org/api.git"}, {"name": "old", "clone_url": "https://github.com/org/old.git", "archived": True}]))
    assert [s.location for s in read_repo_list(github)] == ["https://github.com/org/api.git"]
    gitlab = tmp_path / "gitlab.json"
    gitlab.write_text(json.dumps([{"path": "web", "http_url_to_repo": "https://gitlab.com/org/web.git"}]))
    assert [s.location for s in read_repo_list(gitlab)] == ["https://gitlab.com/org/web.git"]
    broken = tmp_path / "broken.json"
    broken.write_text('[{"name": "x"},\n {oops}]')
    with pytest.raises(RepoListError, match="broken.json:2"):
        read_repo_list(broken)
    source = RepoSource("https://github.com/org/api.git")
    assert source.is_url and source.local_path(tmp_path).name.startswith("api-")
    assert not RepoSource("/srv/api").is_url


def test_clone_urls_are_cached_and_fetched_incrementally(tmp_path, repo):
    from foundermode.scale.distributed import materialise

    repo.commit({"a.txt": "a\n"}, "one")
    source = RepoSource(f"file://{repo.path}")
    first = materialise(source, tmp_path / "cache")
    repo.commit({"b.txt": "b\n"}, "two")
    second = materialise(source, tmp_path / "cache")
    assert first == second
    import subprocess

    head = subprocess.run(["git", "-C", str(second), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert head == repo.head()


def test_a_large_history_is_split_over_the_workers(tmp_path, store_url):
    """Above split_over commits, commit ranges are read on every worker; the store is the same as serial."""
    path = fast_history(tmp_path / "long", commits=1500, authors=6, files=40)
    serial_url = f"sqlite:///{tmp_path / 'serial-long.db'}"
    serial = open_store(serial_url)
    ingest_repository(serial, path)
    serial.dispose()
    results = ingest_distributed(store_url, [str(path)], scheduler="local", workers=2, split_over=200, cache=tmp_path / "cache")
    assert results[0]["new_commits"] == 1500, results
    assert store_contents(store_url) == store_contents(serial_url)
