"""Principle 2 commands: ingest calendars; meeting load, cost, size, series, focus time, trend."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ..config import ConfigError
from .. import scope as scopes
from ..present.sanitize import markup
from ..reports import Format
from .common import FormatOption, JsonOption, LimitOption, TaskProgress, app, computed, console, err_console, fail, get_config, ingest_app, opened_store, output, progress_bar

meetings_app = typer.Typer(
    help="Meetings: hours and cost per person and team, large and long meetings, recurring series, focus time, weekly trend.",
    no_args_is_help=True,
)
app.add_typer(meetings_app, name="meetings")

SinceOption = typer.Option(None, "--since", help=scopes.SINCE_HELP)
UntilOption = typer.Option(None, "--until", help=scopes.UNTIL_HELP)


def parse_when(value: Optional[str], option: str) -> Optional[int]:
    """A moment in scope.py's grammar (a date, an ISO date-time, epoch seconds) -> epoch seconds."""
    if value is None:
        return None
    try:
        return scopes.moment(value)
    except ValueError as error:
        fail(f"{option}: {error}")


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
    from ..meetings.calendars import CalendarError, import_calendars  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    try:
        with opened_store() as store, progress_bar(transient=True) as bar:
            result = import_calendars(store, paths, config, since=start, until=end, owner=owner, progress=TaskProgress(bar, "calendars", unit="files"))
    except CalendarError as error:
        fail(f"{error}\nnothing was imported")
    except ConfigError as error:
        fail(str(error))
    for warning in result.warnings:
        err_console.print(f"[yellow]warning[/] {markup(warning)}", highlight=False)
    if as_json:
        output(result.__dict__, json_flag=True)
        return
    shown = result.calendars if len(result.calendars) <= 20 else result.calendars[:20]
    output(shown, title=f"Calendars {_day(result.window[0])} to {_day(result.window[1])}")
    if len(shown) < len(result.calendars):
        console.print(f"... and {len(result.calendars) - len(shown):,} more (--json lists them all)")
    console.print(
        f"{result.files} export(s), {result.occurrences_read:,} occurrences read: "
        f"{result.meetings_added:,} new meetings, {result.occurrences_added:,} new and {result.occurrences_updated:,} changed occurrences, "
        f"{result.occurrences_removed:,} removed (cancelled or no longer shown)"
    )


# -- meeting load --------------------------------------------------------------------------
# Every section is the registry's "meetings" analysis (analyses.py): its scope (the meetings
# report's span, ending where every report ends) and its figures; the commands pick a section.

def _meetings(since: Optional[str], until: Optional[str], **options):
    """The registered meetings analysis over the window: (scope, every section)."""
    return computed("meetings", since=since, until=until, **options)


def _settings():
    """The meeting settings, for the titles' words (rate, thresholds)."""
    from ..meetings.load import MeetingSettings  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    try:
        return MeetingSettings.from_config(get_config())
    except ConfigError as error:
        fail(str(error))


def _title(name: str, scope) -> str:
    """The section's name and its window with the rule that ended it (scope.heading: every report says it)."""
    return f"{name}, {scope.heading()}"


def show(rows, fmt: Format = Format.table, as_json: bool = False, title: str | None = None, limit: int | None = None):
    """Like output() with a --limit, but an empty table says so instead of printing a blank box."""
    if not rows and not as_json and fmt == Format.table:
        console.print(f"[bold]{escape(title or '')}[/]: none")
        return
    output(rows, fmt, as_json, title=title, limit=limit)


@meetings_app.command("hours")
def meetings_hours(
    since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, team: Optional[str] = typer.Option(None, "--team", help="Only this team."),
    limit: Optional[int] = LimitOption, fmt: Format = FormatOption, as_json: bool = JsonOption,
):
    """Meeting hours and cost per person (hours x hourly rate), most first."""
    settings = _settings()
    data, sections = _meetings(since, until)
    rows = [r for r in sections["people"] if team is None or r.team == team]
    show(rows, fmt, as_json, title=_title(f"Meeting hours per person (cost at {settings.hourly_rate:g} {settings.currency}/h)", data), limit=limit)


@meetings_app.command("cost")
def meetings_cost(since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Meeting hours and cost per team, with the total (cost = hours x attendees x hourly rate)."""
    data, sections = _meetings(since, until)
    rows = sections["teams"]
    if as_json or fmt == Format.json:
        output({"total": sections["totals"], "teams": rows}, json_flag=True)
        return
    show(rows, fmt, title=_title("Meeting cost per team", data))
    totals = sections["totals"]
    if fmt == Format.table:
        console.print(f"total: {totals['meetings']:,} meetings, {totals['hours']:,.1f} h, {totals['person_hours']:,.1f} person-hours, {totals['cost']:,.0f} {totals['currency']}")


@meetings_app.command("large")
def meetings_large(
    since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, threshold: Optional[int] = typer.Option(None, "--threshold", help="More than this many attendees (default: meetings.large_meeting_threshold, 8)."),
    limit: Optional[int] = LimitOption, fmt: Format = FormatOption, as_json: bool = JsonOption,
):
    """Large meetings (more than 8 attendees who did not decline), by person-hours."""
    data, sections = _meetings(since, until, large_threshold=threshold)
    shown = threshold if threshold is not None else _settings().large_meeting_threshold
    show(sections["large"], fmt, as_json, title=_title(f"Meetings with more than {shown} attendees", data), limit=limit)


@meetings_app.command("long")
def meetings_long(
    since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, minutes: Optional[int] = typer.Option(None, "--minutes", help="Longer than this (default: meetings.long_meeting_minutes, 60)."),
    limit: Optional[int] = LimitOption, fmt: Format = FormatOption, as_json: bool = JsonOption,
):
    """Long meetings (over an hour), by person-hours."""
    data, sections = _meetings(since, until, long_minutes=minutes)
    shown = minutes if minutes is not None else _settings().long_meeting_minutes
    show(sections["long"], fmt, as_json, title=_title(f"Meetings longer than {shown} minutes", data), limit=limit)


@meetings_app.command("series")
def meetings_series(since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, limit: Optional[int] = LimitOption, fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Recurring series ranked by total person-hours."""
    data, sections = _meetings(since, until)
    show(sections["series"], fmt, as_json, title=_title("Recurring series by person-hours", data), limit=limit)


@meetings_app.command("focus")
def meetings_focus(
    since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, limit: Optional[int] = LimitOption,
    breakers: bool = typer.Option(False, "--breakers", help="Show the meetings that break focus time instead of people."),
    fmt: Format = FormatOption, as_json: bool = JsonOption,
):
    """Focus time per person (free blocks of 2 h or more in working hours), least first; --breakers for the meetings that break it."""
    settings = _settings()
    data, sections = _meetings(since, until)
    people_rows, breaker_rows = sections["focus"], sections["focus_breakers"]
    if as_json or fmt == Format.json:
        output({"people": people_rows, "breakers": breaker_rows}, json_flag=True)
        return
    if breakers:
        show(breaker_rows, fmt, title=_title("Meetings that break focus time", data), limit=limit)
    else:
        show(people_rows, fmt, title=_title(f"Focus time (blocks of {settings.focus_block_minutes} min or more)", data), limit=limit)


@meetings_app.command("trend")
def meetings_trend(since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Meeting load week by week."""
    data, sections = _meetings(since, until)
    show(sections["trend"], fmt, as_json, title=_title("Meetings week by week", data))


@meetings_app.command("report")
def meetings_report(since: Optional[str] = SinceOption, until: Optional[str] = UntilOption, limit: int = typer.Option(10, "--limit", "-n", help="Rows per section (0: all)."), fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Every section at once: totals, people, teams, large, long, series, focus, breakers, trend."""
    settings = _settings()
    window, sections = _meetings(since, until)
    if as_json or fmt == Format.json:
        output(sections, json_flag=True)
        return
    if fmt == Format.csv:
        # Several tables in one stream would parse as one table with changing columns.
        fail("meetings report holds several tables, which one CSV cannot: use --format json, or one section's command (meetings hours, cost, large, long, series, focus, trend) with --format csv")
    span = window.heading()
    totals = sections["totals"]
    if fmt == Format.table:
        console.print(f"[bold]Meetings {span}[/]: {totals['meetings']:,} meetings, {totals['hours']:,.1f} h, {totals['person_hours']:,.1f} person-hours, {totals['cost']:,.0f} {totals['currency']}")
    titles = {
        "people": "Hours per person", "teams": "Cost per team", "large": f"Large meetings (> {settings.large_meeting_threshold} attendees)",
        "long": f"Long meetings (> {settings.long_meeting_minutes} min)", "series": "Recurring series by person-hours",
        "focus": "Least focus time", "focus_breakers": "Meetings that break focus", "trend": "Week by week",
    }
    for key, title in titles.items():
        show(sections[key], fmt, title=f"{title}, {span}", limit=0 if key == "trend" else limit)
