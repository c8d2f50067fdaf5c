"""The principles use code review (issue 17): a manager who reviews has a technical footprint; the review
list counts review work as evidence to keep; the brief's "who to talk to" names a pull request waiting
five days for someone and the reviewer everyone waits for. On the hand-counted scenario (scenario.py)."""
from __future__ import annotations

import pytest

from foundermode.config import load_config
from foundermode.ingest_reviews import ingest_files
from foundermode.scope import Scope
from foundermode.sources import pulls_samples as s
from foundermode.sources.org import import_org_chart, parse_org_chart
from foundermode.team import reviews as review_api

from .scenario import D, H, REPO, T0, write_export

ORG = """email,name,title,team,manager_email,role
mo@example.com,Mo Grant,Engineering Manager,API,,manager
ada@example.com,Ada,Engineer,API,mo@example.com,engineer
bob@example.com,Bob,Engineer,API,mo@example.com,engineer
"""
CONFIG = """
[identities.aliases]
"mo@example.com" = ["github:mo"]
"ada@example.com" = ["github:ada"]
"bob@example.com" = ["github:bob"]
"""


@pytest.fixture
def config(tmp_path):
    (tmp_path / "foundermode.toml").write_text(CONFIG, encoding="utf-8")
    return load_config(tmp_path / "foundermode.toml")


def managers(store):
    from foundermode.team.managers import read_managers

    with store.read() as conn:
        return read_managers(conn, Scope(T0 - 30 * D, T0 + 30 * D))


def test_a_manager_who_reviews_has_a_technical_footprint(store, config, tmp_path):
    import_org_chart(store, parse_org_chart(ORG), config)
    write_export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])
    listed = managers(store)
    assert [m.name for m in listed] == ["Mo Grant"]  # pull requests ingested, none reviewed by Mo
    assert listed[0].note == "Git and code review cannot show management work: hiring, 1:1s, planning, design."  # reviews are ingested: seen

    review = tmp_path / "more"
    s.write_pages(review / "pr-2-reviews.json", [s.review(REPO, 2, "mo", "APPROVED", T0 + 3 * H)])
    ingest_files(store, config, [review], repo=REPO)
    assert managers(store) == []
    # outside the window, the review is no footprint
    from foundermode.team.managers import read_managers

    with store.read() as conn:
        assert [m.name for m in read_managers(conn, Scope(T0 + 10 * D, T0 + 40 * D))] == ["Mo Grant"]


def test_without_pull_requests_the_note_says_git_cannot_show_review(store, config):
    import_org_chart(store, parse_org_chart(ORG), config)
    listed = managers(store)
    assert [m.name for m in listed] == ["Mo Grant"] and listed[0].note == "Git cannot show management work: hiring, 1:1s, planning, code review, design."


def test_review_work_is_evidence_to_keep(store, config, tmp_path):
    from foundermode.team.review import Evidence, keep_evidence

    write_export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])
    with store.read() as conn:
        given = review_api.reviews_in_scope(conn, T0, T0 + 10 * D)
        names = {pid: row["name"] for pid, row in review_api.read_pulls(conn).people.items()}
    by_name = {names[p]: n for p, n in given.items()}
    assert by_name == {"ada": 2, "bob": 2, "cy": 2}  # scenario.py's hand counts
    cy = next(p for p, n in names.items() if n == "cy")
    found = keep_evidence(cy, Scope(T0, T0 + 10 * D), Evidence(reviews=given, first_activity={cy: T0 - 100 * D}), 0)
    assert "gave 2 code reviews on others' pull requests: review work does not show in commits" in found


def test_who_to_talk_to_names_the_five_day_wait_and_the_reviewer_everyone_waits_for(store, config, tmp_path):
    from foundermode.brief.compose import _review_reasons

    write_export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])
    with store.read() as conn:
        names = {pid: row["name"] for pid, row in review_api.read_pulls(conn).people.items()}
    # At T0+7D: cy is asked by bob (#2, 6.9 days), dee (#5, 5.9 days) and ada (#10, 3 days); bob by cy (#9, 3.75 days)
    reasons = {names[p]: [(r.kind, r.pulls) for r in found] for p, found in _review_reasons(store, Scope(T0, T0 + 7 * D)).items()}
    assert reasons == {"cy": [("review_queue", [f"{REPO}#2", f"{REPO}#5", f"{REPO}#10"]), ("review_wait", [f"{REPO}#2"]), ("review_wait", [f"{REPO}#5"])]}
    texts = [r.text for r in _review_reasons(store, Scope(T0, T0 + 7 * D))[next(p for p, n in names.items() if n == "cy")]]
    assert texts[0].startswith("the reviewer everyone waits for: 3 pull requests of 3 persons")
    assert "bob's “Change 2” (acme/api#2) has waited 6.9 days for their review" in texts[1]


def test_who_to_talk_to_takes_the_review_reasons_into_the_list():
    from foundermode.brief.activity import Person
    from foundermode.brief.areas import AreasReport
    from foundermode.brief.talk_to import Reason, who_to_talk_to

    cy = Person(7, "Cy", "cy@example.com", "engineer", None, None, None, True, False)
    gone = Person(8, "Gone", "gone@example.com", "engineer", None, None, None, True, False)
    review = {7: [Reason("review_queue", "the reviewer everyone waits for", pulls=["acme/api#2"])],
              8: [Reason("review_wait", "waited 6 days for their review", pulls=["acme/api#3"])]}
    entries = who_to_talk_to(Scope(T0, T0 + 7 * D), [], [], 8, None, AreasReport(0, 0, 0, 0, 0, [], [], [], [], []), {7: cy, 8: gone}, {},
                             present={7}, review=review)
    assert [(e.name, [r.kind for r in e.reasons]) for e in entries] == [("Cy", ["review_queue"])]  # someone who left is never suggested
