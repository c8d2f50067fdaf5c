"""JSON and CSV exports are for programs: every listing's times parse back as
ISO 8601, its numbers as numbers, and no cell holds the words a table shows
("8m", "50.0%", "3 h ago", "…", "1,234.00")."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import click
import pytest
import typer

TIME_KEY = re.compile(r"(^|_)(at|activity|since|until|start|end|date|when|time|day|first|last|opened|resolved|acknowledged|created|updated|merged|closed)$")
# Sentences for people, inside a machine format, may quote with an ellipsis.
PROSE_KEY = re.compile(r"(text|reason|reasons|summary|title|sentence|description|suggestion|message|why|evidence)$")
HUMAN_TEXT = [
    re.compile(r"^-?\d+(\.\d+)?\s?%$"),  # 50.0%
    re.compile(r"^\d+(\.\d+)?\s?(s|m|min|h|d|w|mo|y)$"),  # 8m, 3 h
    re.compile(r"\bago$"),  # 3 h ago
    re.compile(r"…"),  # an ellipsis cut
    re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"),  # 1,234.00
]


def _listings():
    from foundermode.cli import app

    def walk(command, path):
        if any("--format" in getattr(p, "opts", []) for p in command.params) and not any(p.required for p in command.params):
            yield path
        for name, child in getattr(command, "commands", {}).items():
            yield from walk(child, [*path, name])

    return list(walk(typer.main.get_command(app), []))


LISTINGS = _listings()


def _is_iso(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        try:
            dt.date.fromisoformat(text)
            return True
        except ValueError:
            return False


def _problems(key: str, value, where: str) -> list[str]:
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _problems(str(k), v, f"{where}.{k}")
        return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found += _problems(key, v, f"{where}[{i}]")
        return found
    if isinstance(value, bool) or value is None or value == "":
        return found
    if TIME_KEY.search(key.lower()) and not key.lower().endswith(("_days", "_hours", "_minutes", "_seconds")):
        if isinstance(value, (int, float)) and value > 10**8:
            found.append(f"{where}: epoch seconds {value!r}, not an ISO time")
        elif isinstance(value, str) and re.match(r"^\d{4}-\d{2}", value) and not _is_iso(value):
            found.append(f"{where}: {value!r} is not ISO 8601")
    if isinstance(value, str) and not PROSE_KEY.search(key.lower()):
        for pattern in HUMAN_TEXT:
            if pattern.search(value.strip()):
                found.append(f"{where}: formatted text {value!r}")
                break
    return found


def _run(northwind, args):
    from typer.testing import CliRunner

    from foundermode.cli import app

    result = CliRunner().invoke(app, ["--config", str(northwind.config_path), *args], env={"COLUMNS": "80"})
    return result


def test_the_listings_are_found():
    names = {" ".join(path) for path in LISTINGS}
    assert {"people", "repos", "team profiles", "bottlenecks", "meetings hours"} <= names, names


@pytest.mark.parametrize("path", LISTINGS, ids=[" ".join(p) for p in LISTINGS])
def test_json_and_csv_exports_parse_back(northwind, path):
    result = _run(northwind, [*path, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    problems = _problems("", data, " ".join(path))
    assert not problems, problems[:5]

    result = _run(northwind, [*path, "--format", "csv"])
    if result.exit_code != 0 and "one csv cannot" in result.output.lower():
        return  # a report of several tables says so, in one line, instead of a broken CSV
    if result.exit_code == 2 and "'csv' is not one of" in result.output:
        return  # a document (the brief) offers json, markdown and html, not csv
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    problems = [p for i, row in enumerate(rows) for key, value in row.items() if key for p in _problems(key, value, f"{' '.join(path)} row {i}")]
    assert not problems, problems[:5]
    # Numbers are plain: every cell that looks numeric parses as one.
    for row in rows:
        for key, value in row.items():
            if value and re.fullmatch(r"-?[\d.,]+", value) and "," in value:
                pytest.fail(f"{key}: {value!r} is a formatted number")
