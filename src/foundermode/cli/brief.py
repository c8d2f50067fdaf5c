"""The leader's brief and the one-command demo."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .. import analyses as registry
from ..scope import SINCE_HELP, SPANS, UNTIL_HELP
from .common import app, console, err_console, fail, get_config, opened_store
from ..errors import FoundermodeError
from ..present.sanitize import SafeConsole


class BriefFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    html = "html"
    json = "json"


@app.command("brief")
def brief(
    since: Optional[str] = typer.Option(None, "--since", help=SINCE_HELP),
    until: Optional[str] = typer.Option(None, "--until", help=UNTIL_HELP),
    days: Optional[float] = typer.Option(None, "--days", help=f"Length of the window in days (default: {SPANS['brief']})."),
    fmt: BriefFormat = typer.Option(BriefFormat.table, "--format", "-f", help="table (terminal), markdown, html or json"),
    output_file: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the brief to this file instead of printing it."),
    send: bool = typer.Option(False, "--send", help="Send the brief now to [brief] recipients (and Slack with [brief] slack, and each manager with [brief] managers), through the outbox, instead of printing it."),
    team: Optional[str] = typer.Option(None, "--team", help="The brief of one team of the org chart: only its people's commits and blocker reports, no one else named."),
    manager: Optional[str] = typer.Option(None, "--manager", help="The brief a manager receives: them and everyone under them in the org chart (an email, name or id)."),
):
    """The leader's weekly brief: state of each area, who to talk to and why, time split, bottlenecks, meetings, team."""
    from ..brief import render  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    if team is not None and manager is not None:
        fail("give --team or --manager, not both")
    if send and (team is not None or manager is not None):
        fail("--send sends every brief [brief] declares; --team and --manager only show one")
    if send:
        from ..brief.deliver import send_now  # deferred: SQLAlchemy — keeps foundermode --help from importing it
        from ..notify.deliver import deliver_due  # deferred: SQLAlchemy — keeps foundermode --help from importing it

        with opened_store() as store:
            try:
                ids = send_now(store, config)
            except FoundermodeError as error:
                fail(str(error))
            counts = deliver_due(store, config)
        err_console.print(f"brief: {len(ids)} message(s) queued; outbox: {counts['sent']} sent, {counts['failed']} to retry, {counts['dead']} dead", highlight=False)
        return
    with opened_store() as store:
        audience = None
        try:
            with store.read() as conn:
                window = registry.get("brief").scope(conn, since=since, until=until, days=days, now=registry.store_now())
                if team is not None or manager is not None:
                    from ..brief.audience import of_manager, of_team  # deferred: SQLAlchemy — keeps foundermode --help from importing it

                    audience = of_team(conn, team) if team is not None else of_manager(conn, manager)
                    window = audience.scope(window)
        except (ValueError, FoundermodeError) as error:
            fail(str(error))
        result = registry.get("brief").compute(store, config, window, audience=audience.label if audience else None)
    if output_file is not None:
        if fmt == BriefFormat.table:
            with output_file.open("w", encoding="utf-8") as handle:
                render(result, "table", console=SafeConsole(file=handle, width=120, color_system=None))
        else:
            output_file.write_text(render(result, fmt.value), encoding="utf-8")
        err_console.print(f"wrote {output_file} ({result.window_label})", highlight=False)
        return
    text = render(result, fmt.value, console=console)
    if text is not None:
        print(text, end="" if text.endswith("\n") else "\n")


@app.command("demo")
def demo(
    repository: Optional[Path] = typer.Argument(None, help="A git repository whose real history the fictional organisation is built around. Without one: Northwind, a generated organisation of 28 engineers over 14 months."),
    folder: Path = typer.Option(Path("foundermode-demo"), "--folder", help="Where to build the demo: a new or empty folder, or an earlier demo's (rebuilt)."),
):
    """Build a fictional organisation, then print its brief.

    With no REPOSITORY the organisation is Northwind, generated in seconds with
    no network: four teams over fourteen months, a manager who codes and one
    who does not, a leaver whose code is orphaned, a new joiner, a stagnant
    area and a component only one engineer knows. With a REPOSITORY it is built
    around that real history. Writes an org chart, several weeks of calendars, transcripts, resources with
    escalation chains and blocker reports into FOLDER, ingests them into a fresh
    store there, and writes brief.html and brief.md. No network, no configuration.
    """
    from ..demo import DemoError, run_demo  # deferred: SQLAlchemy and FastAPI (the demo builds a whole store) — keeps foundermode --help from importing it

    try:
        run_demo(repository, folder, console=console)
    except DemoError as error:
        fail(str(error))
