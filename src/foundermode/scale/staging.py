"""A long history read and written on every Dask worker, landed in one transaction (PostgreSQL).

The repository's task cuts the commits to read into ranges and submits one
task per range. Each range task reads its commits with git and writes the
rows itself, in a short transaction of its own, into staging tables
(store/schema_scale.py): commit ids are reserved from the real sequence and
people are resolved as in any ingest (identities created in short
advisory-locked transactions), so staged rows are final rows. When every
range is in, the repository's task moves them into the real tables, one
``INSERT ... SELECT`` per table, inside the repository's one transaction,
and deletes them from staging in the same transaction.

So no commit record crosses processes, and the single writer left is the
database server's own ``INSERT ... SELECT``. The guarantees stay those of a
one-process ingest: until the repository's transaction commits, none of its
rows is in the real tables.

Failures: an attempt is a row in ``ingest_attempts``. A range task takes a
share lock on it for its transaction and writes nothing once it is gone, so
deleting the attempt (``discard_attempt``, or the next attempt at the same
repository, which sweeps earlier ones) also shuts out range tasks still
running for it. A range task run twice (its worker died after committing)
finds its part already written and writes nothing more.

SQLite cannot take this path: one writer at a time, and the repository's
task holds the write lock while its ranges would wait for it.
"""
from __future__ import annotations

from ..errors import Unavailable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from ..ingest import ATTEMPT_LOCK, STAGED_TABLES, CommitWriter, move_staged, sweep_attempts
from ..store import Store, now, open_store
from ..store.bulk import insert_rows, reserve_ids
from ..store.schema import coauthors, commits, file_changes
from ..store.schema_scale import (
    ingest_attempts,
    ingest_staged_coauthors,
    ingest_staged_commits,
    ingest_staged_file_changes,
    ingest_staged_parts,
)
from ..config import load_config
from ..sources.git import generated_paths, inspect_repo, read_commits, read_slice

class AttemptAbandoned(Unavailable):
    """The attempt a range belongs to was discarded (its repository task failed or was superseded)."""



def begin_attempt(store: Store, repo_path: str, holder=None) -> int:
    """A new attempt at ``repo_path``, sweeping the dead ones there.

    ``holder``, a connection kept open by the repository's task for as long as
    the attempt runs, holds a session advisory lock on the attempt: an attempt
    whose lock is free lost its task (its worker died, its connection with it)
    and is swept; one still held belongs to a live task (two runs of the same
    repository at once, say overlapping cron runs) and is left to finish, so
    the two do not discard each other's work. Without a holder (tests, tools)
    the attempt counts as dead to the next one.
    """
    with store.write() as conn:
        attempt_id = reserve_ids(conn, ingest_attempts, 1)[0]
        if holder is not None:
            # Before the row exists, so no sweep can ever see it unlocked.
            holder.execute(text("SELECT pg_advisory_lock(:c, :a)"), {"c": ATTEMPT_LOCK, "a": attempt_id})
            holder.commit()  # the lock is the session's; no transaction left open beside it
        stale = conn.execute(select(ingest_attempts.c.id).where(ingest_attempts.c.repo_path == repo_path)).scalars().all()
        dead = [a for a in stale if conn.execute(text("SELECT pg_try_advisory_xact_lock(:c, :a)"), {"c": ATTEMPT_LOCK, "a": a}).scalar_one()]
        _sweep(conn, dead)
        conn.execute(insert(ingest_attempts).values(id=attempt_id, repo_path=repo_path, started_at=now()))
    return attempt_id


def release_attempt(holder, attempt_id: int) -> None:
    """The task is done with its attempt (moved or discarded): drop the lock, close the connection."""
    try:
        holder.execute(text("SELECT pg_advisory_unlock(:c, :a)"), {"c": ATTEMPT_LOCK, "a": attempt_id})
        holder.commit()
    finally:
        holder.close()


def discard_attempt(store: Store, attempt_id: int) -> None:
    """Delete an attempt and everything staged for it, in a transaction of its own."""
    with store.write() as conn:
        _sweep(conn, [attempt_id])


_sweep = sweep_attempts  # one definition, in ingest.py


def StagingWriter(conn, attempt_id: int, info, config, generated: set[str]) -> CommitWriter:
    """The ingest's own writer, sending its rows to the staging tables under one attempt (repo_id: set by the move)."""
    return CommitWriter(conn, 0, info, config, attempt_id=attempt_id, generated=generated)


def _attempt_alive(conn, attempt_id: int, lock: bool = False) -> bool:
    query = select(ingest_attempts.c.id).where(ingest_attempts.c.id == attempt_id)
    if lock:
        query = query.with_for_update(read=True)
    return conn.execute(query).first() is not None


def _part_written(conn, attempt_id: int, part: int):
    return conn.execute(
        select(ingest_staged_parts.c.commits, ingest_staged_parts.c.warnings).where(
            ingest_staged_parts.c.attempt_id == attempt_id, ingest_staged_parts.c.part == part
        )
    ).first()


def _as_result(part_row) -> tuple[int, list[str]]:
    return part_row.commits, part_row.warnings.split("\n") if part_row.warnings else []


def write_part(store: Store, config, repo: Path, shas: list[str], attempt_id: int, part: int) -> tuple[int, list[str]]:
    """Read one commit range and stage its rows; returns (commits, warnings)."""
    with store.read() as conn:
        if not _attempt_alive(conn, attempt_id):
            raise AttemptAbandoned(f"attempt {attempt_id} was discarded")
        done = _part_written(conn, attempt_id, part)
    if done is not None:
        return _as_result(done)
    info = inspect_repo(repo)
    warnings: list[str] = []
    # Read before the transaction opens: the attempt stays locked only while writing.
    records = read_slice(Path(repo), shas, warnings)
    paths = sorted({change.path for record in records for change in record.changes})
    generated = generated_paths(info.path, paths)
    for tries_left in reversed(range(IDENTITY_RACE_TRIES)):
        try:
            with store.write() as conn:
                if not _attempt_alive(conn, attempt_id, lock=True):
                    raise AttemptAbandoned(f"attempt {attempt_id} was discarded")
                claimed = conn.execute(
                    pg_insert(ingest_staged_parts)
                    .values(attempt_id=attempt_id, part=part, commits=len(records), warnings="\n".join(warnings) or None)
                    .on_conflict_do_nothing()
                    .returning(ingest_staged_parts.c.part)
                ).first()
                if claimed is None:  # another run of this task got there first
                    return _as_result(_part_written(conn, attempt_id, part))
                StagingWriter(conn, attempt_id, info, config, generated).write(records)
            return len(records), warnings
        except DBAPIError as error:
            if not tries_left or not _lost_identity_race(error):
                raise


IDENTITY_RACE_TRIES = 4


def _lost_identity_race(error: DBAPIError) -> bool:
    """Two ranges of one history met the same new address of a known person.

    New people are created in short advisory-locked transactions, but an
    address joined to an existing person (a GitHub noreply address under a
    known name, a configured alias) is added in the writer's own transaction;
    the range that commits second then fails on the identity's unique key (or
    in a deadlock between two such keys). Its transaction wrote nothing, its
    commits are still in memory, and the identity is there now: write again.
    """
    import psycopg.errors

    orig = getattr(error, "orig", None)
    if isinstance(orig, psycopg.errors.DeadlockDetected):
        return True
    return isinstance(orig, psycopg.errors.UniqueViolation) and getattr(orig.diag, "constraint_name", None) == "uq_identities_key"


@dataclass
class StagedHistory:
    """What the workers staged for one attempt; ``ingest_repository`` moves it."""

    attempt_id: int
    commits: int

    def __len__(self) -> int:
        return self.commits

    def move_into(self, conn, repo_id: int) -> int:
        return move_staged(conn, self.attempt_id, repo_id, self.commits)


def staged_reader(store: Store, db_url: str, config_path: str | None, local_up_to: int = 0, parts_per_thread: int = 2, min_part: int = 500):
    """A reader for ingest_repository whose ranges are read and staged on every worker.

    It runs inside the repository's task, which secedes (``read.seceded``: the
    caller rejoins) so its own worker takes ranges too. ``read.attempts`` lists
    the attempts begun with the connection holding each: the caller discards
    them if the repository's transaction does not commit, then releases them.
    Up to ``local_up_to`` new commits (an incremental run of a long history)
    are read here, as for any repository.
    """

    def read(repo: Path, shas: list[str], jobs=None, warnings=None):
        from distributed import as_completed, worker_client

        if len(shas) <= local_up_to:
            yield from read_commits(repo, shas, jobs=jobs, warnings=warnings)
            return
        from distributed import secede

        # From here this task mostly waits, on its ranges and then on the server's
        # INSERT ... SELECT: out of the worker's thread pool until it ends (ingest_one
        # rejoins), so its worker keeps a task running beside it.
        secede()
        read.seceded = True
        holder = store.engine.connect()
        attempt_id = begin_attempt(store, str(repo), holder)
        read.attempts.append((attempt_id, holder))
        total = 0
        with worker_client() as client:
            threads = max(1, sum(client.nthreads().values()))
            size = max(min_part, -(-len(shas) // (threads * parts_per_thread)))
            pieces = [shas[i : i + size] for i in range(0, len(shas), size)]
            # Ahead of every waiting repository: this task already holds a worker.
            futures = [
                client.submit(write_part_task, db_url, config_path, str(repo), piece, attempt_id, index, pure=False, priority=1 << 40, retries=2)
                for index, piece in enumerate(pieces)
            ]
            try:
                for future in as_completed(futures):
                    count, part_warnings = future.result()
                    total += count
                    if warnings is not None:
                        warnings.extend(part_warnings)
                    future.release()
            except BaseException:
                client.cancel(futures)
                raise
        yield StagedHistory(attempt_id, total)

    read.attempts = []
    read.seceded = False
    return read


_worker_stores: dict = {}


def worker_store(db_url: str):
    """One engine per worker process, kept between tasks: a connection pool and
    a migrated schema are not worth rebuilding for every repository or range."""
    store = _worker_stores.get(db_url)
    if store is None:
        store = _worker_stores[db_url] = open_store(db_url)
    return store


def write_part_task(db_url: str, config_path: str | None, repo: str, shas: list[str], attempt_id: int, part: int) -> tuple[int, list[str]]:
    """The Dask task for one range: the worker's store and the configuration, then ``write_part``."""
    return write_part(worker_store(db_url), load_config(config_path), Path(repo), shas, attempt_id, part)
