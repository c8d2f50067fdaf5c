"""The leader's brief: every principle's view of one window, in one document.

``build_brief`` composes; it computes only the state of each area, who to talk
to and the leader's time split, and takes the rest from the team, meetings
and bottlenecks analyses. A section whose data is not in the store says in one
line what to ingest; a section whose analysis failed says so, with the error,
rather than disappearing.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from .activity import AreaMap, first_commit_times, load_commits, load_people
from .areas import BASELINE_WINDOWS, state_of_areas
from .talk_to import who_to_talk_to
from .window import Window

SECTIONS = [
    ("areas", "State of each area"),
    ("talk_to", "Who to talk to this week"),
    ("time_split", "The leader's time split"),
    ("bottlenecks", "Bottlenecks"),
    ("meetings", "Meetings"),
    ("team", "Team"),
]


@dataclass
class Section:
    key: str
    title: str
    data: Any = None
    note: str | None = None  # why there is no data, or a caveat beside it
    error: str | None = None

    @property
    def has_content(self) -> bool:
        return self.data is not None and self.error is None


@dataclass
class Brief:
    window: Window
    window_label: str
    generated_at: int
    repositories: list[str]
    as_of: int = 0
    sections: list[Section] = field(default_factory=list)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def build_brief(store, config, window: Window) -> Brief:
    from ..store.queries import list_repositories

    with store.read() as conn:
        repos = [r["name"] for r in list_repositories(conn)]
        people = load_people(conn)
        current = load_commits(conn, window)
        baseline = load_commits(conn, window.previous(BASELINE_WINDOWS))
        areas = AreaMap.load(conn) if (current or baseline) else AreaMap({})
        firsts = first_commit_times(conn)
    generated = int(time.time())
    # Ages and "open now" are read at the window's end when the window is in the past.
    brief = Brief(window, window.label(), generated, repos, as_of=min(generated, window.end))
    add = brief.sections.append
    titles = dict(SECTIONS)

    area_section = Section("areas", titles["areas"])
    report = None
    if not repos:
        area_section.note = "no repositories ingested: foundermode ingest git PATH"
    elif not current and not baseline:
        area_section.note = f"no commits between {window.label()} or the {BASELINE_WINDOWS} weeks before: try --until last-commit"
    else:
        report = state_of_areas(window, current, baseline, areas, people)
        area_section.data = report
        if not current:
            area_section.note = "no commits in the window; the areas below went quiet"
    add(area_section)

    from .team_view import Authorships, hot_area_truck_factors, team_view

    authorships = Authorships(store, config)
    hot = [(a.repo, a.area) for a in report.areas[:3]] if report else []

    talk = Section("talk_to", titles["talk_to"])
    caveats: list[str] = []
    # A failing input narrows the reasons; it does not remove the section.
    open_reports = _attempt(caveats, "open blocker reports", lambda: _open_reports(store)) or []
    hot_truck = (_attempt(caveats, "truck factors of hot areas", lambda: hot_area_truck_factors(authorships, areas, hot)) if hot else None) or {}
    truck = {key: tf.person_ids for key, tf in hot_truck.items()}
    if report is not None or open_reports:
        from .areas import AreasReport

        empty = AreasReport(0, 0, 0, 0, 0, [], [], [], [], [])
        entries = who_to_talk_to(window, current, baseline, BASELINE_WINDOWS, areas, report or empty, people, firsts, open_reports or [], truck or {})
        talk.data = entries or None
        if not entries:
            caveats.insert(0, "nobody stands out in this window: no commits or open blocker reports")
        talk.note = "; ".join(caveats) or None
    else:
        talk.note = "nothing to go on: ingest git history (foundermode ingest git PATH) or report blockers"
    add(talk)

    split = Section("time_split", titles["time_split"])
    from .time_split import TimeSplitUnavailable, leader_time_split

    try:
        with store.read() as conn:
            split.data = leader_time_split(conn, config, window)
    except TimeSplitUnavailable as why:
        split.note = str(why)
    except Exception as error:  # noqa: BLE001 - one failing section must not take the brief down
        split.error = _describe(error)
    add(split)

    blockers = Section("bottlenecks", titles["bottlenecks"])
    from .inputs import bottlenecks_view, meetings_view

    with store.read() as conn:
        blockers.data = _guard(blockers, lambda: bottlenecks_view(conn, window, brief.as_of))
    if blockers.data is None and blockers.error is None:
        blockers.note = "no blocker reports: foundermode blocker report \"TEXT\" --by EMAIL"
    add(blockers)

    meets = Section("meetings", titles["meetings"])
    with store.read() as conn:
        meets.data = _guard(meets, lambda: meetings_view(conn, window, config))
    if meets.data is not None:
        _add_walk_outs(store, config, brief.as_of, meets)
    elif meets.error is None:
        meets.note = f"no meetings between {window.label()}: foundermode ingest calendar FOLDER_OF_ICS"
    add(meets)

    team_section = Section("team", titles["team"])
    if not repos:
        team_section.note = "no repositories ingested: foundermode ingest git PATH"
    else:
        team_section.data = _guard(team_section, lambda: team_view(store, config, window, authorships, hot_truck))
        if authorships.error:
            team_section.note = f"truck factor unavailable: {authorships.error}"
    add(team_section)
    return brief


def _open_reports(store):
    from .inputs import open_reports

    with store.read() as conn:
        return open_reports(conn)


def _add_walk_outs(store, config, as_of: int, section: Section) -> None:
    from .inputs import walk_outs

    try:
        with store.read() as conn:
            found = walk_outs(conn, config, as_of)
    except Exception as error:  # noqa: BLE001
        section.data.walk_out_note = f"walk-out suggestions failed: {_describe(error)}"
        return
    section.data.walk_outs = found
    if not found:
        section.data.walk_out_note = "no walk-out suggestions: no transcribed recurring meeting with a silent, unaddressed attendee (foundermode ingest transcript)"


def _attempt(caveats: list[str], what: str, fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001
        caveats.append(f"{what} unavailable: {_describe(error)}")
        return None


def _guard(section: Section, fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - report the failure in the section, keep the brief
        section.error = _describe(error)
        return None


def _describe(error: Exception) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(error).__name__}: {error}{where}"
