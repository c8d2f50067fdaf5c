"""A small company's history, built with git: several authors over ten weeks.

What happens in it is known by construction, so the brief's sections can be
checked against it: areas api/, web/, infra/ and docs/; docs/ goes quiet in the
last week; a revert, dependency-file changes and a removed file in the last
week; a new joiner whose first commit is in the last week; an author whose
activity jumps in the last week.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conftest import BASE_TIME, init_repo

DAY = 86_400
WEEK = 7 * DAY

ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")
LINUS = ("Linus Torvalds", "linus@example.com")
BARBARA = ("Barbara Liskov", "barbara@example.com")
KEN = ("Ken Thompson", "ken@example.com")  # joins in the last week
WEEKS = 10


@dataclass
class History:
    repo: object
    last: int  # authored time of the last commit
    shas: dict[str, str] = field(default_factory=dict)

    @property
    def window(self):
        from foundermode.brief.window import Window

        return Window(self.last + 1 - WEEK, self.last + 1)


def build_history(path) -> History:
    repo = init_repo(path)
    start = BASE_TIME
    shas: dict[str, str] = {}
    repo.commit({"README.md": "# Acme\n", "api/app.py": "app = 1\n", "web/index.js": "let a = 1;\n", "docs/guide.md": "guide\n",
                 "infra/deploy.sh": "echo deploy\n", "requirements.txt": "flask==2\n", "web/legacy.js": "old\n"}, "Initial import", author=ADA, when=start)
    for week in range(WEEKS - 1):
        base = start + week * WEEK + DAY
        repo.commit({"api/app.py": f"app = {week + 2}\n"}, f"API: tweak handler, week {week}", author=ADA, when=base)
        repo.commit({"web/index.js": f"let a = {week + 2};\n"}, f"Web: adjust page, week {week}", author=GRACE, when=base + 3600)
        repo.commit({"docs/guide.md": f"guide v{week}\n"}, f"Docs: update guide, week {week}", author=BARBARA, when=base + 7200)
        repo.commit({f"docs/page{week}.md": "page\n"}, f"Docs: add page {week}", author=BARBARA, when=base + 7300)
        if week % 3 == 0:
            repo.commit({"infra/deploy.sh": f"echo deploy {week}\n"}, f"Infra: deploy script {week}", author=LINUS, when=base + 10800)
    # The last week: docs go quiet, Linus gets busy, Ken joins, a revert and dependency changes.
    last_week = start + (WEEKS - 1) * WEEK + DAY
    for i in range(6):
        shas[f"linus{i}"] = repo.commit({"infra/deploy.sh": f"echo deploy v{i}\n", f"infra/module{i}.tf": "resource {}\n"}, f"Infra: terraform module {i}", author=LINUS, when=last_week + i * 3600)
    shas["deps"] = repo.commit({"requirements.txt": "flask==3\nrequests==2\n", "web/package.json": '{"dependencies": {"react": "18"}}\n'}, "Bump flask to 3 and add react", author=GRACE, when=last_week + 8 * 3600)
    shas["bad"] = repo.commit({"api/app.py": "app = broken\n"}, "API: rewrite handler", author=ADA, when=last_week + 9 * 3600)
    shas["revert"] = repo.commit({"api/app.py": "app = 10\n"}, 'Revert "API: rewrite handler"', author=ADA, when=last_week + 10 * 3600)
    shas["remove"] = repo.commit({"web/legacy.js": None}, "Web: remove legacy shim", author=GRACE, when=last_week + 12 * 3600)
    shas["ken1"] = repo.commit({"api/auth.py": "auth = 1\n"}, "API: add auth module <script>alert(1)</script>", author=KEN, when=last_week + 13 * 3600)
    shas["ken2"] = repo.commit({"api/auth.py": "auth = 2\n"}, "API: auth tokens", author=KEN, when=last_week + 2 * DAY)
    last = last_week + 2 * DAY
    return History(repo=repo, last=last, shas=shas)


@pytest.fixture(scope="session")
def history(tmp_path_factory) -> History:
    return build_history(tmp_path_factory.mktemp("history") / "acme")


@pytest.fixture(scope="session")
def demo(tmp_path_factory, history):
    """``foundermode demo`` run once on the history (it takes a few seconds), shared by the tests."""
    from io import StringIO

    from rich.console import Console

    from foundermode.demo import run_demo

    folder = tmp_path_factory.mktemp("demo") / "foundermode-demo"
    out = StringIO()
    result = run_demo(history.repo.path, folder, console=Console(file=out, width=140, color_system=None))
    result.output = out.getvalue()
    return result
