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


def _from_env(table, key: str, where: str) -> tuple[str | None, str | None]:
    """(value, reason it is missing) for the variable named by ``<key>_env``."""
    env_name = table.get(f"{key}_env")
    if not env_name:
        return None, f"[{where}] {key}_env is not set in foundermode.toml"
    value = os.environ.get(env_name)
    if not value:
        return None, f"[{where}] {key}_env names {env_name}, which is not set in the environment"
    return value, None


def load_settings(config: Config) -> NotifySettings:
    """[notify] and its channels, as the settings schema checked them."""
    settings = config.settings
    section = settings.notify
    values: dict = {key: section.get(key) for key in ("max_attempts", "backoff_base", "backoff_cap", "lease", "batch")}

    email = settings.section("notify.email")
    if email.given or "email" in config.section(SECTION):
        where = f"{SECTION}.email"
        if email.starttls and email.ssl:
            raise ConfigError(config.locate(f"[{where}] starttls and ssl exclude each other: pick one", "ssl", where))
        port = email.port or (465 if email.ssl else (587 if email.starttls else 25))
        missing = [k for k in ("host", "sender") if not email.get(k)]
        if missing:
            values["email"] = f"[{where}] needs {' and '.join(missing)}"
        else:
            password, reason = (None, None)
            if email.username:
                password, reason = _from_env(email, "password", where)
            values["email"] = reason or EmailSettings(
                host=email.host, port=port, sender=email.sender, starttls=email.starttls, ssl=email.ssl,
                username=email.username, password=password, timeout=section.smtp_timeout,
            )

    slack = settings.section("notify.slack")
    if slack.given or "slack" in config.section(SECTION):
        url, reason = _from_env(slack, "webhook_url", f"{SECTION}.slack")
        values["slack"] = reason or SlackSettings(url=url, timeout=section.http_timeout)

    webhook = settings.section("notify.webhook")
    if webhook.given or "webhook" in config.section(SECTION):
        where = f"{SECTION}.webhook"
        url, reason = _from_env(webhook, "url", where)
        secret, secret_reason = _from_env(webhook, "secret", where)
        # Unsigned webhooks are refused: a receiver could not tell us from anyone else.
        reason = reason or secret_reason
        values["webhook"] = reason or WebhookSettings(url=url, secret=secret, timeout=section.http_timeout)

    return NotifySettings(**values)
