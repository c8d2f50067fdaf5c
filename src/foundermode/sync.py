"""Every declared source brought up to date: ``foundermode sync``, and the schedule in ``serve``.

Sources are declared once, in ``[sources]`` of foundermode.toml::

    [sources]
    repositories = ["~/src/*", "https://git.example.com/api.git", "github-org.json"]
    calendars = ["calendars/", { url_env = "ADA_CALENDAR_URL", owner = "ada@example.com" }]
    transcripts = ["recordings/"]
    org_chart = "org.csv"

    [sync]
    every = "15m"          # how often `foundermode serve` runs it
    timeout = 20           # seconds for each calendar subscription request

Relative paths are read from the configuration file's folder, ``~`` is the
home folder, a glob matches every repository under it, a ``.json`` file is a
GitHub or GitLab organisation export (its clone URLs), and a URL is cloned once
(bare, under ``.foundermode/clones``) and fetched afterwards. An iCalendar
subscription (Google's and Outlook's "secret address in iCal format") is a
secret: give it as ``url_env`` naming an environment variable; a plain URL
works too, and is never printed beyond its host.

A sync checks every source, in dependency order (the org chart first, so
that commits and attendees land on the right people; calendars before
transcripts, which attach to their occurrences), and takes in only what is
new: a repository reads the commits after its last ingested tip; a calendar
folder or an org chart is re-read only when a file's size or time changed (or,
for calendars, the day moved the expansion window); a subscription is asked
with ``If-None-Match`` / ``If-Modified-Since`` and a 304 costs nothing more; a
transcript folder reads only the files it has not seen. A source that fails
is recorded with its error and the others still complete; one run at a time
across processes (a lock in the store).
"""
from __future__ import annotations

from .errors import FoundermodeError, Unavailable
import glob
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from .config import STATE_DIR, Config, ConfigError
from .store import Store
from .store import now as clock_now
from .store.schema_sync import sync_seen, sync_sources
from .brief.deliver import plan
from .ingest import GitError, ingest_repository
from .meetings.calendars import calendar_settings, import_calendars
from .meetings.transcript_folder import (
    file_digest,
    guess_meeting,
    match_occurrence,
    own_occurrence,
    transcript_files,
)
from .meetings.transcripts import AttachError, import_transcripts
from .notify.outbox import counts_by_state
from .scale.distributed import RepoListError, RepoSource, materialise, read_repo_list
from .sources.calendar import CalendarError, calendar_files, default_window
from .sources.duplicates import Settled, pending_merges, settle
from .sources.org import OrgChartError, import_org_chart, read_org_chart
from .sources.transcripts import TranscriptError, read_transcript
from .store import jobs
from .store.jobs import _insert, last_runs, lock_holder
from .store.schema_notify import outbox

KINDS = ("org_chart", "repository", "calendar", "transcripts")
PEOPLE_KINDS = ("org_chart", "repository")  # the sources that bring people: identities are settled after them
DEFAULT_EVERY = 15 * 60
DEFAULT_TIMEOUT = 20.0
MAX_SUBSCRIPTION_BYTES = 50 * 1024 * 1024  # a year of a busy person's calendar is a few MB
LOCK_NAME = "sync"
LOCK_LEASE = 30 * 60  # renewed after every source: only a dead process lets it run out
USER_AGENT = "foundermode-sync/1"
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@[^:]+:)", re.IGNORECASE)
_GLOB = re.compile(r"[*?\[]")


class SyncError(Unavailable):
    """One source could not be brought up to date; the message says why, in one line."""


@dataclass(frozen=True)
class Source:
    """One declared source: what it is, where, and how it is shown (a secret URL never is)."""

    kind: str
    location: str  # the key in sync_sources: a resolved path, a URL, or env:NAME
    label: str
    path: Path | None = None
    url: str | None = None
    owner: str | None = None
    problem: str | None = None  # declared but unusable (a glob matching nothing, an unset variable)


@dataclass
class SourceOutcome:
    kind: str
    source: str
    status: str  # unchanged, updated, failed
    summary: str = ""
    error: str | None = None
    seconds: float = 0.0


@dataclass
class SyncResult:
    outcomes: list[SourceOutcome] = field(default_factory=list)
    started_at: int = 0
    seconds: float = 0.0
    identities: Settled | None = None  # after people sources (repositories, the org chart): merged and pending identities

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def changed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "updated"]

    def headline(self) -> str:
        counts = {s: sum(1 for o in self.outcomes if o.status == s) for s in ("updated", "unchanged", "failed")}
        text = f"{len(self.outcomes)} source(s): {counts['updated']} updated, {counts['unchanged']} unchanged, {counts['failed']} failed in {self.seconds:.1f} s"
        if self.failed:
            text += "; failed: " + ", ".join(o.source for o in self.failed)
        return text


# -- settings ----------------------------------------------------------------------------------


def parse_duration(text: str | int | float, key: str = "every") -> int:
    """'15m', '1h', '30s', '2h30m', '1d', or a number of seconds."""
    if isinstance(text, bool):
        raise ValueError(f"{key} must be a duration such as \"15m\", not {text!r}")
    if isinstance(text, (int, float)):
        seconds = int(text)
    else:
        parts = re.fullmatch(r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*", text.lower())
        if not parts or not any(parts.groups()):
            raise ValueError(f"{key} {text!r} is not a duration: write \"15m\", \"1h\", \"90s\" or \"1d\"")
        d, h, m, s = (int(v or 0) for v in parts.groups())
        seconds = ((d * 24 + h) * 60 + m) * 60 + s
    if seconds < 10:
        raise ValueError(f"{key} {text!r} is shorter than 10 seconds")
    return seconds


@dataclass(frozen=True)
class SyncSettings:
    every: int | None = None  # None: serve does not sync on its own
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_config(cls, config: Config) -> "SyncSettings":
        section = config.section("sync")
        unknown = sorted(set(section) - {"every", "timeout"})
        if unknown:
            raise ConfigError(config.locate(f"[sync] has no key {unknown[0]!r} (known: every, timeout)", unknown[0]))
        every = None
        if section.get("every") not in (None, "", "off", False):
            try:
                every = parse_duration(section["every"])
            except ValueError as error:
                raise ConfigError(config.locate(f"[sync] {error}", "every")) from None
        timeout = section.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(config.locate(f"[sync] timeout must be a positive number of seconds, not {timeout!r}", "timeout"))
        return cls(every=every, timeout=float(timeout))


def redact_url(url: str) -> str:
    """scheme://host/… : a subscription's path and query are its secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}/…" if parts.path not in ("", "/") or parts.query else f"{parts.scheme}://{host}/"


def _strings(config: Config, section: dict, key: str) -> list:
    value = section.get(key, [])
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(config.locate(f"[sources] {key} must be a list of paths or URLs", key))
    return value


def _resolve(config: Config, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else config.base_dir / path


def _is_repository(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def declared_sources(config: Config) -> list[Source]:
    """Every source ``[sources]`` declares, in the order a sync takes them (raises ConfigError on a malformed entry)."""
    section = config.section("sources")
    known = {"repositories", "calendars", "transcripts", "org_chart", *EXTRA_KINDS}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(config.locate(f"[sources] has no key {unknown[0]!r} (known: {', '.join(sorted(known))})", unknown[0]))
    out: list[Source] = []

    chart = section.get("org_chart")
    if chart is not None:
        if not isinstance(chart, str) or not chart:
            raise ConfigError(config.locate("[sources] org_chart must be the path of a CSV file", "org_chart"))
        path = _resolve(config, chart)
        out.append(Source("org_chart", str(path), chart, path=path))

    for entry in _strings(config, section, "repositories"):
        if not isinstance(entry, str) or not entry.strip():
            raise ConfigError(config.locate(f"[sources] repositories: {entry!r} is not a path or URL", "repositories"))
        out.extend(_repositories(config, entry.strip()))

    for entry in _strings(config, section, "calendars"):
        out.append(_calendar(config, entry))

    for entry in _strings(config, section, "transcripts"):
        if not isinstance(entry, str) or not entry:
            raise ConfigError(config.locate(f"[sources] transcripts: {entry!r} is not a folder", "transcripts"))
        path = _resolve(config, entry)
        out.append(Source("transcripts", str(path), entry, path=path))

    for kind, (declare, _sync) in EXTRA_KINDS.items():
        if kind in section:
            out.extend(declare(config, section[kind]))
    return out


def _repositories(config: Config, entry: str) -> list[Source]:
    if _URL.match(entry):
        return [Source("repository", entry, redact_url(entry) if "@" in urlsplit(entry).netloc else entry, url=entry)]
    if _GLOB.search(entry):
        pattern = str(_resolve(config, entry))
        found = [Path(p) for p in sorted(glob.glob(pattern)) if _is_repository(Path(p))]
        if not found:
            return [Source("repository", pattern, entry, problem=f"{entry}: matches no git repository")]
        return [Source("repository", str(p), str(p), path=p) for p in found]
    path = _resolve(config, entry)
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            listed = read_repo_list(path)
        except (OSError, RepoListError) as error:
            return [Source("repository", str(path), entry, problem=str(error))]
        return [
            Source("repository", s.location, s.location, url=s.location) if s.is_url else Source("repository", str(_resolve(config, s.location)), s.location, path=_resolve(config, s.location))
            for s in listed
        ]
    return [Source("repository", str(path), entry, path=path)]


def _calendar(config: Config, entry) -> Source:
    owner = None
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {"url", "url_env", "path", "owner"})
        if unknown:
            raise ConfigError(config.locate(f"[sources] calendars: an entry has no key {unknown[0]!r} (known: path, url, url_env, owner)", "calendars"))
        owner = entry.get("owner")
        if entry.get("url_env"):
            name = str(entry["url_env"])
            url = os.environ.get(name)
            label = f"calendar from ${name}"
            if not url:
                return Source("calendar", f"env:{name}", label, owner=owner, problem=f"[sources] calendars: url_env names {name}, which is not set in the environment")
            return Source("calendar", f"env:{name}", label, url=url, owner=owner)
        entry = entry.get("url") or entry.get("path")
    if not isinstance(entry, str) or not entry:
        raise ConfigError(config.locate(f"[sources] calendars: {entry!r} is not a folder, file or URL", "calendars"))
    if entry.lower().startswith(("http://", "https://", "webcal://")):
        url = "https://" + entry[len("webcal://"):] if entry.lower().startswith("webcal://") else entry
        return Source("calendar", hashlib.sha256(url.encode()).hexdigest()[:16] + ":" + redact_url(url), redact_url(url), url=url, owner=owner)
    path = _resolve(config, entry)
    return Source("calendar", str(path), entry, path=path, owner=owner)


# Code-review sources and any other kind a later module adds: kind -> (declare, sync).
# ``declare(config, value) -> list[Source]`` reads its [sources] key; ``sync(ctx, source) -> SourceOutcome``
# brings one up to date. Registered with ``register_kind``, taken after the built-in kinds.
EXTRA_KINDS: dict[str, tuple[Callable, Callable]] = {}


def register_kind(kind: str, declare: Callable, sync: Callable) -> None:
    EXTRA_KINDS[kind] = (declare, sync)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class _Context:
    store: Store
    config: Config
    settings: SyncSettings
    cache: Path
    http: object = None

    def client(self):
        if self.http is None:
            import httpx

            self.http = httpx.Client(follow_redirects=True, timeout=self.settings.timeout, headers={"User-Agent": USER_AGENT})
        return self.http


class NoProgress:
    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...
    def describe(self, text: str) -> None: ...


def sync_all(store: Store, config: Config, *, kinds: list[str] | None = None, progress=None, wait: bool = False) -> SyncResult:
    """Bring every declared source up to date; one run at a time across processes.

    Raises ``jobs.Busy`` when another process holds the sync (unless ``wait``),
    ConfigError for a malformed declaration. Every other failure is one
    source's: recorded, and the rest continue.
    """
    settings = SyncSettings.from_config(config)
    sources = declared_sources(config)
    if kinds:
        sources = [s for s in sources if s.kind in kinds]
    progress = progress or NoProgress()
    holder = jobs.new_holder()
    while not jobs.acquire(store, LOCK_NAME, holder, LOCK_LEASE):
        if not wait:
            with store.read() as conn:
                other = jobs.lock_holder(conn, LOCK_NAME)
            raise jobs.Busy(f"a sync is already running ({other['holder'] if other else 'another process'})")
        time.sleep(1.0)
    result = SyncResult(started_at=clock_now())
    started = time.monotonic()
    ctx = _Context(store, config, settings, config.base_dir / STATE_DIR)
    jobs.record_start(store, "sync")
    try:
        progress.start(len(sources))
        for source in sources:
            progress.describe(f"{source.kind} {source.label}")
            result.outcomes.append(sync_one(ctx, source))
            progress.advance(1)
            jobs.renew(store, LOCK_NAME, holder, LOCK_LEASE)
        if any(s.kind in PEOPLE_KINDS for s in sources):
            started_identities = time.monotonic()
            try:
                result.identities = settle(store, config)
            except (FoundermodeError, SQLAlchemyError) as error:  # one step's failure, like a source's: the sync's record keeps it
                result.outcomes.append(SourceOutcome("identities", "merge proposals", "failed", error=str(error), seconds=time.monotonic() - started_identities))
    finally:
        if ctx.http is not None:
            ctx.http.close()
        result.seconds = time.monotonic() - started
        jobs.record_finish(
            store, "sync", detail=result.headline(),
            error="; ".join(f"{o.source}: {o.error}" for o in result.failed)[:2000] or None,
        )
        jobs.release(store, LOCK_NAME, holder)
    return result


SYNCERS: dict[str, Callable] = {}


def sync_one(ctx: _Context, source: Source) -> SourceOutcome:
    started = time.monotonic()
    source_id, state = _source_row(ctx.store, source)
    try:
        if source.problem:
            raise SyncError(source.problem)
        syncer = SYNCERS.get(source.kind) or EXTRA_KINDS[source.kind][1]
        outcome = syncer(ctx, source, source_id, state)
    except SyncError as error:
        outcome = SourceOutcome(source.kind, source.label, "failed", error=str(error))
    except Exception as error:  # noqa: BLE001 - one source's bug must not stop the others
        outcome = SourceOutcome(source.kind, source.label, "failed", error=f"unexpected {type(error).__name__}: {error}")
    outcome.seconds = time.monotonic() - started
    _record(ctx.store, source_id, outcome)
    return outcome


def _source_row(store: Store, source: Source) -> tuple[int, dict]:
    where = (sync_sources.c.kind == source.kind, sync_sources.c.location == source.location)
    with store.read() as conn:
        row = conn.execute(select(sync_sources).where(*where)).mappings().first()
    if row is not None:
        return row["id"], dict(row)

    with store.write() as conn:
        conn.execute(_insert(conn, sync_sources).values(kind=source.kind, location=source.location).on_conflict_do_nothing(index_elements=["kind", "location"]))
        row = conn.execute(select(sync_sources).where(*where)).mappings().one()
    return row["id"], dict(row)


def _record(store: Store, source_id: int, outcome: SourceOutcome, **extra) -> None:
    at = clock_now()
    values = {"last_checked_at": at, "last_status": outcome.status, "last_summary": outcome.summary[:1000] or None}
    if outcome.status == "updated":
        values["last_changed_at"] = at
    if outcome.error:
        values.update(last_error=outcome.error[:2000], last_error_at=at)
    else:
        values["last_error"] = None
    with store.write() as conn:
        conn.execute(update(sync_sources).where(sync_sources.c.id == source_id).values(**values, **extra))


def _remember(store: Store, source_id: int, **values) -> None:
    with store.write() as conn:
        conn.execute(update(sync_sources).where(sync_sources.c.id == source_id).values(**values))


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# -- each kind ---------------------------------------------------------------------------------


def _sync_org_chart(ctx: _Context, source: Source, source_id: int, state: dict) -> SourceOutcome:
    path = source.path
    if not path.is_file():
        raise SyncError(f"{path}: no such file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest == state.get("fingerprint"):
        return SourceOutcome(source.kind, source.label, "unchanged", "unchanged since the last sync")
    try:
        rows = read_org_chart(path)
    except OrgChartError as error:
        raise SyncError(str(error)) from None
    counts = import_org_chart(ctx.store, rows, ctx.config)
    _remember(ctx.store, source_id, fingerprint=digest)
    return SourceOutcome(source.kind, source.label, "updated", f"{_plural(counts['people'], 'person')}, {_plural(counts['teams'], 'team')}".replace("persons", "people"))


def _sync_repository(ctx: _Context, source: Source, source_id: int, state: dict) -> SourceOutcome:
    import subprocess

    try:
        if source.url:
            path = materialise(RepoSource(source.url), ctx.cache / "clones")
        else:
            path = source.path
            if not path.exists():
                raise SyncError(f"{path}: no such folder (was the repository moved or deleted?)")
        result = ingest_repository(ctx.store, path, ctx.config)
    except GitError as error:
        raise SyncError(str(error)) from None
    except subprocess.CalledProcessError as error:
        detail = (error.stderr.decode(errors="replace").strip() if error.stderr else str(error)).splitlines()
        raise SyncError(f"git: {detail[-1] if detail else error}") from None
    warnings = "; ".join(result.warnings)
    if result.new_commits or result.rewritten or result.remapped:
        summary = f"{_plural(result.new_commits, 'new commit')} ({result.total_commits:,} in all)"
        if result.remapped:
            summary += f", {_plural(result.remapped, 'commit')} re-attributed under the new .mailmap"
        return SourceOutcome(source.kind, source.label, "updated", summary + (f"; {warnings}" if warnings else ""))
    return SourceOutcome(source.kind, source.label, "unchanged", f"up to date at {result.total_commits:,} commits" + (f"; {warnings}" if warnings else ""))


def _calendar_window(config: Config) -> tuple[int, int]:
    import datetime as dt

    moment = dt.datetime.fromtimestamp(clock_now(), dt.timezone.utc)
    return default_window(moment)


def _import_calendar(ctx: _Context, source: Source, files: list[Path]) -> str:
    start, end = _calendar_window(ctx.config)
    try:
        result = import_calendars(ctx.store, files, ctx.config, since=start, until=end, owner=source.owner if len(files) == 1 else None)
    except (CalendarError, ConfigError) as error:
        raise SyncError(" ".join(str(error).split())) from None
    return (
        f"{_plural(result.files, 'export')}, {result.occurrences_read:,} occurrences read: {result.occurrences_added:,} new, "
        f"{result.occurrences_updated:,} changed, {result.occurrences_removed:,} removed"
    )


def _sync_calendar(ctx: _Context, source: Source, source_id: int, state: dict) -> SourceOutcome:
    if source.url:
        return _sync_subscription(ctx, source, source_id, state)

    try:
        files = calendar_files([source.path])
    except CalendarError as error:
        raise SyncError(" ".join(str(error).split())) from None
    if not files:
        raise SyncError(f"{source.path}: no .ics files")
    window = _calendar_window(ctx.config)
    # The expansion window moves with the day: recurring series need re-expanding even when no file changed.
    digest = hashlib.sha256(json.dumps([window[0] // 86400, [(str(p), _fingerprint(p)) for p in files]]).encode()).hexdigest()
    if digest == state.get("fingerprint"):
        return SourceOutcome(source.kind, source.label, "unchanged", f"{_plural(len(files), 'export')}, none changed")
    summary = _import_calendar(ctx, source, files)
    _remember(ctx.store, source_id, fingerprint=digest)
    return SourceOutcome(source.kind, source.label, "updated", summary)


def _sync_subscription(ctx: _Context, source: Source, source_id: int, state: dict) -> SourceOutcome:
    import httpx

    cached = ctx.cache / "subscriptions" / (hashlib.sha256(source.location.encode()).hexdigest()[:24] + ".ics")
    headers = {}
    if cached.is_file():
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
    label = source.label
    try:
        with ctx.client().stream("GET", source.url, headers=headers) as response:
            if response.status_code == 304:
                body = None
            elif 200 <= response.status_code < 300:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_SUBSCRIPTION_BYTES:
                        raise SyncError(f"{label}: more than {MAX_SUBSCRIPTION_BYTES // 2**20} MB; not a calendar this tool reads")
                    chunks.append(chunk)
                body = b"".join(chunks)
            else:
                raise SyncError(f"{label}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except httpx.HTTPError as error:
        message = str(error).replace(source.url, label)
        raise SyncError(f"{label}: {type(error).__name__}: {message}") from None
    window_day = _calendar_window(ctx.config)[0] // 86400
    if body is None:
        digest = state.get("fingerprint") or ""
        seen = "304 not modified"
    else:
        digest = hashlib.sha256(body).hexdigest()
        seen = f"{len(body):,} bytes"
    fingerprint = f"{window_day}:{digest.rpartition(':')[2]}"
    if fingerprint == state.get("fingerprint") and cached.is_file():
        _remember(ctx.store, source_id, etag=etag or state.get("etag"), last_modified=modified or state.get("last_modified"))
        return SourceOutcome(source.kind, label, "unchanged", f"{seen}, unchanged")
    if body is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(body)
        partial.replace(cached)
    elif not cached.is_file():
        raise SyncError(f"{label}: 304 but no copy kept from before; will fetch in full next time")
    summary = _import_calendar(ctx, source, [cached])
    _remember(ctx.store, source_id, fingerprint=fingerprint, etag=etag, last_modified=modified)
    return SourceOutcome(source.kind, label, "updated", f"{seen}; {summary}")


def _sync_transcripts(ctx: _Context, source: Source, source_id: int, state: dict) -> SourceOutcome:
    folder = source.path
    if not folder.is_dir():
        raise SyncError(f"{folder}: no such folder")
    files = transcript_files(folder)
    with ctx.store.read() as conn:
        seen = dict(conn.execute(select(sync_seen.c.path, sync_seen.c.fingerprint).where(sync_seen.c.source_id == source_id)).all())
    new = [(p, _fingerprint(p)) for p in files if seen.get(str(p)) != _fingerprint(p)]
    if not new:
        return SourceOutcome(source.kind, source.label, "unchanged", f"{_plural(len(files), 'file')}, none new")
    timezone = calendar_settings(ctx.config)["default_tz"]
    attached = created = 0
    errors: list[str] = []
    for path, fingerprint in new:
        try:
            transcript = read_transcript(path)
            guess = guess_meeting(path, transcript, folder, timezone)
            digest = file_digest(path)
            with ctx.store.write() as conn:
                occurrence = match_occurrence(conn, guess)
                if occurrence is None:
                    occurrence = own_occurrence(conn, path, guess, transcript, digest)
                    created += 1
                else:
                    attached += 1
            import_transcripts(ctx.store, [path], ctx.config, occurrence_ids=[occurrence])
        except (TranscriptError, AttachError, OSError) as error:
            errors.append(" ".join(str(error).split()))
            continue
        with ctx.store.write() as conn:
            conn.execute(delete(sync_seen).where(sync_seen.c.source_id == source_id, sync_seen.c.path == str(path)))
            conn.execute(sync_seen.insert().values(source_id=source_id, path=str(path), fingerprint=fingerprint, seen_at=clock_now()))
    summary = f"{_plural(attached + created, 'new transcript')}: {attached} attached to calendar occurrences, {created} as their own"
    if errors:
        raise SyncError(f"{summary}; {len(errors)} could not be read: {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    return SourceOutcome(source.kind, source.label, "updated", summary)


SYNCERS.update(org_chart=_sync_org_chart, repository=_sync_repository, calendar=_sync_calendar, transcripts=_sync_transcripts)


# -- status ------------------------------------------------------------------------------------


def source_status(store: Store, config: Config | None = None) -> list[dict]:
    """Each source the store has synced (and each declared one not yet synced): its last check, what it saw, its last error."""
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(select(sync_sources).order_by(sync_sources.c.kind, sync_sources.c.location)).mappings()]
    declared = {}
    if config is not None:
        try:
            declared = {(s.kind, s.location): s for s in declared_sources(config)}
        except ConfigError:
            declared = {}
    out = []
    for row in rows:
        source = declared.pop((row["kind"], row["location"]), None)
        out.append({
            "kind": row["kind"],
            "source": source.label if source else _shown(row["location"]),
            "declared": source is not None or config is None,
            "last_checked_at": row["last_checked_at"],
            "last_changed_at": row["last_changed_at"],
            "status": row["last_status"] or "never",
            "saw": row["last_summary"],
            "last_error": row["last_error"],
            "last_error_at": row["last_error_at"],
        })
    for source in declared.values():
        out.append({"kind": source.kind, "source": source.label, "declared": True, "last_checked_at": None, "last_changed_at": None,
                    "status": "never", "saw": None, "last_error": source.problem, "last_error_at": None})
    return out


def _shown(location: str) -> str:
    """A stored location fit to show: a subscription's key keeps only its redacted URL."""
    head, sep, tail = location.partition(":")
    if sep and len(head) == 16 and all(c in "0123456789abcdef" for c in head):
        return tail
    return location


def status_report(store: Store, config: Config) -> dict:
    """What an operator checks first: every source, the outbox, and each scheduled job's last run."""
    from sqlalchemy import func

    with store.read() as conn:
        runs = last_runs(conn)
        lock = lock_holder(conn, LOCK_NAME)
        counts = counts_by_state(conn)
        oldest = conn.execute(select(func.min(outbox.c.created_at)).where(outbox.c.state.in_(("pending", "retrying", "sending")))).scalar()
        dead = conn.execute(select(outbox.c.id, outbox.c.channel, outbox.c.subject, outbox.c.last_error).where(outbox.c.state == "dead").order_by(outbox.c.id.desc()).limit(5)).mappings().all()
        # A mail server that is down shows here first: why the messages wait, and when they are tried again.
        retrying = conn.execute(
            select(outbox.c.id, outbox.c.channel, outbox.c.subject, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.last_error)
            .where(outbox.c.state == "retrying").order_by(outbox.c.next_attempt_at, outbox.c.id).limit(5)
        ).mappings().all()
        pending = pending_merges(conn)
    return {
        "sources": source_status(store, config),
        "identities": {"people": pending.people, "records": pending.records},  # people under several identities, as the People page says
        "outbox": {"counts": counts, "oldest_waiting_at": oldest, "recent_dead": [dict(d) for d in dead], "retrying": [dict(r) for r in retrying]},
        "jobs": runs,
        "sync_running": lock,
        "schedule": _schedule(store, config, runs),
    }


def _schedule(store: Store, config: Config, runs: dict) -> dict:
    """When the schedule acts next: the sync (every [sync] every after the last one) and the brief."""
    try:
        every = SyncSettings.from_config(config).every
    except ConfigError as error:
        every, problem = None, str(error)
    else:
        problem = None
    last = (runs.get("sync") or {}).get("finished_at") or (runs.get("sync") or {}).get("started_at")
    try:
        brief = plan(store, config)
    except ConfigError as error:
        brief = {"next_at": None, "zone": None, "recipients": [], "managers": [], "problem": str(error)}
    return {"sync": {"every": every, "next_at": (last + every) if every and last else None, "problem": problem}, "brief": brief}
