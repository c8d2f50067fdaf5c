"""Signed, expiring links that open a bottleneck's page with an action ready, and the Slack
buttons that carry the same actions: the one place that says how to act on a bottleneck from
an email or a chat message.

A link is ``{[web] base_url}/bottlenecks/{id}/act?link=TOKEN``. The token names the bottleneck,
the action (acknowledge, resolve, or just open) and whom the message went to, with an expiry;
it is signed with itsdangerous under ``FOUNDERMODE_SECRET_KEY`` (the same variable the web's
sessions use, read from the environment only, with a salt of its own so a link is never a
session cookie). The link grants nothing: opening it needs a signed-in session, the page then
shows one confirm button (a POST with the session's CSRF token; a GET never changes anything,
so a mail scanner following the link does no harm), and the action checks who may take it.

Without ``[web] base_url`` a message says the bottleneck's number and that the web address is
not configured; without the secret in the environment the link is the plain page address (a
signature nobody can check would only fail).

Imports nothing heavy (no FastAPI): the escalation engine builds its messages with it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from ..errors import InputError

SECRET_ENV = "FOUNDERMODE_SECRET_KEY"
SALT = "foundermode.bottleneck-link"
ACTIONS = ("acknowledge", "resolve", "open")
VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve", "open": "Open"}
DAY = 86_400

# Slack block kit: the action_id of each button (web/slack.py's /slack/interactive reads them).
SLACK_ACTION_IDS = {"acknowledge": "bottleneck_acknowledge", "resolve": "bottleneck_resolve", "open": "bottleneck_open"}


class LinkError(InputError):
    """A link that cannot be used: nothing is done with it."""


class LinkInvalid(LinkError):
    """Changed after it was signed, cut short, or not made by this foundermode."""


class LinkExpired(LinkError):
    """Genuine, but past its expiry."""

    def __init__(self, message: str, bottleneck_id: int):
        super().__init__(message)
        self.bottleneck_id = bottleneck_id


@dataclass(frozen=True)
class Link:
    bottleneck_id: int
    action: str
    to: str | None
    expires_at: int


def secret_key() -> str | None:
    return os.environ.get(SECRET_ENV) or None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def sign(bottleneck_id: int, action: str, to: str | None, now: int, ttl: int, secret: str) -> str:
    """A token for ``action`` on a bottleneck, good until ``now + ttl`` (the store's clock, not the wall's)."""
    if action not in ACTIONS:
        raise InputError(f"unknown bottleneck action {action!r}: expected one of {', '.join(ACTIONS)}")
    return _serializer(secret).dumps({"b": int(bottleneck_id), "a": action, "t": to, "e": int(now) + int(ttl)})


def read(token: str, now: int, secret: str | None) -> Link:
    """The link a token stands for; LinkInvalid when it was changed or not signed here, LinkExpired when too old."""
    if not token or not secret:
        raise LinkInvalid("this link is not valid: it is incomplete, or this server cannot check it")
    try:
        data = _serializer(secret).loads(token)
        link = Link(int(data["b"]), str(data["a"]), data.get("t") or None, int(data["e"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid("this link is not valid: it was changed after it was sent, cut short, or not made by this foundermode") from None
    if link.action not in ACTIONS:
        raise LinkInvalid("this link is not valid: it names no action this foundermode knows")
    if now >= link.expires_at:
        raise LinkExpired(f"this link to bottleneck #{link.bottleneck_id} has expired", link.bottleneck_id)
    return link


def base_url(config) -> str | None:
    return config.settings.web.base_url


def page_url(config, bottleneck_id: int) -> str | None:
    base = base_url(config)
    return f"{base}/bottlenecks/{int(bottleneck_id)}" if base else None


def action_url(config, bottleneck_id: int, action: str, to: str | None, now: int) -> str | None:
    """The address to put in a message, or None when ``[web] base_url`` is not set."""
    base = base_url(config)
    if not base:
        return None
    secret = secret_key()
    if not secret:
        return page_url(config, bottleneck_id)
    ttl = int(config.settings.web.link_days * DAY)
    return f"{base}/bottlenecks/{int(bottleneck_id)}/act?link={sign(bottleneck_id, action, to, now, ttl, secret)}"


def not_configured(bottleneck_id: int) -> str:
    return (f"Open bottleneck #{int(bottleneck_id)} on foundermode's Bottlenecks page to act on it "
            "(no link here: the web address, [web] base_url, is not configured).")


def email_lines(config, bottleneck_id: int, actions: tuple[str, ...], to: str | None, now: int) -> str:
    """What an email ends with: one line per action, each with its link."""
    if not base_url(config):
        return not_configured(bottleneck_id)
    return "\n".join(f"{VERBS[action]}: {action_url(config, bottleneck_id, action, to, now)}" for action in actions)


def slack_escape(text: str) -> str:
    """Slack's mrkdwn needs only these three escaped (its documented rule): text from data never becomes a link or a mention."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_blocks(config, bottleneck_id: int, text: str, to: str | None, now: int, actions: tuple[str, ...] = ("acknowledge", "resolve")) -> list[dict]:
    """A block kit message: the text (already mrkdwn-escaped), then Acknowledge / Resolve buttons (answered
    by /slack/interactive) and Open (the signed link). Without [web] base_url, no Open button, and the text says why."""
    buttons = [
        {"type": "button", "action_id": SLACK_ACTION_IDS[action], "text": {"type": "plain_text", "text": VERBS[action]},
         "value": str(int(bottleneck_id)), **({"style": "primary"} if action == "acknowledge" else {})}
        for action in actions
    ]
    url = action_url(config, bottleneck_id, "open", to, now)
    if url:
        buttons.append({"type": "button", "action_id": SLACK_ACTION_IDS["open"], "text": {"type": "plain_text", "text": "Open"}, "url": url})
    section = text if url else f"{text}\n{slack_escape(not_configured(bottleneck_id))}"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": section}},
        {"type": "actions", "block_id": f"bottleneck-{int(bottleneck_id)}", "elements": buttons},
    ]


__all__ = ["Link", "LinkError", "LinkInvalid", "LinkExpired", "SECRET_ENV", "ACTIONS", "SLACK_ACTION_IDS", "sign", "read", "action_url",
           "page_url", "email_lines", "slack_blocks", "slack_escape", "not_configured", "secret_key"]
