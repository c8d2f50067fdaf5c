"""Who is asking, and what they may see: sessions, sign-in, roles, CSRF.

**Sign-in.** Two ways, both ending in the same session cookie:

- *by token*: paste a personal API token (``foundermode token create EMAIL``)
  into the sign-in form;
- *by email*: ask for a one-time link, sent over SMTP with the ``[notify.email]``
  settings. The link's secret is stored hashed in ``api_tokens`` (label
  ``sign-in link``) with ``revoked_at`` set at creation to its expiry, so it
  can never be used as a bearer token; signing in with it stamps
  ``last_used_at`` in one conditional UPDATE, so it works once, and only
  before it expires (15 minutes).

**Sessions** are kept server-side (``web_sessions``, store/schema_sessions.py):
the cookie carries a random session key and a per-session CSRF token, signed
(itsdangerous, key from ``FOUNDERMODE_SECRET_KEY``; when unset a random key is
generated and a warning logged: sessions then do not survive a restart and do
not work across several workers); the store keeps only the key's SHA-256. A
session is valid while its row is neither revoked nor expired, so sign-out
(which revokes it) ends it for good: the old cookie replayed is refused. A
session opened with a token ends when that token is revoked (``foundermode
token revoke``), and every session of a person ends at the end date the org
chart gives them. The cookie is HttpOnly, SameSite=Lax, and Secure over HTTPS
or when ``[web] tls_proxy`` says a TLS proxy is in front.

**Sign-in attempts** are rate-limited per address and per account
(``sign_in_attempts``): over ``[web] sign_in_attempts_per_address`` failures
from one address, or ``sign_in_attempts_per_account`` failed or requested
sign-ins for one email, within ``sign_in_window`` seconds, the answer is 429
with Retry-After. Every form carries the CSRF token and every POST checks it
(forms before sign-in use a double-submit cookie instead).

**Roles.** A *leader* sees everything: the person named by ``[org] leader`` or
listed in ``[org] leaders`` in foundermode.toml, or anyone the org chart makes
an executive or a manager (the same rule the escalation engine uses for who may
merge and split bottlenecks). Everyone else is an *engineer*: their own
profile, the bottleneck board, the resources and reporting. Owner actions
(acknowledge, resolve, blocked on vendor) are open to whoever the escalation
engine says may handle the bottleneck (the resource's owner, the person an
escalation is with, or a leader); the library checks, the web only asks.

The JSON API takes ``Authorization: Bearer <token>``; its read routes also
accept the session cookie (GET only, so no CSRF is needed there).
"""
from __future__ import annotations

from ..errors import FoundermodeError
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, insert, select, update

from ..store.schema import people
from ..store.schema_bottlenecks import api_tokens
from ..store.schema_sessions import sign_in_attempts, web_sessions
from .links import SECRET_ENV  # one name for the one secret: sessions and action links
from .tokens import PREFIX, hash_token
from ..bottlenecks.resources import load_catalog
from ..notify.channels import send_email
from ..notify.outbox import Message
from ..notify.settings import load_settings
from ..people import is_leader, person_keys
from ..sources.identities import identity_key
from .tokens import USED_EVERY, token_for

log = logging.getLogger("foundermode.web")

SESSION_COOKIE = "fm_session"
LOGIN_CSRF_COOKIE = "fm_login_csrf"
SESSION_MAX_AGE = 14 * 86_400
LINK_TTL = 15 * 60
LINK_LABEL = "sign-in link"
LINK_PREFIX = "fml_"


def secret_key() -> str:
    key = os.environ.get(SECRET_ENV)
    if key:
        return key
    log.warning("%s is not set: using a random key for this process (sessions end on restart and do not work across workers)", SECRET_ENV)
    return secrets.token_urlsafe(48)


def serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="foundermode.session")


# -- who ----------------------------------------------------------------------------------

@dataclass
class Viewer:
    person_id: int
    name: str
    email: str | None
    role: str  # leader | engineer
    csrf: str = ""
    via: str = "session"  # session | token
    owns: list[str] = field(default_factory=list)  # resources (and vendors) this person owns
    session_id: int | None = None  # the web_sessions row, when signed in with the cookie

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    def may_see_person(self, person_id: int) -> bool:
        return self.is_leader or person_id == self.person_id


def role_of(conn, config, person_id: int) -> tuple[str, list[str]]:
    """(leader | engineer, resources owned): the role from ``foundermode.people.is_leader``."""
    catalog = load_catalog(config)
    keys = person_keys(conn, person_id)
    owns = [r.name for r in [*catalog.resources.values(), *catalog.vendors.values()]
            if (r.owner and identity_key("", r.owner) in keys)]
    return ("leader" if is_leader(conn, config, person_id) else "engineer"), owns


def _viewer_for(request: Request, person_id: int, csrf: str, via: str, token_id: int | None = None) -> Viewer | None:
    store, config = request.app.state.store, request.app.state.config
    with store.read() as conn:
        if token_id is not None:
            # A session opened with a token ends when the token is revoked.
            live = conn.execute(select(api_tokens.c.id).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))).first()
            if live is None:
                return None
        row = conn.execute(select(people.c.name, people.c.email).where(people.c.id == person_id)).first()
        if row is None:
            return None
        role, owns = role_of(conn, config, person_id)
    return Viewer(person_id, row.name, row.email, role, csrf, via, owns)


def viewer_of(request: Request, *, bearer: bool = True, cookie: bool = True) -> Viewer | None:
    """The signed-in person (bearer token first, then the session cookie), or None."""
    if "fm_viewer" in request.scope:
        return request.scope["fm_viewer"]
    viewer = None
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if bearer and scheme.lower() == "bearer" and secret.strip():
        store = request.app.state.store
        with store.read() as conn:
            token = token_for(conn, secret.strip())
        if token is not None:
            viewer = _viewer_for(request, token.person_id, "", "token")
            now = request.app.state.clock()
            if viewer is not None and (token.last_used_at is None or now - token.last_used_at >= USED_EVERY):
                with store.write() as conn:  # as tokens.current_person does: at most once per USED_EVERY seconds
                    conn.execute(update(api_tokens).where(api_tokens.c.id == token.id).values(last_used_at=now))
    elif cookie and request.cookies.get(SESSION_COOKIE):
        viewer = _session_viewer(request)
    request.scope["fm_viewer"] = viewer
    return viewer


class LoginRequired(FoundermodeError):
    """An anonymous request for a page: answered with 303 to /login."""

    def __init__(self, next_url: str):
        self.next_url = next_url


def page_viewer(request: Request) -> Viewer:
    """Dependency for HTML pages: the signed-in person, or a redirect to the sign-in page."""
    viewer = viewer_of(request, bearer=False)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


def api_viewer(request: Request) -> Viewer:
    """Dependency for the JSON API: bearer token, or the session cookie on GET; else 401."""
    viewer = viewer_of(request, cookie=request.method == "GET")
    if viewer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send Authorization: Bearer <token> (foundermode token create EMAIL)", headers={"WWW-Authenticate": "Bearer"})
    return viewer


def require_leader(viewer: Viewer) -> Viewer:
    if not viewer.is_leader:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "leaders only")
    return viewer


def require_person(viewer: Viewer, person_id: int) -> None:
    if not viewer.may_see_person(person_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may read only your own profile")


# -- CSRF ----------------------------------------------------------------------------------

def check_csrf(viewer: Viewer, submitted: str | None) -> None:
    if viewer.via == "token":
        return  # a bearer token is not sent by a browser on its own: nothing to forge
    if not submitted or not viewer.csrf or not hmac.compare_digest(str(submitted), viewer.csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing or wrong: reload the page and try again")


def check_login_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not submitted or not cookie or not hmac.compare_digest(str(submitted), cookie):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing or wrong: reload the sign-in page and try again")


# -- sessions ------------------------------------------------------------------------------

SEEN_EVERY = 300  # seconds between two last_seen_at stamps of one session
DAY = 86_400


def web_settings(request: Request):
    return request.app.state.config.settings.web


def session_seconds(request: Request) -> int:
    return max(1, int(web_settings(request).session_days * DAY))


def cookie_secure(request: Request) -> bool:
    """Secure cookies over HTTPS, or always when ``[web] tls_proxy`` says HTTPS ends in front of the app."""
    return request.url.scheme == "https" or bool(web_settings(request).tls_proxy)


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _cookie_key(request: Request) -> tuple[str, str] | None:
    """(session key, CSRF token) from a genuine, unexpired cookie; None otherwise."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        data = serializer(request).loads(value, max_age=session_seconds(request))
        return str(data["s"]), str(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None  # a forged, expired or old-style cookie (person id, no session key): sign in again


def _session_viewer(request: Request) -> Viewer | None:
    found = _cookie_key(request)
    if found is None:
        return None
    key, csrf = found
    store, now = request.app.state.store, request.app.state.clock()
    with store.read() as conn:
        row = conn.execute(select(web_sessions.c.id, web_sessions.c.person_id, web_sessions.c.token_id, web_sessions.c.expires_at,
                                  web_sessions.c.revoked_at, web_sessions.c.last_seen_at, people.c.end_date)
                           .select_from(web_sessions.join(people, people.c.id == web_sessions.c.person_id, isouter=True))
                           .where(web_sessions.c.key_hash == _key_hash(key))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.end_date is not None and now >= row.end_date + DAY:  # the org chart's last day is over
        revoke_sessions(store, row.person_id, now)
        return None
    viewer = _viewer_for(request, row.person_id, csrf, "session", row.token_id)
    if viewer is None:  # the token it was opened with is revoked, or the person is gone
        with store.write() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.id == row.id, web_sessions.c.revoked_at.is_(None)).values(revoked_at=now))
        return None
    viewer.session_id = row.id
    if now - row.last_seen_at >= SEEN_EVERY:
        with store.write() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.id == row.id).values(last_seen_at=now))
    return viewer


def start_session(request: Request, response, person_id: int, token_id: int | None = None) -> None:
    """A new server-side session and its cookie; ``token_id`` (sign-in by token) ties the session to that token's life."""
    key = secrets.token_urlsafe(32)
    now, length = request.app.state.clock(), session_seconds(request)
    with request.app.state.store.write() as conn:
        conn.execute(insert(web_sessions).values(key_hash=_key_hash(key), person_id=person_id, token_id=token_id, created_at=now,
                                                 last_seen_at=now, expires_at=now + length, address=client_address(request)))
    value = serializer(request).dumps({"s": key, "c": secrets.token_urlsafe(24)})
    response.set_cookie(SESSION_COOKIE, value, max_age=length, httponly=True, samesite="lax", secure=cookie_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


def end_session(response, request: Request | None = None) -> None:
    """Sign-out: the session's row revoked (its cookie, replayed, is refused), the cookie cleared."""
    found = _cookie_key(request) if request is not None else None
    if found is not None:
        with request.app.state.store.write() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.key_hash == _key_hash(found[0]), web_sessions.c.revoked_at.is_(None))
                         .values(revoked_at=request.app.state.clock()))
    response.delete_cookie(SESSION_COOKIE, path="/")


def revoke_sessions(store, person_id: int, now: int) -> int:
    """End every open session of a person (their end date passed, or an admin asks); how many were open."""
    with store.write() as conn:
        return conn.execute(update(web_sessions).where(web_sessions.c.person_id == person_id, web_sessions.c.revoked_at.is_(None))
                            .values(revoked_at=now)).rowcount


# -- sign-in rate limit ----------------------------------------------------------------------

def check_sign_in_rate(request: Request, account: str | None = None) -> None:
    """429 with Retry-After when this address, or this account, has used up its attempts in the window."""
    settings, now = web_settings(request), request.app.state.clock()
    since = now - settings.sign_in_window
    address = client_address(request)
    account = account.strip().lower()[:320] if account else None
    with request.app.state.store.read() as conn:
        def counted(column, value):
            return conn.execute(select(func.count(), func.min(sign_in_attempts.c.at)).where(
                column == value, sign_in_attempts.c.at > since, sign_in_attempts.c.ok.is_(False))).one()

        for what, column, value, limit in (("this address", sign_in_attempts.c.address, address, settings.sign_in_attempts_per_address),
                                           ("this account", sign_in_attempts.c.account, account, settings.sign_in_attempts_per_account)):
            if value is None:
                continue
            count, oldest = counted(column, value)
            if count >= limit:
                wait = max(1, int(oldest + settings.sign_in_window - now))
                raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                    f"too many sign-in attempts from {what}: try again in {max(1, round(wait / 60))} minute(s)",
                                    headers={"Retry-After": str(wait)})


def record_sign_in(request: Request, ok: bool, account: str | None = None) -> None:
    """Count an attempt (a failure, or a sign-in link asked for); rows older than the window are purged."""
    settings, now = web_settings(request), request.app.state.clock()
    with request.app.state.store.write() as conn:
        conn.execute(insert(sign_in_attempts).values(at=now, address=client_address(request),
                                                     account=account.strip().lower()[:320] if account else None, ok=ok))
        conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.at <= now - settings.sign_in_window))


def token_id_of(conn, secret: str) -> int | None:
    row = conn.execute(select(api_tokens.c.id).where(api_tokens.c.token_hash == hash_token(secret))).first()
    return row.id if row else None


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")


# -- sign-in links -------------------------------------------------------------------------

def create_link(conn, person_id: int, now: int) -> str:
    """A one-time sign-in secret for ``person_id``; stored hashed, never valid as a bearer token."""
    secret = LINK_PREFIX + secrets.token_urlsafe(32)
    conn.execute(insert(api_tokens).values(person_id=person_id, token_hash=hash_token(secret), label=LINK_LABEL,
                                           created_at=now, revoked_at=now + LINK_TTL))
    return secret


def redeem_link(conn, secret: str, now: int) -> int | None:
    """The person the link names, once: the first redeemer stamps it, later ones get None; expired gives None."""
    if not secret.startswith(LINK_PREFIX):
        return None
    digest = hash_token(secret)
    row = conn.execute(select(api_tokens.c.id, api_tokens.c.person_id, api_tokens.c.token_hash)
                       .where(api_tokens.c.token_hash == digest, api_tokens.c.label == LINK_LABEL)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    claimed = conn.execute(update(api_tokens).where(api_tokens.c.id == row.id, api_tokens.c.last_used_at.is_(None),
                                                    api_tokens.c.revoked_at > now).values(last_used_at=now))
    return row.person_id if claimed.rowcount == 1 else None


def send_link(config, email: str, link: str) -> None:
    """Email the sign-in link now (not through the outbox: a late retry would deliver a dead link)."""
    settings = load_settings(config).channel("email")
    if isinstance(settings, str):
        raise RuntimeError(settings)
    body = (f"Sign in to foundermode:\n\n{link}\n\nThe link works once, within {LINK_TTL // 60} minutes. "
            "If you did not ask for it, ignore this email.\n")
    message = Message(id=0, channel="email", recipient=email, subject="Your foundermode sign-in link", body=body, payload={},
                      idempotency_key="signin-" + secrets.token_hex(8))
    send_email(message, settings)


__all__ = ["Viewer", "viewer_of", "page_viewer", "api_viewer", "require_leader", "require_person", "check_csrf", "check_login_csrf",
           "start_session", "end_session", "revoke_sessions", "check_sign_in_rate", "record_sign_in", "cookie_secure", "create_link", "redeem_link", "send_link", "LoginRequired", "PREFIX", "secret_key"]
