"""The brief as a document: sections made of paragraphs, lists, tables and charts.

Terminal, Markdown and HTML all render this one structure, so the three say
the same thing; only JSON bypasses it and carries the analyses' data as is.
Nothing here computes a figure: it words what the analyses returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .compose import Brief, Section
from .window import day, stamp

SHORT_SHA = 10


@dataclass
class Para:
    text: str
    tone: str = "plain"  # plain, note, warn, good, error


@dataclass
class Bullets:
    items: list[str]
    title: str | None = None


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str | None = None
    numeric: set[int] = field(default_factory=set)  # right-aligned column indexes


@dataclass
class Bars:
    """A horizontal bar chart; ``target`` draws a vertical line at that value."""

    title: str
    labels: list[str]
    values: list[float]
    maximum: float
    unit: str = ""
    target: float | None = None
    secondary: list[float] | None = None  # a thinner bar behind each: the baseline
    secondary_label: str | None = None


@dataclass
class Person:
    """One "talk to" entry: a name and reasons, each with its evidence."""

    name: str
    detail: str
    reasons: list[tuple[str, str, str]]  # (kind, text, evidence)


@dataclass
class DocSection:
    key: str
    title: str
    blocks: list = field(default_factory=list)


def short(sha: str) -> str:
    return sha[:SHORT_SHA]


def shas(items: list[str], limit: int = 5) -> str:
    return ", ".join(short(s) for s in items[:limit]) + (f" (+{len(items) - limit})" if len(items) > limit else "")


def signed(adds: int, dels: int) -> str:
    return f"+{adds:,}/−{dels:,}"


def hours(value: float) -> str:
    return f"{value:,.1f} h"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def document(brief: Brief, compact: bool = False) -> list[DocSection]:
    """``compact`` (the terminal) keeps the detail to the busiest areas and fewer commits each."""
    builders = {"areas": _areas, "talk_to": _talk_to, "time_split": _time_split, "bottlenecks": _bottlenecks, "meetings": _meetings, "team": _team}
    out = []
    for section in brief.sections:
        doc = DocSection(section.key, section.title)
        if section.error:
            doc.blocks.append(Para(f"This section could not be computed: {section.error}", "error"))
        if section.data is not None and section.error is None:
            builders[section.key](section, doc, brief, compact)
        if section.note:
            doc.blocks.append(Para(section.note, "note"))
        out.append(doc)
    return out


def _areas(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    r = section.data
    repos = sorted({a.repo for a in r.areas} | {q.repo for q in r.quiet})
    doc.blocks.append(Para(
        f"{r.commits:,} commits by {r.authors} {'person' if r.authors == 1 else 'people'} touched {r.files_touched:,} files ({signed(r.additions, r.deletions)} lines) "
        f"in {len(r.areas)} area{'s' if len(r.areas) != 1 else ''} of {', '.join(repos)}; {len(r.quiet)} area{'s' if len(r.quiet) != 1 else ''} went quiet."
    ))
    multi = len(repos) > 1
    label = (lambda a: f"{a.repo}:{a.area}") if multi else (lambda a: a.area)
    if r.areas:
        top = r.areas[:8]
        doc.blocks.append(Bars(
            "Commits per area this window, against the average week before",
            [label(a) for a in top], [a.commits for a in top], max([a.commits for a in top] + [a.baseline_per_window for a in top] + [1]),
            unit="commits", secondary=[a.baseline_per_window for a in top], secondary_label=f"average of the {r.baseline_windows} windows before",
        ))
        doc.blocks.append(Table(
            ["Area", "Commits", "Files", "Lines", "Against before", "Who"],
            [[label(a), str(a.commits), str(a.files_touched), signed(a.additions, a.deletions), _trend(a),
              ", ".join(a.authors[:2]) + (f" +{len(a.authors) - 2}" if len(a.authors) > 2 else "")] for a in r.areas[:12]],
            numeric={1, 2},
        ))
        for a in r.areas[: 3 if compact else 6]:
            items = []
            if a.added_files:
                items.append(f"added {len(a.added_files)} file{'s' if len(a.added_files) != 1 else ''}: " + ", ".join(a.added_files[:4]) + (" …" if len(a.added_files) > 4 else ""))
            if a.removed_files:
                items.append(f"removed {len(a.removed_files)} file{'s' if len(a.removed_files) != 1 else ''}: " + ", ".join(a.removed_files[:4]) + (" …" if len(a.removed_files) > 4 else ""))
            for c in a.reverts[:3]:
                items.append(f"reverted: “{c.subject}” ({short(c.sha)}, {c.author})")
            for d in a.dependency_changes[:3]:
                items.append(f"dependencies: {d.path} {_status(d.status)} in “{d.commit.subject}” ({short(d.commit.sha)}, {d.commit.author})")
            if not compact:
                for h in a.hot_files[:3]:
                    items.append(f"hot file: {h.path}, {h.commits} commits by {', '.join(h.authors)}")
            for c in a.explaining[: 2 if compact else None]:
                items.append(f"“{c.subject}” ({short(c.sha)}, {c.author}, {day(c.at)}, {signed(c.additions, c.deletions)})")
            doc.blocks.append(Bullets(items, title=f"{label(a)}: {a.commits} commit{'s' if a.commits != 1 else ''}, {a.trend}"))
    if r.hot_files:
        doc.blocks.append(Table(["Hot file", "Area", "Commits", "Authors"], [[h.path, h.area, str(h.commits), ", ".join(h.authors)] for h in r.hot_files], "Hot files", numeric={2}))
    if r.dependency_changes:
        doc.blocks.append(Bullets([f"{d.repo}:{d.path} {_status(d.status)}: “{d.commit.subject}” ({short(d.commit.sha)}, {d.commit.author}, {day(d.commit.at)})" for d in r.dependency_changes[:10]], "Dependency files changed"))
    else:
        doc.blocks.append(Para("No dependency file (package.json, pyproject.toml, requirements*.txt, go.mod, Cargo.toml, lock files …) changed in the window.", "note"))
    if r.reverts:
        doc.blocks.append(Bullets([f"“{c.subject}” ({short(c.sha)}, {c.author}, {day(c.at)})" for c in r.reverts[:10]], "Reverts"))
    if r.quiet:
        doc.blocks.append(Table(
            ["Gone quiet", "Commits in the 8 windows before", "Last commit", "Last people"],
            [[label(q), str(q.baseline_commits), f"{day(q.last_commit.at)} “{q.last_commit.subject}” ({short(q.last_commit.sha)})", ", ".join(q.last_authors)] for q in r.quiet],
            "Areas gone quiet: active before, no commits in this window", numeric={1},
        ))


def _trend(area) -> str:
    if area.trend == "new":
        return "new"
    return f"{area.trend} (avg {area.baseline_per_window:g})"


def _status(status: str) -> str:
    return {"A": "added", "D": "removed", "M": "changed", "R": "renamed", "C": "copied"}.get(status, "changed")


KIND_LABELS = {
    "busiest": "busiest work",
    "risky": "risky work",
    "bottleneck": "open blocker",
    "truck_factor": "truck factor",
    "activity_change": "activity changed",
    "new_joiner": "new joiner",
    "review_queue": "everyone waits for them",
    "review_wait": "a pull request waits",
}


def _talk_to(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    doc.blocks.append(Para("Each reason names the commits (short shas) or blocker reports (#ids) behind it."))
    for entry in section.data:
        detail = ", ".join(x for x in (entry.title, entry.team, entry.role if not entry.title else None) if x)
        reasons = []
        for reason in entry.reasons:
            evidence = []
            if reason.commits:
                evidence.append("commits " + shas(reason.commits))
            if reason.reports:
                evidence.append("reports " + ", ".join(f"#{r}" for r in reason.reports))
            if reason.pulls:
                evidence.append("pull requests " + ", ".join(reason.pulls))
            reasons.append((KIND_LABELS.get(reason.kind, reason.kind), reason.text, "; ".join(evidence)))
        doc.blocks.append(Person(entry.name, detail, reasons))


def _time_split(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    split = section.data
    verdict = {True: ("at or above", "good"), False: ("below", "warn"), None: ("without a figure against", "note")}[split.meets_target]
    doc.blocks.append(Para(
        f"{split.leader} spent {hours(split.total.meeting_hours)} in {split.total.meetings} meetings over the {len(split.weeks)} weeks to {day(brief.window.end - 1)}: "
        f"{percent(split.share)} of the time with engineers or managers was with engineers ({hours(split.total.engineer_hours)} against {hours(split.total.manager_hours)} with managers), "
        f"{verdict[0]} the target of at least {percent(split.target)}.",
        verdict[1],
    ))
    doc.blocks.append(Bars(
        "Share of the leader's meeting time with engineers, week by week",
        [f"week of {day(w.start)}" for w in split.weeks], [round((w.share or 0) * 100, 1) for w in split.weeks], 100, unit="%", target=split.target * 100,
    ))
    doc.blocks.append(Table(
        ["Week", "Meetings", "Hours", "With engineers", "With managers", "Other", "Engineer share"],
        [[f"{day(w.start)} – {day(w.end - 1)[5:]}", str(w.meetings), hours(w.meeting_hours), hours(w.engineer_hours), hours(w.manager_hours), hours(w.other_hours), percent(w.share)] for w in split.weeks],
        numeric={1, 2, 3, 4, 5, 6},
    ))
    if split.companions:
        doc.blocks.append(Bullets([f"{c.name} ({c.kind}): {hours(c.hours)}" for c in split.companions[:8]], "Most time with"))
    if split.engineers_not_met:
        doc.blocks.append(Bullets(split.engineers_not_met[:10], "Engineers who committed this window and had no meeting with the leader in these weeks"))
    doc.blocks.append(Para(
        f"Leader from {'[org] leader in foundermode.toml' if split.leader_source == 'config' else 'the org chart (the single top executive)'}. "
        "Engineers: people with commits in these weeks or the role engineer; a meeting's time is shared among the leader's fellow attendees.",
        "note",
    ))


def _age(seconds: int) -> str:
    if seconds < 3600:
        return f"{max(seconds, 0) // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _bottlenecks(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    view = section.data
    escalated = [b for b in view.open if b.escalated_to]
    doc.blocks.append(Para(
        f"{len(view.open)} open bottleneck{'s' if len(view.open) != 1 else ''} as of {stamp(view.as_of)} UTC, {len(escalated)} escalated; "
        f"{view.reports_in_window} blocker report{'s' if view.reports_in_window != 1 else ''} came in during the window."
    ))
    if view.open:
        doc.blocks.append(Table(
            ["#", "Bottleneck", "Resource", "Reported by", "Heard", "Reports", "Escalation", "Held by", "Open for"],
            [[str(b.id), b.title, b.resource or "–", ", ".join(b.reporters), ", ".join(b.heard) or "typed", ", ".join(f"#{r}" for r in b.report_ids),
              b.level + (f"; call {b.call_at}" if b.call_at else ""), b.escalated_to or ("nobody yet" if b.level == "reported" else "–"), _age(b.age_seconds)]
             for b in view.open],
            numeric={0},
        ))
    else:
        doc.blocks.append(Para("No open bottleneck.", "good"))
    answered = [u for u in view.time_to_unblock if u.by in ("resource", "vendor")]
    if answered:
        doc.blocks.append(Table(
            ["Time to unblock", "Kind", "Escalations", "Resolved", "Median to unblock", "Median to acknowledge", "Waiting"],
            [[u.name, u.by, str(u.escalations), str(u.resolved), "–" if u.median_hours is None else hours(u.median_hours),
              "–" if u.ack_median_hours is None else hours(u.ack_median_hours), str(u.waiting)] for u in answered],
            numeric={2, 3, 4, 5, 6},
        ))
    else:
        doc.blocks.append(Para("Time to unblock: nothing has been escalated yet.", "note"))


def _meetings(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    view = section.data
    doc.blocks.append(Para(
        f"{view.meetings} meetings in the window: {hours(view.meeting_hours)} on the calendar, {hours(view.person_hours)} of people's time, "
        f"about {view.cost:,.0f} {view.currency} at {view.hourly_rate:,.0f} an hour."
    ))
    if view.largest:
        doc.blocks.append(Table(
            [f"Largest (more than {view.large_threshold} attendees)", "Occurrences", "Attendees", "Person-hours", "Cost"],
            [[m.summary, str(m.occurrences), str(m.max_attendees), hours(m.person_hours), f"{m.cost:,.0f}"] for m in view.largest],
            numeric={1, 2, 3, 4},
        ))
    else:
        doc.blocks.append(Para(f"No meeting had more than {view.large_threshold} attendees.", "good"))
    if view.costliest:
        doc.blocks.append(Table(
            ["Costliest", "Occurrences", "Hours", "Person-hours", f"Cost ({view.currency})"],
            [[m.summary, str(m.occurrences), hours(m.hours), hours(m.person_hours), f"{m.cost:,.0f}"] for m in view.costliest],
            numeric={1, 2, 3, 4},
        ))
    if view.walk_outs:
        doc.blocks.append(Bullets([_walk_out_text(w) for w in view.walk_outs[:10]], "Walk-out suggestions"))
    if view.walk_out_note:
        doc.blocks.append(Para(view.walk_out_note, "note"))


def _walk_out_text(item) -> str:
    return f"{item.person}: {item.suggestion}"


def _team(section: Section, doc: DocSection, brief: Brief, compact: bool = False) -> None:
    view = section.data
    risky = [r for r in view.truck_factors if r.truck_factor <= 2]
    if view.truck_factors:
        doc.blocks.append(Table(
            ["Truck factor", "Scope", "Files", "People it rests on"],
            [[str(r.truck_factor), r.repo + (f":{r.area}" if r.area else " (repository)"), str(r.files), ", ".join(r.people) or "–"] for r in view.truck_factors[:10]],
            f"Truck-factor risks ({len(risky)} at 2 or below)", numeric={0, 2},
        ))
    if view.managers:
        doc.blocks.append(Bullets(
            [f"{m.name}{f' ({m.team})' if m.team else ''}: {m.reports} report{'s' if m.reports != 1 else ''}, who made {m.reports_commits} commits ({percent(m.reports_share_of_commits)} of all)" for m in view.managers],
            "Managers with no technical footprint this window (no commits, co-authorships or surviving lines)",
        ))
        doc.blocks.append(Para(view.managers[0].note, "note"))
    elif view.managers_note:
        doc.blocks.append(Para(view.managers_note, "note"))
    if view.review_changes:
        doc.blocks.append(Bullets(
            [f"{c.name} ({c.team}) {c.change} the review list: {c.detail}" + (f" Evidence to keep: {'; '.join(c.keep_evidence)}." if c.keep_evidence else "") for c in view.review_changes],
            "Review-list changes since the window began",
        ))
    if view.review_note:
        doc.blocks.append(Para(f"Review list: {view.review_note}", "note"))
