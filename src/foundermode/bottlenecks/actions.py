"""What people do to a bottleneck, one transaction each: the functions the CLI,
the JSON API and the web pages call.

``enforce=True`` (the API) checks who may act: the owner, the current holder or
a leader for acknowledge / resolve / vendor; a leader for merge, split and move.
The command line runs with the store's own rights and does not check.
"""
from __future__ import annotations

from typing import Callable

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from .bottleneck import Bottleneck, NotAllowed, is_leader, move_report
from .escalation import lock_rule
from .resources import load_catalog


def _run(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None, action: Callable, *, enforce: bool, leader_only: bool, verb: str):
    now = clock_now() if now is None else int(now)
    catalog = load_catalog(config)
    with store.write() as conn:
        lock_rule(conn)
        bottleneck = Bottleneck.load(conn, config, bottleneck_id, catalog)
        if enforce:
            allowed = is_leader(conn, config, by) if leader_only else bottleneck.may_handle(by)
            if not allowed:
                who = "a leader" if leader_only else "the owner, the person holding it, or a leader"
                raise NotAllowed(f"only {who} may {verb} bottleneck #{bottleneck_id}")
        return action(bottleneck, now)


def acknowledge(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, vendor: bool = False, enforce: bool = False) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.acknowledge(by, t, vendor=vendor), enforce=enforce, leader_only=False, verb="acknowledge")


def resolve(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, enforce: bool = False) -> None:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.resolve(by, t), enforce=enforce, leader_only=False, verb="resolve")


def blocked_on_vendor(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, vendor: str | None = None, enforce: bool = False):
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.blocked_on_vendor(by, t, vendor), enforce=enforce, leader_only=False, verb="hand to a vendor")


def escalate(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, enforce: bool = False):
    """A leader escalates by hand, without waiting for a second report."""
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.escalate(t, by=by), enforce=enforce, leader_only=True, verb="escalate")


def merge(store: Store, config: Config, bottleneck_id: int, into_id: int, by: int | None, now: int | None = None, *, enforce: bool = False) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.merge_into(into_id, by, t).id, enforce=enforce, leader_only=True, verb="merge")


def split(store: Store, config: Config, bottleneck_id: int, report_ids: list[int], by: int | None, now: int | None = None, *, enforce: bool = False) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.split(report_ids, by, t).id, enforce=enforce, leader_only=True, verb="split")


def move(store: Store, config: Config, report_id: int, to_id: int, by: int | None, now: int | None = None, *, enforce: bool = False) -> int:
    return _run(store, config, to_id, by, now, lambda b, t: move_report(b.conn, config, report_id, to_id, by, t, b.catalog).id, enforce=enforce, leader_only=True, verb="move reports into")
