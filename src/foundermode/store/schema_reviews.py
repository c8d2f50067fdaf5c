"""Code review's tables: pull requests (GitHub) and merge requests (GitLab), their
reviews, review requests, comments, timeline events, releases and deployments,
and the cursors that make a second ingest read only what is new.

Every child row names its pull request by (forge repository, number), not by the
pull request's row: the forges' endpoints are separate (repository-wide comment
lists arrive before or without the pull requests they belong to, and an export
may hold comments of pull requests it does not hold), so each table is written
as it comes and the analyses join on the number.
Timestamps are UTC epoch seconds, as everywhere in the store.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from .schema import metadata

forge_repos = Table(
    "forge_repos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("forge", String(16), nullable=False),  # github, gitlab
    Column("name", Text, nullable=False),  # owner/name (GitHub) or the project's full path (GitLab)
    Column("host", Text, nullable=False, default=""),  # api.github.com, gitlab.example.com: one name on two hosts is two repositories
    Column("last_ingested_at", BigInteger),
    UniqueConstraint("forge", "host", "name"),
)

pull_requests = Table(
    "pull_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),  # GitHub's number, GitLab's iid
    Column("external_id", Text),
    Column("title", Text, nullable=False, default=""),
    Column("author_id", Integer, ForeignKey("people.id")),
    Column("state", String(8), nullable=False),  # open, merged, closed (closed without merge)
    Column("is_draft", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("closed_at", BigInteger),
    Column("merged_at", BigInteger),
    Column("merged_by_id", Integer, ForeignKey("people.id")),
    Column("ready_at", BigInteger),  # last marked ready for review (drafts); NULL: ready since created
    Column("first_commit_at", BigInteger),  # earliest authored commit, when the source says
    Column("base_ref", Text),
    Column("head_sha", String(64)),
    Column("merge_sha", String(64)),
    Column("url", Text),
    Column("checks", String(16)),  # CI state of the head when the source says: success, failure, pending
    UniqueConstraint("repo_id", "number"),
    Index("ix_pull_requests_author", "author_id"),
    Index("ix_pull_requests_state", "state"),
)

pull_reviews = Table(
    "pull_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("reviewer_id", Integer, ForeignKey("people.id")),
    # approved, changes_requested, commented, dismissed (pending reviews are not submitted: not stored)
    Column("state", String(20), nullable=False),
    Column("submitted_at", BigInteger),
    Column("commit_sha", String(64)),
    UniqueConstraint("repo_id", "external_id"),
    Index("ix_pull_reviews_pull", "repo_id", "number"),
    Index("ix_pull_reviews_reviewer", "reviewer_id"),
)

pull_review_requests = Table(
    "pull_review_requests",
    metadata,
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("reviewer", Text, primary_key=True),  # "person:<id>" or "team:<slug>"
    Column("reviewer_id", Integer, ForeignKey("people.id")),
    Column("team", Text),
    Column("requested_at", BigInteger),  # from the timeline; NULL when only the pull request said so
    Column("is_pending", Boolean, nullable=False, default=True),  # still requested (not yet reviewed or removed)
    Index("ix_pull_review_requests_reviewer", "reviewer_id"),
)

pull_comments = Table(
    "pull_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("kind", String(8), nullable=False),  # issue (conversation), review (on the diff), note (GitLab)
    Column("author_id", Integer, ForeignKey("people.id")),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("repo_id", "kind", "external_id"),
    Index("ix_pull_comments_pull", "repo_id", "number"),
)

pull_events = Table(
    "pull_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("external_id", Text, nullable=False),
    # ready_for_review, convert_to_draft, review_requested, review_request_removed, merged, closed, reopened, committed
    Column("kind", String(32), nullable=False),
    Column("actor_id", Integer, ForeignKey("people.id")),
    Column("subject_id", Integer, ForeignKey("people.id")),  # the requested reviewer
    Column("team", Text),
    Column("at", BigInteger, nullable=False),
    UniqueConstraint("repo_id", "external_id"),
    Index("ix_pull_events_pull", "repo_id", "number"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # release, deployment
    Column("name", Text),  # tag or environment
    Column("sha", String(64)),
    Column("at", BigInteger, nullable=False),
    UniqueConstraint("repo_id", "kind", "external_id"),
)

forge_cursors = Table(
    "forge_cursors",
    metadata,
    # "<forge>:<host>:<repo>:<endpoint>" for an API list, "file:<absolute path>" for an export
    Column("key", Text, primary_key=True),
    Column("repo_id", Integer, ForeignKey("forge_repos.id", ondelete="CASCADE")),
    Column("etag", Text),  # the API's ETag (If-None-Match), or an export's content hash
    Column("since", BigInteger),  # newest updated_at seen: the next run asks only for what changed after
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_forge_cursors_repo", "repo_id"),
)
