"""The demo's foundermode.toml, and the blockers its people report.

Two internal resources with escalation chains (CI, the staging database) and
the vendor CI depends on, whose own chain climbs from its account contact to
its executive. The blockers are worded the way engineers write them: different
words for the same problem, so grouping has to recognise them as one.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .org import Organisation

RESOURCE_NAMES = {"ci": "CI", "staging": "Staging database", "vendor": "BuildCloud"}

# (bottleneck, hours from the midnight before the last commit, reporter, text)
BLOCKERS = [
    ("staging", -9 * 24 + 10, "c", "Staging database went read-only after last night's migration, none of us can test the release"),
    ("staging", -9 * 24 + 11.5, "d", "staging db is stuck in read-only mode since the migration, blocked on QA for the release"),
    ("ci", -3 * 24 + 9.67, "a", "CI runners are stuck: builds wait 40 minutes in the queue before they even start"),
    ("ci", -2 * 24 + 14.17, "b", "The CI build queue is hours long again, I can't get anything merged"),
    ("flaky", -1 * 24 + 16, "e", "Checkout integration tests fail at random on my branch, reruns eat my afternoon"),
]


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _relative(path: Path, folder: Path) -> str:
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return str(path.relative_to(folder)) if folder in path.parents else str(path)


def owners_of(org) -> dict[str, object]:
    """The demo's resource owners: CI to the first team's manager, the staging database to the last team's busiest committer."""
    teams = list(org.teams)
    platform = org.manager_of(teams[0])
    data_team = org.teams[teams[-1]]
    staging = sorted(data_team, key=lambda m: (-m.commits, m.name))[0] if data_team else platform
    return {RESOURCE_NAMES["ci"]: platform, RESOURCE_NAMES["staging"]: staging}


def write_config(folder: Path, org: Organisation, last_commit: int, repository: Path | None = None) -> Path:
    owners = owners_of(org)
    ci_owner = owners[RESOURCE_NAMES["ci"]]
    staging_owner = owners[RESOURCE_NAMES["staging"]]
    stamp = dt.datetime.fromtimestamp(last_commit, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""\
# Written by foundermode demo: a fictional organisation around a real history
# (its last commit: {stamp}). Edit it, then: foundermode brief --until last-commit

[org]
leader = {_q(org.leader.email)}

# Every source, declared once: `foundermode sync` in this folder brings them up to date.
[sources]
repositories = [{_q(_relative(repository, folder)) if repository else ""}]
calendars = ["calendars/"]
transcripts = ["transcripts/"]
org_chart = "org.csv"

[meetings]
hourly_rate = 120
currency = "USD"
timezone = "UTC"
working_hours = "09:00-17:00"

[[resources]]
name = {_q(RESOURCE_NAMES["ci"])}
aliases = ["ci runners", "build pipeline", "the runners"]
keywords = ["runner", "runners", "build queue", "pipeline", "ci"]
owner = {_q(ci_owner.email)}
threshold = 2
depends_on = {_q(RESOURCE_NAMES["vendor"])}

[[resources.chain]]
notify = "owner"
channels = ["email", "slack"]
wait = "2h"

[[resources.chain]]
notify = "leader"
channels = ["email"]
wait = "4h"

[[resources]]
name = {_q(RESOURCE_NAMES["staging"])}
aliases = ["staging db", "staging"]
keywords = ["read-only", "migration", "postgres"]
owner = {_q(staging_owner.email)}

[[vendors]]
name = {_q(RESOURCE_NAMES["vendor"])}
contact = "support@buildcloud.example"
executive = "cto@buildcloud.example"

[[vendors.chain]]
notify = "contact"
channels = ["email"]
wait = "4h"

[[vendors.chain]]
notify = "executive"
channels = ["email"]
wait = "2d"
"""
    path = folder / "foundermode.toml"
    path.write_text(text, encoding="utf-8")
    return path
