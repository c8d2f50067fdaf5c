"""The three ways a message leaves: SMTP email, a Slack incoming webhook, a signed JSON webhook.

Each ``send_*`` either returns (sent; optionally a note worth keeping) or raises
``ChannelError`` with a reason fit for ``foundermode outbox``. Reasons never
contain a secret: webhook URLs are secrets (anyone holding one can post), so
they are replaced by the channel's name in every error.

Verifying the generic webhook, on the receiving side::

    import hashlib, hmac

    def verify(secret: bytes, raw_body: bytes, header: str) -> bool:
        # header is X-Foundermode-Signature, e.g. "sha256=5d41...";
        # raw_body is the request body exactly as received, before any JSON parsing.
        expected = "sha256=" + hmac.new(secret, raw_body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header)

The signature covers the body only. ``X-Foundermode-Timestamp`` says when the
request was signed (UTC epoch seconds; reject old ones if you fear replays) and
``Idempotency-Key`` names the message: a receiver that records the keys it has
processed ignores the rare second delivery (delivery is at-least-once).
"""
from __future__ import annotations

from ..errors import Unavailable
import hashlib
import hmac
import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr

import httpx

from .outbox import Message
from .settings import EmailSettings, SlackSettings, WebhookSettings

USER_AGENT = "foundermode-notify/1"
SIGNATURE_HEADER = "X-Foundermode-Signature"
TIMESTAMP_HEADER = "X-Foundermode-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ChannelError(Unavailable):
    """A send that failed; ``retry_after`` is the receiver's own hint (HTTP 429/503), in seconds."""

    def __init__(self, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


# -- email --------------------------------------------------------------------------


def message_id(idempotency_key: str, sender: str) -> str:
    """The same key always gives the same Message-ID, so a resent email is recognisably the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "foundermode.invalid"
    return f"<{hashlib.sha256(idempotency_key.encode('utf-8')).hexdigest()[:40]}@{domain}>"


def recipients_of(recipient: str) -> list[str]:
    return [address for _name, address in getaddresses([recipient]) if address]


def _split_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    head, *params = [part.strip() for part in content_type.split(";")]
    maintype, _, subtype = head.partition("/")
    parsed = {}
    for param in params:
        key, _, value = param.partition("=")
        if key:
            parsed[key.strip().lower()] = value.strip().strip('"')
    return maintype.lower() or "application", subtype.lower() or "octet-stream", parsed


def build_email(message: Message, sender: str, date: float | None = None) -> EmailMessage:
    """The email for ``message``. A text/calendar attachment becomes a real invite.

    An invite is multipart/mixed: a multipart/alternative of the text and the
    calendar (text/calendar; method=REQUEST, which is what calendar clients act
    on), then the same calendar as an ``.ics`` attachment for clients that
    only show files.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(date, usegmt=True)
    email["Message-ID"] = message_id(message.idempotency_key, sender)
    email["X-Foundermode-Idempotency-Key"] = message.idempotency_key
    email.set_content(message.body or message.subject)
    if isinstance(message.payload.get("html"), str):
        # A page shown inline (the brief): the text above is its plain alternative.
        email.add_alternative(message.payload["html"], subtype="html")

    calendars = [a for a in message.attachments if a["content_type"].lower().startswith("text/calendar")]
    others = [a for a in message.attachments if a not in calendars]
    for invite in calendars[:1]:
        _, _, params = _split_type(invite["content_type"])
        method = params.get("method") or _ical_method(invite["content"]) or "REQUEST"
        email.add_alternative(invite["content"], subtype="calendar", params={"method": method.upper()})
    for invite in calendars:
        email.add_attachment(invite["content"].encode("utf-8"), maintype="application", subtype="ics", filename=invite["filename"])
    for item in others:
        maintype, subtype, _ = _split_type(item["content_type"])
        if maintype == "text":
            email.add_attachment(item["content"], subtype=subtype, filename=item["filename"])
        else:
            email.add_attachment(item["content"].encode("utf-8"), maintype=maintype, subtype=subtype, filename=item["filename"])
    return email


def _ical_method(text: str) -> str | None:
    for line in text.splitlines():
        if line.upper().startswith("METHOD:"):
            return line.split(":", 1)[1].strip()
    return None


def send_email(message: Message, settings: EmailSettings) -> str | None:
    to = recipients_of(message.recipient)
    if not to:
        raise ChannelError(f"email: no address in recipient {message.recipient!r}")
    email = build_email(message, settings.sender)
    try:
        if settings.ssl:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(email, from_addr=parseaddr(settings.sender)[1], to_addrs=to)
    except smtplib.SMTPRecipientsRefused as error:
        raise ChannelError(f"email: every recipient refused: {_refusals(error.recipients)}") from None
    except smtplib.SMTPResponseException as error:
        raise ChannelError(f"email: {settings.host}:{settings.port} answered {error.smtp_code} {_text(error.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError(f"email: {settings.host}:{settings.port}: {type(error).__name__}: {error}") from None
    # Some accepted, some refused: resending would double it for those who got it.
    return f"refused by the server for {_refusals(refused)}" if refused else None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusals(refused: dict) -> str:
    return "; ".join(f"{address} ({code} {_text(reason)})" for address, (code, reason) in refused.items())


# -- HTTP: Slack and the generic webhook ---------------------------------------------


def sign(secret: str | bytes, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def slack_body(message: Message) -> bytes:
    text = message.payload.get("text") or (f"*{message.subject}*\n{message.body}" if message.body else message.subject)
    data: dict = {"text": text}
    if isinstance(message.payload.get("blocks"), list):
        data["blocks"] = message.payload["blocks"]
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def webhook_request(message: Message, secret: str, timestamp: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: message.idempotency_key,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(timestamp)),
    }
    return body, headers


def post(label: str, url: str, body: bytes, headers: dict[str, str], timeout: float, client: httpx.Client | None = None) -> None:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        if client is None:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
        else:
            response = client.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:
        raise ChannelError(f"{label}: {type(error).__name__}: {_redact(str(error), url, label)}") from None
    if not 200 <= response.status_code < 300:
        snippet = _redact(response.text[:200].strip(), url, label)
        raise ChannelError(f"{label}: HTTP {response.status_code} {snippet}".rstrip(), retry_after=_retry_after(response))


def _redact(text: str, url: str, label: str) -> str:
    return text.replace(url, f"<{label} url>") if url else text


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def send_slack(message: Message, settings: SlackSettings, client: httpx.Client | None = None) -> None:
    post("slack", settings.url, slack_body(message), {IDEMPOTENCY_HEADER: message.idempotency_key}, settings.timeout, client)


def send_webhook(message: Message, settings: WebhookSettings, timestamp: int, client: httpx.Client | None = None) -> None:
    body, headers = webhook_request(message, settings.secret, timestamp)
    post("webhook", settings.url, body, headers, settings.timeout, client)
