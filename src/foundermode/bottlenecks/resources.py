"""Resources, vendors and their escalation chains, read from foundermode.toml.

```toml
[org]
leader = "lead@example.com"

[[resources]]
name = "GPU cluster"
aliases = ["gpus", "the cluster"]
keywords = ["cuda", "nvidia-smi", "gpu node"]
owner = "grace@example.com"
threshold = 2                 # distinct reporters before it escalates (default 2)
depends_on = "Acme Cloud"     # a vendor: the owner can hand the bottleneck to its chain

[[resources.chain]]           # ordered steps; default: owner, then the leader
notify = "owner"              # owner, leader, or an email address
channels = ["email", "slack"]
wait = "30m"                  # before the next step, unless acknowledged
repeat = 1                    # re-send this step this many times before moving on

[[vendors]]
name = "Acme Cloud"
contact = "support@acme.example"
executive = "cto@acme.example"
# [[vendors.chain]] steps may notify contact, executive, owner, leader or an email
```

Every error names the key (``resources[1].chain[0].wait``) and its line.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import time as dtime
from zoneinfo import ZoneInfo

from ..config import CONFIG_NAME, Config, ConfigError
from ..settings import SECTIONS
from . import matching


CHANNELS = ("email", "slack", "webhook")
DEFAULT_THRESHOLD = 2
DEFAULT_WAIT = 30 * 60
RESOURCE_KEYS = SECTIONS["resources"].keys
VENDOR_KEYS = SECTIONS["vendors"].keys
STEP_KEYS = SECTIONS["resources.chain"].keys
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value) -> int:
    """'30m', '1h30m', '2d', '45s' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return int(value)
    text = str(value).strip().replace(" ", "")
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
        raise ValueError(f"'{value}' is not a duration like 30m, 1h30m, 2d or 45s")
    return int(sum(float(n) * _UNITS[u.lower()] for n, u in parts))


def format_duration(seconds: int | float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m"


@dataclass(frozen=True)
class Step:
    notify: str  # owner, leader, contact, executive, or an email address
    channels: tuple[str, ...] = ("email",)
    wait: int = DEFAULT_WAIT
    repeat: int = 0
    stale_after: int | None = None  # None: [bottlenecks] stale_after


@dataclass(frozen=True)
class Resource:
    """An internal resource (kind 'resource') or an outside vendor (kind 'vendor')."""

    name: str
    kind: str = "resource"
    owner: str | None = None  # internal owner; for a vendor, who inside answers for it (optional)
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    threshold: int = DEFAULT_THRESHOLD
    chain: tuple[Step, ...] = ()
    depends_on: str | None = None
    contact: str | None = None  # vendors only
    executive: str | None = None  # vendors only

    @property
    def terms(self) -> list[str]:
        return [self.name, *self.aliases, *self.keywords]

    def recipient(self, notify: str, leader: str | None) -> str | None:
        """Whom a step's ``notify`` names, as an email address."""
        return {"owner": self.owner, "leader": leader, "contact": self.contact, "executive": self.executive}.get(notify, notify if "@" in notify else None)


@dataclass(frozen=True)
class SnapshotStep:
    """One step of a running chain: the configured step with its recipient resolved (``to``)."""

    notify: str
    to: str | None
    channels: tuple[str, ...] = ("email",)
    wait: int = DEFAULT_WAIT
    repeat: int = 0
    stale_after: int | None = None

    def to_dict(self) -> dict:
        return {"notify": self.notify, "to": self.to, "channels": list(self.channels), "wait": self.wait, "repeat": self.repeat,
                "stale_after": self.stale_after}

    @classmethod
    def from_dict(cls, data: dict) -> "SnapshotStep":
        stale = data.get("stale_after")
        return cls(notify=str(data.get("notify") or ""), to=data.get("to") or None, channels=tuple(data.get("channels") or ("email",)),
                   wait=int(data.get("wait") or 0), repeat=int(data.get("repeat") or 0), stale_after=int(stale) if stale else None)


@dataclass(frozen=True)
class ChainSnapshot:
    """A chain as it stood when its escalation started, recipients resolved (Grafana OnCall's
    escalation snapshot): later config edits leave a running escalation alone. Stored as JSON in
    ``escalations.chain``; this is the one place that reads or writes that JSON."""

    name: str
    kind: str
    steps: tuple[SnapshotStep, ...] = ()
    owner: str | None = None
    contact: str | None = None
    executive: str | None = None
    leader: str | None = None
    depends_on: str | None = None

    @classmethod
    def of(cls, resource: "Resource", leader: str | None) -> "ChainSnapshot":
        steps = tuple(SnapshotStep(s.notify, resource.recipient(s.notify, leader), s.channels, s.wait, s.repeat, s.stale_after) for s in resource.chain)
        return cls(name=resource.name, kind=resource.kind, steps=steps, owner=resource.owner, contact=resource.contact,
                   executive=resource.executive, leader=leader, depends_on=resource.depends_on)

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "kind": self.kind, "owner": self.owner, "contact": self.contact, "executive": self.executive,
                           "leader": self.leader, "depends_on": self.depends_on, "steps": [s.to_dict() for s in self.steps]}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "ChainSnapshot":
        data = json.loads(text) if text else {}
        return cls(name=str(data.get("name") or ""), kind=str(data.get("kind") or "resource"),
                   steps=tuple(SnapshotStep.from_dict(s) for s in data.get("steps") or ()), owner=data.get("owner"), contact=data.get("contact"),
                   executive=data.get("executive"), leader=data.get("leader"), depends_on=data.get("depends_on"))

    def step(self, index: int) -> SnapshotStep | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None

    def level(self, index: int) -> str:
        """"2/3": where an escalation at step ``index`` stands (past the last step, the last)."""
        return f"{min(index + 1, len(self.steps))}/{len(self.steps)}"

    def stale_after(self, index: int, default: int) -> int:
        """How long an acknowledgement at step ``index`` holds before the chain climbs again."""
        own = self.steps[min(index, len(self.steps) - 1)].stale_after if self.steps else None
        return int(own) if own else int(default)

    def channels_at(self, index: int) -> tuple[str, ...]:
        return (self.steps[min(index, len(self.steps) - 1)].channels if self.steps else ()) or ("email",)


@dataclass(frozen=True)
class WorkingHours:
    start: dtime = dtime(9, 0)
    end: dtime = dtime(17, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    tz: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


@dataclass(frozen=True)
class Catalog:
    """Everything the escalation engine reads from the config, validated once."""

    resources: dict[str, Resource] = field(default_factory=dict)
    vendors: dict[str, Resource] = field(default_factory=dict)
    leader: str | None = None
    hours: WorkingHours = field(default_factory=WorkingHours)
    call_minutes: int = 30
    matcher: str = "lexical"  # or "semantic" (foundermode[semantic])
    # The matcher's own threshold (chosen on the dev pairs) unless [bottlenecks] match_threshold says otherwise.
    match_threshold: float = matching.DEFAULT_THRESHOLD
    # An acknowledged bottleneck still unresolved after stale_after climbs again (a step's own wins);
    # an open one with no activity for expire_after closes itself.
    stale_after: int = 2 * 86400
    expire_after: int = 30 * 86400

    def get(self, name: str | None) -> Resource | None:
        if not name:
            return None
        key = name.casefold()
        for table in (self.resources, self.vendors):
            for resource in table.values():
                if resource.name.casefold() == key:
                    return resource
        return None

    def match_terms(self) -> dict[str, list[str]]:
        """name -> names, aliases and keywords: what ``matching.detect_resource`` reads."""
        return {r.name: r.terms for r in [*self.resources.values(), *self.vendors.values()]}

    def threshold_for(self, name: str | None) -> int:
        resource = self.get(name)
        return resource.threshold if resource else DEFAULT_THRESHOLD

    def rows(self) -> list[dict]:
        """One row per resource and vendor, for `foundermode resources`."""
        out = []
        for resource in [*self.resources.values(), *self.vendors.values()]:
            out.append(
                {
                    "name": resource.name,
                    "kind": resource.kind,
                    "owner": resource.owner or resource.contact,
                    "threshold": resource.threshold,
                    "depends_on": resource.depends_on,
                    "aliases": list(resource.aliases),
                    "keywords": list(resource.keywords),
                    "chain": [
                        f"{s.notify} ({resource.recipient(s.notify, self.leader) or '?'}) via {'+'.join(s.channels)}, wait {format_duration(s.wait)}"
                        + (f" x{s.repeat + 1}" if s.repeat else "")
                        for s in resource.chain
                    ],
                }
            )
        return out


class _Locator:
    """Finds the line of a key inside the n-th [[resources]] / [[resources.chain]] block."""

    def __init__(self, config: Config):
        self.config = config
        self.lines = config.text.splitlines()

    def _headers(self, header: str, start: int = 0, stop: int | None = None) -> list[int]:
        stop = len(self.lines) if stop is None else stop
        return [i for i in range(start, stop) if self.lines[i].strip().replace(" ", "").startswith(f"[[{header}]]")]

    def block(self, table: str, index: int, sub: str | None = None, sub_index: int | None = None) -> tuple[int, int] | None:
        """(first, last) 0-based line span of a block, or None when it is written inline."""
        tops = self._headers(table)
        if index >= len(tops):
            return None
        first = tops[index]
        last = tops[index + 1] if index + 1 < len(tops) else len(self.lines)
        for i in range(first + 1, last):
            stripped = self.lines[i].strip()
            # a plain [table] header ends the array item, except its own sub-tables
            if stripped.startswith("[") and not stripped.replace(" ", "").startswith(f"[[{table}."):
                last = i
                break
        if sub is None:
            return first, last
        subs = self._headers(f"{table}.{sub}", first, last)
        if sub_index is None or sub_index >= len(subs):
            return None
        sub_last = subs[sub_index + 1] if sub_index + 1 < len(subs) else last
        return subs[sub_index], sub_last

    def line(self, table: str, index: int, key: str | None, sub: str | None = None, sub_index: int | None = None) -> int | None:
        span = self.block(table, index, sub, sub_index)
        if span is None and sub is not None:
            # inline steps: point at the `chain = [...]` line of the resource
            return self.line(table, index, sub)
        if span is None:
            return None
        first, last = span
        if key is None:
            return first + 1
        for i in range(first + 1, last):
            stripped = self.lines[i].strip()
            if sub is None and stripped.startswith("[["):
                break  # the resource's own keys come before its sub-tables
            if re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return i + 1
        return first + 1

    def error(self, message: str, dotted: str, line: int | None) -> ConfigError:
        where = self.config.path or CONFIG_NAME
        return ConfigError(f"{where}: {message} (key '{dotted}'" + (f", line {line})" if line else ")"))


def _strings(value, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{what} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _email(value, what: str) -> str:
    if not isinstance(value, str) or "@" not in value or value.strip() != value or " " in value:
        raise ValueError(f"{what} must be an email address, not {value!r}")
    return value


def load_catalog(config: Config) -> Catalog:
    """Validate [[resources]], [[vendors]], [org] leader and working hours; raise ConfigError on the first problem."""
    where = _Locator(config)
    settings = config.settings
    leader = settings.org.leader
    resources: dict[str, Resource] = {}
    vendors: dict[str, Resource] = {}
    seen: dict[str, str] = {}
    for table, kind, target in (("vendors", "vendor", vendors), ("resources", "resource", resources)):
        items = config.raw.get(table, [])  # as written: the schema has checked their keys and kinds
        for index, item in enumerate(items):
            resource = _parse_resource(item, kind, table, index, where, vendors)
            key = resource.name.casefold()
            if key in seen:
                raise where.error(f"'{resource.name}' is already defined as a {seen[key]}", f"{table}[{index}].name", where.line(table, index, "name"))
            seen[key] = kind
            target[resource.name] = resource
    matcher, match_threshold = _matcher(config)
    return Catalog(resources=resources, vendors=vendors, leader=leader, hours=_working_hours(config), call_minutes=_call_minutes(config),
                   matcher=matcher, match_threshold=match_threshold, **_clocks(config, where))


def _clocks(config: Config, where: "_Locator") -> dict:
    """[bottlenecks] stale_after and expire_after, in seconds."""
    section = config.settings.bottlenecks
    out = {}
    for key in ("stale_after", "expire_after"):
        try:
            seconds = parse_duration(section.get(key))
        except ValueError as error:
            raise where.error(str(error), f"bottlenecks.{key}", None) from None
        if seconds <= 0:
            raise where.error(f"{key} must be longer than 0", f"bottlenecks.{key}", None)
        out[key] = seconds
    return out


def _parse_resource(item: dict, kind: str, table: str, index: int, where: _Locator, vendors: dict[str, Resource]) -> Resource:
    allowed = RESOURCE_KEYS if kind == "resource" else VENDOR_KEYS
    prefix = f"{table}[{index}]"

    def bad(message: str, key: str | None):
        return where.error(message, f"{prefix}.{key}" if key else prefix, where.line(table, index, key))

    for key in item:
        if key not in allowed:
            raise bad(f"unknown key '{key}' (expected one of {', '.join(sorted(allowed))})", key)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad(f"every entry in [[{table}]] needs a name", "name")
    values: dict = {"name": name.strip(), "kind": kind}
    try:
        current = "aliases"
        values["aliases"] = _strings(item.get("aliases", []), "aliases")
        current = "keywords"
        values["keywords"] = _strings(item.get("keywords", []), "keywords")
        current = "owner"
        if kind == "resource" and "owner" not in item:
            raise ValueError(f"resource '{name}' needs an owner (an email address)")
        if "owner" in item:
            values["owner"] = _email(item["owner"], "owner")
        if kind == "vendor":
            current = "contact"
            if "contact" not in item:
                raise ValueError(f"vendor '{name}' needs a contact (an email address)")
            values["contact"] = _email(item["contact"], "contact")
            current = "executive"
            if "executive" in item:
                values["executive"] = _email(item["executive"], "executive")
        current = "threshold"
        threshold = item.get("threshold", DEFAULT_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
            raise ValueError(f"threshold must be a whole number of distinct reporters, at least 1, not {threshold!r}")
        values["threshold"] = threshold
        current = "channels"
        channels = _channels(item.get("channels", ["email"]))
        current = "depends_on"
        if "depends_on" in item:
            depends = item["depends_on"]
            if not isinstance(depends, str) or not any(v.casefold() == depends.casefold() for v in vendors):
                known = ", ".join(vendors) or "none defined"
                raise ValueError(f"depends_on must name a [[vendors]] entry ({known}), not {depends!r}")
            values["depends_on"] = next(v for v in vendors if v.casefold() == depends.casefold())
    except ValueError as error:
        raise bad(str(error), current) from None
    chain = item.get("chain")
    if chain is None:
        values["chain"] = _default_chain(kind, channels, values.get("executive"))
    else:
        if not isinstance(chain, list) or not chain or not all(isinstance(s, dict) for s in chain):
            raise bad("chain must be one or more [[" + table + ".chain]] steps", "chain")
        values["chain"] = tuple(_parse_step(step, kind, channels, table, index, i, where) for i, step in enumerate(chain))
    return Resource(**values)


def _channels(value) -> tuple[str, ...]:
    channels = _strings(value, "channels")
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown or not channels:
        raise ValueError(f"channels must be among {', '.join(CHANNELS)}, not {', '.join(unknown) or 'nothing'}")
    return channels


def _default_chain(kind: str, channels: tuple[str, ...], executive: str | None) -> tuple[Step, ...]:
    if kind == "vendor":
        steps = [Step("contact", channels, 4 * 3600, 0)]
        if executive:
            steps.append(Step("executive", channels, 24 * 3600, 0))
        return tuple(steps)
    return (Step("owner", channels, DEFAULT_WAIT, 1), Step("leader", channels, 2 * 3600, 0))


def _parse_step(step: dict, kind: str, channels: tuple[str, ...], table: str, index: int, number: int, where: _Locator) -> Step:
    prefix = f"{table}[{index}].chain[{number}]"

    def bad(message: str, key: str | None):
        return where.error(message, f"{prefix}.{key}" if key else prefix, where.line(table, index, key, "chain", number))

    for key in step:
        if key not in STEP_KEYS:
            raise bad(f"unknown key '{key}' (expected one of {', '.join(sorted(STEP_KEYS))})", key)
    names = ("owner", "leader") + (("contact", "executive") if kind == "vendor" else ())
    notify = step.get("notify")
    if not isinstance(notify, str) or (notify not in names and "@" not in notify):
        raise bad(f"notify must be {', '.join(names)} or an email address, not {notify!r}", "notify")
    try:
        current = "channels"
        step_channels = _channels(step["channels"]) if "channels" in step else channels
        current = "wait"
        wait = parse_duration(step.get("wait", DEFAULT_WAIT))
        current = "repeat"
        repeat = step.get("repeat", 0)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
            raise ValueError(f"repeat must be a whole number, 0 or more, not {repeat!r}")
        current = "stale_after"
        stale_after = parse_duration(step["stale_after"]) if step.get("stale_after") is not None else None
        if stale_after is not None and stale_after <= 0:
            raise ValueError("stale_after must be longer than 0")
    except ValueError as error:
        raise bad(str(error), current) from None
    return Step(notify, step_channels, wait, repeat, stale_after)


def _working_hours(config: Config) -> WorkingHours:
    """Working hours and days from [meetings], the same ones the meeting analyses use."""
    meetings = config.settings.meetings
    begin, finish = meetings.working_hours
    # 24:00 ends the day: the last representable time of it
    end = dtime.max if finish == 24 * 60 else dtime(finish // 60, finish % 60)
    return WorkingHours(start=dtime(begin // 60, begin % 60), end=end, days=meetings.working_days, tz=meetings.timezone)


def _call_minutes(config: Config) -> int:
    return config.settings.bottlenecks.call_minutes


def _matcher(config: Config) -> tuple[str, float]:
    section = config.settings.bottlenecks
    threshold = section.match_threshold
    return section.matcher, float(threshold if threshold is not None else matching.threshold_for(section.matcher))
