"""Every exception foundermode defines belongs to the one tree (errors.py).

Surfaces map ``FoundermodeError`` to an exit code and an HTTP status once; an
error class outside the tree would fall through that mapping as a 500 or a
traceback. Private control-flow signals (``_Cancelled``, ``_OverLimit``) and the
fuzz harness's ``Hang`` (a ``BaseException`` so nothing swallows it) stay out.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import foundermode
from foundermode import errors


def _modules():
    for info in pkgutil.walk_packages(foundermode.__path__, "foundermode."):
        if info.name.endswith("__main__") or ".migrations" in info.name:
            continue  # the entry point runs the CLI; Alembic's scripts run only inside Alembic
        try:
            yield importlib.import_module(info.name)
        except ImportError as error:  # an optional extra not installed: nothing of it to check
            if "foundermode" in str(error):
                raise


def test_every_error_class_derives_from_the_one_root():
    outside, seen = [], 0
    for module in _modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Exception) or name.startswith("_"):
                continue
            seen += 1
            if not issubclass(cls, errors.FoundermodeError):
                outside.append(f"{module.__name__}.{name}")
    assert seen > 20, "the scan found too few error classes to mean anything"
    assert not outside, f"error classes outside errors.FoundermodeError: {outside}"


def test_families_keep_their_builtin_bases_and_statuses():
    from foundermode.bottlenecks import bottleneck
    from foundermode.sources.git import GitError
    from foundermode.store.jobs import Busy

    assert issubclass(bottleneck.NotAllowed, errors.NotAllowed) and errors.http_status(bottleneck.NotAllowed('x')) == 403
    assert errors.http_status(bottleneck.NotFound("x")) == 404 and isinstance(bottleneck.NotFound("x"), LookupError)
    assert errors.http_status(bottleneck.BottleneckError("x")) == 409 and isinstance(bottleneck.BottleneckError("x"), ValueError)
    assert errors.http_status(GitError("x")) == 503 and isinstance(GitError("x"), RuntimeError)
    assert errors.http_status(Busy("x")) == 409 and isinstance(Busy("x"), RuntimeError)
    assert errors.http_status(ValueError("x")) == 500 and errors.exit_code(ValueError("x")) == 1
