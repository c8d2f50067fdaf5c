"""Northwind, the generated demo organisation, built once per test process by the
README's first command (``foundermode demo``) in an 80-column terminal."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Northwind:
    folder: Path
    output: str  # what `foundermode demo` printed at 80 columns

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.folder / '.foundermode' / 'foundermode.db'}"

    @property
    def config_path(self) -> Path:
        return self.folder / "foundermode.toml"


@pytest.fixture(scope="session")
def northwind(tmp_path_factory) -> Northwind:
    from typer.testing import CliRunner

    from foundermode.cli import app

    folder = tmp_path_factory.mktemp("northwind") / "foundermode-demo"
    result = CliRunner().invoke(app, ["demo", "--folder", str(folder)], env={"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    return Northwind(folder, result.output)
