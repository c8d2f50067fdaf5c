"""Grouping: a report joins the open bottleneck it is about; leader corrections are kept."""
from __future__ import annotations

from sqlalchemy import select

from foundermode.bottlenecks import actions
from foundermode.bottlenecks.grouping import ONE_WORD_FACTOR, Candidate, choose, forget, maybe_same
from foundermode.bottlenecks.intake import report
from foundermode.store.schema_bottlenecks import blocker_reports, bottlenecks

from .conftest import MONDAY


def placement(store) -> dict[int, int]:
    with store.read() as conn:
        return dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.bottleneck_id)).all())


def test_choose_applies_threshold_and_resource():
    near = Candidate(1, None, 0.30, 10)
    same_resource = Candidate(2, "CI", 0.23, 11)
    other_resource = Candidate(3, "GPU cluster", 0.90, 12)
    assert choose([near], None, 0.25) == near
    assert choose([Candidate(1, None, 0.20, 10)], None, 0.25) is None
    assert choose([same_resource], "CI", 0.25) == same_resource  # a little less is enough for the same resource
    assert choose([other_resource, same_resource], "CI", 0.25) == same_resource  # never another resource's bottleneck
    assert choose([other_resource], "CI", 0.25) is None
    one_word = Candidate(4, None, 0.30, 13, shared_words=1)  # above the threshold on one shared word alone
    assert choose([one_word], None, 0.25) is None
    assert choose([Candidate(4, None, 0.25 * ONE_WORD_FACTOR, 13, shared_words=1)], None, 0.25) is not None
    assert choose([Candidate(4, "CI", 0.23, 13, shared_words=1)], "CI", 0.25) is not None  # the shared resource is evidence enough


def test_two_reports_sharing_one_word_are_two_bottlenecks_but_maybe_the_same(store, config):
    """'floor' alone (rare in a small index) scored above the threshold and merged a leaking coffee machine with a door badge."""
    coffee = report(store, config, text="The office coffee machine leaks water all over the kitchen floor", by="a@example.com", now=MONDAY)
    badge = report(store, config, text="My door badge stopped opening the third floor meeting rooms", by="b@example.com", now=MONDAY + 60)
    assert coffee.bottleneck_id != badge.bottleneck_id and badge.opened
    with store.read() as conn:
        assert [m["id"] for m in maybe_same(conn, badge.bottleneck_id)] == [coffee.bottleneck_id]


def test_reports_about_different_things_open_different_bottlenecks(store, config):
    a = report(store, config, text="CI pipeline is red on main because the docker registry times out", by="a@example.com", now=MONDAY)
    b = report(store, config, text="The GPU cluster has no free nodes, jobs wait for hours", by="b@example.com", now=MONDAY)
    c = report(store, config, text="docker registry timing out, CI red on main", by="c@example.com", now=MONDAY)
    d = report(store, config, text="no free GPU nodes: my jobs wait for hours", by="d@example.com", now=MONDAY)
    assert a.bottleneck_id == c.bottleneck_id != b.bottleneck_id == d.bottleneck_id
    assert a.opened and b.opened and not c.opened and not d.opened


def test_a_resolved_bottleneck_takes_no_new_reports(store, config):
    first = report(store, config, text="The GPU cluster is down again", by="a@example.com", now=MONDAY)
    actions.resolve(store, config, first.bottleneck_id, None, MONDAY + 60)
    again = report(store, config, text="GPU cluster is down again", by="b@example.com", now=MONDAY + 120)
    assert again.opened and again.bottleneck_id != first.bottleneck_id


def test_leader_corrections_are_kept_by_later_grouping(store, config):
    gpu = [report(store, config, text=t, by=f"p{i}@example.com", now=MONDAY + i) for i, t in enumerate([
        "GPU cluster quota is too small for the new model",
        "GPU cluster quota too small for training the new model",
    ])]
    ci = report(store, config, text="flaky integration tests block every merge", by="q@example.com", now=MONDAY + 5)
    # split the second quota report out, move the CI report in, then merge: each correction stays put
    new_id = actions.split(store, config, gpu[0].bottleneck_id, [gpu[1].report_id], None, MONDAY + 10)
    actions.move(store, config, ci.report_id, gpu[0].bottleneck_id, None, MONDAY + 20)
    with store.read() as conn:
        status = dict(conn.execute(select(bottlenecks.c.id, bottlenecks.c.status)).all())
    assert status[ci.bottleneck_id] == "merged"  # emptied by the move
    forget(store.url)  # as if another process grouped the next reports
    later = report(store, config, text="flaky integration tests block merges again", by="r@example.com", now=MONDAY + 30)
    now_placed = placement(store)
    assert now_placed[gpu[1].report_id] == new_id
    assert now_placed[ci.report_id] == gpu[0].bottleneck_id
    assert later.bottleneck_id == gpu[0].bottleneck_id  # it joins where the leader put its twin
    actions.merge(store, config, new_id, gpu[0].bottleneck_id, None, MONDAY + 40)
    assert set(placement(store).values()) == {gpu[0].bottleneck_id}
    with store.read() as conn:
        pinned = dict(conn.execute(select(blocker_reports.c.id, blocker_reports.c.pinned)).all())
    assert pinned[gpu[1].report_id] and pinned[ci.report_id] and not pinned[gpu[0].report_id]


def test_a_merge_that_brings_two_people_together_escalates(store, config):
    a = report(store, config, text="Cannot log into the VPN from the new laptops", by="a@example.com", now=MONDAY)
    b = report(store, config, text="Expense reports are rejected by the finance tool", by="b@example.com", now=MONDAY)
    assert a.bottleneck_id != b.bottleneck_id and not (a.escalated or b.escalated)
    actions.merge(store, config, b.bottleneck_id, a.bottleneck_id, None, MONDAY + 60)
    with store.read() as conn:
        assert conn.execute(select(bottlenecks.c.status).where(bottlenecks.c.id == a.bottleneck_id)).scalar() == "escalated"


def test_the_same_external_id_is_one_report(store, config):
    first = report(store, config, text="VPN drops every hour", by="a@example.com", source="api", external_id="k-1", now=MONDAY)
    again = report(store, config, text="VPN drops every hour", by="a@example.com", source="api", external_id="k-1", now=MONDAY + 5)
    assert again.duplicate and again.report_id == first.report_id
    assert len(placement(store)) == 1


def test_the_index_counts_shared_words_as_the_pairwise_rule_does():
    """ONE_WORD_FACTOR reads shared words from the index's own features; the bench reads them from the two texts."""
    from foundermode.bottlenecks.matching import LexicalIndex, shared_words

    texts = ["The office coffee machine leaks water all over the kitchen floor", "CI runners are stuck, the pipeline queue is an hour long",
             "the ci pipeline runners are stuck in the queue"]
    index = LexicalIndex()
    index.add_many(enumerate(texts))
    query = "My door badge stopped opening the third floor meeting rooms; the queue for the lift is long"
    counts = index.shared_words(query, [0, 1, 2, 99])
    assert counts == {k: shared_words(query, t) for k, t in enumerate(texts)} == {0: 1, 1: 2, 2: 1}
