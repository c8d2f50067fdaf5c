"""Forge logins join people: commit emails through aliases, GitHub noreply addresses, and aliases added later; bots by the same rules."""
from __future__ import annotations

from sqlalchemy import select

from foundermode.config import Config
from foundermode.ingest import ingest_repository
from foundermode.ingest_reviews import ingest_files
from foundermode.sources.identities import find_person
from foundermode.store.schema import people
from foundermode.store.schema_reviews import pull_requests, pull_reviews

from .scenario import write_export


def authors(conn) -> dict[int, int]:
    return dict(conn.execute(select(pull_requests.c.number, pull_requests.c.author_id)).all())


def test_logins_join_the_people_who_commit(store, repo, tmp_path):
    repo.commit({"a.py": "1\n"}, author=("Ada Lovelace", "ada@example.com"))
    repo.commit({"b.py": "1\n"}, author=("Bob Builder", "12345+bob@users.noreply.github.com"))
    repo.commit({"c.py": "1\n"}, author=("Cy Young", "cy@example.com"))
    config = Config(raw={"identities": {"aliases": {"ada@example.com": ["github:ada"]}}})
    ingest_repository(store, repo.path, config)
    write_export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])
    with store.read() as conn:
        ada, bob, cy = (find_person(conn, e) for e in ("ada@example.com", "github:bob", "cy@example.com"))
        by_number = authors(conn)
        assert by_number[1] == ada and by_number[7] == ada  # the alias
        assert by_number[2] == bob and by_number[8] == bob  # the noreply address is github:bob
        assert find_person(conn, "12345+bob@users.noreply.github.com") == bob
        assert by_number[3] != cy  # no alias for cy: the login stays its own person until one is added
        bot = conn.execute(select(people.c.is_bot).where(people.c.id == by_number[6])).scalar_one()
        assert bot is True  # dependabot[bot]: the same rules as commits
        reviewers = set(conn.execute(select(pull_reviews.c.reviewer_id).where(pull_reviews.c.number == 8)).scalars())
        assert ada in reviewers

    # An alias added later joins the login already stored (cy's PRs and reviews move to the committer).
    later = Config(raw={"identities": {"aliases": {"ada@example.com": ["github:ada"], "cy@example.com": ["github:cy"]}}})
    ingest_files(store, later, [tmp_path / "export"])
    with store.read() as conn:
        assert authors(conn)[3] == find_person(conn, "cy@example.com") == cy
        assert find_person(conn, "github:cy") == cy
