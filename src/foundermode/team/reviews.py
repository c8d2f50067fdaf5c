"""Code review, per person and team: the half of the code's truth git cannot show.

Definitions (docs/reviews.md cites them), chosen so figures compare with Apache DevLake's:
  * a review is a submitted GitHub review (approve, request changes, comment) or a
    GitLab approval / change request; pending (unsubmitted) reviews do not exist yet;
  * time to first review ("PR pickup time" in DevLake): from the pull request's
    creation to the first review or comment by someone other than its author;
  * PR review time: first review to merge; PR coding time: first commit to creation;
    time to merge: creation to merge;
  * lead time for changes: first commit to deployment, where the repository has
    releases or deployments (the first one at or after the merge), else to merge —
    DevLake's PR cycle time; the median over the pull requests deployed in the window
    (merged in it, when there are no deployments), in DevLake's 2023 bands
    (elite < 1 day, high < 1 week, medium < 1 month, else low);
  * deployment frequency: deployment *days*, not deployments; the median of deployment
    days per week (elite >= 5, high >= 1) and per month (medium >= 1, else low);
  * merged without review: merged with no review by anyone but its author before the merge.
Bots (people.is_bot, the same rules as commits) are nobody's reviewer and nobody's author here.
All arithmetic is over plain rows; ``read_pulls`` is the one place that reads the store.
"""
from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ..errors import NotFound
from ..store.schema import people
from ..store.schema_reviews import deployments, forge_repos, pull_comments, pull_requests, pull_review_requests, pull_reviews
from ..store.schema import repositories

DAY = 86_400
HOUR = 3_600
WAITING_DAYS = 5  # "a PR waiting 5 days for someone": the brief names it
QUEUE_AUTHORS = 2  # a reviewer whose queue holds up this many people's pull requests is a bottleneck
REVIEW_KINDS = ("approved", "changes_requested", "commented")
LEAD_TIME_BANDS = ((DAY, "elite"), (7 * DAY, "high"), (30 * DAY, "medium"))  # DevLake 2023; above: low


@dataclass
class Pull:
    repo: str
    number: int
    title: str
    url: str | None
    author_id: int | None
    state: str
    is_draft: bool
    created_at: int
    merged_at: int | None
    closed_at: int | None
    ready_at: int | None
    first_commit_at: int | None
    checks: str | None
    reviews: list[tuple[int | None, str, int | None]] = field(default_factory=list)  # (reviewer, state, submitted_at)
    comments: list[tuple[int | None, str, int]] = field(default_factory=list)  # (author, kind, created_at)
    pending: list[tuple[int | None, str | None, int | None]] = field(default_factory=list)  # (reviewer, team, requested_at)

    def others(self, bots: set[int]):
        """Reviews by someone other than the author, bots left out."""
        return [r for r in self.reviews if r[0] is not None and r[0] != self.author_id and r[0] not in bots]

    def first_review_at(self, bots: set[int]) -> int | None:
        times = [at for _who, _state, at in self.others(bots) if at is not None]
        times += [at for who, _kind, at in self.comments if who is not None and who != self.author_id and who not in bots]
        return min(times) if times else None

    def reviewed_before_merge(self, bots: set[int]) -> bool:
        return any(at is None or self.merged_at is None or at <= self.merged_at for _w, _s, at in self.others(bots))


@dataclass
class PullData:
    pulls: list[Pull]
    people: dict[int, dict]
    deployments: dict[str, list[int]]  # repository -> deployment times, sorted

    @property
    def bots(self) -> set[int]:
        return {pid for pid, row in self.people.items() if row.get("is_bot")}

    def name(self, person_id: int | None) -> str:
        return self.people.get(person_id, {}).get("name") or "(unknown)" if person_id is not None else "(unknown)"


def read_pulls(conn: Connection, repos: list[str] | None = None, team: str | None = None, open_only: bool = False) -> PullData:
    """Every stored pull request with its reviews, comments and pending requests (the rows the analyses use).

    ``open_only``: only open pull requests and their rows (what waits: the tick reads it every minute)."""
    names = {rid: name for rid, name in conn.execute(select(forge_repos.c.id, forge_repos.c.name))}
    wanted = None
    if repos:
        lowered = {r.lower() for r in repos}
        wanted = {rid for rid, name in names.items() if name in lowered or name.split("/")[-1] in lowered}
        unknown = lowered - {names[r] for r in wanted} - {names[r].split("/")[-1] for r in wanted}
        if unknown:
            raise NotFound(f"no pull requests ingested for {', '.join(sorted(unknown))}")
    pulls: dict[tuple[int, int], Pull] = {}
    query = select(pull_requests)
    if wanted is not None:
        query = query.where(pull_requests.c.repo_id.in_(sorted(wanted)))
    if open_only:
        query = query.where(pull_requests.c.state == "open")
    for row in conn.execute(query).mappings():
        pulls[(row["repo_id"], row["number"])] = Pull(
            names[row["repo_id"]], row["number"], row["title"], row["url"], row["author_id"], row["state"], bool(row["is_draft"]),
            row["created_at"], row["merged_at"], row["closed_at"], row["ready_at"], row["first_commit_at"], row["checks"],
        )
    for repo_id, number, reviewer, state, at in conn.execute(_of_open(
        select(pull_reviews.c.repo_id, pull_reviews.c.number, pull_reviews.c.reviewer_id, pull_reviews.c.state, pull_reviews.c.submitted_at), pull_reviews, open_only)
    ):
        pull = pulls.get((repo_id, number))
        if pull is not None:
            pull.reviews.append((reviewer, state, at))
    for repo_id, number, author, kind, at in conn.execute(_of_open(
        select(pull_comments.c.repo_id, pull_comments.c.number, pull_comments.c.author_id, pull_comments.c.kind, pull_comments.c.created_at), pull_comments, open_only)
    ):
        pull = pulls.get((repo_id, number))
        if pull is not None:
            pull.comments.append((author, kind, at))
    for repo_id, number, reviewer, team_name, at in conn.execute(_of_open(
        select(pull_review_requests.c.repo_id, pull_review_requests.c.number, pull_review_requests.c.reviewer_id,
               pull_review_requests.c.team, pull_review_requests.c.requested_at).where(pull_review_requests.c.is_pending == True), pull_review_requests, open_only)  # noqa: E712
    ):
        pull = pulls.get((repo_id, number))
        if pull is not None:
            pull.pending.append((reviewer, team_name, at))
    for pull in pulls.values():
        pull.reviews.sort(key=lambda r: (r[2] is None, r[2] or 0))
    found_people = {row["id"]: dict(row) for row in conn.execute(select(people.c.id, people.c.name, people.c.email, people.c.team, people.c.manager_id, people.c.is_bot)).mappings()}
    deployed: dict[str, list[int]] = defaultdict(list)
    for repo_id, at in conn.execute(select(deployments.c.repo_id, deployments.c.at)):
        if wanted is None or repo_id in wanted:
            deployed[names[repo_id]].append(at)
    out = sorted(pulls.values(), key=lambda p: (p.repo, p.number))
    if team is not None:
        members = {pid for pid, row in found_people.items() if row.get("team") == team}
        out = [p for p in out if p.author_id in members or any(r[0] in members for r in p.reviews)]
    return PullData(out, found_people, {repo: sorted(times) for repo, times in deployed.items()})


def _of_open(query, table, open_only: bool):
    """A child table's rows, only those of open pull requests when asked."""
    if not open_only:
        return query
    return query.join(pull_requests, (pull_requests.c.repo_id == table.c.repo_id) & (pull_requests.c.number == table.c.number)).where(pull_requests.c.state == "open")


def _in(at: int | None, since: int | None, until: int | None) -> bool:
    return at is not None and (since is None or at >= since) and (until is None or at < until)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# -- pull requests, listed ---------------------------------------------------------

def pull_rows(data: PullData, state: str = "all", now: int | None = None) -> list[dict]:
    """One row per pull request: what ``foundermode pulls`` lists and ``--json`` prints."""
    bots = data.bots
    rows = []
    for pull in data.pulls:
        if state != "all" and pull.state != state:
            continue
        first = pull.first_review_at(bots)
        rows.append({
            "repository": pull.repo, "number": pull.number, "title": pull.title, "author": data.name(pull.author_id),
            "state": pull.state, "draft": pull.is_draft, "created": pull.created_at, "merged": pull.merged_at, "closed": pull.closed_at,
            "reviews": len(pull.others(bots)), "first_review_hours": _hours(first - pull.created_at) if first else None,
            "url": pull.url,
        })
    return rows


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 1)


# -- waiting work -------------------------------------------------------------------

@dataclass
class Waiting:
    repo: str
    number: int
    title: str
    url: str | None
    author_id: int | None
    author: str
    age_days: float  # since it was opened, or marked ready
    waiting_for: str  # review, author, ci, merge, reviewer (none requested)
    waiting_on: list[int]  # the people it waits for (requested reviewers, or the author)
    waiting_on_names: list[str]
    waited_days: float  # since the request, when known
    is_draft: bool


def waiting(data: PullData, now: int) -> list[Waiting]:
    """Open pull requests, oldest first, with whom each waits for; drafts at the end, apart."""
    bots = data.bots
    out = []
    for pull in data.pulls:
        if pull.state != "open" or pull.author_id in bots or pull.created_at > now:
            continue
        since = max(pull.created_at, pull.ready_at or 0)
        latest: dict[int, str] = {}
        for who, state, _at in pull.others(bots):
            if state in ("approved", "changes_requested"):
                latest[who] = state
            elif state == "dismissed":
                latest.pop(who, None)
        pending_people = [r for r, _t, _at in pull.pending if r is not None and r not in bots]
        pending_teams = [t for r, t, _at in pull.pending if r is None and t]
        requested_times = [at for _r, _t, at in pull.pending if at]
        if pull.checks == "failure":
            kind, on = "ci", [pull.author_id] if pull.author_id else []
        elif pending_people or pending_teams:
            kind, on = "review", pending_people
        elif "changes_requested" in latest.values():
            kind, on = "author", [pull.author_id] if pull.author_id else []
        elif pull.checks == "pending":
            kind, on = "ci", []
        elif "approved" in latest.values():
            kind, on = "merge", [pull.author_id] if pull.author_id else []
        else:
            kind, on = "reviewer", []
        started = max(requested_times) if (kind == "review" and requested_times) else since
        names = [data.name(p) for p in on] + [f"team {t}" for t in pending_teams if kind == "review"]
        out.append(Waiting(pull.repo, pull.number, pull.title, pull.url, pull.author_id, data.name(pull.author_id),
                           round((now - since) / DAY, 1), kind, on, names, round((now - started) / DAY, 1), pull.is_draft))
    out.sort(key=lambda w: (w.is_draft, -w.age_days))
    return out


@dataclass
class ReviewQueue:
    reviewer_id: int
    reviewer: str
    pulls: list[Waiting]
    authors: list[int]  # distinct people held up

    @property
    def oldest_days(self) -> float:
        return max(w.waited_days for w in self.pulls)


def review_queues(data: PullData, now: int, min_days: float = 0) -> list[ReviewQueue]:
    """Reviewers with ready pull requests waiting for their review, the longest-held-up first."""
    by_reviewer: dict[int, list[Waiting]] = defaultdict(list)
    for item in waiting(data, now):
        if item.is_draft or item.waiting_for != "review" or item.waited_days < min_days:
            continue
        for reviewer in item.waiting_on:
            by_reviewer[reviewer].append(item)
    queues = [
        ReviewQueue(reviewer, data.name(reviewer), items, sorted({i.author_id for i in items if i.author_id is not None}))
        for reviewer, items in by_reviewer.items()
    ]
    queues.sort(key=lambda q: (-len(q.authors), -len(q.pulls), -q.oldest_days))
    return queues


# -- per person --------------------------------------------------------------------

@dataclass
class ReviewLoad:
    person_id: int
    name: str
    team: str | None
    opened: int = 0
    merged: int = 0
    reviews_given: int = 0
    approved: int = 0
    changes_requested: int = 0
    commented: int = 0
    pulls_reviewed: int = 0  # distinct pull requests of others
    comments_given: int = 0
    reviews_received: int = 0
    merged_without_review: int = 0
    waiting_on_them: int = 0  # open, ready pull requests whose review is requested from them now
    share_of_reviews: float = 0.0
    median_hours_to_first_review: float | None = None  # their pull requests, created in the window
    median_hours_to_merge: float | None = None


def review_load(data: PullData, since: int | None = None, until: int | None = None, now: int | None = None) -> list[ReviewLoad]:
    """Per person over [since, until): pull requests opened and merged, reviews given by kind and received."""
    bots = data.bots
    loads: dict[int, ReviewLoad] = {}

    def load(person_id: int) -> ReviewLoad:
        if person_id not in loads:
            row = data.people.get(person_id, {})
            loads[person_id] = ReviewLoad(person_id, row.get("name") or "(unknown)", row.get("team"))
        return loads[person_id]

    pickup: dict[int, list[float]] = defaultdict(list)
    to_merge: dict[int, list[float]] = defaultdict(list)
    reviewed: dict[int, set] = defaultdict(set)
    for pull in data.pulls:
        author = pull.author_id
        if author is not None and author not in bots:
            if _in(pull.created_at, since, until):
                load(author).opened += 1
                first = pull.first_review_at(bots)
                if first is not None:
                    pickup[author].append(first - pull.created_at)
            if pull.state == "merged" and _in(pull.merged_at, since, until):
                load(author).merged += 1
                to_merge[author].append(pull.merged_at - pull.created_at)
                if not pull.reviewed_before_merge(bots):
                    load(author).merged_without_review += 1
        for who, state, at in pull.others(bots):
            if not _in(at, since, until) or state not in REVIEW_KINDS:
                continue
            given = load(who)
            given.reviews_given += 1
            setattr(given, state, getattr(given, state) + 1)
            reviewed[who].add((pull.repo, pull.number))
            if author is not None and author not in bots:
                load(author).reviews_received += 1
        for who, _kind, at in pull.comments:
            if who is not None and who != author and who not in bots and _in(at, since, until):
                load(who).comments_given += 1
    for item in waiting(data, now) if now is not None else []:
        if not item.is_draft and item.waiting_for == "review":
            for reviewer in item.waiting_on:
                load(reviewer).waiting_on_them += 1
    total = sum(l.reviews_given for l in loads.values())
    for person_id, entry in loads.items():
        entry.pulls_reviewed = len(reviewed.get(person_id, ()))
        entry.share_of_reviews = round(entry.reviews_given / total, 3) if total else 0.0
        entry.median_hours_to_first_review = _hours(median(pickup.get(person_id, [])))
        entry.median_hours_to_merge = _hours(median(to_merge.get(person_id, [])))
    return sorted(loads.values(), key=lambda l: (-l.reviews_given, -l.opened, l.name))


def review_matrix(data: PullData, since: int | None = None, until: int | None = None) -> dict[tuple[int, int], int]:
    """(reviewer, author) -> distinct pull requests the reviewer reviewed for that author in the window."""
    bots = data.bots
    seen: dict[tuple[int, int], set] = defaultdict(set)
    for pull in data.pulls:
        if pull.author_id is None or pull.author_id in bots:
            continue
        for who, state, at in pull.others(bots):
            if state in REVIEW_KINDS and _in(at, since, until):
                seen[(who, pull.author_id)].add((pull.repo, pull.number))
    return {pair: len(numbers) for pair, numbers in seen.items()}


def reviews_by_person(data: PullData, since: int | None, until: int | None) -> dict[int, int]:
    """Reviews each person gave others in the window: what the team's other lists count as review work."""
    return {l.person_id: l.reviews_given for l in review_load(data, since, until) if l.reviews_given}


def reviews_in_scope(conn: Connection, since: int | None, until: int | None, git_repo_ids: list[int] | None = None) -> dict[int, int]:
    """Reviews each person gave in the window, over the forge repositories of the git repositories in scope
    (matched by name: owner/api is the forge's repository of a clone named api); all of them with no repository scope."""
    repos = None
    if git_repo_ids:
        wanted = {n.casefold() for (n,) in conn.execute(select(repositories.c.name).where(repositories.c.id.in_(list(git_repo_ids))))}
        repos = sorted(name for (name,) in conn.execute(select(forge_repos.c.name)) if name.split("/")[-1].casefold() in wanted)
        if not repos:
            return {}
    if conn.execute(select(pull_reviews.c.id).limit(1)).first() is None:
        return {}
    return reviews_by_person(read_pulls(conn, repos=repos), since, until)


# -- over time and delivery --------------------------------------------------------

def first_review_by_week(data: PullData, since: int | None = None, until: int | None = None) -> list[dict]:
    """Median hours to first review of the pull requests opened each ISO week (for the chart)."""
    bots = data.bots
    weeks: dict[str, list[float]] = defaultdict(list)
    for pull in data.pulls:
        if pull.author_id in bots or not _in(pull.created_at, since, until):
            continue
        first = pull.first_review_at(bots)
        if first is not None:
            year, week, _ = dt.datetime.fromtimestamp(pull.created_at, dt.timezone.utc).isocalendar()
            weeks[f"{year}-W{week:02d}"].append((first - pull.created_at) / HOUR)
    return [{"week": week, "pulls": len(values), "median_hours": round(statistics.median(values), 1)} for week, values in sorted(weeks.items())]


def lead_time_band(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    for limit, band in LEAD_TIME_BANDS:
        if seconds < limit:
            return band
    return "low"


def deployment_band(per_week: float | None, per_month: float | None) -> str | None:
    """DevLake's criteria (2023 benchmarks) on the median deployment days."""
    if per_week is None:
        return None
    if per_week >= 5:
        return "elite"
    if per_week >= 1:
        return "high"
    if (per_month or 0) >= 1:
        return "medium"
    return "low"


@dataclass
class Delivery:
    repo: str
    merged: int  # deployed in the window when the repository has deployments, else merged in it
    lead_time_median_hours: float | None
    lead_time_band: str | None
    lead_time_to: str  # deployment, or merge when the repository has none
    coding_median_hours: float | None  # first commit -> opened
    pickup_median_hours: float | None  # opened -> first review
    review_median_hours: float | None  # first review -> merged
    deploy_median_hours: float | None  # merged -> deployed
    deployments: int
    deployment_days_per_week: float | None
    deployment_days_per_month: float | None
    deployment_band: str | None
    without_first_commit: int  # merged pull requests whose first commit the source did not give (their lead time starts at creation)


def delivery(data: PullData, since: int, until: int) -> list[Delivery]:
    """Lead time for changes and deployment frequency per repository over [since, until)."""
    bots = data.bots
    by_repo: dict[str, list[Pull]] = defaultdict(list)
    for pull in data.pulls:
        by_repo[pull.repo].append(pull)
    out = []
    for repo, pulls in sorted(by_repo.items()):
        deploys = data.deployments.get(repo, [])
        lead, coding, pickup, review, deploy_wait = [], [], [], [], []
        merged = missing = 0
        for pull in pulls:
            if pull.state != "merged" or pull.merged_at is None or pull.author_id in bots:
                continue
            end = pull.merged_at
            if deploys:
                # DevLake: the pull requests *deployed* in the window (by the first deployment at or after the merge)
                index = bisect.bisect_left(deploys, pull.merged_at)
                if index == len(deploys) or not _in(deploys[index], since, until):
                    continue  # not deployed yet, or deployed outside the window
                end = deploys[index]
            elif not _in(pull.merged_at, since, until):
                continue
            merged += 1
            start = pull.first_commit_at
            if start is None:
                missing += 1
                start = pull.created_at
            else:
                coding.append(max(pull.created_at - start, 0))
            if deploys:
                deploy_wait.append(end - pull.merged_at)
            lead.append(end - start)
            first = pull.first_review_at(bots)
            if first is not None:
                pickup.append(max(first - pull.created_at, 0))
                review.append(max(pull.merged_at - first, 0))
        in_window = [d for d in deploys if since <= d < until]
        per_week, per_month = _deployment_days(in_window, since, until) if deploys else (None, None)
        lead_median = median(lead)
        out.append(Delivery(
            repo, merged, _hours(lead_median), lead_time_band(lead_median), "deployment" if deploys else "merge",
            _hours(median(coding)), _hours(median(pickup)), _hours(median(review)), _hours(median(deploy_wait)),
            len(in_window), per_week, per_month, deployment_band(per_week, per_month), missing,
        ))
    return out


def _deployment_days(times: list[int], since: int, until: int) -> tuple[float, float]:
    """Median distinct deployment days per ISO week and per calendar month, every week and month of the window counted (zeros too)."""
    days = {dt.datetime.fromtimestamp(t, dt.timezone.utc).date() for t in times}
    start = dt.datetime.fromtimestamp(since, dt.timezone.utc).date()
    end = dt.datetime.fromtimestamp(until - 1, dt.timezone.utc).date()
    weeks: Counter = Counter()
    months: Counter = Counter()
    day = start
    while day <= end:
        weeks[day.isocalendar()[:2]] += 0
        months[(day.year, day.month)] += 0
        day += dt.timedelta(days=1)
    for day in days:
        weeks[day.isocalendar()[:2]] += 1
        months[(day.year, day.month)] += 1
    return float(statistics.median(weeks.values())), float(statistics.median(months.values()))
