"""The review list, both sides: low git signal against one's own team, and the evidence to keep.

Git records commits. It does not record code review, design, mentoring,
on-call, hiring, or work in repositories that were not ingested. So this list
never concludes anything about a person: it names the measures and numbers,
puts beside every name what the data shows in their favour, and says what the
data cannot show. It is a prompt for a conversation.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from ..errors import InputError
from . import queries
from .queries import DAY, Scope
from ..people import counts_as_engineer, roster
from .reviews import reviews_in_scope
from .truck_factor import truck_factor_of

MIN_DAYS = 89  # "at least three months"
LOW = 0.5  # below half the team median
MIN_LOW_MEASURES = 2
MIN_LOW_MONTHS = 3
MIN_TEAM = 3
LONG_GAP_DAYS = 30
RAMP_DAYS = 30
MEASURES = ("commits", "active_days", "lines_added", "files_touched")
NO_TEAM = "(no team in the org chart)"
EVERYONE = "everyone (no org chart)"

CANNOT_SHOW = (
    "Not in git: code review, design, mentoring, on-call, incident work, hiring, "
    "and work in repositories that were not ingested. These figures are a prompt "
    "for a conversation, not a conclusion about the person."
)


@dataclass
class Measure:
    name: str
    value: float
    team_median: float

    @property
    def ratio(self) -> float | None:
        return self.value / self.team_median if self.team_median else None


@dataclass
class ReviewEntry:
    person_id: int
    name: str
    team: str
    low_measures: list[Measure]
    low_months: int
    months: int
    keep_evidence: list[str]
    data_shows: str
    cannot_show: str = CANNOT_SHOW


@dataclass
class TeamReview:
    team: str
    members: int
    entries: list[ReviewEntry] = field(default_factory=list)
    note: str | None = None


@dataclass
class Evidence:
    """What the data shows in a person's favour; computed for the whole scope once."""

    truck_factor: dict[int, list[str]] = field(default_factory=dict)  # person -> "in the truck factor of ..."
    sole_authored: dict[int, list[str]] = field(default_factory=dict)
    surviving: dict[int, int] = field(default_factory=dict)
    surviving_total: int = 0
    first_activity: dict[int, int] = field(default_factory=dict)
    recent_commits: dict[int, int] = field(default_factory=dict)  # last RAMP_DAYS of the window
    joined: dict[int, int] = field(default_factory=dict)  # person -> the org chart's start date
    window_commits: dict[int, int] = field(default_factory=dict)
    active_days: dict[int, list[int]] = field(default_factory=dict)
    reviews: dict[int, int] = field(default_factory=dict)  # code reviews given to others' pull requests in the window


def months_between(since: int, until: int) -> list[str]:
    start = dt.datetime.fromtimestamp(since, dt.timezone.utc)
    end = dt.datetime.fromtimestamp(until - 1, dt.timezone.utc)
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def day_text(day: int) -> str:
    return dt.datetime.fromtimestamp(day * DAY, dt.timezone.utc).date().isoformat()


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def median_with_zeros(values: list[int], size: int) -> float:
    """Median of ``values`` padded with zeros to ``size`` items (people with no commits that month)."""
    zeros = size - len(values)
    if zeros * 2 > size:  # most had no commits: the median is 0, no need to build the list
        return 0.0
    return statistics.median([0] * zeros + values)


def keep_evidence(person_id: int, scope: Scope, evidence: Evidence, team_surviving_median: float) -> list[str]:
    found: list[str] = []
    joined = evidence.joined.get(person_id)
    if joined is not None and scope.since <= joined < scope.until:
        found.append(f"joined on {day_text(joined // DAY)} (org chart): on the team for {(scope.until - joined) // DAY} days of this window")
    found.extend(evidence.truck_factor.get(person_id, []))
    found.extend(evidence.sole_authored.get(person_id, []))
    owned = evidence.surviving.get(person_id, 0)
    if owned and evidence.surviving_total and owned >= team_surviving_median:
        found.append(
            f"owns {owned:,} surviving lines ({owned / evidence.surviving_total:.1%} of the codebase; team median {number(team_surviving_median)} lines)"
        )
    reviews = evidence.reviews.get(person_id, 0)
    if reviews:
        found.append(f"gave {reviews} code review{'s' if reviews != 1 else ''} on others' pull requests: review work does not show in commits")
    first = evidence.first_activity.get(person_id)
    if first is None:
        found.append("no commit in any ingested repository: the data cannot tell a new joiner, a non-coding role or work elsewhere")
    elif first >= scope.since:
        found.append(f"first commit on {day_text(first // DAY)}: new in this window, only {(scope.until - first) // DAY} days of data")
    window_days = max(1, (scope.until - scope.since) // DAY)
    days = evidence.active_days.get(person_id, [])
    recent = evidence.recent_commits.get(person_id, 0)
    if recent >= 3:
        per_30 = evidence.window_commits.get(person_id, 0) * RAMP_DAYS / window_days
        if per_30 and recent >= 2 * per_30:
            found.append(f"ramping up: {recent} commits in the last {RAMP_DAYS} days against {number(per_30)} per {RAMP_DAYS} days over the window")
    # Before a new joiner's first commit there is nothing to be absent from.
    first_day = max(scope.since, first or scope.since) // DAY
    last_day = (scope.until - 1) // DAY
    edges = [first_day - 1, *days, last_day + 1]
    gap, gap_start = 0, None
    for before, after in zip(edges, edges[1:]):
        if after - before - 1 > gap:
            gap, gap_start = after - before - 1, before + 1
    if gap >= LONG_GAP_DAYS and days:
        found.append(
            f"no commits for {gap} days ({day_text(gap_start)} to {day_text(gap_start + gap - 1)}): leave, other duties or work elsewhere do not show in git"
        )
    return found


def review_team(
    team: str,
    members: list[dict],
    totals: dict[int, dict],
    monthly: dict[int, dict[str, int]],
    months: list[str],
    scope: Scope,
    evidence: Evidence,
) -> TeamReview:
    """People with no commits in the window (the strongest low signal git gives, listed whatever
    the team's size or median), then people below half their team's median on several
    measures over at least three months; the evidence to keep beside every one."""
    review = TeamReview(team=team, members=len(members))
    group = "everyone's" if team == EVERYONE else f"the {team} team's"
    window_text = f"Between {day_text(scope.since // DAY)} and {day_text((scope.until - 1) // DAY)}"
    silent = [p for p in members if not totals.get(p["id"], {}).get("commits", 0)]
    silent_ids = {p["id"] for p in silent}
    everyone_surviving = statistics.median(evidence.surviving.get(p["id"], 0) for p in members) if members else 0
    for person in silent:
        committed = sum(1 for p in members if totals.get(p["id"], {}).get("commits", 0))
        review.entries.append(
            ReviewEntry(
                person_id=person["id"],
                name=person["name"],
                team=team,
                low_measures=[Measure(m, 0, statistics.median(totals.get(p["id"], {}).get(m, 0) for p in members)) for m in MEASURES],
                low_months=len(months),
                months=len(months),
                keep_evidence=keep_evidence(person["id"], scope, evidence, everyone_surviving) or ["none visible in git"],
                data_shows=(
                    f"{window_text}, {person['name']} made no commit in the ingested repositories "
                    f"({committed} of the {len(members)} {'people compared' if team == EVERYONE else f'people on the {team} team'} made at least one)."
                ),
            )
        )
    if len(members) < MIN_TEAM:
        review.note = f"{len(members)} people: too few to compare anyone with their team's median"
        return review
    medians = {m: statistics.median(totals.get(p["id"], {}).get(m, 0) for p in members) for m in MEASURES}
    by_month: dict[str, list[int]] = defaultdict(list)
    for person in members:
        for month, count in monthly.get(person["id"], {}).items():
            by_month[month].append(count)
    monthly_medians = {month: median_with_zeros(by_month.get(month, []), len(members)) for month in months}
    surviving_median = statistics.median(evidence.surviving.get(p["id"], 0) for p in members)
    for person in members:
        if person["id"] in silent_ids:
            continue
        mine = totals.get(person["id"], {})
        low = [Measure(m, mine.get(m, 0), medians[m]) for m in MEASURES if medians[m] and mine.get(m, 0) < LOW * medians[m]]
        low_months = sum(1 for month in months if monthly_medians[month] and monthly.get(person["id"], {}).get(month, 0) < LOW * monthly_medians[month])
        if len(low) < MIN_LOW_MEASURES or low_months < MIN_LOW_MONTHS:
            continue
        figures = "; ".join(f"{m.name.replace('_', ' ')} {number(m.value)} (team median {number(m.team_median)})" for m in low)
        shows = (
            f"{window_text}, {person['name']} is below half of "
            f"{group} median on {len(low)} of {len(MEASURES)} measures: {figures}; and below half of {group} median monthly commits "
            f"in {low_months} of {len(months)} months."
        )
        review.entries.append(
            ReviewEntry(
                person_id=person["id"],
                name=person["name"],
                team=team,
                low_measures=low,
                low_months=low_months,
                months=len(months),
                keep_evidence=keep_evidence(person["id"], scope, evidence, surviving_median) or ["none visible in git"],
                data_shows=shows,
            )
        )
    review.entries.sort(key=lambda e: (-len(e.low_measures), -e.low_months, e.name))
    return review


def truck_factor_evidence(auth, names: dict[int, str], here) -> dict[int, str]:
    """Keep-evidence from one repository's truck factor, by the default truck factor's own rule
    (among the people ``here``: a departed author is no risk to keep): member -> the line to show."""
    tf = truck_factor_of(auth, names, present=here.current(), statuses={p: here.status(p) for p in names})
    return {
        m.person_id: f"in the truck factor of {auth.repository} (TF {tf.truck_factor}): {len(m.orphaned_files)} file{'s' if len(m.orphaned_files) != 1 else ''} would lose their last author"
        for m in tf.members
    }


def read_review(conn, scope: Scope, authorships=None, config=None) -> list[TeamReview]:
    """Per team: the engineers here at the window's end (people.py's tenure: the org chart's,
    or everyone recently active when there is no chart), zero-commit members included."""
    if scope.since is None or scope.until is None or scope.until - scope.since < MIN_DAYS * DAY:
        raise InputError(f"the review list needs a window of at least three months; this one is {((scope.until or 0) - (scope.since or 0)) / DAY:g} days")
    people = queries.people_rows(conn)
    totals = queries.activity_by_person(conn, scope)
    files = queries.files_touched_by_person(conn, scope)
    for person_id, count in files.items():
        totals.setdefault(person_id, {})["files_touched"] = count
    for row in totals.values():
        row["lines_added"] = int(row.get("added", 0))
    monthly: dict[int, dict[str, int]] = defaultdict(dict)
    for row in queries.monthly_by_person(conn, scope):
        monthly[row["person_id"]][row["month"]] = monthly[row["person_id"]].get(row["month"], 0) + row["commits"]
    teams: dict[str, list[dict]] = defaultdict(list)
    here = roster(conn, config, scope.until)
    for person_id in sorted(here.current()):
        person = people[person_id]
        if not counts_as_engineer(person["role"] if person["in_org_chart"] else None):
            continue
        teams[(person["team"] or NO_TEAM) if here.from_org_chart else EVERYONE].append(person)
    if scope.team is not None:
        teams = {t: m for t, m in teams.items() if t == scope.team}

    evidence = Evidence()
    evidence.surviving, evidence.surviving_total = queries.surviving_lines(conn, scope.repo_ids)
    evidence.first_activity = {p: row["first"] for p, row in queries.first_last_by_person(conn, scope).items()}
    recent_scope = Scope(scope.until - RAMP_DAYS * DAY, scope.until, scope.repo_ids, scope.team)
    evidence.recent_commits = {p: row["commits"] for p, row in queries.activity_by_person(conn, recent_scope).items()}
    evidence.window_commits = {p: row.get("commits", 0) for p, row in totals.items()}

    # Code review given, by the review analyses' one count (team/reviews.py): keep-evidence git cannot show.
    evidence.reviews = reviews_in_scope(conn, scope.since, scope.until, scope.repo_ids)
    evidence.joined = {p: t.start_date for p, t in here.tenures.items() if t.start_date is not None}
    names = {p: row["name"] for p, row in people.items()}
    if authorships is None:
        authorships = []
    for auth in authorships:
        for person_id, line in truck_factor_evidence(auth, names, here).items():
            evidence.truck_factor.setdefault(person_id, []).append(line)
        for person_id, count in sorted(auth.sole_authored().items()):
            evidence.sole_authored.setdefault(person_id, []).append(f"sole author (DOA) of {count} file{'s' if count != 1 else ''} in {auth.repository}")
    member_ids = [p["id"] for members in teams.values() for p in members]
    evidence.active_days = queries.active_days_of(conn, Scope(scope.since, scope.until, scope.repo_ids, None), member_ids)
    months = months_between(scope.since, scope.until)
    return [review_team(team, members, totals, monthly, months, scope, evidence) for team, members in sorted(teams.items())]
