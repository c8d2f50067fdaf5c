"""The whole-history summaries (team/summary.py) and the per-person index reads give exactly
what the straightforward computations give, on a history built here, through incremental
ingest, a force-push re-read, ``people merge``, re-flagged bots and vendored paths, and a
writer that changes the history without refreshing them."""
from __future__ import annotations

from sqlalchemy import func, select, update

from foundermode import team
from foundermode.brief.activity import AreaMap, first_commit_times
from foundermode.config import Config
from foundermode.ingest import apply_rules, ingest_repository
from foundermode.sources.identities import merge_people
from foundermode.store.schema import commits, file_changes, people
from foundermode.store.schema_team import team_summaries
from foundermode.team import queries, summary
from foundermode.team.queries import Scope, counted_commit
from foundermode.team.truck_factor import authorship

from .conftest import ADA, BOB, BOT, CAY, lines

ADA_OLD = ("A. Lovelace", "ada@old.example.com")


def build_history(repo) -> None:
    """Renames, a deletion and re-creation, a merged side branch, a bot, a vendored and a lock file."""
    repo.commit({"core/engine.py": lines(30, "e"), "core/util.py": lines(20, "u"), "vendor/lib.js": lines(40), "README": "hi\n"}, author=ADA)
    repo.commit({"core/engine.py": lines(33, "e2")}, author=BOB)
    repo.commit({"core/util.py": lines(22, "u2"), "package-lock.json": "{}\n"}, author=ADA_OLD)
    repo.git("mv", "core", "src")
    repo.commit(message="move core/ to src/", author=CAY)
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"src/side.py": lines(12, "s"), "src/engine.py": lines(35, "side")}, author=CAY)
    repo.git("checkout", "-q", "main")
    repo.commit({"src/util.py": lines(25, "u3")}, author=BOB)
    repo.merge("side", author=ADA)
    repo.commit({"src/util.py": None}, message="drop util", author=BOB)
    repo.commit({"src/util.py": lines(5, "again")}, message="util again", author=ADA)
    repo.commit({"requirements.txt": "x==2\n", "src/engine.py": lines(36, "bot")}, author=BOT)
    for i in range(4):
        repo.commit({f"docs/page{i}.md": lines(3 + i, f"d{i}"), "src/engine.py": lines(37 + i, f"b{i}")}, author=BOB)


# -- the straightforward computations, written out here ------------------------------------

def live_first_last(conn, scope: Scope) -> dict[int, dict]:
    query = (
        select(commits.c.author_id, func.min(commits.c.authored_at), func.max(commits.c.authored_at))
        .select_from(commits.join(people, people.c.id == commits.c.author_id))
        .where(counted_commit())
        .group_by(commits.c.author_id)
    )
    if scope.repo_ids is not None:
        query = query.where(commits.c.repo_id.in_(scope.repo_ids))
    if scope.team is not None:
        query = query.where(people.c.team == scope.team)
    return {p: {"first": f, "last": l} for p, f, l in conn.execute(query)}


def live_first_commits(conn) -> dict[int, int]:
    query = (
        select(commits.c.author_id, func.min(commits.c.authored_at))
        .where(commits.c.is_merge == False, commits.c.is_boundary == False)  # noqa: E712
        .group_by(commits.c.author_id)
    )
    return dict(conn.execute(query).all())


def live_added(conn) -> dict[int, int]:
    query = (
        select(commits.c.author_id, func.sum(commits.c.additions))
        .select_from(commits.join(people, people.c.id == commits.c.author_id))
        .where(counted_commit())
        .group_by(commits.c.author_id)
    )
    return {p: int(n) for p, n in conn.execute(query)}


def live_authors(conn, config=None) -> dict[str, dict[str, frozenset[int]]]:
    patterns = summary.effective_patterns(config)
    rows = [r for r in queries.repository_rows(conn, None) if r["last_sha"]]
    return {r["name"]: authorship(conn, r, excluded_patterns=patterns).authors for r in rows}


def assert_fast_equals_live(store, config=None, expect_fresh: bool = True) -> None:
    fast_authors = {a.repository: a.authors for a in team.authorships(store, config=config)}
    with store.read() as conn:
        state = summary.Freshness(conn)
        assert state.all_fresh() is expect_fresh  # team.authorships refreshed the stored summaries
        assert fast_authors == live_authors(conn, config)
        assert summary.path_changes(conn) == summary.path_changes_live(conn)
        assert AreaMap.load(conn)._split == AreaMap(summary.path_changes_live(conn))._split
        for scope in (Scope(), Scope(repo_ids=tuple(r["id"] for r in state.repos)), Scope(team="core"), Scope(repo_ids=(-1,))):
            assert queries.first_last_by_person(conn, scope) == live_first_last(conn, scope)
        assert first_commit_times(conn) == live_first_commits(conn)
        assert queries.all_time_added(conn, Scope()) == live_added(conn)


def stamp_of(store) -> dict[int, str]:
    with store.read() as conn:
        return dict(conn.execute(select(team_summaries.c.repo_id, team_summaries.c.stamp)).all())


def test_summaries_equal_the_straightforward_computation_through_every_change(store, repo, tmp_path):
    build_history(repo)
    ingest_repository(store, repo.path)
    # A plain ingest leaves them stale (it does not walk the whole history); whoever reads next recomputes.
    with store.read() as conn:
        assert not summary.Freshness(conn).all_fresh()
    summary.refresh(store)  # what `serve`, a report or `ingest git --summaries` does
    # Refreshed: reading them computes nothing.
    with store.read() as conn:
        assert summary.Freshness(conn).all_fresh()
        assert summary.path_changes(conn)[1]["src/engine.py"] == 7  # non-excluded changes, renames not followed
    assert_fast_equals_live(store)
    with store.write() as conn:  # a team for Scope(team=...) to filter on
        conn.execute(update(people).where(people.c.name.in_(["Bob Babbage", "Cay Hopper"])).values(team="core"))
    assert_fast_equals_live(store)

    # Incremental ingest: a new file, a rename and more changes.
    repo.commit({"src/new.py": lines(8, "n")}, author=CAY)
    repo.git("mv", "src/side.py", "src/renamed.py")
    repo.commit(message="rename side", author=BOB)
    before = stamp_of(store)
    ingest_repository(store, repo.path)
    summary.refresh(store)
    assert stamp_of(store) != before
    assert_fast_equals_live(store)

    # people merge: the old address's commits become Ada's.
    with store.write() as conn:
        ids = dict(conn.execute(select(people.c.name, people.c.id)).all())
        merge_people(conn, ids["Ada Lovelace"], ids["A. Lovelace"])
    with store.read() as conn:
        assert not summary.Freshness(conn).all_fresh()  # the stamp saw the merge
    assert_fast_equals_live(store)

    # Rules: Bob becomes a bot and docs/ vendored, without re-reading git.
    config = Config(raw={"rules": {"extra_excluded_paths": ["docs/"], "extra_bot_authors": ["bob*"]}})
    apply_rules(store, config)
    with store.read() as conn:
        assert summary.Freshness(conn).all_fresh()  # apply_rules refreshed them
        assert "docs/page0.md" not in summary.path_changes(conn)[1]
    assert_fast_equals_live(store, config)
    apply_rules(store, Config())
    assert_fast_equals_live(store)

    # Force-push: the branch is rewritten from an early commit and re-read from scratch.
    repo.git("reset", "-q", "--hard", "HEAD~8")
    repo.commit({"src/engine.py": lines(50, "rewritten"), "lib/other.py": lines(9, "o")}, author=CAY)
    result = ingest_repository(store, repo.path)
    assert result.rewritten
    assert_fast_equals_live(store)


def test_a_writer_that_does_not_refresh_is_never_answered_from_the_summary(store, repo):
    build_history(repo)
    ingest_repository(store, repo.path)
    summary.refresh(store)
    with store.read() as conn:
        assert summary.Freshness(conn).all_fresh()
    # Flag a path behind the summaries' back, as a tool writing the tables directly would.
    with store.write() as conn:
        conn.execute(update(file_changes).where(file_changes.c.path == "src/engine.py").values(is_excluded=True))
    with store.read() as conn:
        assert not summary.Freshness(conn).all_fresh()
        # Read with a bare connection (nothing refreshes): the live computation answers.
        assert summary.path_changes(conn) == summary.path_changes_live(conn)
        assert "src/engine.py" not in summary.path_changes(conn)[1]
        (auth,) = team.authorships(conn)
        assert "src/engine.py" not in auth.authors
    assert_fast_equals_live(store)
    # A bot flag changed directly.
    with store.write() as conn:
        conn.execute(update(people).where(people.c.name == "Cay Hopper").values(is_bot=True))
    with store.read() as conn:
        assert not summary.Freshness(conn).all_fresh()
    assert_fast_equals_live(store)


def test_stored_authorship_gives_histories_on_demand_and_several_repositories(store, make_repo):
    first, second = make_repo("one"), make_repo("two")
    build_history(first)
    second.commit({"x/a.py": lines(10)}, author=BOB)
    second.commit({"x/a.py": lines(12), "x/b.py": lines(3)}, author=CAY)
    ingest_repository(store, first.path)
    ingest_repository(store, second.path)
    assert_fast_equals_live(store)
    with store.read() as conn:
        repos = {r["name"]: r for r in queries.repository_rows(conn, None)}
        straight = authorship(conn, repos["one"], excluded_patterns=summary.effective_patterns())
    stored = {a.repository: a for a in team.authorships(store)}
    assert stored["one"].computed_histories is None  # read from the summary: authors only
    assert {p: (h.creator, h.changes) for p, h in stored["one"].histories.items()} == {p: (h.creator, h.changes) for p, h in straight.histories.items()}
    (only_two,) = team.authorships(store, repos=["two"])
    assert only_two.authors == stored["two"].authors
    # Other exclusion rules than the stored ones: computed, and then stored under them.
    config = Config(raw={"rules": {"extra_excluded_paths": ["x/b.py"]}})
    with store.read() as conn:
        expected = live_authors(conn, config)
    assert {a.repository: a.authors for a in team.authorships(store, config=config)} == expected
    assert "x/b.py" not in expected["two"]


def test_a_repository_without_checkout_or_ownership_still_raises(store, repo):
    build_history(repo)
    ingest_repository(store, repo.path)
    import shutil

    shutil.rmtree(repo.path)  # the stamp records whether the checkout is here
    import pytest

    with pytest.raises(LookupError, match="not on this machine"):
        team.authorships(store)
    with pytest.raises(LookupError, match="not on this machine"):
        team.authorships(store)  # now from the stored summary
    with store.read() as conn:
        assert summary.Freshness(conn).all_fresh()
        assert summary.path_changes(conn) == summary.path_changes_live(conn)
