"""Whole-history summaries per repository, kept in the store (``store/schema_team.py``).

Two figures need every file change a repository ever had, whatever the window:
the degree-of-authorship authors of each file (the truck factor, following
renames in the history's order) and the number of changes per path (the
brief's areas). Computing them reads about as many rows as there are file
changes (1.5 million on the web benchmark's store: about 10 s), so they are
computed once per history, by the straightforward code, and stored.

Correctness rests on the **stamp**: a digest of everything the summaries are
computed from, read cheaply from the store:

* the repository's ingested tip, commit count and ownership revision, the
  .mailmap its commits are attributed under (a changed mailmap
  moves stored commits between people), and whether its checkout is on this
  machine (authorship reads git there);
* the paths flagged as excluded in its history and at the ownership revision
  (``foundermode rules`` and ``.gitattributes`` re-flagging change them);
* every person's id and bot flag, and which person every identity belongs to
  (``people merge`` and re-flagged bots change them);
* for authorship, the exclusion rules it was asked with.

A summary is read only while its stored stamp equals the current one; otherwise
the straightforward computation runs (and ``refresh`` stores its result). An
incremental ingest, a force-push re-read, a merge of two people or a rules
change therefore never meet an outdated summary, even from a process that did
not write them. ``refresh`` runs after ``foundermode rules``, after
``ingest git --summaries``, in ``foundermode serve``'s background loop (so the
first page after an ingest is fast too) and in the first report that finds them
stale. A plain ingest does not run it: walking the whole history would cost ten
times what an incremental ingest of a hundred commits costs.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from sqlalchemy import Connection, delete, false, func, insert, select, true

from ..store import now
from ..store.schema import commits, file_changes, identities, ownership_files, people
from ..store.schema_team import team_file_authors, team_path_changes, team_summaries
from . import queries
from .queries import flagged_paths  # noqa: F401  (re-exported: one definition, in queries)
from .truck_factor import Authorship, authorship
from ..config import DEFAULT_EXCLUDED_PATHS

STAMP_VERSION = "1"  # bump when what a summary holds, or how it is computed, changes


def effective_patterns(config=None, patterns: list[str] | None = None) -> list[str]:
    if patterns is not None:
        return list(patterns)
    return list(config.excluded_paths) if config is not None else list(DEFAULT_EXCLUDED_PATHS)


def patterns_key(patterns: list[str]) -> str:
    return hashlib.sha1(json.dumps(patterns).encode()).hexdigest()


def _people_key(conn: Connection) -> str:
    digest = hashlib.sha1()
    for person_id, is_bot in conn.execute(select(people.c.id, people.c.is_bot).order_by(people.c.id)):
        digest.update(f"{person_id}{'b' if is_bot else ''},".encode())
    digest.update(b"|")
    for identity_id, person_id in conn.execute(select(identities.c.id, identities.c.person_id).order_by(identities.c.id)):
        digest.update(f"{identity_id}:{person_id},".encode())
    return digest.hexdigest()


def stamps(conn: Connection, repos: list[dict], flagged: dict[int, set[str]] | None = None) -> dict[int, str]:
    """repository id -> the stamp of the history its summaries would be computed from."""
    people_key = _people_key(conn)
    flagged = flagged_paths(conn) if flagged is None else flagged
    excluded_owned: dict[int, list[str]] = {}
    for repo_id, path in conn.execute(select(ownership_files.c.repo_id, ownership_files.c.path).where(ownership_files.c.is_excluded == true())):
        excluded_owned.setdefault(repo_id, []).append(path)
    out = {}
    for repo in repos:
        parts = [
            STAMP_VERSION, repo["last_sha"], repo["commit_count"], repo["ownership_sha"], repo["mailmap"], Path(repo["path"]).exists(),
            sorted(flagged.get(repo["id"], ())), sorted(excluded_owned.get(repo["id"], ())), people_key,
        ]
        out[repo["id"]] = hashlib.sha1(json.dumps(parts).encode()).hexdigest()
    return out


def _stored(conn: Connection) -> dict[int, dict]:
    return {row["repo_id"]: dict(row) for row in conn.execute(select(team_summaries)).mappings()}


class Freshness:
    """Which repositories' summaries can be read now, from one look at the store."""

    def __init__(self, conn: Connection, repos: list[dict] | None = None):
        self.repos = repos if repos is not None else [r for r in queries.repository_rows(conn, None) if r["last_sha"]]
        self.flagged = flagged_paths(conn)
        self.current = stamps(conn, self.repos, self.flagged)
        self.stored = _stored(conn)

    def fresh(self, repo_id: int, patterns: list[str] | None = None) -> bool:
        row = self.stored.get(repo_id)
        if row is None or row["stamp"] != self.current.get(repo_id):
            return False
        return patterns is None or row["patterns"] == patterns_key(patterns)

    def all_fresh(self) -> bool:
        return all(self.fresh(r["id"]) for r in self.repos)


# -- computing -----------------------------------------------------------------------------

def path_changes_live(conn: Connection, repo_id: int | None = None) -> dict[int, dict[str, int]]:
    """repository -> path -> non-excluded changes over the whole history (every commit, merges included)."""
    query = (
        select(commits.c.repo_id, file_changes.c.path, func.count())
        .select_from(file_changes.join(commits, commits.c.id == file_changes.c.commit_id))
        .where(file_changes.c.is_excluded == false())
        .group_by(commits.c.repo_id, file_changes.c.path)
    )
    if repo_id is not None:
        query = query.where(commits.c.repo_id == repo_id)
    counts: dict[int, dict[str, int]] = {}
    for repo, path, count in conn.execute(query):
        counts.setdefault(repo, {})[path] = count
    return counts


def refresh(store, config=None, repo_ids: tuple[int, ...] | list[int] | None = None, patterns: list[str] | None = None) -> list[int]:
    """Recompute and store the summaries of the repositories whose stamp changed; returns their ids.

    Everything is read in one read transaction, the stamp first, then written in
    one short write transaction. A history that changes in between is stored
    under the stamp read before it, which no longer matches: the next reader
    recomputes rather than trusting it.
    """

    patterns = effective_patterns(config, patterns)
    key = patterns_key(patterns)
    results = []
    with store.read() as conn:
        repos = [r for r in queries.repository_rows(conn, tuple(repo_ids) if repo_ids is not None else None) if r["last_sha"]]
        state = Freshness(conn, repos)
        for repo in repos:
            if state.fresh(repo["id"], patterns):
                continue
            counts = path_changes_live(conn, repo["id"]).get(repo["id"], {})
            try:
                auth, error = authorship(conn, repo, excluded_patterns=patterns, flagged=state.flagged.get(repo["id"], set())), None
            except LookupError as why:
                auth, error = None, str(why)
            results.append((repo, state.current[repo["id"]], counts, auth, error))
    if not results:
        return []
    with store.write() as conn:
        for repo, stamp, counts, auth, error in results:
            repo_id = repo["id"]
            conn.execute(delete(team_path_changes).where(team_path_changes.c.repo_id == repo_id))
            conn.execute(delete(team_file_authors).where(team_file_authors.c.repo_id == repo_id))
            conn.execute(delete(team_summaries).where(team_summaries.c.repo_id == repo_id))
            if counts:
                conn.execute(insert(team_path_changes), [{"repo_id": repo_id, "path": p, "changes": n} for p, n in counts.items()])
            if auth is not None and auth.authors:
                conn.execute(
                    insert(team_file_authors),
                    [{"repo_id": repo_id, "path": p, "authors": " ".join(str(a) for a in sorted(who))} for p, who in auth.authors.items()],
                )
            conn.execute(
                insert(team_summaries).values(
                    repo_id=repo_id, stamp=stamp, patterns=key, revision=auth.revision if auth else None,
                    authorship_error=error, computed_at=now(),
                )
            )
    return [repo["id"] for repo, *_ in results]


def refresh_quietly(store, config=None, repo_ids=None, patterns: list[str] | None = None) -> str | None:
    """``refresh`` where a failure must not stop the caller (the end of an ingest, a store a
    reader may not write to): it is returned as a warning, and whoever reads the summaries
    next computes what they hold from the history instead."""
    try:
        refresh(store, config, repo_ids, patterns)
    except Exception as error:  # noqa: BLE001 - the ingest itself succeeded
        return f"team summaries not refreshed ({type(error).__name__}: {error}); the first report will compute them"
    return None


# -- reading ---------------------------------------------------------------------------------

def path_changes(conn: Connection) -> dict[int, dict[str, int]]:
    """Changes per path per repository: from the summary when every repository's is fresh, else computed."""
    state = Freshness(conn)
    if not state.repos or not state.all_fresh():
        return path_changes_live(conn)
    counts: dict[int, dict[str, int]] = {}
    for repo_id, path, changes in queries.driver_rows(conn, select(team_path_changes.c.repo_id, team_path_changes.c.path, team_path_changes.c.changes)):
        counts.setdefault(repo_id, {})[path] = changes
    return counts


def stored_authorships(conn: Connection, repos: list[dict], patterns: list[str], recompute: Callable[[dict], dict] | None = None) -> dict[int, object]:
    """repository id -> Authorship read from the summary, for the repositories whose summary is fresh.

    A repository whose authorship could not be computed (no checkout and no
    ownership) raises the same LookupError the computation raised.
    ``recompute(repo)`` gives the per-file histories on demand (only tests and
    diagnostics look at them; the truck factor needs only the authors).
    """

    state = Freshness(conn, repos)
    fresh = [r for r in repos if state.fresh(r["id"], patterns)]
    if not fresh:
        return {}
    out: dict[int, object] = {}
    wanted = [r["id"] for r in fresh]
    rows: dict[int, dict[str, frozenset[int]]] = {repo_id: {} for repo_id in wanted}
    query = select(team_file_authors.c.repo_id, team_file_authors.c.path, team_file_authors.c.authors).where(team_file_authors.c.repo_id.in_(wanted))
    for repo_id, path, authors in conn.execute(query):
        rows[repo_id][path] = frozenset(int(a) for a in authors.split()) if authors else frozenset()
    for repo in fresh:
        stored = state.stored[repo["id"]]
        if stored["authorship_error"]:
            raise LookupError(stored["authorship_error"])
        out[repo["id"]] = Authorship(
            repo_id=repo["id"],
            repository=repo["name"],
            revision=stored["revision"],
            authors=rows[repo["id"]],
            recompute=(lambda repo=repo: recompute(repo)) if recompute else None,
        )
    return out


__all__ = ["refresh", "refresh_quietly", "path_changes", "stored_authorships", "Freshness", "stamps", "effective_patterns"]
