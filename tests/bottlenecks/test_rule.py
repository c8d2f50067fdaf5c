"""The rule: heard from N distinct people, a bottleneck escalates to its owner once;
the chain climbs when nobody acknowledges; the owner acknowledges, resolves, or hands it to a vendor."""
from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from foundermode.bottlenecks import actions
from foundermode.bottlenecks.board import list_bottlenecks, metrics
from foundermode.bottlenecks.engine import tick
from foundermode.bottlenecks.intake import report
from foundermode.config import load_config
from foundermode.store.schema_bottlenecks import bottleneck_events, escalations
from foundermode.store.schema_notify import outbox

from .conftest import MONDAY, RESOURCES

GPU_1 = "The GPU cluster is down, my training jobs are stuck in the queue"
GPU_2 = "gpu cluster down since this morning: training jobs stuck"
GPU_3 = "Training jobs stuck, the GPU cluster looks down"


def messages(store) -> list[dict]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(outbox.c.channel, outbox.c.recipient, outbox.c.idempotency_key, outbox.c.escalation_id).order_by(outbox.c.id)).mappings()]


def escalation_rows(store) -> list[dict]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(escalations).order_by(escalations.c.id)).mappings()]


def events(store, kind: str) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(bottleneck_events).where(bottleneck_events.c.kind == kind)).scalar()


def test_heard_once_does_not_escalate(store, config):
    result = report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    assert result.opened and result.resource == "GPU cluster" and not result.escalated
    for minute in range(0, 600, 60):
        tick(store, config, MONDAY + minute * 60, deliver=False)
    assert escalation_rows(store) == [] and messages(store) == []


def test_heard_twice_from_the_same_person_does_not_escalate(store, config):
    first = report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    second = report(store, config, text=GPU_2, by="ADA@example.com", now=MONDAY + 60)
    assert second.bottleneck_id == first.bottleneck_id and second.reporters == 1 and not second.escalated
    tick(store, config, MONDAY + 3600, deliver=False)
    assert escalation_rows(store) == [] and messages(store) == []


def test_heard_from_two_people_escalates_exactly_once_however_many_ticks(store, config):
    report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    second = report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY + 60)
    assert second.escalated and second.reporters == 2
    first_batch = messages(store)
    # the invite to owner, both reporters and the leader, then step 1 to the owner by email and Slack
    invites = sorted(m["recipient"] for m in first_batch if ":invite:" in m["idempotency_key"])
    assert [i.split("<")[-1].rstrip(">") for i in invites] == sorted(["grace@example.com", "ada@example.com", "bob@example.com", "lead@example.com"])
    assert sorted((m["channel"], m["recipient"]) for m in first_batch if ":step:" in m["idempotency_key"]) == [("email", "grace@example.com"), ("slack", "grace@example.com")]
    # a third reporter and many ticks within the wait change nothing
    report(store, config, text=GPU_3, by="cy@example.com", now=MONDAY + 120)
    for second_offset in range(180, 1800, 120):
        tick(store, config, MONDAY + second_offset, deliver=False)
    assert len(escalation_rows(store)) == 1
    assert messages(store) == first_batch
    assert events(store, "escalated") == 1


def test_threshold_is_per_resource(store, config):
    texts = ["staging db is read-only, migrations fail", "Staging database read-only: cannot run migrations", "migrations fail: staging db read-only"]
    results = [report(store, config, text=t, by=f"p{i}@example.com", now=MONDAY + i) for i, t in enumerate(texts)]
    assert len({r.bottleneck_id for r in results}) == 1 and results[0].resource == "Staging database"
    assert [r.escalated for r in results] == [False, False, True]  # threshold = 3


def test_unacknowledged_steps_advance_after_their_wait_and_repeat(store, config):
    report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY)
    step_keys = lambda: sorted(m["idempotency_key"].split(":step:")[1] for m in messages(store) if ":step:" in m["idempotency_key"])  # noqa: E731
    assert step_keys() == ["0:repeat:0:email", "0:repeat:0:slack"]
    tick(store, config, MONDAY + 29 * 60, deliver=False)  # before the wait: nothing
    assert len(step_keys()) == 2
    tick(store, config, MONDAY + 30 * 60, deliver=False)  # repeat = 1: the owner is asked again
    assert step_keys()[2:] == ["0:repeat:1:email", "0:repeat:1:slack"]
    tick(store, config, MONDAY + 60 * 60, deliver=False)  # then the leader, by email and webhook
    assert step_keys()[4:] == ["1:repeat:0:email", "1:repeat:0:webhook"]
    leader = [m for m in messages(store) if m["idempotency_key"].endswith("1:repeat:0:email")]
    assert leader[0]["recipient"] == "lead@example.com"
    tick(store, config, MONDAY + 3 * 3600 + 60, deliver=False)  # the chain is spent
    (row,) = escalation_rows(store)
    assert row["status"] == "exhausted" and row["holder"] == "lead@example.com"
    before = len(messages(store))
    tick(store, config, MONDAY + 10 * 3600, deliver=False)
    assert len(messages(store)) == before


def test_acknowledged_chain_stops_climbing(store, config):
    report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    result = report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY)
    with store.read() as conn:
        from foundermode.sources.identities import find_person

        grace = find_person(conn, "grace@example.com")
    actions.acknowledge(store, config, result.bottleneck_id, grace, MONDAY + 600, enforce=True)
    before = len(messages(store))
    tick(store, config, MONDAY + 5 * 3600, deliver=False)
    assert len(messages(store)) == before
    (row,) = escalation_rows(store)
    assert row["status"] == "acknowledged" and row["acknowledged_at"] == MONDAY + 600
    with store.read() as conn:
        (listed,) = list_bottlenecks(conn, MONDAY + 700)
    assert listed["status"] == "acknowledged" and listed["holder"] == "grace@example.com" and listed["age_s"] == 700


def test_blocked_on_vendor_starts_the_vendor_chain_and_metrics_time_it(store, config):
    report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    bid = report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY + 300).bottleneck_id
    actions.blocked_on_vendor(store, config, bid, None, MONDAY + 900)
    rows = escalation_rows(store)
    assert [(r["chain_name"], r["status"]) for r in rows] == [("GPU cluster", "acknowledged"), ("Acme Cloud", "active")]
    vendor_mail = [m for m in messages(store) if m["escalation_id"] == rows[1]["id"]]
    assert [(m["channel"], m["recipient"]) for m in vendor_mail] == [("email", "support@acme.example")]
    tick(store, config, MONDAY + 900 + 4 * 3600, deliver=False)  # the contact did not answer: the executive
    assert [m["recipient"] for m in messages(store) if m["escalation_id"] == rows[1]["id"]] == ["support@acme.example", "cto@acme.example"]
    actions.acknowledge(store, config, bid, None, MONDAY + 6 * 3600, vendor=True)
    actions.resolve(store, config, bid, None, MONDAY + 8 * 3600)
    with store.read() as conn:
        figures = {(m["by"], m["name"]): m for m in metrics(conn, MONDAY + 9 * 3600)}
    assert figures[("resource", "GPU cluster")]["ack_median_s"] == 600  # escalated at +300, handed on at +900
    assert figures[("owner", "grace@example.com")]["unblock_median_s"] == 8 * 3600  # from the first report
    assert figures[("vendor", "Acme Cloud")]["ack_median_s"] == 6 * 3600 - 900
    assert figures[("vendor", "Acme Cloud")]["unblock_median_s"] == 8 * 3600 - 900
    before = len(messages(store))
    tick(store, config, MONDAY + 3 * 86400, deliver=False)
    assert len(messages(store)) == before  # resolved: nothing more


def test_the_chain_is_snapshotted_when_the_escalation_starts(store, write_config):
    config = write_config()
    report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY)
    report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY)
    edited = write_config(resources=RESOURCES.replace('notify = "leader"', 'notify = "someone-else@example.com"'))
    tick(store, edited, MONDAY + 1800, deliver=False)
    tick(store, edited, MONDAY + 3600, deliver=False)
    recipients = {m["recipient"] for m in messages(store) if ":step:1:" in m["idempotency_key"]}
    assert recipients == {"lead@example.com"}
    (row,) = escalation_rows(store)
    assert json.loads(row["chain"])["steps"][1]["to"] == "lead@example.com"


def test_a_bottleneck_no_resource_claims_goes_to_the_leader(store, config):
    report(store, config, text="The design review for the billing page keeps being postponed", by="ada@example.com", now=MONDAY)
    result = report(store, config, text="Billing page design review postponed again", by="bob@example.com", now=MONDAY)
    assert result.escalated and result.resource is None
    (row,) = escalation_rows(store)
    assert row["kind"] == "leader" and row["holder"] == "lead@example.com"


def test_two_ticks_at_once_send_nothing_twice(store, config):
    bottleneck_ids = []
    for n, (a, b) in enumerate([(GPU_1, GPU_2), ("staging db is read-only", "staging db read-only again")]):
        bottleneck_ids.append(report(store, config, text=a, by=f"a{n}@example.com", now=MONDAY).bottleneck_id)
        report(store, config, text=b, by=f"b{n}@example.com", now=MONDAY)
    # lower the staging threshold afterwards: the tick's own rule pass must escalate it, once
    config = load_config(config.path)
    config.raw["resources"][1]["threshold"] = 2
    for moment in (MONDAY + 1800, MONDAY + 3600, MONDAY + 3 * 3600):
        errors = []

        def run():
            try:
                tick(store, config, moment, deliver=False)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    keys = [m["idempotency_key"] for m in messages(store)]
    assert len(keys) == len(set(keys))
    rows = escalation_rows(store)
    assert sorted(r["chain_name"] for r in rows) == ["GPU cluster", "Staging database"]
    assert events(store, "escalated") == 2
    gpu = next(r for r in rows if r["chain_name"] == "GPU cluster")
    # owner twice (repeat), leader once: each step exactly once, whatever the number of ticks
    assert sorted(k.split(":step:")[1] for k in keys if k.startswith(f"bottleneck:{gpu['bottleneck_id']}:") and ":step:" in k) == [
        "0:repeat:0:email", "0:repeat:0:slack", "0:repeat:1:email", "0:repeat:1:slack", "1:repeat:0:email", "1:repeat:0:webhook"]


def test_a_bottleneck_about_a_vendor_climbs_the_vendor_chain(store, config):
    report(store, config, text="Acme Cloud object storage returns 503 on every upload", by="ada@example.com", now=MONDAY)
    result = report(store, config, text="uploads to acme object storage fail with 503", by="bob@example.com", now=MONDAY)
    assert result.escalated and result.resource == "Acme Cloud"
    (row,) = escalation_rows(store)
    assert (row["kind"], row["holder"]) == ("vendor", "support@acme.example")
    assert events(store, "escalated") == 1 and events(store, "vendor") == 0
