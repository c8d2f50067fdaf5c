"""GitLab's REST payloads (API v4, or ``glab api --paginate`` exports) -> review records.

  merge requests  GET /projects/:id/merge_requests          (iid, web_url .../-/merge_requests/N)
  approvals       GET /projects/:id/merge_requests/:iid/approvals (approved_by)
  notes           GET /projects/:id/merge_requests/:iid/notes  (noteable_type MergeRequest)
System notes are GitLab's timeline: "approved this merge request", "requested review
from @a and @b", "marked this merge request as **ready**", "requested changes",
"removed review request for @a". Notes and approvals name the project by its id:
the merge requests read with them (or ``--repo``) give its path.
Schema: https://docs.gitlab.com/api/merge_requests/ , /api/merge_request_approvals/ , /api/notes/
"""
from __future__ import annotations

import re

from .pulls import CommentRecord, EventRecord, ExportError, Login, PullRecord, RepoRef, ReviewData, ReviewRecord, timestamp

FORGE = "gitlab"
_MR_URL = re.compile(r"^https?://(?P<host>[^/]+)/(?P<path>.+?)/-/merge_requests/(?P<iid>\d+)")
_MENTION = re.compile(r"@([A-Za-z0-9_.][A-Za-z0-9_.-]*)")
_FILE_NUMBER = re.compile(r"(?:merge_requests|mr|notes|approvals)\D*(\d+)|(\d+)\D*(?:notes|approvals)", re.IGNORECASE)


def login_of(user) -> Login | None:
    if not isinstance(user, dict) or not user.get("username"):
        return None
    username = str(user["username"])
    is_bot = bool(user.get("bot")) or username.endswith("-bot") or username.startswith(("project_", "group_")) and "_bot" in username
    return Login(FORGE, username.lower(), user.get("name") or None, is_bot)


def projects_of(objects: list[dict]) -> dict[int, RepoRef]:
    """project_id -> path, from the merge requests among ``objects`` (notes and approvals name their project by id only)."""
    projects: dict[int, RepoRef] = {}
    for item in objects:
        found = _MR_URL.match(str(item.get("web_url") or "")) if "iid" in item else None
        if found and item.get("project_id") is not None:
            projects[int(item["project_id"])] = RepoRef(FORGE, found["host"].lower(), found["path"].lower())
    return projects


def parse_objects(objects: list[dict], name: str = "export", repo: RepoRef | None = None, number: int | None = None,
                  projects: dict[int, RepoRef] | None = None) -> ReviewData:
    """``projects``: project ids already known (from the merge requests of other files of the same export)."""
    data = ReviewData()
    projects = {**(projects or {}), **projects_of(objects)}
    for index, item in enumerate(objects):
        try:
            _parse_one(item, data, projects, repo, number)
        except (KeyError, TypeError, ValueError) as error:
            raise ExportError(f"{name}: object {index + 1}: {error}") from None
    return data


def _project(item: dict, projects: dict[int, RepoRef], repo: RepoRef | None) -> RepoRef:
    found = projects.get(item.get("project_id")) if item.get("project_id") is not None else None
    if found or repo:
        return found or repo
    raise ValueError(f"cannot tell the project of this object (project_id {item.get('project_id')}): name the repository (group/project)")


def _parse_one(item: dict, data: ReviewData, projects, repo: RepoRef | None, number: int | None) -> None:
    if "iid" in item and "web_url" in item and "/-/merge_requests/" in str(item["web_url"]):
        data.pulls.append(merge_request_of(item))
    elif "approved_by" in item:
        where = _project(item, projects, repo)
        iid = int(item.get("iid") or number or 0)
        if not iid:
            raise ValueError("an approvals object without its merge request's iid")
        for entry in item.get("approved_by") or []:
            user = login_of((entry or {}).get("user"))
            if user:
                data.reviews.append(ReviewRecord(where, iid, f"approved:{iid}:{user.login}", user, "approved", None))
    elif "noteable_type" in item or ("body" in item and "system" in item):
        if item.get("noteable_type") not in (None, "MergeRequest"):
            data.skipped += 1
            return
        where = _project(item, projects, repo)
        iid = int(item.get("noteable_iid") or number or 0)
        if not iid:
            raise ValueError("a note without its merge request's iid (noteable_iid)")
        _note(item, data, where, iid)
    else:
        data.skipped += 1


def merge_request_of(item: dict) -> PullRecord:
    found = _MR_URL.match(str(item["web_url"]))
    where = RepoRef(FORGE, found["host"].lower(), found["path"].lower())
    merged_at = timestamp(item.get("merged_at"))
    state = {"opened": "open", "merged": "merged"}.get(item.get("state"), "closed")
    if state == "merged" and merged_at is None:
        merged_at = timestamp(item.get("updated_at"))  # older GitLab: merged without merged_at
    requested = [l for l in (login_of(r) for r in item.get("reviewers") or []) if l] if "reviewers" in item else None
    pipeline = (item.get("head_pipeline") or item.get("pipeline") or {}).get("status") if isinstance(item.get("head_pipeline") or item.get("pipeline"), dict) else None
    checks = {"success": "success", "failed": "failure", "canceled": "failure"}.get(pipeline, "pending" if pipeline else None)
    created = timestamp(item["created_at"])
    return PullRecord(
        repo=where, number=int(item["iid"]), title=str(item.get("title") or ""), author=login_of(item.get("author")), state=state,
        created_at=created, updated_at=timestamp(item.get("updated_at")) or created, external_id=str(item.get("id")),
        is_draft=bool(item.get("draft") or item.get("work_in_progress")), closed_at=timestamp(item.get("closed_at")) or (merged_at if state == "merged" else None),
        merged_at=merged_at, merged_by=login_of(item.get("merge_user") or item.get("merged_by")), base_ref=item.get("target_branch"),
        head_sha=item.get("sha"), merge_sha=item.get("merge_commit_sha") or item.get("squash_commit_sha"), url=item.get("web_url"),
        checks=checks, requested=requested,
    )


def _note(item: dict, data: ReviewData, where: RepoRef, iid: int) -> None:
    author = login_of(item.get("author"))
    at = timestamp(item["created_at"])
    note_id = str(item["id"])
    if not item.get("system"):
        kind = "review" if item.get("type") == "DiffNote" else "note"
        data.comments.append(CommentRecord(where, iid, note_id, kind, author, at))
        return
    body = str(item.get("body") or "").strip()
    lowered = body.lower()
    if lowered.startswith("approved this merge request"):
        data.reviews.append(ReviewRecord(where, iid, f"approved:{iid}:{author.login if author else note_id}", author, "approved", at))
    elif lowered.startswith("unapproved this merge request"):
        data.reviews.append(ReviewRecord(where, iid, f"approved:{iid}:{author.login if author else note_id}", author, "dismissed", at))
    elif lowered.startswith("requested changes"):
        data.reviews.append(ReviewRecord(where, iid, f"note:{note_id}", author, "changes_requested", at))
    elif lowered.startswith("requested review from"):
        for position, login in enumerate(_MENTION.findall(body)):
            data.events.append(EventRecord(where, iid, f"note:{note_id}:{position}", "review_requested", at, author, Login(FORGE, login.lower())))
    elif lowered.startswith("removed review request for"):
        for position, login in enumerate(_MENTION.findall(body)):
            data.events.append(EventRecord(where, iid, f"note:{note_id}:{position}", "review_request_removed", at, author, Login(FORGE, login.lower())))
    elif "marked this merge request as **ready**" in lowered or lowered.startswith("marked this merge request as ready"):
        data.events.append(EventRecord(where, iid, f"note:{note_id}", "ready_for_review", at, author))
    elif "marked this merge request as **draft**" in lowered or lowered.startswith("marked this merge request as draft"):
        data.events.append(EventRecord(where, iid, f"note:{note_id}", "convert_to_draft", at, author))
    elif lowered.startswith("added ") and " commit" in lowered:
        data.skipped += 1  # commit lists: the times are the push's, not the commits'
    else:
        data.skipped += 1


def number_from_file_name(name: str) -> int | None:
    """mr-12-notes.json, notes-12.json, 12-approvals.json -> 12."""
    match = _FILE_NUMBER.search(name)
    if not match:
        return None
    return int(match.group(1) or match.group(2))
