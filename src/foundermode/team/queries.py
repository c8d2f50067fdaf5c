"""The store, read for principle 1. Aggregation happens in the database.

Every function takes a ``Scope`` (a time window, repositories, a team) and
returns plain rows. What is counted as someone's work is decided once, here:

* bots (``people.is_bot``) are never anyone's work;
* merges and shallow-boundary commits are stored but carry no counted lines,
  so they are not counted as commits either;
* excluded (vendored, generated, lock) paths are neither lines nor files touched.

Times are UTC epoch seconds; a window is half-open, ``since <= t < until``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Connection, and_, case, distinct, false, func, literal, select, true

from ..scope import Scope
from ..store.queries import activity_span, counted_commit, edge_commit_time, resolve_repositories  # noqa: F401  (shared; re-exported)
from ..store.schema import coauthors, commits, file_changes, ownership, ownership_files, people, repositories

DAY = 86_400


# -- building blocks ------------------------------------------------------------------

def _where(query, scope: Scope, time_col=None):
    time_col = commits.c.authored_at if time_col is None else time_col
    if scope.since is not None:
        query = query.where(time_col >= scope.since)
    if scope.until is not None:
        query = query.where(time_col < scope.until)
    if scope.repo_ids is not None:
        query = query.where(commits.c.repo_id.in_(scope.repo_ids))
    if scope.team is not None:
        query = query.where(people.c.team == scope.team)
    return query


def _commits_of_people():
    return commits.join(people, people.c.id == commits.c.author_id)


def day_of(column):
    return column // DAY


def month_of(conn: Connection, column):
    """'YYYY-MM' (UTC) of an epoch column, in the database's own dialect."""
    if conn.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, "unixepoch")
    return func.to_char(func.timezone("UTC", func.to_timestamp(column)), "YYYY-MM")


def top_directory(conn: Connection, column):
    """The first path segment ('(root)' for files at the top)."""
    position = func.instr(column, "/") if conn.dialect.name == "sqlite" else func.strpos(column, "/")
    return case((position > 0, func.substr(column, 1, position - 1)), else_=literal("(root)"))


# -- what the analyses read ----------------------------------------------------------------

def activity_by_person(conn: Connection, scope: Scope, person_id: int | None = None) -> dict[int, dict]:
    """person -> commits, active days, lines added/removed, first/last commit in the window (one person's with ``person_id``)."""
    query = _where(
        select(
            commits.c.author_id,
            func.count().label("commits"),
            func.count(distinct(day_of(commits.c.authored_at))).label("active_days"),
            func.coalesce(func.sum(commits.c.additions), 0).label("added"),
            func.coalesce(func.sum(commits.c.deletions), 0).label("removed"),
            func.min(commits.c.authored_at).label("first"),
            func.max(commits.c.authored_at).label("last"),
        )
        .select_from(_commits_of_people())
        .where(counted_commit())
        .group_by(commits.c.author_id),
        scope,
    )
    if person_id is not None:
        query = query.where(commits.c.author_id == person_id)
    return {row.author_id: dict(row._mapping) for row in conn.execute(query)}


def files_touched_by_person(conn: Connection, scope: Scope, person_id: int | None = None) -> dict[int, int]:
    query = _where(
        select(commits.c.author_id, func.count(distinct(file_changes.c.path)))
        .select_from(_commits_of_people().join(file_changes, file_changes.c.commit_id == commits.c.id))
        .where(counted_commit(), file_changes.c.is_excluded == false())
        .group_by(commits.c.author_id),
        scope,
    )
    if person_id is not None:
        query = query.where(commits.c.author_id == person_id)
    return dict(conn.execute(query).all())


def coauthored_by_person(conn: Connection, scope: Scope, person_id: int | None = None) -> dict[int, int]:
    """Commits (in the window) that name the person in a Co-authored-by trailer."""
    query = select(coauthors.c.person_id, func.count(distinct(coauthors.c.commit_id))).select_from(
        coauthors.join(commits, commits.c.id == coauthors.c.commit_id).join(people, people.c.id == coauthors.c.person_id)
    ).where(people.c.is_bot == false(), commits.c.is_merge == false())
    if person_id is not None:
        query = query.where(coauthors.c.person_id == person_id)
    query = _where(query, scope).group_by(coauthors.c.person_id)
    return dict(conn.execute(query).all())


def areas_by_person(conn: Connection, scope: Scope, person_id: int | None = None) -> list[tuple[int, str, int, int]]:
    """(person, top directory, commits, lines changed) in the window."""
    area = top_directory(conn, file_changes.c.path)
    query = (
        select(
            commits.c.author_id,
            area.label("area"),
            func.count(distinct(commits.c.id)),
            func.coalesce(func.sum(func.coalesce(file_changes.c.additions, 0) + func.coalesce(file_changes.c.deletions, 0)), 0),
        )
        .select_from(_commits_of_people().join(file_changes, file_changes.c.commit_id == commits.c.id))
        .where(counted_commit(), file_changes.c.is_excluded == false())
    )
    if person_id is not None:
        query = query.where(commits.c.author_id == person_id)
    query = _where(query, scope).group_by(commits.c.author_id, area)
    return [tuple(row) for row in conn.execute(query)]


def lines_by_path(conn: Connection, scope: Scope, person_id: int) -> list[tuple[int, str, int]]:
    """(repository, path, lines changed) for one person: CODEOWNERS areas are matched in Python."""
    query = (
        select(commits.c.repo_id, file_changes.c.path, func.sum(func.coalesce(file_changes.c.additions, 0) + func.coalesce(file_changes.c.deletions, 0)))
        .select_from(_commits_of_people().join(file_changes, file_changes.c.commit_id == commits.c.id))
        .where(counted_commit(), file_changes.c.is_excluded == false(), commits.c.author_id == person_id)
    )
    query = _where(query, scope).group_by(commits.c.repo_id, file_changes.c.path)
    return [tuple(row) for row in conn.execute(query)]


def surviving_lines(conn: Connection, repo_ids: tuple[int, ...] | None) -> tuple[dict[int, int], int]:
    """Lines each person owns at the ownership revision (git blame), and the total; excluded files left out."""
    joined = ownership.join(ownership_files, and_(ownership_files.c.repo_id == ownership.c.repo_id, ownership_files.c.path == ownership.c.path))
    query = select(ownership.c.person_id, func.sum(ownership.c.lines)).select_from(joined).where(ownership_files.c.is_excluded == false())
    total_query = select(func.coalesce(func.sum(ownership_files.c.lines), 0)).where(ownership_files.c.is_excluded == false())
    if repo_ids is not None:
        query = query.where(ownership.c.repo_id.in_(repo_ids))
        total_query = total_query.where(ownership_files.c.repo_id.in_(repo_ids))
    per_person = {person: int(lines) for person, lines in conn.execute(query.group_by(ownership.c.person_id))}
    return per_person, int(conn.execute(total_query).scalar_one())


def has_ownership(conn: Connection, repo_ids: tuple[int, ...] | None) -> bool:
    query = select(ownership_files.c.path).limit(1)
    if repo_ids is not None:
        query = query.where(ownership_files.c.repo_id.in_(repo_ids))
    return conn.execute(query).first() is not None


def monthly_by_person(conn: Connection, scope: Scope) -> list[dict]:
    """(month, person, team, commits, active days, lines added, lines removed) in the window."""
    month = month_of(conn, commits.c.authored_at)
    query = _where(
        select(
            month.label("month"),
            commits.c.author_id.label("person_id"),
            people.c.team,
            func.count().label("commits"),
            func.count(distinct(day_of(commits.c.authored_at))).label("active_days"),
            func.coalesce(func.sum(commits.c.additions), 0).label("added"),
            func.coalesce(func.sum(commits.c.deletions), 0).label("removed"),
        )
        .select_from(_commits_of_people())
        .where(counted_commit())
        .group_by(month, commits.c.author_id, people.c.team),
        scope,
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def monthly_files(conn: Connection, scope: Scope, by_team: bool) -> dict[tuple[str, str | None], int]:
    """Distinct files touched per month (and team): not the sum over people."""
    month = month_of(conn, commits.c.authored_at)
    team = people.c.team if by_team else literal(None)
    query = select(month, team, func.count(distinct(file_changes.c.path))).select_from(
        _commits_of_people().join(file_changes, file_changes.c.commit_id == commits.c.id)
    ).where(counted_commit(), file_changes.c.is_excluded == false())
    query = _where(query, scope).group_by(month, *( [people.c.team] if by_team else []))
    return {(m, t): n for m, t, n in conn.execute(query)}


def all_time_added(conn: Connection, scope: Scope) -> dict[int, int]:
    """Lines each person ever added (in scope's repositories): the denominator of survival."""
    query = _where(
        select(commits.c.author_id, func.coalesce(func.sum(commits.c.additions), 0)).select_from(_commits_of_people()).where(counted_commit()).group_by(commits.c.author_id),
        scope.unbounded(),
    )
    return {p: int(n) for p, n in conn.execute(query)}


def people_rows(conn: Connection) -> dict[int, dict]:
    return {row["id"]: dict(row) for row in conn.execute(select(people)).mappings()}


def reports_of(conn: Connection) -> dict[int, list[int]]:
    """manager -> direct reports, from the org chart."""
    out: dict[int, list[int]] = {}
    for person_id, manager_id in conn.execute(select(people.c.id, people.c.manager_id).where(people.c.manager_id.is_not(None)).order_by(people.c.id)):
        out.setdefault(manager_id, []).append(person_id)
    return out


def team_under(conn: Connection, manager_id: int, reports: dict[int, list[int]] | None = None) -> list[int]:
    """Everyone under ``manager_id`` in the org chart: their reports, their reports' reports, and so on
    (not the manager). A chart with a loop in it ends the walk where it comes back. ``reports``:
    ``reports_of(conn)`` already read, for a caller walking under many managers."""
    reports = reports_of(conn) if reports is None else reports
    found: list[int] = []
    seen = {manager_id}
    pending = list(reports.get(manager_id, []))
    while pending:
        person_id = pending.pop(0)
        if person_id in seen:
            continue
        seen.add(person_id)
        found.append(person_id)
        pending.extend(reports.get(person_id, []))
    return found


def has_org_chart(conn: Connection) -> bool:
    return conn.execute(select(people.c.id).where(people.c.in_org_chart == True).limit(1)).first() is not None  # noqa: E712


def repository_rows(conn: Connection, repo_ids: tuple[int, ...] | None) -> list[dict]:
    query = select(repositories).order_by(repositories.c.name)
    if repo_ids is not None:
        query = query.where(repositories.c.id.in_(repo_ids))
    return [dict(r) for r in conn.execute(query).mappings()]


@dataclass
class FileHistoryRows:
    """A repository's counted file changes, unsorted, with what is needed to order them."""

    rows: list[tuple]  # (path, old_path, status, commit id, author id, is_bot)
    times: dict[int, tuple[int, int]]  # commit id -> (committed_at, authored_at)

    def newest_first(self, rank: dict[int, int] | None = None) -> list[tuple]:
        """Sorted by ``rank`` (commit id -> position in ``git rev-list --topo-order``;
        commits without one are not reachable and are left out), else by commit
        time, then author time (a rebase gives a whole series one commit time), then id."""
        if rank is not None:
            kept = [row for row in self.rows if row[3] in rank]
            kept.sort(key=lambda row: rank[row[3]])
            return kept
        times = self.times
        return sorted(self.rows, key=lambda row: (times[row[3]], row[3]), reverse=True)


def file_history(conn: Connection, repo_id: int) -> FileHistoryRows:
    """Every file change of a repository's non-merge, non-boundary commits.

    Bots' rows are kept because a bot's rename still carries a file's history.
    Rows are ordered by the caller: on SQLite, sorting 200,000 joined rows in
    the database costs more than sorting them in Python by commit.
    """
    in_repo = (commits.c.repo_id == repo_id, commits.c.is_merge == false(), commits.c.is_boundary == false())
    author: dict[int, int] = {}
    times: dict[int, tuple[int, int]] = {}
    bots = {p for (p,) in conn.execute(select(people.c.id).where(people.c.is_bot == True))}  # noqa: E712
    for commit_id, author_id, committed_at, authored_at in driver_rows(
        conn, select(commits.c.id, commits.c.author_id, commits.c.committed_at, commits.c.authored_at).where(*in_repo)
    ):
        author[commit_id] = author_id
        times[commit_id] = (committed_at, authored_at)
    repo_commits = select(commits.c.id).where(commits.c.repo_id == repo_id).scalar_subquery()
    walked = select(file_changes.c.commit_id, file_changes.c.path, file_changes.c.old_path, file_changes.c.status).where(file_changes.c.commit_id.in_(repo_commits))
    rows = [
        (path, old_path, status, commit_id, author[commit_id], author[commit_id] in bots)
        for commit_id, path, old_path, status in driver_rows(conn, walked)
        if commit_id in author
    ]
    return FileHistoryRows(rows, times)


def driver_rows(conn: Connection, statement) -> list[tuple]:
    """Run a SELECT on the driver's own cursor, inside the current transaction.

    For the one query that returns a row per file change (200,000 on rails):
    SQLAlchemy's Row objects cost as much as the database's work there.
    """
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def first_last_by_person(conn: Connection, scope: Scope, person_id: int | None = None) -> dict[int, dict]:
    """person -> first and last counted commit over all time in scope's repositories and team."""
    first = edge_commit_time(False, scope.repo_ids).label("first")
    last = edge_commit_time(True, scope.repo_ids).label("last")
    query = select(people.c.id, first, last).where(people.c.is_bot == false())
    if person_id is not None:
        query = query.where(people.c.id == person_id)
    if scope.team is not None:
        query = query.where(people.c.team == scope.team)
    return {person_id: {"first": f, "last": l} for person_id, f, l in conn.execute(query) if f is not None}


def flagged_paths(conn: Connection) -> dict[int, set[str]]:
    """repository -> paths with a change flagged excluded (through the partial index on flagged changes)."""
    query = (
        select(commits.c.repo_id, file_changes.c.path)
        .select_from(file_changes.join(commits, commits.c.id == file_changes.c.commit_id))
        .where(file_changes.c.is_excluded == true())
        .group_by(commits.c.repo_id, file_changes.c.path)
    )
    out: dict[int, set[str]] = {}
    for repo_id, path in conn.execute(query):
        out.setdefault(repo_id, set()).add(path)
    return out


def commit_ids_by_sha(conn: Connection, repo_id: int) -> dict[str, int]:
    return dict(driver_rows(conn, select(commits.c.sha, commits.c.id).where(commits.c.repo_id == repo_id)))


def excluded_paths(conn: Connection, repo_id: int) -> set[str]:
    """Paths the store flags as excluded (rules, or .gitattributes linguist-generated)."""
    # Every repository's at once, from the partial index on flagged changes: filtering on
    # the repository first would visit each of its file changes instead.
    return flagged_paths(conn).get(repo_id, set())


def ownership_file_list(conn: Connection, repo_id: int) -> list[str]:
    return [p for (p,) in conn.execute(select(ownership_files.c.path).where(ownership_files.c.repo_id == repo_id, ownership_files.c.is_excluded == false()))]


def epoch(value: dt.date | dt.datetime) -> int:
    if isinstance(value, dt.datetime):
        return int(value.replace(tzinfo=value.tzinfo or dt.timezone.utc).timestamp())
    return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp())


def active_days_of(conn: Connection, scope: Scope, person_ids: list[int]) -> dict[int, list[int]]:
    """Sorted UTC day numbers on which each given person made a counted commit."""
    if not person_ids:
        return {}
    day = day_of(commits.c.authored_at)
    query = _where(
        select(commits.c.author_id, day).select_from(_commits_of_people()).where(counted_commit(), commits.c.author_id.in_(person_ids)).group_by(commits.c.author_id, day),
        scope,
    )
    out: dict[int, list[int]] = {}
    for person_id, number in conn.execute(query):
        out.setdefault(person_id, []).append(int(number))
    return {p: sorted(days) for p, days in out.items()}
