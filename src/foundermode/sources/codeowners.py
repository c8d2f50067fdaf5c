"""CODEOWNERS with GitHub's semantics: the file is looked for in .github/, the
root, then docs/ (first found wins); patterns are gitignore-like; the last
matching pattern wins; a pattern with no owners un-owns its paths."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select

from ..store.schema import codeowners
from .git import decode
from .patterns import compile_pattern

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: str
    owners: tuple[str, ...]


def parse(text: str) -> list[Rule]:
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue  # comments, and GitLab section headers
        # A '#' after whitespace starts a comment; '\#' is a literal hash.
        cut = len(line)
        for i, char in enumerate(line):
            if char == "#" and i > 0 and line[i - 1] != "\\" and line[i - 1].isspace():
                cut = i
                break
        parts = line[:cut].split()
        if not parts:
            continue
        pattern = parts[0].replace("\\#", "#").replace("\\ ", " ")
        rules.append(Rule(line=number, pattern=pattern, owners=tuple(parts[1:])))
    return rules


class CodeOwners:
    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self._compiled = [(compile_pattern(r.pattern, descend_into_wildcard_dirs=False), r) for r in rules]

    def rule_for(self, path: str) -> Rule | None:
        for regex, rule in reversed(self._compiled):
            if regex.match(path):
                return rule
        return None

    def owners_for(self, path: str) -> tuple[str, ...]:
        rule = self.rule_for(path)
        return rule.owners if rule else ()


def read_from_repo(repo: Path) -> tuple[str, str] | None:
    """(location, text) of the CODEOWNERS file at HEAD, or None.

    One ``git cat-file --batch`` asks for every location at once (a process per
    location was a tenth of a small repository's ingest); the first that is a
    file wins, in GitHub's order.
    """
    asked = "".join(f"HEAD:{location}\n" for location in LOCATIONS).encode()
    out = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=asked, capture_output=True).stdout
    position = 0
    for location in LOCATIONS:
        end = out.find(b"\n", position)
        if end < 0:
            return None  # no HEAD yet, or git failed: nothing to read
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3:  # "<name> missing", "<name> ambiguous"
            continue
        _sha, kind, size = header
        content = out[position : position + int(size)]
        position += int(size) + 1  # the content, then a newline
        if kind == b"blob":
            return location, decode(content)
    return None


def refresh(conn, repo_id: int, repo: Path) -> int:
    """Replace the repository's stored rules with those at HEAD; returns how many."""
    conn.execute(delete(codeowners).where(codeowners.c.repo_id == repo_id))
    found = read_from_repo(repo)
    if not found:
        return 0
    location, text = found
    rules = parse(text)
    if rules:
        conn.execute(
            insert(codeowners),
            [
                {"repo_id": repo_id, "position": i, "line": r.line, "pattern": r.pattern, "owners": " ".join(r.owners), "source_file": location}
                for i, r in enumerate(rules)
            ],
        )
    return len(rules)


def load(conn, repo_id: int) -> CodeOwners:
    rows = conn.execute(
        select(codeowners.c.line, codeowners.c.pattern, codeowners.c.owners).where(codeowners.c.repo_id == repo_id).order_by(codeowners.c.position)
    ).all()
    return CodeOwners([Rule(line=line, pattern=pattern, owners=tuple(owners.split())) for line, pattern, owners in rows])
