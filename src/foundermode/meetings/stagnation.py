"""Stagnation: parts of the code that stopped moving, and branches left behind.

Areas. An area is a directory prefix of a path (top-level directories by default,
``depth`` levels deep) or a CODEOWNERS owner. Its activity is the number of
commits touching it in a window of ``weeks`` weeks (default 12). The most recent
window is compared with the area's own history: the median of the full earlier
windows back to its first commit (the window holding the first commit is partial
and left out). An area is stagnant when the recent count is below
``threshold`` (default 25 %) of that median. Areas too young (fewer than
``min_windows`` earlier windows) or too quiet to judge (median under
``min_typical`` commits a window) are reported as such, never flagged: a drop from
one commit to none is not news.

Merges, shallow-boundary commits, bots' commits and excluded (vendored, generated)
paths do not count, as everywhere else.

Branches. A branch (local or remote-tracking) is stale when HEAD has not merged it
and its tip is older than ``stale_days`` (default 30); each comes with the people
who committed its unmerged work. Branches whose unmerged work is all by bots are
left out.

Settings come from ``[meetings]`` in foundermode.toml: ``stagnation_weeks``,
``stagnation_threshold``, ``stagnation_depth``, ``stagnation_by`` ("directory" or
"codeowners") and ``stale_branch_days``.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select

from ..config import Config
from ..settings import default, parse_value
from ..sources import codeowners as codeowners_source
from ..sources.branches import read_branches
from ..sources.git import GitError
from ..sources.identities import identity_key
from ..sources.patterns import AuthorRules
from ..store import now
from ..store.queries import iso
from ..store.schema import commits, file_changes, identities, people, repositories

WEEK = 7 * 86400
# field -> its key in [meetings] (declared, with its default, in settings.py)
SETTING_KEYS = {"weeks": "stagnation_weeks", "threshold": "stagnation_threshold", "depth": "stagnation_depth", "by": "stagnation_by", "stale_days": "stale_branch_days"}
DEFAULTS = {**{field: default("meetings", key) for field, key in SETTING_KEYS.items()}, "min_windows": 2, "min_typical": 4.0}
ROOT = "(root)"
UNOWNED = "(no owner)"


@dataclass
class StagnationSettings:
    weeks: int = DEFAULTS["weeks"]
    threshold: float = DEFAULTS["threshold"]
    depth: int = DEFAULTS["depth"]
    by: str = DEFAULTS["by"]
    stale_days: int = DEFAULTS["stale_days"]
    min_windows: int = DEFAULTS["min_windows"]
    min_typical: float = DEFAULTS["min_typical"]
    people: int = 3  # last people shown per area or branch

    @classmethod
    def from_config(cls, config, **overrides) -> "StagnationSettings":
        """[meetings] stagnation_* as the settings schema checked them; ``overrides`` (the
        command line's) are checked by the same kinds."""
        section = (config or Config()).settings.meetings
        values = {field: section.get(key) for field, key in SETTING_KEYS.items()}
        for field, value in overrides.items():
            if value is not None:
                values[field] = parse_value("meetings", SETTING_KEYS[field], value)
        return cls(**values)


@dataclass
class AreaActivity:
    repository: str
    area: str
    recent_commits: int
    typical_commits: float | None  # median of the earlier windows
    ratio: float | None
    windows: int  # earlier windows in the history
    stagnant: bool
    status: str  # stagnant, active, too young, too quiet
    last_commit_at: int
    last_people: list[str] = field(default_factory=list)  # "Name (YYYY-MM-DD)", newest first


@dataclass
class StaleBranch:
    repository: str
    branch: str
    tip_at: int
    days_since_tip: int
    unmerged_commits: int
    diverged_at: int | None
    last_committers: list[str] = field(default_factory=list)


def area_of(path: str, depth: int) -> str:
    parts = path.split("/")
    return "/".join(parts[: min(depth, len(parts) - 1)]) or ROOT


def area_activity(conn: Connection, settings: StagnationSettings | None = None, as_of: int | None = None, repo_ids: list[int] | None = None) -> list[AreaActivity]:
    """Every area's recent activity against its own history, stagnant ones first."""
    settings = settings or StagnationSettings()
    as_of = now() if as_of is None else as_of
    window = settings.weeks * WEEK
    # One pass over the history in commit order: it says what counts (no merges,
    # bots or excluded paths) and which paths still exist at as_of, so an area
    # whose every file was deleted or moved away (flask's old flask/) is not
    # reported as stagnant: it is gone, not stuck.
    query = (
        select(
            commits.c.repo_id, repositories.c.name, commits.c.id, commits.c.authored_at, commits.c.author_id, file_changes.c.path,
            file_changes.c.old_path, file_changes.c.status, file_changes.c.is_excluded, people.c.is_bot, commits.c.is_merge,
        )
        .join(file_changes, file_changes.c.commit_id == commits.c.id)
        .join(people, people.c.id == commits.c.author_id)
        .join(repositories, repositories.c.id == commits.c.repo_id)
        .where(commits.c.is_boundary == False, commits.c.committed_at <= as_of)  # noqa: E712
        .order_by(commits.c.committed_at, commits.c.id, file_changes.c.id)
    )
    if repo_ids:
        query = query.where(commits.c.repo_id.in_(repo_ids))
    # (repo, area) -> commit id -> (time, author)
    touched: dict[tuple[int, str, str], dict[int, tuple[int, int]]] = {}
    alive: dict[tuple[int, str], bool] = {}
    owners_cache: dict[int, codeowners_source.CodeOwners] = {}
    area_cache: dict[tuple[int, str], tuple[str, ...]] = {}

    def areas_of(repo_id: int, path: str) -> tuple[str, ...]:
        areas = area_cache.get((repo_id, path))
        if areas is None:
            if settings.by == "codeowners":
                if repo_id not in owners_cache:
                    owners_cache[repo_id] = codeowners_source.load(conn, repo_id)
                areas = owners_cache[repo_id].owners_for(path) or (UNOWNED,)
            else:
                areas = (area_of(path, settings.depth),)
            area_cache[(repo_id, path)] = areas
        return areas

    for repo_id, repo_name, commit_id, at, author_id, path, old_path, status, excluded, is_bot, is_merge in conn.execute(query):
        if status == "D":
            alive[(repo_id, path)] = False
        elif status == "M" or status == "T":
            # A change does not bring back a file a move or a deletion removed: a maintenance
            # branch that kept editing flask/*.py after the move to src/ (its merge resolved
            # into src/) would otherwise keep flask/ alive. Only an addition does.
            alive.setdefault((repo_id, path), True)
        else:
            if status == "R" and old_path:
                alive[(repo_id, old_path)] = False
            alive[(repo_id, path)] = True
        if is_merge or excluded or is_bot or at > as_of:
            continue
        for area in areas_of(repo_id, path):
            touched.setdefault((repo_id, repo_name, area), {})[commit_id] = (at, author_id)
    live_areas = {(repo_id, area) for (repo_id, path), present in alive.items() if present for area in areas_of(repo_id, path)}
    touched = {key: found for key, found in touched.items() if (key[0], key[2]) in live_areas}
    names = dict(conn.execute(select(people.c.id, people.c.name)).all()) if touched else {}
    out = []
    for (repo_id, repo_name, area), found in touched.items():
        times = [at for at, _ in found.values()]
        first, last = min(times), max(times)
        # Window k holds the commits with as_of - (k+1)*window < t <= as_of - k*window: k = 0 is the
        # recent one. The window holding the first commit is partial and would drag the median
        # down, so the history is the full windows between it and the recent one.
        oldest = (as_of - first) // window
        counts = [0] * (oldest + 1)
        for at in times:
            counts[(as_of - at) // window] += 1
        recent, counts = counts[0], counts[1:oldest]
        earlier_windows = len(counts)
        typical = statistics.median(counts) if counts else None
        if earlier_windows < settings.min_windows:
            status = "too young"
        elif typical < settings.min_typical:
            status = "too quiet"
        elif recent < settings.threshold * typical:
            status = "stagnant"
        else:
            status = "active"
        out.append(
            AreaActivity(
                repository=repo_name,
                area=area,
                recent_commits=recent,
                typical_commits=typical,
                ratio=round(recent / typical, 3) if typical else None,
                windows=earlier_windows,
                stagnant=status == "stagnant",
                status=status,
                last_commit_at=last,
                last_people=_last_people(found.values(), names, settings.people),
            )
        )
    out.sort(key=lambda a: (not a.stagnant, a.ratio if a.ratio is not None else math.inf, a.repository, a.area))
    return out


def _last_people(found, names: dict[int, str], limit: int) -> list[str]:
    latest: dict[int, int] = {}
    for at, author in found:
        if at > latest.get(author, -1):
            latest[author] = at
    ranked = sorted(latest.items(), key=lambda item: -item[1])[:limit]
    return [f"{names.get(author, author)} ({iso(at)[:10]})" for author, at in ranked]


def stale_branches(conn: Connection, settings: StagnationSettings | None = None, as_of: int | None = None, config=None, repo_ids: list[int] | None = None) -> tuple[list[StaleBranch], list[str]]:
    """Unmerged branches whose tip is older than ``stale_days``, and warnings for repositories that could not be read."""
    settings = settings or StagnationSettings()
    as_of = now() if as_of is None else as_of
    bot_rules = AuthorRules((config or Config()).bot_authors)
    query = select(repositories.c.id, repositories.c.name, repositories.c.path).order_by(repositories.c.name)
    if repo_ids:
        query = query.where(repositories.c.id.in_(repo_ids))
    known = {key: (name, is_bot) for key, name, is_bot in conn.execute(select(identities.c.key, people.c.name, people.c.is_bot).join(people, people.c.id == identities.c.person_id))}
    out: list[StaleBranch] = []
    warnings: list[str] = []
    for _repo_id, name, path in conn.execute(query).all():
        if not Path(path).exists():
            warnings.append(f"{name}: {path} no longer exists; branches not read")
            continue
        try:
            branches = read_branches(path)
        except GitError as error:
            warnings.append(f"{name}: {error}")
            continue
        for branch in branches:
            if branch.merged or branch.tip_at > as_of - settings.stale_days * 86400:
                continue
            committers = []
            all_bots = bool(branch.authors)
            for author, email, at in branch.authors:
                person_name, is_bot = known.get(identity_key(author, email), (author, None))
                is_bot = bool(is_bot) if is_bot is not None else bot_rules.is_bot(author, email)
                if is_bot:
                    continue
                all_bots = False
                committers.append(f"{person_name} ({iso(at)[:10]})")
            if all_bots:
                continue
            out.append(
                StaleBranch(
                    repository=name,
                    branch=branch.name,
                    tip_at=branch.tip_at,
                    days_since_tip=(as_of - branch.tip_at) // 86400,
                    unmerged_commits=branch.unique_commits,
                    diverged_at=branch.diverged_at,
                    last_committers=committers[: settings.people],
                )
            )
    out.sort(key=lambda b: (b.tip_at, b.repository, b.branch))
    return out, warnings

