"""A snapshot with a missing blob (meteor/meteor, angular/angular.js at 2016-11-15):
`git ls-tree -l` prints BAD as its size; truck factor --at must leave the file out, not crash."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode.cli import app

runner = CliRunner()


def test_truck_factor_at_a_revision_with_a_missing_blob(sqlite_store, repo, ingest):
    for n in range(4):
        repo.commit({f"src/m{n}.py": "".join(f"line {i} of {n}\n" for i in range(20))}, author=("Ada Lovelace", "ada@example.com"))
    repo.commit({"src/lost.py": "only here\n" * 5}, author=("Bo Brown", "bo@example.com"))
    rev = repo.head()
    ingest(sqlite_store, repo)
    blob = repo.git("rev-parse", f"{rev}:src/lost.py").strip()
    loose = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    assert loose.exists()
    loose.unlink()
    assert "BAD" in repo.git("ls-tree", "-r", "-l", rev)  # the snapshot really lacks it

    db = str(sqlite_store.engine.url)
    result = runner.invoke(app, ["--db", db, "team", "truck-factor", "--at", rev, "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report[0]["files"] == 4  # the unreadable file is left out, the others counted
    assert report[0]["truck_factor"] == 1 and report[0]["members"][0]["name"] == "Ada Lovelace"
