"""Staging for ingestion on Dask: a long history's commit ranges, written by the workers that read them.

A repository is still written in one transaction: the workers put their
ranges here, each in a short transaction of its own, and the repository's
task moves them into ``commits``, ``file_changes`` and ``coauthors`` (one
statement per table) inside the repository's transaction. Until then nothing
of the attempt is visible in the real tables. Rows are tagged with their
attempt; an attempt that dies is swept by the next attempt at the same
repository (or by ``foundermode.scale.staging.discard_attempt``).

No foreign keys: staged rows point at commits and repositories that do not
exist yet, and the move is where integrity is checked. On PostgreSQL the
tables are UNLOGGED (the migration sets it): staged rows are cheap to write
and a server crash that empties them only costs a retry.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, PrimaryKeyConstraint, String, Table, Text

from .schema import metadata

ingest_attempts = Table(
    "ingest_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    # The repository's path as the repositories table will hold it: a later
    # attempt at the same path sweeps this one's rows.
    Column("repo_path", Text, nullable=False, index=True),
    Column("started_at", BigInteger, nullable=False),
)

# One row per commit range written: a range task run twice (its worker died
# after committing, before Dask heard back) finds its row and writes nothing.
ingest_staged_parts = Table(
    "ingest_staged_parts",
    metadata,
    Column("attempt_id", Integer, nullable=False),
    Column("part", Integer, nullable=False),
    Column("commits", Integer, nullable=False),
    Column("warnings", Text),  # newline-separated, as the range reader reported them
    PrimaryKeyConstraint("attempt_id", "part"),
)

# Same columns as commits, less repo_id (the move sets it), plus the attempt.
ingest_staged_commits = Table(
    "ingest_staged_commits",
    metadata,
    Column("attempt_id", Integer, nullable=False),
    Column("id", Integer, nullable=False),  # reserved from commits' own sequence: the final id
    Column("sha", String(64), nullable=False),
    Column("parents", Text, nullable=False),
    Column("author_id", Integer, nullable=False),
    Column("committer_id", Integer, nullable=False),
    Column("authored_at", BigInteger, nullable=False),
    Column("author_tz", Integer, nullable=False),
    Column("committed_at", BigInteger, nullable=False),
    Column("subject", Text, nullable=False),
    Column("is_merge", Boolean, nullable=False),
    Column("is_boundary", Boolean, nullable=False),
    Column("additions", Integer, nullable=False),
    Column("deletions", Integer, nullable=False),
    Column("files_changed", Integer, nullable=False),
)

ingest_staged_file_changes = Table(
    "ingest_staged_file_changes",
    metadata,
    Column("attempt_id", Integer, nullable=False),
    Column("commit_id", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("old_path", Text),
    Column("status", String(1), nullable=False),
    Column("additions", Integer),
    Column("deletions", Integer),
    Column("is_binary", Boolean, nullable=False),
    Column("is_submodule", Boolean, nullable=False),
    Column("is_excluded", Boolean, nullable=False),
)

ingest_staged_coauthors = Table(
    "ingest_staged_coauthors",
    metadata,
    Column("attempt_id", Integer, nullable=False),
    Column("commit_id", Integer, nullable=False),
    Column("person_id", Integer, nullable=False),
)
