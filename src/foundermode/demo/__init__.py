"""``foundermode demo``: a complete fictional organisation around a real git history.

One call builds, in a fresh folder, everything the brief reads: the history
(ingested from the repository), an org chart, five weeks of calendars,
transcripts, resources with escalation chains including a vendor, and blocker
reports from two people about the same resource so an escalation triggers.
Each step goes through the same library call a user's own data would
(``ingest_repository``, ``import_org_chart``, ``import_calendars``,
``import_transcripts``, ``bottlenecks.intake.report``, ``tick``), so the demo
shows the product working rather than a mock of it. Everything is dated
relative to the history's last commit and the brief's window ends there, so
a repository that went quiet years ago still has a week to show.

No network: the outbox keeps the notifications the escalations produced
(``foundermode outbox``) instead of sending them.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..bottlenecks import actions
from ..bottlenecks.engine import tick
from ..bottlenecks.intake import report
from ..brief import build_brief, render
from ..brief.window import Window, day, last_commit_time
from ..cli.common import app
from ..config import load_config
from ..errors import Unavailable
from ..ingest import ingest_repository
from ..meetings.calendars import import_calendars
from ..meetings.transcripts import import_transcripts
from ..sources.identities import identity_key
from ..sources.org import import_org_chart, read_org_chart
from ..store import now, open_store
from ..store.schema import commits, identities
from ..store.schema_notify import outbox
from ..sync import sync_all
from ..web.tokens import create_token
from .calendars import plan_series, write_calendars
from .config import BLOCKERS, RESOURCE_NAMES, owners_of, write_config
from .history import generate_history
from .org import build_organisation, generated_organisation, real_authors, write_org_csv
from .transcripts import write_transcripts

MARKER = ".foundermode-demo"
UTC = dt.timezone.utc


class DemoError(Unavailable):
    pass


@dataclass
class DemoResult:
    folder: Path
    repository: Path
    last_commit: int
    window_start: int
    window_end: int
    org: object
    calendars: int = 0
    transcripts: int = 0
    reports: list = field(default_factory=list)
    escalated: list = field(default_factory=list)
    outbox: int = 0
    skipped: list[str] = field(default_factory=list)
    brief: object = None


def _toplevel(repository: Path) -> Path:
    try:
        out = subprocess.run(["git", "-C", str(repository), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise DemoError("git is not installed: the demo reads a real git history") from error
    if out.returncode != 0:
        bare = subprocess.run(["git", "-C", str(repository), "rev-parse", "--is-bare-repository"], capture_output=True, text=True)
        if bare.returncode == 0 and bare.stdout.strip() == "true":
            return repository.resolve()
        raise DemoError(f"{repository} is not a git repository: give one, e.g. foundermode demo ~/src/project")
    return Path(out.stdout.strip())


def prepare_folder(folder: Path) -> None:
    """A fresh folder; an earlier demo's folder (it carries a marker) is rebuilt, anything else is left alone."""
    if folder.exists():
        if not folder.is_dir():
            raise DemoError(f"{folder} exists and is not a folder: choose another with --folder")
        if any(folder.iterdir()):
            if not (folder / MARKER).exists():
                raise DemoError(f"{folder} is not empty and was not made by foundermode demo: choose another with --folder")
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by foundermode demo; rebuilt on the next run\n", encoding="utf-8")
    # Inside a repository the demo folder should not show up as untracked work.
    (folder / ".gitignore").write_text("*\n", encoding="utf-8")


def run_demo(repository: Path | None, folder: Path, console=None, seed: int | None = None) -> DemoResult:
    """Build the demo in ``folder``: around ``repository``'s real history, or, with
    no repository, around Northwind's generated one (``demo/history.py``)."""
    from rich.console import Console

    console = console or Console()
    say = lambda text: console.print(text, highlight=False)  # noqa: E731
    folder = Path(folder).resolve()
    generated = None
    if repository is not None:
        repository = _toplevel(Path(repository))
        if folder == repository or folder in repository.parents:
            raise DemoError("choose a demo folder that is not the repository or a folder holding it")
    prepare_folder(folder)
    if repository is None:
        generated = generate_history(folder / "northwind")
        repository = generated.path
    store = open_store(f"sqlite:///{folder / '.foundermode' / 'foundermode.db'}")
    try:
        if generated:
            say("[bold]foundermode demo[/]: Northwind, a generated engineering organisation")
        else:
            say(f"[bold]foundermode demo[/]: a fictional organisation around the real history of {repository}")
        say(f"  building it in {folder}")

        # 1. The history.
        ingested = ingest_repository(store, repository)
        if ingested.total_commits == 0:
            raise DemoError(f"{repository} has no commits yet: the demo needs a history")
        with store.read() as conn:
            last = last_commit_time(conn)
            if last is None:
                raise DemoError(f"{repository} has commits only by bots: the demo needs people")
            authors = [] if generated else real_authors(conn, last)
        if generated:
            say(f"  1. history: {ingested.total_commits:,} commits by {len(generated.engineers) + 1} people over {generated.weeks} weeks "
                f"in {len(generated.areas)} teams' code, the last on {day(last)} → northwind/")
        else:
            say(f"  1. history: {ingested.total_commits:,} commits of {ingested.name}, the last on {day(last)}")

        # 2. The organisation, as a CSV through the org-chart importer.
        try:
            org = generated_organisation(generated) if generated else build_organisation(authors)
        except ValueError as error:
            raise DemoError(str(error)) from error
        org_csv = folder / "org.csv"
        write_org_csv(org, org_csv)
        last_dt = dt.datetime.fromtimestamp(last, UTC)
        series, first_monday, until = plan_series(org, last_dt)
        config_path = write_config(folder, org, last, repository)
        config = load_config(config_path)
        import_org_chart(store, read_org_chart(org_csv), config)
        teams = ", ".join(f"{team} ({len(members)})" for team, members in org.teams.items())
        if generated:
            say(f"  2. org chart: {_count(len(org.engineers), 'engineer')} in {teams}; {_count(len(org.managers), 'manager')} "
                f"({generated.coding_manager.name} still codes, {generated.silent_manager} does not), a leader ({org.leader.name}) "
                f"and {len(org.staff)} staff; {generated.leaver} has left (her code stays) → org.csv")
        else:
            say(f"  2. org chart: {_count(len(org.engineers), 'engineer')} from the history in {teams}; {_count(len(org.managers), 'manager')}, "
                f"a leader ({org.leader.name}) and {len(org.staff)} staff with no commits → org.csv")

        window = Window(last + 1 - 7 * 86400, last + 1)
        result = DemoResult(folder, repository, last, window.start, window.end, org)

        # 3. Calendars.
        paths = write_calendars(org, series, until, folder / "calendars")
        result.calendars = len(paths)
        since = int(first_monday.timestamp()) - 86400
        imported = import_calendars(store, [folder / "calendars"], config, since=since, until=int(until.timestamp()) + 86400)
        say(f"  3. calendars: {len(paths)} exports (one per person), {len(series)} recurring series over {(until - first_monday).days // 7} weeks, "
            f"{imported.occurrences_added} occurrences → calendars/")

        # 4. Transcripts.
        _transcripts(store, config, series, org, last_dt, folder, result, say, seed if seed is not None else last)

        # 5 and 6. Resources, chains, blockers, escalation.
        _blockers(store, config, org, last, result, say)

        # 7. The same sources, as foundermode.toml declares them: `foundermode sync` here then finds nothing new.
        _sync(store, config, result, say)

        # The brief, over the last week of the history.
        brief = build_brief(store, config, window)
        result.brief = brief
        (folder / "brief.md").write_text(render(brief, "markdown"), encoding="utf-8")
        (folder / "brief.html").write_text(render(brief, "html"), encoding="utf-8")
        say(f"\n[bold]The brief for the last week of the history[/]: {window.label()}, ending at the last commit\n")
        render(brief, "table", console=console)
        _next_steps(folder, store, org, say)
        for note in result.skipped:
            say(f"[yellow]note[/]: {note}")
        return result
    finally:
        store.dispose()


def _sync(store, config, result, say) -> None:
    synced = sync_all(store, config)
    for failure in synced.failed:
        result.skipped.append(f"sync: {failure.kind} {failure.source}: {failure.error}")
    say(f"  7. sources declared in foundermode.toml (\\[sources]), synced once: {synced.headline()}; `foundermode sync` here reads only what is new")


def _transcripts(store, config, series, org, last_dt, folder, result, say, seed) -> None:
    from sqlalchemy import select

    subjects: dict[str, list[str]] = {}
    with store.read() as conn:
        for member in org.engineers:
            person = conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", member.email))).scalar()
            rows = conn.execute(
                select(commits.c.subject).where(commits.c.author_id == person, commits.c.is_merge == False).order_by(commits.c.authored_at.desc()).limit(6)  # noqa: E712
            ).scalars().all()
            subjects[member.email] = [" ".join(s.split())[:90] for s in rows if s and s.strip()]
    written = write_transcripts(series, subjects, last_dt, folder / "transcripts", seed=seed)
    count = sum(len(v) for v in written.values())
    result.transcripts = count
    for title, items in written.items():
        import_transcripts(store, [path for _, path in items], config, title=title, starts=[int(start.timestamp()) for start, _ in items])
    silent = sorted({org_member.name for s in series if s.transcribe for org_member in s.members if org_member.email in s.silent})
    say(f"  4. transcripts: {count} WebVTT files for the last 3 occurrences of {len(written)} series; "
        f"{', '.join(silent) or 'nobody'} never speak{'s' if len(silent) == 1 else ''} in theirs → transcripts/")


def _blockers(store, config, org, last: int, result, say) -> None:
    from sqlalchemy import func, select

    reporters = _reporters(org)
    hour = 3600
    day0 = last - (last % 86400)  # midnight before the last commit, UTC
    ids: dict[str, int] = {}
    for key, offset, who, text in BLOCKERS:
        reporter = reporters[who]
        at = int(day0 + offset * hour)
        intake = report(store, config, text=text, by=reporter.email, now=at, reported_at=at, source="cli")
        result.reports.append(intake)
        ids.setdefault(key, intake.bottleneck_id)
        if intake.escalated:
            result.escalated.append(intake.bottleneck_id)
        tick(store, config, now=at + 60, deliver=False)
    owner_of = {name: person for name, person in owners_of(org).items()}

    def person_id(member) -> int:
        with store.read() as conn:
            return conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", member.email))).scalar()

    # The staging database was fixed a day later: a time-to-unblock to show.
    staging_owner = owner_of[RESOURCE_NAMES["staging"]]
    actions.acknowledge(store, config, ids["staging"], by=person_id(staging_owner), now=day0 - 8 * 86400 + 14 * hour)
    actions.resolve(store, config, ids["staging"], by=person_id(staging_owner), now=day0 - 7 * 86400 + 16 * hour)
    # CI is blocked on its vendor: the owner hands it over and the vendor's chain starts climbing.
    ci_owner = owner_of[RESOURCE_NAMES["ci"]]
    actions.blocked_on_vendor(store, config, ids["ci"], by=person_id(ci_owner), now=day0 - 1 * 86400 + 10 * hour)
    for at in (day0 - 1 * 86400 + 15 * hour, last):
        tick(store, config, now=at, deliver=False)

    with store.read() as conn:
        result.outbox = conn.execute(select(func.count()).select_from(outbox)).scalar()
    people = sorted({r.name for r in reporters.values()})
    say(f"  5. foundermode.toml: resources {RESOURCE_NAMES['ci']} and {RESOURCE_NAMES['staging']} with escalation chains, vendor {RESOURCE_NAMES['vendor']} (contact, then executive)")
    say(f"  6. blockers: {len(result.reports)} reports from {', '.join(people)}; heard twice → escalated "
        f"{len(set(result.escalated))} bottleneck(s); {result.outbox} notifications wait in the outbox (nothing is sent in the demo)")


def _count(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def _reporters(org) -> dict[str, object]:
    """Who reports which blocker: the engineers working at the end of the history first, product when there are too few."""
    pool = sorted(org.engineers, key=lambda m: (-(m.last_commit or 0), -m.commits, m.name))
    extra = [org.staff_titled("Product Manager"), org.staff_titled("Product Designer")]
    people = pool + [p for p in extra if p not in pool]
    pick = lambda i: people[i % len(people)]  # noqa: E731
    # Two different people per shared blocker, whatever the team's size.
    return {"a": pick(0), "b": pick(1), "c": pick(2 if len(people) > 2 else 0), "d": pick(3 if len(people) > 3 else 1), "e": pick(4 if len(people) > 4 else 0)}


def _next_steps(folder: Path, store, org, say) -> None:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    say(f"\n[bold]Open the brief[/]: {folder / 'brief.html'} (one self-contained file: no network) · Markdown: {folder / 'brief.md'}")
    say(f"Again, from the demo's folder: cd {folder} && foundermode brief --until last-commit")
    if "serve" not in names:
        say(f"The web dashboard, when available in this build: cd {folder} && foundermode serve")
        return
    token = _leader_token(store, org)
    # --no-tick: the demo's escalations are dated at the end of the history; a live clock would run them on.
    say(f"The web dashboard: cd {folder} && foundermode serve --no-tick, open http://127.0.0.1:8000 and sign in as the leader "
        + (f"with the token {token} (also in leader-token.txt)" if token else "with a token from foundermode token create " + org.leader.email))
    if token:
        (folder / "leader-token.txt").write_text(token + "\n", encoding="utf-8")


def _leader_token(store, org) -> str | None:
    """A sign-in token for the demo's fictional leader: demo data, so it is fine to print."""
    from sqlalchemy import select

    with store.write() as conn:
        person = conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", org.leader.email))).scalar()
        if person is None:
            return None
        return create_token(conn, person, now(), label="foundermode demo")[1]
