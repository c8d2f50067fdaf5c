"""Stagnation on a repository built by the test: an area busy for months then quiet,
one steadily active, and branches stale, merged, fresh and bot-made."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from foundermode.config import Config
from foundermode.ingest import ingest_repository
from foundermode.meetings.stagnation import StagnationSettings, area_activity, area_of, stale_branches

from conftest import BASE_TIME, init_repo

WEEK = 7 * 86400
AS_OF = BASE_TIME + 60 * WEEK
ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")
KATHERINE = ("Katherine Johnson", "katherine@example.com")
MARGARET = ("Margaret Hamilton", "margaret@example.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


def at(week: int, hour: int = 0) -> int:
    return BASE_TIME + week * WEEK + hour * 3600


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    # Built once for the module: about a hundred commits, read-only for the tests.
    repo = init_repo(tmp_path_factory.mktemp("stagnation") / "product")
    repo.commit({"CODEOWNERS": "/billing/ @org/payments\n/api/ @org/platform\n", "README.md": "product\n"}, "start", author=ADA, when=at(0))
    for week in range(60):
        if week < 45:
            # Billing is built for ten months, with the API alongside.
            repo.commit({"billing/invoice.py": f"v = {week}\n", "api/routes.py": f"r = {week}\n"}, f"billing and api {week}", author=ADA, when=at(week, 1))
            if week % 3 == 0:
                repo.commit({"billing/tax/rates.py": f"t = {week}\n"}, f"tax {week}", author=GRACE, when=at(week, 2))
        else:
            repo.commit({"api/routes.py": f"r = {week}\n"}, f"api {week}", author=KATHERINE, when=at(week, 1))
        if week in (10, 30, 50):
            repo.commit({f"docs/notes{week}.md": "notes\n"}, "docs", author=GRACE, when=at(week, 3))
    # Recent touches of billing that are not work on it: a bot's bump and a vendored file.
    repo.commit({"billing/requirements.txt": "stripe==9\n"}, "Bump stripe", author=BOT, when=at(55, 4))
    repo.commit({"billing/node_modules/left-pad/index.js": "module.exports = 1\n"}, "vendor left-pad", author=ADA, when=at(57, 4))

    main_tip = repo.head()
    # Stale: Margaret's experiment, untouched since week 10, never merged.
    repo.git("checkout", "-q", "-b", "feature/ledger", repo.git("rev-list", "-n", "1", f"--before={at(9, 5)}", "main").strip())
    repo.commit({"billing/ledger.py": "ledger = []\n"}, "ledger draft", author=MARGARET, when=at(9, 6))
    repo.commit({"billing/ledger.py": "ledger = [1]\n"}, "ledger more", author=GRACE, when=at(10, 6))
    # Merged long ago: not stale, whatever its age.
    repo.git("checkout", "-q", "-b", "feature/merged", main_tip)
    repo.commit({"api/merged.py": "x = 1\n"}, "merged work", author=ADA, when=at(59, 5))
    repo.git("checkout", "-q", "main")
    repo.merge("feature/merged", author=ADA)
    repo.git("branch", "-q", "feature/old-merged", "HEAD~5")
    # Fresh: unmerged but recent.
    repo.git("checkout", "-q", "-b", "feature/fresh")
    repo.commit({"api/fresh.py": "y = 1\n"}, "fresh", author=KATHERINE, when=at(59, 20))
    # A bot's stale branch: left out.
    repo.git("checkout", "-q", "-b", "dependabot/pip/stripe", main_tip)
    repo.commit({"billing/requirements.txt": "stripe==8\n"}, "Bump stripe to 8", author=BOT, when=at(20, 1))
    repo.git("checkout", "-q", "main")
    # A remote-tracking copy of the stale branch, as after a fetch, plus origin/HEAD (a symbolic ref).
    repo.git("update-ref", "refs/remotes/origin/feature/ledger", "feature/ledger")
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return repo


def day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


def by_area(rows):
    return {row.area: row for row in rows}


def test_area_busy_then_quiet_is_flagged_steady_one_is_not(store, history):
    ingest_repository(store, history.path, Config(), jobs=1)
    with store.read() as conn:
        rows = area_activity(conn, StagnationSettings(), as_of=AS_OF)
    areas = by_area(rows)
    billing, api = areas["billing"], areas["api"]
    assert billing.stagnant and billing.status == "stagnant" and rows[0].area == "billing"
    # The bot's bump and the vendored file do not count as activity.
    assert billing.recent_commits == 0
    # Full 12-week windows before the recent one: weeks 36-48, 24-36, 12-24 (0-12 holds the first commit, partial).
    # Billing had Ada weekly and Grace every third week in them, except weeks 45-48 went quiet.
    assert billing.windows == 3
    expected = sorted([(45 - 36) + len([w for w in range(36, 45) if w % 3 == 0]), 12 + 4, 12 + 4])[1]
    assert billing.typical_commits == expected
    assert billing.last_people == [f"Ada Lovelace ({day(at(44, 1))})", f"Grace Hopper ({day(at(42, 2))})"]
    # Katherine weekly, and Ada's commit from the merged branch (the merge itself is nobody's work).
    assert (api.status, api.recent_commits, api.typical_commits, api.stagnant) == ("active", 13, 12, False)
    assert api.last_people == [f"Ada Lovelace ({day(at(59, 5))})", f"Katherine Johnson ({day(at(59, 1))})"]
    assert areas["docs"].status == "too quiet" and not areas["docs"].stagnant
    assert areas["(root)"].status == "too quiet"
    assert "billing/node_modules" not in areas and "dependabot" not in str(rows)
    # Too young: judged on fewer windows than required.
    with store.read() as conn:
        young = by_area(area_activity(conn, StagnationSettings(), as_of=at(30)))
    assert young["billing"].status == "too young" and young["billing"].windows == 1


def test_areas_by_depth_and_by_codeowners(store, history):
    ingest_repository(store, history.path, Config(), jobs=1)
    with store.read() as conn:
        deep = by_area(area_activity(conn, StagnationSettings(depth=2), as_of=AS_OF))
        owners = by_area(area_activity(conn, StagnationSettings(by="codeowners"), as_of=AS_OF))
    assert {"billing", "billing/tax", "api"} <= set(deep)
    # Grace's tax tables: four commits a window (three in the last before it went quiet), then none.
    assert (deep["billing/tax"].recent_commits, deep["billing/tax"].typical_commits, deep["billing/tax"].stagnant) == (0, 4, True)
    assert deep["billing"].stagnant
    assert owners["@org/payments"].stagnant and owners["@org/platform"].status == "active"
    assert owners["(no owner)"].status == "too quiet"


def test_area_of():
    assert area_of("README.md", 1) == "(root)"
    assert area_of("src/a.py", 1) == "src"
    assert area_of("src/a.py", 2) == "src"
    assert area_of("src/x/y/a.py", 2) == "src/x"


def test_stale_unmerged_branches_with_their_last_committers(store, history):
    ingest_repository(store, history.path, Config(), jobs=1)
    with store.read() as conn:
        stale, warnings = stale_branches(conn, StagnationSettings(), as_of=AS_OF, config=Config())
    assert warnings == []
    assert [(b.branch, b.unmerged_commits) for b in stale] == [("feature/ledger", 2), ("origin/feature/ledger", 2)]
    ledger = stale[0]
    assert ledger.tip_at == at(10, 6) and ledger.diverged_at == at(9, 6)
    assert ledger.days_since_tip == (AS_OF - at(10, 6)) // 86400
    assert ledger.last_committers == [f"Grace Hopper ({day(at(10, 6))})", f"Margaret Hamilton ({day(at(9, 6))})"]
    with store.read() as conn:
        # With a longer threshold the ledger branch is not yet stale.
        none, _ = stale_branches(conn, StagnationSettings(stale_days=400), as_of=AS_OF, config=Config())
    assert none == []


def test_settings_from_config_and_missing_repository(store, history, tmp_path):
    config = Config(raw={"meetings": {"stagnation_weeks": 8, "stagnation_threshold": 0.5, "stagnation_by": "codeowners", "stale_branch_days": 14}})
    settings = StagnationSettings.from_config(config, depth=3)
    assert (settings.weeks, settings.threshold, settings.by, settings.stale_days, settings.depth) == (8, 0.5, "codeowners", 14, 3)
    with pytest.raises(ValueError, match='stagnation_by must be one of "directory", "codeowners"'):
        StagnationSettings.from_config(Config(raw={"meetings": {"stagnation_by": "teams"}}))
    with pytest.raises(ValueError, match="stagnation_threshold"):
        StagnationSettings.from_config(Config(raw={"meetings": {"stagnation_threshold": 25}}))
    copy = tmp_path / "product"
    shutil.copytree(history.path, copy)
    ingest_repository(store, copy, Config(), jobs=1)
    shutil.rmtree(copy)
    with store.read() as conn:
        stale, warnings = stale_branches(conn, as_of=AS_OF)
    assert stale == [] and len(warnings) == 1 and "no longer exists" in warnings[0]


def test_cli_stagnation(sqlite_store, history, tmp_path):
    import json

    from typer.testing import CliRunner

    from foundermode.cli import app

    ingest_repository(sqlite_store, history.path, Config(), jobs=1)
    db = sqlite_store.url
    config = tmp_path / "foundermode.toml"
    config.write_text("[meetings]\nstagnation_weeks = 12\n")
    runner = CliRunner()
    as_of = dt.datetime.fromtimestamp(AS_OF, dt.timezone.utc).isoformat()
    result = runner.invoke(app, ["--db", db, "--config", str(config), "stagnation", "--as-of", as_of, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [a["area"] for a in data["areas"]] == ["billing"]
    assert [b["branch"] for b in data["branches"]] == ["feature/ledger", "origin/feature/ledger"]
    result = runner.invoke(app, ["--db", db, "meetings", "stagnation", "--as-of", as_of, "--all", "--by", "codeowners", "--format", "csv", "--no-branches"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("repository,area,status,last_12w,typical")
    assert any(line.startswith("product,@org/payments,stagnant,0,16") for line in lines)
    result = runner.invoke(app, ["--db", db, "stagnation", "--by", "teams"])
    assert result.exit_code == 1 and 'stagnation_by must be one of "directory", "codeowners"' in result.output
    result = runner.invoke(app, ["--db", db, "stagnation", "--as-of", as_of], env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0 and "Stagnant areas" in result.output and "feature/ledger" in result.output
    heading = " ".join(result.output.split())  # the title wraps
    assert f"as of {as_of[:10]} (UTC; ends where asked)" in heading  # the heading says when it is judged


def test_areas_gone_at_the_tip_are_not_stagnant(store, tmp_path):
    """flask's old flask/ moved to src/flask/: an area whose every file was moved or deleted
    is gone, not stagnant; an area with one surviving file is still judged."""
    repo = init_repo(tmp_path / "moved")
    for week in range(40):
        repo.commit({"pkg/core.py": f"v = {week}\n", "legacy/old.py": f"o = {week}\n", "tools/a.py": f"a = {week}\n", "tools/b.py": f"b = {week}\n"}, f"work {week}", author=ADA, when=at(week, 1))
    repo.git("mv", "pkg", "src")
    repo.commit(None, "move pkg to src", author=ADA, when=at(40, 1), allow_empty=True)
    repo.git("rm", "-q", "-r", "legacy")
    repo.commit(None, "drop legacy", author=ADA, when=at(40, 2), allow_empty=True)
    repo.git("rm", "-q", "tools/b.py")
    repo.commit(None, "drop b", author=ADA, when=at(40, 3), allow_empty=True)
    for week in range(41, 60):
        repo.commit({"src/core.py": f"v = {week}\n"}, f"work {week}", author=ADA, when=at(week, 1))
    ingest_repository(store, repo.path)
    with store.read() as conn:
        areas = by_area(area_activity(conn, StagnationSettings(weeks=4), as_of=AS_OF))
    assert "pkg" not in areas and "legacy" not in areas  # moved and deleted: gone at the tip
    assert areas["tools"].stagnant  # tools/a.py is still there and nobody touches it
    assert "src" in areas
    # Judged as of a time before the move, pkg and legacy were alive
    with store.read() as conn:
        before = by_area(area_activity(conn, StagnationSettings(weeks=4), as_of=at(39, 5)))
    assert {"pkg", "legacy", "tools"} <= set(before)


def test_a_maintenance_branch_merged_after_a_move_does_not_revive_the_old_area(store, tmp_path):
    """flask: flask/ moved to src/flask/ on main in 2019, the 1.1.x branch kept changing flask/*.py
    until 2020 and was merged back (its changes resolved into src/). A change to a file that a
    move or a deletion had already removed does not bring it back: only an addition does."""
    repo = init_repo(tmp_path / "maint")
    for week in range(30):
        repo.commit({"pkg/core.py": f"v = {week}\n", "tools/a.py": f"a = {week}\n"}, f"work {week}", author=ADA, when=at(week, 1))
    fork = repo.head()
    repo.git("mv", "pkg", "src")
    repo.commit(None, "move pkg to src", author=ADA, when=at(30, 1), allow_empty=True)
    repo.git("checkout", "-q", "-b", "maint", fork)
    repo.commit({"pkg/core.py": "v = 'fix'\n"}, "backport a fix", author=ADA, when=at(31, 1))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "-s", "ours", "-m", "Merge maint", "maint")
    for week in range(32, 60):
        repo.commit({"src/core.py": f"v = {week}\n", **({"readded/x.py": "x = 1\n"} if week == 40 else {})}, f"work {week}", author=ADA, when=at(week, 1))
    assert "pkg" not in repo.git("ls-tree", "--name-only", "HEAD")
    ingest_repository(store, repo.path)
    with store.read() as conn:
        areas = by_area(area_activity(conn, StagnationSettings(weeks=4), as_of=AS_OF))
    assert "pkg" not in areas  # gone at the tip, whatever the maintenance branch did to it
    assert "src" in areas and "tools" in areas and "readded" in areas
