"""The registry of analyses (analyses.py, registry.py): every analysis declared once, and every surface agrees.

Each registered analysis runs through the command line (``foundermode analysis NAME --json``)
and the API (``GET /api/analyses/NAME``) on one store, with the same words for the window,
and the two must give the same JSON. Then every analysis runs through each older surface that
shows it (its command's ``--json``, its page's JSON twin or the page, the brief's section) on a
store with commits, calendars, pull requests and a bottleneck: each surface must go through the
registry's ``compute`` (``registry.calls`` grows: a surface that calls the library itself fails)
and show the registry's figures for the same window.
"""
from __future__ import annotations

import contextlib
import json
import re

import pytest
from typer.testing import CliRunner

from foundermode import analyses, registry
from foundermode.cli import app

from .conftest import DAY, NOW

UNTIL = str(NOW + DAY)  # a fixed end after the history and the reports: no wall clock in the figures


def _cli(org, *args, ok=True):
    result = CliRunner().invoke(app, ["--db", org.store.url, "--config", str(org.config.path), *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _api(org, path, role="leader"):
    return org.client().get(path, headers=org.bearer(role))


@pytest.fixture
def busy_org(org, monkeypatch):
    from foundermode.store import set_clock

    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    org.escalated_gpu_bottleneck()
    set_clock(org.clock.now)  # the CLI reads the store's clock, the API the app's: one moment for both
    yield org
    set_clock(None)


def _calendar(folder):
    """A weekly ten-person review in Lee's calendar (large: more than 8) and a two-person sync, Jan to Mar 2024."""
    from meetings.calendar_helpers import attendee, calendar, event, write

    people = ["lee@example.com", "ada@example.com", "bob@example.com", "grace@example.com"] + [f"guest{i}@example.com" for i in range(6)]
    weekly = event("review-1", "Weekly review", "20240108T100000", "20240108T113000", organizer="lee@example.com",
                   attendees=[attendee(p) for p in people], extra="RRULE:FREQ=WEEKLY;COUNT=10")
    sync = event("sync-1", "Ada and Bob sync", "20240110T140000", "20240110T143000", organizer="ada@example.com",
                 attendees=[attendee("ada@example.com"), attendee("bob@example.com")], extra="RRULE:FREQ=WEEKLY;COUNT=9")
    return write(folder, "lee.ics", calendar("lee@example.com", weekly, sync))


@pytest.fixture
def full_org(busy_org, tmp_path):
    """busy_org with calendars and the hand-counted pull requests of tests/reviews/scenario.py."""
    from foundermode.ingest_reviews import ingest_files
    from foundermode.meetings.calendars import import_calendars

    from reviews.scenario import write_export

    import_calendars(busy_org.store, [_calendar(tmp_path / "calendars")], busy_org.config, since=NOW - 100 * DAY, until=NOW + 10 * DAY)
    write_export(tmp_path / "pulls")
    ingest_files(busy_org.store, busy_org.config, [tmp_path / "pulls"])
    return busy_org


@contextlib.contextmanager
def _through(*names):
    """The block must compute each named analysis through the registry (``Analysis.compute``)."""
    before = {name: registry.calls[name] for name in names}
    yield
    missed = [name for name in names if registry.calls[name] <= before[name]]
    assert not missed, f"the surface did not go through the registry's {', '.join(missed)}"


# The options an analysis cannot do without (its subject): given to both surfaces.
REQUIRED = {"profile": {"person": "ada@example.com"}, "growth": {"team_name": "Platform"}}


@pytest.mark.parametrize("name", analyses.names())
def test_every_analysis_gives_the_same_json_on_the_cli_and_the_api(busy_org, name):
    given = REQUIRED.get(name, {})
    options = [part for key, value in given.items() for part in ("--option", f"{key}={value}")]
    cli = json.loads(_cli(busy_org, "analysis", name, "--until", UNTIL, "--days", "120", *options).stdout)
    query = "".join(f"&{key}={value}" for key, value in given.items())
    response = _api(busy_org, f"/api/analyses/{name}?until={UNTIL}&days=120{query}")
    assert response.status_code == 200, response.text
    assert cli == response.json()
    assert cli["analysis"] == name and cli["window"]["ends"] == "given"


def test_the_registry_has_figures_to_compare(busy_org):
    """The comparison above is not between two empty answers."""
    def result(name):
        return json.loads(_cli(busy_org, "analysis", name, "--until", UNTIL, "--days", "120").stdout)["result"]

    assert {p["email"] for p in result("profiles") if p["commits"]} == {"ada@example.com", "bob@example.com", "grace@example.com"}
    assert any(t["truck_factor"] for t in result("truck-factor"))
    assert result("bottlenecks") is not None
    assert [s["key"] for s in result("brief")["sections"]][:2] == ["areas", "talk_to"]


def test_the_older_surfaces_show_the_registrys_figures(busy_org):
    registry = json.loads(_cli(busy_org, "analysis", "profiles", "--until", UNTIL, "--days", "120").stdout)["result"]
    figures = sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in registry)
    cli = json.loads(_cli(busy_org, "team", "profiles", "--until", UNTIL, "--days", "120", "--json").stdout)
    assert sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in cli) == figures
    team = _api(busy_org, f"/api/team?until={UNTIL}&days=120").json()
    assert sorted((p["email"], p["commits"], p["lines_added"], p["active_days"]) for p in team["profiles"]) == figures

    output = json.loads(_cli(busy_org, "analysis", "output", "--until", UNTIL, "--days", "120").stdout)["result"]
    team_output = _api(busy_org, f"/api/team?until={UNTIL}&days=120").json()["output"]
    # the team page's output is over the team window; every month it shows is the registry's month
    registry_months = {(m["month"], m.get("team")): m["commits"] for m in output}
    shared = [m for m in team_output if (m["month"], m.get("team")) in registry_months]
    assert shared, "the team page and the registry share no month: the comparison would prove nothing"
    assert all(registry_months[(m["month"], m.get("team"))] == m["commits"] for m in shared)

    registry_tf = json.loads(_cli(busy_org, "analysis", "truck-factor").stdout)["result"]
    cli_tf = json.loads(_cli(busy_org, "team", "truck-factor", "--by-area", "--json").stdout)
    assert sorted((t["repository"], t["area"] or "", t["truck_factor"]) for t in registry_tf) == sorted((t["repository"], t["area"] or "", t["truck_factor"]) for t in cli_tf)

    registry_brief = json.loads(_cli(busy_org, "analysis", "brief", "--until", UNTIL).stdout)["result"]
    brief = json.loads(_cli(busy_org, "brief", "--until", UNTIL, "--format", "json").stdout)
    mine = {s["key"]: s for s in registry_brief["sections"]}
    assert [s["key"] for s in brief["sections"]] == list(mine)
    for section in brief["sections"]:
        assert section["data"] == mine[section["key"]]["data"], section["key"]
    assert mine["bottlenecks"]["data"] and mine["areas"]["data"]


def test_only_leaders_read_analyses_and_unknown_ones_are_named(busy_org):
    assert _api(busy_org, "/api/analyses", role="engineer").status_code == 403
    assert _api(busy_org, "/api/analyses/profiles", role="engineer").status_code == 403
    listing = _api(busy_org, "/api/analyses").json()
    assert [a["name"] for a in listing] == analyses.names()
    assert all(a["principle"] in analyses.PRINCIPLES for a in listing)
    missing = _api(busy_org, "/api/analyses/nope")
    assert missing.status_code == 404 and "profiles" in missing.json()["detail"]
    result = _cli(busy_org, "analysis", "nope", ok=False)
    assert result.exit_code == 1 and "no analysis named 'nope'" in result.output
    bad = _api(busy_org, "/api/analyses/profiles?until=yesterday-ish")
    assert bad.status_code == 400


def test_the_cli_help_lists_every_registered_analysis():
    result = CliRunner().invoke(app, ["analysis", "--help"])
    assert result.exit_code == 0
    for analysis in analyses.ANALYSES:
        assert analysis.name in result.output


# -- every analysis through every older surface that shows it ----------------------------------------

WINDOW = ("--until", UNTIL, "--days", "120")
QUERY = f"until={UNTIL}&days=120"


@contextlib.contextmanager
def _scopes():
    """Every (analysis, scope) computed in the block, in order: which window each surface asked the registry for."""
    seen = []
    compute = registry.Analysis.compute

    def recording(self, store, config, scope, **kwargs):
        seen.append((self.name, scope))
        return compute(self, store, config, scope, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry.Analysis, "compute", recording)
        yield seen


def _registry(org, name, *args):
    return json.loads(_cli(org, "analysis", name, *args).stdout)["result"]


def _json_cli(org, *args):
    return json.loads(_cli(org, *args).stdout)


def _brief(org):
    with _through("brief", "bottlenecks", "meetings", "walkouts", "truck-factor", "managers", "review"):
        found = _json_cli(org, "brief", "--until", UNTIL, "--format", "json")
    return {s["key"]: s["data"] for s in found["sections"]}


def _people(rows):
    return sorted((p["email"], p["commits"], p["lines_added"], p["active_days"], p["status"]) for p in rows)


def check_profiles(org):
    mine = _people(_registry(org, "profiles", *WINDOW))
    assert len(mine) >= 3 and any(p[1] for p in mine)
    with _through("profiles"):
        assert _people(_json_cli(org, "team", "profiles", *WINDOW, "--json")) == mine
    with _through("profiles"):
        assert _people(_api(org, f"/api/people?{QUERY}").json()) == mine
    with _through("team", "profiles"):
        assert _people(_api(org, f"/api/team?{QUERY}").json()["profiles"]) == mine
    everyone = _people(_registry(org, "profiles", *WINDOW, "--option", "everyone=true"))
    with _through("profiles"):
        assert _people(_json_cli(org, "team", "profiles", *WINDOW, "--everyone", "--json")) == everyone


def _person(p):
    return (p["email"], p["commits"], p["lines_added"], p["active_days"], p["files_touched"],
            sorted((a["area"], a["commits"]) for a in p["areas"]), p["trend"])


def check_profile(org):
    mine = _person(_registry(org, "profile", *WINDOW, "--option", "person=ada@example.com"))
    assert mine[0] == "ada@example.com" and mine[1] and mine[5]
    with _through("profile"):
        assert _person(_json_cli(org, "team", "profile", "ada@example.com", *WINDOW, "--json")) == mine
    api = _api(org, f"/api/analyses/profile?{QUERY}&person={org.ids['ada']}")
    assert api.status_code == 200 and _person(api.json()["result"]) == mine
    with _through("profile"):
        assert _person(_api(org, f"/api/people/{org.ids['ada']}?{QUERY}").json()["profile"]) == mine
    with _through("profile"):
        # another window than the API's above: the page would otherwise answer from the view cache
        page = org.client("leader").get(f"/people/{org.ids['ada']}?until={UNTIL}&days=119")
    assert page.status_code == 200 and "Ada Lovelace" in page.text
    missing = _api(org, f"/api/analyses/profile?{QUERY}&person=nobody@example.com")
    assert missing.status_code == 404
    assert _api(org, f"/api/analyses/profile?{QUERY}").status_code == 400
    assert _api(org, f"/api/people/999999?{QUERY}").status_code == 404
    assert _cli(org, "team", "profile", "nobody@example.com", *WINDOW, ok=False).exit_code == 1


def _growth(g):
    return (g["team"], g["members"], g["recent_commits_per_head"], g["earlier_commits_per_head"], g["signals"],
            [(m["month"], m["commits"]) for m in g["months"]])


def check_growth(org):
    mine = _growth(_registry(org, "growth", *WINDOW, "--option", "team_name=Platform"))
    assert mine[0] == "Platform" and mine[1] >= 2 and mine[4]
    with _through("growth"):
        assert _growth(_json_cli(org, "team", "growth", "Platform", *WINDOW, "--json")) == mine
    api = _api(org, f"/api/analyses/growth?{QUERY}&team_name=Platform")
    assert api.status_code == 200 and _growth(api.json()["result"]) == mine
    assert _api(org, f"/api/analyses/growth?{QUERY}&team_name=Nowhere").status_code == 404
    assert _cli(org, "team", "growth", "Nowhere", *WINDOW, ok=False).exit_code == 1


def _pull(p):
    return (p["repository"], p["number"], p["state"], p["author"], p["reviews"], p["first_review_hours"])


def check_pulls(org):
    mine = sorted(_pull(p) for p in _registry(org, "pulls"))
    assert mine and {p[2] for p in mine} >= {"open", "merged"}
    with _through("pulls"):
        assert sorted(_pull(p) for p in _json_cli(org, "pulls", "--json")) == mine
    api = _api(org, "/api/analyses/pulls")
    assert api.status_code == 200 and sorted(_pull(p) for p in api.json()["result"]) == mine
    merged = sorted(_pull(p) for p in _registry(org, "pulls", "--option", "state=merged"))
    assert merged == [p for p in mine if p[2] == "merged"]
    with _through("pulls"):
        assert sorted(_pull(p) for p in _json_cli(org, "pulls", "--state", "merged", "--json")) == merged
    assert _api(org, "/api/analyses/pulls?state=sideways").status_code == 400


def check_output(org):
    months = [(m["month"], m.get("team"), m["headcount"], m["commits"], m["lines_added"]) for m in _registry(org, "output", *WINDOW)]
    assert any(m[3] for m in months)
    with _through("output"):
        cli = _json_cli(org, "team", "output", *WINDOW, "--json")
    assert [(m["month"], m.get("team"), m["headcount"], m["commits"], m["lines_added"]) for m in cli] == months
    with _through("team", "output"):
        page = _api(org, f"/api/team?{QUERY}").json()["output"]
    assert [(m["month"], m.get("team"), m["headcount"], m["commits"], m["lines_added"]) for m in page] == months


def _managers(rows):
    return sorted((m["name"], len(m["reports"]), m["reports_commits"]) for m in rows)


def check_managers(org):
    mine = _managers(_registry(org, "managers", *WINDOW))
    assert mine and mine[0][0] == "Lee Leader"
    with _through("managers"):
        assert _managers(_json_cli(org, "team", "managers", *WINDOW, "--json")) == mine
    with _through("team", "managers"):
        assert _managers(_api(org, f"/api/team?{QUERY}").json()["managers"]) == mine
    # the brief's managers are the registry's over the brief's own window
    week = _managers(_registry(org, "managers", "--until", UNTIL, "--days", "7"))
    assert sorted((m["name"], m["reports"], m["reports_commits"]) for m in _brief(org)["team"]["managers"]) == week


def _review(rows):
    return [(t["team"], t["note"], [e["name"] for e in t["entries"]]) for t in rows]


def check_review(org):
    half_year = ("--until", UNTIL, "--days", "182")
    mine = _review(_registry(org, "review", *half_year))
    assert mine
    with _through("review"):
        assert _review(_json_cli(org, "team", "review", *half_year, "--json")) == mine
    # the team page over 120 days shows the review list over its own minimum, 182 days
    with _through("team", "review"):
        assert _review(_api(org, f"/api/team?{QUERY}").json()["review"]) == mine
    # the brief's two lists: the review analysis's own window (182 days), ending at the brief's end and at its start
    default = _registry(org, "review", "--until", UNTIL)
    with _scopes() as seen:
        assert _brief(org)["team"]["review_size"] == sum(len(t["entries"]) for t in default)
    asked = sorted((scope.since, scope.until) for name, scope in seen if name == "review")
    length = analyses.get("review").default_length
    assert length == 182 * DAY and asked == [(int(UNTIL) - 7 * DAY - length, int(UNTIL) - 7 * DAY), (int(UNTIL) - length, int(UNTIL))]
    short = _cli(org, "team", "review", "--until", UNTIL, "--days", "30", ok=False)
    assert short.exit_code == 1 and "three months" in short.output


def _truck(rows):
    return sorted((t["repository"], t["area"] or "", t["truck_factor"], t["files"]) for t in rows)


def check_truck_factor(org):
    mine = _truck(_registry(org, "truck-factor"))
    assert any(t[1] for t in mine) and any(t[2] for t in mine)
    with _through("truck-factor"):
        assert _truck(_json_cli(org, "team", "truck-factor", "--by-area", "--json")) == mine
    with _through("team", "truck-factor"):
        assert _truck(_api(org, f"/api/team?{QUERY}").json()["truck_factors"]) == mine
    whole = [t for t in mine if not t[1]]
    with _through("truck-factor"):
        assert _truck(_json_cli(org, "team", "truck-factor", "--json")) == whole
    brief = _brief(org)["team"]["truck_factors"]
    assert sorted((t["repo"], t["truck_factor"], t["files"]) for t in brief if t["area"] is None) == [(r, tf, f) for r, _a, tf, f in whole]
    without = _truck(_registry(org, "truck-factor", "--option", "without=ada@example.com", "--option", "by_area=false"))
    with _through("truck-factor"):
        assert _truck(_json_cli(org, "team", "truck-factor", "--without", "ada@example.com", "--json")) == without


def check_team(org):
    mine = _registry(org, "team", *WINDOW)
    with _through("team"):
        cli = json.loads(_cli(org, "team", "report", *WINDOW).stdout)
    with _through("team"), _scopes() as seen:
        page = _api(org, f"/api/team?{QUERY}").json()
    page.pop("charts")
    windows = {name: (scope.since, scope.until) for name, scope in seen}
    end = int(UNTIL)
    # one window for the page, the review list's own minimum when the page's is shorter
    assert windows == {"team": (end - 120 * DAY, end), "profiles": (end - 120 * DAY, end), "output": (end - 120 * DAY, end),
                       "managers": (end - 120 * DAY, end), "truck-factor": (end - 120 * DAY, end), "review": (end - 182 * DAY, end)}
    assert cli == page
    assert _people(cli["profiles"]) == _people(mine["profiles"]) and _truck(cli["truck_factors"]) == _truck(mine["truck_factors"])
    assert _review(cli["review"]) == _review(mine["review"]) and _managers(cli["managers"]) == _managers(mine["managers"])


REVIEW_WINDOW = ("--since", "130d", "--until", UNTIL)


def _load(rows):
    return sorted((r["name"], r["opened"], r["merged"], r["reviews_given"]) for r in rows)


def check_reviews(org):
    mine = _registry(org, "reviews", *REVIEW_WINDOW)
    assert mine["pulls"] == 10 and any(r[3] for r in _load(mine["load"]))
    with _through("reviews"):
        assert _load(_json_cli(org, "reviews", "load", *REVIEW_WINDOW, "--json")) == _load(mine["load"])
    with _through("reviews"):
        matrix = _json_cli(org, "reviews", "matrix", *REVIEW_WINDOW, "--json")
    assert matrix == mine["matrix"] and matrix
    with _through("reviews"):
        delivery = _json_cli(org, "reviews", "delivery", *REVIEW_WINDOW, "--json")
    assert [(d["repo"], d["merged"], d["lead_time_median_hours"]) for d in delivery] == [(d["repo"], d["merged"], d["lead_time_median_hours"]) for d in mine["delivery"]]
    assert mine["delivery"] and mine["delivery"][0]["merged"]
    with _through("reviews"):
        queues = _json_cli(org, "reviews", "queues", "--until", UNTIL, "--json")
    assert [(q["reviewer"], q["pulls"]) for q in queues] == [(q["reviewer"], len(q["pulls"])) for q in mine["queues"]]
    with _through("reviews"):
        waiting = _json_cli(org, "pulls", "--waiting", "--until", UNTIL, "--json")
    assert [(w["repository"], w["number"]) for w in waiting] == [(w["repo"], w["number"]) for w in mine["waiting"]]
    # the Reviews page (HTML only): its bars are the registry's reviewers, over the same window
    with _through("reviews"), _scopes() as seen:
        html = org.client("leader").get("/reviews", params={"until": UNTIL, "days": "130"}).text
    assert [(scope.since, scope.until) for _name, scope in seen] == [(int(UNTIL) - 130 * DAY, int(UNTIL))]
    bars = dict(re.findall(r'<svg[^>]*class="chart (\w+)"[^>]*data-points="(\d+)"', html))["bars"]
    assert int(bars) == sum(1 for r in mine["load"] if r["reviews_given"])
    # pull requests are the forge's: a git repository's name is no filter, a forge repository's is an option
    assert _registry(org, "reviews", *REVIEW_WINDOW, "--option", "forge_repos=api")["pulls"] == 10
    missing = _cli(org, "analysis", "reviews", "--option", "forge_repos=nope", ok=False)
    assert missing.exit_code == 1 and "no pull requests ingested for nope" in missing.output


def check_stagnation(org):
    mine = _registry(org, "stagnation", "--until", UNTIL)
    assert mine
    with _through("stagnation"):
        cli = _json_cli(org, "stagnation", "--as-of", UNTIL, "--all", "--no-branches", "--json")
    assert [(a["repository"], a["area"], a["status"], a["recent_commits"]) for a in cli["areas"]] == [
        (a["repository"], a["area"], a["status"], a["recent_commits"]) for a in mine]
    # the command's own settings are the analysis's declared options
    deeper = _registry(org, "stagnation", "--until", UNTIL, "--option", "weeks=2")
    with _through("stagnation"):
        cli = _json_cli(org, "stagnation", "--as-of", UNTIL, "--all", "--no-branches", "--weeks", "2", "--json")
    assert [a["recent_commits"] for a in cli["areas"]] == [a["recent_commits"] for a in deeper]


def check_branches(org):
    mine = _registry(org, "branches", "--until", UNTIL)
    with _through("stagnation", "branches"):
        cli = _json_cli(org, "stagnation", "--as-of", UNTIL, "--json")
    assert [b["branch"] for b in cli["branches"]] == [b["branch"] for b in mine["branches"]]
    assert cli["warnings"] == mine["warnings"]


def _totals(t):
    return (t["meetings"], t["hours"], t["person_hours"], t["cost"])


def check_meetings(org):
    mine = _registry(org, "meetings", "--since", "120d", "--until", UNTIL)
    assert mine["totals"]["meetings"] >= 10 and mine["large"]
    with _through("meetings"):
        assert _totals(_json_cli(org, "meetings", "report", "--since", "120d", "--until", UNTIL, "--json")["totals"]) == _totals(mine["totals"])
    with _through("meetings"):
        assert _totals(_json_cli(org, "meetings", "cost", "--since", "120d", "--until", UNTIL, "--json")["total"]) == _totals(mine["totals"])
    with _through("meetings"):
        large = _json_cli(org, "meetings", "large", "--since", "120d", "--until", UNTIL, "--json")
    assert [(m["summary"], m["person_hours"]) for m in large] == [(m["summary"], m["person_hours"]) for m in mine["large"]]
    bigger = _registry(org, "meetings", "--since", "120d", "--until", UNTIL, "--option", "large_threshold=20")
    assert bigger["large"] == []
    with _through("meetings"):
        assert _json_cli(org, "meetings", "large", "--since", "120d", "--until", UNTIL, "--threshold", "20", "--json") == []
    with _through("meetings", "walkouts"):
        page = _api(org, f"/api/meetings?{QUERY}").json()
    assert _totals(page["totals"]) == _totals(_registry(org, "meetings", *WINDOW)["totals"])
    # the brief's meetings: the registry's over the brief's week
    week = _registry(org, "meetings", "--until", UNTIL, "--days", "7")["totals"]
    section = _brief(org)["meetings"]
    assert week["meetings"] >= 1 and (section["meetings"], section["person_hours"], section["cost"]) == (week["meetings"], week["person_hours"], week["cost"])


def check_walkouts(org):
    mine = _registry(org, "walkouts", "--until", UNTIL)
    with _through("walkouts"):
        assert _json_cli(org, "meetings", "walkout", "--as-of", UNTIL, "--json") == mine
    with _through("meetings", "walkouts"):
        assert _api(org, f"/api/meetings?{QUERY}").json()["walkouts"] == mine
    with _through("walkouts"):
        person = _api(org, f"/api/people/{org.ids['ada']}?{QUERY}").json()
    assert person["walkouts"] == [w for w in mine if w["person_id"] == org.ids["ada"]]
    assert _brief(org)["meetings"]["walk_outs"] == mine


def check_brief(org):
    mine = _registry(org, "brief", "--until", UNTIL)
    sections = _brief(org)
    assert list(sections) == [s["key"] for s in mine["sections"]]
    assert all(sections[s["key"]] == s["data"] for s in mine["sections"])
    with _through("brief"):
        page = _api(org, f"/api/brief?until={UNTIL}").json()
    assert {s["key"]: s["data"] for s in page["sections"]} == sections


def check_bottlenecks(org):
    mine = _registry(org, "bottlenecks", "--until", UNTIL)
    assert mine["open"] and mine["reports_in_window"] == 2
    section = _brief(org)["bottlenecks"]
    assert section == mine
    with _through("brief", "bottlenecks"):
        page = _api(org, f"/api/brief?until={UNTIL}").json()
    assert next(s["data"] for s in page["sections"] if s["key"] == "bottlenecks") == mine


CHECKS = {name.removeprefix("check_").replace("_", "-"): check for name, check in globals().items() if name.startswith("check_")}


def test_every_analysis_has_its_surfaces_checked():
    """A new analysis needs its older surfaces (or none) named here."""
    assert sorted(CHECKS) == sorted(analyses.names())


@pytest.mark.parametrize("name", analyses.names())
def test_every_surface_shows_the_registrys_figures(full_org, name):
    CHECKS[name](full_org)


def test_declared_options_are_the_same_on_the_cli_and_the_api(busy_org):
    cli = json.loads(_cli(busy_org, "analysis", "truck-factor", "--option", "by_area=false").stdout)
    api = _api(busy_org, "/api/analyses/truck-factor?by_area=false")
    assert api.status_code == 200 and api.json() == cli
    assert all(t["area"] is None for t in cli["result"]) and len(cli["result"]) < len(json.loads(_cli(busy_org, "analysis", "truck-factor").stdout)["result"])
    listing = {a["name"]: a for a in _api(busy_org, "/api/analyses").json()}
    assert "by_area" in [p["name"] for p in listing["truck-factor"]["options"]]
    unknown = _api(busy_org, "/api/analyses/profiles?colour=blue")
    assert unknown.status_code == 400 and "no option 'colour'" in unknown.json()["detail"]
    bad = _cli(busy_org, "analysis", "profiles", "--option", "everyone=perhaps", ok=False)
    assert bad.exit_code == 1 and "true or false" in bad.output
