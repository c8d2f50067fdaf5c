"""Many repositories on Dask distributed: one task per repository.

Each task reads its repository with parallel git processes (as on one
machine) and writes it to the shared store in one transaction, so a worker
that dies mid-task leaves nothing behind; Dask reschedules the task on
another worker and it starts clean. Repositories given as clone URLs are
cloned into a cache folder once and fetched incrementally afterwards.
"""
from __future__ import annotations

from ..errors import InputError
import contextlib
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..config import load_config
from ..ingest import ingest_repository
from ..sources.git import read_commits, read_slice
from ..store import open_store
from .staging import discard_attempt, release_attempt, staged_reader, worker_store

DEFAULT_CACHE = Path(".foundermode") / "clones"
URL_PATTERN = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@[^:]+:)", re.IGNORECASE)


class RepoListError(InputError):
    pass


@dataclass(frozen=True)
class RepoSource:
    """A repository to ingest: a local path, or a URL to clone into the cache."""

    location: str

    @property
    def is_url(self) -> bool:
        return bool(URL_PATTERN.match(self.location))

    def local_path(self, cache: Path) -> Path:
        if not self.is_url:
            return Path(self.location)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", self.location.rstrip("/").split("/")[-1].removesuffix(".git"))[:60]
        digest = hashlib.sha1(self.location.encode()).hexdigest()[:10]
        return cache / f"{slug}-{digest}.git"


def read_repo_list(path: Path) -> list[RepoSource]:
    """A plain text file (one path or URL a line, # comments), or a GitHub/GitLab organisation export (JSON)."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise RepoListError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from error
        items = data.get("repositories", data.get("projects", [])) if isinstance(data, dict) else data
        sources = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                sources.append(RepoSource(item))
                continue
            # GitHub's API uses clone_url / ssh_url; GitLab's http_url_to_repo / ssh_url_to_repo.
            url = next((item.get(k) for k in ("clone_url", "http_url_to_repo", "url", "ssh_url", "ssh_url_to_repo", "path") if isinstance(item, dict) and item.get(k)), None)
            if not url:
                raise RepoListError(f"{path}: entry {index} has no clone_url, http_url_to_repo, ssh_url or path")
            if isinstance(item, dict) and (item.get("archived") or item.get("disabled")):
                continue
            sources.append(RepoSource(url))
        return sources
    sources = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            sources.append(RepoSource(line))
    if not sources:
        raise RepoListError(f"{path}: no repositories listed")
    return sources


def materialise(source: RepoSource, cache: Path) -> Path:
    """The local repository for a source: cloned (bare) on first use, fetched afterwards."""
    target = source.local_path(cache)
    if not source.is_url:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    if (target / "HEAD").exists():
        subprocess.run(["git", "-C", str(target), "fetch", "-q", "--prune", "origin", "+refs/heads/*:refs/heads/*"], check=True, capture_output=True)
    else:
        subprocess.run(["git", "clone", "-q", "--bare", source.location, str(target)], check=True, capture_output=True)
    return target


def repo_weight(location: str) -> int:
    """Bytes of a local repository's object store: a proxy for its history's size that
    costs a few stat calls (counting commits costs a second on rails/rails, before
    any task could start). 0 when it is not cloned yet."""
    source = RepoSource(location)
    path = source.local_path(Path("."))
    if source.is_url or not path.exists():
        return 0
    objects = path / ".git" / "objects" if (path / ".git" / "objects").is_dir() else path / "objects"
    total = 0
    with contextlib.suppress(OSError):
        for pack in (objects / "pack").glob("*.pack"):
            total += pack.stat().st_size
        # Loose objects: their count by folder, at a typical compressed size.
        for folder in objects.glob("[0-9a-f][0-9a-f]"):
            total += 200 * len(os.listdir(folder))
    return total


def read_slice_task(repo: str, shas: list[str]) -> tuple[list, list[str]]:
    """One commit range of a large history, read on whichever worker is free."""

    warnings: list[str] = []
    return read_slice(Path(repo), shas, warnings), warnings


def cluster_reader(local_up_to: int = 0, min_slice: int = 500):
    """A reader for ingest_repository that spreads a history's commit ranges over the cluster (SQLite).

    It runs inside the repository's task: the task secedes while it waits, so
    its own worker reads ranges too; the task alone writes, in one transaction.
    Up to ``local_up_to`` new commits are read here, as for any repository.
    """

    def read(repo: Path, shas: list[str], jobs=None, warnings=None):
        from distributed import as_completed, worker_client


        if len(shas) <= local_up_to:
            yield from read_commits(repo, shas, jobs=jobs, warnings=warnings)
            return
        with worker_client() as client:
            # Several ranges per worker thread keeps every worker busy to the end.
            threads = max(1, sum(client.nthreads().values()))
            slice_size = max(min_slice, -(-len(shas) // (threads * 4)))
            pieces = [shas[i : i + slice_size] for i in range(0, len(shas), slice_size)]
            # Ahead of every waiting repository: their writer task is already holding a worker.
            futures = [client.submit(read_slice_task, str(repo), piece, pure=False, priority=1 << 40) for piece in pieces]
            for future in as_completed(futures):
                records, piece_warnings = future.result()
                if warnings is not None:
                    warnings.extend(piece_warnings)
                future.release()
                yield records

    return read


def ingest_one(db_url: str, location: str, cache: str, jobs: int | None, config_path: str | None, split_over: int | None = None) -> dict:
    """The task a worker runs: materialise one repository and ingest it in one transaction.

    Whether its history is long enough to spread over the cluster is decided
    on the commits it has to read (the new ones), once it knows them.
    """

    config = load_config(config_path) if config_path else load_config(None)
    path = materialise(RepoSource(location), Path(cache))
    store = worker_store(db_url)
    if split_over is None:
        reader = read_commits
    elif store.is_sqlite:
        # One writer at a time: the ranges' records come back to this task, which writes them.
        reader = cluster_reader(local_up_to=split_over)
    else:
        # Each range is written to staging by the worker that read it; this task moves them.
        reader = staged_reader(store, db_url, config_path, local_up_to=split_over)
    try:
        result = ingest_repository(store, path, config, jobs=jobs, reader=reader)
    except BaseException:
        # The repository's transaction rolled back: what its ranges staged goes too.
        # If that fails too, the next attempt at this repository sweeps them.
        for attempt, _holder in getattr(reader, "attempts", ()):
            with contextlib.suppress(Exception):
                discard_attempt(store, attempt)
        raise
    finally:
        for attempt, holder in getattr(reader, "attempts", ()):
            with contextlib.suppress(Exception):
                release_attempt(holder, attempt)
        if getattr(reader, "seceded", False):
            from distributed import rejoin

            rejoin()
    return {"repository": result.name, "location": location, "new_commits": result.new_commits, "commits": result.total_commits, "rewritten": result.rewritten, "remapped": result.remapped, "warnings": result.warnings}


def connect(scheduler: str, workers: int = 2):
    """A Dask client: a scheduler address, or 'local' for a LocalCluster on this machine."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
        return Client(cluster), cluster
    return Client(scheduler), None


def ingest_distributed(
    db_url: str,
    repos: Iterable[str],
    scheduler: str = "local",
    jobs: int | None = None,
    config=None,
    cache: Path | None = None,
    workers: int = 2,
    retries: int = 3,
    split_over: int | None = 20_000,
    on_done: Callable[[dict], None] | None = None,
    client=None,
) -> list[dict]:
    """Ingest every repository as its own Dask task; returns one result row per repository.

    A history longer than ``split_over`` commits is read range by range on all
    workers (its task then only writes), so one big repository cannot hold
    the whole run to the speed of one worker.
    """
    from distributed import as_completed


    open_store(db_url).dispose()  # migrate once, before workers race to do it
    cache = Path(cache or DEFAULT_CACHE).resolve()
    config_path = str(config.path) if config is not None and config.path else None
    own_client, cluster = (None, None) if client else connect(scheduler, workers)
    client = client or own_client
    repos = [str(location) for location in repos]
    # Largest histories first: a big repository started last would leave the other workers idle at the end.
    sizes = {location: repo_weight(location) for location in repos}
    try:
        futures = {
            client.submit(
                ingest_one, db_url, location, str(cache), jobs, config_path, split_over,
                key=f"ingest-{i}-{hashlib.sha1(location.encode()).hexdigest()[:8]}", retries=retries, pure=False, priority=sizes[location],
            ): location
            # Submitted largest first too: the first submissions start at once, before priorities are compared.
            for i, location in sorted(enumerate(repos), key=lambda item: -sizes[item[1]])
        }
        results = []
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as error:  # a repository that fails every retry is reported, not fatal to the rest
                row = {"repository": futures[future], "location": futures[future], "error": f"{type(error).__name__}: {error}"}
            results.append(row)
            if on_done:
                on_done(row)
        return sorted(results, key=lambda r: r["location"])
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
