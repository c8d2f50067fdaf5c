"""`foundermode outbox`: dead letters are visible and can be requeued."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.notify.deliver import deliver_due
from foundermode.notify.outbox import enqueue

from .test_deliver import T0


def cli(store_url, config_path, *args):
    result = CliRunner().invoke(app, ["--db", store_url, "--config", str(config_path), *args])
    return result


def test_dead_letter_is_listed_and_requeued(store, store_url, tmp_path, http_receiver, monkeypatch):
    config_path = tmp_path / "foundermode.toml"
    monkeypatch.setenv("FM_TEST_HOOK", http_receiver.url("/webhook"))
    monkeypatch.setenv("FM_TEST_HOOK_SECRET", "s3cret")
    config_path.write_text(
        '[notify]\nmax_attempts = 2\nbackoff_base = 1\n\n[notify.webhook]\nurl_env = "FM_TEST_HOOK"\nsecret_env = "FM_TEST_HOOK_SECRET"\n',
        encoding="utf-8",
    )
    from foundermode.config import load_config

    config = load_config(config_path)
    with store.write() as conn:
        enqueue(conn, channel="webhook", recipient="ops", subject="GPU cluster", body="", payload={"a": 1}, idempotency_key="dl-1", now=T0)
        enqueue(conn, channel="webhook", recipient="ops", subject="CI", body="", payload={"b": 2}, idempotency_key="also-dead", now=T0)
    http_receiver.status = 500
    deliver_due(store, config, now=T0)
    deliver_due(store, config, now=T0 + 1)

    result = cli(store_url, config_path, "outbox", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["idempotency_key"]: row for row in json.loads(result.stdout)}
    assert rows["dl-1"]["state"] == "dead" and rows["dl-1"]["attempts"] == 2
    assert rows["dl-1"]["last_error"] == "webhook: HTTP 500 ok"
    assert rows["dl-1"]["next_attempt_at"] is None

    dead = json.loads(cli(store_url, config_path, "outbox", "--state", "dead", "--json").stdout)
    assert {row["idempotency_key"] for row in dead} == {"dl-1", "also-dead"}

    table = cli(store_url, config_path, "outbox")
    assert table.exit_code == 0 and "dead" in table.stdout

    shown = json.loads(cli(store_url, config_path, "outbox", "show", str(rows["dl-1"]["id"]), "--json").stdout)
    assert (shown["state"], shown["payload"], shown["attachments"]) == ("dead", {"a": 1}, [])
    assert cli(store_url, config_path, "outbox", "show", "999").exit_code == 1

    assert cli(store_url, config_path, "outbox", "retry", str(rows["dl-1"]["id"])).exit_code == 0
    again = cli(store_url, config_path, "outbox", "retry", str(rows["dl-1"]["id"]))
    assert again.exit_code == 1 and "not dead" in again.output

    http_receiver.status = 200
    delivered = cli(store_url, config_path, "outbox", "deliver", "--json")
    assert delivered.exit_code == 0, delivered.output
    assert json.loads(delivered.stdout) == {"sent": 1, "failed": 0, "dead": 0}
    assert [r.headers["idempotency-key"] for r in http_receiver.received()] == ["dl-1"]
    final = {row["idempotency_key"]: row["state"] for row in json.loads(cli(store_url, config_path, "outbox", "--json").stdout)}
    assert final == {"dl-1": "sent", "also-dead": "dead"}

    csv = cli(store_url, config_path, "outbox", "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("id,channel,recipient,subject,state,attempts,next_attempt_at,last_error")
