"""Git history into the store: staged in short transactions, landed in one, incremental.

``ingest_repository`` is the library call behind ``foundermode ingest git`` and
the Dask path (scale/). A second run reads only commits that are new since the
last one; a history that no longer contains the last ingested tip (a
force-push) is re-read whole.

git is never read inside a write transaction. The parsed commits are written,
a batch at a time in short transactions of their own, to the staging tables
(store/schema_scale.py) under an *attempt*; when the whole history is in, one
last transaction moves the attempt's rows into the real tables (one
``INSERT ... SELECT`` per table) and updates the repository. So a blocker
report or a page waits at most for one batch, never for the git read, while
the repository's rows still change all at once or not at all: a killed ingest
leaves only staged rows, which the next attempt at that repository sweeps. The
Dask path stages its ranges on the workers the same way (scale/staging.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import bindparam, delete, func, insert, literal, select, text, update

from .config import Config
from .sources import codeowners as codeowners_source
from .sources.git import (
    CommitRecord,
    GitError,
    commits_since,
    generated_paths,
    inspect_repo,
    mailmap_emails_changed,
    mailmap_text,
    map_coauthors_through_mailmap,
    read_commits,
    read_headers,
    rev_list,
)
from .sources.identities import IdentityResolver, identity_key
from .sources.patterns import PathRules
from .store import Store, now
from .store.bulk import insert_rows, reserve_ids
from .store.schema import coauthors, codeowners, commits, file_changes, identities, ownership_files, repositories
from .store.schema_scale import (
    ingest_attempts,
    ingest_staged_coauthors,
    ingest_staged_commits,
    ingest_staged_file_changes,
    ingest_staged_parts,
)
from .sources.identities import apply_aliases
from .sources.patterns import AuthorRules
from .store.schema import people
from .team.summary import refresh_quietly

WRITE_BATCH = 5000
STAGE_BATCH = 2000  # commits staged per short transaction: what a concurrent writer may wait for
COMMIT_COLUMNS = (
    "id", "repo_id", "sha", "parents", "author_id", "committer_id", "authored_at", "author_tz", "committed_at",
    "subject", "is_merge", "is_boundary", "additions", "deletions", "files_changed",
)
CHANGE_COLUMNS = ("commit_id", "path", "old_path", "status", "additions", "deletions", "is_binary", "is_submodule", "is_excluded")


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclass
class IngestResult:
    repo_id: int
    name: str
    path: str
    new_commits: int = 0
    total_commits: int = 0
    rewritten: bool = False
    remapped: int = 0  # stored commits whose people changed with the .mailmap
    warnings: list[str] = field(default_factory=list)


def ingest_repository(
    store: Store,
    path: Path | str,
    config: Config | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    reader=read_commits,
) -> IngestResult:
    """Ingest one repository. ``reader(path, shas, jobs=, warnings=)`` yields batches of
    parsed commits; the default reads them with parallel git processes on this
    machine, the Dask one spreads a large history over a cluster's workers.

    The team's whole-history summaries (team/summary.py) are left stale, not
    recomputed: that walks the whole history (4 s on git/git), ten times what an
    incremental ingest of a hundred commits costs. ``ingest git --summaries``,
    the first report and ``foundermode serve`` bring them up to date."""
    config = config or Config()
    progress = progress or NoProgress()
    info = inspect_repo(path)
    warnings: list[str] = []
    # 1. What to read: a short transaction (the repository's row, the mailmap's re-attribution).
    with store.write() as conn:
        repo = conn.execute(select(repositories).where(repositories.c.path == str(info.path))).mappings().first()
        repo_id, last_sha = (repo["id"], repo["last_sha"]) if repo is not None else (None, None)
        result = IngestResult(repo_id=repo_id, name=info.name, path=str(info.path), warnings=warnings)

        if info.head is None:
            if repo_id is None:
                repo_id = result.repo_id = _new_repository(conn, info)
            warnings.append("empty repository: no commits yet")
            if last_sha:
                _forget_commits(conn, repo_id)
            _finish(conn, repo_id, info, None, warnings, mailmap=None)
            progress.start(0)
            return result

        since_last = commits_since(info.path, info.head, last_sha) if last_sha and last_sha != info.head else None
        if last_sha == info.head:
            shas: list[str] = []
        elif since_last is not None:
            shas = since_last
        else:
            if last_sha:
                result.rewritten = True
                warnings.append(f"history rewritten since {last_sha[:12]} (force-push?): re-read from scratch")
            shas = rev_list(info.path, info.head)
        mailmap = mailmap_text(info) or ""  # "" is no mailmap; NULL, one never recorded
        if last_sha and not result.rewritten and mailmap != repo["mailmap"]:
            remapped = remap_people(conn, repo_id, info, config, warnings, before=repo["mailmap"], after=mailmap)
            if remapped is None:
                mailmap = repo["mailmap"]  # not applied: the next ingest tries again
            result.remapped = remapped or 0
    if info.is_shallow:
        warnings.append(
            f"shallow clone: history before {len(info.shallow_boundaries)} boundary commit(s) is missing; "
            "their diffs are not counted as anyone's work (git fetch --unshallow for the full history)"
        )

    # 2. Read git and stage each batch in a short transaction of its own.
    progress.start(len(shas))
    writer = CommitWriter(None, repo_id, info, config)
    attempt_id = None  # begun with the first batch read here
    staged: list = []  # histories the Dask workers staged themselves (scale/staging.py)
    for batch in reader(info.path, shas, jobs=jobs, warnings=warnings):
        if getattr(batch, "move_into", None) is not None:
            staged.append(batch)
        else:
            if attempt_id is None:
                attempt_id = writer.attempt_id = begin_local_attempt(store, str(info.path))
            for start in range(0, len(batch), STAGE_BATCH):
                with store.write() as conn:
                    writer.bind(conn)
                    writer.write(batch[start : start + STAGE_BATCH])
        progress.advance(len(batch))

    # 3. Land everything at once (a new repository's row too: a failed first ingest leaves none).
    with store.write() as conn:
        if repo_id is None:
            repo_id = result.repo_id = writer.repo_id = _new_repository(conn, info)
        writer.bind(conn)
        if result.rewritten:
            _forget_commits(conn, repo_id)
        if attempt_id is not None:
            move_staged(conn, attempt_id, repo_id, writer.written)
        for history in staged:
            writer.written += history.move_into(conn, repo_id)
        writer.flag_generated()
        result.new_commits = writer.written
        _finish(conn, repo_id, info, info.head, warnings, mailmap=mailmap)
        if last_sha != info.head:  # CODEOWNERS can only have changed with HEAD
            codeowners_source.refresh(conn, repo_id, info.path)
        result.total_commits = conn.execute(select(repositories.c.commit_count).where(repositories.c.id == repo_id)).scalar_one()
    return result


# -- attempts: what a running ingest has staged ---------------------------------------------

ATTEMPT_LOCK = 0x466D5374  # "FmSt": class of the PostgreSQL advisory locks that mark an attempt's task alive
STAGED_TABLES = (ingest_staged_parts, ingest_staged_commits, ingest_staged_file_changes, ingest_staged_coauthors)
STAGED_OF = {commits.name: ingest_staged_commits, file_changes.name: ingest_staged_file_changes, coauthors.name: ingest_staged_coauthors}
_REPO_ID_AT = COMMIT_COLUMNS.index("repo_id")


def begin_local_attempt(store: Store, repo_path: str) -> int:
    """A new attempt at ``repo_path`` by this process, sweeping the dead ones there (a killed
    ingest's staged rows). On PostgreSQL an attempt whose advisory lock is held belongs to a
    live Dask task and is left alone (scale/staging.py); SQLite has one writer at a time."""
    with store.write() as conn:
        attempt_id = reserve_ids(conn, ingest_attempts, 1)[0]
        stale = conn.execute(select(ingest_attempts.c.id).where(ingest_attempts.c.repo_path == repo_path)).scalars().all()
        if conn.dialect.name == "postgresql":
            stale = [a for a in stale if conn.execute(text("SELECT pg_try_advisory_xact_lock(:c, :a)"), {"c": ATTEMPT_LOCK, "a": a}).scalar_one()]
        sweep_attempts(conn, stale)
        conn.execute(insert(ingest_attempts).values(id=attempt_id, repo_path=repo_path, started_at=now()))
    return attempt_id


def sweep_attempts(conn, attempt_ids: list[int]) -> None:
    """Delete attempts and everything staged for them."""
    if not attempt_ids:
        return
    # The attempt row first: this waits for range transactions holding it and
    # makes every later one find it gone, so nothing is staged after the sweep.
    conn.execute(delete(ingest_attempts).where(ingest_attempts.c.id.in_(attempt_ids)))
    for table in STAGED_TABLES:
        conn.execute(delete(table).where(table.c.attempt_id.in_(attempt_ids)))


def move_staged(conn, attempt_id: int, repo_id: int, expected: int) -> int:
    """Move an attempt's staged rows into the real tables (inside the caller's transaction) and sweep it."""
    commit_columns = [c for c in COMMIT_COLUMNS if c != "repo_id"]
    moved = conn.execute(
        insert(commits).from_select(
            ["repo_id", *commit_columns],
            select(literal(repo_id), *(ingest_staged_commits.c[c] for c in commit_columns)).where(ingest_staged_commits.c.attempt_id == attempt_id),
        ).execution_options(preserve_rowcount=True)  # SQLAlchemy reports no INSERT count otherwise
    ).rowcount
    if moved != expected:
        # A part missing or written twice would be silent data loss or duplication.
        raise RuntimeError(f"attempt {attempt_id}: {moved} commits staged, {expected} expected")
    for real in (file_changes, coauthors):
        staged = STAGED_OF[real.name]
        columns = [c.name for c in staged.columns if c.name != "attempt_id"]
        conn.execute(insert(real).from_select(columns, select(*(staged.c[c] for c in columns)).where(staged.c.attempt_id == attempt_id)))
    # Gone from staging exactly when the rows land: the same transaction.
    sweep_attempts(conn, [attempt_id])
    return moved


def _new_repository(conn, info) -> int:
    return conn.execute(
        insert(repositories).values(name=info.name, path=str(info.path), commit_count=0, is_shallow=False).returning(repositories.c.id)
    ).scalar_one()


def _forget_commits(conn, repo_id: int) -> None:
    repo_commits = select(commits.c.id).where(commits.c.repo_id == repo_id).scalar_subquery()
    conn.execute(delete(file_changes).where(file_changes.c.commit_id.in_(repo_commits)))
    conn.execute(delete(coauthors).where(coauthors.c.commit_id.in_(repo_commits)))
    conn.execute(delete(commits).where(commits.c.repo_id == repo_id))


def _finish(conn, repo_id: int, info, head: str | None, warnings: list[str], mailmap: str | None) -> None:
    count = conn.execute(select(func.count()).select_from(commits).where(commits.c.repo_id == repo_id)).scalar_one()
    conn.execute(
        update(repositories)
        .where(repositories.c.id == repo_id)
        .values(
            name=info.name,
            head_ref=info.head_ref,
            last_sha=head,
            last_ingested_at=now(),
            commit_count=count,
            is_shallow=info.is_shallow,
            warnings="\n".join(warnings) or None,
            mailmap=mailmap,
        )
    )


def remap_people(conn, repo_id: int, info, config: Config, warnings: list[str], before: str | None, after: str | None) -> int | None:
    """Re-attribute a repository's stored commits under the .mailmap in force now (``after``;
    they were read under ``before``); returns how many changed, or None when git could not
    read them again (nothing is changed then).

    git applies .mailmap as it prints a commit, so a stored commit keeps the people it
    was read with. When the mailmap changes, the commits it can concern are read again
    (no diffs) and moved to the people they now map to: those of the people stored under
    an email that a changed entry names (``mailmap_emails_changed``), or every commit
    when the mailmap they were read under is not known (a store older than this
    record): 2.7 s for git/git's 82,000. Ownership names the authors of blamed lines
    under the old mapping and cannot be split by commit, so it is marked for a full
    re-blame by the next ``--ownership`` run.
    """
    scope = commits.c.repo_id == repo_id
    if before is not None:
        emails = mailmap_emails_changed(before, after or "")
        keys = sorted({identity_key("", email) for email in emails})
        concerned: set[int] = set()
        for start in range(0, len(keys), 500):
            concerned.update(conn.execute(select(identities.c.person_id).where(identities.c.key.in_(keys[start : start + 500]))).scalars())
        if not concerned:
            return 0
        listed = sorted(concerned)
        coauthored = select(coauthors.c.commit_id).where(coauthors.c.person_id.in_(listed))
        scope = scope & (commits.c.author_id.in_(listed) | commits.c.committer_id.in_(listed) | commits.c.id.in_(coauthored))
    stored = {
        sha: (commit_id, author_id, committer_id)
        for commit_id, sha, author_id, committer_id in conn.execute(select(commits.c.id, commits.c.sha, commits.c.author_id, commits.c.committer_id).where(scope))
    }
    if not stored:
        return 0
    stored_coauthors: dict[int, set[int]] = {}
    query = select(coauthors.c.commit_id, coauthors.c.person_id).join(commits, commits.c.id == coauthors.c.commit_id).where(scope)
    for commit_id, person_id in conn.execute(query):
        stored_coauthors.setdefault(commit_id, set()).add(person_id)
    people = _CommitPeople(conn, info.path, config)
    moved: list[dict] = []
    new_coauthors: dict[int, list[int]] = {}

    def remap(batch: list[CommitRecord]) -> None:
        for record, (now_author, now_committer, now_coauthors) in zip(batch, people.of(batch)):
            commit_id, author_id, committer_id = stored[record.sha]
            if (now_author, now_committer) != (author_id, committer_id):
                moved.append({"commit": commit_id, "author": now_author, "committer": now_committer})
            if set(now_coauthors) != stored_coauthors.get(commit_id, set()):
                new_coauthors[commit_id] = now_coauthors

    problem = read_headers(info.path, list(stored), remap)
    if problem:
        # Some stored commits are no longer readable: keep every attribution as it was.
        warnings.append(f".mailmap changed, but the stored commits could not be read again to apply it ({problem})")
        return None
    if moved:
        conn.execute(
            update(commits).where(commits.c.id == bindparam("commit")).values(author_id=bindparam("author"), committer_id=bindparam("committer")),
            moved,
        )
    changed = sorted(new_coauthors)
    for start in range(0, len(changed), 500):
        conn.execute(delete(coauthors).where(coauthors.c.commit_id.in_(changed[start : start + 500])))
    rows = [(commit_id, person_id) for commit_id in changed for person_id in new_coauthors[commit_id]]
    insert_rows(conn, coauthors, ("commit_id", "person_id"), rows)
    if moved and conn.execute(select(ownership_files.c.path).where(ownership_files.c.repo_id == repo_id).limit(1)).first():
        conn.execute(update(ownership_files).where(ownership_files.c.repo_id == repo_id).values(blob=""))
        conn.execute(update(repositories).where(repositories.c.id == repo_id).values(ownership_sha=None))
        warnings.append(".mailmap changed: ownership describes the old attribution until the next ingest with ownership re-blames every file")
    return len({m["commit"] for m in moved} | set(changed))


class _CommitPeople:
    """The people of parsed commits, resolved a batch at a time: author, committer and
    co-authors (whose trailers git does not pass through .mailmap: check-mailmap does)."""

    def __init__(self, conn, repo: Path, config: Config):
        self.repo = repo
        self.resolver = IdentityResolver.from_config(conn, config)
        self._coauthor_map: dict[tuple[str, str], tuple[str, str]] = {}

    def of(self, batch: list[CommitRecord]) -> list[tuple[int, int, list[int]]]:
        """(author, committer, distinct co-authors) for each commit of the batch."""
        unseen = {c for record in batch for c in record.coauthors if c not in self._coauthor_map}
        if unseen:
            self._coauthor_map.update(map_coauthors_through_mailmap(self.repo, unseen))
        self.resolver.prepare(
            [(r.author_name, r.author_email) for r in batch]
            + [(r.committer_name, r.committer_email) for r in batch]
            + [self._coauthor_map.get(c, c) for r in batch for c in r.coauthors]
        )
        person = self.resolver.person_for
        return [
            (
                person(r.author_name, r.author_email),
                person(r.committer_name, r.committer_email),
                list(dict.fromkeys(person(*self._coauthor_map.get(c, c)) for c in r.coauthors)),
            )
            for r in batch
        ]


class CommitWriter:
    """Bulk-writes parsed commits: people first, then commits (ids reserved), then their files.

    With an ``attempt_id`` the rows go to the staging tables under that attempt
    (``move_staged`` lands them); ``bind`` points the writer at the connection of
    the next short transaction, keeping what it learnt (paths, co-author mapping)."""

    def __init__(self, conn, repo_id: int, info, config: Config, attempt_id: int | None = None, generated: set[str] = frozenset()):
        self.conn = None
        self.repo_id = repo_id
        self.info = info
        self.config = config
        self.attempt_id = attempt_id
        self._coauthor_map: dict = {}
        self.people = None
        self.rules = PathRules(config.excluded_paths)
        self._excluded: dict[str, bool] = {}
        self.new_paths: set[str] = set()
        self.written = 0
        # .gitattributes marks known before writing (a Dask range has all its paths at hand)
        self._excluded.update(dict.fromkeys(generated, True))
        if conn is not None:
            self.bind(conn)

    def bind(self, conn) -> None:
        self.conn = conn
        self.people = _CommitPeople(conn, self.info.path, self.config)
        self.people._coauthor_map = self._coauthor_map  # one mapping across transactions

    def excluded(self, path: str) -> bool:
        value = self._excluded.get(path)
        if value is None:
            value = self._excluded[path] = self.rules.excluded(path)
            self.new_paths.add(path)
        return value

    def write(self, batch: list[CommitRecord]) -> None:
        for start in range(0, len(batch), WRITE_BATCH):
            self._write(batch[start : start + WRITE_BATCH])

    def _write(self, batch: list[CommitRecord]) -> None:
        people = self.people.of(batch)
        commit_ids = reserve_ids(self.conn, commits, len(batch))
        if self.attempt_id is not None and self.conn.dialect.name == "sqlite":
            # max(id) + 1 onwards, past the ids staged but not landed yet (this attempt's or another's)
            staged = self.conn.execute(select(func.max(ingest_staged_commits.c.id))).scalar() or 0
            if staged >= commit_ids[0]:
                commit_ids = list(range(staged + 1, staged + 1 + len(batch)))
        commit_rows, change_rows, coauthor_rows = [], [], []
        for commit_id, record, (author_id, committer_id, coauthor_ids) in zip(commit_ids, batch, people):
            boundary = record.sha in self.info.shallow_boundaries
            counted = [] if (boundary or record.is_merge) else [c for c in record.changes if not self.excluded(c.path)]
            commit_rows.append(
                (
                    commit_id, self.repo_id, record.sha, " ".join(record.parents), author_id, committer_id,
                    record.authored_at, record.author_tz, record.committed_at, record.subject,
                    record.is_merge, boundary,
                    sum(c.additions or 0 for c in counted), sum(c.deletions or 0 for c in counted),
                    0 if boundary else len(record.changes),
                )
            )
            if not boundary:
                for change in record.changes:
                    change_rows.append(
                        (
                            commit_id, change.path, change.old_path, change.status, change.additions, change.deletions,
                            change.is_binary, change.is_submodule, self.excluded(change.path),
                        )
                    )
            coauthor_rows.extend((commit_id, person_id) for person_id in coauthor_ids)
        self._insert(commits, COMMIT_COLUMNS, commit_rows)
        self._insert(file_changes, CHANGE_COLUMNS, change_rows)
        self._insert(coauthors, ("commit_id", "person_id"), coauthor_rows)
        self.written += len(batch)

    def _insert(self, table, columns, rows) -> None:
        if self.attempt_id is None:
            insert_rows(self.conn, table, columns, rows)
            return
        attempt = self.attempt_id
        if table is commits:  # the repository is set by the move
            columns = ("attempt_id",) + COMMIT_COLUMNS[:_REPO_ID_AT] + COMMIT_COLUMNS[_REPO_ID_AT + 1 :]
            rows = [(attempt, *row[:_REPO_ID_AT], *row[_REPO_ID_AT + 1 :]) for row in rows]
        else:
            columns = ("attempt_id", *columns)
            rows = [(attempt, *row) for row in rows]
        insert_rows(self.conn, STAGED_OF[table.name], columns, rows)

    def flag_generated(self) -> None:
        """Paths that .gitattributes marks generated or vendored join the excluded set."""
        marked = [p for p in generated_paths(self.info.path, sorted(self.new_paths)) if not self._excluded.get(p)]
        if not marked:
            return
        repo_commits = select(commits.c.id).where(commits.c.repo_id == self.repo_id).scalar_subquery()
        for start in range(0, len(marked), 500):
            chunk = marked[start : start + 500]
            self.conn.execute(
                update(file_changes).where(file_changes.c.commit_id.in_(repo_commits), file_changes.c.path.in_(chunk)).values(is_excluded=True)
            )
        recount_commit_totals(self.conn, self.repo_id)


def recount_commit_totals(conn, repo_id: int | None = None) -> None:
    """Commit additions/deletions count only files that are neither excluded nor binary."""
    counted = (file_changes.c.commit_id == commits.c.id) & (file_changes.c.is_excluded == False)  # noqa: E712
    adds = select(func.coalesce(func.sum(file_changes.c.additions), 0)).where(counted).scalar_subquery()
    dels = select(func.coalesce(func.sum(file_changes.c.deletions), 0)).where(counted).scalar_subquery()
    stmt = update(commits).where(commits.c.is_merge == False, commits.c.is_boundary == False)  # noqa: E712
    if repo_id is not None:
        stmt = stmt.where(commits.c.repo_id == repo_id)
    conn.execute(stmt.values(additions=adds, deletions=dels))


def apply_rules(store: Store, config: Config) -> dict[str, int]:
    """Re-flag bots and excluded paths, and join the people aliases name as one, under the
    configuration in force; no git re-read needed."""
    import logging

    bot_rules = AuthorRules(config.bot_authors)
    path_rules = PathRules(config.excluded_paths)
    with store.write() as conn:
        merged = apply_aliases(conn, config.aliases)
        bots = set()
        for person_id, name, email in conn.execute(select(identities.c.person_id, identities.c.name, identities.c.email)):
            if bot_rules.is_bot(name, email):
                bots.add(person_id)
        conn.execute(update(people).values(is_bot=False))
        for start in range(0, len(bots), 500):
            conn.execute(update(people).where(people.c.id.in_(sorted(bots)[start : start + 500])).values(is_bot=True))
        paths = [row[0] for row in conn.execute(select(file_changes.c.path).distinct())]
        excluded = {p for p in paths if path_rules.excluded(p)}
        # .gitattributes marks (linguist-generated, -vendored) are rules too: ask each repository again.
        for repo_id, repo_path in conn.execute(select(repositories.c.id, repositories.c.path)):
            repo_paths = conn.execute(
                select(file_changes.c.path).distinct().join(commits, commits.c.id == file_changes.c.commit_id).where(commits.c.repo_id == repo_id)
            ).scalars().all()
            if Path(repo_path).exists():
                excluded |= generated_paths(Path(repo_path), list(repo_paths))
        excluded = sorted(excluded)
        conn.execute(update(file_changes).values(is_excluded=False))
        for start in range(0, len(excluded), 500):
            conn.execute(update(file_changes).where(file_changes.c.path.in_(excluded[start : start + 500])).values(is_excluded=True))
        recount_commit_totals(conn)
    # Bots and flagged paths are part of what the team's summaries describe. A failure is
    # logged: the rules are applied, and the next report computes the summaries itself.
    problem = refresh_quietly(store, config)
    if problem:
        logging.getLogger(__name__).warning(problem)
    return {"bots": len(bots), "excluded_paths": len(excluded), "merged_people": merged}


__all__ = ["ingest_repository", "apply_rules", "IngestResult", "GitError", "codeowners", "CommitWriter", "begin_local_attempt", "move_staged", "sweep_attempts"]
