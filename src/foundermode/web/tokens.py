"""Per-person API tokens: a random secret shown once, stored as its SHA-256.

A token names a person; whoever holds it reports blockers and acts as that
person. The store never holds a usable secret, so a copy of the database
cannot be used to call the API.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Connection, insert, select, update

from ..store.schema import people
from ..store.schema_bottlenecks import api_tokens

PREFIX = "fm_"
# last_used_at is refreshed at most this often: a write per request would queue every
# API call behind the store's write lock.
USED_EVERY = 300


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(conn: Connection, person_id: int, now: int, label: str | None = None) -> tuple[int, str]:
    """(token id, the secret). The secret is returned here and nowhere else, ever."""
    if conn.execute(select(people.c.id).where(people.c.id == person_id)).first() is None:
        raise LookupError(f"no person with id {person_id}")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        insert(api_tokens).values(person_id=person_id, token_hash=hash_token(secret), label=label, created_at=now).returning(api_tokens.c.id)
    ).scalar_one()
    return token_id, secret


def revoke_token(conn: Connection, token_id: int, now: int) -> bool:
    result = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount > 0


def list_tokens(conn: Connection) -> list[dict]:
    rows = conn.execute(
        select(api_tokens.c.id, people.c.name, people.c.email, api_tokens.c.label, api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.revoked_at)
        .join(people, people.c.id == api_tokens.c.person_id)
        .order_by(api_tokens.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def token_for(conn: Connection, secret: str):
    """(token id, person id, last used) of a live token, or None."""
    digest = hash_token(secret)
    row = conn.execute(
        select(api_tokens.c.id, api_tokens.c.person_id, api_tokens.c.token_hash, api_tokens.c.last_used_at)
        .where(api_tokens.c.token_hash == digest, api_tokens.c.revoked_at.is_(None))
    ).first()
    # The lookup is by hash (an index, not the secret); compare anyway so no code path ever == a secret.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def person_for_token(conn: Connection, secret: str) -> int | None:
    """The person a live token names, or None."""
    row = token_for(conn, secret)
    return row.person_id if row else None


@dataclass(frozen=True)
class Caller:
    person_id: int
    name: str
    email: str | None


def current_person(request: Request) -> Caller:
    """FastAPI dependency: the person behind ``Authorization: Bearer <token>``, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send Authorization: Bearer <token> (foundermode token create EMAIL)", headers={"WWW-Authenticate": "Bearer"})
    store = request.app.state.store
    with store.read() as conn:
        token = token_for(conn, secret.strip())
        row = conn.execute(select(people.c.name, people.c.email).where(people.c.id == token.person_id)).first() if token else None
    if row is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    now = request.app.state.clock()
    if token.last_used_at is None or now - token.last_used_at >= USED_EVERY:
        with store.write() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == token.id).values(last_used_at=now))
    return Caller(token.person_id, row.name, row.email)


CurrentPerson = Depends(current_person)
