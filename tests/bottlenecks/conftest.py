"""Fixtures for principle 4: a foundermode.toml with resources, vendors and chains, and a fixed clock."""
from __future__ import annotations

import datetime as dt

import pytest

from foundermode.config import load_config

# Monday 11 March 2024, 10:00 UTC: a working day with working hours left.
MONDAY = int(dt.datetime(2024, 3, 11, 10, 0, tzinfo=dt.timezone.utc).timestamp())

RESOURCES = """
[org]
leader = "lead@example.com"

[[vendors]]
name = "Acme Cloud"
aliases = ["acme"]
contact = "support@acme.example"
executive = "cto@acme.example"

[[vendors.chain]]
notify = "contact"
channels = ["email"]
wait = "4h"

[[vendors.chain]]
notify = "executive"
channels = ["email"]
wait = "1d"

[[resources]]
name = "GPU cluster"
aliases = ["gpus", "the cluster"]
keywords = ["cuda", "gpu", "nvidia"]
owner = "grace@example.com"
depends_on = "Acme Cloud"

[[resources.chain]]
notify = "owner"
channels = ["email", "slack"]
wait = "30m"
repeat = 1

[[resources.chain]]
notify = "leader"
channels = ["email", "webhook"]
wait = "2h"

[[resources]]
name = "Staging database"
aliases = ["staging db"]
keywords = ["postgres", "staging"]
owner = "dora@example.com"
threshold = 3
"""


@pytest.fixture
def write_config(tmp_path):
    """Write foundermode.toml (the resources above plus ``extra``) and load it."""

    def factory(extra: str = "", *, resources: str = RESOURCES):
        path = tmp_path / "foundermode.toml"
        path.write_text(resources + "\n" + extra, encoding="utf-8")
        return load_config(path)

    return factory


@pytest.fixture
def config(write_config):
    return write_config()
