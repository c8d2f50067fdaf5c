"""Helpers for principle 1's tests: direct git computations to cross-check every figure."""
from __future__ import annotations

import os
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from foundermode.ingest import ingest_repository

ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Babbage", "bob@example.com")
CAY = ("Cay Hopper", "cay@example.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


def lines(n: int, tag: str = "x") -> str:
    return "".join(f"{tag} line {i}\n" for i in range(n))


def git_out(path: Path, *args: str) -> str:
    env = {**os.environ, "TZ": "UTC", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, check=True, env=env).stdout.decode()


def git_numstat(path: Path, since: int | None = None, until: int | None = None, excluded=lambda p: False, bots=()) -> dict:
    """Per author email, from ``git log --no-merges --numstat``: commits, days, lines, files, first/last."""
    out = git_out(path, "log", "--no-merges", "-M", "--numstat", "-z", "--format=%x00@@%ae%x09%at")
    stats: dict[str, dict] = defaultdict(lambda: {"commits": 0, "days": set(), "added": 0, "removed": 0, "files": set()})
    current = None
    tokens = iter(out.split("\0"))
    for token in tokens:
        token = token.lstrip("\n")
        if token.startswith("@@"):
            header, _, token = token.partition("\n")
            email, at = header[2:].split("\t")
            at = int(at)
            inside = (since is None or at >= since) and (until is None or at < until)
            current = stats[email] if inside and email not in bots else None
            if current is not None:
                current["commits"] += 1
                current["days"].add(at // 86400)
        parts = token.split("\t")
        if len(parts) != 3:
            continue
        adds, dels, name = parts
        if not name:  # a rename: -z puts the old and the new path in the next two tokens
            next(tokens)
            name = next(tokens)
        if current is None or excluded(name):
            continue
        current["files"].add(name)
        if adds != "-":
            current["added"] += int(adds)
            current["removed"] += int(dels)
    return stats


def git_blame_lines(path: Path, excluded=lambda p: False) -> tuple[Counter, int]:
    """Surviving lines per author email at HEAD (git blame -w -M) over text files."""
    per_author: Counter = Counter()
    total = 0
    files = git_out(path, "grep", "-I", "-l", "-e", "", "HEAD").split()
    for entry in files:
        name = entry.split(":", 1)[1]
        if excluded(name):
            continue
        for line in git_out(path, "blame", "-w", "-M", "--line-porcelain", "HEAD", "--", name).splitlines():
            if line.startswith("author-mail "):
                per_author[line[len("author-mail "):].strip("<>")] += 1
                total += 1
    return per_author, total


def git_follow_changes(path: Path, file: str, rev: str = "HEAD") -> tuple[str, Counter]:
    """Creator email and changes per author email of one file, renames followed by git itself."""
    out = git_out(path, "log", "--follow", "--no-merges", "-M", "--format=%ae", rev, "--", file).split()
    return out[-1], Counter(out)


@pytest.fixture
def ingest():
    def run(store, repo, ownership=False):
        result = ingest_repository(store, repo.path)
        if ownership:
            from foundermode.sources.ownership import compute_ownership

            compute_ownership(store, result.repo_id, jobs=2)
        return result

    return run
