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
