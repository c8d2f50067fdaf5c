"""Every command's help shows its text as written: "[org] leader" keeps its brackets (rich markup ate them)."""
from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from foundermode.cli import app


def walk(command, path: tuple[str, ...] = ()):
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from walk(sub, path + (name,))


def test_bracketed_words_in_help_survive():
    root = typer.main.get_command(app)
    runner = CliRunner()
    checked = 0
    for path, command in walk(root):
        texts = [p.help for p in command.params if getattr(p, "help", None)]
        words = {w for text in texts for w in re.findall(r"\[[a-z_.]+\]", text)}
        if not words:
            continue
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
        assert result.exit_code == 0, (path, result.output)
        for word in words:
            assert word in result.output, (path, word)
        checked += 1
    assert checked >= 5


def test_version_prints_the_package_version():
    from typer.testing import CliRunner

    from foundermode import __version__
    from foundermode.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"foundermode {__version__}"


def test_a_long_listing_stops_at_its_limit_and_says_how_many_it_left_out(tmp_path):
    import json

    from typer.testing import CliRunner

    from foundermode.cli import app
    url = f"sqlite:///{tmp_path / 'fm.db'}"
    chart = tmp_path / "org.csv"
    chart.write_text("email,name,title,team,manager_email,role\n" + "".join(f"p{i}@example.com,Person {i:03d},Engineer,core,,engineer\n" for i in range(130)), encoding="utf-8")
    runner = CliRunner()
    imported = runner.invoke(app, ["--db", url, "ingest", "org", str(chart)])
    assert imported.exit_code == 0, imported.output
    table = runner.invoke(app, ["--db", url, "people", "--limit", "5"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "125 more not shown (--limit 0 shows every row)" in table.output
    assert "Person 004" in table.output or "Person 125" in table.output
    default = runner.invoke(app, ["--db", url, "people"], env={"COLUMNS": "200"})
    assert "30 more not shown" in default.output  # a table stops at a screenful by default
    every = runner.invoke(app, ["--db", url, "people", "--json"])
    assert len(json.loads(every.stdout)) == 130  # a program gets every row unless it asks
    assert len(json.loads(runner.invoke(app, ["--db", url, "people", "--json", "-n", "7"]).stdout)) == 7
