"""The one declared schema of foundermode.toml.

Every key the product reads is declared here once: its section, its kind (which
both checks and normalises the value), its default and one line of help. The
file is checked as a whole when it is loaded: an unknown or misspelt key, or a
value of the wrong kind, is a ``ConfigError`` naming the key and its line.
Readers take effective values from :func:`settings_of` and never re-parse the
raw table, so ``[meetings] working_days`` means the same thing to the meeting
analyses and to the bottleneck scheduler. ``docs/configuration.md`` is generated
from this schema (``foundermode config --docs``) and a test fails when the two
differ; ``foundermode config`` prints the effective settings.

To add a setting: append a ``Setting`` to its section in ``SCHEMA`` (or a new
``Section``), read it with ``settings_of(config).section("name").key``, then run
``foundermode config --docs > docs/configuration.md``.

The model is datasette's ``SETTINGS`` list and its ``tests/test_docs.py``.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, InputError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_BOT_AUTHORS = (
    "*[bot]",
    "*[bot]@*",
    "dependabot*",
    "renovate*",
    "github-actions*",
    "greenkeeper*",
    "snyk-bot*",
    "*@noreply.github.com",
)

DEFAULT_EXCLUDED_PATHS = (
    "vendor/",
    "vendors/",
    "third_party/",
    "third-party/",
    "thirdparty/",
    "node_modules/",
    "bower_components/",
    "*.min.js",
    "*.min.css",
    "*.map",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Gemfile.lock",
    "poetry.lock",
    "Pipfile.lock",
    "Cargo.lock",
    "composer.lock",
    "go.sum",
    "uv.lock",
    "*.pb.go",
    "*_pb2.py",
    "*.generated.*",
)


# -- kinds: each checks a value and returns it normalised --------------------------------

class Kind:
    """What a value must be. ``parse`` raises ValueError with the reason ("must be ...")."""

    label = "any value"

    def parse(self, value):
        return value


@dataclass(frozen=True)
class Whole(Kind):
    minimum: int | None = None
    maximum: int | None = None

    @property
    def label(self) -> str:
        return "whole number" + (f",{_bounds(self.minimum, self.maximum)}" if _bounds(self.minimum, self.maximum) else "")

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {value!r}")
        _check_bounds(value, self.minimum, self.maximum, self.label)
        return value


@dataclass(frozen=True)
class Number(Kind):
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False  # the minimum itself is excluded (a share that must be > 0)
    below: bool = False  # the maximum itself is excluded

    @property
    def label(self) -> str:
        words = _bounds(self.minimum, self.maximum, self.above, self.below)
        return "number" + (f",{words}" if words else "")

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, not {value!r}")
        _check_bounds(value, self.minimum, self.maximum, self.label, self.above, self.below)
        return float(value)


@dataclass(frozen=True)
class Flag(Kind):
    label = "true or false"

    def parse(self, value):
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value


@dataclass(frozen=True)
class Text(Kind):
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "one of " + ", ".join(f'"{c}"' for c in self.choices) if self.choices else "string"

    def parse(self, value):
        if not isinstance(value, str):
            raise ValueError(f"must be a {self.label}, not {value!r}")
        if self.choices and value not in self.choices:
            raise ValueError(f"must be {self.label}, not {value!r}")
        return value


@dataclass(frozen=True)
class EnvName(Kind):
    """The name of an environment variable that holds a secret: secrets never live in the file."""

    label = "name of an environment variable"

    def parse(self, value):
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"must be the name of an environment variable (the secret itself goes there), not {value!r}")
        return value


@dataclass(frozen=True)
class Strings(Kind):
    label = "list of strings"

    def parse(self, value):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"must be a list of non-empty strings, not {value!r}")
        return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class WebAddress(Kind):
    """Where people reach a service: http(s), a host, maybe a path; kept without its trailing slash."""

    label = "http:// or https:// address"

    def parse(self, value):
        text = value.strip() if isinstance(value, str) else value
        if not isinstance(text, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
            raise ValueError(f"must be an http:// or https:// address with no query or fragment (https://foundermode.example.com), not {value!r}")
        return text.rstrip("/")


def _is_email(value) -> bool:
    return isinstance(value, str) and "@" in value and value.strip() == value and " " not in value


@dataclass(frozen=True)
class Email(Kind):
    label = "email address"

    def parse(self, value):
        if not _is_email(value):
            raise ValueError(f"must be an email address, not {value!r}")
        return value


@dataclass(frozen=True)
class Emails(Kind):
    label = "list of email addresses"

    def parse(self, value):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(_is_email(v) for v in value):
            raise ValueError(f"must be a list of email addresses, not {value!r}")
        return tuple(value)


@dataclass(frozen=True)
class FlagOrEmails(Kind):
    """``true`` (every one), ``false`` (none), or a list of email addresses (those)."""

    label = "true, false or a list of email addresses"

    def parse(self, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(_is_email(v) for v in value):
            raise ValueError(f"must be {self.label}, not {value!r}")
        return tuple(value)


def zone_name(name) -> str | None:
    """The IANA name for an IANA or Windows time-zone name, or None when it is neither."""
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Deferred: icalendar is heavy to import and only a Windows name (Outlook's
    # "W. Europe Standard Time") needs its table.
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    return WINDOWS_TO_OLSON.get(name)


@dataclass(frozen=True)
class TimeZone(Kind):
    label = "time zone (IANA \"Europe/Paris\" or Windows \"W. Europe Standard Time\")"

    def parse(self, value):
        zone = zone_name(value)
        if zone is None:
            raise ValueError(f"must be a time zone like \"Europe/Paris\", not {value!r} (unknown time zone)")
        return zone


@dataclass(frozen=True)
class WeeklyTime(Kind):
    """A moment of the week in local time: "mon 08:00", "mon,thu 08:30", "daily 07:00" -> ((days 0..6), minutes after midnight)."""

    label = "\"DAY HH:MM\" (\"mon 08:00\", \"mon,thu 08:00\", \"daily 07:30\")"

    def parse(self, value):
        if isinstance(value, str):
            parts = value.strip().lower().split()
            if len(parts) == 2:
                days_text, clock = parts
                days = tuple(range(7)) if days_text in ("daily", "every-day") else tuple(
                    DAY_NAMES.index(d[:3]) if d[:3] in DAY_NAMES and d.isalpha() else -1 for d in days_text.split(",")
                )
                hours, _, mins = clock.partition(":")
                if days and -1 not in days and hours.isdigit() and mins.isdigit() and len(mins) == 2 and int(hours) < 24 and int(mins) < 60:
                    return tuple(sorted(set(days))), int(hours) * 60 + int(mins)
        raise ValueError(f"must be {self.label}, not {value!r}")


@dataclass(frozen=True)
class ClockRange(Kind):
    """Working hours as minutes after local midnight: "09:00-17:00" -> (540, 1020); the end may be 24:00."""

    label = "\"HH:MM-HH:MM\", start before end"

    def parse(self, value):
        text = value if isinstance(value, str) else "-".join(value) if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value) else None
        try:
            begin, end = (part.strip() for part in text.split("-"))
            minutes = []
            for part in (begin, end):
                hours, mins = part.split(":")
                if not (hours.isdigit() and mins.isdigit() and len(mins) == 2 and int(mins) < 60):
                    raise ValueError
                minutes.append(int(hours) * 60 + int(mins))
            if not 0 <= minutes[0] < minutes[1] <= 24 * 60:
                raise ValueError
            return minutes[0], minutes[1]
        except (AttributeError, ValueError):
            raise ValueError(f"must look like \"09:00-17:00\" (start before end, at most 24:00), not {value!r}") from None


@dataclass(frozen=True)
class Weekdays(Kind):
    """Days as names ("Mon", "monday") or numbers 1..7 (Monday = 1); normalised to 0..6 (Monday = 0)."""

    label = "list of days: \"Mon\"..\"Sun\" or 1..7 (Monday = 1)"

    def parse(self, value):
        days = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 7:
                days.append(item - 1)
            elif isinstance(item, str) and item.strip().lower()[:3] in DAY_NAMES and DAY_NAMES[0] and item.strip().isalpha():
                days.append(DAY_NAMES.index(item.strip().lower()[:3]))
            else:
                raise ValueError(f"must list days as \"Mon\"..\"Sun\" or 1..7 (Monday = 1), not {item!r}")
        if not days:
            raise ValueError("must name at least one day")
        return tuple(sorted(set(days)))


@dataclass(frozen=True)
class Table(Kind):
    """A free-form table: any key, each value of one kind (``[meetings.timezones]`` email = zone)."""

    value: Kind = field(default_factory=Kind)
    keys: str = "key"

    @property
    def label(self) -> str:
        return f"table of {self.keys} = {self.value.label}"

    def parse(self, value):
        if not isinstance(value, dict):
            raise ValueError(f"must be a table of {self.keys} = {self.value.label}")
        out = {}
        for key, item in value.items():
            try:
                out[str(key)] = self.value.parse(item)
            except ValueError as error:
                raise ValueError(f"entry {key!r} {error}") from None
        return out


def _bounds(minimum, maximum, above=False, below=False) -> str:
    """" between 0 and 1", " at least 1", " above 0": the range in words, for labels and messages."""
    if minimum is not None and maximum is not None:
        return f" {'above' if above else 'between'} {minimum} {'and below' if below else 'and'} {maximum}"
    if minimum is not None:
        return f" {'above' if above else 'at least'} {minimum}"
    if maximum is not None:
        return f" {'below' if below else 'at most'} {maximum}"
    return ""


def _check_bounds(value, minimum, maximum, label, above=False, below=False):
    low = minimum is not None and (value <= minimum if above else value < minimum)
    high = maximum is not None and (value >= maximum if below else value > maximum)
    if low or high:
        raise ValueError(f"must be{_bounds(minimum, maximum, above, below)}, not {value!r}")


# -- the schema ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    key: str
    kind: Kind
    default: Any
    help: str


@dataclass(frozen=True)
class Section:
    """A table of the file. ``repeated``: written as [[name]] tables (a list of items),
    each item's keys declared; ``owner`` names the module that checks what the kinds
    alone cannot (an escalation step's recipient, a resource's duplicate name)."""

    name: str
    help: str
    settings: tuple[Setting, ...]
    repeated: bool = False
    owner: str | None = None

    def setting(self, key: str) -> Setting | None:
        return next((s for s in self.settings if s.key == key), None)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(s.key for s in self.settings)


_CHAIN_STEP = (
    Setting("notify", Text(), None, "Who this step reaches: \"owner\", \"leader\" (resources), \"contact\", \"executive\" (vendors) or an email address."),
    Setting("channels", Strings(), None, "email, slack or webhook (see [notify]); default: the resource's channels."),
    Setting("wait", Text(), None, "How long to wait for an acknowledgement before the next step: \"30m\", \"4h\", \"2d\"."),
    Setting("repeat", Whole(minimum=0), 0, "Ask this step again this many times before moving on."),
    Setting("stale_after", Text(), None, "Acknowledged at this step but still unresolved after this long, it climbs again: the owner is reminded, then, after as long again, the leader is told (\"2d\"); default: [bottlenecks] stale_after."),
)
_RESOURCE_COMMON = (
    Setting("name", Text(), None, "Its name, as people write it in a blocker report."),
    Setting("aliases", Strings(), (), "Other names people use for it."),
    Setting("keywords", Strings(), (), "Words that point at it in a report."),
    Setting("owner", Email(), None, "The person who owns it (email)."),
    Setting("threshold", Whole(minimum=1), 2, "Distinct reporters of one problem before its chain starts."),
    Setting("channels", Strings(), ("email",), "Default channels of its chain's steps."),
    Setting("chain", Kind(), None, "Its escalation chain: [[...chain]] steps with notify, channels, wait, repeat."),
)

SCHEMA: tuple[Section, ...] = (
    Section("store", "Where the store lives.", (
        Setting("url", Text(), None, "A PostgreSQL URL for a team deployment (FOUNDERMODE_DB in the environment wins); default: SQLite in .foundermode/ next to this file."),
    )),
    Section("ingest", "Reading git.", (
        Setting("jobs", Whole(minimum=1), None, "Parallel git processes per repository; default: one per core."),
    )),
    Section("identities", "Who is who, on top of .mailmap and the org chart.", (
        Setting("merge_same_name", Flag(), False, "One person per full name across addresses (off: two people can share a name)."),
        Setting("aliases", Table(Strings(), keys="\"canonical email\""), {}, "[identities.aliases] \"ada@example.com\" = [\"ada@old.example\", \"github:ada-l\"]: other identities of a person."),
        Setting("merge", Text(choices=("propose", "auto")), "propose",
                "What ingest and sync do with people who appear under several identities: \"propose\" counts them and leaves the merging to you (`people duplicates`, `people merge`); "
                "\"auto\" also merges the strongest proposals (confidence 0.95: the same full name with the same address name at another domain, or a GitHub noreply login under the same name), each recorded and undone by `people split`."),
    )),
    Section("rules", "What counts as work: bots and vendored or generated paths are stored but flagged and left out of the figures.", (
        Setting("bot_authors", Strings(), DEFAULT_BOT_AUTHORS, "Glob patterns on author name or email that mark a bot (replaces the defaults)."),
        Setting("extra_bot_authors", Strings(), (), "More bot patterns, on top of bot_authors."),
        Setting("excluded_paths", Strings(), DEFAULT_EXCLUDED_PATHS, "gitignore-like patterns of vendored or generated paths (replaces the defaults)."),
        Setting("extra_excluded_paths", Strings(), (), "More excluded path patterns, on top of excluded_paths."),
    )),
    Section("ownership", "Ownership at HEAD (git blame).", (
        Setting("commit_graph", Flag(), True, "Write git's commit-graph before a large blame (faster blames; it writes into the repository's .git)."),
    )),
    Section("org", "The organisation.", (
        Setting("leader", Email(), None, "The leader (email): the brief's time split, the last step of default chains."),
        Setting("leaders", Emails(), (), "More people with the leader's rights on the web."),
        Setting("timezone", TimeZone(), "UTC", "The organisation's time zone: the default for [meetings] timezone."),
        Setting("inactive_after", Text(), "6m", "Someone the org chart does not date has departed after this long with no activity (6m, 180d, 1y): people.py."),
    )),
    Section("meetings", "Meetings: cost, load, focus time, walk-outs, stagnation.", (
        Setting("hourly_rate", Number(minimum=0), 100.0, "Cost of one person-hour in meetings."),
        Setting("currency", Text(), "USD", "Currency of hourly_rate."),
        Setting("large_meeting_threshold", Whole(minimum=1), 8, "A meeting with more attendees than this is large."),
        Setting("long_meeting_minutes", Whole(minimum=1), 60, "A meeting longer than this is long."),
        Setting("focus_block_minutes", Whole(minimum=1), 120, "Free time in working hours counts as focus time from this length."),
        Setting("working_hours", ClockRange(), (9 * 60, 17 * 60), "Working hours in local time, also where escalation calls are booked (\"09:00-17:00\")."),
        Setting("working_days", Weekdays(), (0, 1, 2, 3, 4), "Working days (default Mon-Fri)."),
        Setting("timezone", TimeZone(), None, "Floating times, weeks of the trend, people with no zone of their own; default: [org] timezone."),
        Setting("timezones", Table(TimeZone(), keys="email"), {}, "[meetings.timezones] \"ada@example.com\" = \"Europe/London\": a person's zone, over their calendar's; escalation calls fall in their working hours there too."),
        Setting("tz_aliases", Table(TimeZone(), keys="\"calendar TZID\""), {}, "[meetings.tz_aliases] \"Custom TZID\" = \"Area/City\": zones calendars name their own way."),
        Setting("walkout_occurrences", Whole(minimum=1), 3, "Occurrences of a recurring meeting someone must have sat in before a walk-out is suggested."),
        Setting("walkout_max_share", Number(minimum=0, maximum=1, below=True), 0.05, "Suggest walking out when a person spoke less than this share (0.05 = 5 %)."),
        Setting("stagnation_weeks", Whole(minimum=1), 12, "Length of the windows compared to find stagnant areas."),
        Setting("stagnation_threshold", Number(minimum=0, maximum=1, above=True), 0.25, "An area is stagnant when its recent commits fall below this share of its typical window."),
        Setting("stagnation_depth", Whole(minimum=1), 1, "Directory levels that make an area."),
        Setting("stagnation_by", Text(choices=("directory", "codeowners")), "directory", "Areas by directory or by CODEOWNERS owner."),
        Setting("stale_branch_days", Whole(minimum=1), 30, "A branch with no commit for this many days is stale."),
    )),
    Section("bottlenecks", "Blocker intake and grouping.", (
        Setting("call_minutes", Whole(minimum=5, maximum=240), 30, "Length of the call booked when a chain reaches a person."),
        Setting("matcher", Text(choices=("lexical", "semantic")), "lexical", "How reports are grouped: lexical (no dependency) or semantic (the optional sentence-embedding extra)."),
        Setting("match_threshold", Number(minimum=0, maximum=1, above=True), None, "Score from which two reports are one problem; default: the matcher's measured threshold."),
        Setting("stale_after", Text(), "2d", "An acknowledged bottleneck still unresolved after this long climbs again: the owner is reminded, then, after as long again, the leader is told; a chain step's stale_after wins."),
        Setting("expire_after", Text(), "30d", "An open bottleneck with no activity (no report, event or acknowledgement) for this long closes itself, with a note on its timeline."),
    )),
    Section("notify", "The notification outbox.", (
        Setting("max_attempts", Whole(minimum=1), 6, "Tries before a message becomes a dead letter."),
        Setting("backoff_base", Whole(minimum=0), 30, "Seconds before the second try; doubles after each failure."),
        Setting("backoff_cap", Whole(minimum=0), 3600, "Never wait longer than this between tries (seconds)."),
        Setting("lease", Whole(minimum=1), 300, "A deliverer that dies mid-send gives its messages back after this many seconds."),
        Setting("batch", Whole(minimum=1), 20, "Messages claimed per round trip."),
        Setting("http_timeout", Number(minimum=0.1), 5.0, "Seconds, Slack and webhook."),
        Setting("smtp_timeout", Number(minimum=0.1), 10.0, "Seconds, email."),
    )),
    Section("notify.email", "Email over SMTP.", (
        Setting("host", Text(), None, "SMTP server."),
        Setting("port", Whole(minimum=1, maximum=65535), None, "Default: 465 with ssl, 587 with starttls, else 25."),
        Setting("sender", Text(), None, "From: address, \"name <address>\"; also the organiser of call invites."),
        Setting("starttls", Flag(), False, "Upgrade the connection with STARTTLS."),
        Setting("ssl", Flag(), False, "Connect over TLS (port 465); excludes starttls."),
        Setting("username", Text(), None, "SMTP user; its password comes from password_env."),
        Setting("password_env", EnvName(), None, "Environment variable holding the SMTP password."),
    )),
    Section("notify.slack", "Slack incoming webhook.", (
        Setting("webhook_url_env", EnvName(), None, "Environment variable holding the webhook URL."),
    )),
    Section("notify.webhook", "Signed HTTP webhook (HMAC-SHA256).", (
        Setting("url_env", EnvName(), None, "Environment variable holding the URL."),
        Setting("secret_env", EnvName(), None, "Environment variable holding the signing secret (unsigned webhooks are refused)."),
    )),
    Section("web", "The web server's address, sessions and sign-in (web/auth.py, web/links.py).", (
        Setting("base_url", WebAddress(), None, "The address people open foundermode at (https://foundermode.example.com): escalation emails and Slack messages link to the bottleneck's page there, the action ready; unset, they name the bottleneck and say the address is not configured."),
        Setting("link_days", Number(minimum=0, above=True), 7.0, "Days an emailed or Slack link to act on a bottleneck works; it still needs a sign-in."),
        Setting("tls_proxy", Flag(), False, "A TLS proxy terminates HTTPS in front of foundermode: cookies are sent Secure and HSTS is on even though the app sees http."),
        Setting("session_days", Number(minimum=0, above=True), 14.0, "Days a session lasts; sign-out, a revoked token or the person's end date end it sooner."),
        Setting("sign_in_attempts_per_address", Whole(minimum=1), 20, "Failed sign-ins from one address within sign_in_window before it must wait."),
        Setting("sign_in_attempts_per_account", Whole(minimum=1), 5, "Failed or requested sign-ins for one account (email) within sign_in_window before it must wait."),
        Setting("sign_in_window", Whole(minimum=1), 900, "Seconds over which sign-in attempts are counted."),
    ), owner="foundermode.web.auth"),
    Section("slack", "The /blocker slash command, and Slack messages heard for blockers (Events API, exports).", (
        Setting("signing_secret_env", EnvName(), None, "Environment variable holding Slack's signing secret."),
        Setting("channels", Strings(), (), "Channels whose messages are heard for blockers (ids for the Events API, names or ids for exports); empty: every channel."),
        Setting("workspace", Text(), None, "The workspace's subdomain (acme for acme.slack.com), for links back to a message."),
    )),
    Section("brief", "The brief delivered: by email on a schedule, with a short Slack summary (brief/deliver.py).", (
        Setting("send", WeeklyTime(), None, "When the brief is sent, in timezone (\"mon 08:00\"); unset: never on its own (`foundermode brief --send` sends now)."),
        Setting("recipients", Emails(), (), "Who receives the brief by email; default: [org] leader."),
        Setting("managers", FlagOrEmails(), False, "Each manager (true: everyone with reports in the org chart; or a list of their emails) also gets their own team's brief: the people under them."),
        Setting("timezone", TimeZone(), None, "The zone of send; default: [org] timezone."),
        Setting("catch_up_hours", Whole(minimum=0), 12, "A send missed (the server was down) is still made this many hours late; later, it waits for the next one."),
        Setting("slack", Flag(), False, "Also post a short summary through [notify.slack], with a link to the web brief."),
        Setting("url", Text(), None, "The web brief's address (https://foundermode.example.com/brief), linked from the email and Slack."),
    ), owner="foundermode.brief.deliver"),
    Section("sources", "What `foundermode sync` takes in, each brought up to date in turn.", (
        Setting("repositories", Kind(), (), "Git repositories: paths, globs (\"~/src/*\"), clone URLs, or a JSON repository list; checked by sync.py."),
        Setting("calendars", Kind(), (), "Calendar folders or .ics files, subscription URLs, or tables {url_env, path, owner}; checked by sync.py."),
        Setting("transcripts", Strings(), (), "Folders of meeting transcripts, attached to meetings by name and time."),
        Setting("org_chart", Text(), None, "The org chart CSV (email,name,title,team,manager_email,role[,start_date,end_date])."),
    ), owner="foundermode.sync"),
    Section("sync", "Running sync on a schedule.", (
        Setting("every", Text(), None, "How often `foundermode serve` syncs on its own (\"15m\", \"1h\"); unset or \"off\": never."),
        Setting("timeout", Number(minimum=0, above=True), 20.0, "Seconds one source may take before it is named as failed."),
    ), owner="foundermode.sync"),
    Section("github", "GitHub's API, for code review.", (
        Setting("api_url", Text(), None, "API base URL (GitHub Enterprise); default https://api.github.com."),
        Setting("token_env", EnvName(), None, "Environment variable holding the token; default GITHUB_TOKEN or GH_TOKEN."),
    )),
    Section("gitlab", "GitLab's API, for code review.", (
        Setting("api_url", Text(), None, "API base URL (self-managed GitLab); default https://gitlab.com/api/v4."),
        Setting("token_env", EnvName(), None, "Environment variable holding the token; default GITLAB_TOKEN or GLAB_TOKEN."),
    )),
    Section("reviews", "Code review's principles (team/reviews.py, bottlenecks/review_queue.py).", (
        Setting("queue_days", Number(minimum=0), 2.0, "A ready pull request waiting this many days for a requested reviewer counts in that reviewer's queue; a queue holding up two or more people's pull requests is a bottleneck (`foundermode tick`)."),
    )),
    Section("resources", "[[resources]]: what people get blocked on, with owners and escalation chains.", _RESOURCE_COMMON + (
        Setting("depends_on", Text(), None, "The vendor (a [[vendors]] name) this resource depends on."),
    ), repeated=True, owner="foundermode.bottlenecks.resources"),
    Section("resources.chain", "[[resources.chain]]: one step of a resource's escalation chain.", _CHAIN_STEP, repeated=True, owner="foundermode.bottlenecks.resources"),
    Section("vendors", "[[vendors]]: outside suppliers, with their own contacts.", _RESOURCE_COMMON + (
        Setting("contact", Email(), None, "The vendor's account contact (email)."),
        Setting("executive", Email(), None, "The vendor's executive (email), the last step of its default chain."),
    ), repeated=True, owner="foundermode.bottlenecks.resources"),
    Section("vendors.chain", "[[vendors.chain]]: one step of a vendor's escalation chain.", _CHAIN_STEP, repeated=True, owner="foundermode.bottlenecks.resources"),
)

SECTIONS: dict[str, Section] = {s.name: s for s in SCHEMA}


def default(section: str, key: str):
    """The declared default of one setting."""
    return SECTIONS[section].setting(key).default


def parse_value(section: str, key: str, value):
    """Check a value given another way (a command-line option) as the file's key would be: ValueError naming the key."""
    try:
        return SECTIONS[section].setting(key).kind.parse(value)
    except ValueError as error:
        raise InputError(f"{section}.{key} {error}") from None


# -- reading a file through the schema ------------------------------------------------------

class Values:
    """The effective values of one section: attribute access, defaults filled in."""

    def __init__(self, section: Section, values: dict, given: frozenset[str]):
        self._section = section
        self._values = values
        self.given = given  # the keys the file itself sets

    def __getattr__(self, key: str):
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(f"[{self._section.name}] has no setting {key!r}") from None

    def get(self, key: str, default=None):
        """The value of a declared key (``default`` when it is None); an undeclared key is a programming error."""
        if key not in self._values:
            raise AttributeError(f"[{self._section.name}] has no setting {key!r}: declare it in settings.SCHEMA")
        value = self._values[key]
        return default if value is None else value

    def items(self):
        return self._values.items()

    def __repr__(self) -> str:
        return f"Values([{self._section.name}] {self._values!r})"


class EffectiveSettings:
    """Every section of one file, checked; ``section(name)`` for a table, ``items(name)`` for [[name]]."""

    def __init__(self, sections: dict[str, Values], repeated: dict[str, list[dict]]):
        self._sections = sections
        self._repeated = repeated

    def section(self, name: str) -> Values:
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(f"no section [{name}] in settings.SCHEMA") from None

    def __getattr__(self, name: str) -> Values:
        sections = self.__dict__["_sections"]
        if name in sections:
            return sections[name]
        raise AttributeError(name)

    def items(self, name: str) -> list[dict]:
        """The [[name]] tables, each item's keys checked against the schema, values as written."""
        return self._repeated.get(name, [])

    def as_dict(self) -> dict:
        out: dict = {name: dict(values.items()) for name, values in self._sections.items()}
        out.update({name: items for name, items in self._repeated.items() if items})
        return out


def check(raw: dict, text: str = "", where: str = "foundermode.toml") -> EffectiveSettings:
    """Check a parsed file against the schema; the first problem is a ConfigError with its key and line."""
    lines = KeyLines(text)

    def fail(message: str, dotted: str, line: int | None):
        raise ConfigError(f"{where}: {message} (key '{dotted}'" + (f", line {line})" if line else ")"))

    sections: dict[str, Values] = {}
    repeated: dict[str, list[dict]] = {}
    for key, value in raw.items():
        section = SECTIONS.get(key)
        if section is None or "." in key:
            fail(f"unknown section [{key}]{_suggest(key, [s.name for s in SCHEMA if '.' not in s.name])}", key, lines.table_line(key))
        if section.repeated and not (isinstance(value, list) and all(isinstance(i, dict) for i in value)):
            fail(f"{key} must be written as [[{key}]] tables", key, lines.table_line(key))
        if not section.repeated and not isinstance(value, dict):
            fail(f"{key} must be a table ([{key}])", key, lines.table_line(key))

    def read_table(section: Section, table: dict, index: int | None, parent_index: int | None = None) -> dict:
        values = {}
        for key, value in table.items():
            dotted = f"{section.name}.{key}" if index is None else f"{section.name}[{index}].{key}"
            child = SECTIONS.get(f"{section.name}.{key}")
            if child is not None:
                continue  # a sub-table, read on its own
            setting = section.setting(key)
            line = lines.key_line(section.name, key, index, parent_index)
            if setting is None:
                fail(f"unknown key '{key}' in [{section.name}]{_suggest(key, sorted(section.keys))}", dotted, line)
            if isinstance(setting.kind, Kind) and type(setting.kind) is Kind:
                values[key] = value  # checked by the section's owner module
                continue
            try:
                values[key] = setting.kind.parse(value)
            except ValueError as error:
                fail(f"{section.name}.{key} {error}", dotted, line)
        return values

    for section in SCHEMA:
        if section.repeated:
            if "." in section.name:
                continue  # steps are read inside their parent items
            items = raw.get(section.name, [])
            checked = []
            for index, item in enumerate(items):
                item_values = read_table(section, item, index)
                child = SECTIONS.get(f"{section.name}.chain")
                steps = item.get("chain")
                if child is not None and isinstance(steps, list) and all(isinstance(s, dict) for s in steps):
                    item_values["chain"] = [
                        {**read_table(child, step, step_index, index)} for step_index, step in enumerate(steps)
                    ]
                checked.append(item_values)
            repeated[section.name] = checked
            continue
        table = raw
        for part in section.name.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else None
        if not isinstance(table, dict):
            fail(f"{section.name} must be a table ([{section.name}])", section.name, lines.table_line(section.name))
        given = read_table(section, table, None)
        values = {s.key: s.default for s in section.settings}
        values.update(given)
        sections[section.name] = Values(section, values, frozenset(given))
    # one default that reads another section: the organisation's zone
    meetings = sections["meetings"]
    if meetings.timezone is None:
        meetings._values["timezone"] = sections["org"].timezone
    return EffectiveSettings(sections, repeated)


def _suggest(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class KeyLines:
    """Where each key of a TOML text is written: (table, item index, key) -> line number.

    A small line scanner (tomllib keeps no positions): table headers, [[array]]
    items, ``key = value`` lines and dotted keys; lines inside multi-line strings
    and arrays are skipped.
    """

    def __init__(self, text: str):
        self.tables: dict[tuple, int] = {}
        self.keys: dict[tuple, int] = {}
        counts: dict[str, int] = {}
        table: tuple = ()
        open_brackets = 0
        in_string = None
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if in_string:
                if in_string in stripped:
                    in_string = None
                continue
            if open_brackets > 0:
                open_brackets += _brackets(stripped)
                continue
            if not stripped or stripped.startswith("#"):
                continue
            header = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", stripped) or re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
            if header:
                name = _unquote_dotted(header.group(1))
                if stripped.startswith("[["):
                    counts[name] = counts.get(name, -1) + 1
                    # a sub-array belongs to the latest item of its parent
                    parent = name.rsplit(".", 1)[0] if "." in name else None
                    table = (name, counts[name], counts.get(parent, -1) if parent in counts else None)
                    if parent in counts:
                        key = (name, parent, counts[parent])
                        counts[f"{name}@{counts[parent]}"] = counts.get(f"{name}@{counts[parent]}", -1) + 1
                        table = (name, counts[f"{name}@{counts[parent]}"], counts[parent])
                        del key
                else:
                    table = (name, None, None)
                self.tables.setdefault(table, number)
                self.tables.setdefault((name, None, None), number)
                continue
            assignment = re.match(r'^((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*=(.*)$', stripped)
            if assignment:
                parts = _unquote_dotted(assignment.group(1)).split(".")
                name, index, parent_index = table if table else ("", None, None)
                prefix = [name] if name else []
                full = prefix + parts[:-1]
                self.keys.setdefault((".".join(full), parts[-1], index, parent_index), number)
                # a dotted key also defines its sub-tables (meetings.timezones.x = ...)
                for depth in range(1, len(parts)):
                    self.keys.setdefault((".".join(prefix + parts[:depth - 1]), parts[depth - 1], index, parent_index), number)
                rest = assignment.group(2).strip()
                for quote in ('"""', "'''"):
                    if rest.startswith(quote) and rest.count(quote) == 1:
                        in_string = quote
                open_brackets = max(0, _brackets(rest))

    def key_line(self, table: str, key: str, index: int | None = None, parent_index: int | None = None) -> int | None:
        found = self.keys.get((table, key, index, parent_index))
        if found is None and index is None:
            # written as a sub-table header ([meetings.timezones]) or from a parent table
            found = self.tables.get((f"{table}.{key}", None, None))
            parent, _, last = table.rpartition(".")
            if found is None and parent:
                found = self.keys.get((parent, last, None, None))
        return found

    def table_line(self, table: str) -> int | None:
        parent, _, last = table.rpartition(".")
        return self.tables.get((table, None, None)) or self.tables.get((table, 0, None)) or self.keys.get((parent, last, None, None))


def _brackets(text: str) -> int:
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'[^\']*\'', "", text.split("#", 1)[0] if '"' not in text and "'" not in text else text)
    return text.count("[") - text.count("]")


def _unquote_dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', name))


# -- the effective settings and the generated reference ---------------------------------------

def settings_of(config) -> EffectiveSettings:
    """The checked settings of a Config (computed once per Config)."""
    return config.settings


def describe_value(value) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[1] > 24:
        return '"%02d:%02d-%02d:%02d"' % (value[0] // 60, value[0] % 60, value[1] // 60, value[1] % 60)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {describe_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _default_text(section: Section, setting: Setting) -> str:
    if setting.kind.__class__ is Weekdays:
        return "[" + ", ".join(f'"{DAY_NAMES[d].title()}"' for d in setting.default) + "]"
    if section.name == "meetings" and setting.key == "timezone":
        return "[org] timezone"
    if setting.default is None or setting.default == () or setting.default == {}:
        return "—"
    return describe_value(setting.default).replace("|", "\\|")


def reference_markdown() -> str:
    """docs/configuration.md, generated from SCHEMA (a test keeps the file equal to this)."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated from src/foundermode/settings.py by `foundermode config --docs`; do not edit by hand. -->",
        "",
        "foundermode reads `foundermode.toml`, searched upwards from the current folder",
        "(or `--config PATH`, or `FOUNDERMODE_CONFIG`). Every key is declared below; an unknown",
        "or misspelt key, or a value of the wrong kind, stops the command with the key and its line.",
        "Secrets never live in the file: a key ending in `_env` names the environment variable",
        "that holds the secret. `foundermode config` prints the effective settings.",
        "",
    ]
    for section in SCHEMA:
        header = f"[[{section.name}]]" if section.repeated else f"[{section.name}]"
        out += [f"## `{header}`", "", section.help, ""]
        if section.owner:
            out += [f"Checked further by `{section.owner}`.", ""]
        out += ["| key | kind | default | meaning |", "| --- | --- | --- | --- |"]
        for setting in section.settings:
            kind = setting.kind.label.replace("|", "\\|")
            out.append(f"| `{setting.key}` | {kind} | {_default_text(section, setting)} | {setting.help.replace('|', chr(92) + '|')} |")
        out.append("")
    return "\n".join(out)


def effective_toml(settings: EffectiveSettings) -> str:
    """The effective settings, one `key = value` per line, defaults included."""
    out = []
    for section in SCHEMA:
        if section.repeated:
            continue
        values = settings.section(section.name)
        out.append(f"[{section.name}]")
        for setting in section.settings:
            value = values.get(setting.key)
            if value is None:
                out.append(f"# {setting.key} is unset")
                continue
            if section.name == "meetings" and setting.key == "working_days":
                text = "[" + ", ".join(f'"{DAY_NAMES[d].title()}"' for d in value) + "]"
            else:
                text = describe_value(value)
            marker = "" if setting.key in values.given else "  # default"
            out.append(f"{setting.key} = {text}{marker}")
        out.append("")
    for name in ("resources", "vendors"):
        for item in settings.items(name):
            out.append(f"[[{name}]]  # {item.get('name')!s}")
    return "\n".join(out).rstrip() + "\n"


def starter_toml() -> str:
    """The file ``foundermode init`` writes: every section and key of SCHEMA, commented out at its
    default with its meaning, so a new user reads what can be set where it is set."""
    out = [
        "# foundermode configuration, written by `foundermode init`. Every setting is listed, commented",
        "# out at its default: uncomment a line to change it. docs/configuration.md explains each one and",
        "# `foundermode config` prints the effective values. Secrets never go here: a key ending in _env",
        "# names the environment variable that holds the secret.",
        "",
    ]
    for section in SCHEMA:
        header = f"[[{section.name}]]" if section.repeated else f"[{section.name}]"
        out += [f"{'# ' if section.repeated else ''}{header}", *_comment(section.help)]
        if section.repeated:
            out.append("# (one such table per item; none by default)")
        for setting in section.settings:
            out += _comment(setting.help, "#   " if section.repeated else "# ")
            if setting.default is None:
                out.append(f"# {setting.key} = …  (unset by default; {setting.kind.label})")
            elif setting.kind.__class__ is Weekdays:
                out.append(f"# {setting.key} = {_default_text(section, setting)}")
            else:
                out.append(f"# {setting.key} = {describe_value(setting.default)}")
        out.append("")
    return "\n".join(out)


def _comment(text: str, prefix: str = "# ", width: int = 96) -> list[str]:
    import textwrap

    return [prefix + line for line in textwrap.wrap(" ".join(text.split()), width - len(prefix))] or [prefix.rstrip()]
