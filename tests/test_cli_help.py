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
