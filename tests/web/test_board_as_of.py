"""Issue 15 on the web: ?until= shows the board as it stood then (scope.py's grammar, a bad value is
a 400), and a bottleneck whose owner has not been reached carries a flag and a visible marker."""
from __future__ import annotations

import html

from foundermode.bottlenecks import actions
from foundermode.scope import stamp

from .conftest import XSS


def test_board_until_shows_the_past_and_flags_the_unreached_owner(org):
    bottleneck_id = org.escalated_gpu_bottleneck(f"the gpu cluster is down {XSS}")
    escalated_at = org.clock.now
    org.clock.now += 3600
    actions.resolve(org.store, org.config, bottleneck_id, org.ids["leader"], org.clock.now)
    org.clock.now += 60
    later = org.report("ada", "The office coffee machine leaks water all over the kitchen floor").bottleneck_id
    api = org.bearer("leader")

    live = org.client().get("/api/board", headers=api).json()
    assert live["as_of"] is None and [b["id"] for b in live["bottlenecks"]] == [later]

    then = escalated_at + 1800  # epoch seconds: one of scope.py's forms
    past = org.client().get(f"/api/board?until={then}", headers=api).json()
    assert past["as_of"] == then
    (row,) = past["bottlenecks"]
    assert row["id"] == bottleneck_id and row["status"] == "escalated" and row["level"] == "GPU cluster 1/1"
    assert row["owner"] == "grace@example.com" and row["owner_reached"] is False  # queued; nothing was delivered
    # the same moment as an ISO date-time, on the bottlenecks API too
    iso_then = stamp(then).replace(" ", "T")
    listed = org.client().get(f"/api/bottlenecks?until={iso_then}", headers=api).json()
    assert [(b["id"], b["status"], b["age_s"]) for b in listed] == [(bottleneck_id, "escalated", then - row_opened(org, bottleneck_id))]

    bad = org.client().get("/api/board?until=yesterday-ish", headers=api)
    assert bad.status_code == 400 and "not a date" in bad.json()["detail"]
    assert org.client("leader").get("/bottlenecks?until=yesterday-ish").status_code == 400

    page = org.client("leader").get(f"/bottlenecks?until={then}").text
    assert f'data-bottleneck="{bottleneck_id}"' in page and f'data-bottleneck="{later}"' not in page
    assert "owner not reached" in page and "data-unreached" in page and "as it stood at" in page
    assert XSS not in page and html.escape(XSS) in page  # the title is escaped
    live_page = org.client("leader").get("/bottlenecks").text
    assert f'data-bottleneck="{later}"' in live_page and "data-unreached" not in live_page  # not escalated: nobody to reach


def row_opened(org, bottleneck_id) -> int:
    from sqlalchemy import select

    from foundermode.store.schema_bottlenecks import bottlenecks

    with org.store.read() as conn:
        return conn.execute(select(bottlenecks.c.opened_at).where(bottlenecks.c.id == bottleneck_id)).scalar()
