"""[notify] in foundermode.toml: bad values name the key and the line; absent channels explain themselves."""
from __future__ import annotations

import pytest

from foundermode.config import ConfigError, load_config
from foundermode.notify.settings import EmailSettings, load_settings


def settings_of(tmp_path, text: str):
    path = tmp_path / "foundermode.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(load_config(path))


def test_defaults_without_a_notify_section(tmp_path):
    settings = settings_of(tmp_path, "[store]\n")
    assert (settings.max_attempts, settings.backoff_base, settings.backoff_cap) == (6, 30, 3600)
    assert [settings.delay(n) for n in range(8)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert settings.channel("email").startswith("email is not configured")
    assert settings.channel("pager") == "unknown channel 'pager'"


def test_email_settings_and_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FM_TEST_PW", "hunter2")
    settings = settings_of(tmp_path, '[notify.email]\nhost = "mx"\nsender = "a@b.c"\nstarttls = true\nusername = "u"\npassword_env = "FM_TEST_PW"\n')
    assert settings.email == EmailSettings(host="mx", port=587, sender="a@b.c", starttls=True, username="u", password="hunter2")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    "text, message, line",
    [
        ('[notify]\nmax_attempts = 0\n', "max_attempts must be at least 1", 2),
        ('[notify]\n\n[notify.email]\nhost = "mx"\nsender = "a@b.c"\nstarttls = "yes"\n', "starttls must be true or false", 6),
        ('[notify.email]\nhost = "mx"\nsender = "a@b.c"\nport = "smtp"\n', "port must be a whole number", 4),
        ('[notify.email]\nstarttls = true\nssl = true\n', "starttls and ssl exclude each other", 3),
        ('[notify]\nslack = "https://hooks.slack.com/x"\n', "slack must be a table", 2),
    ],
)
def test_bad_values_name_key_and_line(tmp_path, text, message, line):
    with pytest.raises(ConfigError, match=message) as caught:
        settings_of(tmp_path, text)
    assert f"line {line})" in str(caught.value)


def test_incomplete_channels_say_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("FM_TEST_UNSET", raising=False)
    settings = settings_of(tmp_path, '[notify.email]\nport = 25\n\n[notify.slack]\nwebhook_url_env = "FM_TEST_UNSET"\n\n[notify.webhook]\nurl_env = "HOME"\n')
    assert settings.email == "[notify.email] needs host and sender"
    assert settings.slack == "[notify.slack] webhook_url_env names FM_TEST_UNSET, which is not set in the environment"
    assert settings.webhook == "[notify.webhook] secret_env is not set in foundermode.toml"
