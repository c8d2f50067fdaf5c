"""`foundermode init` writes every setting of the schema, commented out at its default, and the file reads back."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.config import load_config
from foundermode.settings import SCHEMA

DEFAULT_LINE = re.compile(r"^#\s+([a-z_]+) = (.+)$")


def test_init_lists_every_key_and_uncommented_defaults_read_back(tmp_path):
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "foundermode.toml").read_text(encoding="utf-8")
    for section in SCHEMA:
        assert (f"[[{section.name}]]" if section.repeated else f"[{section.name}]") in text, section.name
        for setting in section.settings:
            assert re.search(rf"^#\s+{re.escape(setting.key)} = ", text, re.M), f"{section.name}.{setting.key}"
    load_config(tmp_path / "foundermode.toml")  # as written: every section present, every key commented
    # Uncomment every key that has a default, in the plain sections: the values are the defaults, so they read back equal.
    lines, section = [], None
    for line in text.splitlines():
        if line.startswith("[") or line.startswith("# [["):
            section = None if line.startswith("# [[") else line.strip("[]")
        match = DEFAULT_LINE.match(line)
        if section and match and "(unset by default" not in line:
            line = f"{match.group(1)} = {match.group(2)}"
        lines.append(line)
    path = tmp_path / "uncommented.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written = load_config(path).settings
    for item in SCHEMA:
        if item.repeated:
            continue
        for setting in item.settings:
            if setting.default is not None:
                assert setting.key in written.section(item.name).given, f"{item.name}.{setting.key} was not uncommented"
                as_default = load_config(tmp_path / "foundermode.toml").settings.section(item.name).get(setting.key)
                assert _same(written.section(item.name).get(setting.key), as_default), f"{item.name}.{setting.key}"


def _same(a, b) -> bool:
    """Equal values, a TOML array read back as a list being the same as a tuple default."""
    norm = lambda v: tuple(v) if isinstance(v, list) else v  # noqa: E731
    return norm(a) == norm(b)
