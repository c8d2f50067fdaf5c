"""foundermode.toml plus the environment.

Secrets never live in the file: a key whose name ends in ``_env`` names the
environment variable that holds the secret (``smtp_password_env = "SMTP_PASSWORD"``).
Every key is declared in ``settings.py``; ``Config.settings`` holds the checked,
effective values every reader takes (an unknown key or a bad value is a
ConfigError with its line when the file is loaded).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import ConfigError
from .settings import DEFAULT_BOT_AUTHORS, DEFAULT_EXCLUDED_PATHS, SECTIONS, EffectiveSettings, KeyLines, check  # noqa: F401  (the defaults are re-exported)

CONFIG_NAME = "foundermode.toml"
STATE_DIR = ".foundermode"
DB_ENV = "FOUNDERMODE_DB"
CONFIG_ENV = "FOUNDERMODE_CONFIG"



@dataclass
class Config:
    path: Path | None = None
    raw: dict = field(default_factory=dict)
    text: str = ""

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @cached_property
    def settings(self) -> EffectiveSettings:
        """Every section checked against the schema, defaults filled in."""
        return check(self.raw, self.text, str(self.path or CONFIG_NAME))

    def section(self, name: str) -> dict:
        """The raw table as written (dotted names reach sub-tables); prefer ``settings``.

        Only a declared section may be read (its keys have been checked)."""
        if name not in SECTIONS:
            raise AttributeError(f"no section [{name}] in settings.SCHEMA")
        value = self.raw
        for part in name.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else None
        if not isinstance(value, dict):
            raise ConfigError(self.locate(f"[{name}] must be a table", name))
        return value

    def locate(self, message: str, key: str, table: str | None = None) -> str:
        """Append the key and its line: within ``table`` when given, else its first mention."""
        line = KeyLines(self.text).key_line(table, key) if table else None
        line = line or line_of_key(self.text, key)
        where = f"{self.path or CONFIG_NAME}"
        return f"{where}: {message} (key '{key}'" + (f", line {line})" if line else ")")

    # -- store ---------------------------------------------------------------
    def database_url(self, override: str | None = None) -> str:
        if override:
            return normalise_db_url(override)
        if os.environ.get(DB_ENV):
            return normalise_db_url(os.environ[DB_ENV])
        if self.settings.store.url:
            return normalise_db_url(self.settings.store.url)
        return f"sqlite:///{self.base_dir / STATE_DIR / 'foundermode.db'}"

    # -- identities ------------------------------------------------------------
    @property
    def aliases(self) -> dict[str, list[str]]:
        """canonical email -> other identities (emails, or github:LOGIN)."""
        return {canonical: list(others) for canonical, others in self.settings.identities.aliases.items()}

    # -- exclusion rules -------------------------------------------------------
    @property
    def bot_authors(self) -> list[str]:
        rules = self.settings.rules
        return list(rules.bot_authors) + list(rules.extra_bot_authors)

    @property
    def excluded_paths(self) -> list[str]:
        rules = self.settings.rules
        return list(rules.excluded_paths) + list(rules.extra_excluded_paths)

    @property
    def ingest_jobs(self) -> int | None:
        return self.settings.ingest.jobs

    def secret(self, section: str, key: str) -> str | None:
        """Read ``<key>_env`` from a section and return that environment variable's value."""
        env_name = self.settings.section(section).get(f"{key}_env")
        return os.environ.get(env_name) if env_name else None


def line_of_key(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.startswith((f"{key} ", f"{key}=", f'"{key}"', f"[{key}]", f"[[{key}]]")) or f".{key}]" in stripped:
            return number
    return None


def normalise_db_url(url: str) -> str:
    """Accept plain postgres:// URLs and point them at psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def find_config(start: Path | None = None) -> Path | None:
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | str | None = None) -> Config:
    path = Path(path) if path else find_config()
    if path is None:
        return Config()
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    config = Config(path=path.resolve(), raw=raw, text=text)
    config.settings  # checked now: a misspelt key stops every command, not only the one that reads it
    return config
