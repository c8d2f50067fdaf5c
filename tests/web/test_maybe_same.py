"""Precision first: a report the matcher is unsure of opens its own bottleneck, and the leader sees "maybe the same as #N" with a one-click merge."""
from __future__ import annotations

from foundermode.bottlenecks import grouping
from foundermode.bottlenecks.grouping import Candidate, choose, maybe
from foundermode.bottlenecks.matching import DEFAULT_THRESHOLD, maybe_threshold

FILLERS = ("The wiki search is slow", "the office vpn drops every hour", "Laptops need the new security update before Friday",
           "design review for the billing page is blocked on legal")
FIRST = "The deploy pipeline hangs at the database migration step for every service we ship"
# Shares only a few letter n-grams with FIRST ("deploy"): between the two thresholds in this collection.
UNSURE = "Our deployer is flaky since Tuesday and nobody knows who owns it"


def test_between_the_thresholds_is_maybe_never_joined():
    threshold = 0.25
    floor = maybe_threshold(threshold)
    unsure = Candidate(1, None, (threshold + floor) / 2, 10)
    assert choose([unsure], None, threshold) is None and maybe([unsure], None, threshold) == unsure
    assert maybe([Candidate(1, None, floor * 0.9, 10)], None, threshold) is None  # clearly different: nothing to show
    assert maybe([Candidate(2, "GPU cluster", 0.2, 11)], "CI", threshold) is None  # never another resource's bottleneck
    assert 0 < maybe_threshold(DEFAULT_THRESHOLD) < DEFAULT_THRESHOLD


def test_maybe_the_same_is_shown_on_api_cli_and_page_and_one_click_merges(org):
    from typer.testing import CliRunner

    from foundermode.cli import app

    for text in FILLERS:
        org.report("ada", text)
    first = org.report("ada", FIRST)
    unsure = org.report("engineer", UNSURE)
    assert unsure.opened and unsure.bottleneck_id != first.bottleneck_id
    assert unsure.maybe_same_as == first.bottleneck_id

    api = org.client()
    shown = api.get(f"/api/bottlenecks/{unsure.bottleneck_id}", headers=org.bearer("engineer")).json()
    assert [m["id"] for m in shown["maybe_same_as"]] == [first.bottleneck_id]
    merge = shown["maybe_same_as"][0]["merge"]
    assert merge == {"method": "POST", "path": f"/api/bottlenecks/{unsure.bottleneck_id}/merge", "body": {"into": first.bottleneck_id}}
    assert maybe_threshold(DEFAULT_THRESHOLD) <= shown["maybe_same_as"][0]["score"] < DEFAULT_THRESHOLD

    cli = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), "bottlenecks", "show", str(unsure.bottleneck_id)], env={"COLUMNS": "300"})
    assert cli.exit_code == 0 and f"maybe the same as #{first.bottleneck_id}" in cli.output, cli.output

    # the engineer sees the hint but no merge button; the leader gets the button, and one click merges
    engineer_page = org.client("engineer").get(f"/bottlenecks/{unsure.bottleneck_id}").text
    assert f"maybe the same as <a href=\"/bottlenecks/{first.bottleneck_id}\">" in engineer_page and "Merge into" not in engineer_page
    leader = org.client("leader")
    page = leader.get(f"/bottlenecks/{unsure.bottleneck_id}").text
    assert f'<input type="hidden" name="into" value="{first.bottleneck_id}">' in page and f"Merge into #{first.bottleneck_id}" in page
    assert api.post(merge["path"], json=merge["body"], headers=org.bearer("engineer")).status_code == 403
    response = leader.post(f"/bottlenecks/{unsure.bottleneck_id}/merge", data={"csrf": org.csrf(leader), "into": str(first.bottleneck_id)})
    assert response.status_code == 303 and response.headers["location"] == f"/bottlenecks/{first.bottleneck_id}"

    merged = api.get(f"/api/bottlenecks/{first.bottleneck_id}", headers=org.bearer("leader")).json()
    assert sorted(r["id"] for r in merged["reports"]) == sorted([first.report_id, unsure.report_id])
    assert merged["status"] == "escalated"  # two people now: the rule fires on the merge
    assert api.get(f"/api/bottlenecks/{unsure.bottleneck_id}", headers=org.bearer("leader")).json()["maybe_same_as"] == []

    # the leader's decision is kept as a labelled example, in the format `foundermode eval grouping` reads
    with org.store.read() as conn:
        examples = grouping.labelled_examples(conn)
    assert {(e["a"], e["b"], e["duplicate"], e["source"]) for e in examples} == {(UNSURE, FIRST, True, "foundermode/merged")}


def test_a_split_and_a_move_are_labelled_examples_too(org):
    from foundermode.bottlenecks import actions

    gpu = org.escalated_gpu_bottleneck()
    other = org.report("ada", "the office vpn drops every hour")
    with org.store.read() as conn:
        from foundermode.bottlenecks.board import bottleneck_detail

        first, second = [r["id"] for r in bottleneck_detail(conn, gpu)["reports"]]
    texts = {}
    with org.store.read() as conn:
        from sqlalchemy import select

        from foundermode.store.schema_bottlenecks import blocker_reports

        texts = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.text)).all())
    org.clock.now += 60
    new = actions.split(org.store, org.config, gpu, [second], org.ids["leader"], org.clock.now, enforce=True)
    org.clock.now += 60
    actions.move(org.store, org.config, other.report_id, new, org.ids["leader"], org.clock.now, enforce=True)
    with org.store.read() as conn:
        examples = {(e["a"], e["b"], e["duplicate"], e["source"]) for e in grouping.labelled_examples(conn)}
    assert examples == {
        (texts[second], texts[first], False, "foundermode/split"),
        (texts[other.report_id], texts[second], True, "foundermode/moved"),
    }
