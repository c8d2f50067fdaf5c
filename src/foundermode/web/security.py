"""Security headers on every response: a strict Content-Security-Policy and the rest.

The pages need no script at all (plain links and forms, charts as server-drawn
SVG), so the policy allows none: ``default-src 'none'; script-src 'none'``.
Their styles are the stylesheet in base.html's ``<style>`` and a few fixed
``style`` attributes (the SVG charts' font, form widths). Rather than allowing
inline styles wholesale, each HTML response is read as it leaves and the exact
styles it carries are allowed by their SHA-256 (``'unsafe-hashes'`` is the CSP
keyword that lets a hash cover an attribute): a style injected by anyone but
the server's own templates does not apply. Also: ``frame-ancestors 'none'``
and ``X-Frame-Options: DENY`` (no framing, no click-jacking), ``Referrer-Policy:
no-referrer`` (a sign-in link's secret in a URL never leaves in a Referer),
``X-Content-Type-Options: nosniff``, ``Cross-Origin-Opener-Policy`` and
``Cross-Origin-Resource-Policy: same-origin``, a ``Permissions-Policy`` that
turns the powerful features off, ``Cache-Control: no-store`` on pages (a
signed-out browser's back button shows nothing), and HSTS over HTTPS or behind
the TLS proxy ``[web] tls_proxy`` names.

A pure ASGI middleware (not Starlette's BaseHTTPMiddleware): it holds an HTML
response's start until its body is complete, everything else passes through
with the headers added at once.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re

_STYLE_ELEMENT = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(rb"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)

BASE_POLICY = ("default-src 'none'", "script-src 'none'", "img-src 'self' data:", "font-src 'none'", "connect-src 'self'",
               "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'")

HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def _digest(text: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text).digest()).decode("ascii") + "'"


def style_sources(body: bytes) -> list[str]:
    """The hashes of the ``<style>`` elements and ``style`` attributes of an HTML body (in order, once each)."""
    found: dict[str, None] = {}
    for match in _STYLE_ELEMENT.finditer(body):
        found[_digest(match.group(1))] = None
    attributes = False
    for match in _STYLE_ATTRIBUTE.finditer(body):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        # The browser hashes the attribute's value as parsed: entities decoded.
        found[_digest(html.unescape(value.decode("utf-8", "replace")).encode("utf-8"))] = None
        attributes = True
    return (["'unsafe-hashes'"] if attributes else []) + list(found)


def policy(body: bytes | None = None) -> str:
    styles = style_sources(body) if body else []
    return "; ".join((*BASE_POLICY[:2], "style-src " + (" ".join(styles) if styles else "'none'"), *BASE_POLICY[2:]))


class SecurityHeaders:
    """ASGI middleware: ``app.add_middleware(SecurityHeaders, tls_proxy=...)``."""

    def __init__(self, app, tls_proxy: bool = False):
        self.app = app
        self.tls_proxy = tls_proxy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https" or self.tls_proxy
        held: dict = {}
        chunks: list[bytes] = []

        def headers_for(start: dict, body: bytes | None) -> list:
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-security-policy", b"content-length")
                       or (k.lower() == b"content-length" and body is None)]
            present = {k.lower() for k, _ in headers}
            headers.append((b"content-security-policy", policy(body).encode("ascii")))
            for name, value in HEADERS.items():
                if name.encode() not in present:
                    headers.append((name.encode(), value.encode()))
            if https and b"strict-transport-security" not in present:
                headers.append((b"strict-transport-security", HSTS.encode()))
            if body is not None:
                headers.append((b"content-length", str(len(body)).encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
            return headers

        async def wrapped(message):
            if message["type"] == "http.response.start":
                content_type = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    held["start"] = message
                    return
                await send({**message, "headers": headers_for(message, None)})
                return
            if message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                start = held.pop("start")
                await send({**start, "headers": headers_for(start, body)})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, wrapped)


__all__ = ["SecurityHeaders", "policy", "style_sources", "HEADERS", "BASE_POLICY"]
