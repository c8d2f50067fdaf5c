"""What the board shows: open bottlenecks, one bottleneck's timeline, and how
fast owners and vendors answer (time-to-acknowledge, time-to-unblock).

Plain functions over the store returning rows; surfaces format them.
"""
from __future__ import annotations

import json
import statistics
from collections import defaultdict
from email.utils import parseaddr

from sqlalchemy import Connection, or_, select

from ..store.queries import iso
from ..store.schema import people
from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks, escalations
from .bottleneck import NotFound
from .statuses import OPEN
from .heard import PLACE_NAMES, places_heard
from .resources import ChainSnapshot
from ..store.schema_notify import outbox


def _level(esc: dict | None) -> str:
    if esc is None:
        return "reported"
    where = f"{esc['chain_name']} {ChainSnapshot.from_json(esc['chain']).level(esc['step'])}"
    return where if esc["status"] == "active" else f"{where} {esc['status']}"


def _reporters(conn: Connection, bottleneck_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = defaultdict(lambda: {"people": {}, "reports": 0, "heard": []})
    if not bottleneck_ids:
        return out
    rows = conn.execute(
        select(blocker_reports.c.bottleneck_id, people.c.id, people.c.name, blocker_reports.c.heard_in)
        .join(people, people.c.id == blocker_reports.c.person_id)
        .where(blocker_reports.c.bottleneck_id.in_(bottleneck_ids))
        .order_by(blocker_reports.c.id)
    )
    for bottleneck_id, person_id, name, heard_in in rows:
        entry = out[bottleneck_id]
        entry["people"].setdefault(person_id, name)
        entry["reports"] += 1
        entry["heard"].append(heard_in)
    return out


def _latest_escalations(conn: Connection, bottleneck_ids: list[int]) -> dict[int, dict]:
    """Per bottleneck, the escalation that holds it now (the newest one)."""
    latest: dict[int, dict] = {}
    if not bottleneck_ids:
        return latest
    for row in conn.execute(select(escalations).where(escalations.c.bottleneck_id.in_(bottleneck_ids)).order_by(escalations.c.id)).mappings():
        latest[row["bottleneck_id"]] = dict(row)
    return latest


def list_bottlenecks(conn: Connection, now: int, *, status: str = "open", resource: str | None = None, as_of: int | None = None) -> list[dict]:
    """Bottlenecks (open ones by default: not resolved or merged), oldest first, with who reported them and who holds them.

    ``as_of`` (epoch seconds, exclusive): the board as it stood at that moment, rebuilt from the
    timeline (a past window's end). ``owner_reached`` says whether a message to the owner of its
    escalation was delivered (None before anything was sent for it)."""
    if as_of is not None:
        return _listing_as_of(conn, min(int(as_of), now), status, resource)
    query = select(bottlenecks).order_by(bottlenecks.c.opened_at, bottlenecks.c.id)
    if status == "open":
        query = query.where(bottlenecks.c.status.in_(OPEN))
    elif status != "all":
        query = query.where(bottlenecks.c.status == status)
    if resource:
        query = query.where(bottlenecks.c.resource == resource)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    ids = [r["id"] for r in rows]
    who = _reporters(conn, ids)
    latest = _latest_escalations(conn, ids)
    reached = _owners_reached(conn, _owner_escalations(conn, ids))
    out = []
    for row in rows:
        esc = latest.get(row["id"])
        reporters = who[row["id"]]["people"]
        end = row["resolved_at"] or now
        out.append(
            {
                "id": row["id"],
                "title": row["title"],
                "resource": row["resource"],
                "status": row["status"],
                "reporters": list(reporters.values()),
                "people": len(reporters),
                "reports": who[row["id"]]["reports"],
                "heard": places_heard(who[row["id"]]["heard"]),  # typed, Slack, meeting, stand-up, ticket
                "level": _level(esc),
                "holder": esc["holder"] if esc else None,
                "age_s": max(0, end - row["opened_at"]),
                "opened_at": iso(row["opened_at"]),
                "escalated_at": iso(row["escalated_at"]),
                "call_at": iso(esc["call_start"]) if esc and esc["call_start"] else None,
                **reached.get(row["id"], NOT_ESCALATED),
            }
        )
    return out


# Before any escalation nobody was meant to be told: neither reached nor missed.
NOT_ESCALATED = {"owner": None, "owner_reached": None}


def _owner_escalations(conn: Connection, bottleneck_ids: list[int], before: int | None = None) -> dict[int, list[tuple[int, str | None]]]:
    """Per bottleneck, its owner-facing escalations (resource or leader chains, not a vendor's) and
    whom each was for: the chain's owner, else whoever its first step tells."""
    out: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    if not bottleneck_ids:
        return out
    query = select(escalations.c.id, escalations.c.bottleneck_id, escalations.c.chain).where(
        escalations.c.bottleneck_id.in_(bottleneck_ids), escalations.c.kind != "vendor"
    ).order_by(escalations.c.id)
    if before is not None:
        query = query.where(escalations.c.started_at < before)
    for esc_id, bottleneck_id, chain_text in conn.execute(query):
        chain = json.loads(chain_text)
        steps = chain.get("steps") or []
        out[bottleneck_id].append((esc_id, chain.get("owner") or (steps[0].get("to") if steps else None)))
    return out


def _owners_reached(conn: Connection, owners: dict[int, list[tuple[int, str | None]]], before: int | None = None) -> dict[int, dict]:
    """Whether any message of those escalations addressed to their owner was delivered (state sent,
    by ``before`` when given): queued, failing or dead letters have not reached anyone."""
    by_escalation = {esc_id: (bottleneck_id, owner) for bottleneck_id, pairs in owners.items() for esc_id, owner in pairs}
    out = {bottleneck_id: {"owner": pairs[0][1], "owner_reached": False} for bottleneck_id, pairs in owners.items() if pairs}
    if not by_escalation:
        return out
    query = select(outbox.c.escalation_id, outbox.c.recipient).where(outbox.c.escalation_id.in_(list(by_escalation)), outbox.c.state == "sent")
    if before is not None:
        query = query.where(outbox.c.sent_at < before)
    for esc_id, recipient in conn.execute(query):
        bottleneck_id, owner = by_escalation[esc_id]
        if owner and parseaddr(recipient)[1].casefold() == owner.casefold():
            out[bottleneck_id]["owner_reached"] = True
    return out


# Events that carry reports from one bottleneck to another ("from" on the receiving side).
_MOVES = ("merged", "split", "moved")


def _decoded(ev) -> dict:
    return {**dict(ev), "detail": json.loads(ev["detail"]) if ev["detail"] else {}}


def _status_then(row: dict, events: list[dict], merged_by_move: bool) -> str:
    """A bottleneck's status after ``events`` (its timeline up to a moment), by the rules of
    bottleneck.Bottleneck: escalate only from open; the owner's acknowledgement only from open or
    escalated; a vendor hand-off, a resolution and a merge from any open status."""
    status = "open"
    last_move_out = max((i for i, ev in enumerate(events) if ev["kind"] == "moved" and "to" in ev["detail"]), default=None) if merged_by_move else None
    for i, ev in enumerate(events):
        kind, detail = ev["kind"], ev["detail"]
        if status not in OPEN:
            break
        if kind == "escalated" and status == "open":
            status = "escalated"
        elif kind == "acknowledged" and status in ("open", "escalated"):
            status = "acknowledged"
        elif kind == "vendor":
            status = "vendor"
        elif kind == "resolved":
            status = "resolved"
        elif (kind == "merged" and "to" in detail) or i == last_move_out:
            status = "merged"  # folded into another, or (move_report) emptied by its last report moving out
    return status


def _escalation_then(esc: dict, events: list[dict], emails: dict[int, str]) -> dict:
    """One escalation's step, status, holder and call after ``events`` (its bottleneck's timeline up to a moment)."""
    then = {**esc, "step": 0, "status": "active", "call_start": None, "repeat": 0}
    started = next((ev for ev in events if ev["escalation_id"] == esc["id"] and ev["kind"] in ("escalated", "vendor")), None)
    then["holder"] = (started["detail"].get("holder") if started else None) or esc["holder"]
    for ev in events:
        kind, detail = ev["kind"], ev["detail"]
        if ev["escalation_id"] == esc["id"]:
            if kind == "step":
                then["step"], then["holder"] = int(detail.get("level", then["step"] + 2)) - 1, detail.get("to", then["holder"])
            elif kind == "acknowledged" and then["status"] in ("active", "exhausted"):
                then["status"] = "acknowledged"
                if esc["kind"] != "vendor" and emails.get(ev["person_id"]):
                    then["holder"] = emails[ev["person_id"]]  # as Bottleneck.acknowledge: whoever acknowledged holds it
            elif kind == "exhausted" and then["status"] == "active":
                then["status"] = "exhausted"
            elif kind == "scheduled":
                then["call_start"] = detail.get("start")
        elif kind == "resolved" and then["status"] != "resolved":
            then["status"] = "resolved"
        elif kind == "merged" and "to" in detail and then["status"] in ("active", "exhausted"):
            then["status"] = "merged"
    return then


def _placement_then(conn: Connection, moment: int) -> dict[int, int]:
    """Reports a leader moved at or after ``moment`` (merge, split, move), mapped to the bottleneck they were in then."""
    where: dict[int, int] = {}
    rows = conn.execute(
        select(bottleneck_events.c.detail).where(bottleneck_events.c.kind.in_(_MOVES), bottleneck_events.c.at >= moment)
        .order_by(bottleneck_events.c.at.desc(), bottleneck_events.c.id.desc())
    )
    for (text,) in rows:  # newest first: each undoes one move, so the oldest one after the moment wins
        detail = json.loads(text) if text else {}
        if "from" in detail:
            for report_id in detail.get("reports") or []:
                where[report_id] = detail["from"]
    return where


def _listing_as_of(conn: Connection, moment: int, status: str, resource: str | None) -> list[dict]:
    """list_bottlenecks as it would have answered just before ``moment``: the bottlenecks that existed
    then, each with its status, level, holder, reporters and age then, from its timed events."""
    query = select(bottlenecks).where(bottlenecks.c.opened_at < moment).order_by(bottlenecks.c.opened_at, bottlenecks.c.id)
    if resource:
        query = query.where(bottlenecks.c.resource == resource)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    timeline: dict[int, list[dict]] = defaultdict(list)
    for ev in conn.execute(select(bottleneck_events).where(bottleneck_events.c.bottleneck_id.in_(ids)).order_by(bottleneck_events.c.at, bottleneck_events.c.id)).mappings():
        timeline[ev["bottleneck_id"]].append(_decoded(ev))
    escs: dict[int, list[dict]] = defaultdict(list)
    for esc in conn.execute(select(escalations).where(escalations.c.bottleneck_id.in_(ids), escalations.c.started_at < moment).order_by(escalations.c.id)).mappings():
        escs[esc["bottleneck_id"]].append(dict(esc))
    emails = dict(conn.execute(select(people.c.id, people.c.email)).all())
    moved_back = _placement_then(conn, moment)
    reports: dict[int, dict] = defaultdict(lambda: {"people": {}, "reports": 0, "heard": []})
    for report_id, bottleneck_id, person_id, name, heard_in in conn.execute(
        select(blocker_reports.c.id, blocker_reports.c.bottleneck_id, people.c.id, people.c.name, blocker_reports.c.heard_in)
        .join(people, people.c.id == blocker_reports.c.person_id)
        .where(blocker_reports.c.reported_at < moment,
               or_(blocker_reports.c.bottleneck_id.in_(ids), blocker_reports.c.id.in_(list(moved_back))) if moved_back else blocker_reports.c.bottleneck_id.in_(ids))
        .order_by(blocker_reports.c.id)
    ):
        entry = reports[moved_back.get(report_id, bottleneck_id)]
        entry["people"].setdefault(person_id, name)
        entry["reports"] += 1
        entry["heard"].append(heard_in)
    reached = _owners_reached(conn, _owner_escalations(conn, ids, moment), moment)
    out = []
    for row in rows:
        events = timeline[row["id"]]
        born = next((ev["at"] for ev in events if ev["kind"] == "split" and "from" in ev["detail"]), row["opened_at"])
        if born >= moment:
            continue  # split out of another bottleneck after the moment: its reports were still there
        then_events = [ev for ev in events if ev["at"] < moment]
        merged_by_move = row["status"] == "merged" and not any(ev["kind"] == "merged" and "to" in ev["detail"] for ev in events)
        state = _status_then(row, then_events, merged_by_move)
        if (status == "open" and state not in OPEN) or status not in ("open", "all", state):
            continue
        esc = _escalation_then(escs[row["id"]][-1], then_events, emails) if escs[row["id"]] else None
        resolved = next((ev["at"] for ev in then_events if ev["kind"] == "resolved"), None)
        who = reports[row["id"]]
        out.append(
            {
                "id": row["id"],
                "title": row["title"],
                "resource": row["resource"],
                "status": state,
                "reporters": list(who["people"].values()),
                "people": len(who["people"]),
                "reports": who["reports"],
                "heard": places_heard(who["heard"]),
                "level": _level(esc),
                "holder": esc["holder"] if esc else None,
                "age_s": max(0, (resolved or moment) - row["opened_at"]),
                "opened_at": iso(row["opened_at"]),
                "escalated_at": iso(row["escalated_at"]) if row["escalated_at"] is not None and row["escalated_at"] < moment else None,
                "call_at": iso(esc["call_start"]) if esc and esc["call_start"] else None,
                **reached.get(row["id"], NOT_ESCALATED),
            }
        )
    return out


def bottleneck_detail(conn: Connection, bottleneck_id: int) -> dict:
    """One bottleneck with its reports, escalations and every timed event, in order."""
    row = conn.execute(select(bottlenecks).where(bottlenecks.c.id == bottleneck_id)).mappings().first()
    if row is None:
        raise NotFound(f"no bottleneck #{bottleneck_id}")
    names = dict(conn.execute(select(people.c.id, people.c.name)).all())
    reports = [
        {"id": r["id"], "person": names.get(r["person_id"]), "person_id": r["person_id"], "text": r["text"], "source": r["source"],
         "reported_at": iso(r["reported_at"]), "pinned": bool(r["pinned"]),
         "heard_in": PLACE_NAMES.get(r["heard_in"] or "typed", r["heard_in"]), "heard_where": r["heard_where"], "heard_link": r["heard_link"],
         "confidence": r["confidence"]}
        for r in conn.execute(select(blocker_reports).where(blocker_reports.c.bottleneck_id == bottleneck_id).order_by(blocker_reports.c.id)).mappings()
    ]
    escs = []
    for e in conn.execute(select(escalations).where(escalations.c.bottleneck_id == bottleneck_id).order_by(escalations.c.id)).mappings():
        chain = ChainSnapshot.from_json(e["chain"])
        escs.append(
            {"id": e["id"], "kind": e["kind"], "chain": e["chain_name"], "status": e["status"], "level": _level(dict(e)), "holder": e["holder"],
             "steps": [s.to_dict() for s in chain.steps], "started_at": iso(e["started_at"]), "next_at": iso(e["next_at"]),
             "acknowledged_at": iso(e["acknowledged_at"]), "resolved_at": iso(e["resolved_at"]),
             "call_start": iso(e["call_start"]), "call_end": iso(e["call_end"])}
        )
    timeline = [
        {"at": iso(ev["at"]), "kind": ev["kind"], "person": names.get(ev["person_id"]), "escalation_id": ev["escalation_id"],
         "report_id": ev["report_id"], **(json.loads(ev["detail"]) if ev["detail"] else {})}
        for ev in conn.execute(select(bottleneck_events).where(bottleneck_events.c.bottleneck_id == bottleneck_id).order_by(bottleneck_events.c.at, bottleneck_events.c.id)).mappings()
    ]
    return {
        "id": row["id"], "title": row["title"], "resource": row["resource"], "status": row["status"],
        "opened_at": iso(row["opened_at"]), "escalated_at": iso(row["escalated_at"]), "acknowledged_at": iso(row["acknowledged_at"]),
        "resolved_at": iso(row["resolved_at"]), "merged_into": row["merged_into_id"],
        "reports": reports, "escalations": escs, "timeline": timeline,
    }


def _summary(values: list[int]) -> dict:
    if not values:
        return {"median": None, "mean": None, "max": None}
    return {"median": statistics.median(values), "mean": statistics.fmean(values), "max": max(values)}


def metrics(conn: Connection, now: int) -> list[dict]:
    """Time-to-acknowledge and time-to-unblock (seconds) per resource, owner and vendor."""
    opened = {r["id"]: r for r in conn.execute(select(bottlenecks.c.id, bottlenecks.c.opened_at, bottlenecks.c.resolved_at, bottlenecks.c.status)).mappings()}
    # Closed by the tick for want of activity (Bottleneck.resolve(expired_after=...)): nobody unblocked it.
    expired = set(conn.execute(
        select(bottleneck_events.c.bottleneck_id).where(bottleneck_events.c.kind == "resolved", bottleneck_events.c.detail.like('%"expired": true%'))
    ).scalars())
    groups: dict[tuple[str, str], dict] = defaultdict(lambda: {"escalations": 0, "acknowledged": 0, "waiting": 0, "resolved": 0, "ack": [], "unblock": [], "open_age": []})
    for e in conn.execute(select(escalations)).mappings():
        chain = ChainSnapshot.from_json(e["chain"])
        bottleneck = opened[e["bottleneck_id"]]
        if e["status"] == "merged":
            continue
        keys = [("vendor", e["chain_name"])] if e["kind"] == "vendor" else [("resource", e["chain_name"]), ("owner", chain.owner or "(none)")]
        for key in keys:
            g = groups[key]
            g["escalations"] += 1
            if e["acknowledged_at"] is not None:
                g["acknowledged"] += 1
                g["ack"].append(e["acknowledged_at"] - e["started_at"])
            elif e["status"] in ("active", "exhausted"):
                g["waiting"] += 1
                g["open_age"].append(now - e["started_at"])
            if bottleneck["resolved_at"] is not None and bottleneck["id"] not in expired:
                g["resolved"] += 1
                # a vendor's clock starts when the bottleneck was handed to it; an owner's when it was first heard
                start = e["started_at"] if e["kind"] == "vendor" else bottleneck["opened_at"]
                g["unblock"].append(bottleneck["resolved_at"] - start)
    out = []
    for (by, name), g in sorted(groups.items()):
        ack, unblock = _summary(g["ack"]), _summary(g["unblock"])
        out.append(
            {
                "by": by, "name": name, "escalations": g["escalations"], "acknowledged": g["acknowledged"], "waiting": g["waiting"],
                "resolved": g["resolved"],
                "ack_median_s": ack["median"], "ack_mean_s": ack["mean"], "ack_max_s": ack["max"],
                "unblock_median_s": unblock["median"], "unblock_mean_s": unblock["mean"], "unblock_max_s": unblock["max"],
                "oldest_waiting_s": max(g["open_age"]) if g["open_age"] else None,
            }
        )
    return out
