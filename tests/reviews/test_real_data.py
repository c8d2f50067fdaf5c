"""The real GitHub REST pages in ../shared/data/github-pulls/: every count its README gives, through the CLI and the store."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.store.schema_reviews import forge_repos, pull_comments, pull_requests, pull_review_requests
from foundermode.sources.pulls import read_json_values

runner = CliRunner()


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d")


def stamp(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def counts(conn, repo_name: str) -> dict:
    repo_id = conn.execute(select(forge_repos.c.id).where(forge_repos.c.name == repo_name)).scalar_one()
    pulls = conn.execute(select(pull_requests).where(pull_requests.c.repo_id == repo_id)).mappings().all()
    comments = conn.execute(select(pull_comments).where(pull_comments.c.repo_id == repo_id)).mappings().all()
    requested = conn.execute(select(pull_review_requests.c.number).where(pull_review_requests.c.repo_id == repo_id)).scalars().all()
    return {
        "numbers": sorted(p["number"] for p in pulls),
        "states": {s: sum(1 for p in pulls if p["state"] == s) for s in ("merged", "closed", "open")},
        "authors": len({p["author_id"] for p in pulls}),
        "created": (day(min(p["created_at"] for p in pulls)), day(max(p["created_at"] for p in pulls))),
        "first_created": stamp(min(p["created_at"] for p in pulls)),
        "last_created": stamp(max(p["created_at"] for p in pulls)),
        "requested": sorted(set(requested)),
        "comments": len(comments),
        "commenters": len({c["author_id"] for c in comments}),
        "commented_pulls": sorted({c["number"] for c in comments}),
        "comments_on_1_12": sum(1 for c in comments if c["number"] <= 12),
        "comment_days": (day(min(c["created_at"] for c in comments)), day(max(c["created_at"] for c in comments))),
    }


def test_readme_counts(store, shared_data, tmp_path, monkeypatch):
    folder = shared_data / "github-pulls"
    monkeypatch.chdir(tmp_path)
    db = str(store.engine.url.render_as_string(hide_password=False))
    out = json.loads(cli(db, "ingest", "github", str(folder), "--json"))
    assert {r["repository"]: (r["pulls"], r["comments"]) for r in out} == {"apache/openjpa": (12, 100), "apache/incubator-training": (12, 100)}

    with store.read() as conn:
        jpa = counts(conn, "apache/openjpa")
        training = counts(conn, "apache/incubator-training")
    # OpenJPA: 12 PRs (#1-#12): merged 0, closed without merge 8, open 4; 9 distinct authors; 0 with requested_reviewers
    assert jpa["numbers"] == list(range(1, 13))
    assert jpa["states"] == {"merged": 0, "closed": 8, "open": 4}
    assert jpa["authors"] == 9 and jpa["requested"] == []
    assert (jpa["first_created"], jpa["last_created"]) == ("2014-07-31T10:43:52Z", "2018-03-14T14:17:39Z")
    # comments page 1: 100 comments, 13 distinct commenters, on 27 PRs (#1-#54), 24 of them on PRs #1-#12; 2016-09-30 .. 2019-10-22
    assert jpa["comments"] == 100 and jpa["commenters"] == 13
    assert len(jpa["commented_pulls"]) == 27 and (jpa["commented_pulls"][0], jpa["commented_pulls"][-1]) == (1, 54)
    assert jpa["comments_on_1_12"] == 24 and jpa["comment_days"] == ("2016-09-30", "2019-10-22")
    # incubator-Training: 12 PRs merged, 3 distinct authors, 1 PR with requested_reviewers (#6)
    assert training["numbers"] == list(range(1, 13))
    assert training["states"] == {"merged": 12, "closed": 0, "open": 0}
    assert training["authors"] == 3 and training["requested"] == [6]
    assert (training["first_created"], training["last_created"]) == ("2019-03-01T14:44:30Z", "2019-05-15T09:14:11Z")
    # 100 comments, 12 distinct commenters, on 34 PRs (#4-#56), 15 of them on PRs #1-#12; 2019-04-27 .. 2019-10-21
    assert training["comments"] == 100 and training["commenters"] == 12
    assert len(training["commented_pulls"]) == 34 and (training["commented_pulls"][0], training["commented_pulls"][-1]) == (4, 56)
    assert training["comments_on_1_12"] == 15 and training["comment_days"] == ("2019-04-27", "2019-10-21")

    # The README's counts that are about the payloads, not the store: checked on the files themselves.
    jpa_raw = read_json_values(folder / "apache-OpenJPA-2.json")
    assert sum(1 for p in jpa_raw if p["head"]["repo"] is None) == 5
    training_raw = read_json_values(folder / "apache-incubator-Training-2.json")
    assert [p["number"] for p in training_raw if p.get("assignee") or p.get("assignees")] == [2]

    # The surfaces: pulls --json carries each PR's repository, number, author, state and ISO times.
    listed = json.loads(cli(db, "pulls", "--json"))
    assert len(listed) == 24
    first = next(p for p in listed if p["repository"] == "apache/openjpa" and p["number"] == 1)
    assert first["state"] == "open" and first["author"] and first["created"] == "2014-07-31T10:43:52Z" and first["merged"] is None
    assert len(json.loads(cli(db, "pulls", "--state", "open", "--json"))) == 4
    assert len(json.loads(cli(db, "pulls", "--state", "merged", "--json"))) == 12
    assert len(json.loads(cli(db, "pulls", "--state", "closed", "--repo", "openjpa", "--json"))) == 8
    merged = json.loads(cli(db, "pulls", "--state", "merged", "--json"))
    assert all(p["merged"] and p["closed"] for p in merged)
    waiting = json.loads(cli(db, "pulls", "--waiting", "--json"))
    assert sorted(w["number"] for w in waiting) == [1, 3, 4, 6]  # the four open OpenJPA PRs; nobody requested
    assert {w["waiting_for"] for w in waiting} == {"reviewer"}
    load = {row["name"]: row for row in json.loads(cli(db, "reviews", "load", "--json"))}
    assert sum(row["opened"] for row in load.values()) == 24 and sum(row["merged"] for row in load.values()) == 12
    assert "Review load" in cli(db, "reviews")

    # A second run reads no file again and changes nothing.
    again = runner.invoke(app, ["--db", db, "ingest", "github", str(folder), "--json"], catch_exceptions=False)
    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert "4 of 4 export files unchanged" in again.stderr
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(pull_comments)).scalar() == 200


def test_bad_export_is_one_line_and_imports_nothing(sqlite_store, tmp_path, monkeypatch, shared_data):
    monkeypatch.chdir(tmp_path)
    good = shared_data / "github-pulls" / "apache-OpenJPA-2.json"
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.json").write_bytes(good.read_bytes())
    (folder / "b.json").write_text('[{"number": 1,\n "head": ', encoding="utf-8")
    db = str(sqlite_store.engine.url)
    result = runner.invoke(app, ["--db", db, "ingest", "github", str(folder)])
    assert result.exit_code == 1
    assert "b.json:2: not JSON" in result.output and len(result.output.strip().splitlines()) == 1
    with sqlite_store.read() as conn:
        assert conn.execute(select(func.count()).select_from(pull_requests)).scalar() == 0
