"""State of each area, cross-checked against git itself on the same repository."""
from __future__ import annotations

import pytest

from foundermode.brief import build_brief
from foundermode.config import Config


@pytest.fixture
def areas(store, history):
    from foundermode.ingest import ingest_repository

    ingest_repository(store, history.repo.path, Config())
    brief = build_brief(store, Config(), history.window)
    return brief.section("areas").data


def git_commits(history, path: str) -> list[str]:
    window = history.window
    out = history.repo.git("log", "--no-merges", "--format=%H", f"--since=@{window.start}", f"--until=@{window.end - 1}", "--", path)
    return out.split()


def test_area_counts_match_git_log(areas, history):
    by_area = {a.area: a for a in areas.areas}
    assert set(by_area) == {"infra", "api", "web", "(root)"}
    for area in ("infra", "api", "web"):
        assert by_area[area].commits == len(git_commits(history, f"{area}/")), area
    assert areas.commits == len(git_commits(history, "."))
    assert by_area["infra"].authors == ["Linus Torvalds"]
    assert by_area["infra"].added_files == [f"infra/module{i}.tf" for i in range(6)]
    assert by_area["web"].removed_files == ["web/legacy.js"]
    assert by_area["infra"].trend == "up" and by_area["api"].commits == 4


def test_reverts_dependencies_hot_files_and_quiet_areas(areas, history):
    assert [c.sha for c in areas.reverts] == [history.shas["revert"]]
    assert sorted((d.path, d.commit.sha) for d in areas.dependency_changes) == sorted(
        [("requirements.txt", history.shas["deps"]), ("web/package.json", history.shas["deps"])]
    )
    hot = {h.path: h for h in areas.hot_files}
    assert hot["infra/deploy.sh"].commits == 6 and hot["api/app.py"].commits == 2
    quiet = {q.area: q for q in areas.quiet}
    assert set(quiet) == {"docs"}
    last_docs = history.repo.git("log", "-1", "--format=%H %s", "--", "docs/").strip()
    assert f"{quiet['docs'].last_commit.sha} {quiet['docs'].last_commit.subject}" == last_docs
    assert quiet["docs"].last_authors == ["Barbara Liskov"]
    # The commits that explain an area: the revert first, then the largest changes.
    api = next(a for a in areas.areas if a.area == "api")
    assert api.explaining[0].sha == history.shas["revert"]


def test_area_map_looks_inside_containers_and_dominant_directories():
    from foundermode.brief.activity import AreaMap

    counts = {"src/pkg/core/a.py": 30, "src/pkg/web/b.py": 30, "src/pkg/__init__.py": 5, "docs/x.md": 10, "README.md": 3}
    areas = AreaMap({1: counts})
    assert areas.area(1, "src/pkg/core/a.py") == "src/pkg/core"
    assert areas.area(1, "src/pkg/__init__.py") == "src/pkg"
    assert areas.area(1, "docs/x.md") == "docs"
    assert areas.area(1, "README.md") == "(root)"
