"""Truck factor: how many people would have to leave before most of the code has nobody who knows it.

Avelino, Passos, Hora and Valente, "A Novel Approach for Estimating Truck
Factors", ICPC 2016. Authorship of a file comes from its history (degree of
authorship, DOA); the truck factor is found greedily by removing the person
who authors the most files until more than half of the files are orphaned.

The arithmetic (``degree_of_authorship``, ``file_authors``, ``greedy``) is
pure; ``authorship`` reads a repository's history from the store and the file
list at a revision from git, following renames back as the paper does.
"""
from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import NotFound
from ..sources.patterns import PathRules
from . import queries
from ..config import DEFAULT_EXCLUDED_PATHS
from ..sources.git import git
from ..sources.linguist import counts, first_lines, needs_first_line
from ..sources.ownership import files_at_revision, parse_ls_tree

DOA_BASE = 3.293
DOA_FIRST_AUTHORSHIP = 1.098
DOA_DELIVERIES = 0.164
DOA_ACCEPTANCES = 0.321
NORMALISED_THRESHOLD = 0.75
ABSOLUTE_THRESHOLD = DOA_BASE


def degree_of_authorship(created: bool, own_changes: int, others_changes: int) -> float:
    """DOA = 3.293 + 1.098·FA + 0.164·DL − 0.321·ln(1 + AC)."""
    return DOA_BASE + DOA_FIRST_AUTHORSHIP * (1 if created else 0) + DOA_DELIVERIES * own_changes - DOA_ACCEPTANCES * math.log(1 + others_changes)


@dataclass
class FileHistory:
    """One file's history, renames followed: who created it and how many changes each person made."""

    path: str
    creator: int | None = None
    changes: Counter = field(default_factory=Counter)

    def doa(self) -> dict[int, float]:
        total = sum(self.changes.values())
        return {person: degree_of_authorship(person == self.creator, n, total - n) for person, n in self.changes.items()}


def file_authors(history: FileHistory) -> frozenset[int]:
    """People with normalised DOA > 0.75 and DOA ≥ 3.293 on the file."""
    doas = history.doa()
    if not doas:
        return frozenset()
    top = max(doas.values())
    if top <= 0:
        return frozenset()
    return frozenset(p for p, d in doas.items() if d / top > NORMALISED_THRESHOLD and d >= ABSOLUTE_THRESHOLD)


def reference_file_authors(history: FileHistory) -> frozenset[int]:
    """Authors as the authors' tool decides them (aserg-ufmg/Truck-Factor, ``AuthorshipInfo.isDOAAuthor``).

    Its deliveries (DL) are the changes after the creation (the creating commit
    only sets FA), acceptances (AC) the others' such changes, and the file's
    creator is an author whenever their normalised DOA is above 0.75, even
    below the absolute threshold.
    """
    deliveries = Counter(history.changes)
    if history.creator is not None and deliveries.get(history.creator):
        deliveries[history.creator] -= 1
    people = set(history.changes) | ({history.creator} if history.creator is not None else set())
    if not people:
        return frozenset()
    total = sum(deliveries.values())
    doas = {p: degree_of_authorship(p == history.creator, deliveries.get(p, 0), total - deliveries.get(p, 0)) for p in people}
    top = max(doas.values())
    if top <= 0:
        return frozenset()
    return frozenset(p for p, d in doas.items() if d / top > NORMALISED_THRESHOLD and (d >= ABSOLUTE_THRESHOLD or p == history.creator))


@dataclass
class Removal:
    """One step of the greedy search: a person leaves, and these files lose their last author."""

    person_id: int
    files_authored: int  # among the files still authored when they leave
    orphaned: list[str]


@dataclass
class GreedyResult:
    truck_factor: int
    files: int
    removals: list[Removal]
    orphaned_before: int  # files nobody authors even before anyone leaves


def greedy(authors: dict[str, frozenset[int]]) -> GreedyResult:
    """Remove the top author until more than half of the files have no author left.

    Removing someone never changes how many files the others author, so the
    greedy order is simply everyone by files authored (ties: lower person id,
    so the answer is reproducible); what changes is which files are orphaned.
    """
    counts = Counter(p for people in authors.values() for p in people)
    files_of: dict[int, list[str]] = {}
    for path, people in authors.items():
        for person in people:
            files_of.setdefault(person, []).append(path)
    left = {path: len(people) for path, people in authors.items()}
    total = len(left)
    orphaned = orphaned_before = sum(1 for n in left.values() if n == 0)
    removals: list[Removal] = []
    for person in sorted(counts, key=lambda p: (-counts[p], p)):
        if not total or orphaned * 2 > total:
            break
        newly = []
        for path in files_of[person]:
            left[path] -= 1
            if left[path] == 0:
                newly.append(path)
        orphaned += len(newly)
        removals.append(Removal(person_id=person, files_authored=counts[person], orphaned=sorted(newly)))
    return GreedyResult(truck_factor=len(removals), files=total, removals=removals, orphaned_before=orphaned_before)


# -- reading a repository ---------------------------------------------------------------

@dataclass
class Authorship:
    """Who authors each file of one repository at one revision.

    Read from the stored summary (team/summary.py), it carries only the
    authors; ``histories`` (each file's changes per person) is then recomputed
    on first use.
    """

    repo_id: int
    repository: str
    revision: str | None
    authors: dict[str, frozenset[int]]
    missing: frozenset[str] = frozenset()  # files at the revision whose blob the repository lacks (counted by their history)
    computed_histories: dict[str, FileHistory] | None = None
    recompute: Callable[[], dict[str, FileHistory]] | None = field(default=None, repr=False, compare=False)

    @property
    def histories(self) -> dict[str, FileHistory]:
        if self.computed_histories is None:
            self.computed_histories = self.recompute() if self.recompute is not None else {}
        return self.computed_histories

    def sole_authored(self) -> Counter:
        """person -> files they alone author."""
        return Counter(next(iter(people)) for people in self.authors.values() if len(people) == 1)

    def authored(self) -> Counter:
        return Counter(p for people in self.authors.values() for p in people)

    def within(self, prefix: str | None) -> dict[str, frozenset[int]]:
        if not prefix:
            return self.authors
        return {path: people for path, people in self.authors.items() if area_of(path) == prefix}


def area_of(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else "(root)"


def follow_history(rows, files: set[str]) -> dict[str, FileHistory]:
    """Walk file changes newest first, carrying each present file's identity back through renames.

    ``rows``: (path, old_path, status, commit_id, author_id, is_bot), newest
    first (git's topological order when the repository is on disk). A file's
    history ends at its creation ('A'); an older file at the same path
    (deleted, then re-created) is another file. Parallel branches interleave
    in any linear order, so a modification that sorts just before its file's
    creation still counts for it; only a deletion or another creation ends
    the identity.
    Bots' changes carry renames but count for nobody.
    """
    alias = {path: path for path in files}  # name at this point in the walk -> name at the revision
    created: set[str] = set()  # names whose creation the walk has passed
    histories = {path: FileHistory(path) for path in files}
    for path, old_path, status, commit_id, author_id, is_bot in rows:
        final = alias.get(path)
        if final is None:
            continue
        history = histories[final]
        if path in created:
            if status == "M":
                if not is_bot:
                    history.changes[author_id] += 1
            else:  # the previous file at this path
                del alias[path]
                created.discard(path)
            continue
        if status == "D":
            continue
        if not is_bot:
            history.changes[author_id] += 1
        if status == "R" and old_path:
            del alias[path]
            alias[old_path] = final
            created.discard(old_path)
        elif status in ("A", "C"):
            history.creator = None if is_bot else author_id
            created.add(path)
    return histories


def files_at(repo_path: Path, revision: str) -> tuple[list[str], list[str]]:
    """The files the truck factor considers at ``revision``, and those of them whose blob is missing.

    A file whose content the repository lacks still exists at the revision and
    its history is in the store, which is all DOA needs: it is counted, and the
    report says how many such files there were (text or binary could not be told).
    """
    listing = files_at_revision(repo_path, revision)
    return sorted(set(listing.text) | set(listing.missing)), listing.missing


def reference_files_at(repo_path: Path, revision: str) -> tuple[list[str], list[str]]:
    """The files the reference tool considers: those GitHub Linguist counts as source (sources/linguist.py)."""
    import subprocess

    out = subprocess.run(["git", "-C", str(repo_path), "ls-tree", "-r", "-l", "-z", "--full-tree", revision], capture_output=True, check=True).stdout
    listed = parse_ls_tree(out)
    missing = sorted(path for path, (_blob, size, _raw) in listed.items() if size is None)
    firsts = first_lines(repo_path, revision, [p for p, (_b, size, _r) in listed.items() if size and needs_first_line(p)])
    kept = sorted(p for p, (_blob, size, _raw) in listed.items() if counts(p, firsts.get(p), size))
    return kept, [p for p in missing if p in set(kept)]


def same_name_as_one(histories: dict[str, FileHistory], names: dict[int, str]) -> dict[str, FileHistory]:
    """The reference tool's alias rule: developers with the same name (case aside) are one.

    Each person is counted under the lowest id carrying their name; empty names stay apart.
    """
    first_of: dict[str, int] = {}
    for person_id in sorted(names):
        key = (names[person_id] or "").strip().upper()
        if key:
            first_of.setdefault(key, person_id)
    one = {p: first_of.get((names[p] or "").strip().upper(), p) for p in names}
    out = {}
    for path, history in histories.items():
        changes: Counter = Counter()
        for person, n in history.changes.items():
            changes[one.get(person, person)] += n
        creator = one.get(history.creator, history.creator) if history.creator is not None else None
        out[path] = FileHistory(path, creator, changes)
    return out


def resolve_revision(repo_path: Path, revision: str) -> str:
    return git(repo_path, "rev-parse", "--verify", f"{revision}^{{commit}}").decode().strip()


def topological_order(repo_path: Path, sha: str) -> list[str]:
    """Commits reachable from ``sha``, children before parents (newest first)."""
    return git(repo_path, "rev-list", "--topo-order", sha).decode().split()


def authorship(
    conn, repo: dict, at: str | None = None, excluded_patterns: list[str] | None = None, flagged: set[str] | None = None, reference: bool = False
) -> Authorship:
    """DOA authors of every file present at ``at`` (default: the ingested tip).

    Files: the repository's text files at the revision (git ls-tree), less the
    excluded-path rules and paths the store flags as excluded (``flagged``, when
    the caller has read them already). History: only commits reachable from the
    revision. Without the repository on disk, the ownership table's file list at
    the tip is used. This is the straightforward computation; ``team.authorships``
    reads its stored result when the history has not changed (team/summary.py).

    ``reference``: as the authors' tool (aserg-ufmg/Truck-Factor) computes it,
    to compare with published values: only the files Linguist counts as source
    (not foundermode's exclusion rules), and people of the same name as one.
    """
    rules = PathRules(excluded_patterns if excluded_patterns is not None else DEFAULT_EXCLUDED_PATHS)
    repo_path = Path(repo["path"])
    revision = repo["last_sha"]
    rank: dict[int, int] | None = None
    missing: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        # git lists the files and orders the commits while the database is read.
        listing = order = None
        if repo_path.exists():
            revision = resolve_revision(repo_path, at or repo["last_sha"] or "HEAD")
            listing = pool.submit(reference_files_at if reference else files_at, repo_path, revision)
            order = pool.submit(topological_order, repo_path, revision)
        elif at or reference:
            raise NotFound(f"{repo['path']} is not on this machine: {'a past revision' if at else 'the reference file filter'} needs the repository")
        history = queries.file_history(conn, repo["id"])
        if flagged is None:
            flagged = queries.excluded_paths(conn, repo["id"])
        if order is not None:
            ids = queries.commit_ids_by_sha(conn, repo["id"])
            rank = {ids[sha]: position for position, sha in enumerate(order.result()) if sha in ids}
        if listing is None:
            files = queries.ownership_file_list(conn, repo["id"])
            if not files:
                raise NotFound(f"{repo['path']} is not on this machine and no ownership was computed")
        else:
            files, missing = listing.result()
    rows = history.newest_first(rank)
    if reference:  # the reference tool knows no bots: their changes count as anyone's
        rows = [(path, old, status, commit, author, False) for path, old, status, commit, author, _bot in rows]
    present = set(files) if reference else {p for p in files if p not in flagged and not rules.excluded(p)}
    histories = follow_history(rows, present)
    if reference:
        histories = same_name_as_one(histories, {p: row["name"] for p, row in queries.people_rows(conn).items()})
    return Authorship(
        repo_id=repo["id"],
        repository=repo["name"],
        revision=revision,
        authors={path: (reference_file_authors if reference else file_authors)(h) for path, h in histories.items()},
        missing=frozenset(present.intersection(missing)),
        computed_histories=histories,
    )


# -- the report ---------------------------------------------------------------------------

@dataclass
class TruckFactorMember:
    person_id: int
    name: str
    files_authored: int
    orphaned_files: list[str]
    status: str = "current"  # people.py's tenure status: a departed member shows only with --everyone


@dataclass
class LostAuthor:
    """A departed author of files whose every author has left (knowledge already lost)."""

    person_id: int
    name: str
    files: int  # of the lost files, how many they author
    status: str = "departed"


@dataclass
class TruckFactor:
    repository: str
    revision: str | None
    area: str | None
    truck_factor: int
    files: int
    authorless_files: int
    members: list[TruckFactorMember]
    basis: str = "everyone"  # "current": among the people here (the default); "everyone": every author; "reference": as the authors' tool
    knowledge_lost_files: int = 0  # files every author of which has left
    knowledge_lost_share: float = 0.0  # of the files with authors
    knowledge_lost_areas: list[tuple[str, int]] = field(default_factory=list)  # top areas by lost files
    knowledge_lost_authors: list[LostAuthor] = field(default_factory=list)  # whose it was: the top 10 by lost files
    without: list[str] = field(default_factory=list)  # the people a "what if" takes away
    would_orphan_files: int = 0  # files their departure would leave with nobody
    missing_files: int = 0  # files counted whose content is missing from the repository (``git ls-tree -l``: BAD)

    @property
    def orphaned_share(self) -> float:
        orphaned = self.authorless_files + sum(len(m.orphaned_files) for m in self.members)
        return orphaned / self.files if self.files else 0.0


def truck_factor_of(
    auth: Authorship,
    names: dict[int, str],
    area: str | None = None,
    files: dict[str, frozenset[int]] | None = None,
    present: set[int] | None = None,
    statuses: dict[int, str] | None = None,
    without: set[int] | None = None,
) -> TruckFactor:
    """The truck factor of a repository, of one top-level directory (``area``), or of given ``files``.

    ``present``: the people here (people.py's tenure rule). Authors who left are
    taken out first: a file whose every author has left is *knowledge already
    lost*, reported apart and not counted in the greedy search, which then runs
    among the people here. ``without``: a "what if" — these people leave too.
    Unset, everyone who ever authored counts (the published computation).
    """
    authors = files if files is not None else auth.within(area)
    gone = set(without or ())
    lost: list[str] = []
    would_orphan = 0
    if present is not None:
        here = set(present) - gone
        kept: dict[str, frozenset[int]] = {}
        for path, people in authors.items():
            if not people:
                kept[path] = people
                continue
            among = people & here
            if among:
                kept[path] = frozenset(among)
            elif people & set(present):
                would_orphan += 1  # here today, orphaned by the "what if"
            else:
                lost.append(path)
        considered = kept
    else:
        considered = {path: people - gone for path, people in authors.items()} if gone else authors
        would_orphan = sum(1 for path, people in authors.items() if people and not considered[path]) if gone else 0
    result = greedy(considered)
    authored = sum(1 for people in authors.values() if people)
    lost_areas = Counter(area_of(path) for path in lost).most_common(5)
    statuses = statuses or {}
    lost_by = Counter(person for path in lost for person in authors[path])
    lost_authors = [
        LostAuthor(p, names.get(p, str(p)), n, statuses.get(p, "departed"))
        for p, n in sorted(lost_by.items(), key=lambda item: (-item[1], names.get(item[0], ""), item[0]))[:10]
    ]
    return TruckFactor(
        repository=auth.repository,
        revision=auth.revision,
        area=area,
        truck_factor=result.truck_factor,
        files=result.files,
        authorless_files=result.orphaned_before,
        members=[
            TruckFactorMember(r.person_id, names.get(r.person_id, str(r.person_id)), r.files_authored, r.orphaned, statuses.get(r.person_id, "current"))
            for r in result.removals
        ],
        basis="current" if present is not None else "everyone",
        knowledge_lost_files=len(lost),
        knowledge_lost_share=round(len(lost) / authored, 4) if authored else 0.0,
        knowledge_lost_areas=lost_areas,
        knowledge_lost_authors=lost_authors,
        without=sorted(names.get(p, str(p)) for p in gone),
        would_orphan_files=would_orphan,
        missing_files=sum(1 for path in authors if path in auth.missing) if auth.missing else 0,
    )


def areas(auth: Authorship) -> list[str]:
    return sorted({area_of(p) for p in auth.authors})


def owner_areas(auth: Authorship, rules) -> dict[str, dict[str, frozenset[int]]]:
    """CODEOWNERS owners (as written, e.g. '@org/payments') -> the authorship of the files they own."""
    out: dict[str, dict[str, frozenset[int]]] = {}
    for path, people in auth.authors.items():
        owners = rules.owners_for(path)
        out.setdefault(" ".join(owners) if owners else "(no owner)", {})[path] = people
    return dict(sorted(out.items()))
