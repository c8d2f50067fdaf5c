"""Git ingestion against the git binary's own answers, on histories built here."""
from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from foundermode.config import Config
from foundermode.ingest import apply_rules, ingest_repository
from foundermode.sources.git import GitError
from foundermode.sources.identities import identity_key
from foundermode.store import open_store
from foundermode.store.schema import coauthors, commits, file_changes, identities, ownership, people, repositories
from foundermode.store.schema_scale import ingest_attempts, ingest_staged_commits

from conftest import fast_history, git

ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Builder", "bob@example.com")
CY = ("Cy Young", "cy@example.com")


def per_person_counts(conn, repo_id=None):
    query = select(commits.c.author_id, func.count()).group_by(commits.c.author_id)
    if repo_id is not None:
        query = query.where(commits.c.repo_id == repo_id)
    return dict(conn.execute(query).all())


def shortlog_by_person(conn, path, rev="HEAD"):
    """git shortlog -sne, folded onto our people through the same identity keys."""
    out = subprocess.run(["git", "-C", str(path), "shortlog", "-sne", rev], capture_output=True, check=True).stdout.decode()
    key_to_person = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
    totals = collections.Counter()
    for line in out.splitlines():
        count, who = line.strip().split("\t", 1)
        name, email = re.match(r"^(.*?) <(.*)>$", who).groups()
        totals[key_to_person[identity_key(name, email)]] += int(count)
    return dict(totals)


def build_team_history(repo):
    repo.commit({"README.md": "hello\n"}, "init", author=ADA)
    repo.commit({"src/app.py": "print(1)\n" * 10}, "app", author=BOB)
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"src/feature.py": "x = 1\n" * 5}, "feature work", author=CY)
    repo.commit({"src/feature.py": "x = 2\n" * 6}, "more feature", author=("cy young", "CY@Example.com"))
    repo.git("checkout", "-q", "main")
    repo.commit({"docs/guide.md": "guide\n"}, "docs", author=ADA)
    repo.merge("feature", author=ADA)
    repo.commit({"src/app.py": "print(2)\n" * 10}, "rewrite\n\nCo-authored-by: Bob Builder <bob@example.com>", author=ADA)
    return repo


def test_commit_counts_equal_git_shortlog_with_mailmap(store, repo):
    build_team_history(repo)
    repo.commit({".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example.com>\n"}, "mailmap", author=ADA)
    repo.commit({"old.txt": "a\n"}, "from old address", author=("Ada L", "ada@old.example.com"))
    result = ingest_repository(store, repo.path)
    assert result.new_commits == int(git(repo.path, "rev-list", "--count", "HEAD"))
    with store.read() as conn:
        ours = per_person_counts(conn)
        assert ours == shortlog_by_person(conn, repo.path)
        # the old address folded into Ada through .mailmap; the case variant of Cy through case-folding
        person_of = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
        assert ours[person_of["ada@example.com"]] == 6
        assert ours[person_of["cy@example.com"]] == 2


def test_merges_are_stored_but_count_no_lines(store, repo):
    build_team_history(repo)
    ingest_repository(store, repo.path)
    with store.read() as conn:
        merges = conn.execute(select(commits).where(commits.c.is_merge == True)).mappings().all()  # noqa: E712
        assert len(merges) == 1
        assert merges[0]["additions"] == 0 and merges[0]["deletions"] == 0
        merge_files = conn.execute(select(func.count()).select_from(file_changes).where(file_changes.c.commit_id == merges[0]["id"])).scalar()
        assert merge_files == 0
        # non-merge lines equal git's own numstat over non-merge commits
        added = conn.execute(select(func.sum(commits.c.additions))).scalar()
    numstat = git(repo.path, "log", "--no-merges", "--numstat", "--format=")
    expected = sum(int(line.split("\t")[0]) for line in numstat.splitlines() if line and line.split("\t")[0] != "-")
    assert added == expected


def test_coauthors_renames_and_binary_files(store, repo):
    build_team_history(repo)
    repo.git("mv", "docs/guide.md", "docs/manual.md")
    repo.commit({"logo.png": bytes(range(256)) * 4}, "rename guide, add logo", author=BOB)
    ingest_repository(store, repo.path)
    with store.read() as conn:
        co = conn.execute(select(people.c.email).join(coauthors, coauthors.c.person_id == people.c.id)).scalars().all()
        assert co == ["bob@example.com"]
        rename = conn.execute(select(file_changes).where(file_changes.c.status == "R")).mappings().one()
        assert (rename["old_path"], rename["path"]) == ("docs/guide.md", "docs/manual.md")
        binary = conn.execute(select(file_changes).where(file_changes.c.path == "logo.png")).mappings().one()
        assert binary["is_binary"] and binary["additions"] is None


def test_non_utf8_names_and_messages(store, repo):
    latin1_name = "caf\xe9.txt".encode("latin-1")
    (repo.path / os.fsdecode(latin1_name)).write_bytes(b"bonjour\n")
    repo.git("add", "-A")
    env = {"GIT_AUTHOR_NAME": "Ren\xe9", "GIT_AUTHOR_EMAIL": "rene@example.com", "GIT_COMMITTER_NAME": "R", "GIT_COMMITTER_EMAIL": "r@example.com"}
    repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", "-", env=env, input="r\xe9sum\xe9 in latin-1\n".encode("latin-1"))
    repo.commit({"\u65e5\u672c.md": "nihon\n"}, "unicode \u2713", author=ADA)
    result = ingest_repository(store, repo.path)
    assert result.new_commits == 2
    with store.read() as conn:
        paths = set(conn.execute(select(file_changes.c.path)).scalars())
        subjects = set(conn.execute(select(commits.c.subject)).scalars())
    assert "\u65e5\u672c.md" in paths
    assert "caf\xe9.txt" in paths  # latin-1 bytes kept as their characters
    assert "r\xe9sum\xe9 in latin-1" in subjects  # git re-encodes to UTF-8 given the encoding header
    assert "unicode \u2713" in subjects


def test_empty_repository(store, make_repo):
    empty = make_repo("empty")
    result = ingest_repository(store, empty.path)
    assert result.new_commits == 0
    assert any("empty repository" in w for w in result.warnings)
    with store.read() as conn:
        assert conn.execute(select(repositories.c.commit_count)).scalar_one() == 0
    # and it fills in once it has history
    empty.commit({"a.txt": "a\n"}, "first")
    assert ingest_repository(store, empty.path).new_commits == 1


def test_shallow_clone_warns_and_does_not_count_boundary(store, repo, tmp_path):
    for i in range(6):
        repo.commit({"f.txt": "x\n" * (i + 1), f"g{i}.txt": "y\n" * 50}, f"c{i}", author=ADA if i % 2 else BOB)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(shallow)], check=True)
    result = ingest_repository(store, shallow)
    assert result.new_commits == 2
    assert any("shallow clone" in w for w in result.warnings)
    with store.read() as conn:
        rows = conn.execute(select(commits.c.sha, commits.c.is_boundary, commits.c.additions)).all()
    boundary = [r for r in rows if r.is_boundary]
    assert len(boundary) == 1 and boundary[0].additions == 0  # not 300+ lines of "new" history
    tip = [r for r in rows if not r.is_boundary][0]
    assert tip.additions == 1 + 50


def test_submodule_and_huge_file(store, repo, make_repo):
    lib = make_repo("lib")
    lib.commit({"lib.c": "int x;\n"}, "lib")
    repo.commit({"main.c": "int main(){}\n"}, "main")
    subprocess.run(["git", "-C", str(repo.path), "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib.path), "vendor-lib"], check=True, capture_output=True)
    huge = "".join(f"row {i}\n" for i in range(200_000))
    repo.commit({"data/huge.csv": huge}, "submodule and huge file")
    result = ingest_repository(store, repo.path)
    assert result.new_commits == 2
    with store.read() as conn:
        sub = conn.execute(select(file_changes).where(file_changes.c.path == "vendor-lib")).mappings().one()
        big = conn.execute(select(file_changes).where(file_changes.c.path == "data/huge.csv")).mappings().one()
    assert sub["is_submodule"] and not sub["is_binary"]
    assert big["additions"] == 200_000


def test_incremental_and_idempotent(store, repo):
    build_team_history(repo)
    first = ingest_repository(store, repo.path)
    again = ingest_repository(store, repo.path)
    assert again.new_commits == 0
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(file_changes)).scalar()
    repo.commit({"new.txt": "n\n"}, "new work", author=BOB)
    repo.commit({"new.txt": "n\nm\n"}, "more", author=BOB)
    third = ingest_repository(store, repo.path)
    assert third.new_commits == 2
    assert third.total_commits == first.total_commits + 2
    with store.read() as conn:
        after = conn.execute(select(func.count()).select_from(file_changes)).scalar()
        assert per_person_counts(conn) == shortlog_by_person(conn, repo.path)
    assert after == before + 2


def test_force_push_is_detected_and_reread(store, repo):
    build_team_history(repo)
    ingest_repository(store, repo.path)
    repo.git("reset", "-q", "--hard", "HEAD~2")
    repo.commit({"other.txt": "rewritten\n"}, "rewritten history", author=CY)
    result = ingest_repository(store, repo.path)
    assert result.rewritten
    with store.read() as conn:
        shas = set(conn.execute(select(commits.c.sha)).scalars())
        assert per_person_counts(conn) == shortlog_by_person(conn, repo.path)
    assert shas == set(git(repo.path, "rev-list", "HEAD").split())


def test_a_changed_mailmap_moves_stored_commits_to_their_people(store, repo):
    """.mailmap applies as git prints a commit; when it changes, stored commits, co-authors,
    the team summaries' stamp and the ownership follow, committed or only in the working tree."""
    from foundermode.sources.ownership import compute_ownership
    from foundermode.team.queries import repository_rows
    from foundermode.team.summary import stamps

    old_ada = ("Ada L", "ada@old.example")
    repo.commit({"a.py": "a\n" * 5}, "one", author=old_ada)
    repo.commit({"b.py": "b\n" * 3}, "two\n\nCo-authored-by: Ada L <ada@old.example>", author=BOB)
    repo.commit({"c.py": "c\n"}, "three", author=ADA)
    first = ingest_repository(store, repo.path)
    compute_ownership(store, first.repo_id)
    assert first.remapped == 0

    def people_of(email):
        with store.read() as conn:
            return conn.execute(select(identities.c.person_id).where(identities.c.key == email)).scalar_one()

    def state():
        with store.read() as conn:
            counts = per_person_counts(conn)
            coauthor_people = set(conn.execute(select(coauthors.c.person_id)).scalars())
            stamp = stamps(conn, repository_rows(conn, None))[first.repo_id]
            expected = shortlog_by_person(conn, repo.path)
        return counts, coauthor_people, stamp, expected

    counts, coauthor_people, stamp_before, expected = state()
    assert counts == expected and coauthor_people == {people_of("ada@old.example")} != {people_of("ada@example.com")}

    repo.commit({".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example>\n"}, "mailmap", author=ADA)
    second = ingest_repository(store, repo.path)
    assert (second.new_commits, second.remapped) == (1, 2)  # "one" by its author, "two" by its co-author
    counts, coauthor_people, stamp_after, expected = state()
    assert counts == expected and counts.get(people_of("ada@old.example"), 0) == 0
    assert coauthor_people == {people_of("ada@example.com")}
    assert stamp_after != stamp_before
    assert any("ownership" in w for w in second.warnings)
    own = compute_ownership(store, first.repo_id)
    assert own.blamed == 4  # every file again: blamed lines changed hands
    with store.read() as conn:
        lines = dict(conn.execute(select(people.c.email, func.sum(ownership.c.lines)).join(people, people.c.id == ownership.c.person_id).group_by(people.c.email)).all())
    assert lines == {"ada@example.com": 5 + 1 + 1, "bob@example.com": 3}

    third = ingest_repository(store, repo.path)
    assert (third.new_commits, third.remapped, third.warnings) == (0, 0, [])

    _, _, stamp_before, _ = state()
    (repo.path / ".mailmap").write_text("")  # only in the working tree, as git log reads it
    fourth = ingest_repository(store, repo.path)
    assert (fourth.new_commits, fourth.remapped) == (0, 2)
    counts, _, stamp_after, expected = state()
    assert counts == expected and counts[people_of("ada@old.example")] == 1
    assert stamp_after != stamp_before

    (repo.path / ".mailmap").write_text("Ada Lovelace <ada@example.com> <ada@old.example>\n")
    fifth = ingest_repository(store, repo.path)
    assert (fifth.new_commits, fifth.remapped) == (0, 2)
    counts, _, stamp_last, expected = state()
    assert counts == expected
    assert stamp_last != stamp_after  # same tip, commit count and ownership revision: the mailmap's digest tells them apart


def test_a_mailmap_change_rereads_only_the_commits_it_can_concern(store, repo, monkeypatch):
    """Only the people stored under an email a changed entry names are read again, including
    an entry that now overrides one that did not change; the result equals git shortlog."""
    import foundermode.ingest as ingest_module

    repo.commit({".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example>\n"}, "mailmap", author=ADA)
    for i in range(3):
        repo.commit({f"bob{i}.txt": "b\n"}, f"bob {i}", author=BOB)
    repo.commit({"old.txt": "o\n"}, "from the old address", author=("Ada L", "ada@old.example"))
    repo.commit({"cy.txt": "c\n"}, "cy", author=CY)
    ingest_repository(store, repo.path)
    asked: list[int] = []
    real = ingest_module.read_headers
    monkeypatch.setattr(ingest_module, "read_headers", lambda path, shas, emit: (asked.append(len(shas)), real(path, shas, emit))[1])

    # A more specific entry for the old address overrides the unchanged one.
    (repo.path / ".mailmap").write_text("Ada Lovelace <ada@example.com> <ada@old.example>\nAda Work <ada@work.example> Ada L <ada@old.example>\n")
    result = ingest_repository(store, repo.path)
    assert result.remapped == 1 and asked == [2]  # Ada's two commits, not Bob's three or Cy's
    with store.read() as conn:
        assert per_person_counts(conn) == shortlog_by_person(conn, repo.path)
    (repo.path / ".mailmap").write_text("")  # every entry gone
    result = ingest_repository(store, repo.path)
    assert result.remapped == 1 and asked == [2, 2]
    with store.read() as conn:
        assert per_person_counts(conn) == shortlog_by_person(conn, repo.path)
    (repo.path / ".mailmap").write_text("# only a comment now\n")
    assert ingest_repository(store, repo.path).remapped == 0 and asked == [2, 2]  # no entry changed: nothing read


def test_a_mailmap_that_cannot_be_applied_changes_nothing_and_is_tried_again(store, repo):
    """A stored commit git can no longer read: the remap is not half-done, and not forgotten."""
    repo.commit({"a.txt": "a\n"}, "one", author=("Ada L", "ada@old.example"))
    middle = repo.commit({"b.txt": "b\n"}, "two", author=("Ada L", "ada@old.example"))
    repo.commit({"c.txt": "c\n"}, "three", author=ADA)
    first = ingest_repository(store, repo.path)
    with store.read() as conn:
        before = per_person_counts(conn)
    (repo.path / ".git/objects" / middle[:2] / middle[2:]).unlink()  # loose: commits are not packed here
    (repo.path / ".mailmap").write_text("Ada Lovelace <ada@example.com> <ada@old.example>\n")
    for _attempt in range(2):
        result = ingest_repository(store, repo.path)
        assert result.remapped == 0 and any("could not be read again" in w for w in result.warnings), result.warnings
        with store.read() as conn:
            assert per_person_counts(conn) == before
            assert conn.execute(select(repositories.c.mailmap).where(repositories.c.id == first.repo_id)).scalar_one() == ""  # still: no mailmap


def test_commits_since_tells_new_commits_from_a_rewritten_history(repo):
    """One rev-list gives the new commits and whether the last ingested tip is still an ancestor."""
    from foundermode.sources.git import commits_since

    base = repo.commit({"a.txt": "a\n"}, "base")
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit({"s.txt": "s\n"}, "side")
    repo.git("checkout", "-q", "main")
    main = repo.commit({"m.txt": "m\n"}, "main")
    merge = repo.merge("side")
    assert commits_since(repo.path, merge, base) == git(repo.path, "rev-list", merge, f"^{base}").split()
    assert set(commits_since(repo.path, merge, main)) == {merge, side}  # main's own side branch is new too
    assert commits_since(repo.path, main, side) is None  # side is not in main's history
    repo.git("reset", "-q", "--hard", base)
    rewritten = repo.commit({"b.txt": "b\n"}, "rewritten")
    assert commits_since(repo.path, rewritten, main) is None
    assert commits_since(repo.path, rewritten, "0" * 40) is None  # a tip git no longer has


def test_slices_are_few_and_even_per_job():
    from foundermode.sources.git import balanced_slice_size

    for count in (1, 2, 5, 300, 5531, 10_000, 10_001, 82_000, 99_429):
        for jobs in (1, 2, 3, 8):
            size = balanced_slice_size(count, jobs, largest=5000)
            pieces = -(-count // size)
            rounds = -(-count // (jobs * 5000))
            assert size <= 5000
            assert pieces <= rounds * jobs  # never more processes than whole rounds of jobs
            assert pieces * size - count < pieces  # slices as even as whole commits allow
    assert -(-5531 // balanced_slice_size(5531, 2)) == 2


def test_parallel_read_equals_serial(tmp_path):
    import functools

    from foundermode.sources.git import read_commits

    path = fast_history(tmp_path / "big", commits=1200, authors=7)
    stores = {}
    readers = {1: read_commits, 3: read_commits, "many slices": functools.partial(read_commits, slice_size=97)}
    for jobs, reader in readers.items():
        store = open_store(f"sqlite:///{tmp_path / f'jobs{jobs}.db'}")
        ingest_repository(store, path, jobs=2 if jobs == "many slices" else jobs, reader=reader)
        with store.read() as conn:
            stores[jobs] = sorted(
                conn.execute(
                    text(
                        "SELECT c.sha, c.additions, c.deletions, p.name, f.path, f.additions, f.deletions FROM commits c "
                        "JOIN people p ON p.id = c.author_id LEFT JOIN file_changes f ON f.commit_id = c.id"
                    )
                ).all(),
                key=str,
            )
        store.dispose()
    assert len(stores[1]) > 2000
    assert stores[1] == stores[3] == stores["many slices"]


def test_bots_and_vendored_paths_are_flagged_and_reflaggable(store, repo, tmp_path):
    repo.commit({"src/a.py": "a\n" * 3, "vendor/lib.js": "v\n" * 100, "static/app.min.js": "m\n" * 7, "package-lock.json": "{}\n" * 9}, "mixed", author=ADA)
    repo.commit({"requirements.txt": "x==2\n"}, "Bump x", author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"))
    repo.commit({".gitattributes": "gen/* linguist-generated=true\n", "gen/out.py": "g\n" * 40}, "generated", author=BOB)
    ingest_repository(store, repo.path)
    with store.read() as conn:
        flagged = dict(conn.execute(select(file_changes.c.path, file_changes.c.is_excluded)).all())
        bots = dict(conn.execute(select(people.c.name, people.c.is_bot)).all())
        ada_adds = conn.execute(select(commits.c.additions).where(commits.c.subject == "mixed")).scalar()
        bob_adds = conn.execute(select(commits.c.additions).where(commits.c.subject == "generated")).scalar()
    assert flagged["vendor/lib.js"] and flagged["static/app.min.js"] and flagged["package-lock.json"] and flagged["gen/out.py"]
    assert not flagged["src/a.py"]
    assert bots["dependabot[bot]"] and not bots["Ada Lovelace"]
    assert ada_adds == 3  # vendored and lock-file lines are not Ada's work
    assert bob_adds == 1  # only .gitattributes itself
    # a rule change needs no git re-read
    config = Config(raw={"rules": {"extra_excluded_paths": ["src/"], "extra_bot_authors": ["bob*"]}})
    apply_rules(store, config)
    with store.read() as conn:
        assert conn.execute(select(file_changes.c.is_excluded).where(file_changes.c.path == "src/a.py")).scalar()
        assert conn.execute(select(people.c.is_bot).where(people.c.name == "Bob Builder")).scalar()
        assert conn.execute(select(commits.c.additions).where(commits.c.subject == "mixed")).scalar() == 0
        assert conn.execute(select(file_changes.c.is_excluded).where(file_changes.c.path == "gen/out.py")).scalar()


def test_missing_objects_are_read_around(store, repo):
    repo.commit({"a.txt": "one\n"}, "one", author=ADA)
    repo.commit({"b.txt": "lost blob\n"}, "two", author=BOB)
    repo.commit({"c.txt": "three\n"}, "three", author=ADA)
    blob = git(repo.path, "rev-parse", "HEAD~1:b.txt").strip()
    repo.git("repack", "-adq")  # objects into a pack, then unpack all but one loose
    pack = next((repo.path / ".git/objects/pack").glob("*.pack"))
    for leftover in (repo.path / ".git/objects/pack").glob("*"):
        data = leftover.read_bytes() if leftover.suffix == ".pack" else None
        leftover.unlink()
        if data:
            subprocess.run(["git", "-C", str(repo.path), "unpack-objects", "-q"], input=data, check=True)
    (repo.path / ".git/objects" / blob[:2] / blob[2:]).unlink()
    assert pack  # the history now lacks one blob, as some snapshots do
    result = ingest_repository(store, repo.path)
    assert result.new_commits == 3
    assert any("diff unavailable" in w for w in result.warnings), result.warnings
    with store.read() as conn:
        subjects = set(conn.execute(select(commits.c.subject)).scalars())
        paths = set(conn.execute(select(file_changes.c.path)).scalars())
    assert subjects == {"one", "two", "three"}
    assert paths == {"a.txt", "b.txt", "c.txt"}  # the tree survived: the file list of "two" is kept
    with store.read() as conn:
        lost = conn.execute(select(file_changes).where(file_changes.c.path == "b.txt")).mappings().one()
    assert lost["additions"] is None


def test_not_a_repository_is_a_clear_error(store, tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        ingest_repository(store, tmp_path / "plain")
    with pytest.raises(GitError, match="no such folder"):
        ingest_repository(store, tmp_path / "missing")


def test_sigkill_midway_leaves_store_consistent_and_next_run_completes(tmp_path):
    path = fast_history(tmp_path / "big", commits=6000, authors=9, files=80)
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    open_store(url).dispose()  # migrated, empty
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "foundermode.cli", "--db", url, "ingest", "git", str(path), "--jobs", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = tmp_path / "kill.db-wal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 256 * 1024:
            break  # it is writing commits: kill it in the middle
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be killed; make the history bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = open_store(url)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(commits)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(file_changes)).scalar() == 0
        assert conn.execute(select(repositories.c.last_sha)).scalar() is None
        # killed while staging (ingest.py: short transactions, landed at the end): only staged rows are left
        staged_before = conn.execute(select(func.count()).select_from(ingest_staged_commits)).scalar()
    result = ingest_repository(store, path)
    assert result.new_commits == 6000
    with store.read() as conn:
        assert per_person_counts(conn) == shortlog_by_person(conn, path)
        # the next attempt at the repository swept the killed one's rows
        assert conn.execute(select(func.count()).select_from(ingest_staged_commits)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(ingest_attempts)).scalar() == 0
    assert staged_before > 0
    store.dispose()


def test_several_repositories_from_the_cli(tmp_path, make_repo):
    from typer.testing import CliRunner

    from foundermode.cli import app

    first, second = make_repo("first"), make_repo("second")
    build_team_history(first)
    second.commit({"x": "1\n"}, "x", author=BOB)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["--db", url, "ingest", "git", str(first.path), str(second.path), "--json"])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(result.stdout[result.stdout.index("[") :])
    assert [r["repository"] for r in payload] == ["first", "second"]
    assert [r["new_commits"] for r in payload] == [7, 1]
    people_json = json.loads(runner.invoke(app, ["--db", url, "people", "--json"]).stdout)
    bob = next(p for p in people_json if p["name"] == "Bob Builder")
    assert bob["commits"] == 2 and bob["first_activity"] and bob["identities"] == ["Bob Builder <bob@example.com>"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_concurrent_ingests_into_one_store(store_url, make_repo):
    """Two processes writing at once: both land, neither corrupts the other (WAL + busy timeout on SQLite)."""
    first = fast_history(make_repo("a").path.parent / "conc-a", commits=800, authors=4)
    second = fast_history(make_repo("b").path.parent / "conc-b", commits=800, authors=6)
    open_store(store_url).dispose()
    procs = [
        subprocess.Popen([sys.executable, "-m", "foundermode.cli", "--db", store_url, "ingest", "git", str(path), "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for path in (first, second)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    store = open_store(store_url)
    with store.read() as conn:
        counts = dict(conn.execute(select(repositories.c.name, repositories.c.commit_count)).all())
        assert conn.execute(select(func.count()).select_from(commits)).scalar() == 1600
        people_count = conn.execute(select(func.count()).select_from(people)).scalar()
    store.dispose()
    assert counts == {"conc-a": 800, "conc-b": 800}
    assert people_count == 6  # dev0..dev5, shared between the repositories


MIRROR = os.environ.get("FOUNDERMODE_FLASK_MIRROR", "/work/.mirror/pallets+flask/repo")


def test_real_public_history_matches_shortlog(tmp_path):
    """pallets/flask, when a snapshot is on this machine (benchmark input, never committed)."""
    if not os.path.isdir(MIRROR):
        pytest.skip(f"no flask snapshot at {MIRROR} (set FOUNDERMODE_FLASK_MIRROR); CI does not need it")
    clone = tmp_path / "flask.git"
    subprocess.run(["git", "clone", "-q", "--bare", MIRROR, str(clone)], check=True)
    store = open_store(f"sqlite:///{tmp_path / 'flask.db'}")
    result = ingest_repository(store, clone)
    with store.read() as conn:
        assert per_person_counts(conn) == shortlog_by_person(conn, clone)
    store.dispose()
    assert result.new_commits == int(git(clone, "rev-list", "--count", "HEAD"))


def lose_blob(repo, spec: str) -> None:
    """Make the history lack one blob, as some snapshots do: every object loose, that one deleted."""
    blob = git(repo.path, "rev-parse", spec).strip()
    repo.git("repack", "-adq")
    pack = next((repo.path / ".git/objects/pack").glob("*.pack")).read_bytes()
    for leftover in (repo.path / ".git/objects/pack").glob("*"):
        leftover.unlink()
    subprocess.run(["git", "-C", str(repo.path), "unpack-objects", "-q"], input=pack, check=True)
    (repo.path / ".git/objects" / blob[:2] / blob[2:]).unlink()


def test_missing_blob_found_before_the_header_blames_the_right_commit(store, repo):
    """With rename detection git reads blobs before printing a commit: the failure then
    shows right after the previous, whole commit, which must not be taken for the culprit."""
    body = "".join(f"line {i}\n" for i in range(200))
    repo.commit({"f.txt": body}, "one", author=ADA)
    repo.git("mv", "f.txt", "g.txt")
    repo.commit({"g.txt": body + "tail\n"}, "rename", author=BOB)
    repo.commit({"c.txt": "three\n"}, "three", author=ADA)
    lose_blob(repo, "HEAD~1:g.txt")
    result = ingest_repository(store, repo.path, jobs=1)
    rename_sha = git(repo.path, "rev-parse", "HEAD~1").strip()
    assert [w[:19] for w in result.warnings] == [f"commit {rename_sha[:12]}"], result.warnings
    with store.read() as conn:
        three = conn.execute(select(file_changes.c.additions).where(file_changes.c.path == "c.txt")).scalar()
    assert three == 1


def test_streamed_slices_read_around_a_missing_blob_like_whole_ones(repo):
    """Commits stream out of a slice in small batches; a blob missing mid-slice must still cost
    exactly its own commit's line counts, as when the slice is read whole."""
    from foundermode.sources.git import read_commits, read_slice, stream_slice

    for i in range(30):
        repo.commit({f"f{i % 4}.txt": f"v{i}\n" * (i + 1)}, f"c{i}", author=ADA if i % 2 else BOB)
    lose_blob(repo, "HEAD~12:f1.txt")  # written by commit c17
    shas = git(repo.path, "rev-list", "HEAD").split()

    def summary(records):
        return [(r.sha, r.diff_missing, [(c.path, c.additions, c.deletions) for c in r.changes]) for r in records]

    whole_warnings: list[str] = []
    whole = read_slice(repo.path, shas, whole_warnings)
    streamed, batches, streamed_warnings = [], [], []
    stream_slice(repo.path, shas, streamed_warnings, lambda batch: (streamed.extend(batch), batches.append(len(batch))), batch=3)
    assert len(batches) > 5  # it did stream
    assert [r.sha for r in streamed] == shas  # every commit once, in order
    assert summary(streamed) == summary(whole)
    assert streamed_warnings == whole_warnings and len(whole_warnings) >= 1
    missing = [r.subject for r in streamed if r.diff_missing]
    assert "c17" in missing
    assert all(c.additions is not None for r in streamed if not r.diff_missing for c in r.changes)
    # Through the parallel reader too, batches in any order.
    parallel = [r for batch in read_commits(repo.path, shas, jobs=2, slice_size=7) for r in batch]
    assert sorted(summary(parallel)) == sorted(summary(whole))


def test_a_reader_whose_consumer_stops_leaves_no_git_behind(tmp_path, monkeypatch):
    """The writer failing mid-ingest stops the readers and their git processes, without reading on."""
    import threading

    from foundermode.sources import git as git_source

    parsed = []
    real_parse_log = git_source.parse_log

    def counting_parse_log(tokens, numstat=True):
        for record in real_parse_log(tokens, numstat=numstat):
            parsed.append(record.sha)
            yield record

    monkeypatch.setattr(git_source, "parse_log", counting_parse_log)

    def git_children() -> list[str]:
        return subprocess.run(["pgrep", "-P", str(os.getpid()), "-x", "git"], capture_output=True, text=True).stdout.split()

    # Two slices of 8,000 commits stream four batches each, more than the bounded queue and
    # the consumer hold: with the consumer on its first batch, a reader waits, its git running.
    path = fast_history(tmp_path / "long", commits=16_000, authors=3, files=2000)
    shas = git(path, "rev-list", "HEAD").split()
    before = threading.active_count()
    reader = git_source.read_commits(path, shas, jobs=2)
    assert next(reader)
    deadline = time.monotonic() + 10
    while not git_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert git_children()  # held up by the full queue, git still running
    reader.close()  # what a for loop does when the writer raises
    assert git_children() == []
    assert threading.active_count() <= before
    assert len(parsed) < len(shas)  # stopped, not drained to the end
