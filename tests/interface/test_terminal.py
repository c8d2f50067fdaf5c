"""The README's first command at 80 columns: every table cell's words stay whole."""
from __future__ import annotations

import re

from rich.cells import cell_len

BOX = "│┃┏┓┗┛┡┩└┘┳┻╇╈━─┼╋├┤┠┨"


def _tokens(text: str) -> list[str]:
    """Words as printed; a list layout's "Resource:" and "#2" count as "Resource" and "2"."""
    return [w for t in re.split(r"[\s" + BOX + r"]+", text) if (w := _word(t.rstrip(":")))]


def _word(text: str) -> str:
    return text.lstrip("#") if text.startswith("#") and text[1:].isdigit() else ("" if text == "#" else text)


def _brief_tables(northwind):
    from foundermode.brief import build_brief
    from foundermode.brief.document import Table, document
    from foundermode.brief.window import resolve_window
    from foundermode.config import load_config
    from foundermode.store import open_store

    store = open_store(northwind.store_url)
    try:
        with store.read() as conn:
            window = resolve_window(conn, until="last-commit")
        brief = build_brief(store, load_config(northwind.config_path), window)
    finally:
        store.dispose()
    return [block for section in document(brief, compact=True) for block in section.blocks if isinstance(block, Table)]


def test_the_demo_brief_keeps_every_cell_word_whole_at_80_columns(northwind):
    output = northwind.output
    assert "The leader's brief" in output and "Truck-factor risks" in output
    too_wide = [line for line in output.splitlines() if cell_len(line) > 80]
    assert not too_wide, too_wide[:3]

    tables = _brief_tables(northwind)
    assert len(tables) >= 5, "the demo's brief has tables to lay out"
    words: set[str] = set()
    for table in tables:
        for text in [*table.columns, *(c for row in table.rows for c in row), table.title or ""]:
            words.update(w for w in (_word(t.rstrip(":")) for t in text.split()) if w)
    printed = set(_tokens(output))
    broken = sorted(w for w in words if len(w) <= 78 and w not in printed)
    assert not broken, f"words cut at 80 columns: {broken[:10]}"
    # And no table line (two columns or more, not the header panel) holds a fragment of a word.
    fragments = {t for line in output.splitlines() if line.count("│") + line.count("┃") >= 3 for t in _tokens(line)} - words
    assert not fragments, sorted(fragments)[:10]


def test_a_table_too_wide_for_the_terminal_becomes_a_list_with_whole_words():
    from io import StringIO

    from rich.console import Console

    from foundermode.present.terminal import fit_table, minimum_width

    columns = ["#", "Bottleneck", "Resource", "Reported by", "Escalation", "Held by", "Open for", "Acknowledgement"]
    rows = [["2", "CI runners are stuck: builds wait 40 minutes", "CI", "Diego Alvarez, Ravi Kumar", "BuildCloud 2/2", "cto@buildcloud.example", "3 days", "unacknowledged"]]
    assert minimum_width(columns, rows) > 80
    out = StringIO()
    Console(file=out, width=80, color_system=None).print(fit_table(columns, rows, 80))
    text = out.getvalue()
    assert "#2 CI runners are stuck" in text and "Held by: cto@buildcloud.example" in text
    assert all(_word(word.rstrip(":")) in _tokens(text) for row in rows for cell in row for word in cell.split())
    # The same rows in a wide terminal stay a table.
    wide = StringIO()
    Console(file=wide, width=200, color_system=None).print(fit_table(columns, rows, 200))
    assert "┃ Bottleneck" in wide.getvalue()


def test_cli_listings_fit_80_columns(northwind):
    from typer.testing import CliRunner

    from foundermode.cli import app

    for args in (["people"], ["team", "profiles"], ["repos"]):
        result = CliRunner().invoke(app, ["--config", str(northwind.config_path), *args], env={"COLUMNS": "80"})
        assert result.exit_code == 0, (args, result.output)
        wide = [line for line in result.output.splitlines() if cell_len(line) > 80]
        assert not wide, (args, wide[:2])
