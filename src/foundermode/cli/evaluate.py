"""`foundermode eval`: how well the matchers group reports, on labelled pairs."""
from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ..reports import Format
from .common import FormatOption, JsonOption, app, err_console, fail, output

eval_app = typer.Typer(help="Measure the analyses against labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


class Matcher(str, Enum):
    lexical = "lexical"
    semantic = "semantic"


class Idf(str, Enum):
    corpus = "corpus"
    pair = "pair"
    flat = "flat"


def read_pairs(path: Path) -> list[dict]:
    """JSON lines with "a", "b" and "duplicate"; the line number is named on a bad line."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append({"a": str(row["a"]), "b": str(row["b"]), "duplicate": bool(row["duplicate"]), "source": str(row.get("source", ""))})
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: expected a JSON object with a, b and duplicate ({error})") from error
    return rows


def project_of(source: str) -> str:
    # "sigmajahan-eclipse/textually_similar" -> "sigmajahan-eclipse": thresholds
    # are tried across projects, not across sampling strategies of one project.
    return source.split("/", 1)[0]


def summary_rows(result: dict) -> list[dict]:
    """One row per way of choosing the threshold; thresholds as text to keep three decimals."""

    def row(name: str, figures: dict, threshold: str, auc: str) -> dict:
        return {
            "evaluation": name,
            "pairs": figures["tp"] + figures["fp"] + figures["fn"] + figures["tn"],
            "threshold": threshold,
            "precision": round(figures["precision"], 3),
            "recall": round(figures["recall"], 3),
            "f1": round(figures["f1"], 3),
            "roc_auc": auc,
        }

    cv = result["cross_validated"]
    fold_auc = sum(f["roc_auc"] for f in result["folds"]) / len(result["folds"])
    rows = [
        row("in-sample", result["in_sample"], f"{result['in_sample']['threshold']:.3f}", f"{result['roc_auc']:.3f}"),
        row(f"{cv['folds']}-fold CV, held-out", cv, f"{min(cv['thresholds']):.3f}..{max(cv['thresholds']):.3f}", f"{fold_auc:.3f}"),
    ]
    for group in result.get("by_group", []):
        auc = "" if group["roc_auc"] is None else f"{group['roc_auc']:.3f}"
        rows.append(row(f"held-out project: {group['group'].rsplit('-', 1)[-1]}", group, f"{group['threshold']:.3f}", auc))
    return rows


@eval_app.command("grouping")
def eval_grouping(
    pairs_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON lines: {\"a\": text, \"b\": text, \"duplicate\": bool, \"source\": ...}"),
    matcher: Matcher = typer.Option(Matcher.lexical, "--matcher", "-m", help="lexical (default) or semantic (needs foundermode[semantic])."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds for the held-out figures."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold split."),
    idf: Idf = typer.Option(Idf.corpus, "--idf", help="lexical only: IDF from all texts of the file (as an index gives it), from each pair alone, or flat."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """Precision, recall, F1 and ROC-AUC of a matcher on labelled report pairs, with its threshold.

    The threshold is the one with the highest F1 on the pairs (in-sample). The
    held-out figures choose it on k-1 folds and score the k-th; with several
    projects in the file, each project is also scored with the threshold chosen
    on the others.
    """
    from ..bottlenecks.matching import evaluate, pair_scores  # deferred: the matcher's tables and patterns (~12 ms) — keeps foundermode --help from importing it

    try:
        rows = read_pairs(pairs_file)
    except ValueError as error:
        fail(str(error))
    if len({r["duplicate"] for r in rows}) < 2:
        fail(f"{pairs_file} needs both duplicate and non-duplicate pairs")
    if len(rows) < folds:
        fail(f"{len(rows)} pairs cannot be split into {folds} folds")
    try:
        scores = pair_scores([(r["a"], r["b"]) for r in rows], matcher.value, idf=idf.value)
    except RuntimeError as error:  # the semantic extra is missing
        fail(str(error))
    groups = [project_of(r["source"]) for r in rows]
    sources = [r["source"] for r in rows] if any(r["source"] for r in rows) else None
    result = evaluate(scores, [r["duplicate"] for r in rows], folds=folds, seed=seed, groups=groups, sources=sources)
    result = {"matcher": matcher.value, "file": str(pairs_file), **({"idf": idf.value} if matcher is Matcher.lexical else {}), **result}
    if as_json or fmt == Format.json:
        output(result, json_flag=True)
        return
    output(summary_rows(result), fmt, title=f"Grouping: {matcher.value} matcher on {pairs_file.name}")
    if fmt == Format.table:
        err_console.print(
            f"threshold: {result['threshold_rule']}. in-sample: chosen and scored on all pairs; CV: chosen on the other folds;"
            " held-out project: chosen on the other projects.",
            highlight=False,
        )
