"""A fictional organisation drawn around a real history's authors.

The people who wrote the code stay themselves (their names and addresses from
git, so every commit stays theirs); around them the demo invents what a git
history cannot show: teams, managers without commits, a leader, and the
non-engineering staff who fill an all-hands.
"""
from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select

from ..brief.activity import AreaMap
from ..store.queries import counted_commit
from ..store.schema import commits, file_changes, people

DOMAIN = "northwind.example"  # RFC 2606: reserved, never a real mailbox
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
MAX_ENGINEERS = 12
MAX_RECENT_EXTRA = 4
RECENT_DAYS = 56
TEAM_NAMES = ["Platform", "Product", "Data", "Infrastructure"]
LEADER = ("Alex Morgan", "CEO")
MANAGERS = ["Jordan Lee", "Sam Rivera", "Priya Natarajan", "Chris Okafor"]
STAFF = [
    ("Taylor Brooks", "Product Manager"),
    ("Robin Chen", "Product Designer"),
    ("Dana Whitfield", "Head of Sales"),
    ("Casey Kim", "Account Executive"),
    ("Jamie Fox", "Operations Lead"),
    ("Riley Park", "Recruiter"),
    ("Avery Stone", "Customer Success Lead"),
    ("Quinn Harper", "Finance Manager"),
]


@dataclass
class Member:
    name: str
    email: str
    title: str
    team: str
    role: str  # engineer, manager, executive, other
    manager_email: str = ""
    commits: int = 0
    last_commit: int | None = None
    area: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


@dataclass
class Organisation:
    leader: Member
    managers: list[Member]
    engineers: list[Member]
    staff: list[Member]
    teams: dict[str, list[Member]]  # team -> engineers

    @property
    def everyone(self) -> list[Member]:
        return [self.leader, *self.managers, *self.engineers, *self.staff]

    def manager_of(self, team: str) -> Member:
        return next(m for m in self.managers if m.team == team)

    def staff_titled(self, title: str) -> Member:
        return next(s for s in self.staff if s.title == title)


def _email_of(name: str) -> str:
    return ".".join("".join(ch for ch in part.lower() if ch.isalnum()) for part in name.split()) + "@" + DOMAIN


def _staff(leader: Member) -> list[Member]:
    return [Member(name, _email_of(name), title, "Business" if "Product" not in title else "Product", "other", manager_email=leader.email) for name, title in STAFF]


def real_authors(conn: Connection, last_commit: int) -> list[Member]:
    """The history's people, most commits first, with their main area of the code."""
    activity = conn.execute(
        select(commits.c.author_id, func.count(), func.max(commits.c.authored_at))
        .join(people, people.c.id == commits.c.author_id)
        .where(counted_commit())  # the one rule (store.queries)
        .group_by(commits.c.author_id)
    ).all()
    rows = {r.id: r for r in conn.execute(select(people.c.id, people.c.name, people.c.email))}
    areas = AreaMap.load(conn)
    main_area: dict[int, Counter] = defaultdict(Counter)
    for author_id, repo_id, path, count in conn.execute(
        select(commits.c.author_id, commits.c.repo_id, file_changes.c.path, func.count())
        .join(commits, commits.c.id == file_changes.c.commit_id)
        .where(file_changes.c.is_excluded == False)  # noqa: E712
        .group_by(commits.c.author_id, commits.c.repo_id, file_changes.c.path)
    ):
        main_area[author_id][areas.area(repo_id, path)] += count
    found = []
    seen: set[str] = set()
    for author_id, count, last in activity:
        row = rows[author_id]
        if not row.email or not EMAIL.match(row.email) or row.email.lower().endswith("@" + DOMAIN) or row.email.casefold() in seen:
            continue  # the org chart needs one address per person; a made-up colleague must never shadow a real one
        seen.add(row.email.casefold())
        area = main_area[author_id].most_common(1)[0][0] if main_area[author_id] else None
        found.append(Member(row.name, row.email, "", "", "engineer", commits=count, last_commit=last, area=area))
    found.sort(key=lambda m: (-m.commits, m.name))
    chosen = found[:MAX_ENGINEERS]
    # People active at the end of the history belong in the demo even with few commits: they are this week's story.
    recent = [m for m in found[MAX_ENGINEERS:] if m.last_commit and m.last_commit >= last_commit - RECENT_DAYS * 86400]
    return chosen + recent[:MAX_RECENT_EXTRA]


def build_organisation(authors: list[Member]) -> Organisation:
    if not authors:
        raise ValueError("the history has no author with an email address to build an organisation around")
    count = len(authors)
    team_count = 1 if count == 1 else 2 if count <= 5 else 3 if count <= 10 else 4
    leader = Member(LEADER[0], _email_of(LEADER[0]), LEADER[1], "Leadership", "executive")
    # People who work in the same part of the code share a team: sort by area, then cut in even slices.
    ordered = sorted(authors, key=lambda m: (m.area or "", -m.commits, m.name))
    teams: dict[str, list[Member]] = {}
    size, extra = divmod(count, team_count)
    start = 0
    for index in range(team_count):
        end = start + size + (1 if index < extra else 0)
        teams[TEAM_NAMES[index]] = ordered[start:end]
        start = end
    managers = []
    for index, (team, members) in enumerate(teams.items()):
        manager = Member(MANAGERS[index], _email_of(MANAGERS[index]), f"Engineering Manager, {team}", team, "manager", manager_email=leader.email)
        managers.append(manager)
        ranked = sorted(members, key=lambda m: (-m.commits, m.name))
        for rank, member in enumerate(ranked):
            member.team = team
            member.manager_email = manager.email
            member.title = "Staff Engineer" if rank == 0 and len(ranked) > 2 else "Senior Engineer" if rank <= 1 else "Software Engineer"
    staff = _staff(leader)
    engineers = [m for members in teams.values() for m in members]
    return Organisation(leader, managers, engineers, staff, teams)


def write_org_csv(org: Organisation, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "title", "team", "manager_email", "role"])
        for member in org.everyone:
            writer.writerow([member.email, member.name, member.title, member.team, member.manager_email, member.role])


def generated_organisation(history) -> Organisation:
    """Northwind's org chart from the generated history (``demo/history.py``): the
    people are the generator's, so every role the demo means to show is there by
    construction. The leaver is not on it: they have left, and their code stays."""
    leader = Member(LEADER[0], _email_of(LEADER[0]), LEADER[1], "Leadership", "executive")
    managers: list[Member] = []
    teams: dict[str, list[Member]] = {}
    for team, name in history.team_managers.items():
        manager = Member(name, _email_of(name), f"Engineering Manager, {team}", team, "manager", manager_email=leader.email)
        if name == history.coding_manager.name:
            manager.commits, manager.last_commit, manager.area = history.coding_manager.commits, history.coding_manager.last_commit, history.coding_manager.areas[0]
        managers.append(manager)
        current = [e for e in history.engineers if e.team == team and e.name != history.leaver]
        ranked = sorted(current, key=lambda e: (-e.commits, e.name))
        members = []
        for rank, engineer in enumerate(ranked):
            title = "Staff Engineer" if rank == 0 else "Senior Engineer" if rank <= 2 else "Software Engineer"
            members.append(Member(engineer.name, engineer.email, title, team, "engineer", manager_email=manager.email,
                                  commits=engineer.commits, last_commit=engineer.last_commit, area=engineer.areas[0]))
        teams[team] = members
    staff = _staff(leader)
    engineers = [m for members in teams.values() for m in members]
    return Organisation(leader, managers, engineers, staff, teams)
