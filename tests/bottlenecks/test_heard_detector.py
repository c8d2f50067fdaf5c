"""The blocker detector: what it hears, what it does not, and its evaluation command."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_the_general_dampers():
    """Each way of saying the words without being blocked, and its blocked twin (made-up sentences)."""
    pairs = [
        # code narrated, not a person
        ("The worker thread blocks on the lock until the queue drains.", "I'm blocked on the lock review from Ann."),
        ("The client keeps waiting for more peers before it syncs.", "We're still waiting on Ann for the peer list."),
        # a past state, resolved since
        ("We were stuck on the proxy but it's fixed now.", "We are stuck on the proxy."),
        # a hypothetical
        ("Without the GPUs we would be blocked for weeks.", "We are blocked without the GPUs."),
        # a wait chosen before deciding or saying something
        ("I'm waiting for the numbers before I vote on it.", "I'm waiting for the numbers from finance."),
        # ready, not held
        ("Everything is set up and waiting for the launch.", "Set up the rig, and waiting on the vendor's keys now."),
        # attendance is not work
        ("Can't log into the meeting from the train, sorry.", "Can't deploy, the VPN is down."),
        # an idiom
        ("We are stuck between speed and safety here.", "We are stuck on the safety review."),
    ]
    for heard_not, heard in pairs:
        quiet = score_sentence(heard_not)
        assert quiet is None or quiet.score < CONFIDENT, heard_not
        loud = score_sentence(heard)
        assert loud is not None and loud.score >= CONFIDENT, heard


def test_a_hedge_in_another_clause_does_not_damp():
    """("I guess" is how people talk, not a hedge: "So I guess we're blocked" is blocked.)"""
    assert score_sentence("I guess nothing new there, but we are mostly waiting on Bo to build.").score >= CONFIDENT
    assert score_sentence("I have a feeling we are waiting on Bo to build.").score < CONFIDENT


def test_pieces_of_work_that_wait():
    for sentence in ("There's a patch waiting on changes from Ann.", "The release is still waiting for sign-off.",
                     "anyway, compiling the tests is broken without it, so 811 needs to go in"):
        assert score_sentence(sentence).score >= CONFIDENT, sentence


def test_long_hostile_text_is_bounded():
    """A pasted log or a crafted message: at most MAX_SENTENCES sentences of MAX_SENTENCE characters each."""
    from foundermode.bottlenecks.detector import MAX_SENTENCE, MAX_SENTENCES

    hostile = ("waiting for " * 5000) + "\n" + "\n".join("the thread blocks and the client is waiting on " + "x " * 400 for _ in range(1000))
    found = detect(hostile, threshold=0.0)
    assert len(found) <= MAX_SENTENCES
    assert all(len(d.sentence) <= MAX_SENTENCE for d in found)


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


BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_labelled_parts_are_disjoint_and_complete():
    """Each labelled sentence is in one part only, with both passes, its final label and its text hash."""
    with (BENCH / "data" / "blocker_labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    refs = [(r["corpus"], r["file"], r["line_or_id"], r["sentence"]) for r in rows]
    assert len(refs) == len(set(refs))
    assert {r["split"] for r in rows} == {"tune", "heldout1", "heldout2", "heldout3"}
    assert all(r["pass1"] in "01" and r["pass2"] in "01" and r["final"] in "01" and len(r["text_sha1"]) == 10 for r in rows)
    heldout2 = [r for r in rows if r["split"] == "heldout2"]
    assert len(heldout2) >= 250 and sum(int(r["final"]) for r in heldout2) >= 35
    v1_monero_files = {r["file"] for r in rows if r["split"] != "heldout2" and r["corpus"] == "monero"}
    assert not any(r["file"] in v1_monero_files for r in heldout2 if r["corpus"] == "monero")
    heldout3 = [r for r in rows if r["split"] == "heldout3"]
    assert len(heldout3) >= 300 and sum(int(r["final"]) for r in heldout3) >= 40
    # v3 comes from a source no rule was tuned on
    assert {r["corpus"] for r in heldout3} == {"nodejs"} and not any(r["corpus"] == "nodejs" for r in rows if r["split"] != "heldout3")


def test_bench_says_so_when_the_sources_are_absent(tmp_path):
    env = {**os.environ, "FOUNDERMODE_MONERO_SITE": str(tmp_path / "none"), "FOUNDERMODE_ETHEREUM_PM": str(tmp_path / "none"),
           "FOUNDERMODE_NODEJS_TSC": str(tmp_path / "none"),
           "FOUNDERMODE_SHARED_DATA": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, str(BENCH / "bench_detector.py")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "only 0 of the " in done.stdout and "no figures" in done.stdout
    assert " P " not in done.stdout


def test_a_stuck_resource_a_person_waits_on_is_not_code_narration():
    """Software narrated counts only where it is the cue's subject: the stuck queue here is the blocker."""
    waiting = score_sentence("Still waiting on the GPU cluster, cuda queue is stuck.")
    assert waiting is not None and waiting.confident
    narrated = score_sentence("The scheduler process keeps waiting on the lock, I think.")
    assert narrated is None or not narrated.confident


def test_blockers_said_aloud_and_their_quiet_twins():
    """The ways a blocker is said in calls and stand-ups, each with a made-up twin that is not one."""
    pairs = [
        ("The main blocker is the vendor's contract.", "There is no main blocker right now."),
        ("This is a blocker for the release.", "I don't think it's a blocker for the release."),
        ("We're kind of held up because the keys never came.", "We would be held up if the keys never came."),
        ("Still waiting on Ann to finish the migration.", "Are you still waiting on Ann to finish the migration?"),
        ("We need the staging keys before we can deploy.", "We need the numbers before we can really judge it."),
        ("The PR is still pending review.", "It is ready to merge pending approval."),
        ("It's stuck again.", "The node is stuck at block 1200."),
        ("It keeps holding back the other changes.", "We are not holding back the other changes."),
        ("No one has access to the build box.", "Everyone has access to the build box."),
        ("We only need Bo to upload the binaries.", "We need to upload the binaries."),
        ("Can I get write access to the repo please?", "Can I get the slides after the call?"),
        ("If so: I don't have access to Jenkins.", "If I didn't have access to Jenkins, I'd ask."),
        ("The paper is on hold until the simulations are done.", "Let's put the paper on the agenda."),
        ("We're currently waiting for merge.", "We are fine with waiting for merge."),
        ("I haven't heard back from the vendor.", "I heard back from the vendor."),
        ("That PR needs eyeballs from someone who knows the wallet.", "That PR needs more review time, it's big."),
        ("We are gated on the legal review.", "Is it gated on the legal review?"),
        ("So I guess we're blocked.", "Nothing blocked us, I guess."),
    ]
    for heard, heard_not in pairs:
        loud = score_sentence(heard)
        assert loud is not None and loud.score >= CONFIDENT, heard
        quiet = score_sentence(heard_not)
        assert quiet is None or quiet.score < CONFIDENT, heard_not


def test_software_telling_the_user_it_waits_is_not_a_person():
    assert score_sentence("The sync process will inform the user that it is waiting on the beacon node.").score < CONFIDENT
    assert score_sentence("We are waiting on the beacon node team.").score >= CONFIDENT
