"""Issue 15, "act where you are": escalation emails carry signed, expiring links that open the
bottleneck's page with the action ready (one click after sign-in, a POST with CSRF, nothing on
GET); Slack messages carry block-kit buttons answered by /slack/interactive, signed like the slash
command. Real SMTP (aiosmtpd) and a real HTTP receiver on loopback; real signed requests."""
from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest
from itsdangerous import URLSafeSerializer

from foundermode.bottlenecks import board
from foundermode.bottlenecks.resources import ChainSnapshot, Resource, Step
from foundermode.config import load_config
from foundermode.notify.deliver import deliver_due
from foundermode.web import links, slack
from foundermode.web.app import create_app
from foundermode.web.slack import signature

from .conftest import CONFIG

BASE = "https://fm.example.com"
SLACK_SECRET = "slack-signing-secret"  # what the org fixture puts in FM_WEB_TEST_SLACK
ALIASES = """
[identities.aliases]
"grace@example.com" = ["slack:UGRACE"]
"bob@example.com" = ["slack:UBOB"]
"""


def reconfigure(org, tmp_path, extra: str, channels: str = '["email"]'):
    """The org's store and clock under a foundermode.toml with ``extra`` (mail, Slack, the web address)."""
    path = tmp_path / "foundermode.toml"
    assert 'channels = ["email"]' in CONFIG
    path.write_text(CONFIG.replace('channels = ["email"]', f"channels = {channels}") + ALIASES + extra, encoding="utf-8")
    org.config = load_config(path)
    org.app = create_app(org.store, org.config, clock=org.clock)
    return org


def mail_config(smtp, base_url: str | None = BASE, slack_receiver=None) -> str:
    text = f"""
[notify.email]
host = "{smtp.host}"
port = {smtp.port}
sender = "foundermode <fm@example.com>"
"""
    if base_url:
        text += f'\n[web]\nbase_url = "{base_url}"\n'
    return text


def owner_mail(smtp, bottleneck_id: int):
    found = [m for m in smtp.messages if " ".join(m["Subject"].split()).startswith(f"[foundermode] Bottleneck #{bottleneck_id} ")
             and m["To"].addresses[0].addr_spec == "grace@example.com"]
    assert len(found) == 1, [m["Subject"] for m in smtp.messages]
    return found[0].get_content()


def status_of(org, bottleneck_id: int) -> str:
    with org.store.read() as conn:
        return board.bottleneck_detail(conn, bottleneck_id)["status"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_owners_email_links_to_the_page_with_the_action_ready(org, tmp_path, smtp_server):
    reconfigure(org, tmp_path, mail_config(smtp_server))
    bottleneck_id = org.escalated_gpu_bottleneck()
    deliver_due(org.store, org.config, now=org.clock.now)
    body = owner_mail(smtp_server, bottleneck_id)
    assert "--by" not in body and "foundermode bottlenecks" not in body  # no command line in an email
    acknowledge = re.search(r"^Acknowledge: (\S+)\s*$", body, re.M).group(1)
    resolve = re.search(r"^Resolve: (\S+)\s*$", body, re.M).group(1)
    assert acknowledge.startswith(f"{BASE}/bottlenecks/{bottleneck_id}/act?link=") and resolve != acknowledge

    # Signed out: the link asks for a sign-in and comes back to itself.
    anonymous = org.client()
    response = anonymous.get(path_of(acknowledge))
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert status_of(org, bottleneck_id) == "escalated"

    owner = org.client("owner")
    page = owner.get(path_of(acknowledge))
    assert page.status_code == 200, page.text
    ready = page.text.split('id="ready"', 1)[1].split("</section>", 1)[0]
    assert f'action="/bottlenecks/{bottleneck_id}/acknowledge"' in ready and 'name="csrf"' in ready
    assert status_of(org, bottleneck_id) == "escalated"  # opening the link (a GET) changes nothing
    assert owner.post(f"/bottlenecks/{bottleneck_id}/acknowledge", data={"csrf": "forged"}).status_code == 403
    done = owner.post(f"/bottlenecks/{bottleneck_id}/acknowledge", data={"csrf": org.csrf(owner)})
    assert done.status_code == 303 and status_of(org, bottleneck_id) == "acknowledged"
    # the same link again: it says it is done, and offers nothing
    again = owner.get(path_of(acknowledge))
    assert again.status_code == 200 and 'id="ready"' not in again.text and "already acknowledged" in again.text
    # the resolve link still works: one click resolves
    ready = owner.get(path_of(resolve)).text.split('id="ready"', 1)[1]
    assert f'action="/bottlenecks/{bottleneck_id}/resolve"' in ready
    assert owner.post(f"/bottlenecks/{bottleneck_id}/resolve", data={"csrf": org.csrf(owner)}).status_code == 303
    assert status_of(org, bottleneck_id) == "resolved"


def test_without_a_web_address_the_email_names_the_bottleneck_and_says_so(org, tmp_path, smtp_server):
    reconfigure(org, tmp_path, mail_config(smtp_server, base_url=None))
    bottleneck_id = org.escalated_gpu_bottleneck()
    deliver_due(org.store, org.config, now=org.clock.now)
    body = owner_mail(smtp_server, bottleneck_id)
    assert f"bottleneck #{bottleneck_id}" in body and "web address, [web] base_url, is not configured" in body
    assert "--by" not in body and "foundermode bottlenecks" not in body and "http" not in body


def test_expired_changed_and_foreign_links_get_a_clear_page_and_change_nothing(org, tmp_path, smtp_server):
    reconfigure(org, tmp_path, mail_config(smtp_server))
    bottleneck_id = org.escalated_gpu_bottleneck()
    secret = links.secret_key()
    owner = org.client("owner")
    good = links.sign(bottleneck_id, "acknowledge", "grace@example.com", org.clock.now, 3600, secret)

    org.clock.now += 3601
    expired = owner.get(f"/bottlenecks/{bottleneck_id}/act?link={good}")
    assert expired.status_code == 410 and "This link has expired" in expired.text and "Nothing was changed" in expired.text
    anonymous = org.client().get(f"/bottlenecks/{bottleneck_id}/act?link={good}")
    assert anonymous.status_code == 410  # said at once, before any sign-in

    fresh = links.sign(bottleneck_id, "acknowledge", "grace@example.com", org.clock.now, 3600, secret)
    tampered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    forged = URLSafeSerializer("not-our-secret", salt=links.SALT).dumps({"b": bottleneck_id, "a": "acknowledge", "t": None, "e": org.clock.now + 3600})
    session_salted = URLSafeSerializer(secret, salt="foundermode.session").dumps({"b": bottleneck_id, "a": "acknowledge", "t": None, "e": org.clock.now + 3600})
    for token, where in ((tampered, bottleneck_id), (forged, bottleneck_id), (session_salted, bottleneck_id), (fresh, bottleneck_id + 1), ("", bottleneck_id)):
        page = owner.get(f"/bottlenecks/{where}/act?link={token}")
        assert page.status_code == 400 and "This link is not valid" in page.text, (token, page.status_code)
    assert status_of(org, bottleneck_id) == "escalated"
    assert owner.get(f"/bottlenecks/{bottleneck_id}/act?link={fresh}").status_code == 200  # the genuine one still works


def test_a_link_grants_no_rights(org, tmp_path, smtp_server):
    reconfigure(org, tmp_path, mail_config(smtp_server))
    bottleneck_id = org.escalated_gpu_bottleneck()
    token = links.sign(bottleneck_id, "resolve", "grace@example.com", org.clock.now, 3600, links.secret_key())
    engineer = org.client("engineer")
    page = engineer.get(f"/bottlenecks/{bottleneck_id}/act?link={token}")
    assert page.status_code == 403 and "You may not resolve" in page.text and 'id="ready"' not in page.text
    assert engineer.post(f"/bottlenecks/{bottleneck_id}/resolve", data={"csrf": org.csrf(engineer)}).status_code == 403
    assert status_of(org, bottleneck_id) == "escalated"
    leader = org.client("leader")  # a leader may, from someone else's link: the page says whose it was
    ready = leader.get(f"/bottlenecks/{bottleneck_id}/act?link={token}")
    assert ready.status_code == 200 and "This link was sent to grace@example.com" in ready.text


# -- Slack ------------------------------------------------------------------------------------

def signed(body: bytes, now: int, secret: str = SLACK_SECRET) -> dict:
    stamp = str(now)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(secret, stamp, body),
            "Content-Type": "application/x-www-form-urlencoded"}


def click(user: str, action_id: str, value: str, response_url: str = "") -> bytes:
    payload = {"type": "block_actions", "user": {"id": user, "username": user.lower()}, "team": {"id": "T1"},
               "actions": [{"type": "button", "action_id": action_id, "block_id": f"bottleneck-{value}", "value": value, "action_ts": "1.2"}],
               "response_url": response_url, "trigger_id": "1.2.abc"}
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.fixture
def slack_org(org, tmp_path, smtp_server, http_receiver, monkeypatch):
    monkeypatch.setenv("FM_TEST_SLACK_HOOK", http_receiver.url("/slack-hook"))
    # Slack's own response_url host, and this test's loopback receiver standing in for it
    monkeypatch.setattr(slack, "RESPONSE_URL_PREFIXES", (*slack.RESPONSE_URL_PREFIXES, http_receiver.url("/respond")))
    extra = mail_config(smtp_server) + '\n[notify.slack]\nwebhook_url_env = "FM_TEST_SLACK_HOOK"\n'
    reconfigure(org, tmp_path, extra, channels='["email", "slack"]')
    return org


def test_slack_messages_carry_buttons_and_a_signed_open_link(slack_org, http_receiver):
    org = slack_org
    bottleneck_id = org.escalated_gpu_bottleneck()
    deliver_due(org.store, org.config, now=org.clock.now)
    posted = [r.json() for r in http_receiver.received("/slack-hook")]
    assert posted, "the escalation reached Slack"
    message = next(p for p in posted if f"#{bottleneck_id}" in p["text"])
    buttons = {b["action_id"]: b for block in message["blocks"] if block["type"] == "actions" for b in block["elements"]}
    assert set(buttons) == {"bottleneck_acknowledge", "bottleneck_resolve", "bottleneck_open"}
    assert buttons["bottleneck_acknowledge"]["value"] == str(bottleneck_id)
    opened = org.client("owner").get(path_of(buttons["bottleneck_open"]["url"]))
    assert opened.status_code == 200 and f"#{bottleneck_id}" in opened.text and 'id="ready"' not in opened.text


def test_slack_buttons_act_with_the_apis_rights(slack_org, http_receiver):
    org = slack_org
    bottleneck_id = org.escalated_gpu_bottleneck()
    client = org.client()
    now = org.clock.now

    # a bad signature: refused, nothing changes
    body = click("UGRACE", "bottleneck_acknowledge", str(bottleneck_id))
    forged = client.post("/slack/interactive", content=body, headers=signed(body, now, secret="not-the-secret"))
    assert forged.status_code == 401 and status_of(org, bottleneck_id) == "escalated"
    stale = client.post("/slack/interactive", content=body, headers=signed(body, now - 3600))  # a replay an hour late
    assert stale.status_code == 401 and status_of(org, bottleneck_id) == "escalated"

    # Bob reported it; he is neither owner, holder nor leader: refused, as the API refuses him
    body = click("UBOB", "bottleneck_resolve", str(bottleneck_id))
    refused = client.post("/slack/interactive", content=body, headers=signed(body, now))
    assert refused.status_code == 200 and refused.json()["response_type"] == "ephemeral"
    assert refused.json()["text"].startswith(f"You may not resolve bottleneck #{bottleneck_id}")
    assert status_of(org, bottleneck_id) == "escalated"
    api = org.client().post(f"/api/bottlenecks/{bottleneck_id}/resolve", headers=org.bearer("engineer"))
    assert api.status_code == 403

    # someone Slack knows but foundermode does not
    body = click("UNOBODY", "bottleneck_acknowledge", str(bottleneck_id))
    unknown = client.post("/slack/interactive", content=body, headers=signed(body, now))
    assert "I don't know who you are" in unknown.json()["text"] and status_of(org, bottleneck_id) == "escalated"

    # Grace owns the GPU cluster: acknowledged; the answer also goes to the interaction's response_url
    body = click("UGRACE", "bottleneck_acknowledge", str(bottleneck_id), http_receiver.url("/respond"))
    ok = client.post("/slack/interactive", content=body, headers=signed(body, now))
    assert ok.status_code == 200
    assert ok.json() == {"response_type": "ephemeral", "replace_original": False, "text": f"Bottleneck #{bottleneck_id} is acknowledged."}
    assert status_of(org, bottleneck_id) == "acknowledged"
    for _ in range(50):  # the background post is made after the answer; the receiver records it on its own thread
        if http_receiver.received("/respond"):
            break
        time.sleep(0.05)
    assert [r.json() for r in http_receiver.received("/respond")] == [ok.json()]
    twice = client.post("/slack/interactive", content=body, headers=signed(body, now))  # a double click
    assert twice.json()["text"] == f"Bottleneck #{bottleneck_id} is already acknowledged: nothing to acknowledge."
    with org.store.read() as conn:
        acked = [e for e in board.bottleneck_detail(conn, bottleneck_id)["timeline"] if e["kind"] == "acknowledged"]
    assert len(acked) == 1 and acked[0]["person"] == "Grace Hopper"

    # a response_url that is not Slack's is never called
    body = click("UGRACE", "bottleneck_resolve", str(bottleneck_id), "http://127.0.0.1:9/elsewhere")
    resolved = client.post("/slack/interactive", content=body, headers=signed(body, now))
    assert resolved.json()["text"] == f"Bottleneck #{bottleneck_id} is resolved." and status_of(org, bottleneck_id) == "resolved"
    # clicking again on a closed bottleneck says so
    again = client.post("/slack/interactive", content=body, headers=signed(body, now))
    assert again.json()["text"].startswith("Nothing done:") and "resolved" in again.json()["text"]


# -- the typed chain snapshot -----------------------------------------------------------------

def test_the_chain_snapshot_is_typed_and_reads_back_the_same():
    resource = Resource(name="GPU cluster", owner="grace@example.com", chain=(Step("owner", ("email", "slack"), 1800, 1, 7200), Step("leader")))
    snapshot = ChainSnapshot.of(resource, "lee@example.com")
    assert [s.to for s in snapshot.steps] == ["grace@example.com", "lee@example.com"]
    assert ChainSnapshot.from_json(snapshot.to_json()) == snapshot
    assert snapshot.level(0) == "1/2" and snapshot.level(5) == "2/2"
    assert snapshot.stale_after(0, 99) == 7200 and snapshot.stale_after(1, 99) == 99
    with pytest.raises(AttributeError):
        snapshot.name = "x"  # frozen


def test_the_page_shows_each_steps_recipient_from_the_snapshot(org):
    bottleneck_id = org.escalated_gpu_bottleneck()
    page = org.client("engineer").get(f"/bottlenecks/{bottleneck_id}")
    escalations = page.text.split('id="escalations"', 1)[1].split("</section>", 1)[0]
    assert "grace@example.com" in re.sub(r"<[^>]+>", "", escalations) and "via email, then wait 2 h" in re.sub(r"<[^>]+>", "", escalations)
