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
