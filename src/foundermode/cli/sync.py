"""``foundermode sync`` (every declared source, incrementally) and ``foundermode status`` (what an operator checks first)."""
from __future__ import annotations

import datetime as dt
from typing import List, Optional

import typer

from ..config import ConfigError
from .common import JsonOption, app, console, err_console, fail, get_config, opened_store, output, progress_bar
from .identities import identities_line, several
from ..present.times import duration, when


class _Progress:
    """One bar for the whole run; its description names the source being checked."""

    def __init__(self, bar):
        self.bar = bar
        self.task = bar.add_task("sources", total=None, rate="")

    def start(self, total: int) -> None:
        self.bar.update(self.task, total=total)

    def advance(self, count: int) -> None:
        self.bar.update(self.task, advance=count)

    def describe(self, text: str) -> None:
        self.bar.update(self.task, rate=text[:60])


@app.command("sync")
def sync(
    only: Optional[List[str]] = typer.Option(None, "--only", help="Only these kinds: org_chart, repository, calendar, transcripts (repeatable)."),
    wait: bool = typer.Option(False, "--wait", help="Wait for a sync another process is running, instead of stopping."),
    as_json: bool = JsonOption,
):
    """Bring every source declared in [sources] up to date: only what is new is read.

    Exits 1 naming each source that failed; the others still complete.
    """
    from ..store.jobs import Busy  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sync import KINDS, EXTRA_KINDS, sync_all  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    for kind in only or []:
        if kind not in (*KINDS, *EXTRA_KINDS):
            fail(f"--only {kind!r}: expected one of {', '.join((*KINDS, *EXTRA_KINDS))}")
    try:
        with opened_store() as store, progress_bar(transient=True) as bar:
            result = sync_all(store, config, kinds=only, progress=_Progress(bar), wait=wait)
    except ConfigError as error:
        fail(str(error))
    except Busy as error:
        fail(str(error), code=2)
    rows = [
        {"kind": o.kind, "source": o.source, "status": o.status, "summary": o.error or o.summary, "seconds": round(o.seconds, 2)}
        for o in result.outcomes
    ]
    if as_json:
        identities = result.identities.pending if result.identities else None
        output({"outcomes": rows, "headline": result.headline(),
                "identities": {"people": identities.people, "records": identities.records, "merged_at_sync": result.identities.merged_people} if identities else None}, json_flag=True)
    elif not rows:
        console.print("no sources declared: add a [sources] section to foundermode.toml (see `foundermode status`)")
    else:
        changed = [r for r in rows if r["status"] != "unchanged"]
        if changed:
            output(changed, columns=["kind", "source", "status", "summary"], title="Changed or failed")
        err_console.print(result.headline(), highlight=False)
    for line in identities_line(result.identities):
        err_console.print(line, highlight=False, soft_wrap=True)
    for failure in result.failed:
        from rich.text import Text

        # Paths, URLs and errors are data, never markup.
        err_console.print(Text.assemble(("failed ", "bold red"), f"{failure.kind} {failure.source}: {failure.error}"), soft_wrap=True, highlight=False)
    if result.failed:
        raise typer.Exit(1)


def _when(epoch: int | None, now: int) -> str:
    if not epoch:
        return "never"
    ago = max(0, now - int(epoch))
    stamp = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if ago >= size:
            return f"{stamp} ({ago // size}{unit} ago)"
    return f"{stamp} ({ago}s ago)"


@app.command("status")
def status(as_json: bool = JsonOption):
    """Each source's last sync, what it saw and its last error; the outbox; the scheduled jobs' last runs."""
    from ..store import now  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sync import status_report  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    with opened_store() as store:
        report = status_report(store, config)
    if as_json:
        output(report, json_flag=True)
        return
    at = now()
    sources = [
        {"kind": s["kind"], "source": s["source"], "status": s["status"], "last sync": _when(s["last_checked_at"], at),
         "saw": s["saw"] or "", "last error": s["last_error"] or ""}
        for s in report["sources"]
    ]
    if sources:
        output(sources, title="Sources")
    else:
        console.print("Sources: none declared or synced (add [sources] to foundermode.toml, then `foundermode sync`)")
    identities = report["identities"]
    console.print(f"Identities: {several(identities['people'], identities['records'])} (`foundermode people duplicates`)"
                  if identities["people"] else "Identities: nobody appears under several identities", highlight=False, markup=False)
    counts = report["outbox"]["counts"]
    waiting = sum(counts.get(s, 0) for s in ("pending", "retrying", "sending"))
    line = ", ".join(f"{counts[s]} {s}" for s in sorted(counts)) or "empty"
    console.print(f"Outbox: {line}" + (f"; oldest waiting since {_when(report['outbox']['oldest_waiting_at'], at)}" if waiting else ""), highlight=False)

    for waiting_one in report["outbox"]["retrying"]:
        console.print("  retrying ", str(waiting_one["id"]), f" {waiting_one['channel']}: ", waiting_one["subject"] or "",
                      f" (attempt {waiting_one['attempts']}, next try {when(waiting_one['next_attempt_at'], at)}: {waiting_one['last_error'] or ''})", sep="", highlight=False, markup=False)
    for dead in report["outbox"]["recent_dead"]:
        console.print("  dead ", str(dead["id"]), f" {dead['channel']}: ", dead["subject"] or "", f" ({dead['last_error'] or ''})", sep="", highlight=False, markup=False)
    jobs = [
        {"job": name, "last run": _when(run["finished_at"] or run["started_at"], at), "status": run["status"], "detail": run["error"] or run["detail"] or ""}
        for name, run in report["jobs"].items()
    ]
    for name in ("sync", "tick", "brief"):
        if name not in report["jobs"]:
            jobs.append({"job": name, "last run": "never", "status": "", "detail": ""})
    output(jobs, title="Scheduled jobs")
    console.print(_schedule_line(report["schedule"], at), highlight=False, markup=False)
    if report["sync_running"]:
        console.print(f"a sync is running now: {report['sync_running']['holder']}", highlight=False, markup=False)


def _schedule_line(schedule: dict, at: int) -> str:
    sync, brief = schedule["sync"], schedule["brief"]
    parts = []
    if sync["every"]:
        parts.append(f"sync every {duration(sync['every'])}" + (f", next {when(sync['next_at'], at)}" if sync["next_at"] else ""))
    else:
        parts.append("sync: not on a schedule ([sync] every)")
    if brief["next_at"]:
        whom = len(brief["recipients"]) + len(brief["managers"])
        parts.append(f"brief next {when(brief['next_at'], at)} to {whom} address(es)" + (f", {len(brief['managers'])} of them managers' team briefs" if brief["managers"] else ""))
    else:
        parts.append("brief: not on a schedule ([brief] send)")
    problems = [p for p in (sync["problem"], brief["problem"]) if p]
    return "Schedule: " + "; ".join(parts) + "".join(f"\n  problem: {p}" for p in problems)
