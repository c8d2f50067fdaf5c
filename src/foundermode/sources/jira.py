"""Jira's CSV export ("Export > CSV (all fields)"), read for blockers.

Jira writes one column per value of a multi-valued field, all under the same
header: ``Labels,Labels,Labels`` for three labels, ``Sprint,Sprint``; and the
Flagged field (Jira's impediment flag) as ``Custom field (Flagged)`` holding
``Impediment``. Every repeated column is read, so a ``blocked`` label in the
first of three is seen. A ticket is a blocker when it is flagged or carries the
``blocked`` label; the rest are not heard (a ticket saying "cannot log in" is a
user's bug, not the team being blocked). A parser only: tickets out, no tables.
"""
from __future__ import annotations

from ..errors import InputError
import datetime as dt
from dataclasses import dataclass, field

from .limits import csv_rows, quoted

BLOCKED_LABELS = {"blocked", "blocker", "impediment"}
FLAGGED = ("custom field (flagged)", "flagged")
# Jira's default export dates ("11/Mar/24 9:30 AM"), its ISO-ish ones, and plain dates.
DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class JiraExportError(InputError):
    pass


@dataclass
class Ticket:
    key: str  # OPS-12
    summary: str
    line: int
    labels: list[str] = field(default_factory=list)
    flagged: bool = False
    status: str = ""
    assignee: str | None = None
    reporter: str | None = None
    created: int | None = None
    updated: int | None = None
    description: str = ""

    @property
    def is_blocker(self) -> bool:
        return self.flagged or any(label.casefold() in BLOCKED_LABELS for label in self.labels)


def parse_date(text: str, where: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    iso = text.replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        raise JiraExportError(f"{where}: date {quoted(text, 40)} is not a Jira date (11/Mar/24 9:30 AM or 2024-03-11 09:30)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)  # Jira exports in the exporting user's zone; UTC unless told
    return int(moment.timestamp())


def parse_jira_csv(text: str, name: str = "jira.csv") -> list[Ticket]:
    """Every ticket of the export; errors name the file and line, and nothing is returned while any row is bad."""
    rows = csv_rows(text, name, JiraExportError)
    try:
        header = [h.strip().casefold() for h in next(rows)[1]]
    except StopIteration:
        raise JiraExportError(f"{name}: empty file; expected Jira's header row (Summary, Issue key, ...)") from None
    if "issue key" not in header or "summary" not in header:
        raise JiraExportError(f"{name}:1: not a Jira CSV export: expected the columns Summary and Issue key")
    columns: dict[str, list[int]] = {}
    for index, title in enumerate(header):
        columns.setdefault(title, []).append(index)

    def every(cells: list[str], title: str) -> list[str]:
        return [cells[i].strip() for i in columns.get(title, []) if i < len(cells) and cells[i].strip()]

    def one(cells: list[str], *titles: str) -> str:
        for title in titles:
            found = every(cells, title)
            if found:
                return found[0]
        return ""

    tickets, errors = [], []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(f"{name}:{line}: expected {len(header)} fields, found {len(cells)}")
            continue
        key = one(cells, "issue key")
        if not key:
            errors.append(f"{name}:{line}: no Issue key")
            continue
        labels = [part for value in every(cells, "labels") for part in value.split()]  # one label a column; spaces never occur in one
        flagged = any(value.casefold() not in ("", "no", "false", "none") for title in FLAGGED for value in every(cells, title))
        try:
            created = parse_date(one(cells, "created"), f"{name}:{line}")
            updated = parse_date(one(cells, "updated"), f"{name}:{line}")
        except JiraExportError as error:
            errors.append(str(error))
            continue
        tickets.append(Ticket(key=key, summary=one(cells, "summary"), line=line, labels=labels, flagged=flagged, status=one(cells, "status"),
                              assignee=one(cells, "assignee") or None, reporter=one(cells, "reporter") or None, created=created, updated=updated,
                              description=one(cells, "description")))
    if errors:
        raise JiraExportError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return tickets
