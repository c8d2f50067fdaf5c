"""Library messages never name command-line flags (issue 13): the web and the API show them to people in a browser.

Every ``raise`` in the library (everything but ``cli/`` and the demo, which is a command)
and every section ``note`` is read from the source; a string in it that names a flag
(``--since``, ``--by EMAIL``) fails this test. Flags passed to git are arguments, not messages.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import foundermode

PACKAGE = Path(foundermode.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
SURFACE_ONLY = ("cli", "demo")  # their text is the command line's own


def _texts(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _messages(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node.lineno, _texts(node.exc)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr in ("note", "walk_out_note") for t in node.targets):
            yield node.lineno, _texts(node.value)


def test_no_library_message_names_a_command_line_flag():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in SURFACE_ONLY:
            continue
        for line, texts in _messages(ast.parse(path.read_text(encoding="utf-8"))):
            found += [f"{relative}:{line}: {text!r}" for text in texts if FLAG.search(text)]
    assert not found, "messages naming flags:\n" + "\n".join(found)


def test_the_check_sees_a_flag():
    tree = ast.parse('def f():\n    raise ValueError("give --repo")\n')
    assert [t for _line, texts in _messages(tree) for t in texts if FLAG.search(t)] == ["give --repo"]


def _cli_flags() -> set[str]:
    """Every long option foundermode's own command line defines."""
    import typer

    from foundermode.cli import app

    flags: set[str] = set()

    def walk(command):
        for param in command.params:
            flags.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
        # typer's groups may not be click.Group instances (typer vendors its own core): duck-type
        for sub in (getattr(command, "commands", None) or {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return flags - {"--help"}


def _prose(tree: ast.AST):
    """String constants that are not docstrings: what the library can show someone."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_library_text_names_one_of_our_flags():
    """Any text in the library (a label, a warning, a measure's name), not only raises and notes.

    settings.py is the schema that writes docs/configuration.md, a page about the command line too.
    """
    ours = _cli_flags()
    assert {"--since", "--by", "--ownership"} <= ours  # the walk found the command line's options
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in SURFACE_ONLY or relative.name in ("settings.py", "__main__.py"):
            continue
        for line, text in _prose(ast.parse(path.read_text(encoding="utf-8"))):
            if " " in text.strip() or text.strip() in ours:  # prose, or a flag by itself; git's arguments are single tokens of git's
                found += [f"{relative}:{line}: {text!r}" for flag in FLAG.findall(text) if flag in ours and " " in text.strip() or text.strip() in ours]
    assert not found, "library text naming the command line's flags:\n" + "\n".join(sorted(set(found)))
