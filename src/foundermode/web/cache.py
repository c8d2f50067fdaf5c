"""A short cache of the heavy pages' analysis results, per request parameters.

The brief, the team report, the meetings report and the profiles read the whole
history; on a large store they take seconds (docs/benchmarks.md, "Web pages
(load)", names the analyses). A leader reloading a page, or several people
opening the same view, should not recompute them each time, so the results of
``views.overview``, ``views.team_page``, ``views.meetings_page``,
``views.people_page`` and ``views.person_page`` are kept here, keyed by the view
and its filters, under three rules:

- **fingerprint**: each entry remembers a fingerprint of the store (the newest
  commit, person, blocker report, bottleneck event, meeting occurrence,
  transcript, and the last ingest and calendar import); one cheap query per
  request compares it, so anything written (an ingest, a report, an
  acknowledgement, a tick, from any process) makes the entry stale at once;
- **explicit invalidation**: the web's own writes (report, acknowledge,
  resolve, vendor) call ``clear()``;
- **TTL** (``FOUNDERMODE_WEB_CACHE_TTL``, default 60 s; 0 turns the cache off):
  bounds what the fingerprint cannot see (an org-chart re-import that changes
  teams without adding people, ages that grow with the clock).

One computation per key at a time: concurrent requests for the same cold view
wait for the first instead of all computing it. The board and a bottleneck's
timeline are never cached: they must show an acknowledgement at once.
Each worker process has its own cache.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from sqlalchemy import text

TTL_ENV = "FOUNDERMODE_WEB_CACHE_TTL"
MAX_ENTRIES = 128

FINGERPRINT_SQL = text(
    "SELECT (SELECT max(id) FROM commits), (SELECT max(id) FROM people), (SELECT max(id) FROM blocker_reports),"
    " (SELECT max(id) FROM bottleneck_events), (SELECT max(id) FROM occurrences), (SELECT max(id) FROM transcripts),"
    " (SELECT max(last_ingested_at) FROM repositories), (SELECT max(imported_at) FROM calendars), (SELECT count(*) FROM people)"
)


def fingerprint(store) -> tuple:
    with store.read() as conn:
        return tuple(conn.execute(FINGERPRINT_SQL).one())


class ViewCache:
    def __init__(self, ttl: float | None = None):
        self.ttl = float(os.environ.get(TTL_ENV, "60")) if ttl is None else ttl
        self._entries: OrderedDict[tuple, tuple[float, tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self.hits = self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, store, key: tuple, compute: Callable[[], Any]) -> Any:
        if self.ttl <= 0:
            return compute()
        current = fingerprint(store)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                entry = self._entries.get(key)
                if entry and entry[1] == current and time.monotonic() - entry[0] < self.ttl:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry[2]
            self.misses += 1
            value = compute()
            with self._lock:
                self._entries[key] = (time.monotonic(), current, value)
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
            return value
