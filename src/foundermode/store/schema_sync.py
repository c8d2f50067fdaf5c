"""Tables of the sync loop (``foundermode sync``, the schedule in ``serve``, ``foundermode status``).

``sync_sources``: one row per declared source (a repository, a calendar folder
or subscription, a transcript folder, the org chart): when it was last
checked, what that check saw, its last error, and the validators a
subscription URL answered with (ETag, Last-Modified) for the next conditional
request.
``sync_seen``: the files a source has already taken in (path -> fingerprint),
so a folder with nothing new costs a ``stat`` per file.
``job_runs``: the last run of each scheduled job (sync, tick, brief) - what an
operator checks first.
``job_locks``: one row per job name while a run holds it; the lease expires,
so a process that died does not block the schedule for ever.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from .schema import metadata

sync_sources = Table(
    "sync_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # repository, calendar, transcripts, org_chart
    Column("location", Text, nullable=False),  # as declared (a path, a glob's match, a URL)
    Column("last_checked_at", BigInteger),
    Column("last_changed_at", BigInteger),  # the last check that took something in
    Column("last_status", String(16)),  # unchanged, updated, failed
    Column("last_summary", Text),  # what the last check saw, one line
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("fingerprint", Text),  # digest of what was last taken in (a subscription's body, the org chart)
    UniqueConstraint("kind", "location"),
)

sync_seen = Table(
    "sync_seen",
    metadata,
    Column("source_id", Integer, ForeignKey("sync_sources.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),  # size:mtime_ns
    Column("seen_at", BigInteger, nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("name", String(32), primary_key=True),  # sync, tick, brief
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    Column("status", String(16)),  # ok, failed, running
    Column("detail", Text),
    Column("error", Text),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", Text, nullable=False),  # host:pid:token
    Column("acquired_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)
