"""Whom a brief is for: the whole organisation (the leader's), or one team.

A team brief is the same brief over a narrower ``scope.Scope``: its ``people``
are a manager and everyone under them in the org chart (``team.queries.team_under``),
or the people of one team of the chart (``team``). ``compose.build_brief`` reads
only their commits and blocker reports, and names no one else: a manager's brief
about their people must not become a report on another manager's.

``[brief] managers = true`` sends every manager (anyone with reports in the
org chart) their own; a list of emails sends those managers theirs. A manager
who already receives the whole brief (``[brief] recipients``) is not sent a
second one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection, func, select

from ..errors import NotFound
from ..scope import Scope
from ..store.schema import people
from ..sources.identities import find_person
from ..team.queries import reports_of, team_under


@dataclass(frozen=True)
class Audience:
    """A team brief's readers and subject: ``members`` (person ids) and how to say whose team it is."""

    label: str  # "Grace Hopper's team", "team Platform"
    members: tuple[int, ...]
    manager_id: int | None = None
    email: str | None = None  # where the manager's brief is sent

    def scope(self, window: Scope) -> Scope:
        """The same window, about these people only."""
        return replace(window, people=self.members)


def of_manager(conn: Connection, query: str) -> Audience:
    """The manager named by ``query`` (id, email or exact name) and everyone under them."""
    try:
        manager_id = find_person(conn, query)
    except LookupError as error:
        raise NotFound(str(error)) from None
    row = conn.execute(select(people.c.name, people.c.email).where(people.c.id == manager_id)).one()
    under = team_under(conn, manager_id)
    if not under:
        raise NotFound(f"{row.name} has no reports in the org chart")
    return Audience(f"{row.name}'s team", (manager_id, *under), manager_id, row.email)


def of_team(conn: Connection, name: str) -> Audience:
    """The people of one team of the org chart (``people.team``, compared without case)."""
    rows = conn.execute(select(people.c.id, people.c.team).where(func.lower(people.c.team) == name.strip().casefold()).order_by(people.c.id)).all()
    if not rows:
        known = sorted({t for (t,) in conn.execute(select(people.c.team).where(people.c.team.is_not(None)).distinct())})
        raise NotFound(f"no team named '{name}' in the org chart" + (f" (teams: {', '.join(known)})" if known else ""))
    return Audience(f"team {rows[0].team}", tuple(r.id for r in rows))


def recipients_of(config) -> list[str]:
    """Who receives the whole brief: ``[brief] recipients``, or the leader (``[org] leader``) when none is listed."""
    section = config.settings.section("brief")
    recipients = list(section.recipients)
    if not recipients and config.settings.section("org").leader:
        recipients = [config.settings.section("org").leader]
    return recipients


def managers_to_brief(conn: Connection, config, problems: list[str] | None = None) -> list[Audience]:
    """The managers ``[brief] managers`` asks for, each with their team; those already among the
    whole brief's recipients, and those with no email to send to or no one under them, are left out.
    A listed email no one in the store has raises NotFound, or, given ``problems``, is added to it and
    skipped (the scheduled brief still goes to everyone else)."""
    wanted = config.settings.section("brief").managers
    if not wanted:
        return []
    whole = {r.lower() for r in recipients_of(config)}
    rows = {r.id: r for r in conn.execute(select(people.c.id, people.c.name, people.c.email))}
    reports = reports_of(conn)
    if wanted is True:
        candidates = [m for m in reports if m in rows]
    else:
        by_email = {(r.email or "").lower(): r.id for r in rows.values() if r.email}
        candidates = []
        for email in wanted:
            if email.lower() not in by_email:
                problem = f"[brief] managers names {email}, who is not in the store (is the org chart ingested?)"
                if problems is None:
                    raise NotFound(problem)
                problems.append(problem)
                continue
            candidates.append(by_email[email.lower()])
    out = []
    for manager_id in sorted(set(candidates), key=lambda p: (rows[p].name or "", p)):
        row = rows[manager_id]
        under = team_under(conn, manager_id, reports)
        if not row.email or row.email.lower() in whole or not under:
            continue
        out.append(Audience(f"{row.name}'s team", (manager_id, *under), manager_id, row.email))
    return out


def member_names(conn: Connection, members) -> set[str]:
    return {name for (name,) in conn.execute(select(people.c.name).where(people.c.id.in_(list(members))))}


__all__ = ["Audience", "of_manager", "of_team", "managers_to_brief", "member_names"]


def narrow_team_view(brief, members: set[int]) -> None:
    """The team section of a team brief: the truck factors that rest on one of them (the others
    counted, not named), their managers, their review-list changes."""
    view = next((s.data for s in brief.sections if s.key == "team"), None)
    if view is None:
        return
    kept = []
    for risk in view.truck_factors:
        ours = [name for pid, name in zip(risk.person_ids, risk.people) if pid in members]
        if not ours:
            continue
        others = len(risk.person_ids) - len(ours)
        risk.people = ours + ([f"{others} outside the team"] if others else [])
        risk.person_ids = [p for p in risk.person_ids if p in members]
        kept.append(risk)
    view.truck_factors = kept
    view.managers = [m for m in view.managers if m.person_id in members]
    if not view.managers:
        view.managers_note = "every manager in the team has a technical footprint in the window"
    view.review_changes = [c for c in view.review_changes if c.person_id in members]
    if not view.review_changes and view.review_note and view.review_note.startswith("no change"):
        view.review_note = "no change in the team since the window began"
