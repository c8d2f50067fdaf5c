"""A bottleneck's statuses, named once (Grafana OnCall names its alert-group states in one place).

``open`` until a second person reports it, ``escalated`` while its chain runs, ``acknowledged``
by the person holding it (or ``vendor``: handed to an outside supplier), and finally
``resolved``, or ``merged`` into another bottleneck.
"""
from __future__ import annotations

OPEN = ("open", "escalated", "acknowledged", "vendor")
CLOSED = ("resolved", "merged")
ANSWERED = ("acknowledged", "vendor")


def already_done(status: str, action: str) -> bool:
    """Would ``action`` (acknowledge or resolve) change nothing on a bottleneck in ``status``?
    A second click on an emailed link or a Slack button is then answered, not recorded again."""
    return status in CLOSED or (action == "acknowledge" and status in ANSWERED)
