"""GitHub's REST payloads and ``gh pr list --json`` output -> review records.

Each object is recognised by its own fields, so one folder may mix every endpoint:
  pulls        GET /repos/{o}/{r}/pulls            (number, head, base)
  reviews      GET /repos/{o}/{r}/pulls/{n}/reviews (pull_request_url, submitted_at, state)
  review comments  GET /repos/{o}/{r}/pulls/comments (pull_request_review_id, diff_hunk)
  issue comments   GET /repos/{o}/{r}/issues/comments (issue_url, no number)
  timeline     GET /repos/{o}/{r}/issues/{n}/timeline (event); the items do not all say which
               pull request they belong to, so the number comes from the caller (the API
               client knows it; an export file names it: ``timeline-12.json``, ``pr-12-timeline.json``)
  releases     GET /repos/{o}/{r}/releases (tag_name); deployments (environment, statuses_url)
  gh pr list --json ... (camelCase: createdAt, mergedAt, reviews, reviewRequests, commits)
Schema: https://docs.github.com/en/rest/pulls?apiVersion=2022-11-28 and the GitHub CLI manual.
"""
from __future__ import annotations

import re

from .pulls import (
    CommentRecord,
    DeploymentRecord,
    EventRecord,
    ExportError,
    Login,
    PullRecord,
    RepoRef,
    ReviewData,
    ReviewRecord,
    timestamp,
)

FORGE = "github"
_API_URL = re.compile(r"^https?://(?P<host>[^/]+)(?:/api/v3)?/repos/(?P<repo>[^/]+/[^/]+)/(?P<rest>.*)$")
_WEB_URL = re.compile(r"^https?://(?P<host>[^/]+)/(?P<repo>[^/]+/[^/]+)/pull/(?P<number>\d+)")
_NUMBER_AT_END = re.compile(r"/(?:issues|pulls)/(\d+)(?:/|$)")
REVIEW_STATES = {"APPROVED": "approved", "CHANGES_REQUESTED": "changes_requested", "COMMENTED": "commented", "DISMISSED": "dismissed"}
TIMELINE_KINDS = {"ready_for_review", "convert_to_draft", "review_requested", "review_request_removed", "merged", "closed", "reopened"}


def web_host(host: str) -> str:
    """api.github.com and github.com are one place; a GitHub Enterprise host is its own."""
    host = host.lower()
    return "github.com" if host in ("api.github.com", "www.github.com") else host


def repo_from_url(url: str | None) -> tuple[RepoRef, str] | None:
    """(repository, the path after it) from an API or web URL."""
    if not url:
        return None
    match = _API_URL.match(url)
    if match:
        return RepoRef(FORGE, web_host(match["host"]), match["repo"].lower()), match["rest"]
    match = _WEB_URL.match(url)
    if match:
        return RepoRef(FORGE, web_host(match["host"]), match["repo"].lower()), f"pulls/{match['number']}"
    return None


def login_of(user) -> Login | None:
    """A REST user object ({login, type}) or gh's author object ({login, name, is_bot})."""
    if not isinstance(user, dict) or not user.get("login"):
        return None
    login = str(user["login"])
    is_bot = user.get("type") == "Bot" or bool(user.get("is_bot")) or login.endswith("[bot]")
    return Login(FORGE, login.lower(), (user.get("name") or None), is_bot)


def _number(url: str | None) -> int | None:
    found = _NUMBER_AT_END.search(url or "")
    return int(found.group(1)) if found else None


def parse_objects(objects: list[dict], name: str = "export", repo: RepoRef | None = None, number: int | None = None) -> ReviewData:
    """Records from REST objects of any of the endpoints above (``repo`` and ``number``
    for timeline items, which do not all carry them)."""
    data = ReviewData()
    for index, item in enumerate(objects):
        try:
            _parse_one(item, data, repo, number)
        except (KeyError, TypeError, ValueError) as error:
            raise ExportError(f"{name}: object {index + 1}: {error}") from None
    return data


def _parse_one(item: dict, data: ReviewData, repo: RepoRef | None, number: int | None) -> None:
    if "event" in item:
        _timeline_item(item, data, repo, number)
    elif "createdAt" in item and "number" in item:
        _gh_pull(item, data, repo)
    elif "number" in item and "head" in item and "base" in item:
        data.pulls.append(pull_of(item))
    elif "pull_request_url" in item and ("diff_hunk" in item or "pull_request_review_id" in item):
        where, rest = _require_repo(item.get("pull_request_url"), repo)
        data.comments.append(
            CommentRecord(where, _require_number(item["pull_request_url"]), str(item["id"]), "review", login_of(item.get("user")), timestamp(item["created_at"]))
        )
    elif "pull_request_url" in item and "state" in item:
        review = review_of(item, repo)
        if review is not None:
            data.reviews.append(review)
    elif "issue_url" in item and "number" not in item:
        where, _rest = _require_repo(item["issue_url"], repo)
        data.comments.append(CommentRecord(where, _require_number(item["issue_url"]), str(item["id"]), "issue", login_of(item.get("user")), timestamp(item["created_at"])))
    elif "tag_name" in item:
        where, _rest = _require_repo(item.get("url"), repo)
        at = timestamp(item.get("published_at") or item.get("created_at"))
        if at is not None and not item.get("draft"):
            data.deployments.append(DeploymentRecord(where, str(item["id"]), "release", at, item.get("tag_name"), None))
    elif "environment" in item and "sha" in item:
        where, _rest = _require_repo(item.get("url"), repo)
        data.deployments.append(DeploymentRecord(where, str(item["id"]), "deployment", timestamp(item["created_at"]), item.get("environment"), item.get("sha")))
    else:
        data.skipped += 1  # an issue, a commit, a check run: not review data


def _require_repo(url: str | None, repo: RepoRef | None) -> tuple[RepoRef, str]:
    found = repo_from_url(url)
    if found:
        return found
    if repo is not None:
        return repo, ""
    raise ValueError(f"cannot tell the repository from {url!r}")


def _require_number(url: str) -> int:
    value = _number(url)
    if value is None:
        raise ValueError(f"cannot tell the pull request number from {url!r}")
    return value


def pull_of(item: dict) -> PullRecord:
    """One object of GET /pulls (or GET /pulls/{n})."""
    found = repo_from_url(item.get("url")) or repo_from_url(item.get("html_url"))
    if not found:
        raise ValueError(f"cannot tell the repository of pull request {item.get('number')}")
    merged_at = timestamp(item.get("merged_at"))
    state = "merged" if merged_at else ("open" if item.get("state") == "open" else "closed")
    requested: list[Login | str] = [login for login in (login_of(u) for u in item.get("requested_reviewers") or []) if login]
    requested += [f"team:{t.get('slug') or t.get('name')}" for t in item.get("requested_teams") or [] if isinstance(t, dict)]
    return PullRecord(
        repo=found[0],
        number=int(item["number"]),
        title=str(item.get("title") or ""),
        author=login_of(item.get("user")),
        state=state,
        created_at=timestamp(item["created_at"]),
        updated_at=timestamp(item.get("updated_at") or item["created_at"]),
        external_id=str(item.get("id")) if item.get("id") is not None else None,
        is_draft=bool(item.get("draft")),
        closed_at=timestamp(item.get("closed_at")),
        merged_at=merged_at,
        merged_by=login_of(item.get("merged_by")),
        base_ref=(item.get("base") or {}).get("ref"),
        head_sha=(item.get("head") or {}).get("sha"),
        merge_sha=item.get("merge_commit_sha") if merged_at else None,
        url=item.get("html_url"),
        requested=requested if ("requested_reviewers" in item or "requested_teams" in item) else None,
    )


def review_of(item: dict, repo: RepoRef | None) -> ReviewRecord | None:
    """One object of GET /pulls/{n}/reviews, or a timeline 'reviewed' item. Pending reviews are drafts: None."""
    state = REVIEW_STATES.get(str(item.get("state", "")).upper())
    if state is None:
        return None
    url = item.get("pull_request_url") or ((item.get("_links") or {}).get("pull_request") or {}).get("href")
    where, _rest = _require_repo(url, repo)
    return ReviewRecord(where, _require_number(url), str(item["id"]), login_of(item.get("user")), state, timestamp(item.get("submitted_at")), item.get("commit_id"))


def _timeline_item(item: dict, data: ReviewData, repo: RepoRef | None, number: int | None) -> None:
    kind = item["event"]
    found = repo_from_url(item.get("url")) or repo_from_url(item.get("issue_url")) or repo_from_url(item.get("pull_request_url"))
    where = found[0] if found else repo
    number = _number(item.get("issue_url") or item.get("pull_request_url")) or number
    if kind == "reviewed":
        review = review_of(item, where)
        if review is not None:
            data.reviews.append(review)
        return
    if where is None or number is None:
        raise ValueError(f"a timeline '{kind}' item without its pull request: name the file after it (timeline-<number>.json)")
    if kind == "commented":
        data.comments.append(CommentRecord(where, number, str(item["id"]), "issue", login_of(item.get("user") or item.get("actor")), timestamp(item["created_at"])))
    elif kind == "committed":
        author = item.get("author") or {}
        at = timestamp(author.get("date") or (item.get("committer") or {}).get("date"))
        if at is not None:
            data.events.append(EventRecord(where, number, f"commit:{item.get('sha')}", "committed", at))
    elif kind in TIMELINE_KINDS:
        team = (item.get("requested_team") or {}).get("slug")
        data.events.append(
            EventRecord(where, number, str(item["id"]), kind, timestamp(item["created_at"]), login_of(item.get("actor")),
                        login_of(item.get("requested_reviewer")), team)
        )
    else:
        data.skipped += 1  # labelled, mentioned, cross-referenced...


def _gh_pull(item: dict, data: ReviewData, repo: RepoRef | None) -> None:
    """One object of ``gh pr list --json number,title,author,state,createdAt,...``: the fields asked for are there, others not."""
    found = repo_from_url(item.get("url"))
    where = found[0] if found else repo
    if where is None:
        raise ValueError("a `gh pr list` object needs its url field (or the repository named) to tell the repository")
    number = int(item["number"])
    merged_at = timestamp(item.get("mergedAt"))
    state = str(item.get("state") or "").upper()
    state = "merged" if (merged_at or state == "MERGED") else ("open" if state == "OPEN" else "closed")
    commits = [c for c in item.get("commits") or [] if isinstance(c, dict)]
    commit_times = [t for t in (timestamp(c.get("authoredDate")) for c in commits) if t is not None]
    requested = None
    if "reviewRequests" in item:
        requested = []
        for request in item.get("reviewRequests") or []:
            if request.get("__typename") == "Team" or ("slug" in request and "login" not in request):
                requested.append(f"team:{request.get('slug') or request.get('name')}")
            elif login_of(request):
                requested.append(login_of(request))
    checks = None
    rollup = item.get("statusCheckRollup")
    if isinstance(rollup, list) and rollup:
        states = {str(c.get("conclusion") or c.get("state") or c.get("status") or "").upper() for c in rollup if isinstance(c, dict)}
        checks = "failure" if states & {"FAILURE", "ERROR", "TIMED_OUT", "CANCELLED", "ACTION_REQUIRED"} else (
            "pending" if states & {"PENDING", "IN_PROGRESS", "QUEUED", "EXPECTED", ""} else "success")
    created = timestamp(item["createdAt"])
    data.pulls.append(
        PullRecord(
            repo=where, number=number, title=str(item.get("title") or ""), author=login_of(item.get("author")), state=state,
            created_at=created, updated_at=timestamp(item.get("updatedAt")) or created, external_id=item.get("id"),
            is_draft=bool(item.get("isDraft")), closed_at=timestamp(item.get("closedAt")), merged_at=merged_at,
            merged_by=login_of(item.get("mergedBy")), base_ref=item.get("baseRefName"), head_sha=item.get("headRefOid"),
            merge_sha=(item.get("mergeCommit") or {}).get("oid") if isinstance(item.get("mergeCommit"), dict) else None,
            url=item.get("url"), first_commit_at=min(commit_times) if commit_times else None, checks=checks, requested=requested,
        )
    )
    for review in item.get("reviews") or []:
        state = REVIEW_STATES.get(str(review.get("state", "")).upper())
        if state and review.get("id"):
            data.reviews.append(ReviewRecord(where, number, str(review["id"]), login_of(review.get("author")), state, timestamp(review.get("submittedAt"))))
    for comment in item.get("comments") or []:
        if comment.get("id") and comment.get("createdAt"):
            data.comments.append(CommentRecord(where, number, str(comment["id"]), "issue", login_of(comment.get("author")), timestamp(comment["createdAt"])))


_TIMELINE_FILE = re.compile(r"(\d+)\D*timeline|timeline\D*(\d+)", re.IGNORECASE)


def number_from_file_name(name: str) -> int | None:
    """timeline-12.json, pr-12-timeline.json, 12.timeline.json -> 12."""
    match = _TIMELINE_FILE.search(name)
    return int(match.group(1) or match.group(2)) if match else None
