"""The schema is the one truth about foundermode.toml (datasette's tests/test_docs.py model).

- docs/configuration.md is exactly what ``foundermode config --docs`` prints;
- every place the product reads a setting names a section and a key declared in SCHEMA
  (found by reading the source, so an undeclared read fails here before it fails a user);
- ``foundermode config`` prints the effective settings as TOML that reads back to the same values.
"""
from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.config import Config, load_config
from foundermode.errors import ConfigError
from foundermode.settings import SECTIONS, check, effective_toml, reference_markdown

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "foundermode"
VALUES_METHODS = {"get", "items", "given", "_values", "_section"}
SETTINGS_METHODS = {"section", "items", "as_dict", "_sections", "_repeated"}


def test_configuration_reference_is_generated_from_the_schema():
    written = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), "docs/configuration.md is stale: run `foundermode config --docs > docs/configuration.md`"


def test_every_declared_setting_is_in_the_reference():
    text = reference_markdown()
    for section in SECTIONS.values():
        assert (f"[[{section.name}]]" if section.repeated else f"[{section.name}]") in text
        for setting in section.settings:
            assert f"| `{setting.key}` |" in text


class _Reads(ast.NodeVisitor):
    """Collects (section, key | None, file:line) for every settings read it can see.

    Recognised: ``X.settings.<section>[.<key>]``, ``X.section("<section>")[.<key> | .get("<key>") | ["<key>"]]``,
    a variable bound to either and later read, ``default("<section>", "<key>")``,
    ``parse_value("<section>", "<key>")`` and ``config.secret("<section>", "<key>")`` (reads ``<key>_env``).
    """

    def __init__(self, where: str):
        self.where = where
        self.reads: list[tuple[str, str | None, str]] = []
        self.bound: list[dict[str, str]] = [{}]  # variable -> section name, per function
        self.roots: list[set[str]] = [set()]  # variables bound to an EffectiveSettings

    def _at(self, node) -> str:
        return f"{self.where}:{node.lineno}"

    def _section_of(self, node) -> str | None:
        """The section an expression denotes, when it denotes one."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "section" \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return node.args[0].value
        if isinstance(node, ast.Attribute) and node.attr not in SETTINGS_METHODS:
            base = node.value
            own = isinstance(base, ast.Attribute) and base.attr == "settings" and not (isinstance(base.value, ast.Name) and base.value.id == "self")
            if own or (isinstance(base, ast.Name) and base.id in self.roots[-1]):
                return node.attr
        if isinstance(node, ast.Name):
            return self.bound[-1].get(node.id)
        return None

    def visit_FunctionDef(self, node):
        self.bound.append(dict(self.bound[-1]))
        self.roots.append(set(self.roots[-1]))
        self.generic_visit(node)
        self.bound.pop()
        self.roots.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                section = self._section_of(node.value) if not isinstance(node.value, ast.Name) else None
                if section is not None:
                    self.bound[-1][target.id] = section
                elif isinstance(node.value, ast.Attribute) and node.value.attr == "settings":
                    self.roots[-1].add(target.id)
                else:
                    self.bound[-1].pop(target.id, None)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        section = self._section_of(node)
        if section is not None and not isinstance(node.value, ast.Name) or (isinstance(node.value, ast.Name) and node.value.id in self.roots[-1] and node.attr not in SETTINGS_METHODS):
            self.reads.append((section, None, self._at(node)))
        inner = self._section_of(node.value)
        if inner is not None and node.attr not in VALUES_METHODS and not node.attr.startswith("__"):
            self.reads.append((inner, node.attr, self._at(node)))
        self.generic_visit(node)

    def visit_Subscript(self, node):
        inner = self._section_of(node.value)
        if inner is not None and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            self.reads.append((inner, node.slice.value, self._at(node)))
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        constants = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "section" and constants:
            self.reads.append((constants[0], None, self._at(node)))
        if isinstance(func, ast.Attribute) and func.attr == "get" and constants:
            inner = self._section_of(func.value)
            if inner is not None:
                self.reads.append((inner, constants[0], self._at(node)))
        if name in ("default", "parse_value") and len(constants) == 2 and len(node.args) >= 2:
            self.reads.append((constants[0], constants[1], self._at(node)))
        if name == "secret" and len(constants) == 2:
            self.reads.append((constants[0], f"{constants[1]}_env", self._at(node)))
        self.generic_visit(node)


def _all_reads():
    reads = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "settings.py" and path.parent == SOURCE:
            continue  # the schema itself
        visitor = _Reads(str(path.relative_to(ROOT)))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        reads += visitor.reads
    return reads


def test_every_settings_read_names_a_declared_key():
    reads = _all_reads()
    # the scanner does see the product's reads (a scanner that finds nothing passes anything)
    assert {("meetings", "hourly_rate"), ("org", "leader"), ("notify.email", "sender"), ("ownership", "commit_graph")} <= {(s, k) for s, k, _ in reads}
    undeclared = []
    for section, key, where in reads:
        declared = SECTIONS.get(section)
        if declared is None:
            undeclared.append(f"{where}: [{section}]")
        elif key is not None and declared.setting(key) is None and f"{section}.{key}" not in SECTIONS:
            undeclared.append(f"{where}: [{section}] {key}")
    assert not undeclared, "settings read but not declared in settings.SCHEMA:\n" + "\n".join(undeclared)


def test_the_scanner_catches_an_undeclared_read():
    code = (
        "def f(config):\n"
        "    section = config.settings.meetings\n"
        "    a = section.hourly_rat\n"
        "    b = config.section('meeting')\n"
        "    c = config.settings.section('notify.email').get('senderr')\n"
    )
    visitor = _Reads("x.py")
    visitor.visit(ast.parse(code))
    found = {(s, k) for s, k, _ in visitor.reads}
    assert ("meetings", "hourly_rat") in found and ("meeting", None) in found and ("notify.email", "senderr") in found


def test_an_undeclared_read_fails_at_run_time_too():
    settings = Config().settings
    with pytest.raises(AttributeError, match="hourly_rat"):
        settings.meetings.hourly_rat
    with pytest.raises(AttributeError, match="declare it"):
        settings.meetings.get("hourly_rat")
    with pytest.raises(AttributeError, match="meeting"):
        Config().section("meeting")


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "foundermode.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_prints_effective_settings_that_read_back(tmp_path):
    path = _write(tmp_path, '[meetings]\nhourly_rate = 150\nworking_days = [1, 2, 3]\nworking_hours = "08:30-16:00"\n\n[meetings.timezones]\n"ada@example.com" = "Europe/London"\n\n[org]\nleader = "lead@example.com"\n')
    result = CliRunner().invoke(app, ["--config", str(path), "config"])
    assert result.exit_code == 0, result.output
    assert "hourly_rate = 150.0\n" in result.output
    assert "currency = \"USD\"  # default" in result.output
    assert "working_days = [\"Mon\", \"Tue\", \"Wed\"]" in result.output
    again = check(tomllib.loads(result.output.replace("  # default", "")))
    first = load_config(path).settings
    as_json = lambda settings: json.loads(json.dumps(settings.as_dict(), default=list))  # noqa: E731  (lists and tuples alike)
    assert as_json(again) == as_json(first)


def test_config_json_and_docs(tmp_path):
    path = _write(tmp_path, '[notify]\nmax_attempts = 3\n')
    result = CliRunner().invoke(app, ["--config", str(path), "config", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["notify"]["max_attempts"] == 3
    docs = CliRunner().invoke(app, ["config", "--docs"])
    assert docs.output == reference_markdown()


def test_config_names_a_misspelt_key_and_its_line(tmp_path):
    path = _write(tmp_path, '[meetings]\nhourly_rate = 100\nworking_dayz = ["Mon"]\n')
    result = CliRunner().invoke(app, ["--config", str(path), "config"])
    assert result.exit_code == 1
    assert "unknown key 'working_dayz' in [meetings] (did you mean 'working_days'?)" in result.output
    assert "line 3" in result.output
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)
