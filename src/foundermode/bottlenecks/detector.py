"""Hearing a blocker in what people say: Slack messages, meeting transcripts,
stand-up answers, ticket text.

Pure: sentences in, detections out; nothing here knows a table.
"""
from __future__ import annotations

import re

MAX_SENTENCES = 200  # per message: a pasted log is not someone talking
MAX_SENTENCE = 600
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9@])|\n+|(?<=[.!?;])\s+-\s+")
_URL = re.compile(r"https?://\S+")


def split_sentences(text: str) -> list[str]:
    """The sentences of a message: split on sentence ends and line breaks, code blocks and quotes dropped."""
    text = re.sub(r"```.*?```", " ", text or "", flags=re.S)
    out = []
    for piece in _SPLIT.split(text):
        piece = piece.strip()
        if not piece or piece.startswith(">") or len(piece) < 3:
            continue
        out.append(piece[:MAX_SENTENCE])
        if len(out) >= MAX_SENTENCES:
            break
    return out
