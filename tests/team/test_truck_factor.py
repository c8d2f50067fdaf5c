"""Truck factor (Avelino et al., ICPC 2016) on histories whose answer is known by hand."""
from __future__ import annotations

import math
from collections import Counter

import pytest

from foundermode import team
from foundermode.team.truck_factor import FileHistory, degree_of_authorship, file_authors, follow_history, greedy

from .conftest import ADA, BOB, BOT, CAY, git_follow_changes, git_out, lines

DEE = ("Dee Turing", "dee@example.com")


# -- the formula and the greedy search, by hand ------------------------------------------

def test_doa_formula_by_hand():
    # Creator with one change, five by others: 3.293 + 1.098 + 0.164 - 0.321 ln 6
    assert degree_of_authorship(True, 1, 5) == pytest.approx(3.293 + 1.098 + 0.164 - 0.321 * math.log(6))
    assert degree_of_authorship(True, 1, 5) == pytest.approx(3.97985, abs=1e-4)
    assert degree_of_authorship(False, 5, 1) == pytest.approx(3.89050, abs=1e-4)
    # Nobody else touched it: the creator's DOA is the base plus FA plus one delivery.
    assert degree_of_authorship(True, 1, 0) == pytest.approx(4.555)


def test_authors_thresholds_by_hand():
    a, b = 1, 2
    both = FileHistory("f", creator=a, changes=Counter({a: 1, b: 5}))
    assert file_authors(both) == {a, b}  # 3.8905 / 3.9798 = 0.978 > 0.75
    heavy = FileHistory("f", creator=a, changes=Counter({a: 1, b: 20}))
    doa = heavy.doa()
    assert doa[a] == pytest.approx(3.5777, abs=1e-4) and doa[b] == pytest.approx(6.3505, abs=1e-4)
    assert doa[a] / doa[b] == pytest.approx(0.5634, abs=1e-4)
    assert file_authors(heavy) == {b}
    # Normalised DOA high but absolute DOA under 3.293: a non-creator with one change against many.
    crowd = FileHistory("f", creator=None, changes=Counter({a: 1, b: 1, 3: 1, 4: 1, 5: 1, 6: 1}))
    assert all(d < 3.293 for d in crowd.doa().values())
    assert file_authors(crowd) == frozenset()


def test_greedy_by_hand():
    six_of_ten = {f"a{i}": frozenset({1}) for i in range(6)} | {f"b{i}": frozenset({2}) for i in range(4)}
    result = greedy(six_of_ten)
    assert result.truck_factor == 1
    assert [r.person_id for r in result.removals] == [1]
    assert result.removals[0].orphaned == [f"a{i}" for i in range(6)]
    # Three disjoint authors with three files each: removing one orphans 3 of 9, two orphan 6 > 4.5.
    disjoint = {f"{p}{i}": frozenset({p}) for p in (1, 2, 3) for i in range(3)}
    assert greedy(disjoint).truck_factor == 2
    # Four disjoint authors with three files each: 3, 6 (= half, not more), 9 -> three people.
    four = {f"{p}{i}": frozenset({p}) for p in (1, 2, 3, 4) for i in range(3)}
    assert greedy(four).truck_factor == 3
    # Shared files are orphaned only when their last author leaves.
    shared = {"x": frozenset({1, 2}), "y": frozenset({1, 2}), "z": frozenset({3})}
    result = greedy(shared)
    assert result.truck_factor == 2 and result.removals[0].orphaned == [] and result.removals[1].orphaned == ["x", "y"]
    assert greedy({}).truck_factor == 0
    # More than half authorless before anyone leaves: nobody needs to.
    assert greedy({"x": frozenset(), "y": frozenset(), "z": frozenset({1})}).truck_factor == 0


def test_follow_history_through_renames():
    rows = [  # newest first
        ("new/x.py", None, "M", 4, 3, False),
        ("new/x.py", "old/x.py", "R", 3, 2, False),
        ("old/x.py", None, "M", 2, 2, True),  # a bot's change counts for nobody
        ("old/x.py", None, "A", 1, 1, False),
        ("old/x.py", None, "D", 0, 9, False),  # an older file at the same path: another file
        ("old/x.py", None, "A", -1, 9, False),
    ]
    history = follow_history(rows, {"new/x.py"})["new/x.py"]
    assert history.creator == 1
    assert history.changes == Counter({1: 1, 2: 1, 3: 1})


def test_follow_history_tolerates_commit_time_skew():
    # A rebased modification can carry an older commit time than the file's creation:
    # it still belongs to the file. A deletion before the creation ends the identity.
    rows = [
        ("x.py", None, "M", 5, 2, False),
        ("x.py", None, "A", 4, 1, False),
        ("x.py", None, "M", 3, 1, False),  # sorts before its creation: skew
        ("x.py", None, "D", 2, 9, False),  # the previous x.py ends here
        ("x.py", None, "M", 1, 9, False),
        ("x.py", None, "A", 0, 9, False),
    ]
    history = follow_history(rows, {"x.py"})["x.py"]
    assert history.creator == 1
    assert history.changes == Counter({1: 2, 2: 1})


# -- on real repositories ----------------------------------------------------------------

def test_one_author_owns_six_of_ten(store, repo, ingest):
    repo.commit({f"a/f{i}.py": lines(10, f"a{i}") for i in range(6)}, author=ADA)
    repo.commit({f"b/g{i}.py": lines(10, f"b{i}") for i in range(4)}, author=BOB)
    ingest(store, repo)
    (tf,) = team.truck_factor(store)
    assert (tf.truck_factor, tf.files) == (1, 10)
    assert [m.name for m in tf.members] == ["Ada Lovelace"]
    assert tf.members[0].orphaned_files == sorted(git_out(repo.path, "ls-tree", "-r", "--name-only", "HEAD", "a").split())
    assert tf.orphaned_share == 0.6


def test_three_disjoint_authors(store, repo, ingest):
    for author, folder in ((ADA, "a"), (BOB, "b"), (CAY, "c")):
        repo.commit({f"{folder}/f{i}.py": lines(5, folder + str(i)) for i in range(3)}, author=author)
    ingest(store, repo)
    (tf,) = team.truck_factor(store)
    assert (tf.truck_factor, tf.files) == (2, 9)
    assert [len(m.orphaned_files) for m in tf.members] == [3, 3]
    by_area = {t.area: t for t in team.truck_factor(store, by_area=True)}
    assert set(by_area) == {None, "a", "b", "c"}
    assert by_area["b"].truck_factor == 1 and by_area["b"].members[0].name == "Bob Babbage"


def test_per_codeowners_owner(store, repo, ingest):
    repo.commit({f"pay/f{i}.py": lines(5, f"p{i}") for i in range(4)}, author=ADA)
    repo.commit({"pay/f0.py": lines(6, "p0b"), "pay/f1.py": lines(6, "p1b")}, author=BOB)
    repo.commit({f"web/g{i}.py": lines(5, f"w{i}") for i in range(3)}, author=CAY)
    repo.commit({".github/CODEOWNERS": "/pay/ @org/payments\n/web/ @org/web\n"}, author=CAY)
    ingest(store, repo)
    found = {t.area: t for t in team.truck_factor(store, by_owner=True)}
    assert set(found) == {None, "CODEOWNERS @org/payments", "CODEOWNERS @org/web", "CODEOWNERS (no owner)"}
    payments = found["CODEOWNERS @org/payments"]
    # Ada created all four; Bob changed two once (DOA 3.293 + 0.164 - 0.321 ln 2 = 3.235 < 3.293): Ada alone.
    assert (payments.files, payments.truck_factor, [m.name for m in payments.members]) == (4, 1, ["Ada Lovelace"])
    assert found["CODEOWNERS @org/web"].members[0].name == "Cay Hopper"


def test_rewritten_file_doa_checked_numerically(store, repo, ingest):
    repo.commit({"core.py": lines(20)}, author=ADA)
    for i in range(5):
        repo.commit({"core.py": lines(20 + i, f"bob{i}")}, author=BOB)
    ingest(store, repo)
    (auth,) = team.authorships(store)
    history = auth.histories["core.py"]
    ids = {name: pid for pid, name in _names(store).items()}
    creator, changes = git_follow_changes(repo.path, "core.py")
    assert creator == "ada@example.com" and changes == Counter({"bob@example.com": 5, "ada@example.com": 1})
    assert history.creator == ids["Ada Lovelace"]
    assert history.changes == Counter({ids["Ada Lovelace"]: 1, ids["Bob Babbage"]: 5})
    doa = history.doa()
    assert doa[ids["Ada Lovelace"]] == pytest.approx(3.97985, abs=1e-4)
    assert doa[ids["Bob Babbage"]] == pytest.approx(3.89050, abs=1e-4)
    assert auth.authors["core.py"] == {ids["Ada Lovelace"], ids["Bob Babbage"]}
    # Fifteen more rewrites by Bob: Ada's normalised DOA falls to 0.56 and she stops being an author.
    for i in range(15):
        repo.commit({"core.py": lines(30 + i, f"more{i}")}, author=BOB)
    ingest(store, repo)
    (auth,) = team.authorships(store)
    assert auth.authors["core.py"] == {ids["Bob Babbage"]}
    assert auth.histories["core.py"].doa()[ids["Ada Lovelace"]] == pytest.approx(3.5777, abs=1e-4)


def test_history_followed_through_renames_like_git_follow(store, repo, ingest):
    repo.commit({"old/engine.py": lines(30, "engine"), "old/util.py": lines(30, "util")}, author=ADA)
    repo.commit({"old/engine.py": lines(31, "engine")}, author=BOB)
    repo.git("mv", "old", "src")
    repo.commit(message="move old/ to src/", author=CAY)
    repo.commit({"src/engine.py": lines(32, "engine")}, author=BOB)
    repo.commit({"src/new.py": lines(10, "new")}, author=CAY)
    ingest(store, repo)
    (auth,) = team.authorships(store)
    names = _names(store)
    emails = {"Ada Lovelace": "ada@example.com", "Bob Babbage": "bob@example.com", "Cay Hopper": "cay@example.com"}
    for path, history in auth.histories.items():
        creator, changes = git_follow_changes(repo.path, path)
        assert emails[names[history.creator]] == creator, path
        assert Counter({emails[names[p]]: n for p, n in history.changes.items()}) == changes, path


def test_at_a_past_revision(store, repo, ingest):
    repo.commit({f"a/f{i}.py": lines(5, f"a{i}") for i in range(3)}, author=ADA)
    early = repo.head()
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"a/f0.py": lines(9, "side")}, author=CAY)  # reachable from HEAD later, never from `early`
    repo.git("checkout", "-q", "main")
    repo.commit({f"b/g{i}.py": lines(5, f"b{i}") for i in range(5)}, author=BOB)
    repo.merge("side", author=BOB)
    ingest(store, repo)
    (then,) = team.truck_factor(store, at=early)
    assert then.revision == early and then.files == 3 and then.truck_factor == 1
    assert [m.name for m in then.members] == ["Ada Lovelace"]
    (auth,) = team.authorships(store, at=early)
    assert sum(auth.histories["a/f0.py"].changes.values()) == 1  # Cay's later change is not reachable
    (now,) = team.truck_factor(store)
    assert now.files == 8 and [m.name for m in now.members] == ["Bob Babbage"]
    assert sum(team.authorships(store)[0].histories["a/f0.py"].changes.values()) == 2


def test_at_a_revision_equals_a_clone_of_that_revision(store, make_repo, ingest, tmp_path):
    repo = make_repo("grown")
    repo.commit({f"a/f{i}.py": lines(8, f"a{i}") for i in range(4)}, author=ADA)
    repo.commit({"a/f1.py": lines(9, "b1")}, author=BOB)
    repo.git("mv", "a/f2.py", "a/moved.py")
    repo.commit(message="move", author=CAY)
    middle = repo.head()
    repo.commit({f"b/g{i}.py": lines(5, f"g{i}") for i in range(3)}, author=BOB)
    repo.commit({"a/moved.py": lines(12, "later")}, author=DEE)
    ingest(store, repo)
    (at_middle,) = team.authorships(store, at=middle)
    clone = tmp_path / "middle"
    git_out(repo.path, "clone", "-q", "--no-local", str(repo.path), str(clone))
    git_out(clone, "reset", "-q", "--hard", middle)
    from foundermode.store import open_store

    other = open_store(f"sqlite:///{tmp_path / 'middle.db'}")
    try:
        from foundermode.ingest import ingest_repository

        ingest_repository(other, clone)
        (fresh,) = team.authorships(other)
        names_here, names_there = _names(store), _names(other)
        assert set(at_middle.histories) == set(fresh.histories) == {"a/f0.py", "a/f1.py", "a/moved.py", "a/f3.py"}
        for path, history in at_middle.histories.items():
            there = fresh.histories[path]
            assert names_here[history.creator] == names_there[there.creator], path
            assert {names_here[p]: n for p, n in history.changes.items()} == {names_there[p]: n for p, n in there.changes.items()}, path
    finally:
        other.dispose()


def test_excluded_paths_and_bots_do_not_count(store, repo, ingest):
    repo.commit({"app.py": lines(5), "vendor/lib.js": lines(50), "package-lock.json": "{}\n"}, author=ADA)
    repo.commit({"app.py": lines(6)}, author=BOT)
    repo.commit({"tool.py": lines(5)}, author=BOB)
    ingest(store, repo)
    (auth,) = team.authorships(store)
    assert set(auth.histories) == {"app.py", "tool.py"}
    assert sum(auth.histories["app.py"].changes.values()) == 1  # the bot's change counts for nobody


def _names(store) -> dict[int, str]:
    from sqlalchemy import select

    from foundermode.store.schema import people

    with store.read() as conn:
        return dict(conn.execute(select(people.c.id, people.c.name)).all())
