"""The blocker detector: what it hears, what it does not, and its evaluation command."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode.bottlenecks.detector import CONFIDENT, detect, figures, kappa, score_sentence, strongest
from foundermode.cli import app

BLOCKED = [
    "We don't have enough GPUs for the training run.",
    "Still waiting on the staging DB.",
    "I'm blocked on the CI runners since this morning.",
    "Can't merge, CI is down.",
]
NOT_BLOCKED = [
    "I merged the fix for the login page.",
    "Are you waiting on the staging DB?",
    "If we are blocked we should say so.",
    "We are no longer blocked on the GPUs.",
    "Can't wait for the release!",
]


def test_hears_blockers_and_not_the_rest():
    for sentence in BLOCKED:
        found = score_sentence(sentence)
        assert found is not None and found.score >= 0.7, sentence
    for sentence in NOT_BLOCKED:
        found = score_sentence(sentence)
        assert found is None or found.score < CONFIDENT, sentence
    message = "Morning all. Yesterday I shipped the parser. Today: still waiting on the staging DB. Thanks!"
    assert [d.index for d in detect(message)] == [2]
    assert strongest(message).sentence == "Today: still waiting on the staging DB."


def test_figures_and_kappa():
    pairs = [(1, 0.9), (1, 0.3), (0, 0.85), (0, 0.0)]
    f = figures(pairs, 0.8)
    assert (f["tp"], f["fp"], f["fn"], f["precision"], f["recall"], f["f1"]) == (1, 1, 1, 0.5, 0.5, 0.5)
    assert kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0
    assert round(kappa([1, 1, 0, 0], [1, 0, 1, 0]), 3) == 0.0


def test_eval_detector_command(tmp_path):
    path = tmp_path / "labelled.csv"
    lines = ["text,final,split"] + [f'"{s}",1,heldout' for s in BLOCKED] + [f'"{s}",0,heldout' for s in NOT_BLOCKED] + ['"We are blocked on the VPN.",1,tune']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "detector", str(path), "--split", "heldout", "--json"])
    assert result.exit_code == 0, result.output
    confident, candidate = json.loads(result.output)
    assert confident["sentences"] == 9 and confident["blocked"] == 4 and confident["fp"] == 0
    assert candidate["recall"] == 1.0
    bad = tmp_path / "bad.csv"
    bad.write_text("text,final\nhello,maybe\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "detector", str(bad)])
    assert result.exit_code == 1 and "bad.csv:2" in result.output.replace("\n", "")
