"""Resources, vendors and chains from foundermode.toml; errors name the key and the line."""
from __future__ import annotations

import pytest

from foundermode.bottlenecks.resources import load_catalog, parse_duration
from foundermode.config import ConfigError

from .conftest import RESOURCES


def test_resources_vendors_and_chains_are_read(config):
    catalog = load_catalog(config)
    gpu = catalog.get("gpu CLUSTER")
    assert gpu.owner == "grace@example.com" and gpu.threshold == 2 and gpu.depends_on == "Acme Cloud"
    assert [(s.notify, s.channels, s.wait, s.repeat) for s in gpu.chain] == [("owner", ("email", "slack"), 1800, 1), ("leader", ("email", "webhook"), 7200, 0)]
    assert catalog.get("Staging database").threshold == 3
    # no chain written: the owner, then the leader
    assert [s.notify for s in catalog.get("Staging database").chain] == ["owner", "leader"]
    acme = catalog.vendors["Acme Cloud"]
    assert acme.kind == "vendor" and [acme.recipient(s.notify, catalog.leader) for s in acme.chain] == ["support@acme.example", "cto@acme.example"]
    assert catalog.match_terms()["GPU cluster"] == ["GPU cluster", "gpus", "the cluster", "cuda", "gpu", "nvidia"]
    assert catalog.leader == "lead@example.com"


def test_durations():
    assert parse_duration("30m") == 1800
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert parse_duration(45) == 45
    for bad in ("soon", "30 minutes", "-5", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(needle)]
    return found[occurrence - 1]


@pytest.mark.parametrize(
    "old, new, key, needle, occurrence",
    [
        ('wait = "30m"', 'wait = "half an hour"', "resources[0].chain[0].wait", 'wait = "half an hour"', 1),
        ('wait = "2h"', 'wait = "2 hours"', "resources[0].chain[1].wait", 'wait = "2 hours"', 1),
        ("threshold = 3", "threshold = 0", "resources[1].threshold", "threshold = 0", 1),
        ('owner = "dora@example.com"', 'owner = "dora"', "resources[1].owner", 'owner = "dora"', 1),
        ('depends_on = "Acme Cloud"', 'depends_on = "Initech"', "resources[0].depends_on", "depends_on", 1),
        ('channels = ["email", "webhook"]', 'channels = ["email", "pager"]', "resources[0].chain[1].channels", 'channels = ["email", "pager"]', 1),
        ('notify = "leader"', 'notify = "boss"', "resources[0].chain[1].notify", 'notify = "boss"', 1),
        ('contact = "support@acme.example"', 'contact = "support"', "vendors[0].contact", "contact =", 1),
        ('keywords = ["postgres", "staging"]', 'keywords = ["postgres", "staging"]\nescalate_to = "x@example.com"', "resources[1].escalate_to", "escalate_to", 1),
    ],
)
def test_config_errors_name_key_and_line(write_config, old, new, key, needle, occurrence):
    assert old in RESOURCES
    text = RESOURCES.replace(old, new, 1)
    with pytest.raises(ConfigError) as caught:
        # the schema checks kinds and keys when the file is loaded; the catalog the rest
        load_catalog(write_config(resources=text))
    message = str(caught.value)
    assert f"key '{key}'" in message
    assert f"line {_line(text, needle, occurrence)}" in message
    assert "foundermode.toml" in message


def test_a_vendor_chain_may_not_step_to_an_unknown_role_and_names_must_be_unique(write_config):
    with pytest.raises(ConfigError, match="already defined"):
        load_catalog(write_config(resources=RESOURCES + '\n[[resources]]\nname = "gpu cluster"\nowner = "x@example.com"\n'))
    with pytest.raises(ConfigError, match="contact"):
        load_catalog(write_config(resources=RESOURCES.replace('notify = "leader"', 'notify = "contact"')))


def test_working_hours_and_time_zone(write_config):
    catalog = load_catalog(write_config('[meetings]\nworking_hours = "08:30-16:00"\ntimezone = "Europe/Paris"\nworking_days = ["mon", "tue"]\n'))
    assert (catalog.hours.start.hour, catalog.hours.start.minute, catalog.hours.end.hour, catalog.hours.tz, catalog.hours.days) == (8, 30, 16, "Europe/Paris", (0, 1))
    with pytest.raises(ConfigError, match="working_hours"):
        load_catalog(write_config('[meetings]\nworking_hours = "late"\n'))
    with pytest.raises(ConfigError, match="time zone"):
        load_catalog(write_config('[meetings]\ntimezone = "Mars/Olympus"\n'))
