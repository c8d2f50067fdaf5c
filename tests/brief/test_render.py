"""The brief's surfaces: escaping, the notes an empty store gets, the command line."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from foundermode.brief import SECTIONS, build_brief, render
from foundermode.brief.window import Window
from foundermode.cli import app
from foundermode.config import Config


def test_empty_store_says_what_to_ingest_in_every_section(sqlite_store):
    brief = build_brief(sqlite_store, Config(), Window(0, 7 * 86400))
    notes = {s.key: s.note for s in brief.sections}
    assert all(not s.has_content and s.error is None for s in brief.sections)
    assert "foundermode ingest git" in notes["areas"]
    assert "[org] leader" in notes["time_split"] or "ingest calendar" in notes["time_split"]
    assert "blocker report" in notes["bottlenecks"]
    assert "ingest calendar" in notes["meetings"]
    for fmt in ("markdown", "html", "json"):
        text = render(brief, fmt)
        for key, title in SECTIONS:
            assert (key if fmt == "json" else title.replace("'", "&#39;") if fmt == "html" else title) in text


def test_markup_in_commit_subjects_is_escaped(demo):
    html_text = (demo.folder / "brief.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "<script" not in html_text.lower()
    assert "http://" not in html_text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html_text
    markdown = (demo.folder / "brief.md").read_text(encoding="utf-8")
    assert "\\<script\\>" in markdown


def test_brief_command_formats_and_window(demo, monkeypatch, tmp_path):
    monkeypatch.chdir(demo.folder)
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    runner = CliRunner()
    target = tmp_path / "out.html"
    result = runner.invoke(app, ["brief", "--until", "last-commit", "--days", "7", "--format", "html", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    result = runner.invoke(app, ["brief", "--since", "2000-01-01", "--until", "2000-01-08", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["window_label"].startswith("2000-01-01 to 2000-01-07")
    assert not any(s["has_content"] for s in data["sections"] if s["key"] == "areas")
    result = runner.invoke(app, ["brief", "--since", "2000-01-07", "--until", "2000-01-01"])
    assert result.exit_code == 1 and "empty" in result.output
    result = runner.invoke(app, ["brief", "--until", "last-commit"])
    assert result.exit_code == 0 and "State of each area" in result.output


def test_bar_chart_is_inline_svg_with_escaped_labels_and_a_target_line():
    from foundermode.brief.document import Bars
    from foundermode.brief.render import bars_svg

    svg = bars_svg(Bars("Share <with> engineers", ["week <1>", "week & 2"], [75.0, 25.0], 100, unit="%", target=50))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "week &lt;1&gt;" in svg and "week &amp; 2" in svg and "<with>" not in svg
    assert "target 50%" in svg and "<line" in svg
    # At or above the target is drawn in one colour, below it in another.
    assert svg.count('fill="#2e8b57"') == 1 and svg.count('fill="#d08a1e"') == 1
    assert "href" not in svg and "url(" not in svg


def test_email_bar_chart_is_a_table_with_escaped_labels_and_the_target_said():
    from foundermode.brief.document import Bars
    from foundermode.brief.render import bars_table

    chart = bars_table(Bars("Share <with> engineers", ["week <1>", "week & 2"], [75.0, 25.0], 100, unit="%", target=50))
    assert chart.startswith("<table") and "<svg" not in chart and "<img" not in chart
    assert "week &lt;1&gt;" in chart and "week &amp; 2" in chart and "<with>" not in chart
    assert 'width="75%"' in chart and 'width="25%"' in chart
    assert "meets 50%" in chart and "below 50%" in chart and "target 50%" in chart
    assert "url(" not in chart and "href" not in chart and "class=\"bars\"" in chart
