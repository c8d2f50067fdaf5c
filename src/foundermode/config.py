"""foundermode.toml plus the environment.

Secrets never live in the file: a key whose name ends in ``_env`` names the
environment variable that holds the secret (``smtp_password_env = "SMTP_PASSWORD"``).
Every principle reads its own section from ``Config.raw``; this module owns only
what the foundation needs (store, identities, exclusion rules, ingest).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAME = "foundermode.toml"
STATE_DIR = ".foundermode"
DB_ENV = "FOUNDERMODE_DB"
CONFIG_ENV = "FOUNDERMODE_CONFIG"

DEFAULT_BOT_AUTHORS = [
    "*[bot]",
    "*[bot]@*",
    "dependabot*",
    "renovate*",
    "github-actions*",
    "greenkeeper*",
    "snyk-bot*",
    "*@noreply.github.com",
]

DEFAULT_EXCLUDED_PATHS = [
    "vendor/",
    "vendors/",
    "third_party/",
    "third-party/",
    "thirdparty/",
    "node_modules/",
    "bower_components/",
    "*.min.js",
    "*.min.css",
    "*.map",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Gemfile.lock",
    "poetry.lock",
    "Pipfile.lock",
    "Cargo.lock",
    "composer.lock",
    "go.sum",
    "uv.lock",
    "*.pb.go",
    "*_pb2.py",
    "*.generated.*",
]


class ConfigError(ValueError):
    """A problem in foundermode.toml; the message names the key and, when known, the line."""


@dataclass
class Config:
    path: Path | None = None
    raw: dict = field(default_factory=dict)
    text: str = ""

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def section(self, name: str) -> dict:
        """A table of the file; dotted names reach sub-tables ("notify.email")."""
        value = self.raw
        for part in name.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else None
        if not isinstance(value, dict):
            raise ConfigError(self.locate(f"[{name}] must be a table", name))
        return value

    def locate(self, message: str, key: str) -> str:
        """Append 'line N' for the first line of the file that mentions ``key``."""
        line = line_of_key(self.text, key)
        where = f"{self.path or CONFIG_NAME}"
        return f"{where}: {message} (key '{key}'" + (f", line {line})" if line else ")")

    # -- store ---------------------------------------------------------------
    def database_url(self, override: str | None = None) -> str:
        if override:
            return normalise_db_url(override)
        if os.environ.get(DB_ENV):
            return normalise_db_url(os.environ[DB_ENV])
        store = self.section("store")
        if store.get("url"):
            return normalise_db_url(str(store["url"]))
        return f"sqlite:///{self.base_dir / STATE_DIR / 'foundermode.db'}"

    # -- identities ------------------------------------------------------------
    @property
    def aliases(self) -> dict[str, list[str]]:
        """canonical email -> other identities (emails, or github:LOGIN)."""
        aliases = self.section("identities").get("aliases", {})
        if not isinstance(aliases, dict):
            raise ConfigError(self.locate("identities.aliases must be a table of email = [aliases]", "aliases"))
        out: dict[str, list[str]] = {}
        for canonical, others in aliases.items():
            if isinstance(others, str):
                others = [others]
            if not isinstance(others, list) or not all(isinstance(o, str) for o in others):
                raise ConfigError(self.locate("each alias entry must be a list of strings", canonical))
            out[canonical] = others
        return out

    # -- exclusion rules -------------------------------------------------------
    @property
    def bot_authors(self) -> list[str]:
        rules = self.section("rules")
        return list(rules.get("bot_authors", DEFAULT_BOT_AUTHORS)) + list(rules.get("extra_bot_authors", []))

    @property
    def excluded_paths(self) -> list[str]:
        rules = self.section("rules")
        return list(rules.get("excluded_paths", DEFAULT_EXCLUDED_PATHS)) + list(rules.get("extra_excluded_paths", []))

    @property
    def ingest_jobs(self) -> int | None:
        jobs = self.section("ingest").get("jobs")
        return int(jobs) if jobs else None

    def secret(self, section: str, key: str) -> str | None:
        """Read ``<key>_env`` from a section and return that environment variable's value."""
        env_name = self.section(section).get(f"{key}_env")
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
    return Config(path=path.resolve(), raw=raw, text=text)


INIT_TEMPLATE = """\
# foundermode configuration. Secrets never go here: keys ending in _env name
# the environment variable that holds the secret.

[store]
# SQLite in .foundermode/ by default. For a team deployment, a PostgreSQL URL
# (or set FOUNDERMODE_DB in the environment):
# url = "postgresql://foundermode@localhost/foundermode"

[ingest]
# Parallel git processes per repository (default: one per core).
# jobs = 4

[identities]
# Extra identities for a person, on top of .mailmap and the org chart.
# One person per full name across addresses (off by default: two people can share a name).
# merge_same_name = true
# [identities.aliases]
# "ada@example.com" = ["ada@old-company.com", "github:ada-l"]

[rules]
# Authors whose commits are stored but flagged as bots (glob patterns on name or email).
# extra_bot_authors = ["release-robot*"]
# Paths stored but flagged as vendored or generated (gitignore-like patterns).
# extra_excluded_paths = ["generated/", "*.snap"]

[org]
# Who the leader is (email), for the brief's time split.
# leader = "leader@example.com"
"""
