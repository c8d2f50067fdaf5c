"""``foundermode serve``: uvicorn on loopback, and the escalation tick in the background loop."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from conftest import free_port

from .conftest import CONFIG


def test_serve_answers_health_and_sends_anonymous_pages_to_sign_in(tmp_path):
    (tmp_path / "foundermode.toml").write_text(CONFIG, encoding="utf-8")
    port = free_port()
    exe = Path(sys.executable).parent / "foundermode"
    env = {**os.environ, "FOUNDERMODE_SECRET_KEY": "serve-test", "FM_WEB_TEST_SLACK": "x"}
    server = subprocess.Popen([str(exe), "--db", f"sqlite:///{tmp_path / 'fm.db'}", "serve", "--port", str(port), "--no-tick"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(base + "/health", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read().decode(errors="replace")
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "store": "sqlite"}
        page = httpx.get(base + "/team", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/team"
        assert httpx.get(base + "/api/team").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_background_tick_moves_due_escalations(store, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from foundermode.bottlenecks.intake import report
    from foundermode.cli.web import build_app
    from foundermode.config import load_config
    from foundermode.sources.identities import IdentityResolver
    from foundermode.store.schema_bottlenecks import bottleneck_events

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "tick-test")
    path = tmp_path / "foundermode.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        ada, bob = (resolver.person_for("", e, source="manual") for e in ("ada@example.com", "bob@example.com"))
    three_hours_ago = int(time.time()) - 3 * 3600  # the owner step waits 2 h: due now
    report(store, config, text="the gpu cluster is down", person_id=ada, source="api", now=three_hours_ago)
    assert report(store, config, text="gpu cluster down, cuda fails", person_id=bob, source="api", now=three_hours_ago + 60).escalated

    def events():
        with store.read() as conn:
            return conn.execute(select(func.count()).select_from(bottleneck_events)).scalar()

    before = events()
    app = build_app(config, store.engine.url.render_as_string(hide_password=False), tick_every=0.2)
    with TestClient(app):  # the lifespan starts the tick loop
        deadline = time.monotonic() + 30
        while events() == before and time.monotonic() < deadline:
            time.sleep(0.1)
    assert events() > before, "the background tick did not advance the due escalation"
    with store.read() as conn:
        kinds = [k for (k,) in conn.execute(select(bottleneck_events.c.kind).order_by(bottleneck_events.c.id))]
    assert kinds[-1] in ("queued", "sent", "failed", "dead", "step", "exhausted"), kinds


def test_serve_brings_the_team_summaries_up_to_date_after_an_ingest(store, make_repo, tmp_path, monkeypatch):
    """An ingest leaves the whole-history summaries stale; the server's background loop refreshes them."""
    from fastapi.testclient import TestClient

    from foundermode.cli.web import build_app
    from foundermode.config import load_config
    from foundermode.ingest import ingest_repository
    from foundermode.team.summary import Freshness

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "summaries-test")
    path = tmp_path / "foundermode.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    repo = make_repo("served")
    repo.commit({"src/a.py": "a\n" * 5}, author=("Ada", "ada@example.com"))
    repo.commit({"src/a.py": "a\n" * 9, "docs/b.md": "b\n"}, author=("Bob", "bob@example.com"))
    ingest_repository(store, repo.path, config)

    def fresh() -> bool:
        with store.read() as conn:
            return Freshness(conn).all_fresh()

    assert not fresh()
    app = build_app(config, store.engine.url.render_as_string(hide_password=False), summaries_every=0.2)
    with TestClient(app):  # the lifespan starts the summaries loop
        deadline = time.monotonic() + 30
        while not fresh() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fresh(), "the server did not refresh the summaries"
        repo.commit({"src/c.py": "c\n"}, author=("Ada", "ada@example.com"))
        ingest_repository(store, repo.path, config)  # a new commit while it serves
        assert not fresh()
        deadline = time.monotonic() + 30
        while not fresh() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fresh(), "the server did not notice the new ingest"


def test_serve_with_workers_keeps_the_summaries_fresh(make_repo, tmp_path):
    """With --workers the summaries are refreshed too (by the supervising process, not by each worker)."""
    from foundermode.ingest import ingest_repository
    from foundermode.store import open_store
    from foundermode.team.summary import Freshness

    (tmp_path / "foundermode.toml").write_text(CONFIG, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'fm.db'}"
    repo = make_repo("served")
    repo.commit({"src/a.py": "a\n" * 5}, author=("Ada", "ada@example.com"))
    store = open_store(url)
    ingest_repository(store, repo.path)

    def fresh() -> bool:
        with store.read() as conn:
            return Freshness(conn).all_fresh()

    assert not fresh()
    port = free_port()
    exe = Path(sys.executable).parent / "foundermode"
    env = {**os.environ, "FOUNDERMODE_SECRET_KEY": "workers-test"}
    server = subprocess.Popen(
        [str(exe), "--db", url, "serve", "--port", str(port), "--workers", "2", "--no-tick", "--summaries-every", "0.5"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not fresh() and time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode(errors="replace")
            time.sleep(0.2)
        assert fresh(), "the summaries were not refreshed"
        while True:  # and the workers serve
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
        store.dispose()


def test_every_page_reads_on_an_empty_store(store, tmp_path, monkeypatch):
    """Nothing ingested yet: each page says what is missing instead of failing."""
    from fastapi.testclient import TestClient

    from foundermode.config import load_config
    from foundermode.sources.identities import IdentityResolver
    from foundermode.web.app import create_app
    from foundermode.web.tokens import create_token

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "empty-store")
    path = tmp_path / "foundermode.toml"
    path.write_text('[org]\nleader = "lee@example.com"\n', encoding="utf-8")
    config = load_config(path)
    with store.write() as conn:
        person = IdentityResolver.from_config(conn, config).person_for("Lee", "lee@example.com", source="manual")
        token = create_token(conn, person, 1_700_000_000)[1]
    client = TestClient(create_app(store, config), follow_redirects=False)
    client.get("/login")
    assert client.post("/login/token", data={"token": token, "csrf": client.cookies.get("fm_login_csrf")}).status_code == 303
    for path in ("/", "/team", "/meetings", "/bottlenecks", "/resources", "/people", f"/people/{person}"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "<script" not in page.text
    assert "no repositories ingested" in client.get("/").text
    assert "no data yet" in client.get("/team").text  # the charts say so
    assert "no meetings in this window" in client.get("/meetings").text
    for path in ("/api/brief", "/api/team", "/api/meetings", "/api/people", f"/api/people/{person}", "/api/board", "/api/resources/open"):
        assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200, path
