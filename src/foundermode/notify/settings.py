"""The [notify] section of foundermode.toml.

```toml
[notify]
max_attempts = 6        # the last try's failure makes a dead letter
backoff_base = 30       # seconds before the 2nd try; doubles after each failure
backoff_cap = 3600      # never wait longer than this between tries
lease = 300             # a deliverer that dies mid-send gives its messages back after this
batch = 20              # messages claimed per round trip
http_timeout = 5        # seconds, Slack and webhook
smtp_timeout = 10

[notify.email]
host = "smtp.example.com"
port = 587
sender = "foundermode <foundermode@example.com>"
starttls = true          # or ssl = true for port 465
username = "foundermode"
password_env = "FOUNDERMODE_SMTP_PASSWORD"

[notify.slack]
webhook_url_env = "FOUNDERMODE_SLACK_WEBHOOK"

[notify.webhook]
url_env = "FOUNDERMODE_WEBHOOK_URL"
secret_env = "FOUNDERMODE_WEBHOOK_SECRET"
```

Secrets (the SMTP password, both URLs, the HMAC secret) come only from the
environment. A malformed value is a ConfigError naming the key and line; a
channel that is merely absent or whose environment variable is unset is not an
error here: its messages fail with that reason and end as dead letters.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..config import Config, ConfigError

SECTION = "notify"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


@dataclass(frozen=True)
class SlackSettings:
    url: str = field(repr=False)
    timeout: float = 5.0


@dataclass(frozen=True)
class WebhookSettings:
    url: str = field(repr=False)
    secret: str = field(repr=False)
    timeout: float = 5.0


@dataclass(frozen=True)
class NotifySettings:
    max_attempts: int = 6
    backoff_base: int = 30
    backoff_cap: int = 3600
    lease: int = 300
    batch: int = 20
    # Each channel is its settings, or the sentence explaining why it cannot send.
    email: EmailSettings | str = "email is not configured: add [notify.email] with host and sender to foundermode.toml"
    slack: SlackSettings | str = "slack is not configured: add [notify.slack] webhook_url_env to foundermode.toml"
    webhook: WebhookSettings | str = "webhook is not configured: add [notify.webhook] url_env and secret_env to foundermode.toml"

    def channel(self, name: str):
        return getattr(self, name, f"unknown channel {name!r}")

    def delay(self, attempts_before: int) -> int:
        """Seconds before the next try, after a failure of try number ``attempts_before + 1``."""
        return min(self.backoff_cap, self.backoff_base * 2 ** min(attempts_before, 32))


def _number(config: Config, table: dict, key: str, default, *, kind=int, minimum=0, where: str = SECTION):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise ConfigError(config.locate(f"[{where}] {key} must be a {'whole ' if kind is int else ''}number, not {value!r}", key))
    if value < minimum:
        raise ConfigError(config.locate(f"[{where}] {key} must be at least {minimum}, not {value!r}", key))
    return kind(value)


def _flag(config: Config, table: dict, key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(config.locate(f"[{where}] {key} must be true or false, not {value!r}", key))
    return value


def _text(config: Config, table: dict, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(config.locate(f"[{where}] {key} must be a string, not {value!r}", key))
    return value or None


def _subtable(config: Config, section: dict, name: str) -> dict | None:
    value = section.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(config.locate(f"[{SECTION}] {name} must be a table ([{SECTION}.{name}])", name))
    return value


def _from_env(config: Config, table: dict, key: str, where: str) -> tuple[str | None, str | None]:
    """(value, reason it is missing) for the variable named by ``<key>_env``."""
    env_name = _text(config, table, f"{key}_env", where)
    if not env_name:
        return None, f"[{where}] {key}_env is not set in foundermode.toml"
    value = os.environ.get(env_name)
    if not value:
        return None, f"[{where}] {key}_env names {env_name}, which is not set in the environment"
    return value, None


def load_settings(config: Config) -> NotifySettings:
    section = config.section(SECTION)
    http_timeout = _number(config, section, "http_timeout", 5, kind=float, minimum=0.1)
    smtp_timeout = _number(config, section, "smtp_timeout", 10, kind=float, minimum=0.1)
    values: dict = {
        "max_attempts": _number(config, section, "max_attempts", 6, minimum=1),
        "backoff_base": _number(config, section, "backoff_base", 30),
        "backoff_cap": _number(config, section, "backoff_cap", 3600),
        "lease": _number(config, section, "lease", 300, minimum=1),
        "batch": _number(config, section, "batch", 20, minimum=1),
    }

    email = _subtable(config, section, "email")
    if email is not None:
        where = f"{SECTION}.email"
        host, sender = _text(config, email, "host", where), _text(config, email, "sender", where)
        starttls, use_ssl = _flag(config, email, "starttls", where), _flag(config, email, "ssl", where)
        if starttls and use_ssl:
            raise ConfigError(config.locate(f"[{where}] starttls and ssl exclude each other: pick one", "ssl"))
        port = _number(config, email, "port", 465 if use_ssl else (587 if starttls else 25), minimum=1, where=where)
        username = _text(config, email, "username", where)
        missing = [k for k, v in (("host", host), ("sender", sender)) if not v]
        if missing:
            values["email"] = f"[{where}] needs {' and '.join(missing)}"
        else:
            password, reason = (None, None)
            if username:
                password, reason = _from_env(config, email, "password", where)
            values["email"] = reason or EmailSettings(
                host=host, port=port, sender=sender, starttls=starttls, ssl=use_ssl,
                username=username, password=password, timeout=smtp_timeout,
            )

    slack = _subtable(config, section, "slack")
    if slack is not None:
        url, reason = _from_env(config, slack, "webhook_url", f"{SECTION}.slack")
        values["slack"] = reason or SlackSettings(url=url, timeout=http_timeout)

    webhook = _subtable(config, section, "webhook")
    if webhook is not None:
        where = f"{SECTION}.webhook"
        url, reason = _from_env(config, webhook, "url", where)
        secret, secret_reason = _from_env(config, webhook, "secret", where)
        # Unsigned webhooks are refused: a receiver could not tell us from anyone else.
        reason = reason or secret_reason
        values["webhook"] = reason or WebhookSettings(url=url, secret=secret, timeout=http_timeout)

    return NotifySettings(**values)
