"""A meeting transcript heard for blockers: two attendees blocked on the same resource open and
escalate one bottleneck, with the cue times on its timeline."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from typer.testing import CliRunner

from foundermode.bottlenecks import board
from foundermode.bottlenecks.heard import hear_transcript
from foundermode.meetings.transcripts import import_transcripts
from foundermode.store.schema_bottlenecks import escalations

try:
    from tests.meetings.transcript_helpers import add_people, add_series
except ImportError:  # run from inside tests/
    from meetings.transcript_helpers import add_people, add_series
from .conftest import MONDAY

STANDUP_START = MONDAY - 3600  # 09:00

VTT = """WEBVTT

00:00:05.000 --> 00:00:09.500
<v Ada Lovelace>Morning. Yesterday I finished the tokenizer.</v>

00:00:09.500 --> 00:00:14.000
<v Ada Lovelace>Today I'm blocked on the GPU cluster, the cuda jobs</v>

00:00:14.000 --> 00:00:16.000
<v Ada Lovelace>never leave the queue.</v>

00:01:02.000 --> 00:01:07.000
<v Bob Builder>Same here, we're stuck waiting on the GPU cluster since Friday.</v>

00:01:07.000 --> 00:01:10.000
<v Bob Builder>Anyway, the login page is done.</v>

00:02:30.000 --> 00:02:36.000
<v Grace Hopper>Are you waiting on the cluster queue or on the nodes?</v>
"""


def test_two_attendees_blocked_on_one_resource_escalate_one_bottleneck(store, config, tmp_path):
    with store.write() as conn:
        ids = add_people(conn, {"Ada Lovelace": "ada@example.com", "Bob Builder": "bob@example.com", "Grace Hopper": "grace@example.com"})
        (occurrence,) = add_series(conn, "Platform stand-up", STANDUP_START, 1, {pid: "ACCEPTED" for pid in ids.values()}, ids["Grace Hopper"], length=900)
    path = tmp_path / "standup.vtt"
    path.write_text(VTT, encoding="utf-8")
    import_transcripts(store, [path], config, occurrence_ids=[occurrence])

    heard = hear_transcript(store, config, occurrence, now=MONDAY).summary()
    assert (heard["reports"], heard["bottlenecks_opened"], heard["escalated"]) == (2, 1, 1)
    assert heard["to_confirm"] == 0  # Grace's question is not heard as a blocker
    (bottleneck_id,) = heard["bottlenecks"]
    with store.read() as conn:
        detail = board.bottleneck_detail(conn, bottleneck_id)
        assert len(conn.execute(select(escalations.c.id)).all()) == 1
    assert detail["resource"] == "GPU cluster" and detail["status"] == "escalated"
    reported = [e for e in detail["timeline"] if e["kind"] == "reported"]
    iso = lambda s: dt.datetime.fromtimestamp(STANDUP_START + s, dt.timezone.utc).isoformat()
    assert [(e["person"], e["at"], e["heard_where"]) for e in reported] == [
        ("Ada Lovelace", iso(9), "Platform stand-up 00:00:09"),
        ("Bob Builder", iso(62), "Platform stand-up 00:01:02"),
    ]
    # Ada's turn ran over three cues: it is heard as one statement.
    assert [r["text"] for r in detail["reports"]][0] == "Today I'm blocked on the GPU cluster, the cuda jobs never leave the queue."

    # Heard again (from the command line): nothing added.
    from foundermode.cli import app

    db = store.url
    result = CliRunner().invoke(app, ["--db", db, "--config", str(config.path), "heard", "meeting", str(occurrence), "--json", "--now", str(MONDAY + 60)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["reports"] == 0
