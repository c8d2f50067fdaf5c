"""Issue 15: an acknowledged bottleneck still unresolved after stale_after climbs again (the
owner is reminded, then the leader told), and one with no activity for expire_after closes
itself; through the command line, to a real SMTP server (aiosmtpd) on loopback."""
from __future__ import annotations

import json


from foundermode.present.times import duration

from .through_cli import invoke
from .conftest import MONDAY

DAY = 86400

CONFIG = """
[org]
leader = "lead@example.com"

[bottlenecks]
stale_after = "2d"
expire_after = "30d"

[[resources]]
name = "GPU cluster"
aliases = ["gpus"]
keywords = ["cuda", "gpu"]
owner = "grace@example.com"

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "30m"

[[resources.chain]]
notify = "leader"
channels = ["email"]
wait = "2h"
"""



def reminders(smtp, to):
    return [m for m in smtp.messages if m["Subject"].startswith("[foundermode] Still open") and m["To"].addresses[0].addr_spec == to]


def test_acknowledged_but_stale_climbs_again_and_idle_expires(tmp_path, store_url, smtp_server):
    path = tmp_path / "foundermode.toml"
    path.write_text(CONFIG + f"""
[notify.email]
host = "{smtp_server.host}"
port = {smtp_server.port}
sender = "foundermode <fm@example.com>"
""", encoding="utf-8")
    args = ["--db", store_url.replace("postgresql+psycopg://", "postgresql://"), "--config", str(path)]

    invoke(args, "blocker", "report", "The GPU cluster is down, training jobs stuck", "--by", "ada@example.com", "--new-person", "--now", str(MONDAY))
    out = invoke(args, "blocker", "report", "gpu cluster down: my jobs are stuck", "--by", "bob@example.com", "--new-person", "--now", str(MONDAY + 60))
    assert "escalated" in out
    # a second, unrelated bottleneck heard once, and never again
    invoke(args, "blocker", "report", "The office coffee machine leaks onto the floor", "--by", "cy@example.com", "--new-person", "--now", str(MONDAY + 120))
    invoke(args, "tick", "--now", str(MONDAY + 180))
    invoke(args, "bottlenecks", "ack", "1", "--by", "grace@example.com", "--now", str(MONDAY + 600))
    acked = MONDAY + 600

    invoke(args, "tick", "--now", str(acked + 2 * DAY - 60))  # not yet stale
    assert reminders(smtp_server, "grace@example.com") == [] and reminders(smtp_server, "lead@example.com") == []

    invoke(args, "tick", "--now", str(acked + 2 * DAY + 60))
    assert len(reminders(smtp_server, "grace@example.com")) == 1
    assert reminders(smtp_server, "lead@example.com") == []
    invoke(args, "tick", "--now", str(acked + 2 * DAY + 60))  # the same tick again: nothing more
    assert len(reminders(smtp_server, "grace@example.com")) == 1

    invoke(args, "tick", "--now", str(acked + 4 * DAY + 120))
    (leader,) = reminders(smtp_server, "lead@example.com")
    assert "Bottleneck #1" in leader["Subject"] or "#1" in leader["Subject"]
    assert len(reminders(smtp_server, "grace@example.com")) == 1
    sent = len(smtp_server.messages)
    invoke(args, "tick", "--now", str(acked + 4 * DAY + 120))
    invoke(args, "tick", "--now", str(acked + 8 * DAY))  # the chain has climbed as far as it goes
    assert len(smtp_server.messages) == sent

    # the timeline the CLI renders shows both climbs, with their times
    detail = json.loads(invoke(args, "bottlenecks", "show", "1", "--json"))
    kinds = [(e["kind"], e["at"]) for e in detail["timeline"]]
    assert [k for k, _ in kinds if k in ("reminded", "re-escalated")] == ["reminded", "re-escalated"]
    shown = invoke(args, "bottlenecks", "show", "1")
    assert "reminded" in shown and "re-escalated" in shown

    # 30 days with no activity: the coffee machine closes itself, the GPU cluster (active at +4d) stays open
    expiry = MONDAY + 120 + 30 * DAY + 60
    invoke(args, "tick", "--now", str(expiry))
    board = {b["id"]: b["status"] for b in json.loads(invoke(args, "bottlenecks", "--status", "all", "--json", "--now", str(expiry)))}
    assert board[2] == "resolved" and board[1] == "acknowledged"
    coffee = json.loads(invoke(args, "bottlenecks", "show", "2", "--json"))
    (closing,) = [e for e in coffee["timeline"] if e["kind"] == "resolved"]
    assert closing["note"] == f"expired after {duration(30 * DAY)} without activity" and closing["expired"] is True
    assert "expired" in invoke(args, "bottlenecks", "show", "2")  # the table wraps the note
    sent = len(smtp_server.messages)
    invoke(args, "tick", "--now", str(expiry))  # a second tick at the same time: nothing more
    assert len(smtp_server.messages) == sent
    assert [e["kind"] for e in json.loads(invoke(args, "bottlenecks", "show", "2", "--json"))["timeline"]].count("resolved") == 1

    # The GPU cluster, escalated and acknowledged, then left alone for 30 days, closes itself too:
    # nobody unblocked it, so the metrics count it neither as resolved nor in time-to-unblock.
    later = acked + 4 * DAY + 120 + 30 * DAY + 60
    invoke(args, "tick", "--now", str(later))
    assert json.loads(invoke(args, "bottlenecks", "show", "1", "--json"))["status"] == "resolved"
    rows = json.loads(invoke(args, "bottlenecks", "metrics", "--json", "--now", str(later)))
    gpu = next(r for r in rows if r["by"] == "resource" and r["name"] == "GPU cluster")
    assert gpu["resolved"] == 0 and gpu["unblock_median_s"] is None
