"""The fuzz harness, briefly (CI): a few thousand mutated real inputs per parser, and imports that fail change nothing.

At length: ``python -m foundermode.fuzz`` (100,000 per parser; docs/reliability.md).
Hypothesis draws the mutations; a failure here is shrunk to the fewest
mutations of one real file, which is the reproduction to keep.
"""
from __future__ import annotations

import os

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="Hypothesis is a test dependency: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from sqlalchemy import func, inspect, select, table  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from foundermode.fuzz.harness import PARSERS, apply_mutations, build_input, mutation_plans, run_one, seeds  # noqa: E402

EXAMPLES = int(os.environ.get("FOUNDERMODE_FUZZ_EXAMPLES", "2000"))


@pytest.mark.parametrize("parser", PARSERS)
def test_seeds_are_real_and_read(parser, tmp_path):
    pool = seeds(parser)
    assert pool
    if parser == "ics":
        assert len(pool) > 100  # the wheels' own calendars
    outcomes = [run_one(parser, suffix, data, 0, tmp_path).kind for suffix, data in pool[:40]]
    assert "traceback" not in outcomes and "hang" not in outcomes
    assert outcomes.count("ok") >= len(outcomes) // 2, outcomes  # mutations start from inputs that parse


def test_mutations_are_deterministic_and_bounded():
    data = b"SPEAKER m 1 0.00 1.50 <NA> <NA> A <NA> <NA>\n"
    ops = [(3, 0, 40, 1999), (4, 5, 7, 0), (8, 2, 3, 0)]
    assert apply_mutations(data, ops, "rttm") == apply_mutations(data, ops, "rttm")
    assert apply_mutations(data * 100_000, [(3, 0, 255, 1999)] * 4, "rttm").__len__() <= 8 * 1024 * 1024


@pytest.mark.parametrize("parser", PARSERS)
def test_mutated_real_inputs_end_in_a_parse_or_the_parsers_own_error(parser, tmp_path):
    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(mutation_plans())
    def check(plan):
        suffix, data, window = build_input(parser, plan)
        outcome = run_one(parser, suffix, data, window, tmp_path)
        assert outcome.kind in ("ok", "error"), f"{outcome.kind}: {outcome.detail}"

    check()


def _counts(store) -> dict[str, int]:
    with store.read() as conn:
        names = inspect(conn).get_table_names()
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar() for name in names if name != "alembic_version"}


def test_an_import_that_fails_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    from foundermode.cli import app
    from foundermode.store import open_store

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("FOUNDERMODE_DB", url)
    monkeypatch.delenv("FOUNDERMODE_CONFIG", raising=False)
    runner = CliRunner()
    (tmp_path / "org.csv").write_text("email,name,title,team,manager_email,role\nada@example.com,Ada,CTO,core,,executive\n", encoding="utf-8")
    assert runner.invoke(app, ["ingest", "org", "org.csv"]).exit_code == 0
    (tmp_path / "ok.csv").write_text("text,email\nCI is red,ada@example.com\n", encoding="utf-8")
    assert runner.invoke(app, ["blocker", "import", "ok.csv"]).exit_code == 0
    store = open_store(url)
    try:
        before = _counts(store)
        bad = {
            "org.csv": "email,name,title,team,manager_email,role\nbob@example.com,Bob,x,core,,engineer\ncay@example.com,Cay,x,core,,wizard\n",
            "deep.json": "[" * 100_000 + "]" * 100_000,
            "long.csv": 'text,email\n"' + "x" * 2_000_000 + '",ada@example.com\n',
            "tick.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\nDTEND:20231231T090000Z\r\nRRULE:FREQ=DAILY;COUNT=x\r\nEND:VEVENT\r\n",
        }
        for name, text in bad.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        for command in (["ingest", "org", "org.csv"], ["blocker", "import", "deep.json"], ["blocker", "import", "long.csv"],
                        ["ingest", "calendar", "tick.ics"]):
            result = runner.invoke(app, command)
            assert result.exit_code == 1, (command, result.output)
            assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit), result.output
            assert "error:" in result.output, result.output
            assert _counts(store) == before, command
    finally:
        store.dispose()
