"""Slack: a workspace export, and the messages of the Events API.

An export (Slack's "Export data", standard or with DMs) is a zip, or the folder it
unpacks to::

    users.json              [{"id": "U01", "name": "ada", "real_name": "Ada", "profile": {"email": ..., "real_name": ...}}, ...]
    channels.json           [{"id": "C01", "name": "infra", ...}, ...]
    infra/2024-03-11.json   [{"type": "message", "user": "U01", "text": "...", "ts": "1710151200.000100"}, ...]

Only people's own messages count: joins, bot posts, edits' tombstones and other
subtypes are skipped. A parser only: messages out, no tables. Bounded like every
source: the zip's members, each file's size and JSON depth.
"""
from __future__ import annotations

from ..errors import InputError
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .limits import MAX_FILE_BYTES, decode, load_json, read_bytes

MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
TS = re.compile(r"^\d{1,12}(?:\.\d{1,9})?$")
# Message subtypes that are still a person talking.
PERSON_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message"}


class SlackExportError(InputError):
    pass


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str  # the display or real name
    email: str | None
    is_bot: bool = False


@dataclass(frozen=True)
class SlackMessage:
    channel_id: str
    channel: str
    user: str
    ts: str  # Slack's message id: "1710151200.000100"
    text: str
    thread_ts: str | None = None

    @property
    def at(self) -> int:
        return int(float(self.ts))


def permalink(workspace: str | None, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    """Slack's link to a message: https://WORKSPACE.slack.com/archives/C01/p1710151200000100."""
    base = f"https://{workspace}.slack.com" if workspace else "https://slack.com/app_redirect?channel=" + channel_id + "&message_ts=" + ts
    if not workspace:
        return base
    link = f"{base}/archives/{channel_id}/p{ts.replace('.', '')}"
    return link + (f"?thread_ts={thread_ts}&cid={channel_id}" if thread_ts and thread_ts != ts else "")


def user_of(raw: dict) -> SlackUser | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    profile = raw.get("profile") if isinstance(raw.get("profile"), dict) else {}
    name = next((v for v in (profile.get("real_name"), raw.get("real_name"), profile.get("display_name"), raw.get("name"))
                 if isinstance(v, str) and v.strip()), raw["id"])
    email = profile.get("email") if isinstance(profile.get("email"), str) and "@" in profile.get("email", "") else None
    return SlackUser(raw["id"], name.strip(), email, bool(raw.get("is_bot")) or raw.get("id") == "USLACKBOT")


def message_of(raw, channel_id: str, channel: str) -> SlackMessage | None:
    """A person's message, or None (a join, a bot, a tombstone, no text)."""
    if not isinstance(raw, dict) or raw.get("type", "message") != "message":
        return None
    if raw.get("subtype") not in PERSON_SUBTYPES or raw.get("bot_id") or raw.get("hidden"):
        return None
    user, text, ts = raw.get("user"), raw.get("text"), raw.get("ts")
    if not (isinstance(user, str) and user and isinstance(text, str) and text.strip() and isinstance(ts, str) and TS.match(ts)):
        return None
    thread = raw.get("thread_ts") if isinstance(raw.get("thread_ts"), str) and TS.match(raw["thread_ts"]) else None
    return SlackMessage(channel_id, channel, user, ts, text, thread)


class _Export:
    """Files of an export, from a zip or a folder, each read within the bounds."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = None
        if path.is_dir():
            # The top and one folder a channel: nothing deeper is an export's.
            self.names = sorted(str(p.relative_to(path).as_posix()) for pattern in ("*.json", "*/*.json") for p in path.glob(pattern))
            if len(self.names) > MAX_MEMBERS:
                raise SlackExportError(f"{path}: {len(self.names):,} JSON files, over the limit of {MAX_MEMBERS:,}")
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise SlackExportError(f"{path}: not a Slack export (a zip or a folder): {error}") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SlackExportError(f"{path}: {len(infos):,} files in the zip, over the limit of {MAX_MEMBERS:,}")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise SlackExportError(f"{path}: the export unpacks to more than {MAX_TOTAL_BYTES // 1024 ** 3} GB")
        self.infos = {i.filename: i for i in infos if not i.is_dir()}
        self.names = sorted(n for n in self.infos if n.endswith(".json"))
        # An export zipped with its folder: "export/users.json".
        roots = {n.split("/", 1)[0] for n in self.names if n.count("/") >= 1 and n.endswith("/users.json")}
        self.prefix = next(iter(roots)) + "/" if "users.json" not in self.infos and len(roots) == 1 else ""

    def relative(self) -> list[str]:
        if self.zip is None:
            return self.names
        return [n[len(self.prefix):] for n in self.names if n.startswith(self.prefix)]

    def load(self, name: str):
        where = f"{self.path}:{name}"
        if self.zip is None:
            data = read_bytes(self.path / name, SlackExportError)
        else:
            info = self.infos.get(self.prefix + name)
            if info is None:
                raise SlackExportError(f"{self.path}: no {name} in the export")
            if info.file_size > MAX_FILE_BYTES:
                raise SlackExportError(f"{where}: {info.file_size:,} bytes, over the limit of {MAX_FILE_BYTES:,}")
            with self.zip.open(info) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise SlackExportError(f"{where}: over the limit of {MAX_FILE_BYTES:,} bytes")
        return load_json(decode(data, where, SlackExportError), where, SlackExportError)


def read_export(path: Path | str, channels: list[str] | None = None) -> tuple[dict[str, SlackUser], list[SlackMessage]]:
    """The export's users (by id) and its people's messages, oldest first; ``channels`` (names) narrows it."""
    path = Path(path)
    if not path.exists():
        raise SlackExportError(f"{path}: no such file or folder")
    export = _Export(path)
    try:
        names = export.relative()
        if "users.json" not in names or "channels.json" not in names:
            raise SlackExportError(f"{path}: not a Slack export: expected users.json and channels.json at its top")
        users_raw = export.load("users.json")
        channels_raw = export.load("channels.json")
        if not isinstance(users_raw, list) or not isinstance(channels_raw, list):
            raise SlackExportError(f"{path}: users.json and channels.json must be JSON lists")
        users = {u.id: u for u in (user_of(r) for r in users_raw) if u}
        wanted = {c.lstrip("#").casefold() for c in channels} if channels else None
        by_name = {}
        for raw in channels_raw:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str) and isinstance(raw.get("name"), str):
                if wanted is None or raw["name"].casefold() in wanted:
                    by_name[raw["name"]] = raw["id"]
        messages: list[SlackMessage] = []
        for name in names:
            parts = PurePosixPath(name).parts
            if len(parts) != 2 or parts[0] not in by_name or not DAY_FILE.match(parts[1]):
                continue
            day = export.load(name)
            if not isinstance(day, list):
                raise SlackExportError(f"{path}:{name}: expected a JSON list of messages")
            for raw in day:
                found = message_of(raw, by_name[parts[0]], parts[0])
                if found is not None and not (found.user in users and users[found.user].is_bot):
                    messages.append(found)
    finally:
        if export.zip is not None:
            export.zip.close()
    messages.sort(key=lambda m: (float(m.ts), m.channel))
    return users, messages
