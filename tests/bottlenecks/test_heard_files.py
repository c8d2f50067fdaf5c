"""Tickets and stand-ups heard for blockers: a Jira CSV export in Jira's own column layout
(Issue key, three Labels columns, Custom field (Flagged)) and a Geekbot-style stand-up CSV."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.bottlenecks.heard import hear_jira, hear_standup, pending
from foundermode.cli import app
from foundermode.sources.identities import IdentityResolver
from foundermode.sources.jira import JiraExportError, parse_jira_csv
from foundermode.sources.standup import parse_standup_csv
from foundermode.store.schema import people
from foundermode.store.schema_bottlenecks import blocker_reports, escalations

from .conftest import MONDAY

# Jira Cloud's "Export > CSV (all fields)" header: repeated columns for multi-valued fields.
JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Priority", "Resolution",
               "Assignee", "Reporter", "Creator", "Created", "Updated", "Last Viewed", "Labels", "Labels", "Labels", "Description",
               "Watchers", "Watchers", "Custom field (Flagged)", "Custom field (Story Points)", "Sprint", "Sprint", "Comment"]


def jira_row(summary, key, assignee, labels=("", "", ""), flagged="", created="11/Mar/24 9:05 AM", updated="11/Mar/24 9:30 AM"):
    return [summary, key, key.split("-")[1] + "0001", "Task", "In Progress", key.split("-")[0], "Operations", "High", "",
            assignee, "Lee Leader", "Lee Leader", created, updated, "", *labels, "Details, with a comma\nand a second line",
            "lee", "ada", flagged, "3.0", "OPS Sprint 4", "OPS Sprint 5", "11/Mar/24 9:10 AM;lee;looking"]


def jira_export(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(JIRA_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def test_jira_reads_issue_key_every_labels_column_and_flagged():
    text = jira_export([
        jira_row("GPU cluster quota exhausted, training jobs queue forever", "OPS-12", "Ada Lovelace", labels=("blocked", "infra", "")),
        jira_row("GPU nodes unreachable from CI", "OPS-13", "Bob Builder", labels=("gpu", "", ""), flagged="Impediment"),
        jira_row("Cannot log in to the wiki", "OPS-14", "Bob Builder", labels=("wiki", "bug", "")),
    ])
    tickets = parse_jira_csv(text, "jira.csv")
    assert [(t.key, t.labels, t.flagged, t.is_blocker) for t in tickets] == [
        ("OPS-12", ["blocked", "infra"], False, True),  # the first of three Labels columns: today's importer missed it
        ("OPS-13", ["gpu"], True, True),
        ("OPS-14", ["wiki", "bug"], False, False),  # "cannot log in" is a user's bug, not the team blocked
    ]
    assert tickets[0].created == MONDAY - 3300 and tickets[0].updated == MONDAY - 1800 and tickets[0].assignee == "Ada Lovelace"
    with pytest.raises(JiraExportError, match=r"jira.csv:5: date 'yesterday'"):
        parse_jira_csv(jira_export([jira_row("x", "OPS-1", "Ada"), jira_row("y", "OPS-2", "Ada", created="yesterday")]), "jira.csv")
    with pytest.raises(JiraExportError, match="expected the columns Summary and Issue key"):
        parse_jira_csv("Summary,Key\nx,OPS-1\n", "jira.csv")


def test_jira_export_heard_two_tickets_one_bottleneck_escalated(store, config, tmp_path):
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        ada = resolver.person_for("Ada Lovelace", "ada@example.com")
        resolver.person_for("Bob Builder", "bob@example.com")
    path = tmp_path / "jira.csv"
    path.write_text(jira_export([
        jira_row("GPU cluster quota exhausted, training jobs queue forever", "OPS-12", "Ada Lovelace", labels=("blocked", "infra", "")),
        jira_row("GPU cluster: cuda jobs fail on every node", "OPS-13", "Bob Builder", labels=("gpu", "", ""), flagged="Impediment"),
        jira_row("Cannot log in to the wiki", "OPS-14", "Bob Builder", labels=("wiki", "bug", "")),
    ]), encoding="utf-8")
    heard = hear_jira(store, config, path, base_url="https://acme.atlassian.net/", now=MONDAY).summary()
    assert (heard["reports"], heard["bottlenecks_opened"], heard["escalated"], heard["not_blockers"]) == (2, 1, 1, 1)
    with store.read() as conn:
        rows = conn.execute(select(blocker_reports.c.person_id, blocker_reports.c.heard_in, blocker_reports.c.heard_where, blocker_reports.c.heard_link,
                                   blocker_reports.c.external_id).order_by(blocker_reports.c.id)).all()
        names = sorted(conn.execute(select(people.c.name)).scalars())
    assert names.count("Ada Lovelace") == 1 and names.count("Bob Builder") == 1  # names joined the people already known
    assert rows[0] == (ada, "ticket", "OPS-12", "https://acme.atlassian.net/browse/OPS-12", "OPS-12")
    # From the command line, again: nothing new.
    result = CliRunner().invoke(app, ["--db", store.url, "--config", str(config.path), "ingest", "jira", str(path), "--json", "--now", str(MONDAY + 60)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["already_heard"] == 2


STANDUP = """Member,Date,Standup,Question,Answer
ada@example.com,2024-03-11 09:00,Daily,What did you do yesterday?,Finished the tokenizer.
ada@example.com,2024-03-11 09:00,Daily,Anything blocking your progress?,The staging database is read-only since Friday
bob@example.com,2024-03-11 09:05,Daily,What will you do today?,The login page; I think I might be waiting on the staging db too
bob@example.com,2024-03-11 09:05,Daily,Anything blocking your progress?,"Nope, all good"
cy@example.com,2024-03-11 09:07,Daily,Anything blocking your progress?,"None, but the staging db is slow"
"""


def test_standup_answers_heard(store, config, tmp_path):
    answers = parse_standup_csv(STANDUP, "standup.csv")
    assert [(a.about_blockers, a.says_nothing) for a in answers] == [(False, False), (True, False), (False, False), (True, True), (True, False)]
    path = tmp_path / "geekbot.csv"
    path.write_text(STANDUP, encoding="utf-8")
    heard = hear_standup(store, config, path, now=MONDAY).summary()
    # Ada's and Cy's answers to the blockers question are reports (staging: threshold 3, no call yet);
    # Bob's hedge waits to be confirmed; "Finished the tokenizer" and "Nope, all good" are nothing.
    assert (heard["reports"], heard["to_confirm"], heard["not_blockers"], heard["escalated"]) == (2, 1, 2, 0)
    assert [p["said"] for p in pending(store)] == ["The login page; I think I might be waiting on the staging db too"]
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(escalations)).scalar_one() == 0
        wheres = conn.execute(select(blocker_reports.c.heard_in, blocker_reports.c.heard_where)).all()
    assert set(wheres) == {("standup", "stand-up 2024-03-11")}


def test_a_candidate_is_confirmed_by_its_speaker_or_a_leader_never_escalated_alone(store, config, tmp_path):
    from foundermode.bottlenecks.heard import HeardError, confirm, dismiss
    from foundermode.sources.identities import find_person

    path = tmp_path / "geekbot.csv"
    path.write_text(STANDUP, encoding="utf-8")
    hear_standup(store, config, path, now=MONDAY)
    (statement,) = pending(store)
    with store.write() as conn:
        bob = find_person(conn, "bob@example.com")
        cy = find_person(conn, "cy@example.com")
        leader = IdentityResolver.from_config(conn, config).person_for("", "lead@example.com", source="manual")
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(blocker_reports)).scalar_one()
    with pytest.raises(HeardError, match="only the person who said it or a leader"):
        confirm(store, config, statement["id"], cy, now=MONDAY + 60)
    placed = confirm(store, config, statement["id"], bob, now=MONDAY + 60)
    assert placed.resource == "Staging database" and placed.reporters == 3 and placed.escalated  # staging's threshold is 3: now it calls
    assert pending(store) == [] and pending(store, "confirmed")[0]["report_id"] == placed.report_id
    with pytest.raises(HeardError, match="already confirmed"):
        dismiss(store, config, statement["id"], leader)
    hear_standup(store, config, path, now=MONDAY + 120)  # heard again: neither a second statement nor a second report
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(blocker_reports)).scalar_one() == before + 1
    assert pending(store) == []


def test_blocker_import_reads_a_jira_export_in_jiras_layout(tmp_path):
    from foundermode.bottlenecks.files import read_blockers

    path = tmp_path / "jira.csv"
    path.write_text(jira_export([
        jira_row("Vendor license keys expired", "OPS-21", "ada@example.com", labels=("", "blocked", "")),
        jira_row("GPU nodes unreachable", "OPS-22", "Bob Builder", flagged="Impediment"),
        jira_row("Write the onboarding doc", "OPS-23", "Bob Builder", labels=("docs", "", "")),
    ]), encoding="utf-8")
    blockers = read_blockers(path)
    assert [(b.external_id, b.email, b.name, b.heard_in, b.heard_where) for b in blockers] == [
        ("OPS-21", "ada@example.com", None, "ticket", "OPS-21"), ("OPS-22", None, "Bob Builder", "ticket", "OPS-22")]
