"""Stand-up tools' exports (Geekbot-style CSV: who, date, question, answer), read for blockers.

Columns, matched case-insensitively: who (member, user, username, who, email, name,
respondent), when (date, timestamp, time, created, submitted), question, answer.
An answer to a blockers question ("Anything blocking your progress?") that is not
a "no" ("none", "nope", "all good", "nothing so far") is itself a blocker; answers
to the other questions go through the detector. A parser only: answers out.
"""
from __future__ import annotations

from ..errors import InputError
import re
from dataclasses import dataclass

from .jira import parse_date as jira_date
from .limits import csv_rows

WHO = ("member", "user", "username", "who", "email", "name", "respondent", "reporter")
WHEN = ("date", "timestamp", "time", "created", "submitted", "submitted at", "answered at")
BLOCKERS_QUESTION = re.compile(r"\b(?:block(?:er|ers|ing|ed)?|imped\w+|stuck|in your way|holding you (?:back|up)|obstacles?)\b", re.I)
NOTHING = re.compile(
    r"^\W*(?:no|nope|nah|none|nothing|n/?a|-+|all good|not really|not at the moment|not right now|not yet|no blockers?|no issues|"
    r"nothing (?:so far|yet|major|today|new|at the moment|right now|for now)|none (?:so far|today|yet|for now)|not that i know of|all clear)\b"
    r"(?!.*\b(?:but|except|other than|apart from|although|though)\b)", re.I)


class StandupExportError(InputError):
    pass


@dataclass(frozen=True)
class Answer:
    who: str
    at: int
    question: str
    answer: str
    line: int

    @property
    def about_blockers(self) -> bool:
        return bool(BLOCKERS_QUESTION.search(self.question))

    @property
    def says_nothing(self) -> bool:
        return not self.answer.strip() or bool(NOTHING.match(self.answer.strip()))


def parse_standup_csv(text: str, name: str = "standup.csv") -> list[Answer]:
    rows = csv_rows(text, name, StandupExportError)
    try:
        header = [h.strip().casefold() for h in next(rows)[1]]
    except StopIteration:
        raise StandupExportError(f"{name}: empty file; expected a header with who, date, question, answer") from None
    who = next((header.index(h) for h in WHO if h in header), None)
    when = next((header.index(h) for h in WHEN if h in header), None)
    if who is None or when is None or "question" not in header or "answer" not in header:
        raise StandupExportError(f"{name}:1: expected columns who (member, user, email, ...), date, question and answer")
    question, answer = header.index("question"), header.index("answer")
    out, errors = [], []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(f"{name}:{line}: expected {len(header)} fields, found {len(cells)}")
            continue
        if not cells[who].strip():
            errors.append(f"{name}:{line}: no one answered (column {header[who]} is empty)")
            continue
        try:
            at = jira_date(cells[when], f"{name}:{line}")
        except ValueError as error:
            errors.append(str(error).replace("not a Jira date", "not a date"))
            continue
        if at is None:
            errors.append(f"{name}:{line}: no date")
            continue
        out.append(Answer(cells[who].strip(), at, cells[question].strip(), cells[answer].strip(), line))
    if errors:
        raise StandupExportError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return out
