"""Every figure of a profile against a direct git computation on the same repository."""
from __future__ import annotations

from foundermode import team
from foundermode.config import DEFAULT_EXCLUDED_PATHS
from foundermode.sources.patterns import PathRules

from .conftest import git_blame_lines, git_numstat, git_out

BASE = 1_700_006_400  # a UTC midnight
DAY = 86_400
ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Babbage", "bob@example.com")
CAY = ("Cay Hopper", "cay@example.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
EXCLUDED = PathRules(DEFAULT_EXCLUDED_PATHS).excluded


def text(n: int, tag: str) -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def build_history(repo):
    """Sixty days, three people, a bot, a merge, a rename, a binary, vendored code and a co-author."""
    repo.commit({"src/app.py": text(40, "app"), "README.md": text(5, "readme")}, author=ADA, when=BASE + 1 * DAY)
    repo.commit({"src/db.py": text(30, "db"), "vendor/lib.js": text(200, "lib")}, author=BOB, when=BASE + 3 * DAY)
    repo.commit({"src/app.py": text(45, "app2")}, author=ADA, when=BASE + 10 * DAY)
    repo.commit({"docs/guide.md": text(12, "guide"), "logo.png": bytes(range(256)) * 4}, author=BOB, when=BASE + 12 * DAY)
    repo.commit({"package-lock.json": '{"lock": 1}\n'}, author=BOT, when=BASE + 13 * DAY)
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"src/feature.py": text(25, "feat")}, author=CAY, when=BASE + 33 * DAY)
    repo.commit({"src/feature.py": text(27, "feat2")}, author=CAY, when=BASE + 34 * DAY)
    repo.git("checkout", "-q", "main")
    repo.clock = BASE + 35 * DAY
    repo.merge("feature", author=ADA)
    repo.git("mv", "src/db.py", "src/store.py")
    repo.commit({"src/store.py": text(30, "db") + "extra\n"}, message="rename db", author=BOB, when=BASE + 40 * DAY)
    repo.commit(
        {"src/app.py": text(50, "app3"), "vendor/lib.js": text(210, "lib2")},
        message="pair on app\n\nCo-authored-by: Bob Babbage <bob@example.com>\nCo-authored-by: Cay Hopper <cay@example.com>",
        author=ADA,
        when=BASE + 45 * DAY,
    )
    repo.commit({"docs/guide.md": text(14, "guide2")}, author=ADA, when=BASE + 45 * DAY + 3600)
    repo.commit({"src/feature.py": text(30, "feat3")}, author=CAY, when=BASE + 50 * DAY)
    repo.commit({"docs/api.md": text(8, "api")}, author=BOB, when=BASE + 58 * DAY)


def coauthored_in_git(repo, email: str, since: int, until: int) -> int:
    out = git_out(repo.path, "log", "--no-merges", "--format=%at%x09%(trailers:key=Co-authored-by,valueonly,separator=%x1f)")
    count = 0
    for line in out.splitlines():
        at, _, trailers = line.partition("\t")
        if since <= int(at) < until and any(email in t for t in trailers.split("\x1f")):
            count += 1
    return count


def test_every_profile_figure_matches_git(store, repo, ingest):
    build_history(repo)
    ingest(store, repo, ownership=True)
    since, until = BASE + 30 * DAY, BASE + 60 * DAY
    scope = team.window(store, since=since, until=until)
    assert (scope.since, scope.until) == (since, until)
    found = {p.email: p for p in team.profiles(store, scope)}
    expected = git_numstat(repo.path, since, until, EXCLUDED, bots={BOT[1]})
    before = git_numstat(repo.path, since - 30 * DAY, since, EXCLUDED, bots={BOT[1]})
    ever = git_numstat(repo.path, None, None, EXCLUDED, bots={BOT[1]})
    blame, blame_total = git_blame_lines(repo.path, EXCLUDED)
    shortlog = {
        line.split("<")[1].rstrip(">"): int(line.split()[0])
        for line in git_out(repo.path, "shortlog", "-sne", "--no-merges", f"--since=@{since}", f"--until=@{until - 1}", "HEAD").splitlines()
    }
    assert set(found) == {"ada@example.com", "bob@example.com", "cay@example.com"}  # no bot
    assert BOT[1] not in found
    for email, profile in found.items():
        mine = expected[email]
        assert profile.commits == mine["commits"] == shortlog[email], email
        assert profile.active_days == len(mine["days"]), email
        assert (profile.lines_added, profile.lines_removed) == (mine["added"], mine["removed"]), email
        assert profile.files_touched == len(mine["files"]), email
        assert profile.coauthored_commits == coauthored_in_git(repo, email, since, until), email
        assert profile.surviving_lines == blame[email], email
        assert profile.codebase_share == blame[email] / blame_total, email
        times = [int(t) for t in git_out(repo.path, "log", "--no-merges", f"--author={email}", "--format=%at").split()]
        assert (profile.first_activity, profile.last_activity) == (min(times), max(times)), email
        assert profile.trend.previous_commits == before[email]["commits"], email
        assert profile.trend.previous_added == before[email]["added"], email
    ada = found["ada@example.com"]
    assert ada.coauthored_commits == 0 and found["bob@example.com"].coauthored_commits == 1
    assert ada.trend.commits_change == (ada.commits - 2) / 2
    assert sum(ever[e]["commits"] for e in ever) == int(git_out(repo.path, "rev-list", "--count", "--no-merges", "HEAD")) - 1  # the bot's


def test_profile_in_depth_areas_and_codeowners(store, repo, ingest):
    build_history(repo)
    repo.commit({".github/CODEOWNERS": "*.md @org/docs\n/src/ @org/core\n"}, author=CAY, when=BASE + 59 * DAY)
    ingest(store, repo)
    scope = team.window(store, since="60d")
    ada = team.profile(store, "ada@example.com", scope)
    by_area = {a["area"]: a for a in ada.areas}
    numstat = git_numstat(repo.path, scope.since, scope.until, EXCLUDED)["ada@example.com"]
    assert set(by_area) == {f.split("/")[0] if "/" in f else "(root)" for f in numstat["files"]}
    src_lines = 0
    for line in git_out(repo.path, "log", "--no-merges", "--author=ada@example.com", "--numstat", "--format=", "--", "src").splitlines():
        adds, dels, _ = line.split("\t")
        src_lines += int(adds) + int(dels)
    assert by_area["src"]["lines_changed"] == src_lines
    owners = {a["owners"]: a["lines_changed"] for a in ada.codeowners_areas}
    assert owners["@org/core"] == src_lines
    assert set(owners) == {"@org/core", "@org/docs"}
    assert ada.main_areas[0] == "src"
    # Someone with nothing in the window still has a profile, with zeros and their history.
    scope_late = team.window(store, since="2d")
    quiet = team.profile(store, "cay@example.com", team.window(store, since=str(_date(BASE + 51 * DAY)), until=str(_date(BASE + 55 * DAY))))
    assert quiet.commits == 0 and quiet.first_activity == BASE + 33 * DAY
    assert scope_late.until == BASE + 59 * DAY + 1


def test_team_and_repo_filters(store, make_repo, ingest):
    from foundermode.sources.org import import_org_chart, parse_org_chart

    one, two = make_repo("one"), make_repo("two")
    one.commit({"a.py": text(3, "a")}, author=ADA, when=BASE)
    one.commit({"b.py": text(4, "b")}, author=BOB, when=BASE + DAY)
    two.commit({"c.py": text(5, "c")}, author=ADA, when=BASE + 2 * DAY)
    ingest(store, one)
    ingest(store, two)
    import_org_chart(store, parse_org_chart(
        "email,name,title,team,manager_email,role\nada@example.com,Ada Lovelace,Engineer,core,,engineer\nbob@example.com,Bob Babbage,Engineer,web,,engineer\n"
    ))
    everything = {p.email: p for p in team.profiles(store, team.window(store, since="10d"))}
    assert everything["ada@example.com"].commits == 2 and everything["ada@example.com"].lines_added == 8
    only_two = team.profiles(store, team.window(store, since="10d", repos=["two"]))
    # The org chart says who is on the team; git says what they did (Bob: nothing in 'two').
    assert [(p.email, p.commits, p.lines_added) for p in only_two] == [("ada@example.com", 1, 5), ("bob@example.com", 0, 0)]
    web = team.profiles(store, team.window(store, since="10d", team="web"))
    assert [(p.email, p.team) for p in web] == [("bob@example.com", "web")]


def _date(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat()
