"""Foundation commands: init, ingest git / org, people, repos, rules."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List, Optional

import typer

from ..config import CONFIG_NAME, STATE_DIR
from ..settings import starter_toml
from ..present.sanitize import markup
from ..reports import Format
from .common import FormatOption, JsonOption, LimitOption, TaskProgress, app, console, err_console, fail, get_config, ingest_app, opened_store, output, progress_bar
from ..settings import effective_toml, reference_markdown
from .common import state
from .identities import identities_line

people_app = typer.Typer(help="People and their identities.", invoke_without_command=True)
app.add_typer(people_app, name="people")


@app.command()
def init(folder: Path = typer.Argument(Path("."), help="Where to write foundermode.toml and .foundermode/")):
    """Write a commented foundermode.toml and create .foundermode/ (the SQLite store lives there)."""
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / CONFIG_NAME
    if config_file.exists():
        console.print(f"{config_file} already exists; left as it is.")
    else:
        config_file.write_text(starter_toml(), encoding="utf-8")
        console.print(f"wrote {config_file}")
    (folder / STATE_DIR).mkdir(exist_ok=True)
    console.print(f"store folder {folder / STATE_DIR} ready")


@ingest_app.command("git")
def ingest_git(
    paths: Optional[List[str]] = typer.Argument(None, help="Repositories: working trees, bare repositories or clone URLs."),
    repo_list: Optional[Path] = typer.Option(None, "--from", help="A file listing repositories (one path or URL a line), or a GitHub/GitLab organisation export (JSON)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel git processes per repository (default: one per core)."),
    ownership: bool = typer.Option(False, "--ownership", help="Also compute surviving lines per person at HEAD (git blame)."),
    summaries: bool = typer.Option(
        False, "--summaries",
        help="Also bring the team's whole-history summaries up to date (else the first report does; `serve` keeps them fresh).",
    ),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://HOST:PORT), or 'local' for a LocalCluster: one task per repository."),
    workers: int = typer.Option(2, "--workers", help="Workers of the LocalCluster with --scheduler local."),
    cache: Path = typer.Option(Path(".foundermode/clones"), "--cache", help="Where clone URLs are cloned (bare) and later fetched."),
    as_json: bool = JsonOption,
):
    """Read git history into the store: incremental, one transaction per repository."""
    from ..ingest import GitError, ingest_repository  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..scale.distributed import RepoListError, RepoSource, materialise, read_repo_list  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sources.ownership import compute_ownership  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    jobs = jobs or config.ingest_jobs
    try:
        sources = [RepoSource(p) for p in (paths or [])] + (read_repo_list(repo_list) if repo_list else [])
    except (OSError, RepoListError) as error:
        fail(str(error))
    if not sources:
        fail("no repositories given (paths, or --from FILE)")
    if scheduler:
        from ..scale.distributed import ingest_distributed  # deferred: SQLAlchemy — keeps foundermode --help from importing it

        if config.aliases:
            with opened_store() as store:
                _join_aliased_people(store, config)
        with progress_bar() as bar:
            task = bar.add_task("repositories", total=len(sources), rate="")
            results = ingest_distributed(
                config.database_url(_db()), [s.location for s in sources], scheduler=scheduler, jobs=jobs, config=config,
                cache=cache, workers=workers, on_done=lambda row: bar.advance(task),
            )
        output(results, json_flag=as_json, title="Ingested")
        _say_identities()
        if any("error" in r for r in results):
            raise typer.Exit(1)
        return
    summary = []
    failed = False
    with opened_store() as store, progress_bar() as bar:
        _join_aliased_people(store, config)
        for source in sources:
            try:
                path = materialise(source, cache)
                result = ingest_repository(store, path, config, jobs=jobs, progress=TaskProgress(bar, Path(source.location).name or source.location))
                row = {
                    "repository": result.name, "new_commits": result.new_commits, "commits": result.total_commits,
                    "rewritten": result.rewritten, "remapped": result.remapped,
                }
                if ownership:
                    own = compute_ownership(store, result.repo_id, config, jobs=jobs, progress=TaskProgress(bar, f"{result.name} blame", unit="files"))
                    row.update({"files_blamed": own.blamed, "files_reused": own.reused})
                if summaries:  # after the ownership: the summaries describe it too
                    from ..team.summary import refresh_quietly  # deferred: SQLAlchemy — keeps foundermode --help from importing it

                    problem = refresh_quietly(store, config, [result.repo_id])
                    if problem:
                        result.warnings.append(problem)
                row["warnings"] = result.warnings
                summary.append(row)
                for warning in result.warnings:
                    err_console.print(f"[yellow]warning[/] {markup(result.name)}: {markup(warning)}", highlight=False)
            except (GitError, subprocess.CalledProcessError) as error:
                failed = True
                detail = error.stderr.decode(errors="replace").strip() if isinstance(error, subprocess.CalledProcessError) and error.stderr else str(error)
                err_console.print(f"[red]error[/] {markup(source.location)}: {markup(detail)}", highlight=False)
                summary.append({"repository": source.location, "error": detail})
    output(summary, json_flag=as_json, title="Ingested")
    _say_identities()
    if failed:
        raise typer.Exit(1)


def _say_identities() -> None:
    """After an ingest: merge the strongest proposals when [identities] merge = "auto", and say what is pending (on stderr)."""
    from ..sources.duplicates import settle  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    with opened_store() as store:
        settled = settle(store, get_config())
    for line in identities_line(settled):
        err_console.print(line, highlight=False, soft_wrap=True)


def _join_aliased_people(store, config) -> None:
    """Aliases added since the last run join people already stored (identities: apply_aliases)."""
    if not config.aliases:
        return
    from ..sources.identities import apply_aliases  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.write() as conn:
        apply_aliases(conn, config.aliases)


def _db():
    return state.db


@ingest_app.command("org")
def ingest_org(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: email,name,title,team,manager_email,role")):
    """Import the org chart. Every bad row is reported with its line; nothing is imported if any is bad."""
    from ..sources.org import OrgChartError, import_org_chart, read_org_chart  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    try:
        rows = read_org_chart(file)
    except OrgChartError as error:
        fail(str(error))
    with opened_store() as store:
        result = import_org_chart(store, rows, get_config())
    console.print(f"org chart: {result['people']} people, {result['managers']} managers, {result['teams']} teams")
    _say_identities()  # an org chart address and a commit address of one person are two identities until merged


@people_app.callback()
def people_list(
    ctx: typer.Context,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
    bots: bool = typer.Option(False, "--bots", help="Include bots."),
    limit: Optional[int] = LimitOption,
):
    """List people with their identities and first/last activity."""
    if ctx.invoked_subcommand:
        return
    from ..store.queries import list_people  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = list_people(conn, include_bots=bots)
    if not (as_json or fmt != Format.table):
        for row in rows:
            row["identities"] = "\n".join(row["identities"])
    output(rows, fmt, as_json, columns=["id", "name", "team", "role", "commits", "first_activity", "last_activity", "identities"] if not as_json and fmt == Format.table else None, title="People", limit=limit)
    if not as_json and fmt == Format.table:
        from ..sources.duplicates import Settled, pending_merges  # deferred: SQLAlchemy — keeps foundermode --help from importing it
        with opened_store() as store, store.read() as conn:
            pending = pending_merges(conn)
        for line in identities_line(Settled([], pending)):
            err_console.print(line, highlight=False, soft_wrap=True)


@app.command("repos")
def repos(fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Repositories in the store, with what their last ingest could not see."""
    from ..store.queries import list_repositories  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = list_repositories(conn)
    output(rows, fmt, as_json, title="Repositories")


@app.command("rules")
def rules(apply: bool = typer.Option(True, "--apply/--show", help="Re-flag bots and excluded paths under the rules in force.")):
    """Re-apply bot and vendored-path rules to stored data (no git re-read)."""
    from ..ingest import apply_rules  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    if not apply:
        console.print({"bot_authors": config.bot_authors, "excluded_paths": config.excluded_paths})
        return
    with opened_store() as store:
        counts = apply_rules(store, config)
    console.print(f"{counts['bots']} bots, {counts['excluded_paths']} excluded paths flagged, {counts['merged_people']} people joined by aliases")


@app.command("config")
def config_command(
    docs: bool = typer.Option(False, "--docs", help="Print the reference of every setting (docs/configuration.md) instead."),
    as_json: bool = JsonOption,
):
    """Print the effective settings: the file's values, defaults filled in (a misspelt key stops here with its line)."""
    if docs:
        typer.echo(reference_markdown(), nl=False)
        return
    settings = get_config().settings
    if as_json:
        import json

        typer.echo(json.dumps(settings.as_dict(), indent=2, default=list, ensure_ascii=False))
        return
    typer.echo(effective_toml(settings), nl=False)
