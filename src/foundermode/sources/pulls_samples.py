"""GitHub REST payloads built to GitHub's documented schema, for tests, benchmarks and a loopback forge.

The shapes follow https://docs.github.com/en/rest?apiVersion=2022-11-28 field for field
(the "pull-request-simple" items of GET /repos/{o}/{r}/pulls, the "pull-request-review"
items of GET /pulls/{n}/reviews, "pull-request-review-comment" of GET /pulls/comments,
"issue-comment", and the timeline-issue-events of GET /issues/{n}/timeline:
review_requested, ready_for_review, reviewed (its state in lower case, as the timeline
sends it), committed, commented). Every object carries the URLs GitHub sends, under
``api`` (default https://api.github.com) and ``web`` (https://github.com).
Nothing here reads the store; a real export of the same endpoints parses the same way.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

API = "https://api.github.com"
WEB = "https://github.com"


def iso(epoch: int | None) -> str | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(*parts) -> int:
    return int(hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=6).hexdigest(), 16)


def _sha(*parts) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def user(login: str, api: str = API, web: str = WEB, bot: bool = False) -> dict:
    """A "simple-user"."""
    uid = _id("user", login)
    return {
        "login": login, "id": uid, "node_id": f"MDQ6VXNlcj{uid}", "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "", "url": f"{api}/users/{login}", "html_url": f"{web}/{login}", "followers_url": f"{api}/users/{login}/followers",
        "following_url": f"{api}/users/{login}/following{{/other_user}}", "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{api}/users/{login}/subscriptions",
        "organizations_url": f"{api}/users/{login}/orgs", "repos_url": f"{api}/users/{login}/repos",
        "events_url": f"{api}/users/{login}/events{{/privacy}}", "received_events_url": f"{api}/users/{login}/received_events",
        "type": "Bot" if bot else "User", "site_admin": False,
    }


def team(slug: str, org: str, api: str = API, web: str = WEB) -> dict:
    tid = _id("team", org, slug)
    return {"id": tid, "node_id": f"MDQ6VGVhbT{tid}", "url": f"{api}/orgs/{org}/teams/{slug}", "html_url": f"{web}/orgs/{org}/teams/{slug}",
            "name": slug.replace("-", " ").title(), "slug": slug, "description": None, "privacy": "closed", "notification_setting": "notifications_enabled",
            "permission": "pull", "members_url": f"{api}/orgs/{org}/teams/{slug}/members{{/member}}", "repositories_url": f"{api}/orgs/{org}/teams/{slug}/repos", "parent": None}


def _repo(repo: str, api: str, web: str) -> dict:
    owner = repo.split("/")[0]
    rid = _id("repo", repo)
    return {"id": rid, "node_id": f"MDEwOlJlcG9zaXRvcnk{rid}", "name": repo.split("/")[1], "full_name": repo, "private": False,
            "owner": user(owner, api, web), "html_url": f"{web}/{repo}", "description": None, "fork": False, "url": f"{api}/repos/{repo}",
            "default_branch": "main"}


def pull(repo: str, number: int, author: str, created: int, updated: int | None = None, merged: int | None = None,
         closed: int | None = None, title: str | None = None, draft: bool = False, requested: list[str] = (), requested_teams: list[str] = (),
         api: str = API, web: str = WEB) -> dict:
    """One item of GET /repos/{owner}/{repo}/pulls ("pull-request-simple"): closed when ``closed`` or ``merged`` is given (merged: closed with merged_at)."""
    base_url = f"{api}/repos/{repo}"
    pid = _id("pull", repo, number)
    head_sha = _sha("head", repo, number)
    closed = closed if closed is not None else merged
    return {
        "url": f"{base_url}/pulls/{number}", "id": pid, "node_id": f"MDExOlB1bGxSZXF1ZXN0{pid}", "html_url": f"{web}/{repo}/pull/{number}",
        "diff_url": f"{web}/{repo}/pull/{number}.diff", "patch_url": f"{web}/{repo}/pull/{number}.patch", "issue_url": f"{base_url}/issues/{number}",
        "commits_url": f"{base_url}/pulls/{number}/commits", "review_comments_url": f"{base_url}/pulls/{number}/comments",
        "review_comment_url": f"{base_url}/pulls/comments{{/number}}", "comments_url": f"{base_url}/issues/{number}/comments",
        "statuses_url": f"{base_url}/statuses/{head_sha}", "number": number, "state": "closed" if (merged or closed) else "open",
        "locked": False, "title": title or f"Change {number}", "user": user(author, api, web), "body": None, "labels": [], "milestone": None,
        "active_lock_reason": None, "created_at": iso(created), "updated_at": iso(updated or merged or closed or created), "closed_at": iso(closed),
        "merged_at": iso(merged), "merge_commit_sha": _sha("merge", repo, number), "assignee": None, "assignees": [],
        "requested_reviewers": [user(r, api, web) for r in requested], "requested_teams": [team(t, repo.split("/")[0], api, web) for t in requested_teams],
        "head": {"label": f"{author}:change-{number}", "ref": f"change-{number}", "sha": head_sha, "user": user(author, api, web), "repo": _repo(repo, api, web)},
        "base": {"label": f"{repo.split('/')[0]}:main", "ref": "main", "sha": _sha("base", repo, number), "user": user(repo.split("/")[0], api, web), "repo": _repo(repo, api, web)},
        "_links": {"self": {"href": f"{base_url}/pulls/{number}"}, "html": {"href": f"{web}/{repo}/pull/{number}"},
                   "issue": {"href": f"{base_url}/issues/{number}"}, "comments": {"href": f"{base_url}/issues/{number}/comments"},
                   "review_comments": {"href": f"{base_url}/pulls/{number}/comments"}, "review_comment": {"href": f"{base_url}/pulls/comments{{/number}}"},
                   "commits": {"href": f"{base_url}/pulls/{number}/commits"}, "statuses": {"href": f"{base_url}/statuses/{head_sha}"}},
        "author_association": "MEMBER", "auto_merge": None, "draft": draft,
    }


def review(repo: str, number: int, reviewer: str, state: str, submitted: int, index: int = 0, api: str = API, web: str = WEB) -> dict:
    """One item of GET /pulls/{n}/reviews: state APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING (no submitted_at)."""
    rid = _id("review", repo, number, reviewer, index, submitted)
    item = {
        "id": rid, "node_id": f"MDE3OlB1bGxSZXF1ZXN0UmV2aWV3{rid}", "user": user(reviewer, api, web), "body": "", "state": state,
        "html_url": f"{web}/{repo}/pull/{number}#pullrequestreview-{rid}", "pull_request_url": f"{api}/repos/{repo}/pulls/{number}",
        "_links": {"html": {"href": f"{web}/{repo}/pull/{number}#pullrequestreview-{rid}"}, "pull_request": {"href": f"{api}/repos/{repo}/pulls/{number}"}},
        "submitted_at": iso(submitted), "commit_id": _sha("head", repo, number), "author_association": "MEMBER",
    }
    if state == "PENDING":
        del item["submitted_at"]
    return item


def review_comment(repo: str, number: int, author: str, created: int, review_id: int | None = None, api: str = API, web: str = WEB) -> dict:
    """One item of GET /repos/{o}/{r}/pulls/comments."""
    cid = _id("review-comment", repo, number, author, created)
    return {
        "url": f"{api}/repos/{repo}/pulls/comments/{cid}", "pull_request_review_id": review_id, "id": cid, "node_id": f"MDI0OlB1bGxSZXF1ZXN0UmV2aWV3Q29tbWVudD{cid}",
        "diff_hunk": "@@ -16,33 +16,40 @@ public class Connection", "path": "src/app.py", "position": 1, "original_position": 4,
        "commit_id": _sha("head", repo, number), "original_commit_id": _sha("head", repo, number), "in_reply_to_id": None, "user": user(author, api, web),
        "body": "Great stuff!", "created_at": iso(created), "updated_at": iso(created), "html_url": f"{web}/{repo}/pull/{number}#discussion-diff-{cid}",
        "pull_request_url": f"{api}/repos/{repo}/pulls/{number}", "author_association": "MEMBER",
        "_links": {"self": {"href": f"{api}/repos/{repo}/pulls/comments/{cid}"}, "html": {"href": f"{web}/{repo}/pull/{number}#discussion-diff-{cid}"},
                   "pull_request": {"href": f"{api}/repos/{repo}/pulls/{number}"}},
        "start_line": None, "original_start_line": None, "start_side": None, "line": 2, "original_line": 2, "side": "RIGHT",
    }


def issue_comment(repo: str, number: int, author: str, created: int, api: str = API, web: str = WEB) -> dict:
    """One item of GET /repos/{o}/{r}/issues/comments."""
    cid = _id("issue-comment", repo, number, author, created)
    return {
        "url": f"{api}/repos/{repo}/issues/comments/{cid}", "html_url": f"{web}/{repo}/pull/{number}#issuecomment-{cid}",
        "issue_url": f"{api}/repos/{repo}/issues/{number}", "id": cid, "node_id": f"MDEyOklzc3VlQ29tbWVudD{cid}", "user": user(author, api, web),
        "created_at": iso(created), "updated_at": iso(created), "author_association": "MEMBER", "body": "Me too", "performed_via_github_app": None,
    }


def _event(repo: str, number: int, kind: str, actor: str, at: int, api: str, web: str) -> dict:
    eid = _id("event", repo, number, kind, actor, at)
    return {"id": eid, "node_id": f"MDEwOklzc3VlRXZlbnQ{eid}", "url": f"{api}/repos/{repo}/issues/events/{eid}", "actor": user(actor, api, web),
            "event": kind, "commit_id": None, "commit_url": None, "created_at": iso(at), "performed_via_github_app": None}


def timeline_review_requested(repo: str, number: int, actor: str, reviewer: str | None, at: int, team_slug: str | None = None, api: str = API, web: str = WEB) -> dict:
    item = _event(repo, number, "review_requested", actor, at, api, web)
    item["review_requester"] = user(actor, api, web)
    if reviewer:
        item["requested_reviewer"] = user(reviewer, api, web)
    if team_slug:
        item["requested_team"] = team(team_slug, repo.split("/")[0], api, web)
    return item


def timeline_ready(repo: str, number: int, actor: str, at: int, api: str = API, web: str = WEB) -> dict:
    return _event(repo, number, "ready_for_review", actor, at, api, web)


def timeline_reviewed(repo: str, number: int, reviewer: str, state: str, at: int, index: int = 0, api: str = API, web: str = WEB) -> dict:
    """The timeline's copy of a review: the same id as the reviews endpoint's, its state in lower case."""
    body = review(repo, number, reviewer, state, at, index, api, web)
    return {"id": body["id"], "node_id": body["node_id"], "url": None, "actor": None, "event": "reviewed", "user": body["user"], "body": "",
            "commit_id": body["commit_id"], "submitted_at": body["submitted_at"], "state": state.lower(), "html_url": body["html_url"],
            "pull_request_url": body["pull_request_url"], "author_association": "MEMBER", "_links": body["_links"]}


def timeline_committed(repo: str, number: int, author: str, at: int, api: str = API, web: str = WEB) -> dict:
    sha = _sha("commit", repo, number, author, at)
    person = {"name": author.title(), "email": f"{author}@example.com", "date": iso(at)}
    return {"sha": sha, "node_id": f"MDY6Q29tbWl0{sha[:10]}", "url": f"{api}/repos/{repo}/git/commits/{sha}", "html_url": f"{web}/{repo}/commit/{sha}",
            "author": person, "committer": person, "tree": {"sha": _sha("tree", sha), "url": f"{api}/repos/{repo}/git/trees/{sha}"},
            "message": "work", "parents": [], "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None}, "event": "committed"}


def timeline_commented(repo: str, number: int, author: str, at: int, api: str = API, web: str = WEB) -> dict:
    body = issue_comment(repo, number, author, at, api, web)
    return {**body, "event": "commented", "actor": body["user"]}


def release(repo: str, tag: str, published: int, api: str = API, web: str = WEB) -> dict:
    rid = _id("release", repo, tag)
    return {"url": f"{api}/repos/{repo}/releases/{rid}", "html_url": f"{web}/{repo}/releases/tag/{tag}", "id": rid, "node_id": f"MDc6UmVsZWFzZT{rid}",
            "tag_name": tag, "target_commitish": "main", "name": tag, "draft": False, "prerelease": False, "created_at": iso(published),
            "published_at": iso(published), "author": user("releaser", api, web), "assets": []}


def write_pages(path: Path, objects: list[dict], page_size: int = 100) -> Path:
    """Objects as ``gh api --paginate`` writes them: one JSON array per page, one after another."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for start in range(0, max(len(objects), 1), page_size):
            handle.write(json.dumps(objects[start : start + page_size]))
    return path
