"""Code review on the command line: ``ingest github|gitlab``, ``pulls``, ``reviews``.

Thin: records come from sources/github.py, sources/gitlab.py and forge_api.py, the
store from ingest_reviews.py, every figure from team/reviews.py.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import List, Optional

import typer

from ..reports import Format
from .common import FormatOption, JsonOption, app, computed, err_console, fail, get_config, ingest_app, opened_store, output, progress_bar

reviews_app = typer.Typer(help="Code review: review load per person, who reviews whom, waiting queues, delivery (DevLake's definitions).", invoke_without_command=True)
app.add_typer(reviews_app, name="reviews")

_TARGET = re.compile(r"^(?:https?://[^/]+/)?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+/?$")

SinceOption = typer.Option("all", "--since", help="Window start: YYYY-MM-DD, a span before --until such as 90d, 6m, or 'all'. Default: everything stored.")
UntilOption = typer.Option(None, "--until", help="Window end (exclusive), YYYY-MM-DD; also the moment waiting ages are measured at. Default: now (the store's clock).")
RepoOption = typer.Option(None, "--repo", "-r", help="Forge repository (owner/name, or its last part; repeatable). Default: all.")
TeamOption = typer.Option(None, "--team", "-t", help="Only pull requests authored or reviewed by this org-chart team.")


def iso(epoch: int | None) -> str | None:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch is not None else None


def _reviews(since: str | None, until: str | None, repo=None, team=None):
    """The registry's reviews analysis (analyses.py): its scope (the one grammar of scope.py; it ends now,
    the store's clock, unless told) and its figures. Returns (scope, figures)."""
    return computed("reviews", since=since, until=until, forge_repos=repo, pulls_team=team)


def _is_api_target(source: str) -> bool:
    return not Path(source).exists() and bool(_TARGET.match(source)) and not source.lower().endswith((".json", ".jsonl", ".ndjson"))


class _Waits:
    """The API client's waits and progress, on stderr: a rate limit says when it resumes."""

    def __init__(self, bar, task):
        self.bar, self.task = bar, task

    def waiting(self, seconds: float, until: float, reason: str) -> None:
        resume = dt.datetime.fromtimestamp(until, dt.timezone.utc).strftime("%H:%M:%S UTC")
        self.bar.update(self.task, description=f"{reason}: waiting {seconds:,.0f} s, resumes at {resume}")
        err_console.print(f"[yellow]{reason}[/]: waiting {seconds:,.0f} s, resumes at {resume}", highlight=False)

    def fetched(self, what: str) -> None:
        self.bar.update(self.task, description=what, advance=1)


def _ingest(forge: str, sources: list[str], repo: str | None, api_url: str | None, force: bool, as_json: bool) -> None:
    from ..forge_api import ForgeError  # deferred: httpx — keeps foundermode --help from importing it
    from ..ingest_reviews import ingest_api, ingest_files  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sources.pulls import ExportError  # deferred: the export parsers (~5 ms) — keeps foundermode --help from importing it

    if not sources:
        fail(f"nothing to ingest: give export files or folders, or a repository ({'owner/name' if forge == 'github' else 'group/project'}) to read from the API")
    config = get_config()
    targets = [s for s in sources if _is_api_target(s)]
    files = [s for s in sources if s not in targets]
    rows: list[dict] = []
    failed = False
    with opened_store() as store:
        if files:
            try:
                result = ingest_files(store, config, files, forge=forge, repo=repo, force=force)
            except ExportError as error:
                fail(str(error))
            for part in result.repos:
                rows.append({"repository": part.repo, "source": "files", "pulls": part.pulls, "reviews": part.reviews,
                             "comments": part.comments, "events": part.events, "deployments": part.deployments})
            if result.unchanged:
                err_console.print(f"{result.unchanged} of {result.files} export files unchanged since the last ingest: not read again", highlight=False)
        if targets:
            with progress_bar(transient=True) as bar:
                for target in targets:
                    task = bar.add_task(target, total=None, rate="")
                    try:
                        fetched = ingest_api(store, config, forge, target, api_url=api_url, waits=_Waits(bar, task), force=force)
                    except (ForgeError, ExportError) as error:
                        failed = True
                        err_console.print(f"[red]error[/] {target}: {error}", highlight=False)
                        rows.append({"repository": target, "source": "api", "error": str(error)})
                        continue
                    rows.append({"repository": fetched.repo, "source": "api", "pulls": fetched.pulls, "reviews": fetched.reviews,
                                 "comments": fetched.comments, "events": fetched.events, "deployments": fetched.deployments,
                                 "requests": fetched.requests, "not_modified": fetched.not_modified})
    output(rows, json_flag=as_json, title="Ingested")
    if failed:
        raise typer.Exit(1)


@ingest_app.command("github")
def ingest_github(
    sources: Optional[List[str]] = typer.Argument(None, help="owner/name to read from the API (token from GITHUB_TOKEN / GH_TOKEN or [github] token_env), or export files and folders (gh api --paginate ..., gh pr list --json ...)."),
    repo: Optional[str] = typer.Option(None, "--repo", help="The repository export files belong to, when their objects do not say (gh pr list without url)."),
    api_url: Optional[str] = typer.Option(None, "--api-url", help="API base URL (GitHub Enterprise: https://HOST/api/v3). Default: [github] api_url, else https://api.github.com."),
    force: bool = typer.Option(False, "--force", help="Read everything again: unchanged export files, and the API from the start."),
    as_json: bool = JsonOption,
):
    """Pull requests, reviews, review requests, comments and timelines from GitHub: incremental, one transaction per repository."""
    _ingest("github", sources or [], repo, api_url, force, as_json)


@ingest_app.command("gitlab")
def ingest_gitlab(
    sources: Optional[List[str]] = typer.Argument(None, help="group/project to read from the API (token from GITLAB_TOKEN / GLAB_TOKEN or [gitlab] token_env), or export files and folders (glab api --paginate ...)."),
    repo: Optional[str] = typer.Option(None, "--repo", help="The project export files belong to (notes and approvals name it by id only)."),
    api_url: Optional[str] = typer.Option(None, "--api-url", help="API base URL (self-managed: https://HOST/api/v4). Default: [gitlab] api_url, else https://gitlab.com/api/v4."),
    force: bool = typer.Option(False, "--force", help="Read everything again."),
    as_json: bool = JsonOption,
):
    """Merge requests, approvals and notes from GitLab: incremental, one transaction per project."""
    _ingest("gitlab", sources or [], repo, api_url, force, as_json)


@app.command("pulls")
def pulls_cmd(
    state: str = typer.Option("all", "--state", help="open, merged, closed or all."),
    waiting: bool = typer.Option(False, "--waiting", help="Open pull requests by age, with whom each waits for (drafts last)."),
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    until: Optional[str] = typer.Option(None, "--until", help="Measure waiting ages at this moment (default: now, the store's clock)."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Pull and merge requests in the store: state, times, reviews; or, with --waiting, what waits for whom."""
    if state not in ("open", "merged", "closed", "all"):
        fail(f"--state must be open, merged, closed or all, not '{state}'")
    if waiting:
        window, figures = _reviews(None, until, repo, team)
        at = window.until
        rows = [
            {"repository": w.repo, "number": w.number, "title": w.title, "author": w.author, "draft": w.is_draft, "age_days": w.age_days,
             "waiting_for": w.waiting_for, "waiting_on": w.waiting_on_names, "waited_days": w.waited_days, "url": w.url}
            for w in figures["waiting"]
        ]
        output(rows, fmt, json_flag=as_json, title=f"Waiting pull requests at {iso(at)}", columns=None if (as_json or fmt != Format.table) else
               ["repository", "number", "title", "author", "draft", "age_days", "waiting_for", "waiting_on", "waited_days"])
        return
    # the registry's listing of the stored pull requests (analyses.py)
    _window, rows = computed("pulls", until=until, state=state, forge_repos=repo, pulls_team=team)
    for row in rows:
        for key in ("created", "merged", "closed"):
            row[key] = iso(row[key])
    columns = None if (as_json or fmt != Format.table) else ["repository", "number", "title", "author", "state", "created", "merged", "reviews", "first_review_hours"]
    output(rows, fmt, json_flag=as_json, title=f"Pull requests ({state})", columns=columns)


@reviews_app.callback()
def reviews_default(ctx: typer.Context):
    """Without a subcommand: the review load per person."""
    if ctx.invoked_subcommand is None:
        load_cmd(since="all", until=None, repo=None, team=None, fmt=Format.table, as_json=False)


@reviews_app.command("load")
def load_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Per person: pull requests opened and merged, reviews given (approve / request changes / comment) and received, waiting on them."""
    window, figures = _reviews(since, until, repo, team)
    start, end = window.since, window.until
    loads = figures["load"]
    if as_json or fmt == Format.json:
        output([vars(l) for l in loads], json_flag=True)
        return
    rows = [
        {"name": l.name, "team": l.team, "opened": l.opened, "merged": l.merged, "reviews": l.reviews_given, "approved": l.approved,
         "changes": l.changes_requested, "commented": l.commented, "comments": l.comments_given, "received": l.reviews_received, "waiting_on": l.waiting_on_them,
         "share": f"{l.share_of_reviews:.0%}", "no_review": l.merged_without_review,
         "first_review_h": l.median_hours_to_first_review, "merge_h": l.median_hours_to_merge}
        for l in loads
    ]
    output(rows, fmt, title=f"Review load, {iso(start) if start else 'all'} to {iso(end)}")


@reviews_app.command("matrix")
def matrix_cmd(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    team: Optional[str] = TeamOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Who reviews whom: distinct pull requests each reviewer reviewed for each author."""
    _window, figures = _reviews(since, until, repo, team)
    pairs = figures["matrix"]
    if as_json or fmt != Format.table:
        output(pairs, fmt, json_flag=as_json, title="Who reviews whom")
        return
    authors = sorted({p["author"] for p in pairs})
    reviewers = sorted({p["reviewer"] for p in pairs})
    counts = {(p["reviewer"], p["author"]): p["pulls"] for p in pairs}
    rows = [{"reviewer \\ author": r, **{a: counts.get((r, a)) for a in authors}} for r in reviewers]
    output(rows, fmt, title="Who reviews whom (pull requests reviewed)")


@reviews_app.command("queues")
def queues_cmd(
    repo: Optional[List[str]] = RepoOption,
    until: Optional[str] = typer.Option(None, "--until", help="Measure at this moment (default: now)."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Reviewers with ready pull requests waiting for them, the most people held up first."""
    window, figures = _reviews(None, until, repo)
    at = window.until
    rows = [
        {"reviewer": q.reviewer, "pulls": len(q.pulls), "authors_held_up": len(q.authors), "oldest_days": q.oldest_days,
         "waiting": [f"{w.repo}#{w.number}" for w in q.pulls]}
        for q in figures["queues"]
    ]
    output(rows, fmt, json_flag=as_json, title=f"Review queues at {iso(at)}")


@reviews_app.command("delivery")
def delivery_cmd(
    since: Optional[str] = typer.Option("90d", "--since", help="Window start (default: 90 days before --until)."),
    until: Optional[str] = UntilOption,
    repo: Optional[List[str]] = RepoOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Lead time for changes and deployment frequency per repository, with DevLake's definitions and bands (docs/reviews.md)."""
    window, figures = _reviews(since, until, repo)
    output([vars(d) for d in figures["delivery"]], fmt, json_flag=as_json, title=f"Delivery, {iso(window.since)} to {iso(window.until)}")


@reviews_app.command("escalate")
def escalate_cmd(
    now: Optional[int] = typer.Option(None, "--now", help="The moment to measure at (epoch seconds); default: now."),
    as_json: bool = JsonOption,
):
    """Turn each review queue holding up two or more people's pull requests into a bottleneck (every tick does it too)."""
    from ..bottlenecks.review_queue import hear_queues  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        result = hear_queues(store, get_config(), now)
    if as_json:
        output({"queues": result.queues, "reports": result.reports, "opened": result.opened, "escalated": result.escalated,
                "resolved": result.resolved}, json_flag=True)
        return
    rows = [{"reviewer": q["reviewer"], "authors_held_up": q["authors"], "pulls": ", ".join(q["pulls"]), "owner": q["owner"],
             "owner_is": q["owner_is"], "bottleneck": q["bottleneck"]} for q in result.queues]
    output(rows, Format.table, title=f"Review queues that are bottlenecks ({result.reports} new reports, {len(result.escalated)} escalated, {len(result.resolved)} resolved)")
