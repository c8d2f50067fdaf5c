"""Terminal injection (issue 16): names and text from data never reach a terminal or a text report raw.

The reproduction: a git author name carrying OSC 52 (write to the clipboard),
OSC 8 (a hidden hyperlink), a CSI clear-screen and a right-to-left override,
and a commit subject with rich markup. Before present/sanitize.py, ``people``,
``team profiles`` and ``brief`` printed them raw in every format and file.
"""
from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from conftest import init_repo
from foundermode.cli import app
from foundermode.present.sanitize import SafeConsole, clean, clean_json, clean_line, markup

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # "rm -rf ~" into the clipboard
OSC8 = "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07"
EVIL = f"Eve {OSC52}Evil {OSC8} \x1b[2J\u202e\x9b31m"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} printed: {text[:200]!r}"


def test_clean_shows_controls_visibly_and_keeps_honest_text():
    assert clean(EVIL) == "Eve \\x1b]52;c;cm0gLXJmIH4=\\x07Evil \\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07 \\x1b[2J\\u202e\\x9b31m"
    honest = "Zoë Ångström-Łukasiewicz 李小龍 🚀\nsecond line\twith a tab [bold]"
    assert clean(honest) == honest
    assert clean(clean(EVIL)) == clean(EVIL)
    assert clean_line("a\nb\tc\rd") == "a\\nb\\tc\\x0dd"
    assert markup("[/bold] x") == "\\[/bold] x"


def test_clean_json_is_the_same_value_to_a_json_reader():
    text = json.dumps({"name": EVIL}, ensure_ascii=False)
    safe = clean_json(text)
    assert_clean(safe)
    assert json.loads(safe) == {"name": EVIL}


def test_safe_console_cleans_text_inside_tables_and_keeps_its_own_colours():
    from rich.table import Table

    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="standard", width=120)
    table = Table("name")
    table.add_row(EVIL)
    console.print(table)
    console.print(f"[red]{markup(EVIL)}[/]")
    text = out.getvalue()
    assert "\x1b[31m" in text  # rich's own styling still works
    assert OSC52 not in text and "\x07" not in text and "\u202e" not in text and "\x9b" not in text
    assert "\\x1b]52;c;" in text


def test_markup_in_a_warning_neither_styles_nor_crashes():
    out = io.StringIO()
    SafeConsole(file=out, width=200).print(f"[yellow]warning[/] {markup('event [/red] (x) skipped')}")
    assert "event [/red] (x) skipped" in out.getvalue()


@pytest.fixture
def hostile_store(tmp_path, monkeypatch):
    repo = init_repo(tmp_path / "repo")
    repo.commit({"api/a.py": "x\n" * 20}, message="add api", author=("Ada Lovelace", "ada@example.com"))
    repo.commit({"api/b.py": "y\n" * 30}, message=f"sub {OSC52}[/] [bold]boom", author=(EVIL, "eve@example.com"))
    repo.commit({"api/c.py": "z\n" * 10}, message="more", author=(EVIL, "eve@example.com"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOUNDERMODE_DB", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "git", str(repo.path)])
    assert result.exit_code == 0, result.output
    return runner, tmp_path


@pytest.mark.parametrize("command", [
    ["people"], ["people", "--json"], ["people", "--format", "csv"], ["people", "--format", "markdown"],
    ["team", "profiles"], ["team", "profiles", "--json"], ["team", "profiles", "--format", "markdown"],
    ["brief", "--until", "last-commit", "--days", "30"],
    ["brief", "--until", "last-commit", "--days", "30", "--format", "markdown"],
    ["brief", "--until", "last-commit", "--days", "30", "--format", "json"],
    ["brief", "--until", "last-commit", "--days", "30", "--format", "html"],
])
def test_every_command_and_format_prints_names_clean(hostile_store, command):
    runner, _ = hostile_store
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert_clean(result.output)
    if "--json" in command or "json" in command:
        json.loads(result.output)  # still valid JSON, and the value itself is kept (escaped the JSON way)
        assert "\\u001b]52;c;cm0gLXJmIH4=\\u0007Evil" in result.output or command[0] == "brief"
    elif command[0] == "people":
        assert "Eve" in result.output and "\\x1b]52;c;" in result.output  # shown visibly, not dropped


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "json"])
def test_brief_written_to_a_file_is_clean(hostile_store, fmt):
    runner, folder = hostile_store
    target = folder / f"brief.{fmt}"
    result = runner.invoke(app, ["brief", "--until", "last-commit", "--days", "30", "--format", fmt, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert_clean(target.read_text(encoding="utf-8"))
