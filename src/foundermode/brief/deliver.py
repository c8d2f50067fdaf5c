"""The brief delivered: by email at ``[brief] send`` in the leader's zone, through the outbox.

::

    [brief]
    send = "mon 08:00"             # in [brief] timezone, default [org] timezone
    recipients = ["ada@example.com"] # default: [org] leader
    slack = true                   # and a short summary through [notify.slack]
    url = "https://foundermode.example.com/brief"
    managers = true                # each manager their own team's brief (or a list of their emails)

``send_due(store, config)`` runs on every tick (``foundermode serve``'s
background loop, or ``foundermode tick`` from cron): when the store's clock has
passed a scheduled moment (by no more than ``catch_up_hours``), it builds the
brief once and puts one email per recipient (and one Slack summary) in the
outbox, keyed by the moment: ``brief:<moment>:<channel>:<recipient>``; each
manager ``[brief] managers`` names gets the brief of the people under them
(audience.py), keyed ``brief:<moment>:team:<their email>``. The key
is the record: a second tick, or two processes at once, find it there and
send nothing twice, and the outbox's retries mean a mail server that is down
loses nothing. The outbox is delivered by the same tick, right after.

The email is the HTML brief inline (a text/html alternative of the Markdown
text): self-contained, its charts drawn as tables of coloured cells (Gmail and
Outlook show no SVG), no script, no image or style fetched from anywhere.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from ..errors import ConfigError
from ..notify.outbox import enqueue
from ..store import jobs
from ..store.schema_notify import outbox
from .. import analyses
from . import render, resolve_window
from .audience import managers_to_brief, recipients_of

JOB = "brief"


@dataclass(frozen=True)
class BriefSchedule:
    days: tuple[int, ...]  # 0 = Monday
    minutes: int  # after local midnight
    zone: str
    catch_up: int  # seconds

    def last_moment(self, now: int) -> int | None:
        """The latest scheduled moment at or before ``now`` (epoch seconds), within the last eight days."""
        zone = ZoneInfo(self.zone)
        local = dt.datetime.fromtimestamp(now, zone)
        for back in range(0, 8):
            day = (local - dt.timedelta(days=back)).date()
            if day.weekday() not in self.days:
                continue
            moment = dt.datetime(day.year, day.month, day.day, self.minutes // 60, self.minutes % 60, tzinfo=zone)
            epoch = int(moment.timestamp())
            if epoch <= now:
                return epoch
        return None


    def next_moment(self, now: int) -> int | None:
        """The first scheduled moment after ``now`` (epoch seconds), within the next eight days."""
        zone = ZoneInfo(self.zone)
        local = dt.datetime.fromtimestamp(now, zone)
        for ahead in range(0, 9):
            day = (local + dt.timedelta(days=ahead)).date()
            if day.weekday() not in self.days:
                continue
            epoch = int(dt.datetime(day.year, day.month, day.day, self.minutes // 60, self.minutes % 60, tzinfo=zone).timestamp())
            if epoch > now:
                return epoch
        return None


def schedule_of(config: Config) -> BriefSchedule | None:
    section = config.settings.section("brief")
    if section.send is None:
        return None
    zone = section.timezone or config.settings.section("org").timezone or "UTC"
    days, minutes = section.send
    return BriefSchedule(days, minutes, zone, section.catch_up_hours * 3600)


def _keys(moment_label: str, config: Config, managers=()) -> list[tuple[str, object, str]]:
    """(channel, recipient, idempotency key) of each message one delivery makes; a team brief's
    recipient is its ``audience.Audience``."""
    out = [("email", r, f"brief:{moment_label}:email:{r.lower()}") for r in recipients_of(config)]
    if config.settings.section("brief").slack:
        out.append(("slack", "", f"brief:{moment_label}:slack"))
    out += [("team", a, f"brief:{moment_label}:team:{a.email.lower()}") for a in managers]
    return out


def _managers(store: Store, config: Config, problems: list[str] | None = None) -> list:
    with store.read() as conn:
        return managers_to_brief(conn, config, problems)


def _summary(brief, url: str | None) -> str:
    lines = [f"*The week: {brief.window_label}*"]
    for section in brief.sections:
        lines.append(f"• {section.title}" + ("" if section.has_content else f": {section.error or section.note or 'nothing this week'}"))
    if url:
        lines.append(f"<{url}|Read the brief>")
    return "\n".join(lines)


def enqueue_brief(store: Store, config: Config, moment_label: str, *, now: int | None = None, problems: list[str] | None = None) -> list[int]:
    """Build the brief now and put its messages in the outbox under ``moment_label``; returns the new outbox ids
    (none for a key already there). Raises ConfigError when there is no one to send it to; a manager
    ``[brief] managers`` names who is not in the store is skipped and said in ``problems``."""
    at = clock_now() if now is None else int(now)
    wanted = _keys(moment_label, config, _managers(store, config, [] if problems is None else problems))
    if not wanted:
        raise ConfigError("no one to send the brief to: set [brief] recipients or [org] leader")
    with store.read() as conn:
        present = {k for (k,) in conn.execute(select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.in_([k for *_x, k in wanted])))}
    wanted = [w for w in wanted if w[2] not in present]
    if not wanted:
        return []  # already sent (or on its way): building it again would be waste
    with store.read() as conn:
        window = resolve_window(conn, now=at)
    url = config.settings.section("brief").url
    messages = []  # (channel, recipient, subject, text, payload, key)
    if any(channel != "team" for channel, _r, _k in wanted):
        brief = analyses.get("brief").compute(store, config, window)
        subject = f"Your week: {brief.window_label}"
        text = _text(brief, url)
        html = render(brief, "email")
        for channel, recipient, key in wanted:
            if channel == "email":
                messages.append(("email", recipient, subject, text, {"html": html}, key))
            elif channel == "slack":
                messages.append(("slack", "", subject, "", {"text": _summary(brief, url)}, key))
    for channel, audience, key in wanted:
        if channel == "team":
            # The same window as the leader's, about the manager's people only.
            team_brief = analyses.get("brief").compute(store, config, audience.scope(window), audience=audience.label)
            messages.append(("email", audience.email, f"Your team's week ({audience.label}): {team_brief.window_label}", _text(team_brief, None), {"html": render(team_brief, "email")}, key))
    ids = []
    with store.write() as conn:
        for channel, recipient, subject, body, payload, key in messages:
            new = enqueue(conn, channel=channel, recipient=recipient, subject=subject, body=body, payload=payload, idempotency_key=key, now=at)
            if new is not None:
                ids.append(new)
    return ids


def _text(brief, url: str | None) -> str:
    text = render(brief, "markdown")
    # The web brief is the leader's: a team brief's text does not link it.
    return f"The brief on the web: {url}\n\n{text}" if url else text


def send_due(store: Store, config: Config, now: int | None = None) -> list[int]:
    """Enqueue the scheduled brief if its moment has come and it has not gone yet; returns the new outbox ids."""
    schedule = schedule_of(config)
    if schedule is None:
        return []
    at = clock_now() if now is None else int(now)
    moment = schedule.last_moment(at)
    if moment is None or at - moment > schedule.catch_up:
        return []
    label = dt.datetime.fromtimestamp(moment, dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    with store.read() as conn:
        done = {k for (k,) in conn.execute(select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.like(f"brief:{label}:%")))}
    problems: list[str] = []
    if done >= {k for *_x, k in _keys(label, config, _managers(store, config, problems))}:
        return []
    jobs.record_start(store, JOB, now=at)
    try:
        ids = enqueue_brief(store, config, label, now=at, problems=[])
    except Exception as error:
        jobs.record_finish(store, JOB, error=f"{type(error).__name__}: {error}"[:2000], now=at)
        raise
    jobs.record_finish(store, JOB, detail=f"the brief of {label} queued for {len(ids)} message(s)" + "".join(f"; {p}" for p in problems), now=at)
    return ids


def plan(store: Store, config: Config, now: int | None = None) -> dict:
    """What the schedule will send next, for ``foundermode status``: the next moment, to whom, and a
    problem that would stop it (no recipient, a manager [brief] managers names who is not in the store)."""
    schedule = schedule_of(config)
    at = clock_now() if now is None else int(now)
    out = {"next_at": schedule.next_moment(at) if schedule else None, "zone": schedule.zone if schedule else None,
           "recipients": recipients_of(config), "managers": [], "problem": None}
    problems: list[str] = []
    out["managers"] = [a.email for a in _managers(store, config, problems)]
    out["problem"] = "; ".join(problems) or None
    if schedule is not None and not out["recipients"] and not out["managers"] and not config.settings.section("brief").slack:
        out["problem"] = out["problem"] or "no one to send the brief to: set [brief] recipients or [org] leader"
    return out


def send_now(store: Store, config: Config, now: int | None = None) -> list[int]:
    """``foundermode brief --send``: the brief now, to every recipient, whatever the schedule."""
    at = clock_now() if now is None else int(now)
    label = "now-" + dt.datetime.fromtimestamp(at, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    problems: list[str] = []
    ids = enqueue_brief(store, config, label, now=at, problems=problems)
    jobs.record_finish(store, JOB, detail=f"sent on request ({len(ids)} message(s))" + "".join(f"; {p}" for p in problems), now=at)
    return ids
