"""The outbox: what was sent, what is waiting, what gave up."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import typer

from ..reports import Format
from .common import FormatOption, JsonOption, app, console, fail, get_config, opened_store, output
from ..config import ConfigError

outbox_app = typer.Typer(help="Notifications: state, attempts, next try, last error; retry dead letters.", invoke_without_command=True)
app.add_typer(outbox_app, name="outbox")

TABLE_COLUMNS = ["id", "channel", "recipient", "subject", "state", "attempts", "next_try", "last_error"]


def _when(epoch: int | None) -> str | None:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if epoch else None


@outbox_app.callback()
def outbox_list(
    ctx: typer.Context,
    state: Optional[str] = typer.Option(None, "--state", "-s", help="Only this state: pending, sending, retrying, sent, dead."),
    escalation: Optional[int] = typer.Option(None, "--escalation", help="Only messages of this escalation."),
    limit: int = typer.Option(100, "--limit", "-n", help="Newest N messages (0: all)."),
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
):
    """List outbox messages, newest first: state, attempts, next try and last error."""
    if ctx.invoked_subcommand:
        return
    from ..notify.outbox import STATES, list_messages  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    if state and state not in STATES:
        fail(f"unknown state {state!r}: expected one of {', '.join(STATES)}")
    with opened_store() as store, store.read() as conn:
        rows = list_messages(conn, state=state, escalation_id=escalation, limit=limit or None)
    if as_json or fmt != Format.table:
        output(rows, fmt, as_json)
        return
    from rich.markup import escape

    for row in rows:
        row["next_try"] = _when(row["next_attempt_at"])
        # Table cells are rich markup: "[notify.email]" in an error would vanish.
        for key in ("recipient", "subject", "last_error"):
            row[key] = escape(row[key]) if row[key] else row[key]
    output(rows, fmt, columns=TABLE_COLUMNS, title="Outbox")


@outbox_app.command("show")
def outbox_show(message_id: int = typer.Argument(..., help="Outbox message id."), as_json: bool = JsonOption):
    """One message in full: body, payload, attachments' names, state and last error."""
    from ..notify.outbox import get_message, list_messages  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        message = get_message(conn, message_id)
        if message is None:
            fail(f"no outbox message {message_id}")
        [row] = list_messages(conn, message_id=message_id)
    detail = {**row, "body": message.body, "payload": message.payload, "attachments": [a["filename"] for a in message.attachments]}
    if as_json:
        output(detail, json_flag=True)
        return
    from rich.markup import escape

    for key, value in detail.items():
        console.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)


@outbox_app.command("retry")
def outbox_retry(message_id: int = typer.Argument(..., help="Id of a dead letter (see `foundermode outbox --state dead`).")):
    """Requeue a dead letter: a fresh set of tries, the first one due now."""
    from ..notify.outbox import RetryError, requeue  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        try:
            with store.write() as conn:
                requeue(conn, message_id)
        except RetryError as error:
            fail(str(error))
    console.print(f"message {message_id} requeued; it goes out on the next delivery (`foundermode outbox deliver` or `foundermode tick`)")


@outbox_app.command("deliver")
def outbox_deliver(as_json: bool = JsonOption):
    """Send every message that is due now (what the tick does after escalating)."""
    from ..notify.deliver import deliver_due  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    config = get_config()
    with opened_store() as store:
        try:
            counts = deliver_due(store, config)
        except ConfigError as error:
            fail(str(error))
    if as_json:
        output(counts, json_flag=True)
    else:
        console.print(f"sent {counts['sent']}, will retry {counts['failed']}, dead {counts['dead']}")
