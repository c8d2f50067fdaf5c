"""Surviving lines per person per file at HEAD, from ``git blame``.

``git blame --incremental -w -M`` per file (whitespace ignored, moved lines
followed), many files at once. Incremental: a file whose blob is unchanged
since the last run keeps its numbers. Lines are attributed through the commit
that introduced them, so .mailmap, aliases and merges of people apply.
"""
from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from ..store.schema import commits, file_changes, ownership, ownership_files, repositories
from .git import decode, default_jobs
from .identities import IdentityResolver
from .patterns import PathRules
from ..config import Config

BLAME_OPTIONS = ["-w", "-M"]


@dataclass
class BlameFile:
    path: str
    lines_by_commit: dict[str, int]
    authors: dict[str, tuple[str, str]]  # commit -> (name, email) from blame's own headers
    error: str | None = None


@dataclass
class OwnershipResult:
    blamed: int = 0
    reused: int = 0
    removed: int = 0
    errors: int = 0
    missing: int = 0  # files at the revision whose blob the repository lacks: not blamed, earlier figures kept


def list_head_files(repo: Path, rev: str = "HEAD") -> dict[str, str]:
    """path -> blob for the regular text files at ``rev`` (no submodules, links or binaries)."""
    return {path: blob for path, (blob, _size) in head_files_with_sizes(repo, rev).items()}


def head_files_with_sizes(repo: Path, rev: str = "HEAD") -> dict[str, tuple[str, int]]:
    """path -> (blob, bytes) for the regular text files at ``rev``."""
    return {path: (blob, size) for path, (blob, size, _raw) in head_files_with_names(repo, rev).items()}


def head_files_with_names(repo: Path, rev: str = "HEAD") -> dict[str, tuple[str, int, bytes]]:
    """path -> (blob, bytes, the path as git spells it) for the regular text files at ``rev``.

    The store's text of a non-UTF-8 name cannot always be turned back into
    git's bytes, so blame is given the bytes git listed. Files whose blob is
    missing from the repository are not here: nothing can be read or blamed
    (``files_at_revision`` lists them apart).
    """
    return files_at_revision(repo, rev).text


@dataclass
class TreeListing:
    """The regular files at a revision: the readable text files, and those whose blob the repository lacks."""

    text: dict[str, tuple[str, int, bytes]]  # path -> (blob, bytes, raw path)
    missing: list[str]  # paths whose content is missing (size unknown): text or binary cannot be told


def parse_ls_tree(out: bytes) -> dict[str, tuple[str, int | None, bytes]]:
    """path -> (blob, bytes or None, raw path) from ``git ls-tree -r -l -z``: regular files only.

    A snapshot with a missing blob (a partial or damaged clone: meteor/meteor and
    angular/angular.js at 2016-11-15) lists its size as ``BAD`` (or ``-``): the
    size is unknown, the file still exists at the revision.
    """
    files: dict[str, tuple[str, int | None, bytes]] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, blob, size = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            files[decode(path)] = (decode(blob), int(size) if size.isdigit() else None, path)
    return files


def files_at_revision(repo: Path, rev: str = "HEAD") -> TreeListing:
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", "--full-tree", rev], capture_output=True, check=True).stdout
    files = parse_ls_tree(out)
    missing = sorted(path for path, (_blob, size, _raw) in files.items() if size is None)
    # git grep goes on past a blob it cannot read (it says so on stderr), so the others are still classified.
    text_files = subprocess.run(["git", "-C", str(repo), "grep", "-I", "-l", "-z", "--full-name", "-e", "", rev], capture_output=True).stdout
    prefix = rev.encode() + b":"
    text = {decode(p[len(prefix):] if p.startswith(prefix) else p) for p in text_files.split(b"\0") if p}
    readable = {path: (blob, size, raw) for path, (blob, size, raw) in files.items() if path in text and size is not None}
    return TreeListing(text=readable, missing=missing)


def parse_incremental_blame(output: bytes) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    """Lines per commit from ``git blame --incremental``.

    Each group opens with ``<sha> <orig> <final> <count>``, may carry the
    commit's headers (first time only) and always closes with ``filename``.
    """
    lines_by_commit: dict[str, int] = {}
    authors: dict[str, list[str]] = {}
    current: str | None = None
    for raw in output.split(b"\n"):
        if not raw:
            continue
        if current is None:
            sha, _orig, _final, count = raw.split(b" ")[:4]
            current = decode(sha)
            lines_by_commit[current] = lines_by_commit.get(current, 0) + int(count)
        elif raw.startswith(b"filename "):
            current = None
        elif raw.startswith(b"author "):
            authors.setdefault(current, ["", ""])[0] = decode(raw[7:])
        elif raw.startswith(b"author-mail "):
            authors.setdefault(current, ["", ""])[1] = decode(raw[12:]).strip("<>")
    return lines_by_commit, {sha: (name, email) for sha, (name, email) in authors.items()}


def blame_file(repo: Path, rev: str, path: str, raw_path: bytes | None = None) -> BlameFile:
    result = subprocess.run(
        ["git", "-C", str(repo), "blame", "--incremental", *BLAME_OPTIONS, rev, "--", raw_path or path.encode("utf-8", "surrogateescape")],
        capture_output=True,
    )
    if result.returncode != 0:
        return BlameFile(path, {}, {}, error=decode(result.stderr).strip())
    lines, authors = parse_incremental_blame(result.stdout)
    return BlameFile(path, lines, authors)


def longest_first(todo: list[str], versions: dict[str, int], sizes: dict[str, int]) -> list[str]:
    """Blame order: the costliest files first, cost estimated as versions x size.

    A blame diffs every version of its file, so its cost grows with both (on a
    random sample of rails/rails files the product correlates 0.86 with the
    blame's time). Starting the longest first keeps every core busy until the
    end instead of leaving one long blame running alone after the others
    finish (longest-processing-time-first scheduling).
    """
    return sorted(todo, key=lambda path: (-(versions.get(path, 0) + 1) * (sizes.get(path, 0) + 1), path))


def recorded_versions(conn, repo_id: int) -> dict[str, int]:
    """How many ingested commits changed each path of a repository."""
    rows = conn.execute(
        select(file_changes.c.path, func.count())
        .join(commits, commits.c.id == file_changes.c.commit_id)
        .where(commits.c.repo_id == repo_id)
        .group_by(file_changes.c.path)
    )
    return dict(rows.all())


COMMIT_GRAPH_MIN_FILES = 50


def blame_starts(repo: Path, rev: str, wanted: set[bytes]) -> dict[bytes, str]:
    """For each wanted path, the latest commit where its blame can start without changing the answer.

    That commit is the first one down ``rev``'s first-parent chain whose first
    parent holds another version of the path, or none. Every commit above it
    has the very same blob in its first parent, and blame hands a file's whole
    blame to the first parent holding the same blob, so a blame started there
    gives the same lines to the same commits: it only skips walking from
    ``rev`` down to it, which is most of a blame's time for a file last changed
    long ago (on rails/rails, a file untouched since 2014 blames in 8 ms
    instead of 109 ms). One ``git log --first-parent --raw`` finds them all
    and stops as soon as every path is found (``--root``: the root commit's
    files too, whatever ``log.showRoot`` says). Paths it does not find (a
    history git cannot read to the end, a git too old for ``--diff-merges``)
    are left out: those are blamed from ``rev``.
    """
    process = subprocess.Popen(
        ["git", "-C", str(repo), "-c", "log.showSignature=false", "log", "--first-parent", "--diff-merges=first-parent",
         "--root", "--raw", "--no-renames", "--no-abbrev", "--no-color", "-z", "--format=%H", rev, "--"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    starts: dict[bytes, str] = {}
    pending = set(wanted)
    commit, next_is_path, tail = "", False, b""
    try:
        while pending:
            chunk = process.stdout.read(1 << 16)
            if not chunk:
                break
            tokens = (tail + chunk).split(b"\0")
            tail = tokens.pop()
            for token in tokens:
                if next_is_path:  # with -z, a raw entry's path is the token after it
                    if token in pending:
                        starts[token] = commit
                        pending.discard(token)
                    next_is_path = False
                elif token.lstrip(b"\n").startswith(b":"):
                    next_is_path = True
                elif token.strip():
                    commit = token.strip().decode("ascii")
    finally:
        process.kill()
        process.wait()
    return starts


def write_commit_graph(repo: Path) -> bool:
    """Give git a commit-graph with changed-path Bloom filters before many blames.

    Each blame walks the history of one path; the Bloom filters let git skip
    the commits that did not touch it (six times faster per file on rails).
    The graph is the cache git itself writes on ``git gc``; nothing else in
    the repository changes. Returns False when git could not write it (a
    read-only repository): blame then works as before, only slower.
    """
    result = subprocess.run(
        ["git", "-C", str(repo), "commit-graph", "write", "--reachable", "--changed-paths"], capture_output=True
    )
    return result.returncode == 0


def compute_ownership(store, repo_id: int, config=None, jobs: int | None = None, progress=None, rev: str = "HEAD") -> OwnershipResult:
    """Refresh the ownership table of one repository, in one transaction."""
    config = config or Config()
    with store.read() as conn:
        repo = conn.execute(select(repositories).where(repositories.c.id == repo_id)).mappings().one()
        previous = dict(conn.execute(select(ownership_files.c.path, ownership_files.c.blob).where(ownership_files.c.repo_id == repo_id)).all())
    path = Path(repo["path"])
    result = OwnershipResult()
    if not repo["last_sha"]:
        return result
    listing = files_at_revision(path, rev)
    files_and_sizes = listing.text
    result.missing = len(listing.missing)
    files = {p: blob for p, (blob, _size, _raw) in files_and_sizes.items()}
    raw_names = {p: raw for p, (_blob, _size, raw) in files_and_sizes.items()}
    rules = PathRules(config.excluded_paths)
    todo = [p for p, blob in files.items() if previous.get(p) != blob]
    if len(todo) > 1:  # the order only matters with several blames to share the cores
        with store.read() as conn:
            versions = recorded_versions(conn, repo_id)
        todo = longest_first(todo, versions, {p: size for p, (_blob, size, _raw) in files_and_sizes.items()})
    gone = sorted(set(previous) - set(files) - set(listing.missing))
    result.reused = len(files) - len(todo)
    starts: dict[bytes, str] = {}
    if len(todo) >= COMMIT_GRAPH_MIN_FILES:  # worth preparing only for many blames; both run side by side
        with ThreadPoolExecutor(max_workers=2) as prepare:
            finding = prepare.submit(blame_starts, path, rev, {raw_names[p] for p in todo})
            if config.settings.ownership.commit_graph:
                write_commit_graph(path)
            starts = finding.result()
    if progress:
        progress.start(len(todo))
    blamed: list[BlameFile] = []

    def blame(p: str) -> BlameFile:
        return blame_file(path, starts.get(raw_names[p], rev), p, raw_names[p])

    with ThreadPoolExecutor(max_workers=max(1, jobs or default_jobs())) as pool:
        for item in pool.map(blame, todo):
            blamed.append(item)
            if progress:
                progress.advance(1)
    with store.write() as conn:
        sha_to_person = dict(conn.execute(select(commits.c.sha, commits.c.author_id).where(commits.c.repo_id == repo_id)).all())
        resolver = IdentityResolver.from_config(conn, config)
        changed = [b.path for b in blamed] + gone
        for start in range(0, len(changed), 500):
            chunk = changed[start : start + 500]
            conn.execute(delete(ownership).where(ownership.c.repo_id == repo_id, ownership.c.path.in_(chunk)))
            conn.execute(delete(ownership_files).where(ownership_files.c.repo_id == repo_id, ownership_files.c.path.in_(chunk)))
        own_rows, file_rows = [], []
        for item in blamed:
            if item.error:
                result.errors += 1
                continue
            per_person: dict[int, int] = {}
            for sha, count in item.lines_by_commit.items():
                person_id = sha_to_person.get(sha)
                if person_id is None:
                    name, email = item.authors.get(sha, ("", ""))
                    person_id = resolver.person_for(name, email)
                per_person[person_id] = per_person.get(person_id, 0) + count
            for person_id, count in per_person.items():
                own_rows.append({"repo_id": repo_id, "path": item.path, "person_id": person_id, "lines": count})
            file_rows.append({"repo_id": repo_id, "path": item.path, "blob": files[item.path], "lines": sum(per_person.values()), "is_excluded": rules.excluded(item.path)})
        if own_rows:
            conn.execute(insert(ownership), own_rows)
        if file_rows:
            conn.execute(insert(ownership_files), file_rows)
        conn.execute(update(repositories).where(repositories.c.id == repo_id).values(ownership_sha=repo["last_sha"]))
    result.blamed = len(blamed) - result.errors
    result.removed = len(gone)
    return result
