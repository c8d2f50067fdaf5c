"""Reading GitHub's and GitLab's REST APIs with httpx: pagination, ETags, cursors, rate limits.

The HTTP layer is httpx's; this module adds what a forge asks of a polite client:
  - ``Link: <...>; rel="next"`` pagination (both forges send it);
  - conditional requests: the first page of each list is asked ``If-None-Match`` with
    the ETag of the last run, and a 304 (which GitHub does not count against the
    rate limit) means nothing changed;
  - cursors: pull requests are listed newest-updated first and read until one older
    than the last run's newest; comment lists take ``since`` / ``updated_after``;
  - the primary rate limit (``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``;
    GitLab's ``ratelimit-reset``) and the secondary one (``retry-after``): the client
    waits until the reset and says when it resumes, then continues where it was.
Tokens come from the environment only (GITHUB_TOKEN / GH_TOKEN, GITLAB_TOKEN), never a file.
"""
from __future__ import annotations

from .errors import Unavailable
import datetime as dt
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import quote

import httpx

from .config import Config
from .sources import github as github_source
from .sources import gitlab as gitlab_source
from .sources.pulls import RepoRef, ReviewData, timestamp

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
GITHUB_TOKEN_ENVS = ("GITHUB_TOKEN", "GH_TOKEN")
GITLAB_TOKEN_ENVS = ("GITLAB_TOKEN", "GLAB_TOKEN")
MAX_WAIT = 3700  # a primary limit resets within the hour
MAX_RETRIES = 5
PER_PAGE = 100


class ForgeError(Unavailable):
    """The forge refused or failed (bad token, unknown repository, repeated server errors); one line."""


class Waits:
    """What the client tells the user while it waits (the CLI prints it with the progress bar)."""

    def waiting(self, seconds: float, until: float, reason: str) -> None:  # pragma: no cover - a protocol
        pass

    def fetched(self, what: str) -> None:
        pass


@dataclass
class ForgeClient:
    base_url: str
    headers: dict = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waits: Waits = field(default_factory=Waits)
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    requests: int = 0  # made, 304s included
    not_modified: int = 0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=self.timeout, transport=self.transport, follow_redirects=True)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str, params: dict | None = None, etag: str | None = None) -> httpx.Response:
        """One GET, waiting out rate limits and retrying server errors; 304 is returned, other errors raise ForgeError."""
        headers = {"If-None-Match": etag} if etag else {}
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = self.http.get(url, params=params, headers=headers)
            except httpx.TransportError as error:
                if attempt == MAX_RETRIES:
                    raise ForgeError(f"{self.base_url}: {error}") from None
                self._wait(min(2 ** attempt, 60), "network error")
                continue
            self.requests += 1
            wait = self._rate_limited(response)
            if wait is not None:
                if attempt == MAX_RETRIES:
                    raise ForgeError(f"{response.request.url}: still rate limited after {MAX_RETRIES} waits")
                self._wait(wait, "rate limit")
                continue
            if response.status_code >= 500 and attempt < MAX_RETRIES:
                self._wait(min(2 ** attempt, 60), f"server error {response.status_code}")
                continue
            if response.status_code == 304:
                self.not_modified += 1
                return response
            if response.status_code >= 400:
                raise ForgeError(f"{response.request.url.copy_with(query=None)}: HTTP {response.status_code} {_message(response)}")
            return response
        raise ForgeError(f"{url}: no answer")  # pragma: no cover

    def _rate_limited(self, response: httpx.Response) -> float | None:
        """Seconds to wait, or None when the response is not a rate-limit refusal."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        if headers.get("retry-after"):  # secondary limit (GitHub) or GitLab's 429
            try:
                return max(float(headers["retry-after"]), 1.0)
            except ValueError:
                return 60.0
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining == "0" and reset:
            return max(float(reset) - self.clock(), 0.0) + 1.0
        if response.status_code == 429 or "secondary rate limit" in response.text.lower():
            return 60.0  # GitHub: "wait at least one minute" when no header says how long
        return None

    def _wait(self, seconds: float, reason: str) -> None:
        seconds = min(seconds, MAX_WAIT)
        self.waits.waiting(seconds, self.clock() + seconds, reason)
        self.sleep(seconds)

    def pages(self, url: str, params: dict | None = None, etag: str | None = None) -> Iterator[tuple[list, httpx.Response]]:
        """Every page of a list, following rel="next"; a 304 on the first page yields nothing."""
        response = self.get(url, params=params, etag=etag)
        if response.status_code == 304:
            return
        while True:
            body = response.json()
            yield (body if isinstance(body, list) else [body]), response
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            response = self.get(following)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        text = body.get("message") or body.get("error") or ""
    except (ValueError, AttributeError):
        text = response.text[:200]
    return " ".join(str(text).split())[:200]


def token_from_environment(config: Config, forge: str) -> str | None:
    """[github] token_env / [gitlab] token_env names the variable; else the forge's usual ones."""
    section = config.section(forge)
    names = [section["token_env"]] if section.get("token_env") else list(GITHUB_TOKEN_ENVS if forge == "github" else GITLAB_TOKEN_ENVS)
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def github_client(config: Config, base_url: str | None = None, **options) -> ForgeClient:
    token = token_from_environment(config, "github")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "foundermode"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return ForgeClient(base_url or config.section("github").get("api_url") or GITHUB_API, headers, **options)


def gitlab_client(config: Config, base_url: str | None = None, **options) -> ForgeClient:
    token = token_from_environment(config, "gitlab")
    headers = {"User-Agent": "foundermode"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    return ForgeClient(base_url or config.section("gitlab").get("api_url") or GITLAB_API, headers, **options)


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fetched:
    data: ReviewData
    cursors: list[dict]
    unchanged: bool = False  # the pull request list answered 304


def fetch_github(client: ForgeClient, repo: RepoRef, cursor: dict | None, releases_cursor: dict | None = None) -> Fetched:
    """What changed in one repository since ``cursor`` (its ETag and newest updated_at):
    the pull requests, and for each its reviews, timeline and review comments."""
    base = f"/repos/{repo.name}"
    since = (cursor or {}).get("since")
    data = ReviewData()
    newest = since
    first_etag = None
    answered = False  # the first page came (a 304 yields nothing)
    changed = []
    stop = False
    params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": PER_PAGE}
    for items, response in client.pages(f"{base}/pulls", params, etag=(cursor or {}).get("etag")):
        if not answered:
            answered = True
            first_etag = response.headers.get("etag")
        for item in items:
            updated = timestamp(item.get("updated_at"))
            if since is not None and updated is not None and updated <= since:
                stop = True
                break
            pull = github_source.pull_of(item)
            data.pulls.append(pull)
            changed.append(pull.number)
            newest = max(newest or 0, updated or 0)
        client.waits.fetched(f"{len(changed)} pull requests")
        if stop:
            break
    key = cursor_key(repo, "pulls")
    if not answered:  # 304: nothing changed since the ETag
        return Fetched(data, [], unchanged=True)
    for number in changed:
        for items, _ in client.pages(f"{base}/pulls/{number}/reviews", {"per_page": PER_PAGE}):
            data.extend(github_source.parse_objects(items, f"{base}/pulls/{number}/reviews", repo=repo, number=number))
        for items, _ in client.pages(f"{base}/issues/{number}/timeline", {"per_page": PER_PAGE}):
            part = github_source.parse_objects(items, f"{base}/issues/{number}/timeline", repo=repo, number=number)
            part.reviews = []  # the reviews endpoint gave them, with the same ids
            data.extend(part)
        client.waits.fetched(f"reviews of #{number}")
    comment_params = {"per_page": PER_PAGE, "sort": "updated", "direction": "asc"}
    if since is not None:
        comment_params["since"] = iso(since)
    for items, _ in client.pages(f"{base}/pulls/comments", comment_params):
        data.extend(github_source.parse_objects(items, f"{base}/pulls/comments", repo=repo))
    cursors = [{"key": key, "repo": repo, "etag": first_etag, "since": newest}]
    release_etag = None
    for items, response in client.pages(f"{base}/releases", {"per_page": PER_PAGE}, etag=(releases_cursor or {}).get("etag")):
        release_etag = release_etag or response.headers.get("etag")
        data.extend(github_source.parse_objects(items, f"{base}/releases", repo=repo))
    if release_etag:
        cursors.append({"key": cursor_key(repo, "releases"), "repo": repo, "etag": release_etag, "since": None})
    return Fetched(data, cursors)


def fetch_gitlab(client: ForgeClient, repo: RepoRef, cursor: dict | None) -> Fetched:
    """One GitLab project's merge requests updated since the cursor, with their approvals and notes."""
    base = f"/projects/{quote(repo.name, safe='')}"
    since = (cursor or {}).get("since")
    params = {"state": "all", "order_by": "updated_at", "sort": "desc", "per_page": PER_PAGE}
    if since is not None:
        params["updated_after"] = iso(since)
    data = ReviewData()
    newest = since
    objects = []
    for items, _response in client.pages(f"{base}/merge_requests", params):
        objects.extend(items)
        client.waits.fetched(f"{len(objects)} merge requests")
    project_data = gitlab_source.parse_objects(objects, f"{base}/merge_requests")
    data.extend(project_data)
    for pull in project_data.pulls:
        newest = max(newest or 0, pull.updated_at)
        for items, _ in client.pages(f"{base}/merge_requests/{pull.number}/notes", {"per_page": PER_PAGE, "sort": "asc"}):
            data.extend(gitlab_source.parse_objects(items, "notes", repo=pull.repo, number=pull.number))
        response = client.get(f"{base}/merge_requests/{pull.number}/approvals")
        data.extend(gitlab_source.parse_objects([response.json()], "approvals", repo=pull.repo, number=pull.number))
    return Fetched(data, [{"key": cursor_key(repo, "merge_requests"), "repo": repo, "etag": None, "since": newest}])


def cursor_key(repo: RepoRef, endpoint: str) -> str:
    return f"{repo.forge}:{repo.host}:{repo.name}:{endpoint}"
