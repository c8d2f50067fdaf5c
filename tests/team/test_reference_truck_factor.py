"""--reference: the authors' tool's file filter (GitHub Linguist's source files) and alias rule (same name, one developer)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.sources.linguist import counts, first_lines, needs_first_line

runner = CliRunner()


@pytest.mark.parametrize(
    "path,first_line,size,expected",
    [
        ("src/flask/app.py", None, 10, True),
        ("activerecord/lib/active_record/base.rb", None, 10, True),
        ("actionview/app/views/show.html.erb", None, 10, True),
        ("app/assets/stylesheets/site.scss", None, 10, True),
        ("Gemfile", None, 10, True),
        ("Rakefile", None, 10, True),
        ("bin/rails", b"#!/usr/bin/env ruby", 10, True),
        ("tools/release", b"#!/bin/sh -e", 10, True),
        ("tools/notes", b"plain words", 10, False),
        ("docs/conf.py", None, 10, False),  # documentation
        ("examples/tutorial/flaskr/db.py", None, 10, False),
        ("README.md", None, 10, False),  # prose
        ("CHANGELOG.rst", None, 10, False),
        ("config/database.yml", None, 10, False),  # data
        ("package.json", None, 10, False),
        ("vendor/assets/jquery.js", None, 10, False),  # vendored
        ("app/assets/javascripts/lib.min.js", None, 10, False),
        ("test/fixtures/topics.rb", None, 10, False),
        ("types/index.d.ts", None, 10, False),
        (".github/workflows/tests.py", None, 10, False),
        ("proto/api_pb2.py", None, 10, False),  # generated
        ("src/pkg/__init__.py", None, 0, False),  # empty: no language
        ("logo.png", None, 10, False),
        ("lib/missing.rb", None, None, True),  # blob missing: typed by its path
    ],
)
def test_linguist_classification(path, first_line, size, expected):
    assert counts(path, first_line, size) is expected


def test_first_lines_read_from_git(repo):
    repo.commit({"bin/setup": "#!/usr/bin/env python3\nprint(1)\n", "bin/data": "x,y\n"})
    wanted = [p for p in ("bin/setup", "bin/data", "lib/a.rb") if needs_first_line(p)]
    assert wanted == ["bin/setup", "bin/data"]
    lines = first_lines(repo.path, "HEAD", wanted + ["bin/absent"])
    assert lines == {"bin/setup": b"#!/usr/bin/env python3", "bin/data": b"x,y"}


def _history(repo):
    # One developer under two addresses whose names differ only in case; documentation and data by another.
    for n in range(3):
        repo.commit({f"src/a{n}.py": f"a = {n}\n"}, author=("Ada Lovelace", "ada@work.example"))
        repo.commit({f"src/b{n}.py": f"b = {n}\n"}, author=("ADA LOVELACE", "ada@home.example"))
    for n in range(4):
        repo.commit({f"docs/page{n}.md": f"# page {n}\n"}, author=("Bo Brown", "bo@example.com"))
    repo.commit({"README.md": "read me\n", "config.yml": "a: 1\n"}, author=("Bo Brown", "bo@example.com"))


def test_reference_mode_filters_files_and_joins_same_names(sqlite_store, repo, ingest):
    _history(repo)
    ingest(sqlite_store, repo)
    db = str(sqlite_store.engine.url)

    everyone = runner.invoke(app, ["--db", db, "team", "truck-factor", "--everyone", "--json"])
    assert everyone.exit_code == 0, everyone.output
    plain = json.loads(everyone.stdout)[0]
    assert plain["files"] == 12 and plain["truck_factor"] == 2  # Bo's 6 files are half, not more; one Ada tips it

    reference = runner.invoke(app, ["--db", db, "team", "truck-factor", "--reference", "--json"])
    assert reference.exit_code == 0, reference.output
    ref = json.loads(reference.stdout)[0]
    assert ref["basis"] == "reference"
    assert ref["files"] == 6  # only the Python sources: no Markdown, documentation or YAML
    assert ref["truck_factor"] == 1 and ref["members"][0]["files_authored"] == 6  # both Adas are one developer

    table = runner.invoke(app, ["--db", db, "team", "truck-factor", "--reference"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "as the reference tool computes it" in table.output


def test_reference_authorship_rule():
    """The tool's rule: the creating commit sets FA only (not a delivery), and the creator
    with the top normalised DOA is an author even below the absolute threshold."""
    from collections import Counter

    from foundermode.team.truck_factor import FileHistory, file_authors, reference_file_authors

    crowd = FileHistory("f.py", creator=1, changes=Counter({1: 1, **{p: 1 for p in range(2, 53)}}))
    # Paper: Ada 3.293 + 1.098 + 0.164 - 0.321 ln(52) = 3.2867 < 3.293, nobody authors it.
    # Tool: Ada 3.293 + 1.098 - 0.321 ln(52) = 3.1227, the top DOA (each of the 51 others: 2.19): the creator authors it.
    assert file_authors(crowd) == frozenset()
    assert reference_file_authors(crowd) == frozenset({1})
    pair = FileHistory("g.py", creator=1, changes=Counter({1: 3, 2: 2}))
    # Tool: Ada DL 2, AC 2 -> 4.3663; Bob DL 2, AC 2 -> 3.2683 (< 3.293, not the creator): Ada alone.
    assert reference_file_authors(pair) == frozenset({1})
    # Paper: Ada 3.293 + 1.098 + 0.492 - 0.321 ln 3 = 4.5303; Bob 3.293 + 0.328 - 0.321 ln 4 = 3.1760: Ada alone too.
    assert file_authors(pair) == frozenset({1})
