"""Issue 15: a stale acknowledged bottleneck climbs to the leader only if there is one: with no
[org] leader the timeline must not say "re-escalated" for a message nobody was sent."""
from __future__ import annotations

from foundermode.bottlenecks import actions
from foundermode.bottlenecks.board import bottleneck_detail
from foundermode.bottlenecks.engine import tick
from foundermode.bottlenecks.intake import report
from foundermode.sources.identities import find_person

from .conftest import MONDAY

DAY = 86400

NO_LEADER = """
[bottlenecks]
stale_after = "2d"

[[resources]]
name = "GPU cluster"
keywords = ["cuda", "gpu"]
owner = "grace@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "30m"
"""


def test_no_leader_means_no_re_escalation_on_the_timeline(store, write_config):
    config = write_config(resources=NO_LEADER)
    bottleneck_id = report(store, config, text="The GPU cluster is down, training jobs stuck", by="ada@example.com", now=MONDAY).bottleneck_id
    assert report(store, config, text="gpu cluster down: my cuda jobs are stuck", by="bob@example.com", now=MONDAY + 60).escalated
    with store.read() as conn:
        grace = find_person(conn, "grace@example.com")
    acked = MONDAY + 600
    actions.acknowledge(store, config, bottleneck_id, grace, acked)
    tick(store, config, acked + 2 * DAY + 60, deliver=False)  # the owner is reminded: she is there to tell
    tick(store, config, acked + 4 * DAY + 120, deliver=False)  # the leader's turn, but there is none
    tick(store, config, acked + 8 * DAY, deliver=False)
    with store.read() as conn:
        timeline = bottleneck_detail(conn, bottleneck_id)["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("reminded") == 1 and "re-escalated" not in kinds
    (unreached,) = [e for e in timeline if e["kind"] == "unreached"]
    assert unreached["meant"] == "re-escalated" and "no leader" in unreached["note"]
    reminder = next(e for e in timeline if e["kind"] == "reminded")
    assert reminder["to"] == "grace@example.com" and reminder["messages"] == 1
    assert [e["to"] for e in timeline if e["kind"] == "queued" and e["what"] == "bottleneck.reminded"] == ["grace@example.com"]


LEADER_TOO = NO_LEADER.replace("[bottlenecks]", '[org]\nleader = "lead@example.com"\n\n[bottlenecks]')


def test_acknowledged_again_after_the_reminder_holds_for_stale_after_from_then(store, write_config):
    """The owner answers the reminder by acknowledging again: the leader is told stale_after after
    that answer, not after the first acknowledgement; the time-to-acknowledge keeps the first."""
    config = write_config(resources=LEADER_TOO)
    bottleneck_id = report(store, config, text="The GPU cluster is down, training jobs stuck", by="ada@example.com", now=MONDAY).bottleneck_id
    assert report(store, config, text="gpu cluster down: my cuda jobs are stuck", by="bob@example.com", now=MONDAY + 60).escalated
    with store.read() as conn:
        grace = find_person(conn, "grace@example.com")
    acked = MONDAY + 600
    actions.acknowledge(store, config, bottleneck_id, grace, acked)
    assert list(tick(store, config, acked + 2 * DAY, deliver=False).restaled.values()) == ["reminded"]
    again = acked + 2 * DAY + 3600
    actions.acknowledge(store, config, bottleneck_id, grace, again)
    assert not tick(store, config, acked + 4 * DAY, deliver=False).restaled  # the first acknowledgement's time: nothing
    assert not tick(store, config, again + 2 * DAY - 1, deliver=False).restaled
    assert list(tick(store, config, again + 2 * DAY, deliver=False).restaled.values()) == ["re-escalated"]
    assert not tick(store, config, again + 6 * DAY, deliver=False).restaled  # the climb ends at the leader
    with store.read() as conn:
        detail = bottleneck_detail(conn, bottleneck_id)
    climbs = [(e["kind"], e["at"]) for e in detail["timeline"] if e["kind"] in ("acknowledged", "reminded", "re-escalated")]
    assert [k for k, _ in climbs] == ["acknowledged", "reminded", "acknowledged", "re-escalated"]
    renewed = [e for e in detail["timeline"] if e["kind"] == "acknowledged"][1]
    assert renewed["again"] is True
    (escalation_row,) = detail["escalations"]
    assert escalation_row["acknowledged_at"] == climbs[0][1]  # the first answer, for time-to-acknowledge
    # a second acknowledgement after the climb ended (nothing pending) only goes on the timeline
    actions.acknowledge(store, config, bottleneck_id, grace, again + 7 * DAY)
    assert not tick(store, config, again + 20 * DAY, deliver=False).restaled
