"""Real developer text for the blocker detector's evaluation, read in place.

Nothing fetched is copied into the repository: a labelled sentence is a
reference (corpus, file, line or comment id, sentence index) and the text is
read from where it lives when the evaluation runs:

- ``monero``: the dev-meeting IRC logs published in monero-project/monero-site
  (``_posts/*meeting*.md``, one ``**<nick>** message`` a line), read from a bare
  mirror with ``git show`` (``FOUNDERMODE_MONERO_SITE`` or
  /work/.mirror/monero-project+monero-site/repo) at the commit the labels were made on;
- ``apache``: the real GitHub issue comments in /work/shared/data/github-pulls
  (``FOUNDERMODE_SHARED_DATA``);
- ``ethereum``: the Ethereum core-developer call transcripts in ethereum/pm
  (``AllCoreDevs-*-Meetings/``, ``Breakout-Room-Meetings/``: one
  ``**Speaker** [time](link): words`` a line), read from a bare mirror
  (``FOUNDERMODE_ETHEREUM_PM`` or /work/.mirror/ethereum+pm/repo) at a pinned commit;
- ``nodejs``: the Node.js TSC meeting minutes in nodejs/TSC (``meetings/``: wrapped
  paragraphs and list items, one message each), read from a bare mirror
  (``FOUNDERMODE_NODEJS_TSC`` or /work/.mirror/nodejs+TSC/repo) at a pinned commit.

A missing source yields nothing, so the evaluation skips what it cannot read.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

MONERO_COMMIT = "db1cb28c9cb588f5df79b2020a28827a102c4e64"
MONERO_MIRROR = Path(os.environ.get("FOUNDERMODE_MONERO_SITE", "/work/.mirror/monero-project+monero-site/repo"))
ETHEREUM_COMMIT = "cea5a16928f6f233a038d237bb0706c3a6f7bc6f"
ETHEREUM_MIRROR = Path(os.environ.get("FOUNDERMODE_ETHEREUM_PM", "/work/.mirror/ethereum+pm/repo"))
NODEJS_COMMIT = "0e35767c9666d03c0e9596e636b35623887ffb6f"
NODEJS_MIRROR = Path(os.environ.get("FOUNDERMODE_NODEJS_TSC", "/work/.mirror/nodejs+TSC/repo"))
SHARED = Path(os.environ.get("FOUNDERMODE_SHARED_DATA", "/work/shared/data"))
IRC_LINE = re.compile(r"^\*\*\\?<([^>]+)>\*\*\s*(.*)$")
CALL_LINE = re.compile(r"^\*\*([^*]{1,60}?)\*\*\s*(?:\[[^\]]*\]\([^)]*\))?\s*:\s*(.+)$")


def _git(*args: str, mirror: Path = MONERO_MIRROR) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(mirror), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def monero_messages():
    """(("monero", path, line), speaker, text) for every IRC line of every dev-meeting log."""
    if not MONERO_MIRROR.exists():
        return
    listing = _git("ls-tree", "-r", "--name-only", MONERO_COMMIT, "_posts")
    if listing is None:
        return
    for path in sorted(p for p in listing.split("\n") if "meeting" in p.lower() and p.endswith(".md")):
        text = _git("show", f"{MONERO_COMMIT}:{path}") or ""
        for number, line in enumerate(text.splitlines(), start=1):
            found = IRC_LINE.match(line.strip())
            if found and found.group(2).strip():
                yield ("monero", path, number), found.group(1).replace("\\", ""), found.group(2).strip()


def ethereum_messages():
    """(("ethereum", path, line), speaker, text) for every spoken line of every call transcript."""
    if not ETHEREUM_MIRROR.exists():
        return
    listing = _git("ls-tree", "-r", "--name-only", "-z", ETHEREUM_COMMIT, mirror=ETHEREUM_MIRROR)
    if listing is None:
        return
    for path in sorted(p for p in listing.split("\0") if p.endswith(".md") and p.split("/")[0].endswith("Meetings")):
        text = _git("show", f"{ETHEREUM_COMMIT}:{path}", mirror=ETHEREUM_MIRROR) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            found = CALL_LINE.match(line.strip())
            if found and found.group(2).strip():
                yield ("ethereum", path, number), found.group(1).strip(), found.group(2).strip()


_ITEM_START = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+")


def nodejs_messages():
    """(("nodejs", path, line), "", text) for every paragraph or list item of the Node.js TSC meeting minutes.

    Minutes wrap their lines: a paragraph (or a list item with its continuation lines) is joined
    into one message, referenced by its first line; headings, tables and code are skipped.
    """
    if not NODEJS_MIRROR.exists():
        return
    listing = _git("ls-tree", "-r", "--name-only", "-z", NODEJS_COMMIT, "meetings", mirror=NODEJS_MIRROR)
    if listing is None:
        return
    for path in sorted(p for p in listing.split("\0") if p.endswith(".md")):
        text = _git("show", f"{NODEJS_COMMIT}:{path}", mirror=NODEJS_MIRROR) or ""
        start, parts, fenced = 0, [], False
        lines = text.splitlines() + [""]
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("```"):
                fenced = not fenced
            ends = fenced or not stripped or stripped.startswith(("#", "|", "```", "<")) or _ITEM_START.match(line)
            if ends and parts:
                yield ("nodejs", path, start), "", " ".join(parts)
                parts = []
            if fenced or not stripped or stripped.startswith(("#", "|", "```", "<")):
                continue
            if not parts:
                start = number
            parts.append(_ITEM_START.sub("", stripped) if not parts else stripped)


def apache_messages():
    """(("apache", file, comment id), login, body) for the real issue comments."""
    folder = SHARED / "github-pulls"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*-comments.json")):
        for comment in json.loads(path.read_text(encoding="utf-8")):
            yield ("apache", path.name, int(comment["id"])), (comment.get("user") or {}).get("login", ""), comment.get("body") or ""


def sentences(messages):
    """(reference + (sentence index,), speaker, sentence) for every sentence of every message."""
    from foundermode.bottlenecks.detector import split_sentences

    for ref, speaker, text in messages:
        for index, sentence in enumerate(split_sentences(text)):
            yield (*ref, index), speaker, sentence


def all_sentences() -> dict[tuple, tuple[str, str]]:
    messages = list(monero_messages()) + list(apache_messages()) + list(ethereum_messages()) + list(nodejs_messages())
    return {ref: (speaker, text) for ref, speaker, text in sentences(messages)}
