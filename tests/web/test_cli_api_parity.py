"""The command line and the JSON API give the same rights: every bottleneck action, as each role, on both surfaces.

Each case starts from the same state (a GPU cluster bottleneck A heard from Ada
and Bob and escalated to its owner Grace, and an unrelated open bottleneck B of
Ada's), takes one action as one role on one surface, and records whether it
was allowed and what the store holds afterwards. The API call uses the role's
bearer token; the command line uses ``--as`` with the same token in
FOUNDERMODE_TOKEN. Both must allow and refuse the same things and leave the
same state. ``--by`` (a claim, no token) keeps an owner's and a holder's
rights but never a leader's.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.store.schema_bottlenecks import blocker_reports

from .conftest import PEOPLE

ROLES = ("engineer", "owner", "leader")
ACTIONS = ("acknowledge", "resolve", "vendor", "merge", "split", "move", "report")
# What the API has always allowed (actions.check): the owner (and holder) answers, a leader also corrects grouping.
EXPECTED = {
    "engineer": {"report"},
    "owner": {"acknowledge", "resolve", "vendor", "report"},
    "leader": set(ACTIONS),
}


def _scenario(org) -> dict:
    first = org.escalated_gpu_bottleneck()
    other = org.report("ada", "The office VPN drops every hour on the guest wifi")
    assert other.opened and other.bottleneck_id != first
    with org.store.read() as conn:
        from foundermode.bottlenecks.board import bottleneck_detail

        reports = [r["id"] for r in bottleneck_detail(conn, first)["reports"]]
        total = conn.execute(select(func.count()).select_from(blocker_reports)).scalar()
    return {"a": first, "b": other.bottleneck_id, "b_report": other.report_id, "a_reports": reports, "total": total}


def _state(org, case: dict) -> tuple:
    from foundermode.bottlenecks.board import bottleneck_detail

    with org.store.read() as conn:
        a, b = bottleneck_detail(conn, case["a"]), bottleneck_detail(conn, case["b"])
        reports = conn.execute(select(func.count()).select_from(blocker_reports)).scalar()
    return a["status"], b["status"], len(a["reports"]), tuple(sorted(e["status"] for e in a["escalations"])), reports - case["total"]


def _api(org, role: str, action: str, case: dict) -> bool:
    client = org.client()
    headers = org.bearer(role)
    a, b = case["a"], case["b"]
    call = {
        "acknowledge": (f"/api/bottlenecks/{a}/acknowledge", {}),
        "resolve": (f"/api/bottlenecks/{a}/resolve", None),
        "vendor": (f"/api/bottlenecks/{a}/vendor", {}),
        "merge": (f"/api/bottlenecks/{b}/merge", {"into": a}),
        "split": (f"/api/bottlenecks/{a}/split", {"reports": case["a_reports"][-1:]}),
        "move": (f"/api/reports/{case['b_report']}/move", {"to": a}),
        "report": ("/api/blockers", {"text": "The gpu cluster is down again for me too"}),
    }[action]
    response = client.post(call[0], headers=headers, json=call[1])
    assert response.status_code in (200, 201, 403), (action, role, response.status_code, response.text)
    if response.status_code == 403:
        assert "only" in response.json()["detail"]
    return response.status_code != 403


def _cli(org, role: str, action: str, case: dict, *, claim: bool = False) -> tuple[bool, str]:
    a, b = case["a"], case["b"]
    args = {
        "acknowledge": ["bottlenecks", "ack", str(a)],
        "resolve": ["bottlenecks", "resolve", str(a)],
        "vendor": ["bottlenecks", "vendor", str(a)],
        "merge": ["bottlenecks", "merge", str(b), str(a)],
        "split": ["bottlenecks", "split", str(a), str(case["a_reports"][-1])],
        "move": ["bottlenecks", "move", str(case["b_report"]), str(a)],
        "report": ["blocker", "report", "The gpu cluster is down again for me too"],
    }[action]
    email = PEOPLE[role]
    who = ["--by", email] if claim else ["--as", email]
    env = {"COLUMNS": "400"} if claim else {"COLUMNS": "400", "FOUNDERMODE_TOKEN": org.tokens[role]}
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args, *who, "--now", str(org.clock.now)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code:
        assert result.exit_code == 1 and "only" in result.output and len(result.output.strip().splitlines()) == 1, result.output
    return result.exit_code == 0, result.output


def test_every_action_as_every_role_is_allowed_or_refused_alike_on_the_cli_and_the_api(org):
    seen = {}
    for action in ACTIONS:
        for role in ROLES:
            outcome = {}
            for surface in ("api", "cli", "cli --by"):
                case = _scenario(org)
                org.clock.now += 60
                if surface == "api":
                    allowed, output = _api(org, role, action, case), ""
                else:
                    allowed, output = _cli(org, role, action, case, claim=surface == "cli --by")
                outcome[surface] = (allowed, _state(org, case), output)
            seen[(action, role)] = outcome
            api, cli, claim = outcome["api"], outcome["cli"], outcome["cli --by"]
            assert api[0] == (action in EXPECTED[role]), (action, role, api)
            assert (cli[0], cli[1]) == (api[0], api[1]), (action, role, cli, api)
            if role == "leader" and action != "report":
                # Lee is not the holder: only a leader's rights would allow it, and a name proves nothing.
                assert not claim[0] and "API token" in claim[2] and "--as" in claim[2], claim
            else:
                assert (claim[0], claim[1]) == (api[0], api[1]), (action, role, claim, api)
    # a refusal leaves the store as it was; an allowed action changes it (the test can tell them apart)
    untouched = _state_signature(seen, "engineer")
    assert len(untouched) == 1, untouched
    assert all(seen[(action, "leader")]["api"][1] not in untouched for action in ACTIONS), seen


def _state_signature(seen: dict, role: str) -> set:
    return {seen[(action, role)]["api"][1] for action in ACTIONS if action != "report"}


def test_cli_refuses_an_unknown_person_and_a_token_that_is_not_theirs(org):
    case = _scenario(org)
    base = ["--db", org.store.url, "--config", str(org.config.path)]
    before = _state(org, case)
    for args, env, expected in [
        (["bottlenecks", "ack", str(case["a"]), "--by", "nobody@example.com"], {}, "nobody known as 'nobody@example.com'"),
        (["bottlenecks", "ack", str(case["a"]), "--as", "grace@example.com"], {"FOUNDERMODE_TOKEN": org.tokens["engineer"]}, "not grace@example.com's"),
        (["bottlenecks", "ack", str(case["a"]), "--as", "grace@example.com"], {}, "needs grace@example.com's API token"),
        (["bottlenecks", "ack", str(case["a"]), "--as", "grace@example.com"], {"FOUNDERMODE_TOKEN": "fm_not-a-token"}, "unknown or revoked API token"),
        (["bottlenecks", "ack", str(case["a"])], {}, "say who acts"),
        (["blocker", "report", "the gpu cluster is down", "--by", "nobody@example.com"], {}, "nobody known as 'nobody@example.com'"),
    ]:
        result = CliRunner().invoke(app, [*base, *args, "--now", str(org.clock.now)], env={"COLUMNS": "400", **env})
        assert result.exit_code == 1 and expected in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output, result.output
    assert _state(org, case) == before
    with org.store.read() as conn:
        from foundermode.sources.identities import find_person

        with pytest.raises(LookupError):
            find_person(conn, "nobody@example.com")
    # a token alone acts as its person, with the API's rights
    result = CliRunner().invoke(app, [*base, "bottlenecks", "ack", str(case["a"]), "--now", str(org.clock.now)], env={"FOUNDERMODE_TOKEN": org.tokens["owner"]})
    assert result.exit_code == 0, result.output
    assert json.loads(CliRunner().invoke(app, [*base, "bottlenecks", "show", str(case["a"]), "--json"]).output)["status"] == "acknowledged"
