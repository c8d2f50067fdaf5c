"""State of each area, from commits and not from status reports.

For the window: what changed in each area (commits, authors, files, lines),
what was added, removed or reverted, which dependency files moved, the hot
files, and the commit subjects that explain it; then the areas that were
active in the weeks before and have gone quiet, with their last commit.
"""
from __future__ import annotations

import fnmatch
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .activity import AreaMap, Commit, Person
from .window import Window

DEPENDENCY_FILES = [
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "requirements/*.txt", "constraints*.txt",
    "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock", "environment.yml",
    "Gemfile", "Gemfile.lock", "*.gemspec", "go.mod", "go.sum", "Cargo.toml", "Cargo.lock",
    "composer.json", "composer.lock", "pom.xml", "build.gradle", "build.gradle.kts", "gradle.lockfile",
    "mix.exs", "mix.lock", "Package.swift", "Package.resolved", "Podfile", "Podfile.lock", "*.csproj",
    "packages.config", "vcpkg.json", "conanfile.txt", "conanfile.py", "flake.lock", "deno.json", "deno.lock",
]
# How many earlier windows form the baseline an area's week is compared with.
BASELINE_WINDOWS = 8
# An area is "gone quiet" when it had at least this many commits in the baseline and none now.
QUIET_MIN_BASELINE = 4
HOT_FILE_MIN_COMMITS = 2
EXPLAIN_COMMITS = 4


@lru_cache(maxsize=1 << 16)
def is_dependency_file(path: str) -> bool:
    # Cached: a brief asks about the same paths for every commit in the window and its baseline
    # (a million fnmatch calls on the web benchmark's store).
    name = path.rsplit("/", 1)[-1]
    tail = "/".join(path.split("/")[-2:])
    return any(fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(tail, pattern) for pattern in DEPENDENCY_FILES)


@dataclass
class CommitRef:
    sha: str
    repo: str
    subject: str
    author_id: int
    author: str
    at: int
    additions: int = 0
    deletions: int = 0


@dataclass
class HotFile:
    repo: str
    path: str
    area: str
    commits: int
    authors: list[str]
    shas: list[str]


@dataclass
class DependencyChange:
    repo: str
    path: str
    status: str
    commit: CommitRef


@dataclass
class AreaState:
    repo: str
    area: str
    commits: int
    authors: list[str]
    author_ids: list[int]
    files_touched: int
    additions: int
    deletions: int
    baseline_per_window: float
    trend: str  # new, up, steady, down
    added_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    reverts: list[CommitRef] = field(default_factory=list)
    dependency_changes: list[DependencyChange] = field(default_factory=list)
    hot_files: list[HotFile] = field(default_factory=list)
    explaining: list[CommitRef] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.repo}:{self.area}"


@dataclass
class QuietArea:
    repo: str
    area: str
    baseline_commits: int
    last_commit: CommitRef
    last_authors: list[str]


@dataclass
class AreasReport:
    commits: int
    authors: int
    files_touched: int
    additions: int
    deletions: int
    areas: list[AreaState]
    hot_files: list[HotFile]
    quiet: list[QuietArea]
    reverts: list[CommitRef]
    dependency_changes: list[DependencyChange]
    baseline_windows: int = BASELINE_WINDOWS


def commit_ref(commit: Commit, people: dict[int, Person]) -> CommitRef:
    author = people.get(commit.author_id)
    return CommitRef(commit.sha, commit.repo, commit.subject, commit.author_id, author.name if author else str(commit.author_id), commit.at, commit.additions, commit.deletions)


def commit_areas(commit: Commit, areas: AreaMap) -> list[str]:
    """The areas a commit touched, most-changed first (vendored paths do not make an area busy)."""
    weight: Counter = Counter()
    for change in commit.counted_files:
        weight[areas.area(commit.repo_id, change.path)] += (change.additions + change.deletions) or 1
    return [area for area, _ in weight.most_common()]


def state_of_areas(window: Window, current: list[Commit], baseline: list[Commit], areas: AreaMap, people: dict[int, Person]) -> AreasReport:
    name = lambda pid: people[pid].name if pid in people else str(pid)  # noqa: E731
    by_area: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    repo_ids: dict[str, int] = {}
    for commit in current:
        repo_ids[commit.repo] = commit.repo_id
        for area in commit_areas(commit, areas):
            by_area[(commit.repo, area)].append(commit)

    base_by_area: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    for commit in baseline:
        repo_ids.setdefault(commit.repo, commit.repo_id)
        for area in commit_areas(commit, areas):
            base_by_area[(commit.repo, area)].append(commit)

    file_commits: dict[tuple[str, str], list[Commit]] = defaultdict(list)
    for commit in current:
        for change in commit.counted_files:
            file_commits[(commit.repo, change.path)].append(commit)
    hot = []
    for (repo, path), touching in file_commits.items():
        if len(touching) >= HOT_FILE_MIN_COMMITS:
            authors = sorted({name(c.author_id) for c in touching})
            hot.append(HotFile(repo, path, areas.area(touching[0].repo_id, path), len(touching), authors, [c.sha for c in touching]))
    hot.sort(key=lambda h: (-h.commits, -len(h.authors), h.path))

    states = []
    for (repo, area), touching in by_area.items():
        repo_id = repo_ids[repo]
        in_area = lambda path: areas.area(repo_id, path) == area  # noqa: E731
        files = {f.path for c in touching for f in c.counted_files if in_area(f.path)}
        adds = sum(f.additions for c in touching for f in c.counted_files if in_area(f.path))
        dels = sum(f.deletions for c in touching for f in c.counted_files if in_area(f.path))
        added = sorted({f.path for c in touching for f in c.files if f.status == "A" and in_area(f.path) and not f.excluded})
        removed = sorted({f.path for c in touching for f in c.files if f.status == "D" and in_area(f.path) and not f.excluded})
        deps = [
            DependencyChange(repo, f.path, f.status, commit_ref(c, people))
            for c in touching for f in c.files if is_dependency_file(f.path) and in_area(f.path)
        ]
        author_counts = Counter(c.author_id for c in touching)
        baseline_rate = len(base_by_area.get((repo, area), [])) / BASELINE_WINDOWS
        states.append(
            AreaState(
                repo=repo,
                area=area,
                commits=len(touching),
                authors=[name(pid) for pid, _ in author_counts.most_common()],
                author_ids=[pid for pid, _ in author_counts.most_common()],
                files_touched=len(files),
                additions=adds,
                deletions=dels,
                baseline_per_window=round(baseline_rate, 2),
                trend=_trend(len(touching), baseline_rate),
                added_files=added,
                removed_files=removed,
                reverts=[commit_ref(c, people) for c in touching if c.is_revert],
                dependency_changes=deps,
                hot_files=[h for h in hot if h.repo == repo and h.area == area][:5],
                explaining=_explaining(touching, people),
            )
        )
    states.sort(key=lambda s: (-s.commits, -(s.additions + s.deletions), s.name))

    quiet = []
    for (repo, area), before in base_by_area.items():
        if (repo, area) in by_area or len(before) < QUIET_MIN_BASELINE:
            continue
        last = max(before, key=lambda c: (c.at, c.id))
        last_authors = [name(pid) for pid, _ in Counter(c.author_id for c in before).most_common(3)]
        quiet.append(QuietArea(repo, area, len(before), commit_ref(last, people), last_authors))
    quiet.sort(key=lambda q: (-q.baseline_commits, q.repo, q.area))

    reverts = [commit_ref(c, people) for c in current if c.is_revert]
    deps = [DependencyChange(c.repo, f.path, f.status, commit_ref(c, people)) for c in current for f in c.files if is_dependency_file(f.path)]
    return AreasReport(
        commits=len(current),
        authors=len({c.author_id for c in current}),
        files_touched=len({(c.repo, f.path) for c in current for f in c.counted_files}),
        additions=sum(c.additions for c in current),
        deletions=sum(c.deletions for c in current),
        areas=states,
        hot_files=hot[:10],
        quiet=quiet[:10],
        reverts=reverts,
        dependency_changes=deps,
    )


def _trend(now: int, baseline_rate: float) -> str:
    if baseline_rate == 0:
        return "new"
    ratio = now / baseline_rate
    if ratio >= 1.5:
        return "up"
    if ratio <= 0.5:
        return "down"
    return "steady"


def _explaining(touching: list[Commit], people: dict[int, Person]) -> list[CommitRef]:
    """The commits that say what happened: reverts first, then the largest changes."""
    ranked = sorted(touching, key=lambda c: (not c.is_revert, -(c.additions + c.deletions), -c.at))
    return [commit_ref(c, people) for c in ranked[:EXPLAIN_COMMITS]]
