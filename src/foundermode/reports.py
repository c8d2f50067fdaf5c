"""Formatting plain rows (lists of dicts) as terminal tables, JSON, CSV or Markdown.

Surfaces call ``render``; analyses never format.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from enum import Enum
from typing import Any, Iterable

from .present.sanitize import SafeConsole, print_report
from .present.terminal import fit_table

FORMATS = ("table", "json", "csv", "markdown")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def to_plain(value: Any) -> Any:
    """Dataclasses, dates and sets into JSON-ready values.

    Field by field, without ``dataclasses.asdict``'s deep copies (a rails-sized team report
    has 300,000 values): the one conversion every surface's JSON goes through."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def columns_of(rows: list[dict], columns: Iterable[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


# A field named for a moment ("created_at", "since", "last_activity", a walk-out's
# "first") holds epoch seconds in the store and in the library; the machine
# formats write it as ISO 8601 in UTC, which every program reads without being told.
MOMENT_FIELD = re.compile(r"(^|_)(at|since|until|start|end|first|last|activity|when)$")


def machine(value: Any, key: str = "") -> Any:
    """Plain values (``to_plain``) with epoch-second moments as ISO 8601 UTC, for JSON and CSV."""
    if isinstance(value, dict):
        return {k: machine(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [machine(v, key) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and MOMENT_FIELD.search(key):
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat()
        except (OverflowError, OSError, ValueError):
            return value
    return value


def machine_cell(value: Any) -> str:
    """A CSV cell: plain numbers (no thousands separators), ISO times, lists joined by "; "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, (list, tuple, set)):
        return "; ".join(machine_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def as_json(data: Any) -> str:
    return json.dumps(machine(to_plain(data)), indent=2, ensure_ascii=False, default=str)


def as_csv(rows: list[dict], columns: Iterable[str] | None = None) -> str:
    rows = [machine(to_plain(r)) for r in rows]
    cols = columns_of(rows, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([machine_cell(row.get(c)) for c in cols])
    return out.getvalue()


def markdown_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(rows: list[dict], columns: Iterable[str] | None = None, title: str | None = None) -> str:
    rows = [to_plain(r) for r in rows]
    cols = columns_of(rows, columns)
    lines = [f"## {title}", ""] if title else []
    if not rows:
        return "\n".join(lines + ["_No rows._", ""])
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---" for _ in cols) + "|")
    for row in rows:
        lines.append("| " + " | ".join(markdown_escape(cell(row.get(c))) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def rich_table(rows: list[dict], columns: Iterable[str] | None = None, title: str | None = None, width: int = 80):
    """Rows as a terminal table that keeps words whole at ``width`` (a list layout when it cannot)."""
    cols = columns_of(rows, columns)
    numeric = {i for i, col in enumerate(cols) if any(isinstance(r.get(col), (int, float)) and not isinstance(r.get(col), bool) for r in rows)}
    # Cells are data, never markup: fit_table prints them as plain Text, so "[notify.email]" prints as written.
    return fit_table([col.replace("_", " ") for col in cols], [[cell(row.get(c)) for c in cols] for row in rows], width, numeric=numeric, title=title)


def render(rows: list[dict], fmt: str = "table", columns: Iterable[str] | None = None, title: str | None = None, console=None) -> str | None:
    """Print rows in the chosen format; returns the text for non-table formats."""
    fmt = fmt.value if isinstance(fmt, Enum) else fmt
    if fmt == "json":
        text = as_json(rows)
    elif fmt == "csv":
        text = as_csv(rows, columns)
    elif fmt == "markdown":
        text = as_markdown(rows, columns, title)
    else:
        console = console or SafeConsole()
        console.print(rich_table([to_plain(r) for r in rows], columns, title, width=console.width))
        return None

    return print_report(text, fmt)
