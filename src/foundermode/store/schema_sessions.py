"""Web sessions kept server-side, and sign-in attempts (web/auth.py).

``web_sessions``: one row per signed-in browser. The cookie carries a random
key, signed; only its SHA-256 is stored, so a copy of the store opens no
session. A session is valid while its row is not revoked and not expired:
sign-out stamps ``revoked_at``, so a replayed cookie is refused; a session
opened with an API token also ends when the token is revoked, and every
session of a person ends at the end date the org chart gives them.
``sign_in_attempts``: failed sign-ins (and sign-in link requests) per address
and per account, counted over a window to rate-limit guessing; old rows are
purged as new ones come.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table

from .schema import metadata

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE", name="fk_web_sessions_person_id_people"), nullable=False),
    Column("token_id", Integer),  # the API token it was opened with, if any
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("address", String(64)),
    Index("ix_web_sessions_person_id", "person_id"),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("address", String(64), nullable=False),
    Column("account", String(320)),  # lower-cased email, when the attempt names one
    Column("ok", Boolean, nullable=False, default=False),
    Index("ix_sign_in_attempts_address_at", "address", "at"),
    Index("ix_sign_in_attempts_account_at", "account", "at"),
)
