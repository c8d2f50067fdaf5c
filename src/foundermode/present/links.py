"""Names and links instead of ids: the one place that turns the words of a brief or a
page into links to the pages they name.

``Linker.of(store)`` reads, once, who the people are (name -> ``/people/ID``), which
repositories exist (and their forge, from the ``origin`` remote when it is a GitHub,
GitLab or similar web host), and then ``linkify(text)`` escapes ``text`` and wraps

- a person's full name in a link to their page,
- ``#12`` (a blocker report's number) in a link to it on its bottleneck's page,
- a commit sha (7 to 40 hex digits, containing a digit and a letter) in a link to its
  forge page when the remote is known,
- a repository's name in a link to the Team page filtered to it.

Everything else stays text: the result is escaped HTML (``Markup``), never raw data.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape
from ..store.schema import people, repositories
from ..store.schema_bottlenecks import blocker_reports

SHA = r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b"
BOTTLENECK = r"(?<![\w&])#(\d{1,9})\b"


def forge_base(remote: str | None) -> str | None:
    """``https://host/owner/name`` for a remote on a web forge, else None.

    >>> forge_base("git@github.com:pallets/flask.git")
    'https://github.com/pallets/flask'
    >>> forge_base("https://gitlab.com/a/b.git")
    'https://gitlab.com/a/b'
    >>> forge_base("/srv/git/repo") is None
    True
    """
    if not remote:
        return None
    remote = remote.strip()
    match = re.fullmatch(r"(?:ssh://)?git@([\w.-]+)[:/]([\w.-]+(?:/[\w.-]+)+?)(?:\.git)?/?", remote) \
        or re.fullmatch(r"https?://(?:[^@/]+@)?([\w.-]+(?::\d+)?)/([\w.-]+(?:/[\w.-]+)+?)(?:\.git)?/?", remote)
    if not match:
        return None
    path = match.group(2)
    return f"https://{match.group(1)}/{path[:-4] if path.endswith('.git') else path}"


def commit_url(base: str, sha: str) -> str:
    return f"{base}/-/commit/{sha}" if "gitlab" in base else f"{base}/commit/{sha}"


def _origin(path: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", path, "remote", "get-url", "origin"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass
class Linker:
    people: dict[str, int] = field(default_factory=dict)  # full name -> person id
    repositories: dict[str, str | None] = field(default_factory=dict)  # name -> forge base (None: unknown)
    reports: dict[int, int] = field(default_factory=dict)  # blocker report id ("#12" in a brief) -> its bottleneck
    _pattern: re.Pattern | None = None

    @classmethod
    def of(cls, store) -> "Linker":
        from sqlalchemy import select

        with store.read() as conn:
            rows = conn.execute(select(people.c.id, people.c.name, people.c.email).where(people.c.is_bot.is_(False))).all()
            repos = conn.execute(select(repositories.c.name, repositories.c.path)).all()
        names: dict[str, int] = {}
        for person_id, name, email in rows:
            if name and len(name) >= 3 and " " in name.strip():
                names.setdefault(name.strip(), person_id)
            if email and "@" in email:
                names.setdefault(email.strip(), person_id)
        reports: dict[int, int] = {}
        try:
            with store.read() as conn:
                reports = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.bottleneck_id)).all())
        except Exception:  # noqa: BLE001 - a store without the bottleneck tables links no report
            reports = {}
        forges = {name: forge_base(_origin(path)) if Path(path).exists() else None for name, path in repos}
        return cls(names, forges, reports)

    def person_url(self, name: str) -> str | None:
        person_id = self.people.get(name)
        return f"/people/{person_id}" if person_id is not None else None

    def commit_url(self, sha: str, repository: str | None = None) -> str | None:
        bases = [self.repositories.get(repository)] if repository else list(self.repositories.values())
        bases = [b for b in bases if b]
        return commit_url(bases[0], sha) if len(bases) == 1 else None

    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            words = sorted(list(self.people) + [r for r in self.repositories if len(r) >= 3], key=len, reverse=True)
            names = "|".join(re.escape(w) for w in words)
            parts = [BOTTLENECK, SHA] + ([rf"(?<![\w@.])(?:{names})(?![\w@]|\.\w)"] if names else [])
            self._pattern = re.compile("|".join(f"(?:{p})" for p in parts))
        return self._pattern

    def linkify(self, text, skip: str | None = None) -> Markup:
        """``text`` escaped, with what it names linked (``skip``: a name not to link, the page's own subject)."""
        if text is None:
            return Markup("")
        text = str(text)
        out, at = [], 0
        for match in self.pattern().finditer(text):
            word = match.group(0)
            url = None
            if match.group(1):
                number = int(match.group(1))
                url = f"/bottlenecks/{self.reports[number]}#report-{number}" if number in self.reports else None
            elif word in self.people and word != skip:
                url = self.person_url(word)
            elif word in self.repositories:
                url = f"/team?repo={word}"
            elif re.fullmatch(SHA, word):
                url = self.commit_url(word)
            if url is None:
                continue
            out.append(escape(text[at:match.start()]))
            out.append(Markup('<a href="{}">{}</a>').format(url, word))
            at = match.end()
        out.append(escape(text[at:]))
        return Markup("").join(out)
