"""What the brief reads from the commit tables, loaded once and shared by its sections.

Counted work is what the team analyses count: commits that are neither merges
nor a shallow clone's boundary, by people who are not bots. Vendored and
generated paths are kept here with their flag, because a lock file that changed
is exactly what the dependency view wants to see.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from ..store.queries import counted_commit
from ..store.schema import coauthors, commits, file_changes, people, repositories
from ..team.queries import driver_rows
from .window import Window
from ..team.queries import edge_commit_time
from ..team.summary import path_changes

# Directories that hold a project's parts rather than being one: the brief looks one level inside.
CONTAINER_DIRS = {
    "src", "lib", "libs", "packages", "apps", "services", "cmd", "pkg", "internal", "modules",
    "components", "crates", "plugins", "projects", "source", "app",
}
# A directory holding more than this share of a repository's changes is split into its children.
SPLIT_SHARE = 0.4
MAX_AREA_DEPTH = 4


@dataclass
class FileChange:
    path: str
    status: str
    additions: int
    deletions: int
    excluded: bool


@dataclass
class Commit:
    id: int
    sha: str
    repo_id: int
    repo: str
    author_id: int
    subject: str
    at: int
    additions: int
    deletions: int
    files: list[FileChange] = field(default_factory=list)
    coauthor_ids: list[int] = field(default_factory=list)

    @property
    def counted_files(self) -> list[FileChange]:
        return [f for f in self.files if not f.excluded]

    @property
    def is_revert(self) -> bool:
        return self.subject.lstrip().lower().startswith("revert")


@dataclass
class Person:
    id: int
    name: str
    email: str | None
    role: str | None
    team: str | None
    title: str | None
    manager_id: int | None
    in_org_chart: bool
    is_bot: bool


def load_people(conn: Connection) -> dict[int, Person]:
    return {
        r["id"]: Person(r["id"], r["name"], r["email"], r["role"], r["team"], r["title"], r["manager_id"], bool(r["in_org_chart"]), bool(r["is_bot"]))
        for r in conn.execute(select(people)).mappings()
    }


def load_commits(conn: Connection, window: Window) -> list[Commit]:
    """Counted commits authored inside the window, with their files and co-authors."""
    # The one rule for counted work (store.queries.counted_commit); people is joined below.
    counted = and_(commits.c.authored_at >= window.start, commits.c.authored_at < window.end, counted_commit())
    query = (
        select(commits.c.id, commits.c.sha, commits.c.repo_id, repositories.c.name.label("repo"), commits.c.author_id, commits.c.subject,
               commits.c.authored_at, commits.c.additions, commits.c.deletions)
        .join(people, people.c.id == commits.c.author_id)
        .join(repositories, repositories.c.id == commits.c.repo_id)
        .where(counted)
        .order_by(commits.c.authored_at, commits.c.id)
    )
    # On the driver's own cursor (team.queries.driver_rows): tens of thousands of rows, where
    # SQLAlchemy's Row objects cost as much as the query.
    by_id: dict[int, Commit] = {}
    for commit_id, sha, repo_id, repo, author_id, subject, at, adds, dels in driver_rows(conn, query):
        by_id[commit_id] = Commit(commit_id, sha, repo_id, repo, author_id, subject or "", at, adds or 0, dels or 0)
    if not by_id:
        return []
    in_window = select(commits.c.id).join(people, people.c.id == commits.c.author_id).where(counted)
    files = select(file_changes.c.commit_id, file_changes.c.path, file_changes.c.status, file_changes.c.additions, file_changes.c.deletions, file_changes.c.is_excluded).where(
        file_changes.c.commit_id.in_(in_window)
    ).order_by(file_changes.c.id)
    for commit_id, path, status, adds, dels, excluded in driver_rows(conn, files):
        commit = by_id.get(commit_id)
        if commit is not None:
            commit.files.append(FileChange(path, status, adds or 0, dels or 0, bool(excluded)))
    for commit_id, person_id in conn.execute(select(coauthors.c.commit_id, coauthors.c.person_id).where(coauthors.c.commit_id.in_(in_window))):
        commit = by_id.get(commit_id)
        if commit is not None and person_id != commit.author_id:
            commit.coauthor_ids.append(person_id)
    return list(by_id.values())


def first_commit_times(conn: Connection) -> dict[int, int]:
    """person id -> time of their first counted commit, across every repository."""
    # One index seek per person (team.queries.edge_commit_time), not a pass over every commit.
    query = select(people.c.id, edge_commit_time(False))
    return {person_id: first for person_id, first in conn.execute(query) if first is not None}


class AreaMap:
    """Paths to areas: top-level directories, looking inside containers such as src/
    and inside any directory that holds most of a repository's changes.

    Built from the whole history's change counts so an area keeps its name from
    one week to the next, and so an area that went quiet is still recognised.
    """

    def __init__(self, counts_by_repo: dict[int, dict[str, int]]):
        self._split: dict[int, set[str]] = {}
        for repo_id, counts in counts_by_repo.items():
            self._split[repo_id] = self._split_dirs(counts)

    @classmethod
    def load(cls, conn: Connection) -> "AreaMap":
        # Non-excluded changes per path over the whole history: the stored summary while the
        # history is unchanged, else counted from every file change (team/summary.py).
        return cls(path_changes(conn))

    @staticmethod
    def _split_dirs(counts: dict[str, int]) -> set[str]:
        total = sum(counts.values()) or 1
        per_dir: dict[str, int] = {}
        children: dict[str, set[str]] = {}
        for path, count in counts.items():
            parts = path.split("/")[:-1]
            for depth in range(1, min(len(parts), MAX_AREA_DEPTH) + 1):
                directory = "/".join(parts[:depth])
                per_dir[directory] = per_dir.get(directory, 0) + count
                parent = "/".join(parts[: depth - 1])
                children.setdefault(parent, set()).add(directory)
        split = {""}
        for directory, count in per_dir.items():
            name = directory.rsplit("/", 1)[-1]
            depth = directory.count("/") + 1
            if depth >= MAX_AREA_DEPTH or not children.get(directory):
                continue
            if name.lower() in CONTAINER_DIRS or (count / total > SPLIT_SHARE and len(children[directory]) >= 2):
                split.add(directory)
        return split

    def area(self, repo_id: int, path: str) -> str:
        split = self._split.get(repo_id, {""})
        parts = path.split("/")[:-1]
        current = ""
        for part in parts:
            if current not in split:
                break
            current = f"{current}/{part}" if current else part
        return current or "(root)"
