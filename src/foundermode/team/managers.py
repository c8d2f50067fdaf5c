"""Managers with no technical footprint in the window.

A manager is anyone with reports in the org chart. No footprint means no
commits, no co-authored commits, no surviving lines (ownership) and no code
review given (pull requests, when the forge's were ingested) in scope.
That is a fact about git and the forge, not about the job: the wording says so.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import queries
from .queries import Scope
from ..store.schema_reviews import pull_requests
from .reviews import reviews_in_scope

CANNOT_SHOW = "Git cannot show management work: hiring, 1:1s, planning, code review, design."
CANNOT_SHOW_WITH_REVIEWS = "Git and code review cannot show management work: hiring, 1:1s, planning, design."


@dataclass
class ReportOutput:
    person_id: int
    name: str
    commits: int
    lines_added: int


@dataclass
class Manager:
    person_id: int
    name: str
    email: str | None
    team: str | None
    title: str | None
    reports: list[ReportOutput]
    reports_commits: int
    reports_share_of_commits: float  # of all counted commits in scope
    reports_share_of_lines: float
    note: str = CANNOT_SHOW


def managers_without_footprint(
    people: dict[int, dict],
    reports: dict[int, list[int]],
    activity: dict[int, dict],
    coauthored: dict[int, int],
    owned: dict[int, int],
    reviewed: dict[int, int] | None = None,
) -> list[Manager]:
    """``reviewed``: reviews each person gave (team/reviews.py); None when no pull requests were ingested."""
    total_commits = sum(a["commits"] for p, a in activity.items() if not people.get(p, {}).get("is_bot"))
    total_lines = sum(int(a["added"]) for p, a in activity.items() if not people.get(p, {}).get("is_bot"))
    out = []
    for manager_id, report_ids in reports.items():
        if activity.get(manager_id, {}).get("commits") or coauthored.get(manager_id) or owned.get(manager_id) or (reviewed or {}).get(manager_id):
            continue
        manager = people[manager_id]
        rows = [
            ReportOutput(r, people[r]["name"], activity.get(r, {}).get("commits", 0), int(activity.get(r, {}).get("added", 0)))
            for r in report_ids
        ]
        commits = sum(r.commits for r in rows)
        lines = sum(r.lines_added for r in rows)
        out.append(
            Manager(
                person_id=manager_id,
                name=manager["name"],
                email=manager["email"],
                team=manager["team"],
                title=manager["title"],
                reports=sorted(rows, key=lambda r: (-r.commits, r.name)),
                reports_commits=commits,
                reports_share_of_commits=commits / total_commits if total_commits else 0.0,
                reports_share_of_lines=lines / total_lines if total_lines else 0.0,
                note=CANNOT_SHOW if reviewed is None else CANNOT_SHOW_WITH_REVIEWS,
            )
        )
    out.sort(key=lambda m: (-len(m.reports), m.name))
    return out


def read_managers(conn, scope: Scope) -> list[Manager]:
    # The team filter applies to the managers listed, not to whose output counts in the shares.
    everyone = Scope(scope.since, scope.until, scope.repo_ids, None)
    people = queries.people_rows(conn)
    found = managers_without_footprint(
        people,
        queries.reports_of(conn),
        queries.activity_by_person(conn, everyone),
        queries.coauthored_by_person(conn, everyone),
        queries.surviving_lines(conn, scope.repo_ids)[0],
        _reviews(conn, everyone),
    )
    return [m for m in found if scope.team is None or m.team == scope.team]


def _reviews(conn, scope: Scope) -> dict[int, int] | None:
    """Code review given in scope, or None when no pull request was ingested (git alone cannot tell)."""
    if conn.execute(pull_requests.select().limit(1)).first() is None:
        return None
    return reviews_in_scope(conn, scope.since, scope.until, scope.repo_ids)
