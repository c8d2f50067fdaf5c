"""The foundation's tables: people and their identities, repositories, commits,
file changes, co-authors, ownership at HEAD, CODEOWNERS rules.

Each principle adds its tables to the same ``metadata`` in its own module
(``store/schema_<principle>.py``) and its own Alembic revision.
Timestamps are stored as UTC epoch seconds (integers): exact, cheap to
aggregate in SQL on both SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text),  # the primary email: org chart's, else the first seen
    Column("title", Text),
    Column("team", Text),
    Column("role", String(16)),  # engineer, manager, executive, other (org chart); NULL when unknown
    Column("manager_id", Integer, ForeignKey("people.id", ondelete="SET NULL")),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("in_org_chart", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    # Tenure from the org chart (UTC midnight of the date, epoch seconds; end_date is the last
    # day there). NULL: not given, so people.py derives it from activity.
    Column("start_date", BigInteger),
    Column("end_date", BigInteger),
)

identities = Table(
    "identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True),
    # Normalised key: lower-cased email, "github:<login>" for noreply addresses,
    # "name:<casefolded name>" when a commit carries no email.
    Column("key", Text, nullable=False, unique=True),
    Column("name", Text),
    Column("email", Text),
    Column("source", String(16), nullable=False),  # git, mailmap, org, alias, calendar, manual
)

repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("path", Text, nullable=False, unique=True),
    Column("head_ref", Text),
    Column("last_sha", String(64)),  # tip of the last ingest: the next ingest reads only what is new
    Column("last_ingested_at", BigInteger),
    Column("commit_count", Integer, nullable=False, default=0),
    Column("is_shallow", Boolean, nullable=False, default=False),
    Column("warnings", Text),  # what the last ingest could not see (shallow, missing objects)
    Column("ownership_sha", String(64)),  # revision the ownership table describes
    Column("mailmap", Text),  # the .mailmap its commits are attributed under (sources/git.py: mailmap_text)
)

commits = Table(
    "commits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("sha", String(64), nullable=False),
    Column("parents", Text, nullable=False, default=""),
    Column("author_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("committer_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("authored_at", BigInteger, nullable=False),
    Column("author_tz", Integer, nullable=False, default=0),  # minutes east of UTC
    Column("committed_at", BigInteger, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("is_merge", Boolean, nullable=False, default=False),
    # Commits at a shallow clone's boundary diff against nothing: stored, never counted as work.
    Column("is_boundary", Boolean, nullable=False, default=False),
    Column("additions", Integer, nullable=False, default=0),
    Column("deletions", Integer, nullable=False, default=0),
    Column("files_changed", Integer, nullable=False, default=0),
    UniqueConstraint("repo_id", "sha"),
    Index("ix_commits_author_time", "author_id", "authored_at"),
    Index("ix_commits_repo_time", "repo_id", "authored_at"),
    # Deleting a person (people merge) checks this foreign key per row: without the index,
    # merging rails' 689 folded identities scanned its 99,429 commits 689 times (7.5 s).
    Index("ix_commits_committer", "committer_id"),
)

file_changes = Table(
    "file_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("commit_id", Integer, ForeignKey("commits.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("old_path", Text),  # set for renames and copies
    Column("status", String(1), nullable=False),  # A M D R C T
    Column("additions", Integer),  # NULL for binary files
    Column("deletions", Integer),
    Column("is_binary", Boolean, nullable=False, default=False),
    Column("is_submodule", Boolean, nullable=False, default=False),
    # Vendored, generated or lock file by the rules in force: stored, flagged, re-flaggable.
    Column("is_excluded", Boolean, nullable=False, default=False),
    Index("ix_file_changes_path", "path"),
)

coauthors = Table(
    "coauthors",
    metadata,
    Column("commit_id", Integer, ForeignKey("commits.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True, index=True),
)

ownership = Table(
    "ownership",
    metadata,
    Column("repo_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True, index=True),
    Column("lines", Integer, nullable=False),
)

ownership_files = Table(
    "ownership_files",
    metadata,
    Column("repo_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("blob", String(64), nullable=False),  # unchanged blob at HEAD -> unchanged blame
    Column("lines", Integer, nullable=False),
    Column("is_excluded", Boolean, nullable=False, default=False),
)

codeowners = Table(
    "codeowners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),  # order in the file: the last match wins
    Column("line", Integer, nullable=False),
    Column("pattern", Text, nullable=False),
    Column("owners", Text, nullable=False, default=""),  # space-separated @team / @user / email
    Column("source_file", Text, nullable=False),
)
