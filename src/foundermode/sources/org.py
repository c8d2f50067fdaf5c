"""The org chart: a CSV with columns email,name,title,team,manager_email,role,
and optionally start_date,end_date (YYYY-MM-DD; end_date is the last day there).

A leavers CSV (email,end_date, optionally name) is enough for an org with no HR
export: it dates who left, and everyone else's tenure comes from activity
(``foundermode.people``).

Validation is all-or-nothing: every bad row is reported with its line number
and nothing is imported while any row is bad.
"""
from __future__ import annotations

from ..errors import InputError
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update

from ..store.schema import people
from .identities import IdentityResolver, identity_key
from .limits import csv_rows, quoted, read_text
from ..config import Config
from ..people import date_epoch

COLUMNS = ("email", "name", "title", "team", "manager_email", "role")
ROLES = ("engineer", "manager", "executive", "other")
DATE_COLUMNS = ("start_date", "end_date")
LEAVER_COLUMNS = ("email", "end_date")


class OrgChartError(InputError):
    pass


@dataclass(frozen=True)
class OrgRow:
    line: int
    email: str
    name: str
    title: str
    team: str
    manager_email: str
    role: str
    start_date: str = ""
    end_date: str = ""


def read_org_chart(source: Path | str) -> list[OrgRow]:
    path = Path(source)
    return parse_org_chart(read_text(path, OrgChartError), str(path))


def parse_org_chart(text: str, name: str = "org chart") -> list[OrgRow]:
    reader = csv_rows(text, name, OrgChartError)
    try:
        _, header = next(reader)
    except StopIteration:
        raise OrgChartError(f"{name}: empty file; expected columns {','.join(COLUMNS)}")
    header = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise OrgChartError(f"{name}:1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    index = {c: header.index(c) for c in (*COLUMNS, *DATE_COLUMNS) if c in header}
    errors: list[str] = []
    rows: list[OrgRow] = []
    seen: dict[str, int] = {}
    for line, raw in reader:
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < len(header):
            errors.append(f"{name}:{line}: expected {len(header)} fields, found {len(raw)}")
            continue
        values = {c: raw[i].strip() for c, i in index.items()}
        problems = _date_problems(values)
        if "@" not in values["email"]:
            problems.append(f"email {quoted(values['email'])} is not an address")
        if not values["name"]:
            problems.append("name is empty")
        if values["role"].lower() not in ROLES:
            problems.append(f"role {quoted(values['role'])} is not one of {', '.join(ROLES)}")
        if values["manager_email"] and "@" not in values["manager_email"]:
            problems.append(f"manager_email {quoted(values['manager_email'])} is not an address")
        key = identity_key("", values["email"])
        if key in seen:
            problems.append(f"email {quoted(values['email'])} already on line {seen[key]}")
        seen.setdefault(key, line)
        if problems:
            errors.append(f"{name}:{line}: " + "; ".join(problems))
            continue
        rows.append(OrgRow(line=line, **{**values, "role": values["role"].lower()}))
    by_key = {identity_key("", r.email): r for r in rows}
    for row in rows:
        if row.manager_email and identity_key("", row.manager_email) not in by_key:
            errors.append(f"{name}:{row.line}: manager_email {quoted(row.manager_email)} is not in the org chart")
    errors.extend(_cycles(rows, by_key, name))
    if errors:
        raise OrgChartError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return rows


def _date_problems(values: dict) -> list[str]:
    problems, parsed = [], {}
    for column in DATE_COLUMNS:
        if values.get(column):
            try:
                parsed[column] = date_epoch(values[column])
            except ValueError:
                problems.append(f"{column} {quoted(values[column])} is not a date (YYYY-MM-DD)")
    if len(parsed) == 2 and parsed["end_date"] < parsed["start_date"]:
        problems.append(f"end_date {values['end_date']} is before start_date {values['start_date']}")
    return problems


def _epoch_or_none(text: str) -> int | None:
    return date_epoch(text) if text else None


@dataclass(frozen=True)
class LeaverRow:
    line: int
    email: str
    end_date: str
    name: str = ""


def read_leavers(source: Path | str) -> list[LeaverRow]:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise OrgChartError(f"{path}: not UTF-8 ({error})") from error
    return parse_leavers(text, str(path))


def parse_leavers(text: str, name: str = "leavers") -> list[LeaverRow]:
    """email,end_date[,name]: all-or-nothing, like the org chart."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise OrgChartError(f"{name}: empty file; expected columns {','.join(LEAVER_COLUMNS)}")
    missing = [c for c in LEAVER_COLUMNS if c not in header]
    if missing:
        raise OrgChartError(f"{name}:1: missing column(s) {', '.join(missing)}; expected {','.join(LEAVER_COLUMNS)}[,name]")
    index = {c: header.index(c) for c in (*LEAVER_COLUMNS, "name") if c in header}
    errors, rows, seen = [], [], {}
    for raw in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < len(header):
            errors.append(f"{name}:{line}: expected {len(header)} fields, found {len(raw)}")
            continue
        values = {c: raw[i].strip() for c, i in index.items()}
        problems = [] if "@" in values["email"] else [f"email {quoted(values['email'])} is not an address"]
        if not values["end_date"]:
            problems.append("end_date is empty")
        else:
            problems.extend(_date_problems({"end_date": values["end_date"]}))
        key = identity_key("", values["email"])
        if key in seen:
            problems.append(f"email {quoted(values['email'])} already on line {seen[key]}")
        seen.setdefault(key, line)
        if problems:
            errors.append(f"{name}:{line}: " + "; ".join(problems))
            continue
        rows.append(LeaverRow(line, values["email"], values["end_date"], values.get("name", "")))
    if errors:
        raise OrgChartError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(errors))
    return rows


def import_leavers(store, rows: list[LeaverRow], config=None) -> dict:
    """Date each leaver's last day in one transaction (a person is created for an address never seen)."""
    config = config or Config()
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        for row in rows:
            person_id = resolver.person_for(row.name or row.email.split("@")[0], row.email, source="org")
            conn.execute(update(people).where(people.c.id == person_id).values(end_date=_epoch_or_none(row.end_date)))
    return {"leavers": len(rows)}


def _cycles(rows, by_key, name) -> list[str]:
    errors = []
    for row in rows:
        seen = set()
        current = row
        while current and current.manager_email:
            key = identity_key("", current.email)
            if key in seen:
                errors.append(f"{name}:{row.line}: management chain of '{row.email}' loops")
                break
            seen.add(key)
            current = by_key.get(identity_key("", current.manager_email))
    return errors


def import_org_chart(store, rows: list[OrgRow], config=None) -> dict:
    """Write the chart in one transaction: people gain name, title, team, role and manager."""
    config = config or Config()
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        ids = {}
        for row in rows:
            person_id = resolver.person_for(row.name, row.email, source="org")
            ids[identity_key("", row.email)] = person_id
            conn.execute(
                update(people)
                .where(people.c.id == person_id)
                .values(
                    name=row.name, email=row.email, title=row.title or None, team=row.team or None, role=row.role, in_org_chart=True,
                    start_date=_epoch_or_none(row.start_date), end_date=_epoch_or_none(row.end_date),
                )
            )
        for row in rows:
            manager = ids.get(identity_key("", row.manager_email)) if row.manager_email else None
            conn.execute(update(people).where(people.c.id == ids[identity_key("", row.email)]).values(manager_id=manager))
    managers = {r.manager_email.lower() for r in rows if r.manager_email}
    return {"people": len(rows), "managers": len(managers), "teams": len({r.team for r in rows if r.team})}
