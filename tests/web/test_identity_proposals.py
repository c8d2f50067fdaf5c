"""People under several identities: the People page, GET /api/people and the proposals (page and API) show one count.

The web test org (conftest.py) gains a second repository where Ada commits from an
old address and someone whose name carries markup commits under two addresses:
two people who appear twice each, pending until a leader merges them.
"""
from __future__ import annotations

from typer.testing import CliRunner

from conftest import init_repo
from foundermode.cli import app
from foundermode.ingest import ingest_repository
from foundermode.sources.duplicates import pending_merges

from .conftest import DAY, NOW

MALLORY = "Mallory &lt;script&gt; O'Hara"  # git drops < and > from names: an entity, to be shown as typed


def _duplicates(org, tmp_path):
    repo = init_repo(tmp_path / "old")
    for n, author in enumerate([("Ada Lovelace", "ada@old.example"), (MALLORY, "mallory@one.example"), (MALLORY, "mallory@two.example")]):
        repo.commit({f"old/{n}.py": f"n = {n}\n"}, f"old {n}", author=author, when=NOW - (30 - n) * DAY)
    ingest_repository(org.store, repo.path, org.config)
    org.app.state.view_cache.clear()
    return repo


def test_the_people_page_and_the_api_show_the_one_pending_count(org, tmp_path, monkeypatch):
    monkeypatch.delenv("FOUNDERMODE_DB", raising=False)
    repo = _duplicates(org, tmp_path)
    with org.store.read() as conn:
        expected = pending_merges(conn)
    assert expected.people == 2 and expected.records == 4
    leader = org.client("leader")
    people = org.client().get("/api/people", headers=org.bearer("leader"))
    proposals = org.client().get("/api/people/duplicates", headers=org.bearer("leader"))
    page = leader.get("/people").text
    listing = leader.get("/people/duplicates")
    assert people.status_code == proposals.status_code == listing.status_code == 200, (people.text, proposals.text)
    # One count on every surface.
    assert people.headers["X-Identity-Proposals"] == "2" and 'rel="duplicates"' in people.headers["Link"]
    assert proposals.json()["people"] == 2 and proposals.json()["records"] == 4
    assert {g["keep"] for g in proposals.json()["groups"]} == {"Ada Lovelace", MALLORY}
    assert "2 people appear under several identities and count as 4" in page and 'href="/people/duplicates"' in page
    assert "2 people appear under several identities and count as 4" in listing.text
    # and the command line says the same after an ingest, and in `people`
    cli = ["--db", org.store.url, "--config", str(org.config.path)]
    ingested = CliRunner().invoke(app, [*cli, "ingest", "git", str(repo.path)], env={"COLUMNS": "300"})
    assert ingested.exit_code == 0, ingested.output
    assert "2 people appear under several identities and count as 4" in ingested.stderr
    listed = CliRunner().invoke(app, [*cli, "people"], env={"COLUMNS": "300"})
    assert listed.exit_code == 0 and "2 people appear under several identities and count as 4" in listed.stderr
    status = CliRunner().invoke(app, [*cli, "status"], env={"COLUMNS": "300"})
    assert status.exit_code == 0 and "Identities: 2 people appear under several identities and count as 4" in status.stdout
    assert "2 people appear under several identities and count as 4" in leader.get("/status").text
    ada = next(g for g in proposals.json()["groups"] if g["keep"] == "Ada Lovelace")
    assert f'data-keep="{ada["keep_id"]}"' in listing.text and "ada@old.example" in listing.text  # the evidence names the addresses
    # Names are data: escaped on both pages.
    for html in (page, listing.text):
        assert "&lt;script&gt; O" not in html
    assert "Mallory &amp;lt;script&amp;gt; O&#39;Hara" in listing.text
    # Leaders only.
    assert org.client().get("/api/people/duplicates", headers=org.bearer("engineer")).status_code == 403
    assert org.client("engineer").get("/people/duplicates").status_code == 403
    # A leader merges one group on the page (CSRF-checked), then the rest; an engineer cannot.
    assert org.client("engineer").post("/people/duplicates/merge", data={"csrf": "x"}).status_code == 403
    assert leader.post("/people/duplicates/merge", data={"csrf": "wrong", "keep": ada["keep_id"]}).status_code in (400, 403)
    merged = leader.post("/people/duplicates/merge", data={"csrf": org.csrf(leader), "keep": ada["keep_id"]})
    assert merged.status_code == 303 and merged.headers["location"] == "/people/duplicates"
    assert org.client().get("/api/people", headers=org.bearer("leader")).headers["X-Identity-Proposals"] == "1"
    assert leader.post("/people/duplicates/merge", data={"csrf": org.csrf(leader), "keep": ada["keep_id"]}).status_code == 404  # merged already
    history = CliRunner().invoke(app, [*cli, "people", "merges", "--json"])
    assert "merged on the People page by Lee Leader" in history.stdout
    # Merged, the count is gone everywhere (the view cache follows the store).
    assert leader.post("/people/duplicates/merge", data={"csrf": org.csrf(leader)}).status_code == 303
    assert org.client().get("/api/people", headers=org.bearer("leader")).headers["X-Identity-Proposals"] == "0"
    assert "under several identities" not in leader.get("/people").text
    assert "Nobody appears under several identities" in leader.get("/people/duplicates").text
    assert org.client().get("/api/people/duplicates", headers=org.bearer("leader")).json()["groups"] == []
