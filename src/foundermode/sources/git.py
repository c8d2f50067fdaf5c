"""Reading git history with the git binary, streamed.

``read_commits`` splits the commits to read into slices and runs one
``git log --no-walk --stdin`` per slice, ``jobs`` at a time: a single
``git log --numstat`` is serial, and computing diffs is where its time goes.
Output is NUL-separated (``-z``) and parsed as it streams, so neither paths nor
messages in any encoding can break the parser.
"""
from __future__ import annotations

from ..errors import Unavailable
import os
import queue
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .identities import parse_name_email

HEADER = b"\x1e\x1e"
FIELD = "\x1f"
LOG_FORMAT = (
    "--format=%x1e%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%at%x1f%ai%x1f%cN%x1f%cE%x1f%ct"
    "%x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1d)%x1f%s"
)
SUBMODULE_MODE = "160000"


class GitError(Unavailable):
    pass


@dataclass(slots=True)
class FileChange:
    path: str
    old_path: str | None
    status: str
    additions: int | None
    deletions: int | None
    is_binary: bool
    is_submodule: bool


@dataclass(slots=True)
class CommitRecord:
    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    authored_at: int
    author_tz: int
    committer_name: str
    committer_email: str
    committed_at: int
    coauthors: list[tuple[str, str]]
    subject: str
    changes: list[FileChange] = field(default_factory=list)
    diff_missing: bool = False

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def decode(raw: bytes) -> str:
    """Text for the store: UTF-8 when it is, else Latin-1 (never fails, never loses a byte's place)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def git(repo: Path | str, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True)
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed in {repo}: {decode(result.stderr).strip()}")
    return result.stdout


def tz_minutes(iso: str) -> int:
    offset = iso.strip()[-5:]
    try:
        sign = -1 if offset[0] == "-" else 1
        return sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
    except (ValueError, IndexError):
        return 0


def parse_header(token: bytes) -> CommitRecord:
    fields = decode(token[len(HEADER):]).split(FIELD, 10)
    if len(fields) < 11:
        raise GitError(f"unexpected git log header: {fields[:1]}")
    sha, parents, aname, aemail, at, ai, cname, cemail, ct, trailers, subject = fields
    coauthors = []
    for value in trailers.split("\x1d"):
        value = value.strip()
        if value:
            name, email = parse_name_email(value)
            if name or email:
                coauthors.append((name, email))
    return CommitRecord(
        sha=sha,
        parents=parents.split(),
        author_name=aname,
        author_email=aemail,
        authored_at=int(at or 0),
        author_tz=tz_minutes(ai),
        committer_name=cname,
        committer_email=cemail,
        committed_at=int(ct or 0),
        coauthors=coauthors,
        subject=subject,
    )


def nul_tokens(stream, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Split a byte stream on NUL as it arrives."""
    pending = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        parts = (pending + chunk).split(b"\0")
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def parse_log(tokens: Iterator[bytes], numstat: bool = True) -> Iterator[CommitRecord]:
    """Parse ``git log -z --raw --numstat`` output, one commit at a time.

    Per commit: a header token, then one raw entry per file (``:modes shas
    STATUS`` then one path, or two for renames and copies), then the same number
    of numstat entries (``adds\\tdels\\tpath``, or ``adds\\tdels\\t`` then two paths).
    """
    tokens = iter(tokens)
    token = next(tokens, None)
    while token is not None:
        if not token.startswith(HEADER):
            raise GitError(f"expected a commit header, got {token[:40]!r}")
        record = parse_header(token)
        raw_entries: list[tuple[str, str, str | None, bool]] = []
        token = next(tokens, None)
        while token is not None and token.lstrip(b"\n").startswith(b":"):
            meta = token.lstrip(b"\n")[1:].split(b" ")
            status = decode(meta[4][:1]) if len(meta) > 4 else "M"
            is_submodule = SUBMODULE_MODE in (decode(meta[0]), decode(meta[1]))
            first = decode(next(tokens))
            if status in ("R", "C"):
                second = decode(next(tokens))
                raw_entries.append((status, second, first, is_submodule))
            else:
                raw_entries.append((status, first, None, is_submodule))
            token = next(tokens, None)
        if not numstat:
            # Raw entries only (a commit whose blobs are missing): files known, line counts not.
            for status, path, old_path, is_submodule in raw_entries:
                record.changes.append(FileChange(path, old_path, status, None, None, False, is_submodule))
            yield record
            continue
        for status, path, old_path, is_submodule in raw_entries:
            if token is None:
                raise GitError(f"git log output ended inside commit {record.sha}")
            adds, dels, rest = token.lstrip(b"\n").split(b"\t", 2)
            if not rest:  # rename or copy: two more path tokens follow
                next(tokens)
                next(tokens)
            binary = adds == b"-"
            record.changes.append(
                FileChange(
                    path=path,
                    old_path=old_path,
                    status=status,
                    additions=None if binary else int(adds),
                    deletions=None if binary else int(dels),
                    is_binary=binary and not is_submodule,
                    is_submodule=is_submodule,
                )
            )
            token = next(tokens, None)
        yield record


# -- repository facts ---------------------------------------------------------------

@dataclass
class RepoInfo:
    path: Path
    name: str
    head: str | None
    head_ref: str | None
    is_shallow: bool
    shallow_boundaries: set[str]
    is_bare: bool = False


def inspect_repo(path: Path | str) -> RepoInfo:
    path = Path(path)
    if not path.exists():
        raise GitError(f"{path}: no such folder")
    # One rev-parse for the git folder, bareness and tip: it prints them in the order asked,
    # and with --verify -q an unborn HEAD only ends the output early (exit 1, no message).
    result = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--absolute-git-dir", "--is-bare-repository", "--verify", "-q", "HEAD^{commit}"], capture_output=True
    )
    lines = decode(result.stdout).split()
    if len(lines) < 2:
        raise GitError(f"{path}: not a git repository ({decode(result.stderr).strip()})")
    git_dir, is_bare, head = Path(lines[0]), lines[1] == "true", (lines[2] if len(lines) > 2 else None)
    top = git_dir if is_bare else Path(decode(git(path, "rev-parse", "--show-toplevel")).strip())
    name = top.name[:-4] if top.name.endswith(".git") else top.name
    head_ref = decode(git(path, "symbolic-ref", "-q", "HEAD", check=False)).strip() or None
    shallow_file = git_dir / "shallow"
    boundaries = set(shallow_file.read_text().split()) if shallow_file.exists() else set()
    return RepoInfo(
        path=top.resolve(), name=name, head=head, head_ref=head_ref, is_shallow=bool(boundaries), shallow_boundaries=boundaries, is_bare=is_bare,
    )


def mailmap_text(info: RepoInfo) -> str | None:
    """Every mailmap ``git log --use-mailmap`` reads in this repository, as one text; None when there is none.

    Where git looks (gitmailmap(5)): ``.mailmap`` at the top of the working tree,
    the file ``mailmap.file`` names, and the blob ``mailmap.blob`` names, which
    in a bare repository defaults to ``HEAD:.mailmap``.
    """
    parts: list[bytes] = []
    if not info.is_bare and (info.path / ".mailmap").is_file():
        parts.append((info.path / ".mailmap").read_bytes())
    settings = dict(
        line.split(" ", 1) for line in decode(git(info.path, "config", "--get-regexp", r"^mailmap\.(file|blob)$", check=False)).splitlines() if " " in line
    )
    if settings.get("mailmap.file"):
        named = Path(settings["mailmap.file"]).expanduser()
        named = named if named.is_absolute() else info.path / named
        if named.is_file():
            parts.append(named.read_bytes())
    blob = settings.get("mailmap.blob") or ("HEAD:.mailmap" if info.is_bare else "")
    if blob:
        found = subprocess.run(["git", "-C", str(info.path), "cat-file", "blob", blob], capture_output=True)
        if found.returncode == 0:
            parts.append(found.stdout)
    return decode(b"\n".join(parts)) if parts else None


MAILMAP_ENTRY = re.compile(r"^\s*[^<#]*?\s*<([^>]*)>(?:\s*[^<#]*?\s*<([^>]*)>)?")  # proper <email>, then commit <email>


def mailmap_emails_changed(old: str, new: str) -> set[str]:
    """Every email (casefolded) a commit could have been stored under, or be moved to, because
    an entry differs between two mailmaps.

    An entry matches commits by their email (its last ``<...>``) and gives them its
    first email. A commit moves only if an entry matching its email changed: it was
    stored under its own email or under the first email of an entry matching it,
    and goes to another such one. So the answer is the emails of the entries that
    differ, and the first emails of every entry, in either text, matching one of
    those commit emails (a new entry can override one that did not change).
    """
    def entries(text: str) -> set[tuple[str, str]]:
        found = set()
        for line in text.splitlines():
            match = MAILMAP_ENTRY.match(line.split("#", 1)[0])
            if match:
                proper, commit = match.group(1).casefold(), (match.group(2) or match.group(1)).casefold()
                found.add((" ".join(line.split("#", 1)[0].split()), proper, commit))
        return found

    before, after = entries(old), entries(new)
    commit_emails = {commit for _line, _proper, commit in before ^ after}
    return commit_emails | {proper for _line, proper, commit in before | after if commit in commit_emails}


def commits_since(repo: Path, head: str, last: str) -> list[str] | None:
    """The commits of ``head`` that ``last`` lacks, newest first; None when ``last`` is not
    an ancestor of ``head`` (a rewritten history, or ``last`` gone from the repository).

    One walk answers both: with ``--boundary``, rev-list also prints (prefixed with
    ``-``) the excluded parents of the commits it lists, and ``last`` is one of them
    exactly when it is an ancestor of ``head``. Asking ``merge-base --is-ancestor``
    first walked the same commits a second time.
    """
    out = decode(git(repo, "rev-list", "--boundary", head, f"^{last}", "--", check=False)).split()
    if f"-{last}" not in out:
        return None
    return [sha for sha in out if not sha.startswith("-")]


def rev_list(repo: Path, head: str) -> list[str]:
    return decode(git(repo, "rev-list", head)).split()


# -- parallel reading -----------------------------------------------------------------

def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def read_slice(repo: Path, shas: list[str], warnings: list[str]) -> list[CommitRecord]:
    """Read the given commits, in order, with their diffs (all at once; see ``stream_slice``)."""
    records: list[CommitRecord] = []
    stream_slice(repo, shas, warnings, records.extend)
    return records


def stream_slice(repo: Path, shas: list[str], warnings: list[str], emit: Callable[[list[CommitRecord]], None], batch: int = 2000) -> None:
    """Read the given commits, in order, with their diffs, handing them to ``emit`` as they are parsed.

    A commit is emitted only once git has printed the next one (or finished):
    until then its diff may still be cut short. When git stops part-way (a
    snapshot missing some objects), the commits it finished are kept, the
    commit it failed on is read without its diff and flagged, and reading
    resumes after it.
    """
    remaining = shas
    while remaining:
        held, emitted, ok, error, cut_mid_commit = _run_log(repo, remaining, mode="numstat", emit=emit, batch=batch)
        if ok:
            emit(held)
            break
        # Output cut inside a commit: everything parsed is whole. Otherwise the
        # last commit parsed may have lost its diff to the failure: read it again.
        complete = held if cut_mid_commit else held[:-1]
        emit(complete)
        remaining = remaining[emitted + len(complete):]
        if emitted or complete:
            continue
        # Nothing whole before the failure. git may have died on the commit after
        # the first one before printing its header: read the first one alone.
        first, remaining = remaining[0], remaining[1:]
        alone, _, alone_ok, alone_error, _ = _run_log(repo, [first], mode="numstat")
        if alone_ok and alone:
            emit(alone)
            continue
        failing, error = first, alone_error or error
        lines = error.strip().splitlines()
        reason = next((line for line in lines if line.startswith(("fatal", "error"))), lines[-1] if lines else "git failed")
        # Trees may still be there when blobs are not: keep the list of files.
        partial, _, partial_ok, _, _ = _run_log(repo, [failing], mode="raw")
        if not (partial_ok and partial):
            partial, _, partial_ok, _, _ = _run_log(repo, [failing], mode="header")
        if partial_ok and partial:
            partial[0].diff_missing = True
            emit([partial[0]])
            known = "files known, line counts unknown" if partial[0].changes else "files and line counts unknown"
            warnings.append(f"commit {failing[:12]}: diff unavailable, {known} ({reason})")
        else:
            warnings.append(f"commit {failing[:12]}: unreadable, skipped ({reason})")


def read_headers(repo: Path, shas: list[str], emit: Callable[[list[CommitRecord]], None], batch: int = 5000) -> str | None:
    """Read the given commits without their diffs (people, dates, trailers), handing them to
    ``emit`` in batches; returns git's error when it could not read them all, else None."""
    held, _emitted, ok, error, _cut = _run_log(repo, shas, mode="header", emit=emit, batch=batch)
    if not ok:
        return error.strip() or "git log failed"
    emit(held)
    return None


def _run_log(
    repo: Path, shas: list[str], mode: str, emit: Callable[[list[CommitRecord]], None] | None = None, batch: int = 2000
) -> tuple[list[CommitRecord], int, bool, str, bool]:
    """mode: "numstat" (files and line counts), "raw" (files only) or "header" (no diff).

    Returns the records not yet emitted (all of them without ``emit``; with it,
    at least the last one parsed, held back until git ends), how many were
    emitted, whether git and the parser finished cleanly, git's error text, and
    whether the output ended inside a commit.
    """
    args = ["git", "-C", str(repo), "-c", "core.quotepath=off", "-c", "diff.renameLimit=2000", "log", "--no-walk=unsorted", "--stdin", LOG_FORMAT, "-z"]
    if mode == "numstat":
        args += ["--raw", "--numstat", "-M", "--no-abbrev"]
    elif mode == "raw":
        args += ["--raw", "-M", "--no-abbrev"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr_chunks: list[bytes] = []

    def feed():
        try:
            proc.stdin.write(("\n".join(shas) + "\n").encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass

    def drain():
        stderr_chunks.append(proc.stderr.read())

    threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=drain, daemon=True)]
    for thread in threads:
        thread.start()
    held: list[CommitRecord] = []
    emitted = 0
    parse_error = None
    try:
        for record in parse_log(nul_tokens(proc.stdout), numstat=(mode == "numstat")):
            held.append(record)
            if emit is not None and len(held) > batch:
                ready, held = held[:-1], held[-1:]
                emit(ready)
                emitted += len(ready)
    except (GitError, StopIteration, ValueError, RuntimeError) as error:
        parse_error = str(error)
    except BaseException:  # the reader was cancelled (or worse): git must not outlive it
        proc.kill()
        proc.stdout.close()
        proc.wait()
        raise
    proc.stdout.close()
    returncode = proc.wait()
    for thread in threads:
        thread.join()
    error = decode(b"".join(stderr_chunks)) + (parse_error or "")
    return held, emitted, returncode == 0 and parse_error is None, error, parse_error is not None


LARGEST_SLICE = 25_000


class _Cancelled(Exception):
    """The consumer of ``read_commits`` stopped: readers end without reading further."""


def balanced_slice_size(count: int, jobs: int, largest: int = LARGEST_SLICE) -> int:
    """Commits per ``git log`` process: as few processes as possible, the same number per job.

    Each process starts cold (its own page faults, an empty delta-base cache):
    on pallets/flask eight slices cost git 0.5 CPU-s more than two, and
    rails/rails reads in 30 s as four slices against 35 s as twenty. So a
    history is cut into ``jobs`` slices, or into a multiple of ``jobs`` when
    slices would exceed ``largest`` commits (a few rounds let a job whose
    slices were cheap take another), so that every job finishes its last slice
    at about the same time. Slices stream their commits out as they are
    parsed, so their size does not bound memory.
    """
    rounds = max(1, -(-count // (jobs * largest)))
    return max(1, -(-count // (rounds * jobs)))


def read_commits(
    repo: Path,
    shas: list[str],
    jobs: int | None = None,
    slice_size: int | None = None,
    warnings: list[str] | None = None,
) -> Iterator[list[CommitRecord]]:
    """Yield batches of parsed commits (in no particular order) read by ``jobs`` git processes."""
    warnings = warnings if warnings is not None else []
    if not shas:
        return
    jobs = max(1, jobs or default_jobs())
    if slice_size is None:
        slice_size = balanced_slice_size(len(shas), jobs)
    slices = [shas[i : i + slice_size] for i in range(0, len(shas), slice_size)]
    # Bounded: when the writer falls behind, readers wait (and git with them)
    # instead of piling parsed commits up in memory.
    results: queue.Queue = queue.Queue(maxsize=2 * jobs + 2)
    work: queue.Queue = queue.Queue()
    for piece in slices:
        work.put(piece)
    finished = object()
    cancelled = threading.Event()

    def hand_over(batch: list[CommitRecord]) -> None:
        if cancelled.is_set():
            raise _Cancelled
        results.put(batch)

    def worker():
        try:
            while not cancelled.is_set():
                try:
                    piece = work.get_nowait()
                except queue.Empty:
                    return
                stream_slice(repo, piece, warnings, hand_over)
        except _Cancelled:
            pass
        except BaseException as error:  # surfaced to the caller below
            results.put(error)
        finally:
            results.put(finished)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(jobs, len(slices)))]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = results.get()
            if item is finished:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            elif item:
                yield item
    finally:
        # A caller that stops early (an error while writing): stop the readers and their git.
        cancelled.set()
        while any(thread.is_alive() for thread in threads):
            try:
                results.get(timeout=0.1)
            except queue.Empty:
                pass
    for thread in threads:
        thread.join()


def map_coauthors_through_mailmap(repo: Path, people: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Co-authored-by trailers bypass .mailmap in git log; apply it with check-mailmap."""
    people = sorted(set(people))
    mapped: dict[tuple[str, str], tuple[str, str]] = {}
    for start in range(0, len(people), 200):
        batch = people[start : start + 200]
        contacts = [f"{name} <{email}>" for name, email in batch]
        result = subprocess.run(["git", "-C", str(repo), "check-mailmap", *contacts], capture_output=True)
        lines = decode(result.stdout).splitlines() if result.returncode == 0 else []
        for original, line in zip(batch, lines if len(lines) == len(batch) else contacts):
            mapped[original] = parse_name_email(line)
    return mapped


def generated_paths(repo: Path, paths: list[str]) -> set[str]:
    """Paths marked generated or vendored in .gitattributes (GitHub linguist's attributes)."""
    if not paths:
        return set()
    attrs = ["linguist-generated", "linguist-vendored", "generated"]
    result = subprocess.run(
        ["git", "-C", str(repo), "check-attr", "-z", "--stdin", *attrs],
        input=b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths) + b"\0",
        capture_output=True,
    )
    if result.returncode != 0:
        return set()
    parts = result.stdout.split(b"\0")
    marked = set()
    for i in range(0, len(parts) - 2, 3):
        path, value = parts[i], parts[i + 2]
        if value in (b"set", b"true"):
            marked.add(decode(path))
    return marked


ProgressCallback = Callable[[int], None]
