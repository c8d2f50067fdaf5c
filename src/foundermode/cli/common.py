"""The typer apps and what every command shares: the store, the config, output."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .. import analyses as registry
from ..config import Config, ConfigError, load_config
from ..errors import FoundermodeError
from ..reports import Format, render
from .. import __version__
from ..present.sanitize import SafeConsole

app = typer.Typer(
    name="foundermode",
    help="Engineering leadership from the code: who builds what, meetings, the weekly brief, bottlenecks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help text names settings as "[org] leader": rich markup would eat the brackets.
    rich_markup_mode=None,
)
ingest_app = typer.Typer(help="Read sources into the store: git, org chart, calendars, transcripts.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

class _CurrentConsole:
    """A rich Console made at each use, not at import: rich fixes a console's
    width from COLUMNS when it is built, and the terminal (or a test runner's
    environment) can change after this module is imported."""

    def __init__(self, stderr: bool):
        self.stderr = stderr

    def get(self) -> Console:
        return SafeConsole(stderr=self.stderr)

    def __getattr__(self, name):
        return getattr(self.get(), name)


console = _CurrentConsole(stderr=False)
err_console = _CurrentConsole(stderr=True)

FormatOption = typer.Option(Format.table, "--format", "-f", help="table, json, csv or markdown")
JsonOption = typer.Option(False, "--json", help="Print JSON (same as --format json).")
# A table is for reading: past a screenful it says how many rows it left out.
# Machine formats give every row unless asked (0 = every row in any format).
TABLE_ROWS = 100
LimitOption = typer.Option(None, "--limit", "-n", min=0, help=f"At most this many rows (default: {TABLE_ROWS} in a table, all in json/csv/markdown; 0 = all).")


class State:
    db: str | None = None
    config_path: Path | None = None
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


state = State()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"foundermode {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    db: Optional[str] = typer.Option(None, "--db", help="Store URL (sqlite:///path or postgresql://...). Default: FOUNDERMODE_DB, then foundermode.toml, then .foundermode/foundermode.db", envvar=None),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Path to foundermode.toml (default: searched upwards from here)."),
):
    state.db = db
    state.config_path = config
    state._config = None


def fail(message: str, code: int = 1):
    from rich.text import Text

    # The message is data (paths, file:line), never markup, and never wrapped:
    # a "file.csv:6" split over two lines can't be searched or clicked.
    err_console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def computed(name: str, *, since=None, until=None, days=None, repos=None, team=None, **options):
    """A registered analysis for what a command was given: ``(its scope, its figures)``.

    Every older command's numbers come from here (analyses.py: the scope by scope.py's one
    grammar, the figures by ``Analysis.compute``); a library error is the command's one-line failure."""
    try:
        with opened_store() as store:
            scope = registry.scope(store, name, since=since, until=until, days=days, repos=repos, team=team)
            return scope, registry.get(name).compute(store, get_config(), scope, **options)
    except (FoundermodeError, LookupError, ValueError) as error:
        fail(str(error))


def get_config() -> Config:
    try:
        return state.config
    except ConfigError as error:
        fail(str(error))


@contextmanager
def opened_store():
    from ..store import open_store  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    store = open_store(config.database_url(state.db))
    try:
        yield store
    finally:
        store.dispose()


_EVERY_ROW = -1


def output(rows, fmt: Format = Format.table, json_flag: bool = False, columns=None, title: str | None = None, limit: int | None = _EVERY_ROW):
    """Print rows. A command with a --limit option passes its value (None: the
    default for the format); a list cut short says on stderr what it left out."""
    is_table = not json_flag and fmt == Format.table
    if limit == _EVERY_ROW:
        limit = 0
    elif limit is None:
        limit = TABLE_ROWS if is_table else 0
    left_out = 0
    if limit and isinstance(rows, list) and len(rows) > limit:
        left_out = len(rows) - limit
        rows = rows[:limit]
    render(rows, "json" if json_flag else fmt, columns=columns, title=title, console=console.get())
    if left_out:
        err_console.print(f"{left_out:,} more not shown (--limit 0 shows every row)", highlight=False, markup=False)


def progress_bar(transient: bool = False) -> Progress:
    """Every long job shows its rate and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console.get(),
        transient=transient,
    )


class TaskProgress:
    """Adapts a rich Progress task to the library's start/advance protocol, with a rate field."""

    def __init__(self, progress: Progress, description: str, unit: str = "commits"):
        import time

        self.progress = progress
        self.unit = unit
        self.task = progress.add_task(description, total=None, rate="")
        self.started = time.monotonic()
        self.done = 0

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, count: int) -> None:
        import time

        self.done += count
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(self.task, advance=count, rate=f"{self.done / elapsed:,.0f} {self.unit}/s")
