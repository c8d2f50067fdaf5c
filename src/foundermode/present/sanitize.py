"""One sanitiser for every string from data that reaches a terminal or a text report.

Git author names, calendar summaries, transcript lines and blocker reports are
written by other people. A name carrying ``ESC ] 52 ; c ; ... BEL`` (OSC 52)
writes to the leader's clipboard when printed raw; OSC 8 makes a hidden
hyperlink; CSI sequences move the cursor and repaint what was printed before;
a carriage return or a right-to-left override makes a line read as something
else. So every control character in data is shown visibly instead, as an
escape that cannot act: ``ESC`` prints as ``\\x1b``, U+202E as ``\\u202e``.
Newlines and tabs are kept (they only lay text out). The form is the same in
every surface, so a leader sees that a name carried something odd.

``clean`` is the function for text; ``clean_json`` keeps JSON valid and
lossless (``\\u009b`` is the same string to a JSON reader) while no raw control
reaches a terminal that shows the file; ``SafeConsole`` is a rich Console
that cleans every segment of text it prints (its own styling is added after,
so colours keep working), the net under every command; ``markup`` escapes data
for the places that build rich markup around it.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.segment import Segment

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI),
# and the invisible formatting characters that reorder or hide text
# (bidirectional overrides and isolates, "Trojan Source"; zero-width joiners are left alone).
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[{_CONTROL}]")
_UNSAFE_LINE = re.compile(f"[{_CONTROL}\n\t]")
# Only those JSON leaves raw with ensure_ascii=False (it escapes C0 itself).
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ufff9-\ufffb]")


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    if code == 0x0A:
        return "\\n"
    if code == 0x09:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: Any) -> str:
    """``text`` with every control character and escape-sequence introducer shown visibly.

    Idempotent (the visible form is plain ASCII) and the identity on honest text.
    """
    text = "" if text is None else str(text)
    return _UNSAFE.sub(_visible, text)


def clean_line(text: Any) -> str:
    """``clean`` for a one-line place (a table cell's name, a subject): newlines and tabs shown too."""
    text = "" if text is None else str(text)
    return _UNSAFE_LINE.sub(_visible, text)


def is_clean(text: str) -> bool:
    return _UNSAFE.search(text) is None


def clean_json(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the raw controls it leaves
    escaped as ``\\uXXXX``: the same value to every JSON reader, nothing acting in a terminal."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def clean_report(text: str, fmt: str) -> str:
    """A whole text report (Markdown, CSV, HTML, plain text or JSON) made safe to print or write."""
    return clean_json(text) if fmt == "json" else clean(text)


def clean_all(value: Any) -> Any:
    """Strings inside dicts, lists and tuples cleaned; other values as they are."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_all(v) for v in value) if isinstance(value, list) else tuple(clean_all(v) for v in value)
    return value


def markup(text: Any) -> str:
    """Data to put inside rich markup: cleaned, and its ``[`` escaped so "[/]" in a name
    neither styles the output nor raises rich's MarkupError."""
    return _escape_markup(clean(text))


class SafeConsole(Console):
    """A rich Console whose printed text is always clean.

    Every renderable (Text, Table, Panel, a markup string) becomes segments in
    ``render``; the text of each segment is cleaned there, while the control
    segments rich makes itself (cursor moves of a progress bar) and the styles
    (colours are added when segments are written) pass untouched.
    """

    def render(self, renderable, options=None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or is_clean(segment.text):
                yield segment
            else:
                yield Segment(clean(segment.text), segment.style, segment.control)


def safe_console(console: Console | None = None, **options) -> Console:
    """``console`` if it already cleans, else a SafeConsole (writing where ``console`` writes)."""
    if isinstance(console, SafeConsole):
        return console
    if console is None:
        return SafeConsole(**options)
    return SafeConsole(file=console.file, width=console.width if console._width is not None else None,
                       color_system=console.color_system, force_terminal=console.is_terminal, **options)


def print_report(text: str, fmt: str = "text") -> str:
    """Print a report's text to stdout, cleaned for ``fmt``; returns what was printed."""
    text = clean_report(text, fmt)
    print(text, end="" if text.endswith("\n") else "\n")
    return text


__all__ = ["clean", "clean_line", "clean_json", "clean_report", "clean_all", "is_clean", "markup", "SafeConsole", "safe_console", "print_report"]
