"""Slack: the slash command (``/blocker <what blocks you>``), the Events API, and the buttons on escalation messages.

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
import json
import logging
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..bottlenecks import actions
from ..bottlenecks.bottleneck import BottleneckError, NotAllowed, NotFound
from ..bottlenecks.intake import report
from ..bottlenecks.statuses import already_done
from ..sources.identities import find_person, identity_key
from ..store.schema import identities
from ..store.schema_bottlenecks import bottlenecks
from . import links
from .links import SLACK_ACTION_IDS
from ..bottlenecks.heard import hear, slack_said
from ..sources.slack import message_of
from ..store.schema_heard import slack_events_seen

router = APIRouter(tags=["slack"])
log = logging.getLogger("foundermode.web")
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


def _person(conn, config, user_id: str) -> int | None:
    """The person a Slack user is (their identity, or the email ``[identities.aliases]`` makes them); None when unknown."""
    who = _reporter(conn, config, user_id)
    if who is None:
        return None
    if "person_id" in who:
        return who["person_id"]
    try:
        return find_person(conn, who["by"])
    except LookupError:
        return None  # an alias for someone the store has never heard of: no rights to act


def _refuse_unsigned(request: Request, body: bytes, config) -> None:
    """Every Slack route: 503 when Slack is not configured, 401 unless the request is Slack's (``verify``)."""
    secret = config.secret("slack", "signing_secret")
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Slack is not configured: set [slack] signing_secret_env and that variable")
    refused = verify(secret, request.headers.get("x-slack-request-timestamp"), body, request.headers.get("x-slack-signature"), request.app.state.clock())
    if refused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, refused)


USAGE = "Tell me what blocks you: `/blocker the staging database is read-only since 9am`. When two people report the same thing, its owner gets a call."


@router.post("/slack/commands")
async def slash_command(request: Request) -> dict:
    config = request.app.state.config
    body = await request.body()
    _refuse_unsigned(request, body, config)
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
    from sqlalchemy import insert as sql_insert

    config = request.app.state.config
    body = await request.body()
    now = request.app.state.clock()
    _refuse_unsigned(request, body, config)
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


# -- interactive buttons: Acknowledge / Resolve on escalation messages -------------------
#
# The escalation engine's Slack messages carry block-kit buttons (web/links.py slack_blocks).
# A click is posted here (the app's Interactivity Request URL) as a form with one field,
# ``payload``, holding the JSON of a ``block_actions`` interaction; it is signed like the
# slash command. The Slack user is mapped to a person as for /blocker, and the action goes
# through bottlenecks.actions with the API's rights (owner, holder, leader). The answer is a
# message in Slack's format (ephemeral to the person who clicked, the original left as it
# is), in the HTTP response and, as Slack reads block_actions answers there, posted to the
# interaction's response_url when that is Slack's own.

RESPONSE_URL_PREFIXES = ("https://hooks.slack.com/",)
BUTTON_ACTIONS = {action_id: action for action, action_id in SLACK_ACTION_IDS.items()}


def _answer(text: str) -> dict:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def _post_response(url: str, message: dict, timeout: float) -> None:
    try:
        httpx.post(url, json=message, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:  # the click is done either way; the person just sees no answer
        log.warning("Slack response_url not reached: %s", error)


@router.post("/slack/interactive")
async def interactive(request: Request, background: BackgroundTasks):
    config = request.app.state.config
    body = await request.body()
    _refuse_unsigned(request, body, config)
    try:
        payload = json.loads(parse_qs(body.decode("utf-8")).get("payload", [""])[0])
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a form with a JSON payload") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return Response(status_code=status.HTTP_200_OK)  # nothing of ours (a shortcut, a view): acknowledged, ignored
    clicked = [a for a in payload.get("actions") or [] if isinstance(a, dict) and a.get("action_id") in BUTTON_ACTIONS]
    if not clicked or BUTTON_ACTIONS[clicked[0]["action_id"]] == "open":
        return Response(status_code=status.HTTP_200_OK)  # the Open button is a link: the browser did the work
    action = BUTTON_ACTIONS[clicked[0]["action_id"]]
    user_id = str((payload.get("user") or {}).get("id") or "")
    store, now = request.app.state.store, request.app.state.clock()

    def act() -> str:
        try:
            bottleneck_id = int(str(clicked[0].get("value")))
        except ValueError:
            return "That button names no bottleneck."
        with store.read() as conn:
            person_id = _person(conn, config, user_id)
            current = conn.execute(select(bottlenecks.c.status).where(bottlenecks.c.id == bottleneck_id)).scalar()
        if person_id is None:
            return (f"I don't know who you are yet. Ask your leader to add \"slack:{user_id}\" to [identities.aliases] "
                    "under your email in foundermode.toml.")
        if action == "acknowledge" and already_done(current, action):
            return f"Bottleneck #{bottleneck_id} is already {current}: nothing to acknowledge."  # a second click records nothing
        try:
            (actions.acknowledge if action == "acknowledge" else actions.resolve)(store, config, bottleneck_id, person_id, now, enforce=True)
        except NotAllowed:
            return f"You may not {action} bottleneck #{bottleneck_id}: only its owner, the person holding it, or a leader may."
        except NotFound:
            return f"There is no bottleneck #{bottleneck_id}."
        except (BottleneckError, ValueError) as error:
            return f"Nothing done: {error}."
        request.app.state.view_cache.clear()
        return f"Bottleneck #{bottleneck_id} is {'acknowledged' if action == 'acknowledge' else 'resolved'}."

    message = _answer(links.slack_escape(await run_in_threadpool(act)))
    response_url = str(payload.get("response_url") or "")
    if response_url.startswith(RESPONSE_URL_PREFIXES):
        background.add_task(_post_response, response_url, message, config.settings.notify.http_timeout)
    return message
