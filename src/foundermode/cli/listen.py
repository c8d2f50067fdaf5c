"""Listening on the command line: the detector's evaluation, Slack exports, stand-ups,
Jira exports and meeting transcripts heard for blockers, and what waits to be confirmed."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..reports import Format
from .common import FormatOption, JsonOption, fail, output
from .evaluate import eval_app


class DetectorFileError(ValueError):
    pass


def read_labelled(path: Path, split: str | None) -> list[tuple[int, str]]:
    """(label, text) of a CSV with a ``text`` column and a ``final`` (or ``label``) 0/1 column."""
    from ..sources.limits import csv_rows, read_text

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
    split: Optional[str] = typer.Option(None, "--split", help="Only rows whose split column is this (heldout, tune)."),
    fmt: Format = FormatOption,
    json_flag: bool = JsonOption,
) -> None:
    """Precision, recall and F1 of the blocker detector on labelled sentences, at its two thresholds."""
    from ..bottlenecks.detector import CANDIDATE, CONFIDENT, figures, score_sentence

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
