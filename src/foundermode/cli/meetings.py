"""Principle 2 commands: ingest calendars; meeting load, cost, size, series, focus time, trend."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ..config import ConfigError
from ..reports import Format
from .common import FormatOption, JsonOption, TaskProgress, app, console, err_console, fail, get_config, ingest_app, opened_store, output, progress_bar

meetings_app = typer.Typer(
    help="Meetings: hours and cost per person and team, large and long meetings, recurring series, focus time, weekly trend.",
    no_args_is_help=True,
)
app.add_typer(meetings_app, name="meetings")

SinceOption = typer.Option(None, "--since", help="Start of the window: YYYY-MM-DD or ISO date-time (UTC unless an offset is given).")
UntilOption = typer.Option(None, "--until", help="End of the window (exclusive): YYYY-MM-DD or ISO date-time.")


def parse_when(value: Optional[str], option: str) -> Optional[int]:
    """'2024-03-01' or '2024-03-01T09:00+01:00' -> epoch seconds (UTC when no offset)."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} {value!r}: expected YYYY-MM-DD or an ISO date-time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def _day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


@ingest_app.command("calendar")
def ingest_calendar(
    paths: List[Path] = typer.Argument(..., help="Calendar exports (.ics), or folders of them: one export per person."),
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    owner: Optional[str] = typer.Option(None, "--owner", help="Email of the export's owner (one file). Default: X-WR-CALNAME when it is an address, else a file named after one."),
    as_json: bool = JsonOption,
):
    """Read calendar exports: recurrences expanded over the window (default: 12 weeks back to 4 ahead); all files or none."""
    from ..meetings.calendars import CalendarError, import_calendars

    config = get_config()
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    try:
        with opened_store() as store, progress_bar(transient=True) as bar:
            result = import_calendars(store, paths, config, since=start, until=end, owner=owner, progress=TaskProgress(bar, "calendars", unit="files"))
    except CalendarError as error:
        fail(escape(f"{error}\nnothing was imported"))
    except ConfigError as error:
        fail(escape(str(error)))
    for warning in result.warnings:
        err_console.print(f"[yellow]warning[/] {warning}", highlight=False)
    if as_json:
        output(result.__dict__, json_flag=True)
        return
    output(result.calendars, title=f"Calendars {_day(result.window[0])} to {_day(result.window[1])}")
    console.print(
        f"{result.files} export(s), {result.occurrences_read:,} occurrences read: "
        f"{result.meetings_added:,} new meetings, {result.occurrences_added:,} new and {result.occurrences_updated:,} changed occurrences, "
        f"{result.occurrences_removed:,} removed (cancelled or no longer shown)"
    )
