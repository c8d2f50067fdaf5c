"""Principle 4 on the command line: resources, blockers, bottlenecks, tick, API tokens."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..present.sanitize import markup
from ..reports import Format
from .common import FormatOption, JsonOption, app, console, err_console, fail, get_config, opened_store, output
from ..config import ConfigError
from ..errors import FoundermodeError

blocker_app = typer.Typer(help="Report blockers: one by hand, or a file of them.", no_args_is_help=True)
bottlenecks_app = typer.Typer(help="Bottlenecks: open ones, one's timeline, metrics, and what owners and leaders do.", invoke_without_command=True)
token_app = typer.Typer(help="Per-person API tokens (stored hashed; the secret is shown once).", no_args_is_help=True)
app.add_typer(blocker_app, name="blocker")
app.add_typer(bottlenecks_app, name="bottlenecks")
app.add_typer(token_app, name="token")

ByOption = typer.Option(None, "--by", help="Who acts (email, id or name the store or foundermode.toml knows): an owner's or holder's rights, never a leader's.")
AsOption = typer.Option(None, "--as", help="Act as this person, proven by their API token (FOUNDERMODE_TOKEN or --token): their rights, a leader's included.")
TokenOption = typer.Option(None, "--token", envvar="FOUNDERMODE_TOKEN", show_envvar=False,
                           help="The API token of the person acting (default: $FOUNDERMODE_TOKEN); prefer the variable, a command line is visible to others.")
NowOption = typer.Option(None, "--now", help="The clock, as UTC epoch seconds (default: now).", hidden=True)


def _catalog():
    from ..bottlenecks.resources import load_catalog  # deferred: the matcher's tables and patterns (~12 ms) — keeps foundermode --help from importing it

    try:
        return load_catalog(get_config())
    except ConfigError as error:
        fail(str(error))


def _durations(rows: list[dict]) -> list[dict]:
    """Seconds as 2h05m for reading in a table; CSV and JSON keep the numbers."""
    from ..bottlenecks.resources import format_duration  # deferred: the matcher's tables and patterns (~12 ms) — keeps foundermode --help from importing it

    return [{k: (format_duration(v) if k.endswith("_s") else v) for k, v in row.items()} for row in rows]


def _config_people(catalog) -> set[str]:
    """Emails foundermode.toml names (leaders, owners, vendor contacts, chain steps): known before they are in the store."""
    from ..people import leader_emails  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    named = set(leader_emails(get_config()))
    for resource in [*catalog.resources.values(), *catalog.vendors.values()]:
        named.update(e for e in (resource.owner, resource.contact, resource.executive) if e)
        named.update(step.notify for step in resource.chain if "@" in step.notify)
    return {e.strip().lower() for e in named}


def _known_person(store, who: str) -> int:
    """A person the store knows, or one foundermode.toml names; anyone else is refused, and nobody is created by a typo."""
    from ..sources.identities import IdentityResolver, find_person  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with store.write() as conn:
        try:
            return find_person(conn, who)
        except LookupError as error:
            if who.strip().lower() not in _config_people(_catalog()):
                reason = str(error) if "names" in str(error) else (
                    f"nobody known as '{who}': who acts must be in the org chart, have commits, have reported a blocker or be named in foundermode.toml")
                fail(reason)
        return IdentityResolver.from_config(conn, get_config()).person_for("", who, source="manual")


def _token_person(store, token: str) -> int:
    from ..web.tokens import person_for_token  # deferred: FastAPI and SQLAlchemy — keeps foundermode --help from importing it

    with store.read() as conn:
        person_id = person_for_token(conn, token.strip())
    if person_id is None:
        fail("unknown or revoked API token (FOUNDERMODE_TOKEN or --token)")
    return person_id


def _actor(store, by: str | None, as_: str | None, token: str | None) -> tuple[int, bool]:
    """(person id, proven): who acts on the command line.

    ``--as WHO`` with WHO's API token is proven, as an API call with that token
    is, and carries every right WHO has. ``--by WHO`` is a claim: WHO must be
    known, and keeps an owner's or holder's rights but never a leader's. A
    token alone (FOUNDERMODE_TOKEN set) acts as its person.
    """
    if as_:
        if not token:
            fail(f"--as {as_} needs {as_}'s API token: set FOUNDERMODE_TOKEN (or pass --token)")
        person_id = _token_person(store, token)
        if _known_person(store, as_) != person_id:
            fail(f"the API token given is not {as_}'s")
        return person_id, True
    if by:
        return _known_person(store, by), False
    if token:
        return _token_person(store, token), True
    fail("say who acts: --by EMAIL (an owner's or holder's rights), or --as EMAIL with their API token in FOUNDERMODE_TOKEN (any rights they have, a leader's included)")


def _act(call):
    from ..bottlenecks.bottleneck import UnprovenLeader  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    try:
        return call()
    except UnprovenLeader as error:
        fail(f"{error} (--as EMAIL with FOUNDERMODE_TOKEN set to their token)")
    except FoundermodeError as error:
        fail(str(error))


@app.command("resources")
def resources(fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Resources and vendors from foundermode.toml, with owners and escalation chains."""
    rows = _catalog().rows()
    if not as_json and fmt == Format.table:
        for row in rows:
            row["chain"] = "\n".join(f"{i}. {step}" for i, step in enumerate(row["chain"], start=1))
    output(rows, fmt, as_json, title="Resources")


@blocker_app.command("report")
def blocker_report(
    text: str = typer.Argument(..., help="What blocks you, in your own words."),
    by: Optional[str] = typer.Option(None, "--by", help="Who is blocked (an email): someone the org chart, the history or an earlier report knows."),
    as_: Optional[str] = AsOption,
    token: Optional[str] = TokenOption,
    new_person: bool = typer.Option(False, "--new-person", help="The reporter is new here: record them as a person."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
):
    """Report a blocker: it joins the bottleneck it is about, or opens one."""
    from ..bottlenecks.intake import UnknownReporter, report  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    _catalog()
    with opened_store() as store:
        person_id = None
        if as_ or (token and not by):
            person_id, _proven = _actor(store, None, as_, token)
        elif not by:
            fail("say who is blocked: --by EMAIL, or --as EMAIL with their API token in FOUNDERMODE_TOKEN")
        try:
            result = report(store, get_config(), text=text, by=None if person_id else by, person_id=person_id, source="cli", now=now, known_only=not new_person)
        except UnknownReporter as error:
            fail(f"{error} (--new-person records a new one)")
        except ValueError as error:
            fail(str(error))
    if as_json:
        output(result, json_flag=True)
        return
    verb = "opened" if result.opened else "joined"
    console.print(f"{verb} bottleneck #{result.bottleneck_id}" + (f" ({markup(result.resource)})" if result.resource else "")
                  + f": heard from {result.reporters} {'person' if result.reporters == 1 else 'people'}"
                  + (" — escalated to its owner" if result.escalated else ""), highlight=False)


@blocker_app.command("import")
def blocker_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSON: stand-up notes, an issue-tracker export (rows labelled 'blocked')."),
    new_person: bool = typer.Option(False, "--new-person", help="Reporters the store does not know are recorded as new people (default: refused)."),
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
):
    """Import blockers from a file, all or nothing; a re-import adds nothing."""
    from ..bottlenecks.files import BlockerFileError, read_blockers  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..bottlenecks.intake import UnknownReporter, report_many  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    _catalog()
    try:
        blockers = read_blockers(file)
    except BlockerFileError as error:
        fail(str(error))
    with opened_store() as store:
        try:
            results = report_many(store, get_config(), blockers, source="import", now=now, known_only=not new_person)
        except UnknownReporter as error:
            fail(f"{file}: {error} (--new-person records them; nothing was imported)")
        except ValueError as error:
            fail(f"{file}: {error}")
    summary = {
        "file": str(file),
        "blockers": len(results),
        "added": sum(not r.duplicate for r in results),
        "already_imported": sum(r.duplicate for r in results),
        "bottlenecks_opened": sum(r.opened for r in results),
        "escalated": sum(r.escalated for r in results),
    }
    output([summary], json_flag=as_json, title="Imported")


@bottlenecks_app.callback()
def bottlenecks_list(
    ctx: typer.Context,
    status: str = typer.Option("open", "--status", help="open (default), all, escalated, acknowledged, vendor, resolved, merged"),
    resource: Optional[str] = typer.Option(None, "--resource", help="Only this resource."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
    now: Optional[int] = NowOption,
):
    """Open bottlenecks: reporters, resource, level, age, who holds each now."""
    if ctx.invoked_subcommand:
        return
    from ..bottlenecks.board import list_bottlenecks  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..store import now as clock_now  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = list_bottlenecks(conn, now or clock_now(), status=status, resource=resource)
    # Durations read as 2h05m in the table only: CSV and JSON carry the seconds their column names say.
    listed = not as_json and fmt != Format.json
    output(_durations(rows) if listed and fmt == Format.table else rows, fmt, as_json,
           columns=["id", "title", "resource", "status", "reporters", "level", "holder", "age_s", "call_at"] if listed else None, title="Bottlenecks")


@bottlenecks_app.command("show")
def bottleneck_show(bottleneck_id: int = typer.Argument(...), as_json: bool = JsonOption):
    """One bottleneck: its reports, escalations and timeline."""
    from ..bottlenecks.board import bottleneck_detail  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..bottlenecks.statuses import CLOSED  # deferred: SQLAlchemy (the package) — keeps foundermode --help from importing it
    from ..bottlenecks.grouping import maybe_same  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        detail = _act(lambda: bottleneck_detail(conn, bottleneck_id))
        detail["maybe_same_as"] = maybe_same(conn, bottleneck_id) if detail["status"] not in CLOSED else []
    if as_json:
        output(detail, json_flag=True)
        return
    console.print(f"[bold]#{detail['id']} {markup(detail['title'])}[/] — {markup(detail['resource'] or 'no resource')}, {markup(detail['status'])}", highlight=False)
    for other in detail["maybe_same_as"]:
        console.print(f"maybe the same as #{other['id']} {markup(other['title'])} (similarity {other['score']:.2f}):"
                      f" foundermode bottlenecks merge {detail['id']} {other['id']} --as LEADER", highlight=False)
    output(detail["reports"], columns=["id", "person", "reported_at", "source", "text", "pinned"], title="Reports")
    if detail["escalations"]:
        output(detail["escalations"], columns=["id", "chain", "level", "status", "holder", "started_at", "next_at", "acknowledged_at", "call_start"], title="Escalations")
    rows = [{"at": e["at"], "event": e["kind"], "who": e.get("person"), "detail": ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("at", "kind", "person", "escalation_id", "report_id") and v not in (None, [], ""))} for e in detail["timeline"]]
    output(rows, title="Timeline")


@bottlenecks_app.command("examples")
def bottleneck_examples():
    """Every merge, split and move as labelled report pairs, JSON lines: `foundermode eval grouping` reads them."""
    import json

    from ..bottlenecks.grouping import labelled_examples  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = labelled_examples(conn)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


@bottlenecks_app.command("metrics")
def bottleneck_metrics(fmt: Format = FormatOption, as_json: bool = JsonOption, now: Optional[int] = NowOption):
    """Time-to-acknowledge and time-to-unblock per resource, owner and vendor."""
    from ..bottlenecks.board import metrics  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..store import now as clock_now  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = metrics(conn, now or clock_now())
    output(_durations(rows) if not as_json and fmt == Format.table else rows, fmt, as_json, title="Bottleneck metrics")


def _action(by: str | None, as_: str | None, token: str | None, call_factory):
    """Run one action as whoever acts, with the rights the API gives them (actions.check)."""
    from ..bottlenecks import actions  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        person, proven = _actor(store, by, as_, token)
        return _act(lambda: call_factory(actions, store, person, dict(enforce=True, proven=proven)))


@bottlenecks_app.command("ack")
def bottleneck_ack(bottleneck_id: int, by: Optional[str] = ByOption, as_: Optional[str] = AsOption, token: Optional[str] = TokenOption,
                   vendor: bool = typer.Option(False, "--vendor", help="The vendor acknowledged (not the owner)."), now: Optional[int] = NowOption):
    """Acknowledge: the chain stops climbing (the owner, the person holding it, or a leader)."""
    _action(by, as_, token, lambda a, s, p, rights: a.acknowledge(s, get_config(), bottleneck_id, p, now, vendor=vendor, **rights))
    console.print(f"bottleneck #{bottleneck_id} acknowledged" + (" by the vendor" if vendor else ""))


@bottlenecks_app.command("resolve")
def bottleneck_resolve(bottleneck_id: int, by: Optional[str] = ByOption, as_: Optional[str] = AsOption, token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Resolve: nobody is blocked any more (the owner, the person holding it, or a leader)."""
    _action(by, as_, token, lambda a, s, p, rights: a.resolve(s, get_config(), bottleneck_id, p, now, **rights))
    console.print(f"bottleneck #{bottleneck_id} resolved")


@bottlenecks_app.command("vendor")
def bottleneck_vendor(bottleneck_id: int, vendor: Optional[str] = typer.Option(None, "--vendor", help="Vendor name (default: the resource's depends_on)."),
                      by: Optional[str] = ByOption, as_: Optional[str] = AsOption, token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Blocked on a vendor: the vendor's chain (contact, then executive) starts (the owner, the person holding it, or a leader)."""
    started = _action(by, as_, token, lambda a, s, p, rights: a.blocked_on_vendor(s, get_config(), bottleneck_id, p, now, vendor=vendor, **rights))
    console.print(f"bottleneck #{bottleneck_id} handed to the vendor; {markup(started.holder)} notified", highlight=False)


@bottlenecks_app.command("escalate")
def bottleneck_escalate(bottleneck_id: int, by: Optional[str] = ByOption, as_: Optional[str] = AsOption, token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Escalate now, without waiting for another report (a leader)."""
    started = _action(by, as_, token, lambda a, s, p, rights: a.escalate(s, get_config(), bottleneck_id, p, now, **rights))
    console.print(f"bottleneck #{bottleneck_id} " + (f"escalated to {markup(started.holder)}" if started else "was already escalated"), highlight=False)


@bottlenecks_app.command("merge")
def bottleneck_merge(bottleneck_id: int, into: int = typer.Argument(..., help="The bottleneck that stays."), by: Optional[str] = ByOption, as_: Optional[str] = AsOption,
                     token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Merge one bottleneck into another; the correction is kept (a leader)."""
    _action(by, as_, token, lambda a, s, p, rights: a.merge(s, get_config(), bottleneck_id, into, p, now, **rights))
    console.print(f"bottleneck #{bottleneck_id} merged into #{into}")


@bottlenecks_app.command("split")
def bottleneck_split(bottleneck_id: int, reports: List[int] = typer.Argument(..., help="Report ids to take out."), by: Optional[str] = ByOption, as_: Optional[str] = AsOption,
                     token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Split reports out of a bottleneck into a new one; the correction is kept (a leader)."""
    new_id = _action(by, as_, token, lambda a, s, p, rights: a.split(s, get_config(), bottleneck_id, list(reports), p, now, **rights))
    console.print(f"reports {', '.join(map(str, reports))} now form bottleneck #{new_id}")


@bottlenecks_app.command("move")
def bottleneck_move(report_id: int, to: int = typer.Argument(..., help="Target bottleneck."), by: Optional[str] = ByOption, as_: Optional[str] = AsOption,
                    token: Optional[str] = TokenOption, now: Optional[int] = NowOption):
    """Move one report to another bottleneck; the correction is kept (a leader)."""
    _action(by, as_, token, lambda a, s, p, rights: a.move(s, get_config(), report_id, to, p, now, **rights))
    console.print(f"report #{report_id} moved to bottleneck #{to}")


@app.command("tick")
def tick(as_json: bool = JsonOption, deliver: bool = typer.Option(True, "--deliver/--no-deliver", help="Also send what the outbox holds."), now: Optional[int] = NowOption):
    """Advance every escalation that is due, then deliver the outbox. Safe to run twice, or twice at once (cron)."""
    from ..bottlenecks.engine import tick as run_tick  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    from ..brief.deliver import send_due  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..store.jobs import recorded  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    _catalog()
    with opened_store() as store:
        with recorded(store, "tick") as run:  # its last run, for `foundermode status`
            briefs = send_due(store, get_config(), now)  # the scheduled brief, if its moment has come: delivered by this tick
            result = run_tick(store, get_config(), now, deliver=deliver)
            run["detail"] = f"{len(result.escalated)} escalated, {len(result.advanced)} steps, outbox {result.delivery or 'not delivered'}"
    row = {"escalated": len(result.escalated), "steps": len(result.advanced), "restaled": len(result.restaled), "expired": len(result.expired), "brief_messages": len(briefs), **{f"outbox_{k}": v for k, v in result.delivery.items()}}
    output(result if as_json else [row], json_flag=as_json, title="Tick")


@token_app.command("create")
def token_create(person: str = typer.Argument(..., help="Email, id or name."), label: Optional[str] = typer.Option(None, "--label")):
    """Create an API token for a person. The secret is printed once and never stored."""
    from ..store import now as clock_now  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..web.tokens import create_token  # deferred: FastAPI and SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        person_id = _known_person(store, person)  # the leader foundermode.toml names may not have a row yet
        with store.write() as conn:
            token_id, secret = create_token(conn, person_id, clock_now(), label)
    err_console.print(f"token {token_id} for person {person_id}; keep it now, it is not shown again:")
    print(secret)


@token_app.command("list")
def token_list(fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Tokens (never their secrets)."""
    from ..web.tokens import list_tokens  # deferred: FastAPI and SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = list_tokens(conn)
    output(rows, fmt, as_json, title="API tokens")


@token_app.command("revoke")
def token_revoke(token_id: int):
    """Revoke a token: it stops working at once."""
    from ..store import now as clock_now  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..web.tokens import revoke_token  # deferred: FastAPI and SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.write() as conn:
        if not revoke_token(conn, token_id, clock_now()):
            fail(f"no live token {token_id}")
    console.print(f"token {token_id} revoked")
