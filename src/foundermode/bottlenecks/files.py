"""Blockers from files: stand-up notes and issue-tracker exports, CSV or JSON.

A parser only: it turns a file into ``Blocker`` records and knows no tables.
Validation is all-or-nothing: every bad row is reported with its line and
nothing is returned while any is bad.

CSV: a header row; the text comes from the first of text, blocker, blockers,
title, summary (plus body/description when present); the reporter from email,
reporter, by, author, assignee, user; optional date (date, reported_at,
created_at, created), id (id, key, number, issue) and labels (labels, label,
tags). When a labels column exists only rows labelled "blocked" are blockers:
that is how an issue-tracker export says so. Empty stand-up answers ("", "none",
"n/a", "-") are not blockers.

JSON: a list of objects (or JSON lines, or {"issues": [...]}) with the same
names; GitHub-style ``user.login``/``user.email`` and ``labels`` as strings or
``{"name": ...}`` objects are understood.
"""
from __future__ import annotations

from ..errors import InputError
import datetime as dt
import hashlib
import json
from pathlib import Path

from ..sources.limits import check_json, csv_rows, decode_json_at, quoted, read_text
from .intake import MAX_TEXT, Blocker
from .heard import jira_blockers

TEXT = ("text", "blocker", "blockers", "title", "summary")
BODY = ("body", "description", "details")
WHO = ("email", "reporter", "by", "author", "assignee", "user", "reporter_email", "author_email")
WHEN = ("date", "reported_at", "created_at", "created", "timestamp")
IDS = ("id", "key", "number", "issue")
LABELS = ("labels", "label", "tags")
NOTHING = {"", "none", "n/a", "na", "-", "no", "nothing", "no blockers", "none."}
BLOCKED = "blocked"


class BlockerFileError(InputError):
    pass


def read_blockers(path: Path | str) -> list[Blocker]:
    path = Path(path)
    text = read_text(path, BlockerFileError)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(text, str(path))
    if suffix in (".json", ".jsonl", ".ndjson"):
        return parse_json(text, str(path))
    raise BlockerFileError(f"{path}: expected a .csv or .json file")


def parse_date(value, where: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch_in_range(value, str(value))
    text = str(value).strip()
    if text.isdigit():
        return _epoch_in_range(int(text) if len(text) <= 20 else LATEST + 1, text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"date {quoted(text, 40)} is not ISO 8601 (2024-03-11 or 2024-03-11T09:30:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        return _epoch_in_range(moment.timestamp(), text)
    except OverflowError:  # a date near year 1 or 9999 in a far zone
        raise ValueError(f"date {quoted(text, 40)} is out of range") from None


LATEST = 253402300799  # 9999-12-31T23:59:59Z


def _epoch_in_range(seconds, text: str) -> int:
    """Epoch seconds between 1970 and 9999: a store column and every date function can hold it."""
    if not (0 <= seconds <= LATEST):  # also NaN
        raise ValueError(f"date {quoted(text, 40)} is out of range (epoch seconds from 1970 to 9999)")
    return int(seconds)


def _labels(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip().lower() for p in value.replace(";", ",").replace("|", ",").split(",") if p.strip()]
    if isinstance(value, list):
        out = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                out.append(name.strip().lower())
        return out
    return []


def _who(value) -> tuple[str | None, str | None]:
    """(name, email-or-github-key) of a reporter field."""
    if isinstance(value, dict):
        email = value.get("email")
        if email:
            return value.get("name"), email
        login = value.get("login") or value.get("username")
        return (value.get("name") or login, f"github:{login}") if login else (None, None)
    if isinstance(value, str) and value.strip():
        value = value.strip()
        if "@" in value or value.startswith("github:"):
            return None, value
        return value, None
    return None, None


def _first(record: dict, names: tuple[str, ...]):
    for name in names:
        if name in record and record[name] not in (None, ""):
            return record[name]
    return None


def _blocker(record: dict, line: int, name: str, has_labels: bool) -> Blocker | None:
    if has_labels and BLOCKED not in _labels(_first(record, LABELS)):
        return None
    title = _first(record, TEXT)
    body = _first(record, BODY)
    parts = [str(p).strip() for p in (title, body) if p not in (None, "") and str(p).strip()]
    text = "\n".join(parts)
    if text.strip().lower() in NOTHING:
        return None
    problems = []
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    who_field = next((n for n in WHO if record.get(n) not in (None, "")), None)
    who_name, who_email = _who(record.get(who_field) if who_field else None)
    if not who_email and not who_name:
        problems.append(f"no reporter (one of {', '.join(WHO)})")
    elif who_field and who_field.endswith("email") and not who_email:
        problems.append(f"{who_field} {quoted(who_name)} is not an email address")
    when = None
    try:
        when = parse_date(_first(record, WHEN), name)
    except ValueError as error:
        problems.append(str(error))
    if problems:
        raise BlockerFileError(f"{name}:{line}: " + "; ".join(problems))
    ident = _first(record, IDS)
    # A re-imported file adds nothing: rows without an id are keyed by their content.
    external = f"{Path(name).name}#{ident}" if ident not in (None, "") else "sha256:" + hashlib.sha256(
        json.dumps([who_email or who_name, when, text]).encode("utf-8")
    ).hexdigest()[:32]
    return Blocker(text=text, email=who_email, name=who_name, reported_at=when, external_id=external)


def _collect(records, name: str, has_labels) -> list[Blocker]:
    errors: list[str] = []
    out: list[Blocker] = []
    for line, record in records:
        if not isinstance(record, dict):
            errors.append(f"{name}:{line}: expected an object, found {type(record).__name__}")
            continue
        try:
            blocker = _blocker(record, line, name, has_labels(record))
        except BlockerFileError as error:
            errors.append(str(error))
            continue
        if blocker is not None:
            out.append(blocker)
    if errors:
        raise BlockerFileError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return out


def parse_csv(text: str, name: str = "blockers.csv") -> list[Blocker]:
    reader = csv_rows(text, name, BlockerFileError)
    try:
        header = [h.strip().lower() for h in next(reader)[1]]
    except StopIteration:
        raise BlockerFileError(f"{name}: empty file; expected a header row with a text column ({', '.join(TEXT)})") from None
    if "issue key" in header and "summary" in header:  # Jira's own export: repeated Labels columns, Flagged (heard.py)

        try:
            return jira_blockers(text, name)
        except ValueError as error:
            raise BlockerFileError(str(error)) from None
    if not any(h in header for h in TEXT):
        raise BlockerFileError(f"{name}:1: no text column; expected one of {', '.join(TEXT)}")
    if not any(h in header for h in WHO):
        raise BlockerFileError(f"{name}:1: no reporter column; expected one of {', '.join(WHO)}")
    labelled = any(h in header for h in LABELS)
    records = []
    errors = []
    for line, row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(f"{name}:{line}: expected {len(header)} fields, found {len(row)}")
            continue
        records.append((line, dict(zip(header, (c.strip() for c in row)))))
    if errors:
        raise BlockerFileError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return _collect(records, name, lambda _r: labelled)


def _json_items(text: str, name: str) -> list[tuple[int, object]]:
    """Each element of a top-level array (or each JSON line) with the line it starts on."""
    check_json(text, name, BlockerFileError)
    stripped = text.lstrip()
    items: list[tuple[int, object]] = []

    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def fail(error: json.JSONDecodeError):
        raise BlockerFileError(f"{name}:{error.lineno}: invalid JSON: {error.msg}") from None

    if stripped.startswith("{"):
        try:
            whole, end = decode_json_at(text, len(text) - len(stripped), name, BlockerFileError)
        except json.JSONDecodeError as error:
            fail(error)
        rest = text[end:].strip()
        if isinstance(whole, dict) and not rest:
            for key in ("issues", "blockers", "items", "data"):
                if isinstance(whole.get(key), list):
                    return _json_items(json.dumps(whole[key], indent=1), name)  # line numbers of the sub-list are approximate
            return [(1, whole)]
        # JSON lines: one object a line
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    value, end = decode_json_at(line, len(line) - len(line.lstrip()), name, BlockerFileError)
                except json.JSONDecodeError as error:
                    raise BlockerFileError(f"{name}:{number}: invalid JSON: {error.msg}") from None
                except BlockerFileError as error:  # a bound, reported for the line alone: put the file's line in
                    raise BlockerFileError(str(error).replace(f"{name}:1:", f"{name}:{number}:", 1)) from None
                if line[end:].strip():
                    raise BlockerFileError(f"{name}:{number}: invalid JSON: extra data after the object")
                items.append((number, value))
        return items
    if not stripped.startswith("["):
        raise BlockerFileError(f"{name}:1: expected a JSON list of blockers")
    pos = len(text) - len(stripped) + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == "]":
            break
        try:
            value, end = decode_json_at(text, pos, name, BlockerFileError)
        except json.JSONDecodeError as error:
            fail(error)
        items.append((line_at(pos), value))
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == "]":
            break
        raise BlockerFileError(f"{name}:{line_at(pos)}: expected ',' or ']' in the list")
    return items


def parse_json(text: str, name: str = "blockers.json") -> list[Blocker]:
    items = _json_items(text, name)
    any_labels = any(isinstance(r, dict) and _first(r, LABELS) is not None for _, r in items)
    # In a tracker export (some items carry labels) only items labelled "blocked" count.
    return _collect(items, name, lambda _r: any_labels)
