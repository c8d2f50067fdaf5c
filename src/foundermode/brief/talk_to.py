"""Who to talk to this week, and why.

Engineers and the code are the source of truth, so the list is built from
evidence: each person appears with reasons, and each reason carries the commit
shas or bottleneck report ids behind it. The list is never only managers:
when nobody with commits made it, the busiest engineers are added.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .activity import AreaMap, Commit, Person
from .areas import AreasReport, commit_areas, is_dependency_file
from .window import Window, day

BUSIEST = 3
HOT_AREAS = 3
LARGE_CHANGE_LINES = 800
LARGE_CHANGE_FILES = 25
SHARP_UP_MIN = 4
SHARP_UP_RATIO = 3.0
SHARP_DOWN_BASELINE = 2.0
SHARP_DOWN_RATIO = 0.25
NEW_JOINER_WINDOWS = 3  # first commit within this many windows counts as new
MAX_SHAS = 5
WEIGHTS = {"bottleneck": 5, "busiest": 4, "risky": 3, "truck_factor": 3, "activity_change": 2, "new_joiner": 2, "review_queue": 4, "review_wait": 3}
MAX_PULLS = 5


@dataclass
class Reason:
    kind: str  # busiest, risky, bottleneck, truck_factor, activity_change, new_joiner
    text: str
    commits: list[str] = field(default_factory=list)  # full shas, in the commits table
    reports: list[int] = field(default_factory=list)  # ids in the bottleneck reports table
    pulls: list[str] = field(default_factory=list)  # "owner/repo#12", in the pull_requests table


@dataclass
class TalkTo:
    person_id: int
    name: str
    email: str | None
    role: str | None
    team: str | None
    title: str | None
    commits_in_window: int
    score: int
    reasons: list[Reason]


@dataclass
class ReportRef:
    """An open bottleneck's report, as the bottlenecks tables hold it."""

    report_id: int
    person_id: int
    bottleneck_id: int | None
    bottleneck: str
    text: str
    at: int
    level: str | None = None  # who holds the escalation now, when it has one


def _shas(commits: list[Commit]) -> list[str]:
    newest = sorted(commits, key=lambda c: (-c.at, -c.id))
    return [c.sha for c in newest[:MAX_SHAS]]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def who_to_talk_to(
    window: Window,
    current: list[Commit],
    baseline: list[Commit],
    baseline_windows: int,
    areas: AreaMap,
    report: AreasReport,
    people: dict[int, Person],
    first_commit: dict[int, int],
    open_reports: list[ReportRef] | None = None,
    truck_factor: dict[tuple[str, str], list[int]] | None = None,
    limit: int = 10,
    present: set[int] | None = None,
    review: dict[int, list[Reason]] | None = None,
) -> list[TalkTo]:
    """Who the leader should talk to and why. ``present``: the people here (people.py's
    tenure rule); someone who left is never suggested, whatever their history says.
    ``review``: reasons from code review (``review_reasons``)."""
    reasons: dict[int, list[Reason]] = defaultdict(list)
    for person_id, found in (review or {}).items():
        reasons[person_id].extend(found)
    period = window.period()
    mine: dict[int, list[Commit]] = defaultdict(list)
    for commit in current:
        mine[commit.author_id].append(commit)

    # The busiest people know best what is happening; naming their areas says where to start.
    ranked = sorted(mine.items(), key=lambda kv: (-len(kv[1]), -sum(c.additions + c.deletions for c in kv[1]), kv[0]))
    for person_id, theirs in ranked[:BUSIEST]:
        where = Counter(a for c in theirs for a in commit_areas(c, areas)[:1])
        top = ", ".join(area for area, _ in where.most_common(2)) or "the repository"
        lines = sum(c.additions + c.deletions for c in theirs)
        reasons[person_id].append(Reason("busiest", f"{_plural(len(theirs), 'commit')} ({lines:,} lines) {period}, mostly in {top}", _shas(theirs)))

    # Reverts, dependency changes and very large changes are where surprises come from.
    for person_id, theirs in mine.items():
        reverts = [c for c in theirs if c.is_revert]
        if reverts:
            reasons[person_id].append(Reason("risky", f"reverted {_quote(_reverted(reverts[0].subject))}" + (f" and {len(reverts) - 1} more" if len(reverts) > 1 else ""), _shas(reverts)))
        deps = [c for c in theirs if any(is_dependency_file(f.path) for f in c.files)]
        if deps:
            files = sorted({f.path.rsplit('/', 1)[-1] for c in deps for f in c.files if is_dependency_file(f.path)})
            reasons[person_id].append(Reason("risky", f"changed dependencies ({', '.join(files[:3])}) in {_plural(len(deps), 'commit')}", _shas(deps)))
        large = [c for c in theirs if not c.is_revert and (c.additions + c.deletions >= LARGE_CHANGE_LINES or len(c.counted_files) >= LARGE_CHANGE_FILES)]
        if large:
            biggest = max(large, key=lambda c: c.additions + c.deletions)
            reasons[person_id].append(
                Reason("risky", f"{_plural(len(large), 'large change')}, the biggest {_quote(biggest.subject)} (+{biggest.additions:,}/−{biggest.deletions:,})", _shas(large))
            )

    # Someone still blocked is the most urgent conversation of all.
    by_reporter: dict[int, list[ReportRef]] = defaultdict(list)
    for ref in open_reports or []:
        by_reporter[ref.person_id].append(ref)
    for person_id, refs in by_reporter.items():
        titles = sorted({r.bottleneck for r in refs})
        text = f"reported {_plural(len(refs), 'blocker')} still open: " + "; ".join(_quote(t) for t in titles[:2])
        reasons[person_id].append(Reason("bottleneck", text, reports=sorted(r.report_id for r in refs)))

    # People in the truck factor of a hot area: the ones who know the code that moves most.
    hot_areas = [(a.repo, a.area) for a in report.areas[:HOT_AREAS]]
    for key in hot_areas:
        members = (truck_factor or {}).get(key) or []
        touching = [c for c in current if c.repo == key[0] and key[1] in commit_areas(c, areas)]
        for person_id in members:
            theirs = [c for c in touching if c.author_id == person_id] or touching
            text = f"in the truck factor of {key[1]} ({key[0]}), among the code that moved most {period}: {_plural(len(touching), 'commit')} there"
            reasons[person_id].append(Reason("truck_factor", text, _shas(theirs)))

    # Compared with the person's own baseline, never with colleagues: a change is a question, not a grade.
    before: dict[int, list[Commit]] = defaultdict(list)
    for commit in baseline:
        before[commit.author_id].append(commit)
    for person_id in set(mine) | set(before):
        now_count = len(mine.get(person_id, []))
        rate = len(before.get(person_id, [])) / baseline_windows
        if rate > 0 and now_count >= SHARP_UP_MIN and now_count >= SHARP_UP_RATIO * rate:
            reasons[person_id].append(
                Reason("activity_change", f"activity up sharply: {now_count} commits {period} against {rate:.1f} a window over the {baseline_windows} before", _shas(mine[person_id]))
            )
        elif rate >= SHARP_DOWN_BASELINE and now_count <= SHARP_DOWN_RATIO * rate:
            last = max(before[person_id], key=lambda c: (c.at, c.id))
            evidence = _shas(mine.get(person_id, [])) or _shas(before[person_id])
            reasons[person_id].append(
                Reason("activity_change", f"activity down sharply: {now_count} commits {period} against {rate:.1f} a window over the {baseline_windows} before (the last on {day(last.at)})", evidence)
            )

    # New joiners' first weeks decide a lot, and their commits show where they have started.
    joined_after = window.start - (NEW_JOINER_WINDOWS - 1) * window.length
    for person_id, first in first_commit.items():
        if joined_after <= first < window.end and person_id in people and not people[person_id].is_bot:
            theirs = sorted(mine.get(person_id, []) + before.get(person_id, []), key=lambda c: (c.at, c.id))
            if not theirs:
                continue
            reasons[person_id].append(Reason("new_joiner", f"new: first commit on {day(first)}, {_plural(len(theirs), 'commit')} since", [c.sha for c in theirs[:MAX_SHAS]]))

    entries = []
    for person_id, found in reasons.items():
        person = people.get(person_id)
        if person is None or person.is_bot or (present is not None and person_id not in present):
            continue
        score = sum(WEIGHTS.get(r.kind, 1) for r in found)
        entries.append(TalkTo(person_id, person.name, person.email, person.role, person.team, person.title, len(mine.get(person_id, [])), score, found))
    entries.sort(key=lambda e: (-e.score, -e.commits_in_window, e.name))
    chosen = entries[:limit]
    if chosen and not any(_technical(e) for e in chosen):
        # Never only managers: the engineers doing the work always have a seat.
        engineers = [e for e in entries if _technical(e)][: max(1, limit // 3)]
        chosen = chosen[: limit - len(engineers)] + engineers
    return chosen


def review_reasons(waiting, queues, wait_days: float, queue_authors: int) -> dict[int, list[Reason]]:
    """Code review's reasons (team/reviews.py's ``waiting`` and ``review_queues`` in): the reviewer
    everyone waits for, and whoever a ready pull request has waited ``wait_days`` or more for."""
    out: dict[int, list[Reason]] = defaultdict(list)
    for queue in queues:
        if len(queue.authors) >= queue_authors:
            pulls = [f"{w.repo}#{w.number}" for w in queue.pulls]
            out[queue.reviewer_id].append(Reason(
                "review_queue", f"the reviewer everyone waits for: {_plural(len(queue.pulls), 'pull request')} of {_plural(len(queue.authors), 'person')} "
                f"wait for their review, the oldest {queue.oldest_days:g} days", pulls=pulls[:MAX_PULLS]))
    for item in waiting:
        if item.is_draft or item.waited_days < wait_days or not item.waiting_on:
            continue
        for person_id in item.waiting_on:
            if person_id == item.author_id:
                text = f"{_quote(item.title)} ({item.repo}#{item.number}) has waited {item.waited_days:g} days on them ({item.waiting_for})"
            else:
                text = f"{item.author}'s {_quote(item.title)} ({item.repo}#{item.number}) has waited {item.waited_days:g} days for their review"
            if len([r for r in out[person_id] if r.kind == "review_wait"]) < MAX_PULLS:
                out[person_id].append(Reason("review_wait", text, pulls=[f"{item.repo}#{item.number}"]))
    return dict(out)


def _technical(entry: TalkTo) -> bool:
    return entry.commits_in_window > 0 or entry.role == "engineer"


def _reverted(subject: str) -> str:
    """'Revert "Add cache"' -> 'Add cache': what was reverted, as git words it."""
    text = subject.strip()
    if text.lower().startswith("revert "):
        text = text[7:].strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
    return text


def _quote(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return "“" + (text if len(text) <= width else text[: width - 1] + "…") + "”"
