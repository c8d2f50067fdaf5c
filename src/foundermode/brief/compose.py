"""The leader's brief: every principle's view of one window, in one document.

``build_brief`` composes; it computes only the state of each area, who to talk
to and the leader's time split, and takes the rest from the team, meetings
and bottlenecks analyses. A section whose data is not in the store says in one
line what to ingest; a section whose analysis failed says so, with the error,
rather than disappearing.
"""
from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import registry
from ..people import roster
from ..scope import Scope
from ..store import now as store_now
from ..store import table_exists
from ..store.queries import list_repositories
from ..team import reviews as review_api
from ..team.summary import refresh_quietly
from .activity import AreaMap, first_commit_times, load_commits, load_people
from .areas import BASELINE_WINDOWS, AreasReport, state_of_areas
from .audience import narrow_team_view
from .inputs import meetings_view, open_reports
from .talk_to import review_reasons, who_to_talk_to
from .team_view import Authorships, hot_area_truck_factors, review_entries, team_view
from .time_split import TimeSplitUnavailable, leader_time_split
from .window import Window

SECTIONS = [
    ("areas", "State of each area"),
    ("talk_to", "Who to talk to"),  # "this week" or "in these N days" is added from the window
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
    audience: str | None = None  # a team brief's subject ("Grace Hopper's team"); None: the leader's whole brief

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass
class _Inputs:
    """What every section reads, loaded once."""

    store: Any
    config: Any
    window: Window
    repos: list[str]
    people: dict
    current: list
    baseline: list
    areas: AreaMap
    firsts: dict
    report: Any = None  # the state of each area, once computed
    hot_truck: dict = field(default_factory=dict)
    present: set | None = None  # the people here at the window's end (people.py's tenure rule)
    members: set | None = None  # a team brief's people (the window's Scope.people); None: everyone


def build_brief(store, config, window: Window, audience: str | None = None) -> Brief:
    """The brief of ``window``; a window with ``people`` (a team's, see audience.py) is that team's
    brief: only their commits and blocker reports, and no one else named."""
    # The whole-history summaries the areas and truck factors read (a no-op when the history is
    # unchanged); should it fail, they are computed from the history below instead.
    refresh_quietly(store, config)
    members = set(window.people) if window.people is not None else None
    with store.read() as conn:
        current = _of_members(load_commits(conn, window), members)
        baseline = _of_members(load_commits(conn, window.previous(BASELINE_WINDOWS)), members)
        inputs = _Inputs(
            store, config, window,
            repos=[r["name"] for r in list_repositories(conn)],
            people=load_people(conn),
            current=current,
            baseline=baseline,
            areas=AreaMap.load(conn) if (current or baseline) else AreaMap({}),
            firsts=first_commit_times(conn),
            present=roster(conn, config, as_of=window.end).current(),
            members=members,
        )
    generated = store_now()  # the store's clock: the one a test moves, the one the scheduler reads
    # Ages and "open now" are read at the window's end when the window is in the past.
    brief = Brief(window, window.heading(), generated, inputs.repos, as_of=min(generated, window.end), audience=audience)
    authorships = Authorships(store, config)  # read from git once, shared by talk-to and team
    titles = dict(SECTIONS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The team section's two review lists are mostly time in the database (which releases
        # the GIL): they run on their own connections while the other sections are composed.
        reviews = [pool.submit(review_entries, store, window, authorships, before) for before in (False, True)] if inputs.repos else None
        brief.sections = [
            _areas_section(Section("areas", titles["areas"]), inputs),
            _talk_section(Section("talk_to", f"{titles['talk_to']} {window.period()}"), inputs, authorships),
            _time_split_section(Section("time_split", titles["time_split"]), inputs),
            _bottlenecks_section(Section("bottlenecks", titles["bottlenecks"]), inputs, brief.as_of),
            _meetings_section(Section("meetings", titles["meetings"]), inputs, brief.as_of),
            _team_section(Section("team", titles["team"]), inputs, authorships, reviews),
        ]
    if members is not None:
        narrow_team_view(brief, members)
    return brief


def _of_members(found: list, members: set | None) -> list:
    return found if members is None else [c for c in found if c.author_id in members]


def _areas_section(section: Section, inputs: _Inputs) -> Section:
    if not inputs.repos:
        section.note = "no repositories ingested: foundermode ingest git PATH"
    elif not inputs.current and not inputs.baseline:
        section.note = f"no commits between {inputs.window.label()} or in the {BASELINE_WINDOWS} windows before: try a window ending at the last commit"
    else:
        inputs.report = section.data = state_of_areas(inputs.window, inputs.current, inputs.baseline, inputs.areas, inputs.people)
        if not inputs.current:
            section.note = "no commits in the window; the areas below went quiet"
    return section


def _talk_section(section: Section, inputs: _Inputs, authorships) -> Section:
    hot = [(a.repo, a.area) for a in inputs.report.areas[:3]] if inputs.report else []
    caveats: list[str] = []
    # A failing input narrows the reasons; it does not remove the section.
    open_reports = _attempt(caveats, "open blocker reports", lambda: _open_reports(inputs.store)) or []
    if inputs.members is not None:
        open_reports = [r for r in open_reports if r.person_id in inputs.members]
    if hot:
        inputs.hot_truck = _attempt(caveats, "truck factors of hot areas", lambda: hot_area_truck_factors(authorships, inputs.areas, hot, inputs.present)) or {}
    if inputs.report is None and not open_reports:
        section.note = "nothing to go on: ingest git history (foundermode ingest git PATH) or report blockers"
        return section
    report = inputs.report or AreasReport(0, 0, 0, 0, 0, [], [], [], [], [])
    truck = {key: tf.person_ids for key, tf in inputs.hot_truck.items()}
    review = _attempt(caveats, "pull requests waiting for review", lambda: _review_reasons(inputs.store, inputs.window)) or {}
    present = inputs.present if inputs.members is None else (inputs.members if inputs.present is None else inputs.present & inputs.members)
    entries = who_to_talk_to(inputs.window, inputs.current, inputs.baseline, BASELINE_WINDOWS, inputs.areas, report, inputs.people, inputs.firsts, open_reports, truck,
                             present=present, review=review)
    section.data = entries or None
    if not entries:
        caveats.insert(0, "nobody stands out in this window: no commits or open blocker reports")
    section.note = "; ".join(caveats) or None
    return section


def _time_split_section(section: Section, inputs: _Inputs) -> Section:
    if inputs.members is not None:
        section.note = "the leader's own time split is in the leader's brief"
        return section
    try:
        with inputs.store.read() as conn:
            section.data = leader_time_split(conn, inputs.config, inputs.window)
    except TimeSplitUnavailable as why:
        section.note = str(why)
    except Exception as error:  # noqa: BLE001 - one failing section must not take the brief down
        section.error = _describe(error)
    return section


def _bottlenecks_section(section: Section, inputs: _Inputs, as_of: int) -> Section:
    # The registry's bottlenecks (the board as it stood at the window's end, or now if earlier).
    section.data = _guard(section, lambda: registry.get("bottlenecks").compute(inputs.store, inputs.config, inputs.window, members=inputs.members))
    if section.data is None and section.error is None:
        section.note = "no blocker reports yet: report one on the Blockers page, through the API or with foundermode blocker report"
    return section


def _meetings_section(section: Section, inputs: _Inputs, as_of: int) -> Section:
    with inputs.store.read() as conn:
        held = table_exists(conn, "occurrences")
    # The registry's meetings analysis for the window (a team's brief: the meetings its people attended).
    section.data = _guard(section, lambda: meetings_view(
        registry.get("meetings").compute(inputs.store, inputs.config, inputs.window, members=inputs.members), inputs.config) if held else None)
    if section.data is not None:
        _add_walk_outs(inputs.store, inputs.config, as_of, section, inputs.members)
    elif section.error is None:
        section.note = f"no meetings between {inputs.window.label()}: foundermode ingest calendar FOLDER_OF_ICS"
    return section


def _team_section(section: Section, inputs: _Inputs, authorships, reviews=None) -> Section:
    if not inputs.repos:
        section.note = "no repositories ingested: foundermode ingest git PATH"
        return section
    section.data = _guard(section, lambda: team_view(inputs.store, inputs.config, inputs.window, authorships, inputs.hot_truck, reviews))
    if authorships.error:
        section.note = f"truck factor unavailable: {authorships.error}"
    return section


def _review_reasons(store, window: Window) -> dict:
    """Who a ready pull request has waited five days for, and the reviewer everyone waits for, at the window's end."""
    with store.read() as conn:
        data = review_api.read_pulls(conn, open_only=True)
    if not data.pulls:
        return {}
    return review_reasons(review_api.waiting(data, window.end), review_api.review_queues(data, window.end), review_api.WAITING_DAYS, review_api.QUEUE_AUTHORS)


def _open_reports(store):
    with store.read() as conn:
        return open_reports(conn)


def _add_walk_outs(store, config, as_of: int, section: Section, members: set | None = None) -> None:
    try:
        # The registry's walk-outs, judged at the brief's moment (its window's end, or now if earlier).
        found = registry.get("walkouts").compute(store, config, Scope(until=as_of))
    except Exception as error:  # noqa: BLE001
        section.data.walk_out_note = f"walk-out suggestions failed: {_describe(error)}"
        return
    section.data.walk_outs = found = [w for w in found if members is None or w.person_id in members]
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
