"""gitignore-style path patterns, shared by the vendored-path rules and CODEOWNERS.

A pattern without a slash (other than a trailing one) matches at any depth;
a leading or inner slash anchors it at the root; a trailing slash means "this
directory and everything below"; ``*`` stays within one path segment, ``**``
crosses segments.
"""
from __future__ import annotations

import fnmatch
import re
from functools import lru_cache


def _glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        elif char == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str, descend_into_wildcard_dirs: bool = True) -> re.Pattern[str]:
    """Compile one pattern to a regex matched against a repository-relative path.

    ``descend_into_wildcard_dirs=False`` gives GitHub's CODEOWNERS reading of
    ``docs/*``: files directly in docs/, not in its subfolders.
    """
    body = pattern.strip()
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    anchored = body.startswith("/") or "/" in body
    body = body.lstrip("/")
    regex = _glob_to_regex(body)
    prefix = "^" if anchored else "^(?:.*/)?"
    if dir_only:
        suffix = "/.*$"
    elif not descend_into_wildcard_dirs and body.endswith("/*"):
        suffix = "$"
    else:
        suffix = "(?:/.*)?$"
    return re.compile(prefix + regex + suffix)


def matches(pattern: str, path: str) -> bool:
    return compile_pattern(pattern).match(path) is not None


class PathRules:
    """A set of exclusion patterns; ``excluded(path)`` is True when any matches."""

    def __init__(self, patterns: list[str]):
        self.patterns = [p for p in patterns if p.strip() and not p.strip().startswith("#")]
        self._regexes = [compile_pattern(p) for p in self.patterns]

    def excluded(self, path: str) -> bool:
        return any(regex.match(path) for regex in self._regexes)


class AuthorRules:
    """Glob patterns on an author's name or email, case-insensitive.

    Only ``*`` and ``?`` are wildcards: brackets are literal, so ``*[bot]``
    means a name ending in "[bot]".
    """

    def __init__(self, patterns: list[str]):
        self.patterns = [_literal_brackets(p.lower()) for p in patterns]

    def is_bot(self, name: str | None, email: str | None) -> bool:
        candidates = [(name or "").lower(), (email or "").lower()]
        return any(fnmatch.fnmatchcase(value, pattern) for value in candidates if value for pattern in self.patterns)


def _literal_brackets(pattern: str) -> str:
    return "".join("[[]" if c == "[" else "[]]" if c == "]" else c for c in pattern)
