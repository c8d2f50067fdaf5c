"""Contribution profiles: what each person built in a window, and how it compares with the window before.

Who is profiled is the organisation's answer, not the commit log's
(``team_members``): with an org chart, its members who are here at the window's
end (people.py's tenure rule), with zero rows for those who made no commit;
without one, the people whose activity makes them current at the window's end.
Either way anyone whose work is in the window and who has left since is listed
too, marked departed. Git says what each of them did.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from . import queries
from .queries import Scope
from ..people import CURRENT, DEPARTED, roster
from ..sources import codeowners

MAIN_AREAS = 3


@dataclass
class Trend:
    previous_commits: int
    previous_added: int
    commits_change: float | None  # +0.25 = 25 % more than the previous window; None when it had nothing
    added_change: float | None


@dataclass
class Profile:
    person_id: int
    name: str
    email: str | None
    team: str | None
    commits: int
    active_days: int
    lines_added: int
    lines_removed: int
    files_touched: int
    coauthored_commits: int
    main_areas: list[str]
    surviving_lines: int | None  # None: no ownership computed
    codebase_share: float | None
    first_activity: int | None  # over all history in scope, not just the window
    last_activity: int | None
    trend: Trend
    status: str = "current"  # people.py's tenure status at the window's end
    role: str | None = None  # the org chart's role (engineer, manager, executive, other); None without one
    areas: list[dict] = field(default_factory=list)  # in depth only
    codeowners_areas: list[dict] = field(default_factory=list)


def change(now: int, before: int) -> float | None:
    return (now - before) / before if before else None


def build_profiles(
    people: dict[int, dict],
    activity: dict[int, dict],
    previous: dict[int, dict],
    files: dict[int, int],
    coauthored: dict[int, int],
    areas: list[tuple[int, str, int, int]],
    surviving: tuple[dict[int, int], int] | None,
    span: dict[int, dict],
    team: str | None = None,
    members: dict[int, str] | None = None,
) -> list[Profile]:
    """The ``members`` (person -> tenure status; default: everyone with a commit or a
    co-authorship in the window), bots never, busiest first."""
    by_person: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for person_id, area, _commits, lines in areas:
        by_person[person_id].append((area, lines))
    owned, total = surviving if surviving else ({}, 0)
    out = []
    statuses = members if members is not None else {p: "current" for p in set(activity) | set(coauthored)}
    for person_id, status in statuses.items():
        person = people.get(person_id)
        if person is None or person["is_bot"] or (team is not None and person["team"] != team):
            continue
        now = activity.get(person_id, {})
        before = previous.get(person_id, {})
        ranked = sorted(by_person.get(person_id, []), key=lambda item: (-item[1], item[0]))
        lines_owned = owned.get(person_id, 0) if surviving else None
        out.append(
            Profile(
                person_id=person_id,
                name=person["name"],
                email=person["email"],
                team=person["team"],
                commits=now.get("commits", 0),
                active_days=now.get("active_days", 0),
                lines_added=int(now.get("added", 0)),
                lines_removed=int(now.get("removed", 0)),
                files_touched=files.get(person_id, 0),
                coauthored_commits=coauthored.get(person_id, 0),
                main_areas=[area for area, _ in ranked[:MAIN_AREAS]],
                surviving_lines=lines_owned,
                codebase_share=(lines_owned / total if total else 0.0) if surviving else None,
                first_activity=span.get(person_id, {}).get("first"),
                last_activity=span.get(person_id, {}).get("last"),
                trend=Trend(
                    previous_commits=before.get("commits", 0),
                    previous_added=int(before.get("added", 0)),
                    commits_change=change(now.get("commits", 0), before.get("commits", 0)),
                    added_change=change(int(now.get("added", 0)), int(before.get("added", 0))),
                ),
                status=status,
                role=person.get("role") if person.get("in_org_chart") else None,
            )
        )
    out.sort(key=lambda p: (-p.commits, -p.lines_added, -(p.last_activity or 0), p.name))  # the most recently active first among equals
    return out


def team_members(conn, scope: Scope, config=None, worked: set[int] = frozenset(), everyone: bool = False) -> dict[int, str]:
    """person -> tenure status at the window's end: who is on the team for this window.

    The people current at the window's end (people.py: with an org chart, its
    members; without one, the recently active), and those with work in the window
    (``worked``) who have left since (departed; outside the org chart never).
    ``everyone``: also every other person who was ever here, with their status.
    Bots never; with ``scope.team``, that team's people only.
    """
    here = roster(conn, config, scope.until)
    out: dict[int, str] = {}
    for person_id, tenure in here.tenures.items():
        if tenure.is_bot or (scope.team is not None and tenure.team != scope.team):
            continue
        status = here.status(person_id)
        if status == CURRENT or (status == DEPARTED and (everyone or person_id in worked)):
            out[person_id] = status
        elif everyone and status != "bot" and (tenure.in_org_chart or tenure.first_activity is not None):
            out[person_id] = status  # not started, or outside the org chart
    return out


def read_profiles(conn, scope: Scope, person_id: int | None = None, config=None, everyone: bool = False) -> list[Profile]:
    """The window's profiles (``team_members``) from the store: a handful of GROUP BY queries, no commit loaded.

    With ``person_id``, only that person's (the others' figures are not read; the
    codebase share still divides by everyone's surviving lines)."""
    has_own = queries.has_ownership(conn, scope.repo_ids)
    activity = queries.activity_by_person(conn, scope, person_id)
    coauthored = queries.coauthored_by_person(conn, scope, person_id)
    members = team_members(conn, scope, config, set(activity) | set(coauthored), everyone)
    if person_id is not None:
        members = {p: s for p, s in members.items() if p == person_id}
    return build_profiles(
        people=queries.people_rows(conn),
        activity=activity,
        previous=queries.activity_by_person(conn, scope.previous(), person_id),
        files=queries.files_touched_by_person(conn, scope, person_id),
        coauthored=coauthored,
        areas=queries.areas_by_person(conn, scope, person_id),
        surviving=queries.surviving_lines(conn, scope.repo_ids) if has_own else None,
        span=queries.first_last_by_person(conn, scope, person_id),
        team=scope.team,
        members=members,
    )


def read_profile(conn, scope: Scope, person_id: int, config=None) -> Profile:
    """One person in depth: also every directory and CODEOWNERS team they worked in."""
    found = [p for p in read_profiles(conn, scope, person_id, config, everyone=True) if p.person_id == person_id]
    if found:
        profile = found[0]
    else:
        person = queries.people_rows(conn)[person_id]
        span = queries.first_last_by_person(conn, scope, person_id).get(person_id, {})
        surviving = queries.surviving_lines(conn, scope.repo_ids) if queries.has_ownership(conn, scope.repo_ids) else None
        before = queries.activity_by_person(conn, scope.previous(), person_id).get(person_id, {})
        profile = Profile(
            person_id, person["name"], person["email"], person["team"], 0, 0, 0, 0, 0, 0, [],
            surviving[0].get(person_id, 0) if surviving else None,
            (surviving[0].get(person_id, 0) / surviving[1] if surviving[1] else 0.0) if surviving else None,
            span.get("first"), span.get("last"),
            Trend(before.get("commits", 0), int(before.get("added", 0)), change(0, before.get("commits", 0)), change(0, int(before.get("added", 0)))),
        )
    areas = queries.areas_by_person(conn, scope, person_id)
    profile.areas = [{"area": a, "commits": c, "lines_changed": int(n)} for _p, a, c, n in sorted(areas, key=lambda r: (-r[3], r[1]))]
    by_owner: dict[str, int] = defaultdict(int)
    rules_by_repo: dict[int, codeowners.CodeOwners] = {}
    for repo_id, path, lines in queries.lines_by_path(conn, scope, person_id):
        rules = rules_by_repo.get(repo_id)
        if rules is None:
            rules = rules_by_repo[repo_id] = codeowners.load(conn, repo_id)
        if rules.rules:
            owners = rules.owners_for(path)
            by_owner[" ".join(owners) if owners else "(no owner)"] += int(lines or 0)
    profile.codeowners_areas = [{"owners": o, "lines_changed": n} for o, n in sorted(by_owner.items(), key=lambda kv: (-kv[1], kv[0]))]
    return profile


# What the People page and GET /api/people filter by (status), beside the window's people (None).
PEOPLE_STATUSES = ("current", "departed", "all")


def find_people(found: list[Profile], text: str | None = None, status: str | None = None) -> list[Profile]:
    """Profiles whose name, email or team contains ``text`` (case ignored),
    with ``status`` current or departed (people.py's tenure at the window's end), or all."""
    if status not in (None, *PEOPLE_STATUSES):
        raise ValueError(f"status must be one of {', '.join(PEOPLE_STATUSES)} (got {status!r})")
    needle = " ".join((text or "").split()).casefold()
    out = []
    for p in found:
        if status in ("current", "departed") and p.status != status:
            continue
        if needle and not any(needle in (value or "").casefold() for value in (p.name, p.email, p.team)):
            continue
        out.append(p)
    return out
