"""The review analyses against the hand counts in scenario.py (GitHub exports) and a GitLab export, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.config import Config
from foundermode.ingest_reviews import ingest_files
from foundermode.sources.pulls_samples import iso
from foundermode.team import reviews as review_api

from .scenario import D, H, T0, write_export

runner = CliRunner()


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def scenario(store, tmp_path):
    write_export(tmp_path / "export")
    ingest_files(store, Config(), [tmp_path / "export"])
    with store.read() as conn:
        return review_api.read_pulls(conn)


def test_load_by_hand(scenario):
    loads = {l.name: l for l in review_api.review_load(scenario, now=T0 + 5 * D)}
    assert set(loads) == {"ada", "bob", "cy", "dee"}  # the bot is nobody's author or reviewer
    got = {name: (l.opened, l.merged, l.reviews_given, l.approved, l.changes_requested, l.commented, l.reviews_received,
                  l.comments_given, l.merged_without_review, l.waiting_on_them) for name, l in loads.items()}
    assert got == {
        "ada": (4, 2, 2, 2, 0, 0, 2, 0, 1, 0),
        "bob": (2, 1, 2, 1, 1, 0, 2, 1, 0, 1),
        "cy": (2, 0, 2, 1, 0, 1, 0, 0, 0, 3),
        "dee": (1, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    }
    assert [loads[n].share_of_reviews for n in ("ada", "bob", "cy", "dee")] == [0.333, 0.333, 0.333, 0.0]
    assert {n: l.median_hours_to_first_review for n, l in loads.items()} == {"ada": 5.0, "bob": 1.0, "cy": None, "dee": 3.0}
    assert {n: l.median_hours_to_merge for n, l in loads.items()} == {"ada": 25.5, "bob": 24.0, "cy": None, "dee": None}
    # A window: only what happened in [T0+3D, T0+5D): bob's #8 opened and merged, ada's and cy's approvals of it
    window = {l.name: (l.opened, l.merged, l.reviews_given) for l in review_api.review_load(scenario, T0 + 3 * D, T0 + 5 * D)}
    assert window == {"bob": (1, 1, 0), "cy": (1, 0, 1), "ada": (1, 0, 1), "dee": (0, 0, 0)}


def test_matrix_waiting_queues_by_hand(scenario):
    names = {pid: row["name"] for pid, row in scenario.people.items()}
    matrix = {(names[r], names[a]): n for (r, a), n in review_api.review_matrix(scenario).items()}
    assert matrix == {("bob", "ada"): 1, ("bob", "dee"): 1, ("cy", "ada"): 1, ("ada", "bob"): 1, ("cy", "bob"): 1}

    waiting = review_api.waiting(scenario, T0 + 5 * D)
    assert [(w.number, w.waiting_for, w.waiting_on_names, w.is_draft) for w in waiting] == [
        (2, "review", ["cy"], False), (5, "review", ["cy"], False), (9, "review", ["bob"], False), (10, "review", ["cy"], False),
        (3, "reviewer", [], True),
    ]
    by_number = {w.number: w for w in waiting}
    assert by_number[2].waited_days == round((5 * D - 2 * H) / D, 1)  # since the request, not the opening
    assert by_number[9].age_days == round((2 * D - 6 * H) / D, 1)  # a draft's age starts when it was marked ready
    queues = review_api.review_queues(scenario, T0 + 5 * D)
    assert [(q.reviewer, len(q.pulls), len(q.authors)) for q in queues] == [("cy", 3, 3), ("bob", 1, 1)]


def test_delivery_devlake_definitions(scenario):
    (repo,) = review_api.delivery(scenario, T0, T0 + 7 * D)
    assert repo.merged == 3 and repo.lead_time_to == "deployment" and repo.without_first_commit == 1
    assert repo.lead_time_median_hours == 60.0 and repo.lead_time_band == "high"  # (78, 6, 60)
    assert (repo.coding_median_hours, repo.pickup_median_hours, repo.review_median_hours, repo.deploy_median_hours) == (18.0, 2.5, 33.5, 6.0)
    assert (repo.deployments, repo.deployment_days_per_week, repo.deployment_days_per_month, repo.deployment_band) == (2, 1.0, 2.0, "high")
    # DevLake counts the pull requests deployed in the window: from T0+4D only #8 (deployed by v1.1 at T0+5D)
    (later,) = review_api.delivery(scenario, T0 + 4 * D, T0 + 7 * D)
    assert later.merged == 1 and later.lead_time_median_hours == 60.0
    assert review_api.lead_time_band(23 * H) == "elite" and review_api.lead_time_band(8 * D) == "medium" and review_api.lead_time_band(40 * D) == "low"
    assert review_api.deployment_band(5, 20) == "elite" and review_api.deployment_band(0, 1) == "medium" and review_api.deployment_band(0, 0.5) == "low"


def test_first_review_by_week(scenario):
    weeks = review_api.first_review_by_week(scenario)
    # W46 (Nov 13-19): #1 4h, #4 6h, #5 3h, #8 1h; #7 has no review by another; W47: none reviewed
    assert weeks == [{"week": "2023-W46", "pulls": 4, "median_hours": 3.5}]


def test_cli_over_the_scenario(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_export(tmp_path / "export")
    db = store.engine.url.render_as_string(hide_password=False)
    cli(db, "ingest", "github", str(tmp_path / "export"))
    until = iso(T0 + 5 * D)
    listed = json.loads(cli(db, "pulls", "--json"))
    assert [p["number"] for p in listed] == list(range(1, 11))
    first = listed[0]
    assert {k: first[k] for k in ("repository", "number", "author", "state", "created", "merged", "closed")} == {
        "repository": "acme/api", "number": 1, "author": "ada", "state": "merged", "created": iso(T0), "merged": iso(T0 + 2 * D), "closed": iso(T0 + 2 * D)}
    assert [p["number"] for p in json.loads(cli(db, "pulls", "--state", "open", "--json"))] == [2, 3, 5, 9, 10]
    assert [p["number"] for p in json.loads(cli(db, "pulls", "--state", "closed", "--json"))] == [4]
    assert [w["number"] for w in json.loads(cli(db, "pulls", "--waiting", "--until", until, "--json"))] == [2, 5, 9, 10, 3]
    matrix = json.loads(cli(db, "reviews", "matrix", "--json"))
    assert {(m["reviewer"], m["author"], m["pulls"]) for m in matrix} == {("bob", "ada", 1), ("bob", "dee", 1), ("cy", "ada", 1), ("ada", "bob", 1), ("cy", "bob", 1)}
    table = cli(db, "reviews", "matrix")
    assert "reviewer \\ author" in table
    queues = json.loads(cli(db, "reviews", "queues", "--until", until, "--json"))
    assert queues[0]["reviewer"] == "cy" and queues[0]["authors_held_up"] == 3
    delivery = json.loads(cli(db, "reviews", "delivery", "--since", iso(T0), "--until", iso(T0 + 7 * D), "--json"))
    assert delivery[0]["lead_time_median_hours"] == 60.0
    assert "ada" in cli(db, "reviews", "load", "--format", "markdown")
    bad = runner.invoke(app, ["--db", db, "pulls", "--state", "draft"])
    assert bad.exit_code == 1 and "--state must be" in bad.output


# -- GitLab: merge requests, notes and approvals as the API documents them (docs.gitlab.com/api/merge_requests/, /notes/, /merge_request_approvals/)

def _user(username: str, uid: int) -> dict:
    return {"id": uid, "username": username, "name": username.title(), "state": "active", "locked": False,
            "avatar_url": None, "web_url": f"https://gitlab.example.com/{username}"}


def _mr(iid: int, author: str, uid: int, created: int, state: str = "opened", merged: int | None = None, reviewers=(), draft: bool = False) -> dict:
    return {"id": 1000 + iid, "iid": iid, "project_id": 7, "title": f"MR {iid}", "description": "", "state": state,
            "created_at": iso(created), "updated_at": iso(merged or created), "merged_by": None, "merge_user": None,
            "merged_at": iso(merged), "closed_by": None, "closed_at": None, "target_branch": "main", "source_branch": f"mr-{iid}",
            "user_notes_count": 0, "upvotes": 0, "downvotes": 0, "author": _user(author, uid), "assignees": [],
            "reviewers": [_user(r, 10 + i) for i, r in enumerate(reviewers)], "source_project_id": 7, "target_project_id": 7, "labels": [],
            "draft": draft, "work_in_progress": draft, "milestone": None, "merge_when_pipeline_succeeds": False,
            "merge_status": "can_be_merged", "detailed_merge_status": "mergeable", "sha": f"{iid:040x}", "merge_commit_sha": None,
            "squash_commit_sha": None, "discussion_locked": None, "should_remove_source_branch": None, "force_remove_source_branch": False,
            "prepared_at": iso(created), "reference": f"!{iid}", "references": {"short": f"!{iid}", "relative": f"!{iid}", "full": f"acme/app!{iid}"},
            "web_url": f"https://gitlab.example.com/acme/app/-/merge_requests/{iid}", "squash": False, "has_conflicts": False,
            "blocking_discussions_resolved": True}


def _note(note_id: int, iid: int, author: str, uid: int, at: int, body: str, system: bool, kind: str | None = None) -> dict:
    return {"id": note_id, "type": kind, "body": body, "attachment": None, "author": _user(author, uid), "created_at": iso(at),
            "updated_at": iso(at), "system": system, "noteable_id": 1000 + iid, "noteable_type": "MergeRequest", "project_id": 7,
            "noteable_iid": iid, "resolvable": False, "confidential": False, "internal": False}


def test_gitlab_export_by_hand(store, tmp_path):
    folder = tmp_path / "gitlab"
    folder.mkdir()
    (folder / "merge_requests.json").write_text(json.dumps([
        _mr(1, "ada", 1, T0, state="merged", merged=T0 + 2 * D),
        _mr(2, "bob", 2, T0 + H, reviewers=["cy"]),
        _mr(3, "cy", 3, T0 + 2 * H, draft=True),
    ]))
    (folder / "mr-1-notes.json").write_text(json.dumps([
        _note(1, 1, "ada", 1, T0 + H, "requested review from @bob", True),
        _note(2, 1, "bob", 2, T0 + 3 * H, "Could this use the cache?", False, "DiffNote"),
        _note(3, 1, "bob", 2, T0 + 5 * H, "approved this merge request", True),
    ]) + json.dumps([_note(4, 1, "ada", 1, T0 + 6 * H, "Done", False)]))  # two pages, as glab api --paginate writes them
    (folder / "mr-2-notes.json").write_text(json.dumps([_note(5, 2, "bob", 2, T0 + 2 * H, "requested review from @cy", True)]))
    (folder / "mr-1-approvals.json").write_text(json.dumps({"id": 1001, "iid": 1, "project_id": 7, "title": "MR 1", "state": "merged",
                                                           "approved": True, "approvals_required": 1, "approvals_left": 0,
                                                           "approved_by": [{"user": _user("bob", 2)}]}))
    result = ingest_files(store, Config(), [folder], forge="gitlab")
    assert [(r.repo, r.pulls) for r in result.repos] == [("acme/app", 3)]
    with store.read() as conn:
        data = review_api.read_pulls(conn)
    loads = {l.name: l for l in review_api.review_load(data, now=T0 + 2 * D)}
    # bob's approval is one review, whether from the approvals endpoint or the system note
    # people carry GitLab's display names
    assert (loads["Ada"].opened, loads["Ada"].merged, loads["Ada"].reviews_received, loads["Ada"].median_hours_to_first_review) == (1, 1, 1, 3.0)
    assert (loads["Bob"].reviews_given, loads["Bob"].approved, loads["Bob"].comments_given) == (1, 1, 1)
    assert loads["Cy"].waiting_on_them == 1
    waiting = review_api.waiting(data, T0 + 2 * D)
    assert [(w.number, w.waiting_for, w.waiting_on_names, w.is_draft) for w in waiting] == [(2, "review", ["Cy"], False), (3, "reviewer", [], True)]
    assert waiting[0].waited_days == round((2 * D - 2 * H) / D, 1)
