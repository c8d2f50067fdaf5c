"""Tables for an 80-column terminal: every word stays whole.

A rich Table squeezes its columns below their longest word when the terminal
is too narrow for them, so "Bottleneck" prints as "Bottlene" over "ck". Here a
table is drawn only when every column can hold its longest word; otherwise the
same rows become a list, one block per row ("first cell" in bold, then
"column: value" lines), which wraps between words at any width. A word longer
than the whole terminal (a long address) is the one thing still folded.
"""
from __future__ import annotations

from typing import Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from .sanitize import clean

# A cell's own padding (one space each side) plus the border to its left.
_CELL_CHROME = 3


def _cleaned(columns, rows, title):
    return [clean(column) for column in columns], [[clean(value) for value in row] for row in rows], (clean(title) if title is not None else None)


def longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def word_widths(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's longest word, header included."""
    widths = [longest_word(str(column)) for column in columns]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], longest_word(str(value)))
    return widths


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Content widths that fit ``width``: each column gets its longest word, then the
    room left goes to the columns needing least first, so short columns print on
    one line and only the long ones (titles, lists of names) wrap."""
    least = word_widths(columns, rows)
    most = [len(str(column)) for column in columns]
    for row in rows:
        for index, value in enumerate(row):
            most[index] = max(most[index], max((len(line) for line in str(value).splitlines()), default=0))
    sizes = list(least)
    room = width - sum(least) - _CELL_CHROME * len(columns) - 1
    pending = sorted(range(len(columns)), key=lambda i: most[i] - least[i])
    while pending and room > 0:
        share = room // len(pending) or 1
        index = pending.pop(0)
        grow = min(most[index] - least[index], share if pending else room)
        sizes[index] += grow
        room -= grow
    return sizes


def minimum_width(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The narrowest the table can be drawn with every word whole (borders and padding included)."""
    return sum(word_widths(columns, rows)) + _CELL_CHROME * len(columns) + 1


def fit_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    numeric: set[int] | frozenset[int] = frozenset(),
    title: str | None = None,
) -> RenderableType:
    """A table when it fits ``width`` with whole words, else the same rows as a list.

    Cells are plain text (never markup): callers pass data as it is; control
    characters in it are shown visibly (present/sanitize.py) before widths are measured.
    """
    columns, rows, title = _cleaned(columns, rows, title)
    if not columns:
        return Text("")
    if minimum_width(columns, rows) <= width:
        table = Table(title=title, header_style="bold", title_justify="left", show_lines=False)
        # rich shrinks the widest columns first, below their longest word if it must:
        # the widths are decided here instead, each at least its longest word.
        for index, (column, size) in enumerate(zip(columns, column_widths(columns, rows, width))):
            table.add_column(str(column), justify="right" if index in numeric else "left", overflow="fold", width=size)
        for row in rows:
            table.add_row(*[Text(str(value)) for value in row])
        return table
    return list_layout(columns, rows, title=title)


def list_layout(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> RenderableType:
    """One block per row: its first cell as the heading, then "column: value" lines.

    With no title the first column's header names the list ("Time to unblock"
    heads a list of resources; after a number column, the second's). A leading number column ("#", "id") joins the
    heading, "#2 CI runners are stuck", so the id stays next to what it names.
    """
    columns, rows, title = _cleaned(columns, rows, title)
    numbered = len(columns) > 1 and columns[0].strip().lower() in ("#", "id")
    parts: list[RenderableType] = []
    parts.append(Text(title or (columns[1] if numbered else columns[0]), style="bold"))
    for row in rows:
        values = [str(value) for value in row]
        if numbered:
            head = Text(f"#{values[0]} ", style="bold") + Text(values[1] or "–", style="bold")
            rest = list(zip(columns[2:], values[2:]))
        else:
            head = Text(values[0] or "–", style="bold")
            rest = list(zip(columns[1:], values[1:]))
        parts.append(Padding(Text("• ") + head, (0, 0, 0, 0)))
        for column, value in rest:
            if value.strip():
                parts.append(Padding(Text(f"{column}: ", style="dim") + Text(value), (0, 0, 0, 4)))
    return Group(*parts)
