"""Issue 15: the board as it stood at a moment (a past window's end), rebuilt from the timeline:
a bottleneck resolved after the moment shows open then, with its level, holder and age then;
one opened after it is absent; a merge after it has not happened yet. On SQLite and PostgreSQL."""
from __future__ import annotations

from foundermode import scope
from foundermode.bottlenecks import actions
from foundermode.bottlenecks.board import list_bottlenecks
from foundermode.bottlenecks.engine import tick
from foundermode.bottlenecks.intake import report
from foundermode.brief.inputs import bottlenecks_view
from foundermode.sources.identities import find_person

from .conftest import MONDAY

HOUR = 3600
GPU_1 = "The GPU cluster is down, my training jobs are stuck in the queue"
GPU_2 = "gpu cluster down since this morning: training jobs stuck"
STAGING = "staging db is read-only, migrations fail"
COFFEE = "The office coffee machine leaks water all over the kitchen floor"
BADGE = "My door badge stopped opening the third floor meeting rooms"


def history(store, config) -> dict:
    """GPU cluster: heard at +0 and +60 (escalated to Grace), repeated at +31m, the leader's step at +61m,
    Grace acknowledges at +2h, resolves at +3h. Staging: heard once at +5m. Coffee (+3h) and badge
    (+3h01) are opened later; the badge is merged into the coffee at +4h (which then escalates)."""
    gpu = report(store, config, text=GPU_1, by="ada@example.com", now=MONDAY).bottleneck_id
    assert report(store, config, text=GPU_2, by="bob@example.com", now=MONDAY + 60).escalated
    staging = report(store, config, text=STAGING, by="cy@example.com", now=MONDAY + 300).bottleneck_id
    tick(store, config, MONDAY + 60 + 30 * 60, deliver=False)  # repeat of step 1
    tick(store, config, MONDAY + 60 + 60 * 60, deliver=False)  # step 2: the leader
    with store.read() as conn:
        grace = find_person(conn, "grace@example.com")
    actions.acknowledge(store, config, gpu, grace, MONDAY + 2 * HOUR)
    actions.resolve(store, config, gpu, grace, MONDAY + 3 * HOUR)
    coffee = report(store, config, text=COFFEE, by="dan@example.com", now=MONDAY + 3 * HOUR).bottleneck_id
    badge = report(store, config, text=BADGE, by="eve@example.com", now=MONDAY + 3 * HOUR + 60).bottleneck_id
    assert len({gpu, staging, coffee, badge}) == 4
    actions.merge(store, config, badge, coffee, None, MONDAY + 4 * HOUR)
    return {"gpu": gpu, "staging": staging, "coffee": coffee, "badge": badge}


def board_at(store, moment, status="open", now=MONDAY + 10 * HOUR):
    with store.read() as conn:
        return {b["id"]: b for b in list_bottlenecks(conn, now, status=status, as_of=moment)}


def test_the_board_as_it_stood_at_each_moment(store, config):
    ids = history(store, config)
    gpu, staging, coffee, badge = ids["gpu"], ids["staging"], ids["coffee"], ids["badge"]

    first = board_at(store, MONDAY + 30)  # heard once: not yet escalated, staging not yet heard
    assert list(first) == [gpu]
    assert (first[gpu]["status"], first[gpu]["level"], first[gpu]["holder"], first[gpu]["age_s"], first[gpu]["people"]) == ("open", "reported", None, 30, 1)
    assert first[gpu]["owner_reached"] is None  # nobody was meant to be told yet

    escalated = board_at(store, MONDAY + 1800)
    assert list(escalated) == [gpu, staging]
    assert (escalated[gpu]["status"], escalated[gpu]["level"], escalated[gpu]["holder"], escalated[gpu]["people"]) == ("escalated", "GPU cluster 1/2", "grace@example.com", 2)
    assert escalated[gpu]["age_s"] == 1800 and escalated[staging]["age_s"] == 1500
    assert escalated[gpu]["owner"] == "grace@example.com" and escalated[gpu]["owner_reached"] is False  # queued, never delivered

    climbed = board_at(store, MONDAY + 60 + 60 * 60 + 10)
    assert (climbed[gpu]["level"], climbed[gpu]["holder"]) == ("GPU cluster 2/2", "lead@example.com")

    acknowledged = board_at(store, MONDAY + 2 * HOUR + 10)
    assert (acknowledged[gpu]["status"], acknowledged[gpu]["level"], acknowledged[gpu]["holder"]) == ("acknowledged", "GPU cluster 2/2 acknowledged", "grace@example.com")

    # resolved since: gone from the open board, on the full one with the age it had when resolved
    after = board_at(store, MONDAY + 3 * HOUR + 120)
    assert gpu not in after and set(after) == {staging, coffee, badge}
    assert after[badge]["status"] == "open" and after[badge]["people"] == 1  # not merged yet
    assert after[coffee]["people"] == 1 and after[coffee]["level"] == "reported"
    everything = board_at(store, MONDAY + 3 * HOUR + 120, status="all")
    assert (everything[gpu]["status"], everything[gpu]["age_s"]) == ("resolved", 3 * HOUR)
    assert set(board_at(store, MONDAY + 3 * HOUR + 120, status="resolved")) == {gpu}

    # the merge: the badge's report is now the coffee's, which escalated on the leader's chain
    merged = board_at(store, MONDAY + 4 * HOUR + 10, status="all")
    assert merged[badge]["status"] == "merged" and merged[badge]["people"] == 0
    assert merged[coffee]["people"] == 2 and merged[coffee]["status"] == "escalated"
    assert after[badge]["people"] == 1  # ...which the earlier moment did not know


def test_as_of_now_is_the_live_board(store, config):
    """Rebuilt from the timeline at the present moment, the board is exactly the live one."""
    history(store, config)
    now = MONDAY + 10 * HOUR
    with store.read() as conn:
        for status in ("all", "open", "merged", "resolved"):
            assert list_bottlenecks(conn, now, status=status, as_of=now) == list_bottlenecks(conn, now, status=status)
        assert list_bottlenecks(conn, now, as_of=now + 86400) == list_bottlenecks(conn, now)  # a later moment is now


def test_the_brief_of_a_past_window_shows_its_end(store, config):
    ids = history(store, config)
    with store.read() as conn:
        window = scope.resolve(conn, since=MONDAY - 86400, until=MONDAY + 1800, report="brief")
        view = bottlenecks_view(conn, window, window.until)
    assert [(b.id, b.status, b.level, b.escalated_to, b.age_seconds) for b in view.open] == [
        (ids["gpu"], "escalated", "GPU cluster 1/2", "grace@example.com", 1800),
        (ids["staging"], "open", "reported", None, 1500),
    ]
    assert view.open[0].owner_reached is False
    assert len(view.open[0].report_ids) == 2 and len(view.open[1].report_ids) == 1
