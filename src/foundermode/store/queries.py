"""Queries shared by analyses and surfaces: what a counted commit is, the span of activity, repositories by name."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Connection, and_, false, func, select

from ..errors import NotFound
from .schema import commits, identities, people, repositories


def iso(epoch: int | None) -> str | None:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="seconds") if epoch else None


def list_people(conn: Connection, include_bots: bool = True) -> list[dict]:
    """People with their identities, commit counts and first/last activity (authored time)."""
    activity = (
        select(
            commits.c.author_id.label("person_id"),
            func.count().label("commits"),
            func.min(commits.c.authored_at).label("first"),
            func.max(commits.c.authored_at).label("last"),
        )
        .group_by(commits.c.author_id)
        .subquery()
    )
    query = (
        select(people, activity.c.commits, activity.c.first, activity.c.last)
        .outerjoin(activity, activity.c.person_id == people.c.id)
        .order_by(func.coalesce(activity.c.commits, 0).desc(), people.c.name)
    )
    if not include_bots:
        query = query.where(people.c.is_bot == False)  # noqa: E712
    idents: dict[int, list[str]] = {}
    for person_id, key, name, email in conn.execute(select(identities.c.person_id, identities.c.key, identities.c.name, identities.c.email).order_by(identities.c.id)):
        label = f"{name} <{email}>" if name and email else (email or name or key)
        idents.setdefault(person_id, []).append(label)
    out = []
    for row in conn.execute(query).mappings():
        out.append(
            {
                "id": row["id"],
                "name": row["name"],
                "email": row["email"],
                "team": row["team"],
                "title": row["title"],
                "role": row["role"],
                "bot": bool(row["is_bot"]),
                "commits": row["commits"] or 0,
                "first_activity": iso(row["first"]),
                "last_activity": iso(row["last"]),
                "identities": idents.get(row["id"], []),
            }
        )
    return out


def list_repositories(conn: Connection) -> list[dict]:
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "path": r["path"],
            "commits": r["commit_count"],
            "head": (r["last_sha"] or "")[:12],
            "shallow": bool(r["is_shallow"]),
            "last_ingested": iso(r["last_ingested_at"]),
            "warnings": r["warnings"] or "",
        }
        for r in conn.execute(select(repositories).order_by(repositories.c.name)).mappings()
    ]


def commit_counts_by_identity(conn: Connection, repo_id: int | None = None) -> dict[int, int]:
    query = select(commits.c.author_id, func.count()).group_by(commits.c.author_id)
    if repo_id is not None:
        query = query.where(commits.c.repo_id == repo_id)
    return dict(conn.execute(query).all())


def same_name_people(conn: Connection) -> list[dict]:
    """Groups of different people who share a name: candidates for ``people merge`` or aliases."""
    groups: dict[str, list] = {}
    for row in conn.execute(select(people.c.id, people.c.name, people.c.email, people.c.is_bot)).mappings():
        if not row["is_bot"]:
            groups.setdefault(" ".join(row["name"].split()).casefold(), []).append(row)
    counts = commit_counts_by_identity(conn)
    out = []
    for rows in groups.values():
        if len(rows) > 1:
            rows = sorted(rows, key=lambda r: -counts.get(r["id"], 0))
            out.append({"name": rows[0]["name"], "people": [r["id"] for r in rows], "emails": [r["email"] for r in rows], "commits": [counts.get(r["id"], 0) for r in rows]})
    return sorted(out, key=lambda g: -sum(g["commits"]))


# -- counted work and the span of activity (below every principle: team, brief, scope) --

def counted_commit():
    """Commits that are somebody's work."""
    return and_(commits.c.is_merge == false(), commits.c.is_boundary == false(), people.c.is_bot == false())


def resolve_repositories(conn: Connection, names: list[str] | None) -> tuple[int, ...] | None:
    """Repository ids for names, paths or ids; None means every repository."""
    if not names:
        return None
    found = []
    rows = conn.execute(select(repositories.c.id, repositories.c.name, repositories.c.path)).all()
    for wanted in names:
        # a path as typed, relative to the working directory or not
        absolute = str(Path(wanted).resolve()) if not str(wanted).isdigit() else None
        match = [r.id for r in rows if wanted in (str(r.id), r.name, r.path) or r.path == absolute]
        if not match:
            raise NotFound(f"no repository named '{wanted}' in the store")
        found.extend(match)
    return tuple(sorted(set(found)))


def activity_span(conn: Connection, scope) -> tuple[int | None, int | None]:
    """First and last counted commit time in the scope (ignoring its window)."""
    # The earliest first and the latest last commit of the people in scope: two index seeks per
    # person (edge_commit_time) instead of a pass over every commit.
    query = select(func.min(edge_commit_time(False, scope.repo_ids)), func.max(edge_commit_time(True, scope.repo_ids))).where(people.c.is_bot == false())
    if scope.team is not None:
        query = query.where(people.c.team == scope.team)
    first, last = conn.execute(query.select_from(people)).one()
    return first, last


def edge_commit_time(newest: bool, repo_ids: tuple[int, ...] | None = None, counted_only: bool = True):
    """The person's (``people.id``) first or last commit time, as a correlated subquery.

    Written as ORDER BY ... LIMIT 1 rather than MIN/MAX with GROUP BY: on the
    author-time indexes it is one seek per person instead of a pass over every
    commit (1,000 people over 1,000,000 commits: 13 ms against 2.4 s on SQLite).
    """
    query = select(commits.c.authored_at).where(commits.c.author_id == people.c.id)
    if counted_only:
        query = query.where(commits.c.is_merge == false(), commits.c.is_boundary == false())
    if repo_ids is not None:
        query = query.where(commits.c.repo_id.in_(repo_ids))
    order = commits.c.authored_at.desc() if newest else commits.c.authored_at.asc()
    return query.order_by(order).limit(1).correlate(people).scalar_subquery()
