"""What a forge says about code review, as plain records: the shape both the GitHub
and the GitLab parsers yield and the review writer stores.

Parsers know one format each and nothing of the store; the records name people
by their forge login (``Login``) and pull requests by (forge, host, repository,
number). Export files are read here too: pages saved by ``gh api --paginate``
(JSON arrays written one after another, ``[...][...]``), ``--slurp`` (an array
of pages), ``--jq '.[]'`` (one object a line) and plain JSON files.
"""
from __future__ import annotations

from ..errors import InputError
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from .limits import quoted

MAX_EXPORT_BYTES = 1 << 30  # one export file; a 10,000-PR export with reviews is about 40 MB
MAX_DEPTH_OF_PAGES = 3  # [[page], [page]] from --slurp, but no deeper


class ExportError(InputError):
    """An export file that cannot be read; the message names the file and, when known, the place."""


@dataclass(frozen=True)
class Login:
    """A person as a forge knows them: ``forge:login`` is their identity key."""

    forge: str  # github, gitlab
    login: str
    name: str | None = None
    is_bot: bool = False

    @property
    def key(self) -> str:
        return f"{self.forge}:{self.login}"


@dataclass(frozen=True)
class RepoRef:
    forge: str
    host: str
    name: str


@dataclass
class PullRecord:
    repo: RepoRef
    number: int
    title: str
    author: Login | None
    state: str  # open, merged, closed
    created_at: int
    updated_at: int
    external_id: str | None = None
    is_draft: bool = False
    closed_at: int | None = None
    merged_at: int | None = None
    merged_by: Login | None = None
    base_ref: str | None = None
    head_sha: str | None = None
    merge_sha: str | None = None
    url: str | None = None
    first_commit_at: int | None = None
    checks: str | None = None  # success, failure, pending
    # None: the source did not say (a list page without the field); [] : nobody requested
    requested: list[Login | str] | None = None  # a Login, or "team:<slug>"


@dataclass
class ReviewRecord:
    repo: RepoRef
    number: int
    external_id: str
    reviewer: Login | None
    state: str  # approved, changes_requested, commented, dismissed
    submitted_at: int | None
    commit_sha: str | None = None


@dataclass
class CommentRecord:
    repo: RepoRef
    number: int
    external_id: str
    kind: str  # issue, review, note
    author: Login | None
    created_at: int


@dataclass
class EventRecord:
    repo: RepoRef
    number: int
    external_id: str
    kind: str
    at: int
    actor: Login | None = None
    subject: Login | None = None  # the requested reviewer
    team: str | None = None


@dataclass
class DeploymentRecord:
    repo: RepoRef
    external_id: str
    kind: str  # release, deployment
    at: int
    name: str | None = None
    sha: str | None = None


@dataclass
class ReviewData:
    """Everything read from one source, grouped by repository when written."""

    pulls: list[PullRecord] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)
    comments: list[CommentRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    deployments: list[DeploymentRecord] = field(default_factory=list)
    skipped: int = 0  # objects of a kind this reader does not store (issues that are not pull requests, ...)

    def extend(self, other: "ReviewData") -> None:
        self.pulls += other.pulls
        self.reviews += other.reviews
        self.comments += other.comments
        self.events += other.events
        self.deployments += other.deployments
        self.skipped += other.skipped

    def repos(self) -> list[RepoRef]:
        seen: dict[RepoRef, None] = {}
        for records in (self.pulls, self.reviews, self.comments, self.events, self.deployments):
            for record in records:
                seen.setdefault(record.repo, None)
        return list(seen)

    def of_repo(self, repo: RepoRef) -> "ReviewData":
        return ReviewData(
            [r for r in self.pulls if r.repo == repo],
            [r for r in self.reviews if r.repo == repo],
            [r for r in self.comments if r.repo == repo],
            [r for r in self.events if r.repo == repo],
            [r for r in self.deployments if r.repo == repo],
        )

    def logins(self) -> list[Login]:
        seen: dict[str, Login] = {}
        def add(login: Login | None) -> None:
            if login is not None and (login.key not in seen or (login.name and not seen[login.key].name)):
                seen[login.key] = login
        for pull in self.pulls:
            add(pull.author)
            add(pull.merged_by)
            for requested in pull.requested or []:
                if isinstance(requested, Login):
                    add(requested)
        for review in self.reviews:
            add(review.reviewer)
        for comment in self.comments:
            add(comment.author)
        for event in self.events:
            add(event.actor)
            add(event.subject)
        return list(seen.values())

    def __len__(self) -> int:
        return len(self.pulls) + len(self.reviews) + len(self.comments) + len(self.events) + len(self.deployments)


def timestamp(value) -> int | None:
    """An ISO 8601 time from a forge ('2019-03-01T14:44:30Z', '...+02:00', '....123Z') -> epoch seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"{quoted(text, 40)} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def read_json_values(path: Path | str, max_bytes: int = MAX_EXPORT_BYTES) -> list:
    """Every JSON object of an export file, pages flattened, in file order.

    Accepts one document, documents one after another (``gh api --paginate`` writes
    each page's array as it comes: ``[...][...]``) and JSON Lines. Raises
    ExportError naming the file and the line of the first problem.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ExportError(f"{path}: {size:,} bytes is more than the {max_bytes:,} an export may hold")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExportError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ExportError(f"{path}: {error.strerror or error}") from None
    return parse_json_values(text, str(path))


def parse_json_values(text: str, name: str = "export") -> list:
    decoder = json.JSONDecoder()
    values: list = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in " \t\r\n":
            position += 1
        if position >= end:
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ExportError(f"{name}:{error.lineno}: not JSON ({error.msg}, column {error.colno})") from None
        _flatten(value, values, name, 0)
    return values


def _flatten(value, into: list, name: str, depth: int) -> None:
    if isinstance(value, list):
        if depth >= MAX_DEPTH_OF_PAGES:
            raise ExportError(f"{name}: arrays nested deeper than pages of pages")
        for item in value:
            _flatten(item, into, name, depth + 1)
    elif isinstance(value, dict):
        into.append(value)
    else:
        raise ExportError(f"{name}: expected objects or arrays of objects, found {type(value).__name__}")


def export_files(paths: list[Path | str]) -> list[Path]:
    """Files named, and the .json/.jsonl/.ndjson files below folders named, sorted within each folder."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".ndjson")))
        elif path.exists():
            out.append(path)
        else:
            raise ExportError(f"{path}: no such file or folder")
    return out
