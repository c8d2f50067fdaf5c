"""Principle 2 commands on transcripts and code: ingest transcript, meetings speaking,
meetings walkout, and stagnation (also as ``meetings stagnation``)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ..registry import stagnation_settings
from ..reports import Format, render
from .common import FormatOption, JsonOption, app, computed, console, err_console, fail, get_config, ingest_app, opened_store, output
from .meetings import meetings_app

AsOfOption = typer.Option(None, "--as-of", help="Judge as of this moment (a date, an ISO date-time, last-commit or now; UTC unless an offset is given). Default: where every report ends, just after the last commit.")


def _day(epoch: int | None) -> str | None:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d") if epoch else None


def _when(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


@ingest_app.command("transcript")
def ingest_transcript(
    files: List[Path] = typer.Argument(..., help="WebVTT (Teams voice tags or Zoom 'Name:' prefixes) or RTTM files."),
    occurrence: Optional[List[int]] = typer.Option(None, "--occurrence", help="Occurrence id to attach to; one per file, in order."),
    meeting: Optional[str] = typer.Option(None, "--meeting", help="Meeting title (with --start): the occurrence nearest the start time."),
    start: Optional[List[str]] = typer.Option(None, "--start", help="When the recording started (ISO; UTC unless an offset is given); one per file, in order."),
    speakers: Optional[Path] = typer.Option(None, "--speakers", exists=True, dir_okay=False, help="Speaker map: CSV 'label,person' or TOML [speakers] label = \"person\" (email, name or 'Name <email>')."),
    tolerance: int = typer.Option(30, "--tolerance", min=0, help="Minutes between --start and the occurrence's start."),
    as_json: bool = JsonOption,
):
    """Attach transcripts to meeting occurrences and store who spoke, how long, and who was addressed. All files or none."""
    from ..meetings.transcripts import AttachError, import_transcripts  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sources.transcripts import TranscriptError, read_speaker_map  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    if occurrence and (meeting or start):
        fail("give --occurrence, or --meeting with --start, not both")
    if not occurrence and not (meeting and start):
        fail("say which meeting: --occurrence ID, or --meeting TITLE --start ISO (one --occurrence or --start per file)")
    try:
        speaker_map = read_speaker_map(speakers) if speakers else None
        with opened_store() as store:
            results = import_transcripts(
                store, list(files), get_config(), occurrence_ids=occurrence, title=meeting, starts=start, speaker_map=speaker_map, tolerance_minutes=tolerance
            )
    except (TranscriptError, AttachError) as error:
        fail(f"{error}\nnothing was imported")
    rows = [
        {
            "file": r.path,
            "occurrence": r.occurrence_id,
            "meeting": r.meeting,
            "start": _when(r.start),
            "format": r.format,
            "segments": r.segments,
            "speakers": r.speakers,
            "replaced": r.replaced,
            "unmapped": r.unmapped,
        }
        for r in results
    ]
    output(rows, json_flag=as_json, title="Transcripts")
    for r in results:
        if r.unmapped:
            err_console.print(
                f"[yellow]warning[/] {escape(r.path)}: speaker label(s) {escape(', '.join(r.unmapped))} are not people; their speech counts in the total. "
                "Map them with --speakers (label,person) and import again.",
                highlight=False,
            )


@meetings_app.command("speaking")
def meetings_speaking(
    occurrence: int = typer.Argument(..., help="Occurrence id"),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Who spoke in one meeting occurrence: seconds, share, turns, words, times addressed by name."""
    from ..meetings.transcripts import transcript_summary  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = transcript_summary(conn, occurrence)
    if not rows:
        fail(f"occurrence {occurrence} has no transcript (foundermode ingest transcript FILE --occurrence {occurrence})")
    if not as_json and fmt == Format.table:
        for row in rows:
            row["share"] = f"{row['share']:.1%}"
    output(rows, fmt, as_json, title=f"Speaking in occurrence {occurrence}")


@meetings_app.command("walkout")
def meetings_walkout(
    occurrences: Optional[int] = typer.Option(None, "--occurrences", "-k", min=1, help="Last K transcribed occurrences of each series (default 3, [meetings] walkout_occurrences)."),
    max_share: Optional[float] = typer.Option(None, "--max-share", min=0.0, max=0.99, help="Speaking share under which to suggest (default 0.05, [meetings] walkout_max_share)."),
    person: Optional[str] = typer.Option(None, "--person", help="Only this person's suggestions (id, email or name)."),
    as_of: Optional[str] = AsOfOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Recurring meetings people could skip: they barely spoke and nobody addressed them by name, with the evidence."""
    from ..meetings.walkout import WalkoutSettings  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    try:
        settings = WalkoutSettings.from_config(get_config())  # for the title's words; the figures are the registry's
    except ValueError as error:
        fail(str(error))
    judged, suggestions = computed("walkouts", until=as_of, occurrences=occurrences, max_share=max_share, person=person)
    if occurrences is not None:
        settings.occurrences = occurrences
    if max_share is not None:
        settings.max_share = max_share
    if as_json or fmt in (Format.json,):
        output(suggestions, fmt, as_json)
        return
    rows = [
        {
            "person": s.person,
            "meeting": s.meeting,
            "occurrences": s.occurrences,
            "from": _day(s.first),
            "to": _day(s.last),
            "spoke_s": round(s.seconds_spoken),
            "share": round(s.share, 4) if fmt == Format.csv else f"{s.share:.1%}",
            "addressed": s.addressed,
            "h_per_month": s.hours_per_month,
            "suggestion": s.suggestion,
        }
        for s in suggestions
    ]
    output(rows, fmt, title=f"Walk-out suggestions (last {settings.occurrences} transcribed occurrences, under {settings.max_share:.0%} of the talk), {judged.as_of_heading()}")
    if not suggestions and fmt == Format.table:
        console.print("No suggestions: everyone in a transcribed recurring meeting either spoke or was spoken to.")


def stagnation(
    weeks: Optional[int] = typer.Option(None, "--weeks", min=1, help="Window length in weeks (default 12, [meetings] stagnation_weeks)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.01, max=1.0, help="Flag areas under this fraction of their typical rate (default 0.25)."),
    depth: Optional[int] = typer.Option(None, "--depth", min=1, help="Directory levels that make an area (default 1)."),
    by: Optional[str] = typer.Option(None, "--by", help="'directory' or 'codeowners' (default directory)."),
    stale_days: Optional[int] = typer.Option(None, "--stale-days", min=1, help="A branch is stale when its tip is older than this (default 30)."),
    show_all: bool = typer.Option(False, "--all", help="Show every area, not only stagnant ones."),
    branches: bool = typer.Option(True, "--branches/--no-branches", help="Also list stale unmerged branches (reads git)."),
    repo: Optional[List[str]] = typer.Option(None, "--repo", help="Only these repositories (name or path)."),
    as_of: Optional[str] = AsOfOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Areas of the code that stopped moving against their own history, and long-lived branches nobody merged."""
    overrides = dict(weeks=weeks, threshold=threshold, depth=depth, by=by, stale_days=stale_days)
    try:
        # The settings in effect (the registry's own reading), for the titles and the JSON; the figures are the registry's.
        settings = stagnation_settings(get_config(), **overrides)
    except ValueError as error:
        fail(str(error))
    judged, areas = computed("stagnation", until=as_of, repos=repo, **overrides)
    found = computed("branches", until=as_of, repos=repo, **overrides)[1] if branches else {"branches": [], "warnings": []}
    stale, warnings = found["branches"], found["warnings"]
    for warning in warnings:
        err_console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)
    shown = areas if show_all else [a for a in areas if a.stagnant]
    if as_json or fmt == Format.json:
        output({"settings": settings, "areas": shown, "branches": stale, "warnings": warnings}, json_flag=True)
        return
    area_rows = [
        {
            "repository": a.repository,
            "area": a.area,
            "status": a.status,
            f"last_{settings.weeks}w": a.recent_commits,
            "typical": a.typical_commits,
            "ratio": a.ratio,
            "last_commit": _day(a.last_commit_at),
            "last_people": a.last_people,
        }
        for a in shown
    ]
    branch_rows = [
        {
            "repository": b.repository,
            "branch": b.branch,
            "tip": _day(b.tip_at),
            "days_idle": b.days_since_tip,
            "unmerged_commits": b.unmerged_commits,
            "since": _day(b.diverged_at),
            "last_committers": b.last_committers,
        }
        for b in stale
    ]
    by_text = "CODEOWNERS owners" if settings.by == "codeowners" else f"directories (depth {settings.depth})"
    area_title = f"{'Areas' if show_all else 'Stagnant areas'} by {by_text}: last {settings.weeks} weeks against the median window before (flag under {settings.threshold:.0%})"
    if fmt == Format.table:
        # The heading says when the areas are judged (the last commit or now: scope.py's one rule).
        area_title = f"{area_title}; {judged.as_of_heading()}"
        if area_rows:
            output(area_rows, fmt, title=area_title)
        else:
            console.print(f"{area_title}\nNo stagnant areas among the {len(areas)} judged (--all lists them).", highlight=False, markup=False)
        if branches:
            output(branch_rows, fmt, title=f"Unmerged branches idle more than {settings.stale_days} days")
        return
    render(area_rows, fmt.value, title=area_title, console=console)
    if branches:
        if fmt == Format.csv:
            print()
        render(branch_rows, fmt.value, title=f"Unmerged branches idle more than {settings.stale_days} days", console=console)


app.command("stagnation")(stagnation)
meetings_app.command("stagnation")(stagnation)
