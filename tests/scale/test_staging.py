"""A long history's ranges staged by the workers that read them, moved in the repository's transaction (PostgreSQL)."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from sqlalchemy import func, insert, select, text

from foundermode.config import Config
from foundermode.ingest import ingest_repository
from foundermode.scale.distributed import ingest_distributed
from foundermode.scale.staging import STAGED_TABLES, AttemptAbandoned, StagedHistory, begin_attempt, discard_attempt, release_attempt, write_part
from foundermode.sources.git import inspect_repo, rev_list
from foundermode.store import open_store
from foundermode.store.schema import commits, file_changes, identities, people, repositories
from foundermode.store.schema_scale import ingest_attempts

from conftest import Repo, fast_history
from test_distributed import store_contents

pytest.importorskip("distributed", reason="dask[distributed] is in the test extra")


@pytest.fixture
def earlier(make_repo):
    """A repository ingested before: Dev 1 is a known person when the long history comes.

    (A noreply address and an address under one name join whichever comes
    first, as long as one person carries the name; known beforehand, Dev 1 is
    that person however the ranges are cut.)
    """
    repo = make_repo("earlier")
    repo.commit({"x.txt": "x\n"}, "first", author=("Dev 1", "dev1@example.com"))
    return repo.path


@pytest.fixture
def mixed_history(tmp_path):
    """fast-import's long history, then what identities and exclusions hinge on: a GitHub
    noreply address of a known author, a co-author, files .gitattributes marks generated, a merge."""
    path = fast_history(tmp_path / "mixed", commits=900, authors=6, files=40)
    repo = Repo(path=path, clock=1_800_000_000)
    repo.commit({".gitattributes": "gen/** linguist-generated\n", "gen/schema.rb": "a\nb\n"}, "generated schema", author=("Dev 2", "dev2@example.com"))
    repo.commit({"src/mod1/file1.py": "noreply\n"}, "from the web UI", author=("Dev 1", "12345+dev1@users.noreply.github.com"))
    repo.commit({"src/pair.py": "x\n"}, "pairing\n\nCo-authored-by: Dev 3 <dev3@example.com>\nCo-authored-by: Grace <grace@example.com>", author=("Dev 4", "dev4@example.com"))
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit({"gen/schema.rb": "a\nb\nc\n", "src/topic.py": "t\n"}, "topic work", author=("Dev 5", "dev5@example.com"))
    repo.git("checkout", "-q", "main")
    repo.commit({"src/main.py": "m\n"}, "main work", author=("Dev 0", "dev0@example.com"))
    repo.merge("topic", author=("Dev 0", "dev0@example.com"))
    return path


def serial_url_for(tmp_path, *paths) -> str:
    url = f"sqlite:///{tmp_path / 'serial.db'}"
    store = open_store(url)
    for path in paths:
        ingest_repository(store, path)
    store.dispose()
    return url


def staged_counts(store) -> dict:
    with store.read() as conn:
        counts = {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one() for table in STAGED_TABLES}
        counts["ingest_attempts"] = conn.execute(select(func.count()).select_from(ingest_attempts)).scalar_one()
    return counts


EMPTY = {"ingest_staged_parts": 0, "ingest_staged_commits": 0, "ingest_staged_file_changes": 0, "ingest_staged_coauthors": 0, "ingest_attempts": 0}


def in_process_stager(store, config, parts: int, fail_after_move: bool = False):
    """staged_reader's protocol without Dask: each range staged in turn by write_part."""

    def read(repo, shas, jobs=None, warnings=None):
        attempt = begin_attempt(store, str(repo))
        read.attempts.append(attempt)
        size = -(-len(shas) // parts)
        total = 0
        for index in range(parts):
            count, part_warnings = write_part(store, config, repo, shas[index * size : (index + 1) * size], attempt, index)
            total += count
            warnings.extend(part_warnings)
        yield StagedHistory(attempt, total)
        if fail_after_move:
            # The repository's task dies after the move, before its transaction commits.
            raise RuntimeError("repository task failed after the move")

    read.attempts = []
    return read


def test_staged_ranges_give_the_serial_store(earlier, mixed_history, fresh_pg_url, tmp_path):
    serial = serial_url_for(tmp_path, earlier, mixed_history)
    store = open_store(fresh_pg_url)
    try:
        ingest_repository(store, earlier)
        reader = in_process_stager(store, Config(), parts=3)
        result = ingest_repository(store, mixed_history, reader=reader)
        assert result.new_commits == 906
        assert staged_counts(store) == EMPTY
        with store.read() as conn:
            # The noreply address joined Dev 1, who wrote in every range: one person.
            dev1 = conn.execute(select(identities.c.person_id).where(identities.c.key == "dev1@example.com")).scalar_one()
            noreply = conn.execute(select(identities.c.person_id).where(identities.c.key == "github:dev1")).scalar_one()
            assert dev1 == noreply
            generated = conn.execute(select(file_changes.c.is_excluded).where(file_changes.c.path == "gen/schema.rb")).scalars().all()
            assert generated == [True, True]
    finally:
        store.dispose()
    assert store_contents(fresh_pg_url) == store_contents(serial)


def test_a_failed_attempt_leaves_staging_and_real_tables_clean(earlier, mixed_history, fresh_pg_url, tmp_path):
    store = open_store(fresh_pg_url)
    try:
        ingest_repository(store, earlier)
        failing = in_process_stager(store, Config(), parts=3, fail_after_move=True)
        with pytest.raises(RuntimeError, match="after the move"):
            ingest_repository(store, mixed_history, reader=failing)
        with store.read() as conn:
            assert conn.execute(select(func.count()).select_from(commits)).scalar_one() == 1  # the earlier repository's
            assert conn.execute(select(func.count()).select_from(file_changes)).scalar_one() == 1
            assert conn.execute(select(repositories.c.name)).scalars().all() == ["earlier"]
        # The rollback put the staged rows back; discarding the attempt (as ingest_one does) removes them.
        assert staged_counts(store)["ingest_staged_commits"] == 906
        for attempt in failing.attempts:
            discard_attempt(store, attempt)
        assert staged_counts(store) == EMPTY
        # People created meanwhile stay (they were committed on their own); the next attempt reuses them.
        with store.read() as conn:
            people_before = conn.execute(select(func.count()).select_from(people)).scalar_one()
        result = ingest_repository(store, mixed_history, reader=in_process_stager(store, Config(), parts=2))
        assert result.new_commits == 906
        with store.read() as conn:
            assert conn.execute(select(func.count()).select_from(people)).scalar_one() == people_before
        assert staged_counts(store) == EMPTY
    finally:
        store.dispose()
    assert store_contents(fresh_pg_url) == store_contents(serial_url_for(tmp_path, earlier, mixed_history))


def test_a_dead_attempt_is_swept_by_the_next_and_shut_out(mixed_history, fresh_pg_url):
    store = open_store(fresh_pg_url)
    try:
        info = inspect_repo(mixed_history)
        shas = rev_list(info.path, info.head)
        dead = begin_attempt(store, str(info.path))
        assert write_part(store, Config(), info.path, shas[:300], dead, 0)[0] == 300
        # A range task run again after its worker died having committed: nothing more is staged.
        assert write_part(store, Config(), info.path, shas[:300], dead, 0)[0] == 300
        assert staged_counts(store)["ingest_staged_commits"] == 300
        # The retry of the repository's task begins a new attempt: the dead one's rows go.
        live = begin_attempt(store, str(info.path))
        assert staged_counts(store) == {**EMPTY, "ingest_attempts": 1}
        # A range of the dead attempt still running somewhere writes nothing.
        with pytest.raises(AttemptAbandoned):
            write_part(store, Config(), info.path, shas[300:600], dead, 1)
        assert staged_counts(store) == {**EMPTY, "ingest_attempts": 1}
        discard_attempt(store, live)
        assert staged_counts(store) == EMPTY
    finally:
        store.dispose()


def test_an_attempt_whose_task_is_alive_is_left_to_finish(mixed_history, fresh_pg_url):
    """Two runs of one repository at once (overlapping cron runs): neither sweeps the other's ranges."""
    store = open_store(fresh_pg_url)
    try:
        info = inspect_repo(mixed_history)
        shas = rev_list(info.path, info.head)
        holder = store.engine.connect()
        live = begin_attempt(store, str(info.path), holder)
        write_part(store, Config(), info.path, shas[:200], live, 0)
        other_holder = store.engine.connect()
        other = begin_attempt(store, str(info.path), other_holder)
        assert staged_counts(store)["ingest_staged_commits"] == 200
        assert write_part(store, Config(), info.path, shas[200:300], live, 1)[0] == 100
        # The first task's connection goes (its worker died): the next attempt sweeps it.
        holder.invalidate()  # the socket closed, as when the process is killed
        holder.close()
        release_attempt(other_holder, other)
        third_holder = store.engine.connect()
        third = begin_attempt(store, str(info.path), third_holder)
        with store.read() as conn:
            assert conn.execute(select(ingest_attempts.c.id)).scalars().all() == [third]
        assert staged_counts(store) == {**EMPTY, "ingest_attempts": 1}
        release_attempt(third_holder, third)
    finally:
        store.dispose()


def test_two_ranges_meeting_the_same_new_address_of_a_known_person(earlier, mixed_history, fresh_pg_url):
    """The noreply address of Dev 1 joins Dev 1 inside the range's own transaction; when
    another range adds it first, this one fails on the unique key and writes again."""
    store = open_store(fresh_pg_url)
    try:
        ingest_repository(store, earlier)
        info = inspect_repo(mixed_history)
        shas = rev_list(info.path, info.head)
        attempt = begin_attempt(store, str(info.path))
        assert write_part(store, Config(), info.path, shas[100:400], attempt, 1)[0] == 300
        with store.read() as conn:
            dev1 = conn.execute(select(identities.c.person_id).where(identities.c.key == "dev1@example.com")).scalar_one()
        # Another range's transaction adds the noreply identity and has not committed yet.
        other = store.engine.connect()
        other_tx = other.begin()
        other.execute(insert(identities).values(person_id=dev1, key="github:dev1", name="Dev 1", email="12345+dev1@users.noreply.github.com", source="git"))
        outcome = {}

        def stage_newest():
            try:
                outcome["result"] = write_part(store, Config(), info.path, shas[:100], attempt, 0)
            except Exception as error:  # surfaced by the assertion below
                outcome["error"] = error

        writer = threading.Thread(target=stage_newest)
        writer.start()
        deadline = time.monotonic() + 30
        with store.engine.connect() as watch:
            while time.monotonic() < deadline:
                waiting = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).scalar_one()
                if waiting:
                    break
                time.sleep(0.05)
        assert waiting, "the range never waited on the other transaction's identity"
        other_tx.commit()
        other.close()
        writer.join(60)
        assert "error" not in outcome, outcome
        assert outcome["result"][0] == 100
        with store.read() as conn:
            assert conn.execute(select(func.count()).select_from(identities).where(identities.c.key == "github:dev1")).scalar_one() == 1
        assert staged_counts(store)["ingest_staged_parts"] == 2
    finally:
        store.dispose()


def test_a_worker_killed_while_its_repository_task_waits_on_staged_ranges(tmp_path, fresh_pg_url):
    from distributed import Client, LocalCluster

    path = fast_history(tmp_path / "long", commits=6000, authors=8, files=60)
    serial = serial_url_for(tmp_path, path)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    store = open_store(fresh_pg_url)
    killed = []

    def kill_the_repository_task_once_a_range_is_staged():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with store.read() as conn:
                staged = conn.execute(select(func.count()).select_from(STAGED_TABLES[0])).scalar_one()
            if staged:
                holder = [w for w, keys in client.processing().items() if any(str(k).startswith("ingest-") for k in keys)]
                if holder:
                    pid = client.run(os.getpid, workers=holder)[holder[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(holder[0])
                    return
            time.sleep(0.05)

    try:
        killer = threading.Thread(target=kill_the_repository_task_once_a_range_is_staged)
        killer.start()
        results = ingest_distributed(fresh_pg_url, [str(path)], client=client, split_over=1000, retries=3)
        killer.join()
        assert killed, "no worker was killed"
        assert all("error" not in r for r in results), results
        assert results[0]["new_commits"] == 6000
        assert staged_counts(store) == EMPTY
    finally:
        store.dispose()
        client.close()
        cluster.close()
    assert store_contents(fresh_pg_url) == store_contents(serial)


def test_an_incremental_run_of_a_long_history_reads_its_few_new_commits_in_its_own_task(tmp_path, fresh_pg_url):
    path = fast_history(tmp_path / "long", commits=1500, authors=6, files=40)
    first = ingest_distributed(fresh_pg_url, [str(path)], scheduler="local", workers=2, split_over=200, cache=tmp_path / "cache")
    assert first[0]["new_commits"] == 1500, first
    repo = Repo(path=path, clock=1_800_000_000)
    for i in range(5):
        repo.commit({f"new{i}.txt": "x\n"}, f"new {i}", author=("Dev 1", "dev1@example.com"))
    again = ingest_distributed(fresh_pg_url, [str(path)], scheduler="local", workers=2, split_over=200, cache=tmp_path / "cache")
    assert again[0]["new_commits"] == 5 and again[0]["commits"] == 1505, again
    store = open_store(fresh_pg_url)
    try:
        with store.read() as conn:
            # Two attempts in all: the first run's on the cluster, the second's staged here (ingest.py's
            # own attempt). Five commits are not worth a cluster's round trips.
            assert conn.execute(text("SELECT last_value FROM ingest_attempts_id_seq")).scalar_one() == 2
        assert staged_counts(store) == EMPTY
    finally:
        store.dispose()
