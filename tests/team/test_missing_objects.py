"""A snapshot with a missing blob (meteor/meteor, angular/angular.js at 2016-11-15):
`git ls-tree -l` prints BAD as its size. Truck factor --at must not crash: the file
exists at the revision and its history is in the store, so it counts, with a note;
blame cannot read it, so ownership leaves it and says how many."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.sources.ownership import compute_ownership, files_at_revision, parse_ls_tree

runner = CliRunner()


def _snapshot_missing_a_blob(store, repo, ingest):
    """Ingested first (the history is in the store), then the tip's blob of src/lost.py is deleted."""
    repo.commit({"README.md": "hello\n"}, author=("Ada Lovelace", "ada@example.com"))
    for n in range(4):
        repo.commit({f"src/m{n}.py": "".join(f"line {i} of {n}\n" for i in range(20))}, author=("Ada Lovelace", "ada@example.com"))
    for n in range(3):
        repo.commit({"src/lost.py": f"version {n}\n" * 5}, author=("Bo Brown", "bo@example.com"))
    rev = repo.head()
    repo_id = ingest(store, repo).repo_id
    blob = repo.git("rev-parse", f"{rev}:src/lost.py").strip()
    loose = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    assert loose.exists()
    loose.unlink()
    assert "BAD" in repo.git("ls-tree", "-r", "-l", rev)  # the snapshot really lacks it
    return rev, repo_id


def test_ls_tree_sizes_bad_and_dash_are_unknown():
    out = (b"100644 blob aaaa     12\tok.py\0"
           b"100644 blob bbbb    BAD\tgone.py\0"
           b"100644 blob cccc      -\tdash.py\0"
           b"160000 commit dddd      -\tsubmodule\0")
    files = parse_ls_tree(out)
    assert files["ok.py"][1] == 12
    assert files["gone.py"][1] is None and files["dash.py"][1] is None
    assert "submodule" not in files


def test_truck_factor_at_a_revision_with_a_missing_blob(sqlite_store, repo, ingest):
    rev, _repo_id = _snapshot_missing_a_blob(sqlite_store, repo, ingest)
    listing = files_at_revision(repo.path, rev)
    assert listing.missing == ["src/lost.py"] and "src/m0.py" in listing.text

    db = str(sqlite_store.engine.url)
    result = runner.invoke(app, ["--db", db, "team", "truck-factor", "--at", rev, "--everyone", "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["files"] == 6  # README, four modules and the unreadable file, counted by its history
    assert report["missing_files"] == 1
    assert [m["name"] for m in report["members"]] == ["Ada Lovelace"]

    table = runner.invoke(app, ["--db", db, "team", "truck-factor", "--at", rev, "--everyone"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "1 files at this revision have no content" in " ".join(table.output.split())


def test_ownership_skips_a_missing_blob_and_counts_it(sqlite_store, repo, ingest):
    _rev, repo_id = _snapshot_missing_a_blob(sqlite_store, repo, ingest)
    result = compute_ownership(sqlite_store, repo_id)
    assert result.missing == 1 and result.errors == 0
    assert result.blamed == 5  # README and the four modules
