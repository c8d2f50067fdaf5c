"""Blockers heard where they are said: Slack, meeting transcripts, stand-ups, tickets.

Each statement goes through the detector (``detector.py``). A confident detection
becomes a report through the same intake as a typed one (``intake.report_many``):
grouped and escalated by the same rule, with where it was heard and a link back.
A detection below the confident threshold is never escalated on its own: it waits
in ``heard_statements`` for the person who said it, or a leader, to confirm it
(then it is a report) or dismiss it. A ticket a tracker itself marks as blocked
(a ``blocked`` label, Jira's Flagged field) needs no detector: it is a report.
"""
from __future__ import annotations

from ..errors import InputError
import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from ..config import Config
from ..people import is_leader
from ..sources.identities import IdentityResolver
from ..store import Store
from ..store import now as clock_now
from ..store.queries import iso
from ..store.schema import people
from ..store.schema_heard import heard_statements
from . import detector
from .intake import MAX_TEXT, Blocker, Intake, clean_text, report_many
from ..sources.identities import find_person, identity_key
from ..sources.jira import JiraExportError, parse_jira_csv
from ..sources.limits import read_text
from ..sources.slack import permalink, read_export
from ..sources.standup import StandupExportError, parse_standup_csv
from ..store.schema_meetings import meetings, occurrences
from ..store.schema_transcripts import transcript_participants, transcript_segments, transcripts

PLACES = ("typed", "slack", "meeting", "standup", "ticket")
PLACE_NAMES = {"typed": "typed", "slack": "Slack", "meeting": "meeting", "standup": "stand-up", "ticket": "ticket"}


def places_heard(values) -> list[str]:
    """Where a bottleneck was heard, each place once, in a fixed order: ["typed", "Slack", "meeting"]."""
    found = {v or "typed" for v in values}
    return [PLACE_NAMES[p] for p in PLACES if p in found] + sorted(v for v in found if v not in PLACE_NAMES)


class HeardError(InputError):
    pass


@dataclass
class Said:
    """One thing someone said or wrote, with where and when."""

    text: str
    heard_in: str  # slack, meeting, standup, ticket
    source: str  # the report's source: slack, transcript, standup, jira, github
    external_id: str  # the source's own key: a re-import or a retried event adds nothing
    said_at: int
    where: str | None = None  # "#infra", "Weekly sync 00:12:04", "OPS-12"
    link: str | None = None
    person_id: int | None = None
    email: str | None = None
    name: str | None = None
    flagged: bool = False  # the source itself says it is a blocker
    detail: dict = field(default_factory=dict)


@dataclass
class Heard:
    reports: list[Intake] = field(default_factory=list)  # confident or flagged: placed like typed reports
    pending: list[int] = field(default_factory=list)  # heard_statements ids waiting to be confirmed
    ignored: int = 0  # no blocker heard
    seen: int = 0  # already heard before (same source and key)

    def summary(self) -> dict:
        placed = [r for r in self.reports if not r.duplicate]
        return {
            "reports": len(placed), "bottlenecks_opened": sum(r.opened for r in placed), "escalated": sum(r.escalated for r in placed),
            "to_confirm": len(self.pending), "not_blockers": self.ignored, "already_heard": self.seen + len(self.reports) - len(placed),
            "bottlenecks": sorted({r.bottleneck_id for r in self.reports}),
        }


def hear(store: Store, config: Config, said: list[Said], *, now: int | None = None, threshold: float = detector.CONFIDENT) -> Heard:
    """Detect, then place the confident ones as reports and keep the rest to confirm."""
    now = clock_now() if now is None else int(now)
    result = Heard()
    to_report: dict[str, list[Blocker]] = {}
    to_confirm: list[tuple[Said, detector.Detection]] = []
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        for item in said:
            if item.heard_in not in PLACES:
                raise HeardError(f"heard_in must be one of {', '.join(PLACES)}, not {item.heard_in!r}")
            if item.person_id is None:
                if not (item.email or item.name):
                    raise HeardError(f"{item.where or item.external_id}: who said it is unknown")
                item.person_id = _person_for(conn, resolver, item.name, item.email)
    for item in said:
        if item.flagged:
            found = detector.Detection(clean_text(item.text[:MAX_TEXT]), 1.0, "flagged", "flagged")
        else:
            found = detector.strongest(item.text)
        if found is None:
            result.ignored += 1
        elif found.score >= threshold:
            to_report.setdefault(item.source, []).append(Blocker(
                text=found.sentence, person_id=item.person_id, reported_at=item.said_at, external_id=item.external_id,
                heard_in=item.heard_in, heard_where=item.where, heard_link=item.link, confidence=found.score))
        else:
            to_confirm.append((item, found))
    if to_confirm:
        with store.write() as conn:
            for item, found in to_confirm:
                seen = conn.execute(select(heard_statements.c.id).where(
                    heard_statements.c.source == item.source, heard_statements.c.external_id == item.external_id)).first()
                if seen:
                    result.seen += 1
                    continue
                result.pending.append(conn.execute(insert(heard_statements).values(
                    person_id=item.person_id, text=found.sentence, message=item.text[:detector.MAX_SENTENCE * 8], heard_in=item.heard_in,
                    heard_where=item.where, heard_link=item.link, source=item.source, external_id=item.external_id,
                    confidence=found.score, said_at=item.said_at, heard_at=now, status="pending",
                    detail=json.dumps({**item.detail, "cue": found.cue, "kind": found.kind}, sort_keys=True),
                ).returning(heard_statements.c.id)).scalar_one())
    for source, blockers in to_report.items():
        result.reports.extend(report_many(store, config, blockers, source=source, now=now))
    return result


def _person_for(conn, resolver: IdentityResolver, name: str | None, email: str | None) -> int:
    """An email or handle through the resolver; a bare display name (a Jira assignee, a stand-up
    member) is first the one person of that name already known, so it joins them, not a new person."""
    if name and not email:
        try:
            return find_person(conn, name)
        except LookupError:
            pass
    return resolver.person_for(name or "", email or "", source="manual")


def pending(store: Store, status: str = "pending") -> list[dict]:
    """Statements waiting to be confirmed (or decided ones, by status), oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(heard_statements, people.c.name.label("person"))
            .join(people, people.c.id == heard_statements.c.person_id)
            .where(heard_statements.c.status == status).order_by(heard_statements.c.said_at, heard_statements.c.id)
        ).mappings().all()
    return [{"id": r["id"], "person": r["person"], "said": r["text"], "confidence": r["confidence"], "heard_in": r["heard_in"],
             "where": r["heard_where"], "link": r["heard_link"], "said_at": iso(r["said_at"]), "status": r["status"], "report_id": r["report_id"]} for r in rows]


def _statement(conn, statement_id: int, by: int | None, config: Config) -> dict:
    row = conn.execute(select(heard_statements).where(heard_statements.c.id == statement_id)).mappings().first()
    if row is None:
        raise HeardError(f"no heard statement {statement_id}")
    if row["status"] != "pending":
        raise HeardError(f"statement {statement_id} is already {row['status']}")
    if by is not None and by != row["person_id"] and not is_leader(conn, config, by):
        raise HeardError(f"only the person who said it or a leader may decide statement {statement_id}")
    return dict(row)


def confirm(store: Store, config: Config, statement_id: int, by: int | None, now: int | None = None) -> Intake:
    """The person (or a leader) says yes, that is a blocker: it becomes a report, grouped and escalated like any."""
    now = clock_now() if now is None else int(now)
    with store.read() as conn:
        row = _statement(conn, statement_id, by, config)
    placed = report_many(store, config, [Blocker(
        text=row["text"], person_id=row["person_id"], reported_at=row["said_at"], external_id=row["external_id"],
        heard_in=row["heard_in"], heard_where=row["heard_where"], heard_link=row["heard_link"], confidence=row["confidence"])],
        source=row["source"], now=now)[0]
    with store.write() as conn:
        conn.execute(update(heard_statements).where(heard_statements.c.id == statement_id)
                     .values(status="confirmed", decided_by=by, decided_at=now, report_id=placed.report_id))
    return placed


def dismiss(store: Store, config: Config, statement_id: int, by: int | None, now: int | None = None) -> None:
    """Not a blocker: it stays dismissed, and a re-import does not bring it back."""
    now = clock_now() if now is None else int(now)
    with store.write() as conn:
        _statement(conn, statement_id, by, config)
        conn.execute(update(heard_statements).where(heard_statements.c.id == statement_id)
                     .values(status="dismissed", decided_by=by, decided_at=now))


# -- Slack -------------------------------------------------------------------------------

def slack_people(store: Store, config: Config, users: dict, wanted: set[str]) -> dict[str, int]:
    """A person for each Slack user who spoke: by the export's email (the ``slack:ID`` identity
    is linked to them, so live events find them too), else by an ``[identities.aliases]``
    entry or an earlier link, else a person of their own under ``slack:ID``."""
    out: dict[str, int] = {}
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        for user_id in sorted(wanted):
            user = users.get(user_id)
            handle = f"slack:{user_id}"
            if user is not None and user.is_bot:
                continue
            name = user.name if user else user_id
            if user is not None and user.email:
                key = identity_key("", handle)
                person_id = resolver.person_for(name, user.email, source="slack")
                resolver._look_up([key])
                if key not in resolver._by_key:
                    resolver._add_identity(person_id, key, name, None, "slack")
            else:
                person_id = resolver.person_for(name, handle, source="slack")
            out[user_id] = person_id
    return out


def slack_said(message, person_id: int, workspace: str | None, channel_name: str | None = None) -> Said:
    channel = channel_name or message.channel
    return Said(
        text=message.text, heard_in="slack", source="slack", external_id=f"{message.channel_id}:{message.ts}", said_at=message.at,
        where=f"#{channel}", link=permalink(workspace, message.channel_id, message.ts, message.thread_ts), person_id=person_id,
        detail={"channel": message.channel_id, "ts": message.ts},
    )


def hear_slack_export(store: Store, config: Config, path, *, channels: list[str] | None = None, workspace: str | None = None,
                      now: int | None = None) -> Heard:
    """Every person's message of a Slack export, heard."""
    users, messages = read_export(path, channels)
    ids = slack_people(store, config, users, {m.user for m in messages})
    said = [slack_said(m, ids[m.user], workspace) for m in messages if m.user in ids]
    return hear(store, config, said, now=now)


# -- meeting transcripts ---------------------------------------------------------------

def cue_time(ms: int) -> str:
    seconds = max(0, int(ms) // 1000)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def transcript_said(conn, occurrence_id: int) -> list[Said]:
    """Every cue with text and a known speaker of an occurrence's transcript, as said at its time."""
    row = conn.execute(
        select(transcripts.c.id, transcripts.c.path, occurrences.c.start, occurrences.c.summary, meetings.c.summary.label("title"))
        .join(occurrences, occurrences.c.id == transcripts.c.occurrence_id).join(meetings, meetings.c.id == occurrences.c.meeting_id)
        .where(transcripts.c.occurrence_id == occurrence_id)
    ).mappings().first()
    if row is None:
        raise HeardError(f"occurrence {occurrence_id} has no transcript (foundermode ingest transcript)")
    title = row["summary"] or row["title"] or f"meeting {occurrence_id}"
    speakers = dict(conn.execute(select(transcript_participants.c.label, transcript_participants.c.person_id).where(
        transcript_participants.c.transcript_id == row["id"], transcript_participants.c.label.is_not(None),
        transcript_participants.c.person_id.is_not(None))).all())
    out = []
    for seg in conn.execute(select(transcript_segments).where(transcript_segments.c.transcript_id == row["id"])
                            .order_by(transcript_segments.c.seq)).mappings():
        person_id = speakers.get(seg["label"])
        if not seg["text"] or person_id is None:
            continue
        at = cue_time(seg["start_ms"])
        out.append(Said(
            text=seg["text"], heard_in="meeting", source="transcript", external_id=f"occurrence:{occurrence_id}:cue:{seg['seq']}",
            said_at=int(row["start"]) + int(seg["start_ms"]) // 1000, where=f"{title} {at}", link=f"/meetings/occurrences/{occurrence_id}#t={at}",
            person_id=person_id, detail={"occurrence": occurrence_id, "cue": seg["seq"], "start_ms": seg["start_ms"], "end_ms": seg["end_ms"], "line": seg["line"]},
        ))
    return out


def hear_transcript(store: Store, config: Config, occurrence_id: int, *, now: int | None = None) -> Heard:
    """Hear an ingested meeting transcript: each cue is a statement by its speaker at its time."""
    with store.read() as conn:
        said = transcript_said(conn, occurrence_id)
    # One cue rarely holds a whole sentence, and one speaker's consecutive cues are one turn.
    turns: list[Said] = []
    for item in said:
        last = turns[-1] if turns else None
        if last and last.person_id == item.person_id and item.said_at - last.said_at < 60 and not last.text.rstrip().endswith((".", "!", "?")):
            last.text = f"{last.text} {item.text}"
            last.detail["end_ms"] = item.detail["end_ms"]
            continue
        turns.append(item)
    return hear(store, config, turns, now=now)


# -- tickets and stand-ups -----------------------------------------------------------------

def _who(value: str) -> dict:
    value = value.strip()
    return {"email": value} if ("@" in value or value.startswith(("github:", "slack:"))) else {"name": value}


def hear_jira(store: Store, config: Config, path, *, base_url: str | None = None, now: int | None = None) -> Heard:
    """The flagged and ``blocked``-labelled tickets of a Jira CSV export, as reports (by the assignee, else the reporter)."""
    from pathlib import Path

    path = Path(path)
    tickets = parse_jira_csv(read_text(path, JiraExportError), str(path))
    now = clock_now() if now is None else int(now)
    said, skipped = [], 0
    for ticket in tickets:
        who = ticket.assignee or ticket.reporter
        if not ticket.is_blocker or not who:
            skipped += 1
            continue
        said.append(Said(
            text=ticket.summary or ticket.key, heard_in="ticket", source="jira", external_id=ticket.key, flagged=True,
            said_at=ticket.updated or ticket.created or now, where=ticket.key,
            link=f"{base_url.rstrip('/')}/browse/{ticket.key}" if base_url else None, **_who(who),
            detail={"labels": ticket.labels, "flagged": ticket.flagged, "line": ticket.line},
        ))
    result = hear(store, config, said, now=now)
    result.ignored += skipped
    return result


def hear_standup(store: Store, config: Config, path, *, now: int | None = None) -> Heard:
    """A stand-up export: answers to the blockers question are blockers unless they say "none"; other answers are heard by the detector."""
    from pathlib import Path

    path = Path(path)
    answers = parse_standup_csv(read_text(path, StandupExportError), str(path))
    said, skipped = [], 0
    for answer in answers:
        if answer.says_nothing:
            skipped += 1
            continue
        day = _day(answer.at)
        said.append(Said(
            text=answer.answer, heard_in="standup", source="standup", external_id=f"{path.name}:{answer.who.casefold()}:{answer.at}:{answer.question[:80]}",
            said_at=answer.at, where=f"stand-up {day}", flagged=answer.about_blockers, **_who(answer.who),
            detail={"question": answer.question, "line": answer.line},
        ))
    result = hear(store, config, said, now=now)
    result.ignored += skipped
    return result


def _day(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


def jira_blockers(text: str, name: str) -> list[Blocker]:
    """A Jira CSV export as blocker records for ``foundermode blocker import``: the flagged and
    ``blocked``-labelled tickets, by their assignee (else reporter), keyed by Issue key."""
    out = []
    for ticket in parse_jira_csv(text, name):
        who = ticket.assignee or ticket.reporter
        if ticket.is_blocker and who:
            out.append(Blocker(text=(ticket.summary or ticket.key)[:MAX_TEXT], reported_at=ticket.updated or ticket.created, external_id=ticket.key,
                               heard_in="ticket", heard_where=ticket.key, confidence=1.0, **_who(who)))
    return out
