"""What the board shows: open bottlenecks, one bottleneck's timeline, and how
fast owners and vendors answer (time-to-acknowledge, time-to-unblock).

Plain functions over the store returning rows; surfaces format them.
"""
from __future__ import annotations

import json
import statistics
from collections import defaultdict

from sqlalchemy import Connection, select

from ..store.queries import iso
from ..store.schema import people
from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks, escalations
from .bottleneck import OPEN, NotFound
from .heard import PLACE_NAMES, places_heard


def _level(esc: dict | None) -> str:
    if esc is None:
        return "reported"
    steps = json.loads(esc["chain"])["steps"]
    where = f"{esc['chain_name']} {min(esc['step'] + 1, len(steps))}/{len(steps)}"
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


def list_bottlenecks(conn: Connection, now: int, *, status: str = "open", resource: str | None = None) -> list[dict]:
    """Bottlenecks (open ones by default: not resolved or merged), oldest first, with who reported them and who holds them."""
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
        chain = json.loads(e["chain"])
        escs.append(
            {"id": e["id"], "kind": e["kind"], "chain": e["chain_name"], "status": e["status"], "level": _level(dict(e)), "holder": e["holder"],
             "steps": chain["steps"], "started_at": iso(e["started_at"]), "next_at": iso(e["next_at"]),
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
        chain = json.loads(e["chain"])
        bottleneck = opened[e["bottleneck_id"]]
        if e["status"] == "merged":
            continue
        keys = [("vendor", e["chain_name"])] if e["kind"] == "vendor" else [("resource", e["chain_name"]), ("owner", chain.get("owner") or "(none)")]
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
