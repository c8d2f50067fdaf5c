"""Where a bottleneck was heard, on the web (board and bottleneck page) and in the brief."""
from __future__ import annotations

from foundermode.bottlenecks.heard import Said, hear


def test_board_page_and_brief_show_where_it_was_heard(org):
    said = [
        Said("We're blocked on the GPU cluster, cuda jobs never start.", "slack", "slack", "C01:1710151200.000100", org.clock.now - 600,
             where="#infra", link="https://acme.slack.com/archives/C01/p1710151200000100", person_id=org.ids["ada"]),
        Said("Still waiting on the GPU cluster, cuda queue is stuck.", "meeting", "transcript", "occurrence:1:cue:4", org.clock.now - 300,
             where="Platform stand-up 00:01:02", link="javascript:alert(1)", person_id=org.ids["engineer"]),
    ]
    heard = hear(org.store, org.config, said, now=org.clock.now).summary()
    assert heard["reports"] == 2 and heard["escalated"] == 1
    (bottleneck_id,) = heard["bottlenecks"]
    client = org.client("leader")
    page = client.get(f"/bottlenecks/{bottleneck_id}").text
    assert 'heard: Slack (<a href="https://acme.slack.com/archives/C01/p1710151200000100" rel="noopener noreferrer">#infra</a>)' in page
    assert "heard: meeting (Platform stand-up 00:01:02)" in page and "javascript:" not in page  # a link that is not http(s) is not a link
    assert "heard where: Platform stand-up 00:01:02" in page  # the cue time on the timeline
    board = client.get("/bottlenecks").text
    assert '<td class="heard">Slack, meeting</td>' in board
    # the brief shows the board as it stood at its window's end (issue 15): these were heard after
    # the last commit, so the window runs to now
    brief = client.get("/api/brief?until=now", headers=org.bearer("leader"))
    assert brief.status_code == 200
    assert '"heard":["Slack","meeting"]' in brief.text.replace(" ", "")
