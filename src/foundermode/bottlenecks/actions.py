"""What people do to a bottleneck, one transaction each: the functions the CLI,
the JSON API and the web pages call.

``enforce=True`` (the API, the web pages and the command line) checks who may
act: the owner, the current holder or a leader for acknowledge / resolve /
vendor; a leader for escalate, merge, split and move. ``proven=False`` says who
acts is claimed, not proven by a token or a session (the command line's
``--by``): such a person keeps an owner's and a holder's rights, never a
leader's, and a refusal that a leader's rights would have lifted is
``UnprovenLeader``. Without ``enforce`` (the demo, the engine's own
bookkeeping) nothing is checked.
"""
from __future__ import annotations

from typing import Callable

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from .bottleneck import Bottleneck, NotAllowed, UnprovenLeader, is_leader, move_report
from .escalation import lock_rule
from .resources import load_catalog


def check(bottleneck: Bottleneck, by: int | None, *, leader_only: bool, verb: str, proven: bool = True) -> None:
    """Raise NotAllowed unless ``by`` may take this action: the one rule every surface applies."""
    leader = by is not None and is_leader(bottleneck.conn, bottleneck.config, by)
    allowed = (leader and proven) if leader_only else bottleneck.may_handle(by, leader=proven)
    if allowed:
        return
    who = "a leader" if leader_only else "the owner, the person holding it, or a leader"
    message = f"only {who} may {verb} bottleneck #{bottleneck.id}"
    if leader and not proven:
        raise UnprovenLeader(f"{message}: a leader's rights need the leader's API token, not only their name")
    raise NotAllowed(message)


def _run(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None, action: Callable, *, enforce: bool, leader_only: bool, verb: str,
         proven: bool = True):
    now = clock_now() if now is None else int(now)
    catalog = load_catalog(config)
    with store.write() as conn:
        lock_rule(conn)
        bottleneck = Bottleneck.load(conn, config, bottleneck_id, catalog)
        if enforce:
            check(bottleneck, by, leader_only=leader_only, verb=verb, proven=proven)
        return action(bottleneck, now)


def acknowledge(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, vendor: bool = False, enforce: bool = False, proven: bool = True) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.acknowledge(by, t, vendor=vendor), enforce=enforce, proven=proven, leader_only=False, verb="acknowledge")


def resolve(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, enforce: bool = False, proven: bool = True) -> None:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.resolve(by, t), enforce=enforce, proven=proven, leader_only=False, verb="resolve")


def blocked_on_vendor(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, vendor: str | None = None, enforce: bool = False, proven: bool = True):
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.blocked_on_vendor(by, t, vendor), enforce=enforce, proven=proven, leader_only=False, verb="hand to a vendor")


def escalate(store: Store, config: Config, bottleneck_id: int, by: int | None, now: int | None = None, *, enforce: bool = False, proven: bool = True):
    """A leader escalates by hand, without waiting for a second report."""
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.escalate(t, by=by), enforce=enforce, proven=proven, leader_only=True, verb="escalate")


def merge(store: Store, config: Config, bottleneck_id: int, into_id: int, by: int | None, now: int | None = None, *, enforce: bool = False, proven: bool = True) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.merge_into(into_id, by, t).id, enforce=enforce, proven=proven, leader_only=True, verb="merge")


def split(store: Store, config: Config, bottleneck_id: int, report_ids: list[int], by: int | None, now: int | None = None, *, enforce: bool = False, proven: bool = True) -> int:
    return _run(store, config, bottleneck_id, by, now, lambda b, t: b.split(report_ids, by, t).id, enforce=enforce, proven=proven, leader_only=True, verb="split")


def move(store: Store, config: Config, report_id: int, to_id: int, by: int | None, now: int | None = None, *, enforce: bool = False, proven: bool = True) -> int:
    return _run(store, config, to_id, by, now, lambda b, t: move_report(b.conn, config, report_id, to_id, by, t, b.catalog).id, enforce=enforce, proven=proven, leader_only=True, verb="move reports into")
