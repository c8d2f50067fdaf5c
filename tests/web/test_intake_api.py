"""The intake API and the Slack command: tokens, reports, the board, owner and leader actions,
Slack's request signing, and 2,000 reports from 20 concurrent clients over real HTTP."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from foundermode.config import load_config
from foundermode.sources.identities import IdentityResolver
from foundermode.store.schema_bottlenecks import api_tokens, blocker_reports
from foundermode.web.app import create_app
from foundermode.web.slack import signature, verify
from foundermode.web.tokens import create_token, hash_token, revoke_token

# Monday 11 March 2024, 10:00 UTC
MONDAY = 1710151200
RESOURCES = """
[org]
leader = "lead@example.com"

[[vendors]]
name = "Acme Cloud"
contact = "support@acme.example"

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda"]
owner = "grace@example.com"
depends_on = "Acme Cloud"
"""

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = 1531420618
SLACK_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
    "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
    "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FM_TEST_SLACK_SIGNING", SLACK_SECRET)
    path = tmp_path / "foundermode.toml"
    path.write_text(RESOURCES + '\n[slack]\nsigning_secret_env = "FM_TEST_SLACK_SIGNING"\n\n[identities.aliases]\n"ada@example.com" = ["slack:U2CERLKJA"]\n', encoding="utf-8")
    return load_config(path)


class Clock:
    def __init__(self, now: int):
        self.now = now

    def __call__(self) -> int:
        return self.now


def people_with_tokens(store, config, emails) -> dict[str, str]:
    tokens = {}
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        for email in emails:
            tokens[email] = create_token(conn, resolver.person_for("", email, source="manual"), MONDAY, "test")[1]
    return tokens


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(store, config):
    clock = Clock(MONDAY)
    client = TestClient(create_app(store, config, clock=clock))
    client.clock = clock
    client.tokens = people_with_tokens(store, config, ["ada@example.com", "bob@example.com", "grace@example.com", "lead@example.com"])
    return client


def test_health_needs_no_token_and_the_api_does(api, store):
    assert api.get("/health").json()["status"] == "ok"
    assert api.get("/api/bottlenecks").status_code == 401
    assert api.get("/api/bottlenecks", headers=auth("fm_not-a-token")).status_code == 401
    token = api.tokens["ada@example.com"]
    assert api.get("/api/bottlenecks", headers=auth(token)).status_code == 200
    with store.read() as conn:
        hashes = [h for (h,) in conn.execute(select(api_tokens.c.token_hash))]
        used = dict(conn.execute(select(api_tokens.c.token_hash, api_tokens.c.last_used_at)).all())
    assert used[hash_token(token)] == MONDAY and used[hash_token(api.tokens["bob@example.com"])] is None
    assert hash_token(token) in hashes and token not in hashes  # only the hash is kept
    with store.write() as conn:
        token_id = conn.execute(select(api_tokens.c.id).where(api_tokens.c.token_hash == hash_token(token))).scalar()
        assert revoke_token(conn, token_id, MONDAY)
    assert api.get("/api/bottlenecks", headers=auth(token)).status_code == 401


def test_report_list_detail_and_the_owners_answers(api):
    t = api.tokens
    first = api.post("/api/blockers", json={"text": "The GPU cluster is down, training stuck"}, headers=auth(t["ada@example.com"]))
    assert first.status_code == 201 and first.json()["opened"] and not first.json()["escalated"]
    second = api.post("/api/blockers", json={"text": "gpu cluster down, jobs stuck"}, headers={**auth(t["bob@example.com"]), "Idempotency-Key": "b-1"})
    assert second.status_code == 201 and second.json()["escalated"]
    retry = api.post("/api/blockers", json={"text": "gpu cluster down, jobs stuck"}, headers={**auth(t["bob@example.com"]), "Idempotency-Key": "b-1"})
    assert retry.status_code == 200 and retry.json()["duplicate"] and retry.json()["report_id"] == second.json()["report_id"]
    bid = second.json()["bottleneck_id"]
    (row,) = api.get("/api/bottlenecks", headers=auth(t["ada@example.com"])).json()
    assert (row["id"], row["status"], row["people"], row["holder"], row["resource"]) == (bid, "escalated", 2, "grace@example.com", "GPU cluster")
    # a reporter may not acknowledge for the owner
    assert api.post(f"/api/bottlenecks/{bid}/acknowledge", headers=auth(t["bob@example.com"])).status_code == 403
    api.clock.now = MONDAY + 900
    acked = api.post(f"/api/bottlenecks/{bid}/acknowledge", headers=auth(t["grace@example.com"]))
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    vendor = api.post(f"/api/bottlenecks/{bid}/vendor", json={}, headers=auth(t["grace@example.com"]))
    assert vendor.status_code == 200 and [e["chain"] for e in vendor.json()["escalations"]] == ["GPU cluster", "Acme Cloud"]
    api.clock.now = MONDAY + 3600
    done = api.post(f"/api/bottlenecks/{bid}/resolve", headers=auth(t["grace@example.com"]))
    kinds = [e["kind"] for e in done.json()["timeline"]]
    for kind in ("reported", "grouped", "escalated", "queued", "acknowledged", "vendor", "resolved"):
        assert kind in kinds
    assert api.post(f"/api/bottlenecks/{bid}/resolve", headers=auth(t["grace@example.com"])).status_code == 409
    assert api.get("/api/bottlenecks/9999", headers=auth(t["ada@example.com"])).status_code == 404
    metrics = {(m["by"], m["name"]): m for m in api.get("/api/bottlenecks/metrics", headers=auth(t["ada@example.com"])).json()}
    assert metrics[("resource", "GPU cluster")]["ack_median_s"] == 900


def test_only_a_leader_merges_splits_and_moves(api):
    t = api.tokens
    a = api.post("/api/blockers", json={"text": "VPN drops every hour"}, headers=auth(t["ada@example.com"])).json()
    b = api.post("/api/blockers", json={"text": "Expense tool rejects receipts"}, headers=auth(t["ada@example.com"])).json()
    c = api.post("/api/blockers", json={"text": "Expense tool rejects my receipts too"}, headers=auth(t["ada@example.com"])).json()
    assert b["bottleneck_id"] == c["bottleneck_id"] != a["bottleneck_id"]
    assert api.post(f"/api/bottlenecks/{a['bottleneck_id']}/merge", json={"into": b["bottleneck_id"]}, headers=auth(t["ada@example.com"])).status_code == 403
    split = api.post(f"/api/bottlenecks/{b['bottleneck_id']}/split", json={"reports": [c["report_id"]]}, headers=auth(t["lead@example.com"]))
    assert split.status_code == 201 and [r["id"] for r in split.json()["reports"]] == [c["report_id"]]
    moved = api.post(f"/api/reports/{a['report_id']}/move", json={"to": split.json()["id"]}, headers=auth(t["lead@example.com"]))
    assert moved.status_code == 200 and sorted(r["id"] for r in moved.json()["reports"]) == sorted([a["report_id"], c["report_id"]])
    merged = api.post(f"/api/bottlenecks/{split.json()['id']}/merge", json={"into": b["bottleneck_id"]}, headers=auth(t["lead@example.com"]))
    assert merged.status_code == 200 and len(merged.json()["reports"]) == 3


def test_slack_published_example_verifies():
    assert signature(SLACK_SECRET, str(SLACK_TIMESTAMP), SLACK_BODY.encode()) == SLACK_SIGNATURE
    assert verify(SLACK_SECRET, str(SLACK_TIMESTAMP), SLACK_BODY.encode(), SLACK_SIGNATURE, now=SLACK_TIMESTAMP + 10) is None
    assert "signature" in verify(SLACK_SECRET, str(SLACK_TIMESTAMP), SLACK_BODY.encode() + b"x", SLACK_SIGNATURE, now=SLACK_TIMESTAMP)
    assert "300" in verify(SLACK_SECRET, str(SLACK_TIMESTAMP), SLACK_BODY.encode(), SLACK_SIGNATURE, now=SLACK_TIMESTAMP + 301)


def _slack_post(client, body: str, timestamp: int, secret: str = SLACK_SECRET):
    base = f"v0:{timestamp}:{body}".encode()
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return client.post("/slack/commands", content=body.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": sig})


def test_slack_command_endpoint(store, config):
    clock = Clock(SLACK_TIMESTAMP)
    client = TestClient(create_app(store, config, clock=clock))
    # Slack's own example request, byte for byte: signature accepted, empty text gets the usage
    published = client.post("/slack/commands", content=SLACK_BODY.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(SLACK_TIMESTAMP), "X-Slack-Signature": SLACK_SIGNATURE})
    assert published.status_code == 200 and "/blocker" in published.json()["text"]
    clock.now = SLACK_TIMESTAMP + 301
    assert client.post("/slack/commands", content=SLACK_BODY.encode(), headers={
        "X-Slack-Request-Timestamp": str(SLACK_TIMESTAMP), "X-Slack-Signature": SLACK_SIGNATURE}).status_code == 401
    assert _slack_post(client, SLACK_BODY, clock.now, secret="wrong-secret").status_code == 401
    body = urlencode({"user_id": "U2CERLKJA", "user_name": "roadrunner", "command": "/blocker", "text": "GPU cluster is down", "trigger_id": "t-1"})
    answer = _slack_post(client, body, clock.now)
    assert answer.status_code == 200 and "Opened bottleneck #1 (GPU cluster)" in answer.json()["text"]
    again = _slack_post(client, body, clock.now + 1)  # Slack's retry: same trigger id
    assert again.status_code == 200
    stranger = urlencode({"user_id": "U999", "user_name": "wile", "text": "the GPU cluster is down", "trigger_id": "t-2"})
    assert "don't know who you are" in _slack_post(client, stranger, clock.now).json()["text"]
    with store.read() as conn:
        rows = conn.execute(select(blocker_reports.c.person_id, blocker_reports.c.source)).all()
        ada = conn.execute(select(func.min(api_tokens.c.id))).scalar()  # no tokens needed for Slack
    assert ada is None and len(rows) == 1 and rows[0].source == "slack"


def _serve(app):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


THEMES = [
    "GPU cluster is down, training jobs stuck", "staging db is read-only, migrations fail", "CI runners out of disk on main",
    "VPN drops every hour from the office", "docker registry times out on push", "flaky integration tests block merges",
    "expense tool rejects receipts", "code review queue for payments is two weeks long", "no access to the production logs",
    "the design spec for onboarding is missing",
]


def test_2000_reports_from_20_concurrent_clients_none_lost_none_doubled(store, config):
    clients, per_client = 20, 100
    emails = [f"engineer{n}@example.com" for n in range(clients)]
    tokens = people_with_tokens(store, config, emails)
    server, thread, base = _serve(create_app(store, config))
    answers: dict[str, list] = {}
    errors: list = []

    def client(n: int) -> None:
        mine = answers.setdefault(emails[n], [])
        with httpx.Client(base_url=base, headers=auth(tokens[emails[n]]), timeout=60) as http:
            for i in range(per_client):
                body = {"text": f"{THEMES[(n + i) % len(THEMES)]} (seen by engineer {n}, note {i})", "external_id": f"{n}-{i}"}
                response = http.post("/api/blockers", json=body)
                if i % 10 == 0:  # a client that retries: the same report again must add nothing
                    response = http.post("/api/blockers", json=body)
                    if response.status_code != 200 or not response.json()["duplicate"]:
                        errors.append((n, i, response.status_code, response.text))
                elif response.status_code != 201:
                    errors.append((n, i, response.status_code, response.text))
                mine.append(response.json()["report_id"])

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.should_exit = True
        thread.join(10)
    assert errors == []
    with store.read() as conn:
        rows = conn.execute(select(blocker_reports.c.id, blocker_reports.c.external_id, blocker_reports.c.bottleneck_id)).all()
    assert len(rows) == clients * per_client
    assert sorted(r.id for r in rows) == sorted(rid for ids in answers.values() for rid in ids)
    assert len({r.external_id for r in rows}) == clients * per_client
    # ten themes said by twenty people each: grouped into about ten bottlenecks, not two thousand
    assert len({r.bottleneck_id for r in rows}) < 50
