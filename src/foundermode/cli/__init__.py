"""The command line: thin wrappers over the library, one module per principle."""
from __future__ import annotations

import gc
import importlib
import pkgutil

from .common import app

# Every module in this package registers its commands on import.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module not in ("common", "__main__"):
        importlib.import_module(f"{__name__}.{_module}")


def main() -> None:
    try:
        app()
    finally:
        # The interpreter's last collection walks every object the imports made
        # (SQLAlchemy's alone): about 0.1 s a command, for memory about to be freed.
        # Frozen objects are skipped; atexit handlers and finalizers still run.
        gc.freeze()


__all__ = ["app", "main"]
