"""The GitHub API client against a loopback server: Link pagination, ETags (304), primary and
secondary rate limits waited out and resumed where they stopped, incremental runs, a failure that writes nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.config import Config
from foundermode.forge_api import ForgeError
from foundermode.ingest_reviews import ingest_api
from foundermode.sources import pulls_samples as s
from foundermode.store.schema_reviews import forge_cursors, pull_requests, pull_review_requests, pull_reviews
from foundermode.team import reviews as review_api

from .forge_server import FakeGitHub, serve
from .scenario import D, REPO, T0, build


@pytest.fixture
def forge():
    fake = FakeGitHub(data={})
    server = serve(fake)
    fake.data = build(api=fake.base)
    yield fake
    server.shutdown()
    server.server_close()


class Recorder:
    def __init__(self):
        self.waits = []

    def waiting(self, seconds, until, reason):
        self.waits.append((round(seconds), reason))

    def fetched(self, what):
        pass


def requests_to(forge, fragment):
    return [(q.get("page", "1"), status) for path, q, status in forge.log if path.endswith(fragment)]


def count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_pages_limits_etags_and_incremental_runs(store, forge):
    config = Config()
    slept = []
    recorder = Recorder()
    forge.refusals = [(r"/pulls\?.*page=2", "primary"), (r"/pulls/8/reviews", "secondary")]
    result = ingest_api(store, config, "github", REPO, api_url=forge.base, waits=recorder, sleep=slept.append)

    # Five pages of two, each followed through rel="next"; page 2 refused once for the primary limit, then asked again.
    assert requests_to(forge, "/repos/acme/api/pulls") == [("1", 200), ("2", 403), ("2", 200), ("3", 200), ("4", 200), ("5", 200)]
    assert requests_to(forge, "/pulls/8/reviews") == [("1", 403), ("1", 200), ("2", 200)]  # three reviews: two pages
    reasons = [reason for _seconds, reason in recorder.waits]
    assert reasons == ["rate limit", "rate limit"]
    assert 100 <= recorder.waits[0][0] <= 125 and recorder.waits[1][0] == 30  # until X-RateLimit-Reset; Retry-After
    assert len(slept) == 2
    assert result.pulls == 10 and count(store, pull_requests) == 10 and count(store, pull_reviews) == 7

    with store.read() as conn:
        data = review_api.read_pulls(conn)
    loads = {l.name: l for l in review_api.review_load(data, now=T0 + 5 * D)}
    assert (loads["ada"].opened, loads["ada"].merged, loads["ada"].reviews_given, loads["ada"].merged_without_review) == (4, 2, 2, 1)
    assert loads["cy"].waiting_on_them == 3 and loads["bob"].waiting_on_them == 1
    assert [d.lead_time_median_hours for d in review_api.delivery(data, T0, T0 + 7 * D)] == [60.0]

    # Nothing changed: the first page is asked with its ETag, answered 304, and nothing else is asked or written.
    before = len(forge.log)
    again = ingest_api(store, config, "github", REPO, api_url=forge.base, sleep=slept.append)
    assert forge.log[before:] == [("/repos/acme/api/pulls", {"state": "all", "sort": "updated", "direction": "desc", "per_page": "100"}, 304)]
    assert (again.requests, again.not_modified, again.pulls) == (1, 1, 0)

    # One pull request changes (cy approves #2): only it is read again, comments since the cursor.
    pull_2 = next(p for p in forge.data["pulls"] if p["number"] == 2)
    pull_2.update(updated_at=s.iso(T0 + 5 * D), requested_reviewers=[])
    forge.data["reviews"][2] = [s.review(REPO, 2, "cy", "APPROVED", T0 + 5 * D, api=forge.base)]
    before = len(forge.log)
    third = ingest_api(store, config, "github", REPO, api_url=forge.base, sleep=slept.append)
    asked = [(path, status) for path, _q, status in forge.log[before:]]
    assert asked == [
        ("/repos/acme/api/pulls", 200), ("/repos/acme/api/pulls/2/reviews", 200), ("/repos/acme/api/issues/2/timeline", 200),
        ("/repos/acme/api/pulls/comments", 200), ("/repos/acme/api/releases", 304),
    ]
    assert forge.log[before + 3][1]["since"] == s.iso(T0 + 4 * D)  # the newest updated_at of the last run
    assert third.pulls == 1 and third.reviews == 1
    with store.read() as conn:
        data = review_api.read_pulls(conn)
        pending = conn.execute(select(pull_review_requests.c.number).where(pull_review_requests.c.is_pending == True)).scalars().all()  # noqa: E712
    assert sorted(pending) == [5, 9, 10]
    queue = {q.reviewer: sorted(w.number for w in q.pulls) for q in review_api.review_queues(data, T0 + 5 * D)}
    assert queue == {"cy": [5, 10], "bob": [9]}
    assert count(store, pull_requests) == 10 and count(store, pull_reviews) == 8


def test_a_failure_writes_nothing_and_the_next_run_reads_everything(store, forge):
    config = Config()
    forge.refusals = [(r"/pulls/5/reviews", "404")]
    with pytest.raises(ForgeError, match=r"/repos/acme/api/pulls/5/reviews: HTTP 404 Not Found"):
        ingest_api(store, config, "github", REPO, api_url=forge.base, sleep=lambda _s: None)
    assert count(store, pull_requests) == 0 and count(store, forge_cursors) == 0
    result = ingest_api(store, config, "github", REPO, api_url=forge.base, sleep=lambda _s: None)
    assert result.pulls == 10 and count(store, pull_requests) == 10


def test_repeated_server_errors_are_one_line(sqlite_store, forge, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    forge.refusals = [(r"/pulls\?", "404")]
    result = CliRunner().invoke(app, ["--db", str(sqlite_store.engine.url), "ingest", "github", "acme/api", "--api-url", forge.base])
    assert result.exit_code == 1
    assert "error acme/api:" in result.output and "HTTP 404 Not Found" in result.output
    # and through the CLI, a good run: the same figures as from files
    ok = CliRunner().invoke(app, ["--db", str(sqlite_store.engine.url), "ingest", "github", "acme/api", "--api-url", forge.base, "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)[0]["pulls"] == 10


def test_token_only_from_the_environment(monkeypatch, forge):
    from foundermode.forge_api import github_client

    monkeypatch.setenv("FM_TEST_GH", "t0ken")
    config = Config(raw={"github": {"token_env": "FM_TEST_GH"}})
    client = github_client(config, forge.base)
    assert client.http.headers["Authorization"] == "Bearer t0ken"
    client.close()
    monkeypatch.delenv("FM_TEST_GH")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    client = github_client(config, forge.base)
    assert "Authorization" not in client.http.headers
    client.close()
