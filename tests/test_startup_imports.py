"""Start-up stays where it is: building the CLI (what `foundermode --help` does) imports no SQLAlchemy."""
from __future__ import annotations

import subprocess
import sys


def test_the_cli_builds_without_importing_the_store():
    code = "import sys, foundermode.cli, foundermode.scope; print(sorted(m for m in ('sqlalchemy', 'foundermode.store') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
