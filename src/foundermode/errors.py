"""The one error tree, and its one mapping to CLI exit codes and HTTP statuses.

Every error the library raises on purpose derives from ``FoundermodeError``
(httpx's model: one root, a few families that say what the caller can do about
it). Each family keeps the builtin base the code raised before (a bad input is
still a ``ValueError``), so ``except ValueError`` written against the library
keeps working. Surfaces never decide a status themselves: the CLI exits with
``exit_code(error)`` and the web answers ``http_status(error)``.

Messages are written for people who may be reading them in a browser: they name
the data and the setting, never a command-line flag.

::

    FoundermodeError                                                              HTTP
    ├── InputError (ValueError)          bad input: a file, a value, a setting   400
    │   └── ConfigError                   foundermode.toml                        500 (the server's own file)
    ├── NotFound (LookupError)           no such thing in the store              404
    ├── NotAllowed (PermissionError)     the person may not do this              403
    ├── Conflict                          the store changed under the request     409
    └── Unavailable (RuntimeError)       a source or dependency cannot answer    503

A command that fails on any of them prints one line on stderr and exits 1
(2 stays typer's: the command line itself was wrong); scripts tell the
families apart by the message, the web by the status.
"""
from __future__ import annotations


class FoundermodeError(Exception):
    """The root of every error foundermode raises on purpose."""

    exit_code = 1
    http_status = 500


class InputError(FoundermodeError, ValueError):
    """Bad input: a file that does not parse, a value out of range. Nothing was written."""

    http_status = 400


class ConfigError(InputError):
    """A problem in foundermode.toml; the message names the key and, when known, the line."""

    # For a web request the file is the server's, not the requester's input.
    http_status = 500


class NotFound(FoundermodeError, LookupError):
    http_status = 404


class NotAllowed(FoundermodeError, PermissionError):
    http_status = 403


class Conflict(FoundermodeError):
    http_status = 409


class Unavailable(FoundermodeError, RuntimeError):
    """A source or an optional dependency cannot answer now (git missing, a model not installed)."""

    http_status = 503


def exit_code(error: BaseException) -> int:
    """The CLI's exit status for an error: 1 for anything outside the tree."""
    return getattr(error, "exit_code", 1) if isinstance(error, FoundermodeError) else 1


def http_status(error: BaseException) -> int:
    """The HTTP status for an error: 500 for anything outside the tree."""
    return getattr(error, "http_status", 500) if isinstance(error, FoundermodeError) else 500
