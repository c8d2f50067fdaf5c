"""What the end-to-end bottleneck tests share: run the CLI, read what the mail server received."""
from __future__ import annotations

import icalendar
from typer.testing import CliRunner

from foundermode.cli import app


def invoke(args, *more):
    result = CliRunner().invoke(app, [*args, *more])
    assert result.exit_code == 0, result.output
    return result.output


def subject(message) -> str:
    return " ".join(str(message["Subject"]).split())  # a long subject arrives folded


def calendar_of(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    content = part.get_content()
    return icalendar.Calendar.from_ical(content if isinstance(content, str) else content.decode())
