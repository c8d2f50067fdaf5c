"""Escalations: a chain snapshotted when it starts, stepped by the clock.

An escalation is one row per bottleneck and chain (the resource's, then a
vendor's). Starting the first one schedules the call and sends the
invite, and runs its first step; each later step runs when ``next_at`` comes
and nobody has acknowledged. Every message goes through the outbox with an
idempotency key built from the bottleneck, the chain, the step and the repeat,
so a step run twice (two ticks at once) enqueues its messages once. Each message
says how to act where it is read: signed links to the bottleneck's page in an email,
Acknowledge / Resolve buttons on Slack (web/links.py), never a command line. The
chain is a typed snapshot (resources.ChainSnapshot), the one reader of its JSON.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import Connection, insert, select, text, update

from ..config import Config
from ..notify.invite import build_invite
from ..notify.outbox import enqueue, withdraw
from ..sources.identities import identity_key
from ..store.schema import identities, people
from ..store.schema_bottlenecks import blocker_reports, bottleneck_events, bottlenecks, escalations
from ..store.schema_notify import outbox
from ..web import links  # signed action links; web/links.py imports no web framework
from .resources import Catalog, ChainSnapshot, Resource, Step, format_duration
from ..meetings.load import MeetingSettings, busy_intervals, zones_of  # the one definition of busy time; booked_calls go on top
from ..sources.calendar import zone_for
from ..sources.identities import IdentityResolver
from .schedule import MAX_WORKING_DAYS, booked_calls, candidate_slots, first_common_slot, with_own_hours

# One key for every write that can change which bottleneck a report is in or
# whether the rule fires: on PostgreSQL those transactions queue on it the way
# BEGIN IMMEDIATE makes them queue on SQLite.
RULE_LOCK = 0x464D_4254  # "FMBT"


def lock_rule(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RULE_LOCK})


def event(bottleneck_id: int, kind: str, at: int, *, person_id: int | None = None, escalation_id: int | None = None, report_id: int | None = None, **detail) -> dict:
    """One timed event on a bottleneck's timeline, as a row to insert."""
    return dict(
        bottleneck_id=bottleneck_id, escalation_id=escalation_id, report_id=report_id, kind=kind, at=at,
        person_id=person_id, detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
    )


def record(conn: Connection, bottleneck_id: int, kind: str, at: int, **fields) -> None:
    """Append one timed event to a bottleneck's timeline."""
    conn.execute(insert(bottleneck_events).values(event(bottleneck_id, kind, at, **fields)))


def record_all(conn: Connection, rows: list[dict]) -> None:
    """Several events in one statement (one round trip: intake is on the hot path)."""
    conn.execute(insert(bottleneck_events).values(rows))


def person_by_email(conn: Connection, email: str | None) -> int | None:
    if not email:
        return None
    row = conn.execute(select(identities.c.person_id).where(identities.c.key == identity_key("", email))).first()
    return row[0] if row else None


def snapshot(resource: Resource, catalog: Catalog) -> ChainSnapshot:
    """The chain as it stands now, recipients resolved: later config edits leave a running escalation alone."""
    return ChainSnapshot.of(resource, catalog.leader)


def leader_chain(catalog: Catalog) -> Resource:
    """For a bottleneck no configured resource claims: the leader is its owner."""
    return Resource(name="(unowned)", kind="leader", owner=catalog.leader, chain=(Step("leader", ("email",), 2 * 3600, 1),))


@dataclass
class Started:
    escalation_id: int
    holder: str | None
    call_start: int | None = None
    call_end: int | None = None
    busy: tuple[int, ...] = ()


def reporters(conn: Connection, bottleneck_id: int) -> list[dict]:
    """Distinct people who reported it, earliest first."""
    rows = conn.execute(
        select(people.c.id, people.c.name, people.c.email, blocker_reports.c.reported_at)
        .join(blocker_reports, blocker_reports.c.person_id == people.c.id)
        .where(blocker_reports.c.bottleneck_id == bottleneck_id)
        .order_by(blocker_reports.c.reported_at, blocker_reports.c.id)
    ).all()
    seen: dict[int, dict] = {}
    for person_id, name, email, _at in rows:
        seen.setdefault(person_id, {"id": person_id, "name": name, "email": email})
    return list(seen.values())


def start(conn: Connection, config: Config, catalog: Catalog, bottleneck_id: int, resource: Resource, now: int, *, by: int | None = None, call: bool = True) -> Started | None:
    """Start ``resource``'s chain for a bottleneck (and book the call); None when that chain already ran for it."""
    existing = conn.execute(
        select(escalations.c.id).where(escalations.c.bottleneck_id == bottleneck_id, escalations.c.chain_name == resource.name)
    ).first()
    if existing:
        return None
    chain = snapshot(resource, catalog)
    holder = chain.steps[0].to if chain.steps else resource.owner
    escalation_id = conn.execute(
        insert(escalations)
        .values(
            bottleneck_id=bottleneck_id, kind=resource.kind, chain_name=resource.name, chain=chain.to_json(),
            step=0, repeat=0, status="active", holder=holder, started_at=now, next_at=now,
        )
        .returning(escalations.c.id)
    ).scalar_one()
    started = Started(escalation_id, holder)
    bottleneck = conn.execute(select(bottlenecks).where(bottlenecks.c.id == bottleneck_id)).mappings().one()
    who = reporters(conn, bottleneck_id)
    # the rule (or a leader) escalates; an owner hands a bottleneck to a vendor
    record(conn, bottleneck_id, "escalated" if call else "vendor", now, person_id=by, escalation_id=escalation_id,
           chain=resource.name, holder=holder, reporters=[r["email"] for r in who])
    if call:
        _schedule_call(conn, config, catalog, bottleneck, who, chain, escalation_id, now, started)
    run_step(conn, config, escalation_id, now)
    return started


def _schedule_call(conn, config, catalog, bottleneck, who, chain, escalation_id, now, started: Started) -> None:
    attendees: list[tuple[str, str]] = []
    ids: list[int] = []
    id_of: dict[str, int] = {}  # attendee email -> person id
    for name, email in [(None, chain.owner), *[(r["name"], r["email"]) for r in who], (None, catalog.leader)]:
        if not email or any(identity_key("", email) == identity_key("", e) for _, e in attendees):
            continue
        person_id = person_by_email(conn, email)
        if person_id is None:
            # The owner and the leader come from foundermode.toml; they become people here, so
            # their calendars count and they can acknowledge with their own token.

            person_id = IdentityResolver.from_config(conn, config).person_for("", email, source="manual")
        if name is None:
            name = conn.execute(select(people.c.name).where(people.c.id == person_id)).scalar()
        attendees.append((name or email.split("@")[0], email))
        if person_id is not None:
            ids.append(person_id)
            id_of[email] = person_id
    slots = candidate_slots(catalog.hours, now, catalog.call_minutes, working_days=MAX_WORKING_DAYS)
    if not slots or not attendees:
        return
    busy = busy_intervals(conn, ids, slots[0][0], slots[-1][1])
    zone_names = zones_of(conn, ids, MeetingSettings.from_config(config))
    zones = {p: zone_for(z) for p, z in zone_names.items()}
    busy = with_own_hours(busy, catalog.hours, zones, slots[0][0], slots[-1][1])
    booked = booked_calls(conn, ids, slots[0][0], slots[-1][1])
    slot = first_common_slot(busy, catalog.hours, now, catalog.call_minutes, booked=booked)
    if slot is None:
        return
    uid = f"bottleneck-{bottleneck['id']}-{chain.name.replace(' ', '-').lower()}@foundermode"
    conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(call_uid=uid, call_start=slot.start, call_end=slot.end))
    started.call_start, started.call_end, started.busy = slot.start, slot.end, slot.busy
    organizer = _organizer(config, catalog)
    start_at = dt.datetime.fromtimestamp(slot.start, dt.timezone.utc)
    summary = f"Bottleneck #{bottleneck['id']}: {bottleneck['title']}"
    description = (
        f"Heard from {len(who)} people: {', '.join(r['name'] for r in who)}.\n"
        f"Resource: {chain.name} (owner {chain.owner or 'unknown'}).\n"
        + "\n".join(f"- {r}" for r in _report_texts(conn, bottleneck["id"]))
    )
    invite = build_invite(
        uid=uid, summary=summary, description=description, start=start_at,
        end=dt.datetime.fromtimestamp(slot.end, dt.timezone.utc), organizer=organizer, attendees=attendees,
        stamp=dt.datetime.fromtimestamp(now, dt.timezone.utc),
    )

    def local_time(email: str) -> str:
        """When the call is, on the invitee's own clock (their zone, else the organisation's)."""
        person_id = id_of.get(email)
        zone, zone_name = zones.get(person_id), zone_names.get(person_id)
        if zone is None:
            zone, zone_name = catalog.hours.zone, catalog.hours.tz
        return f"{dt.datetime.fromtimestamp(slot.start, zone):%A %d %B %H:%M} ({zone_name})"

    record(conn, bottleneck["id"], "scheduled", now, escalation_id=escalation_id, start=slot.start, end=slot.end,
           attendees=[e for _, e in attendees], attendee_ids=ids, names=[n for n, _ in attendees], conflicts=list(slot.busy))
    for name, email in attendees:
        enqueue(  # the outbox puts "queued" on the timeline, then what delivery made of it
            conn, channel="email", recipient=f"{name} <{email}>", subject=f"Call: {summary}",
            body=f"{description}\n\nCall at {local_time(email)}, {catalog.call_minutes} minutes.\n\n"
            + links.email_lines(config, bottleneck["id"], ("open",), email, now),
            payload={"event": "bottleneck.call", "bottleneck_id": bottleneck["id"], "start": slot.start, "end": slot.end},
            idempotency_key=invite_key(bottleneck["id"], chain.name, email),
            attachments=[{"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST; charset=utf-8", "content": invite}],
            escalation_id=escalation_id, now=now,
        )


def invite_key(bottleneck_id: int, chain_name: str, email: str) -> str:
    """The outbox key of one invitee's call invite."""
    return f"bottleneck:{bottleneck_id}:{chain_name}:invite:{identity_key('', email)}"


def _never_left(conn: Connection, bottleneck_id: int, chain_name: str, emails: list[str]) -> set[str]:
    """Invitees whose invite was withdrawn before its first attempt: certain never to have arrived,
    so a CANCEL would tell them of a call they never heard of. An invite tried and failed may still
    have arrived (a connection lost after the server took it): those get the CANCEL."""
    keys = {invite_key(bottleneck_id, chain_name, email): email for email in emails}
    if not keys:
        return set()
    rows = conn.execute(
        select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.in_(list(keys)), outbox.c.state == "withdrawn", outbox.c.attempts == 0)
    ).all()
    return {keys[key] for (key,) in rows}


def cancel_calls(conn: Connection, config: Config, catalog: Catalog, bottleneck_id: int, now: int, reason: str) -> int:
    """A bottleneck closed (resolved, merged) before its calls: what has not gone is withdrawn
    from the outbox, and every invitee of a call still ahead gets a METHOD:CANCEL (SEQUENCE 1),
    so calendars free the slot (all but those whose invite was withdrawn untried: they never
    heard of the call). Returns the calls cancelled."""
    rows = conn.execute(
        select(escalations.c.id, escalations.c.chain_name, escalations.c.call_uid, escalations.c.call_start, escalations.c.call_end)
        .where(escalations.c.bottleneck_id == bottleneck_id)
    ).all()
    withdrawn = withdraw(conn, [r.id for r in rows], f"bottleneck #{bottleneck_id} {reason} first", now)
    if withdrawn:
        record(conn, bottleneck_id, "withdrawn", now, messages=withdrawn, why=reason)
    cancelled = 0
    title = conn.execute(select(bottlenecks.c.title).where(bottlenecks.c.id == bottleneck_id)).scalar() or ""
    for row in rows:
        if not row.call_uid or row.call_start is None or row.call_start <= now:
            continue
        detail = conn.execute(
            select(bottleneck_events.c.detail).where(bottleneck_events.c.escalation_id == row.id, bottleneck_events.c.kind == "scheduled").order_by(bottleneck_events.c.id.desc())
        ).scalar()
        scheduled = json.loads(detail) if detail else {}
        emails = scheduled.get("attendees") or []
        names = scheduled.get("names") or [e.split("@")[0] for e in emails]
        attendees = list(zip(names, emails))
        if not attendees:
            continue
        unaware = _never_left(conn, bottleneck_id, row.chain_name, emails)
        summary = f"Bottleneck #{bottleneck_id}: {title}"
        invite = build_invite(
            uid=row.call_uid, summary=summary, description=f"Cancelled: the bottleneck was {reason}.",
            start=dt.datetime.fromtimestamp(row.call_start, dt.timezone.utc), end=dt.datetime.fromtimestamp(row.call_end, dt.timezone.utc),
            organizer=_organizer(config, catalog), attendees=attendees, sequence=1, stamp=dt.datetime.fromtimestamp(now, dt.timezone.utc), method="CANCEL",
        )
        for name, email in attendees:
            if email in unaware:
                continue
            enqueue(
                conn, channel="email", recipient=f"{name} <{email}>", subject=f"Cancelled: {summary}",
                body=f"The call about bottleneck #{bottleneck_id} is cancelled: it was {reason}.",
                payload={"event": "bottleneck.call_cancelled", "bottleneck_id": bottleneck_id, "start": row.call_start},
                idempotency_key=f"bottleneck:{bottleneck_id}:call:{row.call_uid}:cancel:{identity_key('', email)}",
                attachments=[{"filename": "cancel.ics", "content_type": "text/calendar; method=CANCEL; charset=utf-8", "content": invite}],
                escalation_id=None, now=now,
            )
        record(conn, bottleneck_id, "call_cancelled", now, escalation_id=row.id, attendees=[e for e in emails if e not in unaware],
               **({"uninvited": sorted(unaware)} if unaware else {}), start=row.call_start)
        cancelled += 1
    return cancelled


def _organizer(config: Config, catalog: Catalog) -> tuple[str, str]:
    sender = config.settings.section("notify.email").sender
    if sender:
        name, address = parseaddr(sender)
        if address:
            return name or "foundermode", address
    return ("foundermode", catalog.leader or "foundermode@localhost")


def _report_texts(conn: Connection, bottleneck_id: int) -> list[str]:
    return [t for (t,) in conn.execute(select(blocker_reports.c.text).where(blocker_reports.c.bottleneck_id == bottleneck_id).order_by(blocker_reports.c.id).limit(10))]


def _enqueue_each(conn: Connection, channels, to: str | None, subject: str, body: str, payload: dict, key: str, escalation_id: int, now: int) -> list[str]:
    """One message per channel through the outbox (``key:channel`` makes a repeat a no-op); the channels queued."""
    queued = []
    for channel in channels:
        if channel == "email" and not to:
            continue  # no address to write to; the other channels still carry it
        message_id = enqueue(
            conn, channel=channel, recipient=to or "", subject=subject, body=body, payload=payload,
            idempotency_key=f"{key}:{channel}", escalation_id=escalation_id, now=now,
        )
        if message_id is not None:
            queued.append(channel)
    return queued


def run_step(conn: Connection, config: Config, escalation_id: int, now: int) -> int:
    """Send the current step's notifications and set when the next one is due; returns messages enqueued."""
    esc = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).mappings().one()
    chain = ChainSnapshot.from_json(esc["chain"])
    step = chain.step(esc["step"])
    if step is None:
        return 0
    bottleneck = conn.execute(select(bottlenecks).where(bottlenecks.c.id == esc["bottleneck_id"])).mappings().one()
    who = reporters(conn, bottleneck["id"])
    to = step.to
    level = esc["step"] + 1
    total = len(chain.steps)
    subject = f"[foundermode] Bottleneck #{bottleneck['id']} ({chain.name}): {bottleneck['title']}"
    body = (
        f"{len(who)} people are blocked by the same thing: {', '.join(r['name'] for r in who)}.\n"
        f"Escalation level {level} of {total}: you ({to}) hold it now.\n"
        + "\n".join(f"- {r}" for r in _report_texts(conn, bottleneck["id"]))
        + "\n\n" + links.email_lines(config, bottleneck["id"], ("acknowledge", "resolve"), to, now)
        + (f"\nUnacknowledged, it goes to the next level in {format_duration(step.wait)}." if level < total or esc["repeat"] < step.repeat else "")
    )
    text = (f"*Bottleneck #{bottleneck['id']}* ({links.slack_escape(chain.name)}), level {level}: {links.slack_escape(bottleneck['title'])}"
            f" — heard from {len(who)} people; {links.slack_escape(to or 'nobody')} holds it.")
    payload = {
        "event": "bottleneck.escalation",
        "bottleneck_id": bottleneck["id"],
        "title": bottleneck["title"],
        "resource": chain.name,
        "chain": chain.kind,
        "level": level,
        "repeat": esc["repeat"],
        "to": to,
        "reporters": [r["email"] for r in who],
        "text": text,
        "blocks": links.slack_blocks(config, bottleneck["id"], text, to, now),
    }
    key = f"bottleneck:{bottleneck['id']}:{chain.name}:step:{esc['step']}:repeat:{esc['repeat']}"
    # each message queued puts "queued" on the timeline (notify.outbox), then sent, failed or dead
    sent = len(_enqueue_each(conn, step.channels, to, subject, body, payload, key, escalation_id, now))
    conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(holder=to, next_at=now + int(step.wait)))
    return sent


def advance(conn: Connection, config: Config, escalation_id: int, now: int) -> str | None:
    """One due escalation moves on: the same step again, the next step, or the end of the chain."""
    esc = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).mappings().one()
    if esc["status"] != "active" or esc["next_at"] is None or esc["next_at"] > now:
        return None  # someone acknowledged it, or another tick got here first
    chain = ChainSnapshot.from_json(esc["chain"])
    step = chain.step(esc["step"])
    if step is not None and esc["repeat"] < step.repeat:
        conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(repeat=esc["repeat"] + 1))
        run_step(conn, config, escalation_id, now)
        return "repeated"
    following = chain.step(esc["step"] + 1)
    if following is not None:
        conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(step=esc["step"] + 1, repeat=0))
        record(conn, esc["bottleneck_id"], "step", now, escalation_id=escalation_id, level=esc["step"] + 2, to=following.to)
        run_step(conn, config, escalation_id, now)
        return "stepped"
    conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(status="exhausted", next_at=None))
    record(conn, esc["bottleneck_id"], "exhausted", now, escalation_id=escalation_id, holder=esc["holder"])
    return "exhausted"


def restale(conn: Connection, config: Config, catalog: Catalog, escalation_id: int, now: int) -> str | None:
    """An acknowledged escalation whose bottleneck is still unresolved after stale_after climbs
    again: first the owner is reminded, then (after as long again) the leader is told."""
    esc = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).mappings().one()
    if esc["status"] != "acknowledged" or esc["next_at"] is None or esc["next_at"] > now:
        return None
    bottleneck = conn.execute(select(bottlenecks).where(bottlenecks.c.id == esc["bottleneck_id"])).mappings().one()
    if bottleneck["status"] != "acknowledged":
        conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(next_at=None))
        return None
    chain = ChainSnapshot.from_json(esc["chain"])
    since = esc["acknowledged_at"] or esc["started_at"]
    reminded = conn.execute(
        select(bottleneck_events.c.id).where(
            bottleneck_events.c.escalation_id == escalation_id, bottleneck_events.c.kind == "reminded", bottleneck_events.c.at >= since
        )
    ).first()
    wait = chain.stale_after(esc["step"], catalog.stale_after)
    kind, to = ("re-escalated", chain.leader) if reminded else ("reminded", chain.owner or chain.leader)
    days = format_duration(now - since)
    subject = f"[foundermode] Still open: bottleneck #{bottleneck['id']} ({chain.name}): {bottleneck['title']}"
    body = (
        f"Bottleneck #{bottleneck['id']} was acknowledged {days} ago and is still not resolved.\n"
        + (f"It is re-escalated to you ({to}), the leader." if reminded else f"A reminder to you ({to}), its owner; unresolved in {format_duration(wait)}, the leader is told.")
        + "\n\n" + links.email_lines(config, bottleneck["id"], ("resolve",), to, now)
    )
    text = (f"*Bottleneck #{bottleneck['id']}* ({links.slack_escape(chain.name)}) {kind}: acknowledged {days} ago, still open"
            f" — {links.slack_escape(to or 'nobody')}.")
    payload = {"event": f"bottleneck.{kind}", "bottleneck_id": bottleneck["id"], "title": bottleneck["title"], "resource": chain.name, "to": to,
               "text": text, "blocks": links.slack_blocks(config, bottleneck["id"], text, to, now, ("resolve",))}
    sent = len(_enqueue_each(conn, chain.channels_at(esc["step"]), to, subject, body, payload,
                             f"bottleneck:{bottleneck['id']}:{chain.name}:stale:{since}:{kind}", escalation_id, now))
    if not sent:
        # nobody to tell (no [org] leader, or neither owner nor leader): the timeline says so, not
        # that it climbed, and there is no further level to wait for
        record(conn, bottleneck["id"], "unreached", now, escalation_id=escalation_id, meant=kind, acknowledged_at=since,
               note=f"nobody to tell: no {'leader' if reminded else 'owner or leader'} configured")
        conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(next_at=None))
        return "unreached"
    record(conn, bottleneck["id"], kind, now, escalation_id=escalation_id, to=to, acknowledged_at=since, stale_after=format_duration(wait), messages=sent)
    conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(next_at=None if reminded else now + wait))
    return kind
