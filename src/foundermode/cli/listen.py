"""Listening on the command line: the detector's evaluation, Slack exports, stand-ups,
Jira exports and meeting transcripts heard for blockers, and what waits to be confirmed."""
from __future__ import annotations

from ..errors import InputError
from pathlib import Path
from typing import Optional

import typer

from ..reports import Format
from .common import FormatOption, JsonOption, app, fail, get_config, ingest_app, opened_store, output
from .evaluate import eval_app
from ..config import ConfigError


class DetectorFileError(InputError):
    pass


def read_labelled(path: Path, split: str | None) -> list[tuple[int, str]]:
    """(label, text) of a CSV with a ``text`` column and a ``final`` (or ``label``) 0/1 column."""
    from ..sources.limits import csv_rows, read_text  # deferred: the export parsers (~5 ms) — keeps foundermode --help from importing it

    rows = csv_rows(read_text(path, DetectorFileError), str(path), DetectorFileError)
    try:
        header = [h.strip().lower() for h in next(rows)[1]]
    except StopIteration:
        raise DetectorFileError(f"{path}: empty file; expected a header with text and final (or label)") from None
    label_col = "final" if "final" in header else "label"
    if "text" not in header or label_col not in header:
        raise DetectorFileError(f"{path}:1: expected columns text and final (or label)")
    out = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(header, cells))
        if split and record.get("split", "") != split:
            continue
        value = (record.get(label_col) or "").strip().lower()
        if value not in ("0", "1", "true", "false", "blocked", "not blocked"):
            raise DetectorFileError(f"{path}:{line}: {label_col} must be 0 or 1, not {value[:20]!r}")
        out.append((int(value in ("1", "true", "blocked")), record.get("text") or ""))
    return out


@eval_app.command("detector")
def eval_detector(
    labelled: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: text, final (or label) 0/1, optional pass1, pass2, split."),
    split: Optional[str] = typer.Option(None, "--split", help="Only rows whose split column is this (for example heldout3, tune)."),
    fmt: Format = FormatOption,
    json_flag: bool = JsonOption,
) -> None:
    """Precision, recall and F1 of the blocker detector on labelled sentences, at its two thresholds."""
    from ..bottlenecks.detector import CANDIDATE, CONFIDENT, figures, score_sentence  # deferred: the detector's 34 regular expressions (~6 ms) — keeps foundermode --help from importing it

    try:
        rows = read_labelled(labelled, split)
    except DetectorFileError as error:
        fail(str(error))
    if not rows:
        fail(f"{labelled}: no labelled sentences{f' in split {split}' if split else ''}")
    pairs = []
    for label, text in rows:
        found = score_sentence(text)
        pairs.append((label, found.score if found else 0.0))
    result = []
    for threshold, name in ((CONFIDENT, "confident (escalates)"), (CANDIDATE, "candidate (to confirm)")):
        f = figures(pairs, threshold)
        result.append({"threshold": name, "score_at_least": threshold, "sentences": f["sentences"], "blocked": f["blocked"],
                       "precision": f["precision"], "recall": f["recall"], "f1": f["f1"], "tp": f["tp"], "fp": f["fp"], "fn": f["fn"]})
    output(result, fmt, json_flag, title=f"Blocker detector on {labelled.name}{f' ({split})' if split else ''}")


heard_app = typer.Typer(help="What was heard but not confident enough to escalate: confirm it (a report) or dismiss it.", invoke_without_command=True)
app.add_typer(heard_app, name="heard")
NowOption = typer.Option(None, "--now", help="The clock, as UTC epoch seconds (default: now).", hidden=True)


def _heard_output(heard, where: str, as_json: bool) -> None:
    output([{"from": where, **heard.summary()}], json_flag=as_json, title="Heard")


def _hear(call, where: str):
    from ..bottlenecks.heard import HeardError  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    try:
        return call()
    except (HeardError, ConfigError, ValueError) as error:
        fail(f"{where}: {error}" if not str(error).startswith(where) else str(error))


@ingest_app.command("slack")
def ingest_slack(
    export: Path = typer.Argument(..., exists=True, help="A Slack workspace export: the zip, or the folder it unpacks to."),
    channel: Optional[list[str]] = typer.Option(None, "--channel", "-c", help="Only these channels (repeatable; default [slack] channels, else all)."),
    workspace: Optional[str] = typer.Option(None, "--workspace", help="The workspace's subdomain, for links back (default [slack] workspace)."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
) -> None:
    """Hear blockers in a Slack export: confident ones become reports, the rest wait to be confirmed."""
    from ..bottlenecks.heard import hear_slack_export  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    channels = list(channel or config.settings.slack.channels or [])
    with opened_store() as store:
        heard = _hear(lambda: hear_slack_export(store, config, export, channels=channels or None,
                                                workspace=workspace or config.settings.slack.workspace, now=now), str(export))
    _heard_output(heard, str(export), as_json)


@heard_app.callback()
def heard_list(
    ctx: typer.Context,
    state: str = typer.Option("pending", "--state", help="pending (default), confirmed or dismissed."),
    fmt: Format = FormatOption,
    json_flag: bool = JsonOption,
) -> None:
    """Statements heard below the confident threshold, waiting for the person or a leader."""
    if ctx.invoked_subcommand:
        return
    from ..bottlenecks.heard import pending  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        rows = pending(store, state)
    output(rows, fmt, json_flag, columns=["id", "person", "said", "confidence", "heard_in", "where", "said_at", "status"], title=f"Heard ({state})")


def _by(store, who: Optional[str]) -> Optional[int]:
    from ..sources.identities import find_person  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    who = who or get_config().settings.org.leader
    if not who:
        return None
    with store.read() as conn:
        try:
            return find_person(conn, who)
        except LookupError as error:
            fail(str(error))


@heard_app.command("confirm")
def heard_confirm(
    statement: int = typer.Argument(..., help="The statement's id (foundermode heard)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who confirms: the person who said it, or a leader (default the [org] leader)."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
) -> None:
    """Yes, a blocker: it becomes a report, grouped and escalated like a typed one."""
    from ..bottlenecks.heard import confirm  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        placed = _hear(lambda: confirm(store, get_config(), statement, _by(store, by), now), f"statement {statement}")
    output([{"statement": statement, "report_id": placed.report_id, "bottleneck_id": placed.bottleneck_id, "opened": placed.opened,
             "reporters": placed.reporters, "escalated": placed.escalated}], json_flag=as_json, title="Confirmed")


@heard_app.command("dismiss")
def heard_dismiss(
    statement: int = typer.Argument(..., help="The statement's id (foundermode heard)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who dismisses: the person who said it, or a leader."),
    now: Optional[int] = NowOption,
) -> None:
    """Not a blocker: it stays dismissed and is not heard again."""
    from ..bottlenecks.heard import dismiss  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        _hear(lambda: dismiss(store, get_config(), statement, _by(store, by), now), f"statement {statement}")
    output([{"statement": statement, "status": "dismissed"}], title="Dismissed")


@heard_app.command("meeting")
def heard_meeting(
    occurrence: list[int] = typer.Argument(..., help="Occurrence ids whose ingested transcripts to hear (foundermode meetings speaking ID)."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
) -> None:
    """Hear blockers said in meetings: each speaker's turn, at its cue time."""
    from ..bottlenecks.heard import hear_transcript  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    rows = []
    with opened_store() as store:
        for occurrence_id in occurrence:
            heard = _hear(lambda: hear_transcript(store, config, occurrence_id, now=now), f"occurrence {occurrence_id}")
            rows.append({"from": f"occurrence {occurrence_id}", **heard.summary()})
    output(rows, json_flag=as_json, title="Heard")


@ingest_app.command("jira")
def ingest_jira(
    export: Path = typer.Argument(..., exists=True, dir_okay=False, help="Jira's CSV export (all fields): Issue key, Labels (every column), Custom field (Flagged)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="https://acme.atlassian.net, for links back to each ticket."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
) -> None:
    """Flagged or 'blocked'-labelled tickets become reports, grouped and escalated like typed ones."""
    from ..bottlenecks.heard import hear_jira  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    with opened_store() as store:
        heard = _hear(lambda: hear_jira(store, config, export, base_url=base_url, now=now), str(export))
    _heard_output(heard, str(export), as_json)


@ingest_app.command("standup")
def ingest_standup(
    export: Path = typer.Argument(..., exists=True, dir_okay=False, help="A stand-up tool's CSV (Geekbot-style): who, date, question, answer."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
) -> None:
    """Answers to the blockers question (not "none") are reports; other answers are heard by the detector."""
    from ..bottlenecks.heard import hear_standup  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    with opened_store() as store:
        heard = _hear(lambda: hear_standup(store, config, export, now=now), str(export))
    _heard_output(heard, str(export), as_json)
