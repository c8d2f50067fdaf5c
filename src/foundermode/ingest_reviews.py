"""Review records into the store: one transaction per repository, idempotent, incremental.

``write_reviews`` stores what a parser or the API client read (sources/pulls.py
records). Every row has the forge's own key, so writing the same records twice
changes nothing, and a later page with a newer version of a pull request
replaces the older one. Export files are remembered by their content hash: a
second ``ingest github FILES`` over unchanged files reads no JSON at all.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .config import Config
from .sources import github as github_source
from .sources import gitlab as gitlab_source
from .sources.identities import IdentityResolver
from .sources.pulls import ExportError, Login, RepoRef, ReviewData, export_files, read_json_values
from .store import Store, now
from .store.schema import people
from .store.schema_reviews import (
    deployments,
    forge_cursors,
    forge_repos,
    pull_comments,
    pull_events,
    pull_requests,
    pull_review_requests,
    pull_reviews,
)
from . import forge_api
from .sources.identities import apply_aliases

UPSERT_BATCH = 2000


@dataclass
class ReviewIngestResult:
    repo: str
    forge: str
    pulls: int = 0
    reviews: int = 0
    comments: int = 0
    events: int = 0
    deployments: int = 0

    def add(self, data: ReviewData) -> None:
        self.pulls += len(data.pulls)
        self.reviews += len(data.reviews)
        self.comments += len(data.comments)
        self.events += len(data.events)
        self.deployments += len(data.deployments)


@dataclass
class FilesResult:
    files: int = 0
    unchanged: int = 0  # skipped: same content as at the last ingest
    skipped_objects: int = 0
    repos: list[ReviewIngestResult] = field(default_factory=list)


def _insert(conn):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def upsert(conn, table, rows: list[dict], keys: tuple[str, ...], keep: tuple[str, ...] = ()) -> None:
    """Insert rows, or update the row with the same ``keys``; ``keep`` columns keep a stored value when the new one is NULL."""
    if not rows:
        return
    insert = _insert(conn)
    columns = [c for c in rows[0] if c not in keys]
    for start in range(0, len(rows), UPSERT_BATCH):
        statement = insert(table).values(rows[start : start + UPSERT_BATCH])
        values = {
            c: (func.coalesce(statement.excluded[c], table.c[c]) if c in keep else statement.excluded[c]) for c in columns
        }
        if values:
            statement = statement.on_conflict_do_update(index_elements=list(keys), set_=values)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(statement)


def repo_id_for(conn, repo: RepoRef) -> int:
    found = conn.execute(
        select(forge_repos.c.id).where(forge_repos.c.forge == repo.forge, forge_repos.c.host == repo.host, forge_repos.c.name == repo.name)
    ).scalar()
    if found is not None:
        return found
    return conn.execute(forge_repos.insert().values(forge=repo.forge, host=repo.host, name=repo.name).returning(forge_repos.c.id)).scalar_one()


class _People:
    """Forge logins -> people, through the one identity resolver (aliases, noreply addresses, bot rules)."""

    def __init__(self, conn, config: Config):
        self.conn = conn
        self.resolver = IdentityResolver.from_config(conn, config)
        self.ids: dict[str, int] = {}

    def prepare(self, logins: list[Login]) -> None:
        fresh = [l for l in logins if l.key not in self.ids]
        if not fresh:
            return
        pairs = [(l.name or l.login, l.key) for l in fresh]
        self.resolver.prepare(pairs, source=fresh[0].forge)
        bots = []
        for login, (name, key) in zip(fresh, pairs):
            self.ids[login.key] = self.resolver.person_for(name, key, source=login.forge)
            if login.is_bot:
                bots.append(self.ids[login.key])
        for start in range(0, len(bots), 500):
            self.conn.execute(update(people).where(people.c.id.in_(bots[start : start + 500]), people.c.is_bot == False).values(is_bot=True))  # noqa: E712

    def of(self, login: Login | None) -> int | None:
        return self.ids[login.key] if login is not None else None


def write_reviews(store: Store, config: Config, data: ReviewData, cursors: list[dict] | None = None) -> list[ReviewIngestResult]:
    """Store ``data``, one write transaction per repository. ``cursors`` ({key, repo (RepoRef|None), etag, since})
    are saved with the last repository's transaction: a failure leaves them as they were, and the next run reads again."""
    results = []
    repos = data.repos()
    cursors = list(cursors or [])
    if not repos and cursors:
        with store.write() as conn:
            _save_cursors(conn, cursors, {})
        return results
    for index, repo in enumerate(repos):
        part = data.of_repo(repo)
        with store.write() as conn:
            repo_id = repo_id_for(conn, repo)
            write_repo(conn, config, repo_id, part)
            if index == len(repos) - 1 and cursors:
                ids = {r: repo_id_for(conn, r) for r in {c["repo"] for c in cursors if c.get("repo")}}
                _save_cursors(conn, cursors, ids)
        result = ReviewIngestResult(repo.name, repo.forge)
        result.add(part)
        results.append(result)
    return results


def _save_cursors(conn, cursors: list[dict], ids: dict) -> None:
    rows = [
        {"key": c["key"], "repo_id": ids.get(c.get("repo")), "etag": c.get("etag"), "since": c.get("since"), "updated_at": now()}
        for c in cursors
    ]
    upsert(conn, forge_cursors, rows, ("key",))


def read_cursor(store: Store, key: str) -> dict | None:
    with store.read() as conn:
        row = conn.execute(select(forge_cursors).where(forge_cursors.c.key == key)).mappings().first()
    return dict(row) if row else None


def write_repo(conn, config: Config, repo_id: int, data: ReviewData) -> None:
    """One repository's records, inside the caller's transaction."""
    who = _People(conn, config)
    who.prepare(data.logins())
    pulls = {}
    for pull in data.pulls:  # a later page's copy of the same pull request wins if it is newer
        if pull.number not in pulls or pull.updated_at >= pulls[pull.number].updated_at:
            pulls[pull.number] = pull
    upsert(conn, pull_requests, [
        {
            "repo_id": repo_id, "number": p.number, "external_id": p.external_id, "title": p.title[:1000], "author_id": who.of(p.author),
            "state": p.state, "is_draft": p.is_draft, "created_at": p.created_at, "updated_at": p.updated_at, "closed_at": p.closed_at,
            "merged_at": p.merged_at, "merged_by_id": who.of(p.merged_by), "base_ref": p.base_ref, "head_sha": p.head_sha,
            "merge_sha": p.merge_sha, "url": p.url, "first_commit_at": p.first_commit_at, "checks": p.checks,
        }
        for p in pulls.values()
    ], ("repo_id", "number"), keep=("first_commit_at", "checks", "merged_by_id", "external_id"))
    upsert(conn, pull_reviews, _unique([
        {"repo_id": repo_id, "number": r.number, "external_id": r.external_id, "reviewer_id": who.of(r.reviewer), "state": r.state,
         "submitted_at": r.submitted_at, "commit_sha": r.commit_sha}
        for r in data.reviews
    ], ("external_id",)), ("repo_id", "external_id"), keep=("submitted_at", "commit_sha"))
    upsert(conn, pull_comments, _unique([
        {"repo_id": repo_id, "number": c.number, "external_id": c.external_id, "kind": c.kind, "author_id": who.of(c.author), "created_at": c.created_at}
        for c in data.comments
    ], ("kind", "external_id")), ("repo_id", "kind", "external_id"))
    upsert(conn, pull_events, _unique([
        {"repo_id": repo_id, "number": e.number, "external_id": e.external_id, "kind": e.kind, "actor_id": who.of(e.actor),
         "subject_id": who.of(e.subject), "team": e.team, "at": e.at}
        for e in data.events
    ], ("external_id",)), ("repo_id", "external_id"))
    upsert(conn, deployments, _unique([
        {"repo_id": repo_id, "external_id": d.external_id, "kind": d.kind, "name": d.name, "sha": d.sha, "at": d.at} for d in data.deployments
    ], ("kind", "external_id")), ("repo_id", "kind", "external_id"))
    _requests(conn, repo_id, list(pulls.values()), who)
    touched = sorted({p.number for p in pulls.values()} | {e.number for e in data.events} | {r.number for r in data.reviews})
    _derive(conn, repo_id, touched)
    conn.execute(update(forge_repos).where(forge_repos.c.id == repo_id).values(last_ingested_at=now()))


def join_aliases(store: Store, config: Config) -> None:
    """Aliases added since the last run ("ada@x" = ["github:ada"]) join the people already stored, as ``ingest git`` does."""
    if config.aliases:
        with store.write() as conn:
            apply_aliases(conn, config.aliases)


def _unique(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """One row per key (an export with overlapping pages repeats objects); the last one wins."""
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


def _requests(conn, repo_id: int, pulls, who: _People) -> None:
    """The reviewers each pull request waits for now, as its payload lists them: those no
    longer listed were removed or have reviewed (GitHub drops a reviewer from the list on review)."""
    for pull in pulls:
        if pull.requested is None:
            continue
        listed = {}
        for requested in pull.requested:
            if isinstance(requested, Login):
                person = who.of(requested)
                listed[f"person:{person}"] = {"reviewer_id": person, "team": None}
            else:
                listed[requested] = {"reviewer_id": None, "team": requested.split(":", 1)[1]}
        scope = and_(pull_review_requests.c.repo_id == repo_id, pull_review_requests.c.number == pull.number)
        stored = set(conn.execute(select(pull_review_requests.c.reviewer).where(scope)).scalars())
        gone = sorted(stored - set(listed))
        if gone:
            conn.execute(update(pull_review_requests).where(scope, pull_review_requests.c.reviewer.in_(gone)).values(is_pending=False))
        if pull.state != "open":
            conn.execute(update(pull_review_requests).where(scope).values(is_pending=False))
        rows = [{"repo_id": repo_id, "number": pull.number, "reviewer": key, **value, "is_pending": pull.state == "open"} for key, value in listed.items()]
        upsert(conn, pull_review_requests, rows, ("repo_id", "number", "reviewer"))


def _derive(conn, repo_id: int, numbers: list[int]) -> None:
    """Figures the timeline gives: when each request was made, when a draft became ready, the first commit."""
    if not numbers:
        return
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        scope = and_(pull_events.c.repo_id == repo_id, pull_events.c.number.in_(chunk))
        requested = conn.execute(
            select(pull_events.c.number, pull_events.c.subject_id, pull_events.c.team, func.max(pull_events.c.at))
            .where(scope, pull_events.c.kind == "review_requested")
            .group_by(pull_events.c.number, pull_events.c.subject_id, pull_events.c.team)
        ).all()
        request_rows = [
            {"repo_id": repo_id, "number": number, "reviewer": f"person:{subject}" if subject else f"team:{team}", "reviewer_id": subject,
             "team": None if subject else team, "requested_at": at, "is_pending": False}
            for number, subject, team, at in requested if subject or team
        ]
        # A request the timeline shows but the payload did not list is recorded as done (not pending).
        for row in request_rows:
            key = and_(pull_review_requests.c.repo_id == repo_id, pull_review_requests.c.number == row["number"], pull_review_requests.c.reviewer == row["reviewer"])
            if conn.execute(update(pull_review_requests).where(key).values(requested_at=row["requested_at"])).rowcount == 0:
                conn.execute(pull_review_requests.insert().values(**row))
        ready = dict(conn.execute(
            select(pull_events.c.number, func.max(pull_events.c.at)).where(scope, pull_events.c.kind == "ready_for_review").group_by(pull_events.c.number)
        ).all())
        first_commit = dict(conn.execute(
            select(pull_events.c.number, func.min(pull_events.c.at)).where(scope, pull_events.c.kind == "committed").group_by(pull_events.c.number)
        ).all())
        for number in chunk:
            values = {}
            if number in ready:
                values["ready_at"] = ready[number]
            if number in first_commit:
                values["first_commit_at"] = first_commit[number]
            if values:
                conn.execute(update(pull_requests).where(pull_requests.c.repo_id == repo_id, pull_requests.c.number == number).values(**values))


def parse_export(path: Path, forge: str, repo: RepoRef | None = None, objects: list | None = None, projects: dict | None = None) -> ReviewData:
    objects = read_json_values(path) if objects is None else objects
    if forge == "gitlab":
        return gitlab_source.parse_objects(objects, str(path), repo=repo, number=gitlab_source.number_from_file_name(path.name), projects=projects)
    return github_source.parse_objects(objects, str(path), repo=repo, number=github_source.number_from_file_name(path.name))


def ingest_files(store: Store, config: Config, paths: list, forge: str = "github", repo: str | None = None, force: bool = False) -> FilesResult:
    """Export files and folders -> the store. Every file is parsed before anything is written: a
    file that cannot be read stops the import with its name and line, and nothing of it lands."""
    files = export_files(paths)
    join_aliases(store, config)
    result = FilesResult(files=len(files))
    default_repo = _repo_ref(forge, repo) if repo else None
    data = ReviewData()
    cursors = []
    read: list[tuple[Path, list]] = []
    for path in files:
        key = f"file:{path.resolve()}"
        digest = _digest(path)
        if not force:
            seen = read_cursor(store, key)
            if seen and seen["etag"] == digest:
                result.unchanged += 1
                continue
        read.append((path, read_json_values(path)))
        cursors.append({"key": key, "repo": None, "etag": digest, "since": None})
    # GitLab's notes and approvals name their project by id: the merge requests of every file say which it is.
    projects = gitlab_source.projects_of([o for _p, objects in read for o in objects]) if forge == "gitlab" else None
    for path, objects in read:
        data.extend(parse_export(path, forge, default_repo, objects=objects, projects=projects))
    result.skipped_objects = data.skipped
    if data or cursors:
        result.repos = write_reviews(store, config, data, cursors)
    return result


def _repo_ref(forge: str, repo: str) -> RepoRef:
    """'owner/name', or 'host/owner/name' for GitHub Enterprise and self-hosted GitLab."""
    default_host = "github.com" if forge == "github" else "gitlab.com"
    text = repo.strip().strip("/")
    if text.startswith(("http://", "https://")):
        text = text.split("://", 1)[1]
    parts = text.split("/")
    if len(parts) >= 3 and "." in parts[0]:
        return RepoRef(forge, parts[0].lower(), "/".join(parts[1:]).lower())
    if len(parts) < 2:
        raise ExportError(f"'{repo}' is not a repository: owner/name")
    return RepoRef(forge, default_host, text.lower())


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{path.stat().st_size}:{digest.hexdigest()}"


def forget_repo(store: Store, forge: str, name: str) -> int:
    """Remove one repository's review data (and its cursors)."""
    with store.write() as conn:
        ids = conn.execute(select(forge_repos.c.id).where(forge_repos.c.forge == forge, forge_repos.c.name == name.lower())).scalars().all()
        for table in (pull_requests, pull_reviews, pull_comments, pull_events, pull_review_requests, deployments, forge_cursors):
            conn.execute(delete(table).where(table.c.repo_id.in_(ids)))
        conn.execute(delete(forge_repos).where(forge_repos.c.id.in_(ids)))
    return len(ids)


@dataclass
class ApiResult(ReviewIngestResult):
    requests: int = 0
    not_modified: int = 0  # 304 answers: lists unchanged since the last run


def api_target(forge: str, target: str, api_url: str | None) -> RepoRef:
    """The repository an API run reads: its host is the API's web host (api.github.com -> github.com)."""
    from urllib.parse import urlparse

    ref = _repo_ref(forge, target)
    if api_url and ref.host in ("github.com", "gitlab.com"):
        host = urlparse(api_url).netloc.lower()
        if host:
            ref = RepoRef(forge, github_source.web_host(host) if forge == "github" else host, ref.name)
    return ref


def ingest_api(store: Store, config: Config, forge: str, target: str, api_url: str | None = None, waits=None, force: bool = False,
               transport=None, sleep=None, clock=None) -> ApiResult:
    """One repository (GitHub) or project (GitLab) from the forge's API, from its cursors: a second run
    asks only for what changed (ETag, then ``since``/``updated_after``) and writes nothing when nothing did."""
    join_aliases(store, config)
    options = {k: v for k, v in {"waits": waits, "transport": transport, "sleep": sleep, "clock": clock}.items() if v is not None}
    base = api_url or config.section(forge).get("api_url") or (forge_api.GITHUB_API if forge == "github" else forge_api.GITLAB_API)
    repo = api_target(forge, target, base)
    client = (forge_api.github_client if forge == "github" else forge_api.gitlab_client)(config, base, **options)
    try:
        if forge == "github":
            cursor = None if force else read_cursor(store, forge_api.cursor_key(repo, "pulls"))
            releases = None if force else read_cursor(store, forge_api.cursor_key(repo, "releases"))
            fetched = forge_api.fetch_github(client, repo, cursor, releases)
        else:
            cursor = None if force else read_cursor(store, forge_api.cursor_key(repo, "merge_requests"))
            fetched = forge_api.fetch_gitlab(client, repo, cursor)
    finally:
        client.close()
    result = ApiResult(repo.name, forge, requests=client.requests, not_modified=client.not_modified)
    if not fetched.unchanged and (fetched.data or fetched.cursors):
        write_reviews(store, config, fetched.data, fetched.cursors)
        result.add(fetched.data)
    return result
