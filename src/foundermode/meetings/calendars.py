"""Calendar exports into the store: one transaction per import call.

``import_calendars(store, paths, config)`` reads every file first (a bad file
raises ``CalendarError`` before anything is written), merges what several
people's exports say about the same occurrence, and writes it all in one
``store.write()`` transaction, so a folder with one bad file imports nothing.

Merging, per occurrence (UID + recurrence id):
- times and title come from the organizer's own export when it is among the
  files, else from the first export that shows it;
- a cancellation seen in any export wins over a stale copy in another;
- each attendee's response comes from their own export when we have it
  (``from_own_calendar``), else from the organizer's, else from any export;
- the owner of an export attends what is on it unless they declined there;
- the organizer attends unless they are listed as declining.

Re-importing an export replaces what that export said inside its window:
occurrences it no longer shows lose its link, and occurrences no export
shows any more are deleted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, delete, func, insert, select, update

from ..config import Config
from ..sources.calendar import CalendarError, CalendarExport, calendar_files, default_window, read_calendar, zone_for
from ..sources.identities import IdentityResolver, identity_key
from ..ingest import NoProgress
from ..store import Store, chunked, now
from ..store.bulk import insert_rows
from ..store.schema_meetings import attendance, calendar_occurrences, calendars, meetings, occurrences

CHUNK = 500
BIG_CHUNK = 5000  # ids per IN (...): under SQLite's 32,766 variables and PostgreSQL's 65,535


def bulk_execute(conn, sql: str, rows: list[tuple]) -> None:
    """executemany a statement written with ? placeholders, on either driver."""
    if not rows:
        return
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    for chunk in chunked(rows, 20000):
        conn.exec_driver_sql(sql, chunk)


@dataclass
class CalendarImportResult:
    files: int = 0
    window: tuple[int, int] = (0, 0)
    occurrences_read: int = 0
    meetings_added: int = 0
    occurrences_added: int = 0
    occurrences_updated: int = 0
    occurrences_removed: int = 0
    attendance_rows: int = 0
    calendars: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def calendar_settings(config: Config | None) -> dict:
    """default_tz and tz_aliases from [meetings], as the settings schema checked them."""
    section = (config or Config()).settings.meetings
    return {"default_tz": section.timezone, "tz_aliases": dict(section.tz_aliases)}


def read_exports(
    paths: list[Path | str],
    config: Config | None = None,
    since: int | None = None,
    until: int | None = None,
    owner: str | None = None,
    progress=None,
) -> list[CalendarExport]:
    """Parse and expand every export; raises CalendarError on the first bad one."""
    progress = progress or NoProgress()
    settings = calendar_settings(config)
    start, end = default_window()
    start = since if since is not None else start
    end = until if until is not None else end
    if end <= start:
        raise CalendarError(", ".join(str(p) for p in paths), "the window is empty: its end must be after its start")
    files = calendar_files(paths)
    if not files:
        raise CalendarError(", ".join(str(p) for p in paths), "no .ics files found")
    if owner and len(files) > 1:
        raise CalendarError(", ".join(str(p) for p in paths), "one owner was named for several exports; give one file, or name each file after its owner's email")
    cache: dict = {}
    progress.start(len(files))
    exports = []
    for path in files:
        exports.append(read_calendar(path, start, end, owner_email=owner, expansion_cache=cache, **settings))
        progress.advance(1)
    return exports


def import_calendars(
    store: Store,
    paths: list[Path | str],
    config: Config | None = None,
    since: int | None = None,
    until: int | None = None,
    owner: str | None = None,
    progress=None,
) -> CalendarImportResult:
    config = config or Config()
    exports = read_exports(paths, config, since, until, owner, progress)
    with store.write() as conn:
        return write_exports(conn, exports, config)


def write_exports(conn, exports: list[CalendarExport], config: Config) -> CalendarImportResult:
    result = CalendarImportResult(files=len(exports), window=exports[0].window if exports else (0, 0))
    for export in exports:
        result.warnings.extend(export.warnings)
    resolver = IdentityResolver.from_config(conn, config)
    people_cache: dict[tuple[str, str], int] = {}

    def person(attendee_email: str, name: str) -> int:
        key = (attendee_email, "" if attendee_email else name.casefold())
        found = people_cache.get(key)
        if found is None:
            found = people_cache[key] = resolver.person_for(name or None, attendee_email or None, source="calendar")
        return found

    # -- merge what all exports say -------------------------------------------------
    # The same attendee list object is shared by every occurrence of a component (and by
    # every export that carries it byte for byte): resolve each list once.
    resolved_lists: dict[int, tuple] = {}

    def attendee_rows(occ) -> tuple:
        """((person, response, optional), ...) for the occurrence's ATTENDEE list, and its organizer."""
        found = resolved_lists.get(id(occ.attendees))
        if found is None:
            rows = tuple((person(a.email, a.name), a.response, a.optional) for a in occ.attendees)
            found = resolved_lists[id(occ.attendees)] = (rows, occ.attendees)
        return found[0]

    organizers: dict[int, int | None] = {}

    def organizer_of(occ) -> int | None:
        if occ.organizer is None:
            return None
        found = organizers.get(id(occ.organizer), -1)
        if found == -1:
            found = organizers[id(occ.organizer)] = person(occ.organizer.email, occ.organizer.name)
            organizer_keepalive.append(occ.organizer)
        return found

    organizer_keepalive: list = []
    # Attendees first: they carry display names (CN); an owner is known only by address.
    for export in exports:
        for occ in export.occurrences:
            organizer_of(occ)
            attendee_rows(occ)
    owners = [person(e.owner_email, "") if e.owner_email else None for e in exports]
    cancelled: set[tuple[str, str]] = set()
    for export in exports:
        cancelled |= export.cancelled
    chosen: dict[tuple[str, str], tuple[int, object]] = {}  # key -> (rank, occurrence)
    seen_in: list[set[tuple[str, str]]] = []
    own_rows: dict[tuple[str, str], dict[int, tuple]] = {}  # key -> owner -> (response, optional)
    for index, export in enumerate(exports):
        owner_id = owners[index]
        keys = set()
        for occ in export.occurrences:
            key = (occ.uid, occ.recurrence_id)
            if key in cancelled:
                continue
            keys.add(key)
            organizer_id = organizer_of(occ)
            rank = 2 if (owner_id is not None and owner_id == organizer_id) else 1
            if key not in chosen or rank > chosen[key][0]:
                chosen[key] = (rank, occ)
            if owner_id is not None:
                # The owner attends what is on their calendar, with the response they gave there.
                listed = next((row for row in attendee_rows(occ) if row[0] == owner_id), None)
                own_rows.setdefault(key, {})[owner_id] = (listed[1], listed[2]) if listed else ("ACCEPTED", False)
        seen_in.append(keys)
        result.occurrences_read += len(export.occurrences)

    # Attendee rows: the organizer's export's list when we have it, else the first export's;
    # then each owner's own response over it. key -> person -> (response, optional, own)
    wanted: dict[tuple[str, str], dict[int, tuple]] = {}
    for key, (_, occ) in chosen.items():
        rows = {pid: (response, optional, False) for pid, response, optional in attendee_rows(occ)}
        organizer_id = organizer_of(occ)
        if organizer_id is not None and organizer_id not in rows:
            rows[organizer_id] = ("ACCEPTED", False, False)
        for owner_id, (response, optional) in own_rows.get(key, {}).items():
            rows[owner_id] = (response, optional, True)
        wanted[key] = rows

    # -- calendars --------------------------------------------------------------------
    stamp = now()
    calendar_ids: list[int] = []
    for index, export in enumerate(exports):
        key = identity_key("", export.owner_email) if export.owner_email else "path:" + str(export.path.resolve())
        values = {
            "name": export.name,
            "person_id": owners[index],
            "path": str(export.path.resolve()),
            "timezone": export.timezone,
            "window_start": export.window[0],
            "window_end": export.window[1],
            "occurrence_count": len(seen_in[index]),
            "imported_at": stamp,
        }
        existing = conn.execute(select(calendars.c.id).where(calendars.c.key == key)).scalar()
        if existing is None:
            existing = conn.execute(insert(calendars).values(key=key, **values).returning(calendars.c.id)).scalar_one()
        else:
            conn.execute(update(calendars).where(calendars.c.id == existing).values(**values))
        calendar_ids.append(existing)
        result.calendars.append({"calendar": export.name or export.path.name, "owner": export.owner_email, "occurrences": len(seen_in[index]), "path": str(export.path)})

    # -- meetings (series) ----------------------------------------------------------------
    series: dict[str, object] = {}
    for key, (rank, occ) in chosen.items():
        current = series.get(occ.uid)
        if current is None or rank > current[0]:
            series[occ.uid] = (rank, occ)
    uids = sorted(series.keys() | {uid for uid, _ in cancelled})
    meeting_ids: dict[str, int] = {}
    existing_meetings: dict[str, tuple] = {}
    for chunk in chunked(uids, CHUNK):
        for row in conn.execute(select(meetings.c.id, meetings.c.uid, meetings.c.summary, meetings.c.organizer_id, meetings.c.is_recurring, meetings.c.rrule, meetings.c.tzid).where(meetings.c.uid.in_(chunk))):
            meeting_ids[row.uid] = row.id
            existing_meetings[row.uid] = tuple(row[2:])
    new_meetings, changed_meetings = [], []
    for uid, (_, occ) in series.items():
        organizer_id = organizer_of(occ)
        values = (occ.series_summary or occ.summary, organizer_id, occ.is_recurring, occ.rrule, occ.tzid)
        if uid not in meeting_ids:
            new_meetings.append({"uid": uid, "summary": values[0], "organizer_id": organizer_id, "is_recurring": occ.is_recurring, "rrule": occ.rrule, "tzid": occ.tzid, "source": "calendar", "created_at": stamp, "updated_at": stamp})
        elif existing_meetings[uid] != values:
            changed_meetings.append({"m_id": meeting_ids[uid], "summary": values[0], "organizer_id": organizer_id, "is_recurring": occ.is_recurring, "rrule": occ.rrule, "tzid": occ.tzid, "updated_at": stamp})
    if new_meetings:
        for row_id, uid in conn.execute(insert(meetings).returning(meetings.c.id, meetings.c.uid, sort_by_parameter_order=True), new_meetings).all():
            meeting_ids[uid] = row_id
    if changed_meetings:
        conn.execute(
            update(meetings).where(meetings.c.id == bindparam("m_id")).values(
                summary=bindparam("summary"), organizer_id=bindparam("organizer_id"), is_recurring=bindparam("is_recurring"), rrule=bindparam("rrule"), tzid=bindparam("tzid"), updated_at=bindparam("updated_at")
            ),
            changed_meetings,
        )
    result.meetings_added = len(new_meetings)

    # -- occurrences ----------------------------------------------------------------------
    occurrence_ids: dict[tuple[str, str], int] = {}
    existing_occ: dict[tuple[str, str], tuple] = {}
    uid_of = {mid: uid for uid, mid in meeting_ids.items()}
    for chunk in chunked(sorted(meeting_ids.values()), CHUNK):
        stmt = select(
            occurrences.c.id, occurrences.c.meeting_id, occurrences.c.recurrence_id, occurrences.c.summary, occurrences.c.start, occurrences.c.end,
            occurrences.c.all_day, occurrences.c.status, occurrences.c.transparent, occurrences.c.is_moved,
        ).where(occurrences.c.meeting_id.in_(chunk))
        for row in conn.execute(stmt):
            key = (uid_of[row.meeting_id], row.recurrence_id)
            occurrence_ids[key] = row.id
            existing_occ[key] = tuple(row[3:])

    removed: set[int] = {occurrence_ids[key] for key in cancelled if key in occurrence_ids}
    new_occ, changed_occ = [], []
    new_keys: set[tuple[str, str]] = set()
    for key, (_, occ) in chosen.items():
        meeting_summary = series[occ.uid][1].series_summary or series[occ.uid][1].summary
        values = (occ.summary if occ.summary != meeting_summary else None, occ.start, occ.end, occ.all_day, occ.status, occ.transparent, occ.is_moved)
        if key not in occurrence_ids:
            new_keys.add(key)
            # A new occurrence has no attendance from earlier imports: its count is known now.
            count = sum(1 for response, _, _ in wanted[key].values() if response != "DECLINED")
            new_occ.append((meeting_ids[occ.uid], occ.recurrence_id, values[0], occ.start, occ.end, occ.all_day, occ.status, occ.transparent, occ.is_moved, count, (not occ.all_day) and count >= 2, stamp))
        elif existing_occ[key] != values:
            changed_occ.append({
                "o_id": occurrence_ids[key], "summary": values[0], "start": occ.start, "end": occ.end, "all_day": occ.all_day,
                "status": occ.status, "transparent": occ.transparent, "is_moved": occ.is_moved, "updated_at": stamp,
            })
    insert_rows(conn, occurrences, ("meeting_id", "recurrence_id", "summary", "start", "end", "all_day", "status", "transparent", "is_moved", "attendee_count", "is_meeting", "updated_at"), new_occ)
    for chunk in chunked(sorted({row[0] for row in new_occ}), CHUNK):
        for row_id, meeting_id, rid in conn.execute(select(occurrences.c.id, occurrences.c.meeting_id, occurrences.c.recurrence_id).where(occurrences.c.meeting_id.in_(chunk))):
            occurrence_ids.setdefault((uid_of[meeting_id], rid), row_id)
    if changed_occ:
        conn.execute(
            update(occurrences).where(occurrences.c.id == bindparam("o_id")).values(
                summary=bindparam("summary"), start=bindparam("start"), end=bindparam("end"), all_day=bindparam("all_day"), status=bindparam("status"),
                transparent=bindparam("transparent"), is_moved=bindparam("is_moved"), updated_at=bindparam("updated_at"),
            ),
            changed_occ,
        )
    result.occurrences_added = len(new_occ)
    result.occurrences_updated = len(changed_occ)

    # -- which export showed which occurrence -------------------------------------------------
    unlinked: dict[int, set[int]] = {}  # occurrence id -> owners whose export no longer shows it
    for index, export in enumerate(exports):
        calendar_id = calendar_ids[index]
        start, end = export.window
        linked = {
            row[0]
            for row in conn.execute(
                select(calendar_occurrences.c.occurrence_id)
                .join(occurrences, occurrences.c.id == calendar_occurrences.c.occurrence_id)
                .where(calendar_occurrences.c.calendar_id == calendar_id, occurrences.c.start >= start, occurrences.c.start < end)
            )
        }
        now_linked = {occurrence_ids[key] for key in seen_in[index]}
        gone = linked - now_linked
        for chunk in chunked(sorted(gone), CHUNK):
            conn.execute(delete(calendar_occurrences).where(calendar_occurrences.c.calendar_id == calendar_id, calendar_occurrences.c.occurrence_id.in_(chunk)))
        for occurrence_id in gone:
            unlinked.setdefault(occurrence_id, set())
            if owners[index] is not None:
                unlinked[occurrence_id].add(owners[index])
        insert_rows(conn, calendar_occurrences, ("calendar_id", "occurrence_id"), [(calendar_id, oid) for oid in sorted(now_linked - linked)])

    # -- attendance: written as a difference, so an unchanged re-import writes nothing -----------
    touched = {occurrence_ids[key]: key for key in chosen}
    fresh = {occurrence_ids[key] for key in new_keys}
    import_owners = {o for o in owners if o is not None}
    existing_att: dict[tuple[int, int], tuple] = {}
    for chunk in chunked(sorted(oid for oid in touched if oid not in fresh), BIG_CHUNK):
        stmt = select(attendance.c.occurrence_id, attendance.c.person_id, attendance.c.response, attendance.c.is_organizer, attendance.c.is_optional, attendance.c.from_own_calendar)
        for row in conn.execute(stmt.where(attendance.c.occurrence_id.in_(chunk))):
            existing_att[(row[0], row[1])] = (row[2], bool(row[3]), bool(row[4]), bool(row[5]))
    kept: dict[int, dict[int, tuple]] = {}  # responses from the own exports of people not in this import
    for (occurrence_id, person_id), values in existing_att.items():
        if values[3] and person_id not in import_owners:
            kept.setdefault(occurrence_id, {})[person_id] = values
    desired: dict[tuple[int, int], tuple] = {}
    counts: dict[int, int] = {}
    for occurrence_id, key in touched.items():
        organizer_id = organizer_of(chosen[key][1])
        here = dict(kept.get(occurrence_id, {}))
        for person_id, (response, optional, own) in wanted[key].items():
            if person_id not in here:
                here[person_id] = (response, person_id == organizer_id, optional, own)
        for person_id, values in here.items():
            desired[(occurrence_id, person_id)] = values
        counts[occurrence_id] = sum(1 for values in here.values() if values[0] != "DECLINED")
    bulk_execute(conn, "DELETE FROM attendance WHERE occurrence_id = ? AND person_id = ?", [k for k in existing_att if k not in desired])
    added = [(*k, *v) for k, v in desired.items() if k not in existing_att]
    insert_rows(conn, attendance, ("occurrence_id", "person_id", "response", "is_organizer", "is_optional", "from_own_calendar"), added)
    bulk_execute(
        conn,
        "UPDATE attendance SET response = ?, is_organizer = ?, is_optional = ?, from_own_calendar = ? WHERE occurrence_id = ? AND person_id = ?",
        [(*v, *k) for k, v in desired.items() if k in existing_att and existing_att[k] != v],
    )
    result.attendance_rows = len(desired)

    # The owner of an export that no longer shows an occurrence no longer attends it.
    for occurrence_id, gone_owners in unlinked.items():
        if occurrence_id in touched or occurrence_id in removed:
            continue
        for owner_id in gone_owners:
            conn.execute(delete(attendance).where(attendance.c.occurrence_id == occurrence_id, attendance.c.person_id == owner_id, attendance.c.from_own_calendar == True))  # noqa: E712

    # -- counts, orphans and cancellations ------------------------------------------------------
    current = {}
    for chunk in chunked(sorted(oid for oid in touched if oid not in fresh), BIG_CHUNK):
        for row in conn.execute(select(occurrences.c.id, occurrences.c.attendee_count, occurrences.c.is_meeting, occurrences.c.all_day).where(occurrences.c.id.in_(chunk))):
            current[row.id] = row
    count_updates = []
    for occurrence_id, count in counts.items():
        row = current.get(occurrence_id)
        if row is None:  # inserted above with this count
            continue
        is_meeting = (not row.all_day) and count >= 2
        if row.attendee_count != count or row.is_meeting != is_meeting:
            count_updates.append({"o_id": occurrence_id, "attendee_count": count, "is_meeting": is_meeting})
    leftovers = [oid for oid in unlinked if oid not in touched and oid not in removed]
    orphans = set()
    for chunk in chunked(sorted(leftovers), CHUNK):
        still = {row[0] for row in conn.execute(select(calendar_occurrences.c.occurrence_id).where(calendar_occurrences.c.occurrence_id.in_(chunk)).distinct())}
        orphans |= set(chunk) - still
        for occurrence_id in set(chunk) & still:
            count = conn.execute(select(func.count()).select_from(attendance).where(attendance.c.occurrence_id == occurrence_id, attendance.c.response != "DECLINED")).scalar_one()
            all_day = conn.execute(select(occurrences.c.all_day).where(occurrences.c.id == occurrence_id)).scalar_one()
            count_updates.append({"o_id": occurrence_id, "attendee_count": count, "is_meeting": (not all_day) and count >= 2})
    if count_updates:
        conn.execute(update(occurrences).where(occurrences.c.id == bindparam("o_id")).values(attendee_count=bindparam("attendee_count"), is_meeting=bindparam("is_meeting")), count_updates)
    doomed = sorted(removed | orphans)
    for chunk in chunked(doomed, CHUNK):
        conn.execute(delete(attendance).where(attendance.c.occurrence_id.in_(chunk)))
        conn.execute(delete(calendar_occurrences).where(calendar_occurrences.c.occurrence_id.in_(chunk)))
        conn.execute(delete(occurrences).where(occurrences.c.id.in_(chunk)))
    result.occurrences_removed = len(doomed)
    # A series left with no occurrences at all (every instance cancelled) goes too.
    for chunk in chunked(sorted({uid for uid, _ in cancelled}), CHUNK):
        empty = select(meetings.c.id).where(meetings.c.uid.in_(chunk), ~select(occurrences.c.id).where(occurrences.c.meeting_id == meetings.c.id).exists())
        empty_ids = [row[0] for row in conn.execute(empty)]
        if empty_ids:
            conn.execute(delete(meetings).where(meetings.c.id.in_(empty_ids)))
    return result


__all__ = ["import_calendars", "read_exports", "write_exports", "CalendarImportResult", "CalendarError", "calendar_settings"]
