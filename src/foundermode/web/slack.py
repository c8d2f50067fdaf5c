"""The Slack slash command (``/blocker <what blocks you>``).

Slack signs each request: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}``
with the app's signing secret (``[slack] signing_secret_env`` names the variable
holding it). A request older than 300 seconds, or with a signature that does not
match in a constant-time comparison, is refused. Slack wants an answer within
3 seconds: the report is placed synchronously (grouping is in memory) and the
answer is an ephemeral message to the reporter.

Who is who: the Slack user id is an identity, ``slack:U2CERLKJA``. Link it to a
person with ``[identities.aliases] "ada@example.com" = ["slack:U2CERLKJA"]``.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..bottlenecks.intake import report
from ..sources.identities import identity_key
from ..store.schema import identities

router = APIRouter(tags=["slack"])
MAX_AGE = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, body: bytes, given: str | None, now: int) -> str | None:
    """None when the request is Slack's; otherwise why not."""
    if not timestamp or not given:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return "X-Slack-Request-Timestamp is not a number"
    if age > MAX_AGE:
        return f"request timestamp is {age} s away from now (more than {MAX_AGE} s): refused as a possible replay"
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        return "signature does not match"
    return None


def _reporter(conn, config, user_id: str) -> dict | None:
    """report() arguments naming the Slack user: a known identity, or the email it is an alias of."""
    key = identity_key("", f"slack:{user_id}")
    row = conn.execute(select(identities.c.person_id).where(identities.c.key == key)).first()
    if row:
        return {"person_id": row[0]}
    for canonical, others in config.aliases.items():
        if any(identity_key("", other) == key for other in others):
            return {"by": canonical}
    return None


USAGE = "Tell me what blocks you: `/blocker the staging database is read-only since 9am`. When two people report the same thing, its owner gets a call."


@router.post("/slack/commands")
async def slash_command(request: Request) -> dict:
    config = request.app.state.config
    secret = config.secret("slack", "signing_secret")
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Slack is not configured: set [slack] signing_secret_env and that variable")
    body = await request.body()
    refused = verify(secret, request.headers.get("x-slack-request-timestamp"), body, request.headers.get("x-slack-signature"), request.app.state.clock())
    if refused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, refused)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    text = (form.get("text") or "").strip()
    if not text or text.lower() == "help":
        return {"response_type": "ephemeral", "text": USAGE}
    user_id = form.get("user_id", "")
    store = request.app.state.store

    def place():
        with store.read() as conn:
            who = _reporter(conn, config, user_id)
        if who is None:
            return None
        # Slack retries a slow command with the same trigger id: it is one report.
        return report(store, config, text=text, **who, source="slack", now=request.app.state.clock(),
                      external_id=form.get("trigger_id") or None)

    try:
        result = await run_in_threadpool(place)
    except ValueError as error:
        return {"response_type": "ephemeral", "text": str(error)}
    if result is None:
        return {
            "response_type": "ephemeral",
            "text": f"I don't know who you are yet. Ask your leader to add \"slack:{user_id}\" to [identities.aliases] under your email in foundermode.toml.",
        }
    heard = f"heard from {result.reporters} {'person' if result.reporters == 1 else 'people'}"
    what = "opened bottleneck" if result.opened else "added to bottleneck"
    extra = " It has been escalated to its owner: a call is being scheduled." if result.escalated else ""
    about = f" ({result.resource})" if result.resource else ""
    return {"response_type": "ephemeral", "text": f"Thanks. {what.capitalize()} #{result.bottleneck_id}{about}, {heard}.{extra}"}


# -- the Events API: messages in chosen channels, heard for blockers ---------------------
#
# Slack posts each event as JSON, signed like the slash command. It retries an event
# it thinks failed (X-Slack-Retry-Num), with the same event_id: an event id already
# taken is answered 200 and ignored, and the message's channel and ts key its report,
# so even a retry racing the first delivery adds nothing.


@router.post("/slack/events")
async def events(request: Request) -> dict:
    import json

    from sqlalchemy import insert as sql_insert

    from ..bottlenecks.heard import hear, slack_said
    from ..sources.slack import message_of
    from ..store.schema_heard import slack_events_seen

    config = request.app.state.config
    secret = config.secret("slack", "signing_secret")
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Slack is not configured: set [slack] signing_secret_env and that variable")
    body = await request.body()
    now = request.app.state.clock()
    refused = verify(secret, request.headers.get("x-slack-request-timestamp"), body, request.headers.get("x-slack-signature"), now)
    if refused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, refused)
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a JSON event") from None
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a JSON object")
    if payload.get("type") == "url_verification":
        return {"challenge": str(payload.get("challenge", ""))}
    if payload.get("type") != "event_callback" or not isinstance(payload.get("event"), dict):
        return {"ok": True, "heard": "ignored"}
    event_id = str(payload.get("event_id") or "")[:64]
    raw = payload["event"]
    settings = config.settings.slack
    store = request.app.state.store

    def take() -> str:
        with store.read() as conn:
            if event_id and conn.execute(select(slack_events_seen.c.event_id).where(slack_events_seen.c.event_id == event_id)).first():
                return "duplicate"
        outcome = "ignored"
        channel = raw.get("channel") if isinstance(raw.get("channel"), str) else ""
        message = message_of(raw, channel, channel) if raw.get("type") == "message" else None
        if message is not None and (not settings.channels or channel in settings.channels):
            with store.read() as conn:
                who = _reporter(conn, config, message.user)
            if who is None:
                outcome = "unknown user"
            else:
                said = slack_said(message, who.get("person_id"), settings.workspace)
                if said.person_id is None:
                    said.email = who["by"]
                heard = hear(store, config, [said], now=now)
                outcome = "report" if heard.reports else "to confirm" if heard.pending else "not a blocker"
        if event_id:
            try:
                with store.write() as conn:
                    if not conn.execute(select(slack_events_seen.c.event_id).where(slack_events_seen.c.event_id == event_id)).first():
                        conn.execute(sql_insert(slack_events_seen).values(event_id=event_id, received_at=now))
            except IntegrityError:  # a retry racing the first delivery took it first
                pass
        return outcome

    try:
        outcome = await run_in_threadpool(take)
    except ValueError as error:  # a message too long for a report: taken, not heard
        outcome = f"not heard: {str(error)[:200]}"
    return {"ok": True, "heard": outcome}
