"""Branches of a repository, read with the git binary: tips, whether HEAD has
merged them, and who committed what HEAD lacks. Knows nothing of the store."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .git import GitError, decode, git

FIELDS = ["%(refname)", "%(objectname)", "%(committerdate:unix)", "%(authorname)", "%(authoremail)", "%(symref)"]


@dataclass
class Branch:
    ref: str  # refs/heads/x or refs/remotes/origin/x
    name: str  # x or origin/x
    sha: str
    tip_at: int  # committer time of the tip
    merged: bool  # reachable from HEAD
    unique_commits: int = 0  # commits on the branch that HEAD lacks
    diverged_at: int | None = None  # author time of the oldest of those
    authors: list[tuple[str, str, int]] = field(default_factory=list)  # (name, email, last author time), newest first


def read_branches(repo: Path | str, head: str = "HEAD") -> list[Branch]:
    """Local and remote-tracking branches (symbolic refs such as origin/HEAD skipped)."""
    raw = decode(git(repo, "for-each-ref", "--format=" + "%00".join(FIELDS), "refs/heads", "refs/remotes"))
    merged = set(decode(git(repo, "for-each-ref", "--format=%(refname)", f"--merged={head}", "refs/heads", "refs/remotes", check=False)).split("\n"))
    branches = []
    for line in raw.splitlines():
        if not line:
            continue
        parts = line.split("\x00")
        if len(parts) != len(FIELDS):
            raise GitError(f"{repo}: unexpected for-each-ref output: {line[:80]!r}")
        ref, sha, tip_at, _name, _email, symref = parts
        if symref:
            continue
        short = ref.split("/", 2)[2]
        branch = Branch(ref=ref, name=short, sha=sha, tip_at=int(tip_at or 0), merged=ref in merged)
        if not branch.merged:
            _unique_work(repo, head, branch)
        branches.append(branch)
    return branches


def _unique_work(repo, head: str, branch: Branch) -> None:
    log = decode(git(repo, "log", "--use-mailmap", "--format=%aN%x00%aE%x00%at", f"{head}..{branch.ref}", check=False))
    seen: dict[tuple[str, str], int] = {}
    oldest = None
    count = 0
    for line in log.splitlines():
        parts = line.split("\x00")
        if len(parts) != 3:
            continue
        count += 1
        name, email, at = parts[0], parts[1], int(parts[2] or 0)
        oldest = at if oldest is None else min(oldest, at)
        key = (name, email.lower())
        if key not in seen:
            seen[key] = at
    branch.unique_commits = count
    branch.diverged_at = oldest
    branch.authors = [(name, email, at) for (name, email), at in seen.items()]
