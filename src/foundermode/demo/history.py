"""A generated, realistic engineering organisation's git history, for the demo.

``foundermode demo`` with no repository builds this instead of borrowing one:
Northwind, four teams and about thirty engineers over fourteen months, written
with one ``git fast-import`` stream (thousands of commits in a second or two,
where one ``git commit`` per commit would take minutes). Everything comes from
a seeded random generator, so two runs give the same history, sha for sha.

The history holds the stories a leader should be able to read from the brief
and the dashboard, by construction:

- a manager who still codes (Platform's) and one who does not (Data's);
- a leaver, the author of almost all of ``ingest/``, who left four months
  before the end: that code is now orphaned;
- a new joiner whose first commit is three weeks before the end and whose
  pace is picking up;
- a stagnant area, ``billing/``, untouched for the last six months;
- a truck-factor-1 component, ``ledger/``, only ever written by one engineer.
"""
from __future__ import annotations

import datetime as dt
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .org import _email_of

UTC = dt.timezone.utc
DAY = 86_400
WEEKS = 60
SEED = 20_26

# Each team's areas (top-level directories, which are the brief's areas) and its people.
TEAMS = {
    "Platform": ["api", "auth", "ledger", "billing"],
    "Product": ["web", "mobile", "design-system"],
    "Data": ["pipelines", "warehouse", "ingest", "ml"],
    "Infrastructure": ["infra", "ci", "observability"],
}
ENGINEERS = {
    "Platform": ["Maya Chen", "Oskar Lind", "Fatima Zahra", "Diego Alvarez", "Hana Sato", "Liam O'Connor", "Ines Duarte"],
    "Product": ["Sofia Rossi", "Tom Becker", "Aisha Bello", "Lucas Martin", "Emma Novak", "Ravi Kumar", "Noah Bennett"],
    "Data": ["Marta Kowalski", "Ben Carter", "Yuki Tanaka", "Olga Petrova", "Samir Haddad", "Chloe Dubois", "Ethan Wright"],
    "Infrastructure": ["Nina Weber", "Kofi Mensah", "Lena Fischer", "Arjun Mehta", "Zoe Clarke", "Mateo Silva"],
}
MANAGERS = {"Platform": "Jordan Lee", "Product": "Sam Rivera", "Data": "Priya Natarajan", "Infrastructure": "Chris Okafor"}
CODING_MANAGER = "Jordan Lee"  # still ships a commit most weeks
SILENT_MANAGER = "Priya Natarajan"  # manages by meetings: no commits at all
LEAVER = "Marta Kowalski"  # wrote ingest/, left four months before the end
LEAVER_WEEKS_BEFORE_END = 17
NEW_JOINER = "Noah Bennett"  # first commit three weeks before the end
NEW_JOINER_WEEKS = 3
TRUCK_FACTOR_ONE = ("ledger", "Oskar Lind")  # the one author of ledger/
LEDGER_PUSH_WEEKS = 2  # ...who is rewriting it before the quarter closes: a hot area that rests on one person
STAGNANT = ("billing", 26)  # billing/ had no change in the last 26 weeks
LATE_JOINERS = {"Ravi Kumar": 30, "Ethan Wright": 22, "Mateo Silva": 12}  # weeks before the end they started
TIMEZONES = {"Product": "+0100", "Data": "+0000", "Platform": "-0500", "Infrastructure": "+0200"}

FILES = {
    "api": ["orders.py", "customers.py", "invoices_api.py", "pagination.py", "errors.py", "routes.py", "schemas.py", "rate_limit.py"],
    "auth": ["sessions.py", "tokens.py", "oauth.py", "passwords.py", "permissions.py"],
    "ledger": ["journal.py", "balances.py", "reconcile.py", "currency.py"],
    "billing": ["invoices.py", "plans.py", "dunning.py", "taxes.py", "stripe_sync.py"],
    "web": ["checkout.tsx", "cart.tsx", "search.tsx", "account.tsx", "router.ts", "api_client.ts", "onboarding.tsx"],
    "mobile": ["HomeScreen.kt", "CartScreen.kt", "PushService.kt", "ApiClient.kt", "Settings.kt"],
    "design-system": ["Button.tsx", "Modal.tsx", "tokens.css", "Table.tsx"],
    "pipelines": ["orders_daily.py", "customers_sync.py", "scheduler.py", "quality_checks.py"],
    "warehouse": ["models.sql", "marts.sql", "snapshots.sql", "exposures.yml"],
    "ingest": ["kafka_reader.py", "s3_loader.py", "schema_registry.py", "dedupe.py", "backfill.py"],
    "ml": ["churn_model.py", "features.py", "train.py", "serve.py"],
    "infra": ["network.tf", "database.tf", "cluster.tf", "dns.tf", "iam.tf"],
    "ci": ["pipeline.yml", "runners.tf", "cache.sh", "release.sh"],
    "observability": ["alerts.yml", "dashboards.json", "tracing.py", "slo.yml"],
}
VERBS = ["Fix", "Add", "Refactor", "Speed up", "Simplify", "Handle", "Test", "Document", "Remove", "Rename"]
OBJECTS = {
    "api": ["pagination of /orders", "error codes for invalid carts", "rate limiting per key", "the customers endpoint", "retry headers", "OpenAPI schema"],
    "auth": ["session expiry", "OAuth state check", "token refresh race", "password reset flow", "role checks"],
    "ledger": ["double-entry journal", "balance snapshots", "nightly reconciliation", "currency rounding", "ledger invariants"],
    "billing": ["proration on plan change", "dunning emails", "VAT rules", "Stripe webhook sync", "invoice numbering"],
    "web": ["checkout validation", "cart badge count", "search results paging", "account settings page", "onboarding steps", "the API client's retries"],
    "mobile": ["push notification opt-in", "cart screen crash on rotate", "offline mode", "settings layout", "login on Android 14"],
    "design-system": ["Button focus ring", "Modal escape key", "table density", "colour tokens"],
    "pipelines": ["daily orders job", "customer sync backfill", "scheduler retries", "data quality checks"],
    "warehouse": ["orders mart", "customer snapshots", "revenue model", "dbt exposures"],
    "ingest": ["Kafka consumer lag", "S3 loader batching", "schema registry cache", "dedupe window", "backfill tool"],
    "ml": ["churn features", "training job", "model serving latency", "feature drift check"],
    "infra": ["database failover", "VPC peering", "cluster autoscaling", "DNS records", "IAM roles"],
    "ci": ["runner autoscaling", "build cache", "release script", "flaky test quarantine"],
    "observability": ["checkout latency alert", "API dashboards", "trace sampling", "SLO burn rate"],
}


@dataclass
class Engineer:
    name: str
    team: str
    areas: list[str]  # main area first
    start_week: int  # first week with commits
    end_week: int  # last week with commits (exclusive)
    rate: float  # commits per working day when active
    timezone: str
    commits: int = 0
    last_commit: int | None = None

    @property
    def email(self) -> str:
        return _email_of(self.name)


@dataclass
class GeneratedHistory:
    path: Path
    engineers: list[Engineer]
    coding_manager: Engineer
    last_commit: int
    commit_count: int
    leaver: str = LEAVER
    new_joiner: str = NEW_JOINER
    silent_manager: str = SILENT_MANAGER
    truck_factor_one: tuple[str, str] = TRUCK_FACTOR_ONE
    stagnant_area: str = STAGNANT[0]
    areas: dict[str, list[str]] = field(default_factory=lambda: dict(TEAMS))
    team_managers: dict[str, str] = field(default_factory=lambda: dict(MANAGERS))
    weeks: int = WEEKS


def roster(rng: random.Random) -> list[Engineer]:
    """Every engineer with commits, the coding manager last."""
    out = []
    for team, names in ENGINEERS.items():
        areas = [a for a in TEAMS[team] if a != TRUCK_FACTOR_ONE[0]]
        for index, name in enumerate(names):
            main = areas[index % len(areas)]
            mine = [main] + [a for a in areas if a != main]
            start = WEEKS - LATE_JOINERS[name] if name in LATE_JOINERS else 0
            end = WEEKS
            rate = rng.uniform(0.3, 0.8)
            if name == LEAVER:
                mine, end, rate = ["ingest", *[a for a in areas if a != "ingest"]], WEEKS - LEAVER_WEEKS_BEFORE_END, 1.1
            if name == NEW_JOINER:
                start, rate = WEEKS - NEW_JOINER_WEEKS, 1.0
            if name == TRUCK_FACTOR_ONE[1]:
                mine = [TRUCK_FACTOR_ONE[0], "api"]
            out.append(Engineer(name, team, mine, start, end, rate, TIMEZONES[team]))
    out.append(Engineer(CODING_MANAGER, "Platform", ["api", "auth"], 0, WEEKS, 0.25, TIMEZONES["Platform"]))
    return out


class _Tree:
    """The files at the tip, as lists of lines, so each commit's blob is the file's new text."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.files: dict[str, list[str]] = {}
        self.counter = 0

    def line(self, path: str) -> str:
        self.counter += 1
        stem = path.rsplit("/", 1)[-1].split(".")[0].lower().replace("-", "_")
        if path.endswith((".py",)):
            return f"def {stem}_{self.counter}(value):  return value * {self.counter % 97}"
        if path.endswith((".sql",)):
            return f"select id, amount_{self.counter} from {stem} where day > {self.counter % 365};"
        if path.endswith((".tf",)):
            return f'resource "{stem}" "r{self.counter}" {{ size = {self.counter % 16} }}'
        if path.endswith((".yml", ".json", ".css")):
            return f"{stem}_{self.counter}: {self.counter % 1000}"
        return f"export const {stem}{self.counter} = {self.counter % 1000};"

    def edit(self, path: str) -> tuple[int, int]:
        lines = self.files.setdefault(path, [])
        if not lines:
            lines.extend(self.line(path) for _ in range(self.rng.randint(12, 40)))
            return len(lines), 0
        changed = self.rng.randint(1, min(6, len(lines)))
        for _ in range(changed):
            lines[self.rng.randrange(len(lines))] = self.line(path)
        added = self.rng.randint(0, 8)
        lines.extend(self.line(path) for _ in range(added))
        if len(lines) > 90:
            cut = self.rng.randrange(len(lines) - 30)
            del lines[cut:cut + 20]  # a refactor removes a block
        return changed + added, changed

    def text(self, path: str) -> bytes:
        return ("\n".join(self.files[path]) + "\n").encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def generate_history(path: Path, end: dt.datetime | None = None, seed: int = SEED) -> GeneratedHistory:
    """Write Northwind's repository at ``path`` (a new folder) and return who is in it.

    ``end`` is the moment of the last commit (default: the start of today,
    UTC, so the demo's week is this week); the history reaches back
    ``WEEKS`` weeks from it.
    """
    rng = random.Random(seed)
    if end is None:
        now = dt.datetime.now(UTC)
        end = now.replace(hour=17, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    # The history ends on a working day, late afternoon.
    while end.weekday() >= 5:
        end -= dt.timedelta(days=1)
    end_ts = int(end.timestamp())
    first_monday = (end - dt.timedelta(weeks=WEEKS)).replace(hour=0, minute=0, second=0, microsecond=0)
    first_monday -= dt.timedelta(days=first_monday.weekday())
    engineers = roster(rng)
    tree = _Tree(rng)
    events: list[tuple[int, Engineer, str]] = []
    # Day by day, each active engineer makes about `rate` commits at working hours in their own zone.
    for week in range(WEEKS + 1):
        for weekday in range(5):
            day = first_monday + dt.timedelta(weeks=week, days=weekday)
            for engineer in engineers:
                if not (engineer.start_week <= week < engineer.end_week or (week == WEEKS and engineer.end_week == WEEKS)):
                    continue
                rate = engineer.rate
                if engineer.name == NEW_JOINER:
                    rate *= 0.4 + 0.5 * (week - engineer.start_week)  # ramping up
                if engineer.name == TRUCK_FACTOR_ONE[1] and week >= WEEKS - LEDGER_PUSH_WEEKS:
                    rate = 2.6
                count = sum(1 for _ in range(4) if rng.random() < rate / 4)
                offset = int(engineer.timezone[:3]) * 3600
                for _ in range(count):
                    local_hour = rng.uniform(9.5, 18.5)
                    at = int(day.timestamp()) + int(local_hour * 3600) - offset
                    if at <= end_ts:
                        events.append((at, engineer, engineer.timezone))
    events.sort(key=lambda event: (event[0], event[1].name))
    path.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, capture_output=True)
    stream = bytearray()
    # The first commit: a README and one file per area, by the coding manager (who started it all).
    founder = engineers[-1]
    first_at = int(first_monday.timestamp()) - 7 * DAY + 10 * 3600
    readme = b"# Northwind\n\nThe Northwind commerce platform: API, web and mobile apps, data pipelines, infrastructure.\n"
    ops = [b"M 100644 inline README.md\n" + _data(readme)]
    for area, names in FILES.items():
        for name in names[:1]:
            tree.edit(f"{area}/{name}")
            ops.append(f"M 100644 inline {area}/{name}\n".encode() + _data(tree.text(f"{area}/{name}")))
    stream += _commit(1, None, founder, first_at, founder.timezone, "Initial import of the Northwind platform", ops)
    mark = 1
    stagnant_after = end_ts - STAGNANT[1] * 7 * DAY
    for at, engineer, zone in events:
        area = _pick_area(rng, engineer, at, stagnant_after)
        candidates = FILES[area]
        touched = sorted({f"{area}/{rng.choice(candidates)}" for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))})
        ops = []
        for file_path in touched:
            tree.edit(file_path)
            ops.append(f"M 100644 inline {file_path}\n".encode() + _data(tree.text(file_path)))
        subject = f"{area}: {rng.choice(VERBS)} {rng.choice(OBJECTS[area])}"
        mark += 1
        stream += _commit(mark, mark - 1, engineer, at, zone, subject, ops)
        engineer.commits += 1
        engineer.last_commit = at
    result = subprocess.run(["git", "-C", str(path), "fast-import", "--quiet", "--done"], input=bytes(stream) + b"done\n", capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"git fast-import failed: {result.stderr.decode(errors='replace')}")
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True, capture_output=True)
    coding_manager = engineers.pop()
    last = max(at for at, _, _ in events)
    return GeneratedHistory(path, engineers, coding_manager, last, mark)


def _pick_area(rng: random.Random, engineer: Engineer, at: int, stagnant_after: int) -> str:
    areas = list(engineer.areas)
    if at >= stagnant_after:
        areas = [a for a in areas if a != STAGNANT[0]] or areas
    if engineer.name == TRUCK_FACTOR_ONE[1]:
        pushing = at >= stagnant_after + (STAGNANT[1] - LEDGER_PUSH_WEEKS) * 7 * DAY
        return TRUCK_FACTOR_ONE[0] if rng.random() < (0.95 if pushing else 0.55) else areas[-1]
    if engineer.name != LEAVER and "ingest" in areas:
        areas.remove("ingest")  # ingest/ is the leaver's: nobody else ever learnt it
    if rng.random() < 0.75 or len(areas) == 1:
        return areas[0] if areas[0] != TRUCK_FACTOR_ONE[0] or engineer.name == TRUCK_FACTOR_ONE[1] else areas[-1]
    choice = rng.choice(areas[1:])
    return choice if choice != TRUCK_FACTOR_ONE[0] or engineer.name == TRUCK_FACTOR_ONE[1] else areas[0]


def _commit(mark: int, parent: int | None, engineer: Engineer, at: int, zone: str, subject: str, ops: list[bytes]) -> bytes:
    ident = f"{engineer.name} <{engineer.email}> {at} {zone}".encode()
    head = b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\n" % (mark, ident, ident)
    body = head + _data(subject.encode() + b"\n")
    if parent is not None:
        body += b"from :%d\n" % parent
    return body + b"".join(ops) + b"\n"
