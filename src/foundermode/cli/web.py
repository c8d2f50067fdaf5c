"""``foundermode serve``: the web dashboard and API under uvicorn, with the escalation tick in the background."""
from __future__ import annotations

import logging
import threading

import typer

from .common import app, err_console, get_config, state
from ..config import load_config

log = logging.getLogger("foundermode.web")
SUMMARIES_EVERY = 60.0


def build_app(config, db_url: str, *, tick_every: float | None = None, summaries_every: float | None = SUMMARIES_EVERY):
    """The app for ``db_url``; with ``tick_every`` the escalation tick runs every that many seconds while it serves.

    With ``summaries_every``, a second background thread brings the team's
    whole-history summaries up to date at start and then every that many
    seconds (a few milliseconds when nothing changed): an ingest leaves them
    stale rather than walk the whole history, and the first page after it
    would otherwise pay for it.
    """
    from contextlib import asynccontextmanager

    from ..store import open_store  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..web.app import create_app  # deferred: FastAPI and SQLAlchemy — keeps foundermode --help from importing it

    store = open_store(db_url)
    web = create_app(store, config)
    stop = threading.Event()
    loops = []
    if tick_every:
        def tick_loop():
            from ..bottlenecks.engine import tick  # deferred: SQLAlchemy — keeps foundermode --help from importing it
            from ..brief.deliver import send_due  # deferred: SQLAlchemy — keeps foundermode --help from importing it
            from ..store.jobs import recorded  # deferred: SQLAlchemy — keeps foundermode --help from importing it

            while not stop.wait(tick_every):
                try:
                    send_due(store, config)  # the scheduled brief into the outbox, which this tick delivers
                except Exception:  # noqa: BLE001 - logged, recorded in job_runs and tried again next round
                    log.exception("scheduled brief failed")
                try:
                    with recorded(store, "tick") as run:  # its last run, for `foundermode status`
                        result = tick(store, config)
                        run["detail"] = f"{len(result.escalated)} escalated, {len(result.advanced)} steps, outbox {result.delivery}"
                except Exception:  # noqa: BLE001 - a failing tick is logged and tried again next round
                    log.exception("escalation tick failed")

        loops.append(("foundermode-tick", tick_loop))
    sync_every = _sync_every(config)
    if tick_every and sync_every:
        # [sync] every: with the tick, so --no-tick keeps a web process from syncing too; the store's lock
        # keeps two processes from syncing at once.
        loops.append(("foundermode-sync", lambda: sync_loop(store, config, sync_every, stop)))
    if summaries_every:
        loops.append(("foundermode-summaries", lambda: keep_summaries_fresh(store, config, summaries_every, stop)))
    if loops:
        @asynccontextmanager
        async def lifespan(_app):
            workers = [threading.Thread(target=target, name=name, daemon=True) for name, target in loops]
            for worker in workers:
                worker.start()
            try:
                yield
            finally:
                stop.set()
                for worker in workers:
                    worker.join(timeout=5)
                store.dispose()

        web.router.lifespan_context = lifespan
    return web


def _sync_every(config) -> int | None:
    from ..sync import SyncSettings  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    return SyncSettings.from_config(config).every


def sync_loop(store, config, every: float, stop: threading.Event) -> None:
    """``foundermode sync`` now and every ``every`` seconds until ``stop``; a sync running elsewhere is left to finish."""
    from ..store.jobs import Busy  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sync import sync_all  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    while True:
        try:
            result = sync_all(store, config)
            if result.failed:
                log.warning("sync: %s", result.headline())
        except Busy:
            pass
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("sync failed")
        if stop.wait(every):
            return


def keep_summaries_fresh(store, config, every: float, stop: threading.Event) -> None:
    """Refresh the team's whole-history summaries now and every ``every`` seconds until ``stop``."""
    from ..team.summary import refresh_quietly  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    while True:
        problem = refresh_quietly(store, config)
        if problem:
            log.warning(problem)
        if stop.wait(every):
            return


def app_factory():
    """uvicorn's factory for ``--workers`` > 1: each worker builds its app from the environment."""
    import os

    config = load_config(os.environ.get("FOUNDERMODE_SERVE_CONFIG") or None)
    every = float(os.environ.get("FOUNDERMODE_SERVE_TICK", "0") or 0)
    summaries = float(os.environ.get("FOUNDERMODE_SERVE_SUMMARIES", str(SUMMARIES_EVERY)) or 0)
    return build_app(
        config, config.database_url(os.environ.get("FOUNDERMODE_SERVE_DB") or None), tick_every=every or None, summaries_every=summaries or None
    )


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface; put it behind TLS)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (set FOUNDERMODE_SECRET_KEY so they share sessions)."),
    no_tick: bool = typer.Option(False, "--no-tick", help="Do not run the escalation tick in the background (run `foundermode tick` from cron instead)."),
    tick_every: float = typer.Option(60.0, "--tick-every", min=1.0, help="Seconds between escalation ticks."),
    summaries_every: float = typer.Option(
        SUMMARIES_EVERY, "--summaries-every", min=0.0,
        help="Seconds between checks that the team's whole-history summaries are up to date (recomputed after an ingest); 0: never, the first page computes them.",
    ),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn's log level."),
):
    """The web dashboard and JSON API (OpenAPI at /api/openapi.json), with the escalation tick running in the background."""
    import os

    import uvicorn

    config = get_config()
    db_url = config.database_url(state.db)
    if workers > 1 and not os.environ.get("FOUNDERMODE_SECRET_KEY"):
        err_console.print("[yellow]warning:[/] FOUNDERMODE_SECRET_KEY is not set: each worker would sign sessions with its own key")
    every = None if no_tick else tick_every
    tick_note = "off (--no-tick)" if no_tick else f"every {tick_every:g} s" + (" in each worker" if workers > 1 else "")
    err_console.print(f"foundermode serving on http://{host}:{port} (store {db_url.split('@')[-1]}, tick {tick_note})", highlight=False)
    if workers > 1:
        os.environ["FOUNDERMODE_SERVE_DB"] = db_url
        if config.path:
            os.environ["FOUNDERMODE_SERVE_CONFIG"] = str(config.path)
        os.environ["FOUNDERMODE_SERVE_TICK"] = str(every or 0)
        # The summaries are kept fresh once, by this supervising process, not once per worker.
        os.environ["FOUNDERMODE_SERVE_SUMMARIES"] = "0"
        if summaries_every:
            from ..store import open_store  # deferred: SQLAlchemy — keeps foundermode --help from importing it

            threading.Thread(
                target=keep_summaries_fresh, args=(open_store(db_url), config, summaries_every, threading.Event()),
                name="foundermode-summaries", daemon=True,
            ).start()
        uvicorn.run("foundermode.cli.web:app_factory", factory=True, host=host, port=port, workers=workers, log_level=log_level)
    else:
        uvicorn.run(build_app(config, db_url, tick_every=every, summaries_every=summaries_every or None), host=host, port=port, log_level=log_level)
