"""Principle 3: the leader's brief, straight from the code.

    from foundermode.brief import build_brief, render, resolve_window
    with store.read() as conn:
        window = resolve_window(conn, days=7)            # or until="last-commit"
    brief = build_brief(store, config, window)
    html = render(brief, "html")

The brief composes the team, meetings and bottlenecks analyses; it computes
only the state of each area (``areas``), who to talk to (``talk_to``) and the
leader's time split (``time_split``).
"""
from __future__ import annotations

from .compose import SECTIONS, Brief, Section, build_brief
from .render import render, to_html, to_json, to_markdown
from .window import Window, resolve_window

__all__ = ["build_brief", "Brief", "Section", "SECTIONS", "render", "to_html", "to_json", "to_markdown", "Window", "resolve_window"]
