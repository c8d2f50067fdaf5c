"""/status: each source's last sync and error, the outbox, the scheduled jobs' last runs: for a leader only."""
from __future__ import annotations

from foundermode.notify.outbox import enqueue
from foundermode.store import jobs
from foundermode.store.schema_sync import sync_sources

from .conftest import NOW


def test_status_page_shows_sources_outbox_and_jobs(org):
    with org.store.write() as conn:
        conn.execute(sync_sources.insert().values(kind="repository", location="/srv/repos/api", last_checked_at=NOW - 120, last_status="failed",
                                                  last_summary=None, last_error="/srv/repos/api: no such folder <b>x</b>", last_error_at=NOW - 120))
        enqueue(conn, channel="email", recipient="ada@example.com", subject="Your week", body="...", payload={}, idempotency_key="brief:t:email:ada", now=NOW - 60)
    jobs.record_finish(org.store, "brief", detail="the brief of 2024-03-18T07:00Z queued for 1 message(s)", now=NOW - 60)
    page = org.client("leader").get("/status")
    assert page.status_code == 200
    html = page.text
    assert "/srv/repos/api" in html and 'data-status="failed"' in html
    assert "no such folder &lt;b&gt;x&lt;/b&gt;" in html  # an error is text, never markup
    assert "1 pending" in html and "oldest waiting since" in html
    assert "queued for 1 message(s)" in html
    for job in ("sync", "tick", "brief"):
        assert f"<td>{job}</td>" in html
    assert org.client("engineer").get("/status").status_code == 403


def test_status_page_says_what_waits_and_what_the_schedule_does_next(org, tmp_path):
    from sqlalchemy import update

    from foundermode.config import load_config
    from foundermode.store.schema_notify import outbox

    path = tmp_path / "scheduled.toml"
    path.write_text(org.config.path.read_text() + '\n[sync]\nevery = "15m"\n\n[brief]\nsend = "mon 08:00"\ntimezone = "UTC"\nmanagers = ["nobody@example.com"]\n', encoding="utf-8")
    org.app.state.config = load_config(path)
    with org.store.write() as conn:
        new = enqueue(conn, channel="email", recipient="lee@example.com", subject="Your week", body="...", payload={}, idempotency_key="brief:r:email:lee", now=NOW - 600)
        conn.execute(update(outbox).where(outbox.c.id == new).values(state="retrying", attempts=2, next_attempt_at=NOW + 300, last_error="smtp: connection refused <i>"))
    jobs.record_finish(org.store, "sync", detail="4 source(s)", now=NOW - 60)
    html = org.client("leader").get("/status").text
    assert f'data-retrying="{new}"' in html and "attempt 2" in html and "connection refused &lt;i&gt;" in html
    schedule = html.split('id="schedule"', 1)[1].split("</ul>", 1)[0]
    assert "every 15 min" in schedule and "next " in schedule  # the last sync plus 15 minutes
    assert "lee@example.com" in schedule  # [org] leader receives the brief
    assert "problem: [brief] managers names nobody@example.com" in schedule
