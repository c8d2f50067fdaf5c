"""foundermode team ...: principle 1, who really builds what. Thin: each command takes its scope and its
figures from the registry (analyses.py) and keeps only the table."""
from __future__ import annotations

import datetime as dt
import json
from typing import List, Optional

import typer

from ..present.sanitize import markup
from ..reports import Format, to_plain
from ..scope import SINCE_HELP, SPANS, UNTIL_HELP
from .common import FormatOption, JsonOption, app, computed, console, output
from ..present.sanitize import print_report

team_app = typer.Typer(help="Who really builds what: profiles, truck factor, team size against output, managers, review list, growth.", no_args_is_help=True)
app.add_typer(team_app, name="team")

SinceOption = typer.Option(None, "--since", help=SINCE_HELP)
UntilOption = typer.Option(None, "--until", help=UNTIL_HELP)
RepoOption = typer.Option(None, "--repo", "-r", help="Repository name, path or id (repeatable). Default: all.")
TeamOption = typer.Option(None, "--team", "-t", help="Only people of this org-chart team.")


def _date(epoch: int | None) -> str | None:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat() if epoch else None


def _pct(value: float | None, fmt: Format = Format.table) -> str | float | None:
    """A change in words for people ("+12%"), a plain fraction in CSV."""
    if value is None:
        return None
    return round(value, 4) if fmt == Format.csv else f"{value:+.0%}"


def _compute(name, since=None, until=None, repo=None, team=None, days=None, **options):
    """The registered analysis's scope and figures (common.computed) with this module's option names."""
    return computed(name, since=since, until=until, days=days, repos=repo, team=team, **options)


def _structured(fmt: Format, as_json: bool) -> bool:
    return as_json or fmt == Format.json


def _window_line(scope) -> str:
    return scope.heading()


@team_app.command("profiles")
def profiles_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['team']})."),
    everyone: bool = typer.Option(False, "--everyone", help="Also everyone who has left (or is outside the org chart), with their status."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Contribution profile of everyone on the team (the org chart's people here, zero rows for no commits; else the recently active), with the trend."""
    scope, found = _compute("profiles", since, until, repo, team, days, everyone=everyone)
    if _structured(fmt, as_json):
        output([to_plain(p) for p in found], json_flag=True)
        return
    rows = [
        {
            "name": p.name,
            "team": p.team,
            "status": p.status,
            "commits": p.commits,
            "active_days": p.active_days,
            "added": p.lines_added,
            "removed": p.lines_removed,
            "files": p.files_touched,
            "co_authored": p.coauthored_commits,
            "main_areas": p.main_areas,
            "surviving": p.surviving_lines,
            "share": None if p.codebase_share is None else (round(p.codebase_share, 4) if fmt == Format.csv else f"{p.codebase_share:.1%}"),
            "first": _date(p.first_activity),
            "last": _date(p.last_activity),
            "commits_trend": _pct(p.trend.commits_change, fmt) if p.trend.commits_change is not None else ("new" if p.commits else None),
        }
        for p in found
    ]
    output(rows, fmt, title=f"Profiles, {_window_line(scope)}")


@team_app.command("profile")
def profile_cmd(
    person: str = typer.Argument(..., help="Id, email, github:login or exact name."),
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['team']})."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """One person in depth: the figures, every area worked in, CODEOWNERS teams, trend."""
    scope, found = _compute("profile", since, until, repo, None, days, person=person)
    if _structured(fmt, as_json):
        output(to_plain(found), json_flag=True)
        return
    facts = [
        ("window", _window_line(scope)),
        ("team", found.team),
        ("status", found.status),
        ("commits", found.commits),
        ("active days", found.active_days),
        ("lines added / removed", f"{found.lines_added:,} / {found.lines_removed:,}"),
        ("files touched", found.files_touched),
        ("co-authored commits", found.coauthored_commits),
        ("surviving lines at HEAD", "not computed (ingest --ownership)" if found.surviving_lines is None else f"{found.surviving_lines:,} ({found.codebase_share:.1%} of the codebase)"),
        ("first / last activity", f"{_date(found.first_activity)} / {_date(found.last_activity)}"),
        ("previous window", f"{found.trend.previous_commits} commits, {found.trend.previous_added:,} lines added"),
        ("trend", f"commits {_pct(found.trend.commits_change) or 'n/a'}, lines added {_pct(found.trend.added_change) or 'n/a'}"),
    ]
    output([{"measure": k, "value": v} for k, v in facts], fmt, title=f"{found.name} <{found.email or ''}>")
    output(found.areas, fmt, title="Areas (top-level directories)")
    if found.codeowners_areas:
        output(found.codeowners_areas, fmt, title="CODEOWNERS teams")


@team_app.command("truck-factor")
def truck_factor_cmd(
    repo: Optional[List[str]] = RepoOption,
    at: Optional[str] = typer.Option(None, "--at", help="Any revision (tag, sha, branch): files present there, history reachable from it."),
    by_area: bool = typer.Option(False, "--by-area", help="Also one truck factor per top-level directory."),
    by_owner: bool = typer.Option(False, "--by-owner", help="Also one per CODEOWNERS owner (rules at the ingested tip)."),
    files: int = typer.Option(5, "--files", help="Orphaned files to list per person (0: none)."),
    everyone: bool = typer.Option(False, "--everyone", help="Count every author who ever was, departed ones marked (the published computation); default: among the people here."),
    without: Optional[str] = typer.Option(None, "--without", help="What if these people left too: comma-separated emails, names or ids."),
    reference: bool = typer.Option(
        False, "--reference",
        help="As the authors' tool computes it (aserg-ufmg/Truck-Factor): only files GitHub Linguist counts as source, same-name people as one, everyone; to compare with published values.",
    ),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Truck factor (Avelino et al., ICPC 2016) among the people here: who the code depends on, what each would orphan, and what is already lost."""
    _, found = _compute(
        "truck-factor", repo=repo, at=at, by_area=by_area, by_owner=by_owner, everyone=everyone,
        without=[w.strip() for w in without.split(",") if w.strip()] if without else None, reference=reference,
    )
    if _structured(fmt, as_json):
        output([dict(to_plain(t), orphaned_share=t.orphaned_share) for t in found], json_flag=True)
        return
    rows = []
    for t in found:
        for position, m in enumerate(t.members or [None]):
            rows.append(
                {
                    "repository": t.repository if position == 0 else "",
                    "area": (t.area or "(all)") if position == 0 else "",
                    "revision": (t.revision or "")[:12] if position == 0 else "",
                    "files": t.files if position == 0 else None,
                    "truck_factor": t.truck_factor if position == 0 else None,
                    "person": (m.name + ("" if m.status == "current" else f" ({m.status})")) if m else "",
                    "authors_files": m.files_authored if m else None,
                    "would_orphan": len(m.orphaned_files) if m else None,
                    "orphaned_files": (m.orphaned_files[:files] + (["..."] if len(m.orphaned_files) > files else [])) if m and files else [],
                }
            )
    basis = " (as the reference tool computes it)" if reference else " (everyone who ever authored)" if everyone else " (among the people here)"
    output(rows, fmt, title="Truck factor" + basis)
    for t in found:
        if t.knowledge_lost_files:
            where = ", ".join(f"{area} {count}" for area, count in t.knowledge_lost_areas)
            whose = ", ".join(f"{a.name} ({a.status}) {a.files}" for a in t.knowledge_lost_authors[:5])
            console.print(
                f"{markup(t.repository)}{' ' + markup(t.area) if t.area else ''}: knowledge already lost in {t.knowledge_lost_files} files "
                f"({t.knowledge_lost_share:.0%} of the authored files) whose every author has left; most in {markup(where)}; "
                f"theirs: {markup(whose)}.",
                highlight=False,
            )
        if t.missing_files and t.area is None:
            console.print(
                f"{markup(t.repository)}: {t.missing_files} files at this revision have no content in the repository (missing objects); "
                "counted by their history, their size unknown.",
                highlight=False,
            )
        if t.without:
            console.print(f"{markup(t.repository)}: without {markup(', '.join(t.without))}, {t.would_orphan_files} more files would have nobody.", highlight=False)


@team_app.command("output")
def output_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['output']})."),
    by_team: Optional[bool] = typer.Option(None, "--by-team/--overall", help="Per org-chart team (default when an org chart is present)."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Team size against output per month; flags months where headcount grew and commits per head fell."""
    scope, months = _compute("output", since, until, repo, team, days, by_team=by_team)
    if _structured(fmt, as_json):
        output([to_plain(m) for m in months], json_flag=True)
        return
    rows = [
        {
            "month": m.month,
            "team": m.team,
            "headcount": m.headcount,
            "committers": m.committers,
            "commits": m.commits,
            "lines_added": m.lines_added,
            "surviving_added": m.surviving_lines_added,
            "files": m.files_touched,
            "commits_per_head": None if m.commits_per_head is None else round(m.commits_per_head, 2),
            "surviving_per_head": None if m.surviving_lines_per_head is None else round(m.surviving_lines_per_head, 1),
            "more_heads_less_per_head": "yes" if m.headcount_up_output_per_head_down else "",
        }
        for m in months
    ]
    output(rows, fmt, title=f"Team size against output, {_window_line(scope)}")
    if months and fmt == Format.table:
        console.print(f"headcount: {months[0].headcount_basis}", highlight=False)
        outside = sum({m.month: m.outside_commits for m in months}.values())
        if outside:
            console.print(f"left out: {outside} commits by people the org chart does not list", highlight=False)
        console.print(f"surviving lines: {months[0].surviving_measure}", highlight=False)


@team_app.command("managers")
def managers_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['team']})."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """People with reports in the org chart and no commits, co-authorships or surviving lines in the window."""
    from ..team.managers import CANNOT_SHOW  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    scope, found = _compute("managers", since, until, repo, team, days)
    if _structured(fmt, as_json):
        output([to_plain(m) for m in found], json_flag=True)
        return
    rows = [
        {
            "manager": m.name,
            "team": m.team,
            "title": m.title,
            "reports": [f"{r.name} ({r.commits} commits)" for r in m.reports],
            "reports_commits": m.reports_commits,
            # A share in words for the table, a plain fraction for a program.
            "share_of_commits": round(m.reports_share_of_commits, 4) if fmt == Format.csv else f"{m.reports_share_of_commits:.1%}",
            "share_of_lines_added": round(m.reports_share_of_lines, 4) if fmt == Format.csv else f"{m.reports_share_of_lines:.1%}",
        }
        for m in found
    ]
    output(rows, fmt, title=f"Managers with no technical footprint, {_window_line(scope)}")
    if fmt in (Format.table, Format.markdown):
        console.print(CANNOT_SHOW, highlight=False)


@team_app.command("review")
def review_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['review']}) (at least 90)."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Low git signal against one's own team, with the evidence to keep beside every name. Evidence, not verdicts."""
    from ..team.review import CANNOT_SHOW  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    scope, found = _compute("review", since, until, repo, team, days)
    if _structured(fmt, as_json):
        output([to_plain(t) for t in found], json_flag=True)
        return
    rows = []
    for t in found:
        if t.note:
            rows.append({"team": t.team, "person": "", "what_the_data_shows": t.note, "evidence_to_keep": []})
        for e in t.entries:
            rows.append({"team": t.team, "person": e.name, "what_the_data_shows": e.data_shows, "evidence_to_keep": e.keep_evidence})
    if fmt == Format.table:
        for row in rows:
            row["evidence_to_keep"] = "\n".join(row["evidence_to_keep"])
    output(rows, fmt, title=f"Review list, {_window_line(scope)}")
    if fmt in (Format.table, Format.markdown):
        console.print(CANNOT_SHOW, highlight=False)


@team_app.command("growth")
def growth_cmd(
    team: str = typer.Argument(..., help="Org-chart team."),
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['review']})."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Should this team grow? Output per head, truck-factor risk and open bottlenecks, as evidence."""
    scope, check = _compute("growth", since, until, repo, None, days, team_name=team)
    if _structured(fmt, as_json):
        output(to_plain(check), json_flag=True)
        return
    output([{"signal": s} for s in check.signals], fmt, title=f"Growth check: {team} ({check.members} people), {_window_line(scope)}")
    if check.open_bottlenecks:
        output(check.open_bottlenecks, fmt, title="Open bottlenecks on the team's resources or reported by its people")
    if fmt in (Format.table, Format.markdown):
        console.print(check.cannot_show, highlight=False)


@team_app.command("report")
def report_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    days: Optional[float] = typer.Option(None, "--days", help=f"Window length in days when --since is not given (default: {SPANS['team']}, as the Team page)."),
):
    """The whole team report as JSON (what the Team page shows): profiles, truck factors (per area), output, managers, review list."""
    _, found = _compute("team", since, until, repo, team, days)

    print_report(json.dumps(to_plain(found), indent=2, ensure_ascii=False, default=str), "json")
