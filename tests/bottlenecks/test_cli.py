"""The command line over a real store: resources, reports, the board, corrections, tick, tokens."""
from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from foundermode.cli import app

from .conftest import MONDAY, RESOURCES


def run(args, *more, code: int = 0, env: dict | None = None):
    result = CliRunner().invoke(app, [*args, *more], env=env)
    assert result.exit_code == code, result.output
    # errors go through rich, which wraps at the terminal's width: read them unwrapped
    return result.output if code == 0 else result.output.replace("\n", "")


def test_cli_round_trip(tmp_path, config):
    args = ["--db", f"sqlite:///{tmp_path / 'cli.db'}", "--config", str(config.path)]
    resources = json.loads(run(args, "resources", "--json"))
    assert [(r["name"], r["kind"], r["owner"]) for r in resources] == [("GPU cluster", "resource", "grace@example.com"), ("Staging database", "resource", "dora@example.com"), ("Acme Cloud", "vendor", "support@acme.example")]
    assert "contact (support@acme.example) via email, wait 4h" in resources[2]["chain"][0]

    first = json.loads(run(args, "blocker", "report", "CI runners are out of disk on main", "--by", "ada@example.com", "--new-person", "--json", "--now", str(MONDAY)))
    second = json.loads(run(args, "blocker", "report", "The VPN drops every hour", "--by", "bob@example.com", "--new-person", "--json", "--now", str(MONDAY + 5)))
    assert first["opened"] and second["opened"] and first["bottleneck_id"] != second["bottleneck_id"]
    table = run(args, "bottlenecks", "--format", "csv", "--now", str(MONDAY + 3600))
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["id"], r["status"], r["age_s"]) for r in rows] == [(str(first["bottleneck_id"]), "open", "3600"), (str(second["bottleneck_id"]), "open", "3595")]  # CSV carries seconds

    # a leader puts Bob's report with Ada's: two people, so it escalates (to the leader: no resource claims it).
    # Naming the leader is not enough for a leader's rights: their API token is.
    assert "API token" in run(args, "bottlenecks", "move", str(second["report_id"]), str(first["bottleneck_id"]), "--by", "lead@example.com", "--now", str(MONDAY + 60), code=1)
    lead = {"FOUNDERMODE_TOKEN": run(args, "token", "create", "lead@example.com").strip().splitlines()[-1]}
    run(args, "bottlenecks", "move", str(second["report_id"]), str(first["bottleneck_id"]), "--as", "lead@example.com", "--now", str(MONDAY + 60), env=lead)
    shown = json.loads(run(args, "bottlenecks", "show", str(first["bottleneck_id"]), "--json"))
    assert shown["status"] == "escalated" and [e["holder"] for e in shown["escalations"]] == ["lead@example.com"]
    assert [r["pinned"] for r in shown["reports"]] == [False, True]
    assert "moved" in [e["kind"] for e in shown["timeline"]]
    run(args, "bottlenecks", "split", str(first["bottleneck_id"]), str(second["report_id"]), "--as", "lead@example.com", "--now", str(MONDAY + 90), env=lead)
    board = json.loads(run(args, "bottlenecks", "--json", "--now", str(MONDAY + 100)))
    assert len(board) == 2

    tick = json.loads(run(args, "tick", "--json", "--no-deliver", "--now", str(MONDAY + 3 * 3600)))
    assert tick["advanced"]  # the leader's chain repeated after its wait
    assert "error" in run(args, "bottlenecks", "resolve", "999", "--as", "lead@example.com", code=1, env=lead)
    assert "not a configured vendor" in run(args, "bottlenecks", "vendor", str(first["bottleneck_id"]), "--vendor", "Initech", "--as", "lead@example.com", code=1, env=lead)

    secret = run(args, "token", "create", "ada@example.com").strip().splitlines()[-1]
    assert secret.startswith("fm_")
    tokens = json.loads(run(args, "token", "list", "--json"))
    assert len(tokens) == 2 and secret not in json.dumps(tokens) and lead["FOUNDERMODE_TOKEN"] not in json.dumps(tokens)
    run(args, "token", "revoke", str(tokens[0]["id"]))
    assert "no live token" in run(args, "token", "revoke", str(tokens[0]["id"]), code=1)
    assert "unknown or revoked API token" in run(args, "bottlenecks", "resolve", str(first["bottleneck_id"]), "--as", "lead@example.com", code=1, env=lead)


def test_config_errors_stop_the_command_with_key_and_line(tmp_path, write_config):
    config = write_config(resources=RESOURCES.replace('wait = "30m"', 'wait = "soon"'))
    args = ["--db", f"sqlite:///{tmp_path / 'cli.db'}", "--config", str(config.path)]
    out = run(args, "resources", code=1)
    line = RESOURCES.replace('wait = "30m"', 'wait = "soon"').splitlines().index('wait = "soon"') + 1
    assert "resources[0].chain[0].wait" in out and f"line {line}" in out
    assert "resources[0].chain[0].wait" in run(args, "tick", code=1)


def test_an_unknown_reporter_is_refused_unless_new(tmp_path, write_config):
    """`--by nobody@example.com` used to create a person silently: now it is refused, nothing stored."""
    config_path = write_config().path
    db = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["--db", db, "--config", str(config_path)]
    (tmp_path / "org.csv").write_text("email,name,title,team,manager_email,role\nada@example.com,Ada,Engineer,core,,engineer\n", encoding="utf-8")
    run(args, "ingest", "org", str(tmp_path / "org.csv"))
    result = CliRunner().invoke(app, [*args, "blocker", "report", "CI is red", "--by", "nobody@example.com", "--now", str(MONDAY)], env={"COLUMNS": "300"})
    assert result.exit_code != 0 and "nobody known as 'nobody@example.com'" in result.output and "--new-person" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert json.loads(run(args, "bottlenecks", "--status", "all", "--json")) == []
    assert "nobody@example.com" not in run(args, "people", "--json")
    run(args, "blocker", "report", "CI is red", "--by", "ada@example.com", "--now", str(MONDAY))  # in the org chart
    run(args, "blocker", "report", "CI is red again", "--by", "newbie@example.com", "--new-person", "--now", str(MONDAY + 5))
    assert "newbie@example.com" in run(args, "people", "--json")
