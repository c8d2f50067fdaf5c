"""people duplicates / people merge --accept-proposals / people split, on real histories and both stores.

The names are modelled on rails/rails, where one maintainer commits under four
identities (two names, four addresses) and pairs commit under joint names.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.errors import Conflict, InputError
from foundermode.ingest import ingest_repository
from foundermode.sources import duplicates
from foundermode.sources import identities as identities_module
from foundermode.sources.duplicates import accept, address_name, normalised_name, proposals
from foundermode.sources.identities import find_person, merge_people, split_merge
from foundermode.sources.ownership import compute_ownership
from foundermode.store.schema import coauthors, commits, identities, ownership, people
from foundermode.store.schema_people import person_merges

runner = CliRunner()

RAFAEL = [
    ("Rafael França", "rafaelmfranca@gmail.com"),
    ("Rafael França", "rafael@franca.dev"),
    ("Rafael Mendonça França", "rafael@rubyonrails.org"),
    ("Rafael Mendonça França", "rafael.franca@plataformatec.com.br"),
]
PAIR = ("Rafael Mendonça França + Kassio Borges", "rafaelmfranca+kassioborgesm@gmail.com")
NOREPLY = ("eileencodes", "12345+eileencodes@users.noreply.github.com")
EILEEN = ("Eileen M. Uchitelle", "eileencodes@gmail.com")
PRATIK_A = ("Pratik", "pratiknaik@gmail.com")
PRATIK_B = ("Pratik", "pratik.96@gmail.com")
STRANGERS = [("David Lee", "davidomundo@gmail.com"), ("Jane Roe", "jane@example.org")]


def _history(repo):
    n = 0
    for author in RAFAEL + [PAIR, NOREPLY, EILEEN, PRATIK_A, PRATIK_B] + STRANGERS:
        for _ in range(2):
            n += 1
            repo.commit({f"src/f{n % 7}.py": f"change {n}\n" * (n % 5 + 1)}, author=author)
    repo.commit({"src/pair.py": "paired\n"}, author=RAFAEL[0], message="pairing\n\nCo-authored-by: Jane Roe <jane@example.org>")
    return repo


def _person(conn, email):
    return find_person(conn, email)


def _commits_of(conn, person_id):
    return conn.execute(select(func.count()).select_from(commits).where(commits.c.author_id == person_id)).scalar_one()


def test_normalising():
    assert normalised_name("  Rafael  FRANÇA ") == "rafael franca"
    assert normalised_name("Eileen M. Uchitelle") == "eileen m uchitelle"
    assert address_name("Rafael.Franca+github@x.com") == "rafaelfranca"
    assert address_name("info@example.com") is None and address_name("me@x.io") is None


def test_proposals_with_evidence(store, repo):
    ingest_repository(store, _history(repo).path)
    with store.read() as conn:
        found = proposals(conn)
        ids = {email: _person(conn, email) for _, email in RAFAEL + [NOREPLY, EILEEN, PRATIK_A, PRATIK_B]}
        pair_person = _person(conn, PAIR[1])
        strangers = {_person(conn, email) for _, email in STRANGERS}
    by_pair = {frozenset((p.keep_id, p.other_id)): p for p in found}
    rafael = [ids[email] for _, email in RAFAEL]
    same_name = by_pair[frozenset(rafael[:2])]
    assert same_name.confidence == 0.9 and "same name" in same_name.rules
    assert "both named 'rafael franca'" in same_name.evidence[0]
    spelled = by_pair[frozenset((rafael[0], rafael[3]))]  # rafaelmfranca spells Rafael Mendonça França
    assert spelled.confidence == 0.85 and "the address name 'rafaelfranca' spells" in spelled.evidence[0]
    login = by_pair[frozenset((ids[NOREPLY[1]], ids[EILEEN[1]]))]
    assert login.confidence == 0.8 and "GitHub login 'eileencodes'" in login.evidence[0]
    one_word = by_pair[frozenset((ids[PRATIK_A[1]], ids[PRATIK_B[1]]))]
    assert one_word.confidence == 0.5
    involved = {p for pair in by_pair for p in pair}
    assert pair_person not in involved  # a pair's joint identity is nobody's duplicate
    assert not strangers & involved
    assert [p.confidence for p in found] == sorted((p.confidence for p in found), reverse=True)


def test_accept_merges_all_at_or_above_the_confidence_then_split_undoes(store, repo):
    ingest_repository(store, _history(repo).path)
    with store.read() as conn:
        rafael = [_person(conn, email) for _, email in RAFAEL]
        before = {p: _commits_of(conn, p) for p in rafael}
        pratik = (_person(conn, PRATIK_A[1]), _person(conn, PRATIK_B[1]))
        eileen = (_person(conn, NOREPLY[1]), _person(conn, EILEEN[1]))
    with store.write() as conn:
        groups = accept(conn, 0.85)
    assert len(groups) == 1 and len(groups[0].merged) == 3
    kept = groups[0].keep_id
    with store.read() as conn:
        assert {_person(conn, email) for _, email in RAFAEL} == {kept}
        assert _commits_of(conn, kept) == sum(before.values())
        assert len({_person(conn, e) for e in (PRATIK_A[1], PRATIK_B[1])}) == 2  # 0.5: left alone
        assert len({_person(conn, e) for e in (NOREPLY[1], EILEEN[1])}) == 2  # 0.8: left alone
    # Undo one: that person comes back with their own identities and commits, and is not proposed again.
    folded = next(p for p in rafael if p != kept)
    with store.write() as conn:
        assert split_merge(conn, folded) == kept
    with store.read() as conn:
        assert _person(conn, RAFAEL[rafael.index(folded)][1]) == folded
        assert _commits_of(conn, folded) == before[folded]
        assert _commits_of(conn, kept) == sum(before.values()) - before[folded]
        assert all(frozenset((kept, folded)) != frozenset((p.keep_id, p.other_id)) for p in proposals(conn))
    assert pratik[0] != pratik[1] and eileen[0] != eileen[1]


def test_accept_is_all_or_nothing(store, repo, monkeypatch):
    ingest_repository(store, _history(repo).path)
    with store.read() as conn:
        people_before = conn.execute(select(func.count()).select_from(people)).scalar_one()
    calls = []
    record = identities_module._merge_record

    def failing_record(*args):
        calls.append(args[1])
        if len(calls) == 2:  # every table rewritten and the first record written in this transaction
            raise RuntimeError("disk full")
        return record(*args)

    monkeypatch.setattr(identities_module, "_merge_record", failing_record)
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            accept(conn, 0.85)
    assert len(calls) == 2
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == people_before
    with pytest.raises(InputError):
        with store.write() as conn:
            accept(conn, pairs=["1+999999"])


def test_split_restores_keyed_rows_and_is_refused_for_an_alias(store, repo):
    ingest_repository(store, _history(repo).path)
    repo_id = 1
    compute_ownership(store, repo_id, jobs=1)
    with store.read() as conn:
        keep, other = _person(conn, RAFAEL[0][1]), _person(conn, RAFAEL[1][1])
        jane = _person(conn, "jane@example.org")
        owned_before = sorted(conn.execute(select(ownership)).all())
        coauthors_before = sorted(conn.execute(select(coauthors)).all())
        keys_before = sorted(conn.execute(select(identities.c.key, identities.c.person_id)).all())
    with store.write() as conn:
        merge_people(conn, keep, other)
        merge_people(conn, keep, jane)  # jane co-authored with keep: the co-author rows move, ownership rows collide and sum
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(ownership).where(ownership.c.person_id == other)).scalar_one() == 0
    with store.write() as conn:
        split_merge(conn, jane)
        split_merge(conn, other)
    with store.read() as conn:
        assert sorted(conn.execute(select(ownership)).all()) == owned_before
        assert sorted(conn.execute(select(coauthors)).all()) == coauthors_before
        assert sorted(conn.execute(select(identities.c.key, identities.c.person_id)).all()) == keys_before
    aliases = {RAFAEL[0][1]: [RAFAEL[1][1]]}
    with store.write() as conn:
        merge_people(conn, keep, other)
    with pytest.raises(Conflict):
        with store.write() as conn:
            split_merge(conn, other, aliases)


def test_cli_duplicates_merge_split(sqlite_store, repo):
    ingest_repository(sqlite_store, _history(repo).path)
    db = str(sqlite_store.engine.url)
    listed = runner.invoke(app, ["--db", db, "people", "duplicates", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert rows and {"pair", "confidence", "evidence", "keep", "merge"} <= set(rows[0])
    table = runner.invoke(app, ["--db", db, "people", "duplicates"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Rafael" in table.output
    chosen = next(r["pair"] for r in rows if r["confidence"] == 0.8)
    merged = runner.invoke(app, ["--db", db, "people", "merge", "--pairs", chosen])
    assert merged.exit_code == 0, merged.output
    assert "1 people merged into 1" in merged.output
    everything = runner.invoke(app, ["--db", db, "people", "merge", "--accept-proposals", "--json"])
    assert everything.exit_code == 0, everything.output
    groups = json.loads(everything.stdout)
    assert [len(g["merged"]) for g in groups] == [3]
    folded = groups[0]["merged"][0]["id"]
    split = runner.invoke(app, ["--db", db, "people", "split", str(folded)])
    assert split.exit_code == 0 and f"person {folded} split from {groups[0]['keep_id']}" in split.output
    again = runner.invoke(app, ["--db", db, "people", "split", str(folded)])
    assert again.exit_code == 1 and "no merge folded person" in again.output
    both = runner.invoke(app, ["--db", db, "people", "merge", "1", "2", "--accept-proposals"])
    assert both.exit_code != 0
    history = runner.invoke(app, ["--db", db, "people", "merges", "--json"])
    assert history.exit_code == 0 and json.loads(history.stdout)[-1]["evidence"].startswith("people duplicates")


# -- what ingest and sync say (and, with [identities] merge = "auto", do) -------------------

MARA_NAME = "Mara [bold]Lee[/] \x1b[31m"  # markup and an escape sequence: data, printed as text
MARA = [(MARA_NAME, f"mara@{n}.example") for n in ("one", "two", "three", "four", "five")]  # 0.95: same name, same address name


def _identity_history(repo):
    _history(repo)
    for author in MARA:
        repo.commit({"src/mara.py": f"{author[1]}\n"}, author=author)
    return repo


def _project(tmp_path, repo, merge: str | None = None):
    config = tmp_path / "foundermode.toml"
    lines = [f'[sources]\nrepositories = ["{repo.path}"]\n']
    if merge:
        lines.append(f'[identities]\nmerge = "{merge}"\n')
    config.write_text("".join(lines), encoding="utf-8")
    return config


def _stored_people(db_url):
    from foundermode.store import open_store

    store = open_store(db_url)
    try:
        with store.read() as conn:
            return conn.execute(select(func.count()).select_from(people)).scalar_one(), duplicates.pending_merges(conn)
    finally:
        store.dispose()


def test_ingest_and_sync_say_how_many_people_appear_under_several_identities(tmp_path, repo):
    _identity_history(repo)
    config = _project(tmp_path, repo)
    db = f"sqlite:///{tmp_path / 'fm.db'}"
    ingested = runner.invoke(app, ["--db", db, "--config", str(config), "ingest", "git", str(repo.path), "--json"], env={"COLUMNS": "400"})
    assert ingested.exit_code == 0, ingested.output
    json.loads(ingested.stdout)  # stdout stays the JSON it was
    count, pending = _stored_people(db)
    # Mara (five addresses), Rafael (four identities) at 0.85 and above; the 0.8 and one-word pairs are weaker.
    assert pending.people == 2 and pending.records == 9 and pending.weaker >= 2
    assert [(g.keep_name, len(g.merged) + 1) for g in pending.groups] == [(MARA_NAME, 5), ("Rafael França", 4)]
    (line,) = [l for l in ingested.stderr.splitlines() if l.startswith("identities")]
    assert "2 people appear under several identities and count as 9" in line
    # the name as text: its markup shown, not applied; its escape sequence made visible
    assert "the largest: Mara [bold]Lee[/] " in line and "\x1b" not in ingested.stderr
    assert "foundermode people duplicates" in line and "people merge --accept-proposals" in line
    # Nothing merged by default: the store is as the ingest left it.
    assert _stored_people(db)[0] == count
    synced = runner.invoke(app, ["--db", db, "--config", str(config), "sync"], env={"COLUMNS": "400"})
    assert synced.exit_code == 0, synced.output
    assert "2 people appear under several identities" in synced.stderr
    as_json = runner.invoke(app, ["--db", db, "--config", str(config), "sync", "--json"])
    assert json.loads(as_json.stdout)["identities"] == {"people": 2, "records": 9, "merged_at_sync": 0}
    # An org chart naming Jane Roe at her work address: she now appears twice (her commits are under the other).
    chart = tmp_path / "org.csv"
    chart.write_text("email,name,title,team,manager_email,role\njane.roe@corp.example,Jane Roe,Engineer,Platform,,engineer\n", encoding="utf-8")
    imported = runner.invoke(app, ["--db", db, "--config", str(config), "ingest", "org", str(chart)], env={"COLUMNS": "400"})
    assert imported.exit_code == 0, imported.output
    assert "3 people appear under several identities and count as 11" in imported.stderr
    jane = next(g for g in _stored_people(db)[1].groups if g.keep_name == "Jane Roe")
    with_jane = runner.invoke(app, ["--db", db, "people", "duplicates", "--json"])
    assert any(p["keep_id"] == jane.keep_id and "jane.roe@corp.example" in p["emails"][0] for p in json.loads(with_jane.stdout))  # kept: the org chart's
    # Mara merged, Rafael's group is the largest left: the other name in it is named.
    mara = [p for p in json.loads(runner.invoke(app, ["--db", db, "people", "duplicates", "--json"]).stdout) if "Mara" in p["keep"]]
    assert runner.invoke(app, ["--db", db, "people", "merge", "--pairs", ",".join(p["pair"] for p in mara)]).exit_code == 0
    synced = runner.invoke(app, ["--db", db, "--config", str(config), "sync"], env={"COLUMNS": "400"})
    assert "2 people appear under several identities and count as 6" in synced.stderr
    assert "the largest: Rafael França counts as 4, also named Rafael Mendonça França" in synced.stderr
    merged = runner.invoke(app, ["--db", db, "people", "merge", "--accept-proposals"])
    assert merged.exit_code == 0, merged.output
    quiet = runner.invoke(app, ["--db", db, "--config", str(config), "ingest", "git", str(repo.path)])
    assert quiet.exit_code == 0 and "identities" not in quiet.stderr


def test_auto_merges_the_strongest_proposals_at_ingest_recorded_and_undone_by_split(tmp_path, repo):
    _identity_history(repo)
    config = _project(tmp_path, repo, merge="auto")
    db = f"sqlite:///{tmp_path / 'fm.db'}"
    ingested = runner.invoke(app, ["--db", db, "--config", str(config), "ingest", "git", str(repo.path)], env={"COLUMNS": "400"})
    assert ingested.exit_code == 0, ingested.output
    assert "merged 4 into 1" in ingested.stderr and "[identities] merge = \"auto\"" in ingested.stderr
    # Only the 0.95 pairs (Mara's addresses) are merged; Rafael's 0.9/0.85 proposals stay proposals, and are said.
    _, pending = _stored_people(db)
    assert pending.people == 1 and pending.largest.keep_name == "Rafael França"
    assert "1 person appears under several identities" in ingested.stderr
    history = json.loads(runner.invoke(app, ["--db", db, "people", "merges", "--json"]).stdout)
    assert len(history) == 4
    record = history[0]
    assert record["evidence"].startswith("merged at ingest") and "mara" in record["evidence"]
    folded = record["merged_id"]
    assert runner.invoke(app, ["--db", db, "people", "split", str(folded)]).exit_code == 0
    # A split is the leader's word: the next sync does not merge them again.
    synced = runner.invoke(app, ["--db", db, "--config", str(config), "sync"], env={"COLUMNS": "400"})
    assert synced.exit_code == 0, synced.output
    assert "merged" not in synced.stderr
    from foundermode.store import open_store

    store = open_store(db)
    try:
        with store.read() as conn:
            assert {_person(conn, "mara@one.example"), _person(conn, "mara@two.example")} == {folded, record["kept_id"]}
    finally:
        store.dispose()


def test_a_bad_merge_setting_names_its_line(tmp_path, repo):
    config = _project(tmp_path, init_repo_for(repo), merge="always")
    result = runner.invoke(app, ["--config", str(config), "config"])
    assert result.exit_code != 0 and "merge" in result.output and "line 4" in result.output


def init_repo_for(repo):
    repo.commit({"a.py": "a\n"})
    return repo


def test_a_failing_identities_step_is_named_and_the_sources_still_sync(tmp_path, repo, monkeypatch):
    from foundermode import sync as sync_module

    _identity_history(repo)
    config = _project(tmp_path, repo)
    db = f"sqlite:///{tmp_path / 'fm.db'}"

    def broken(store, config):
        raise InputError("the proposals could not be read")

    monkeypatch.setattr(sync_module, "settle", broken)
    synced = runner.invoke(app, ["--db", db, "--config", str(config), "sync"], env={"COLUMNS": "400"})
    assert synced.exit_code == 1
    assert "failed identities merge proposals: the proposals could not be read" in synced.stderr
    assert _stored_people(db)[0] > 0  # the repository was ingested all the same


def _snapshot(conn):
    """Everything a merge touches, comparable across stores: each person with commits, identities, co-authored and owned rows, and the records."""
    out = {}
    for person in conn.execute(select(people).order_by(people.c.id)).mappings():
        pid = person["id"]
        out[pid] = {
            "row": dict(person) | {"created_at": None},
            "authored": sorted(r[0] for r in conn.execute(select(commits.c.sha).where(commits.c.author_id == pid))),
            "committed": sorted(r[0] for r in conn.execute(select(commits.c.sha).where(commits.c.committer_id == pid))),
            "identities": sorted(r[0] for r in conn.execute(select(identities.c.key).where(identities.c.person_id == pid))),
            "coauthored": sorted(r[0] for r in conn.execute(select(coauthors.c.commit_id).where(coauthors.c.person_id == pid))),
            "owned": sorted(tuple(r) for r in conn.execute(select(ownership.c.path, ownership.c.lines).where(ownership.c.person_id == pid))),
        }
    records = []
    for r in conn.execute(select(person_merges).order_by(person_merges.c.id)).mappings():
        person, moved = json.loads(r["person"]), json.loads(r["moved"])
        person["identities"] = sorted(person["identities"])
        for what in moved.values():
            for key in ("keys", "keyed", "rows"):
                if key in what:
                    what[key] = sorted(what[key], key=json.dumps)
        records.append((r["kept_id"], r["merged_id"], r["merged_name"], person, moved, r["evidence"], r["split_at"]))
    return out, records


class _RolledBack(Exception):
    pass


def test_batched_merge_equals_one_by_one(store, repo):
    """One store, one ingest: fold by fold (merge_people, then rolled back) and in one batch (merge_many) leave identical stores; splitting each batched fold restores the ingest's."""
    _history(repo)
    repo.commit({"src/pair.py": "paired again\n"}, author=RAFAEL[2], message="pairing\n\nCo-authored-by: Rafael França <rafael@franca.dev>")
    ingest_repository(store, repo.path)
    compute_ownership(store, 1, jobs=1)
    with store.read() as conn:
        before = _snapshot(conn)
        groups = duplicates.group(proposals(conn, 0.5), duplicates._org_members(conn))
    folds = [(g.keep_id, pid, f"test {g.keep_id}") for g in groups for pid, _ in g.merged]
    assert len(folds) >= 5  # Rafael's four identities, Eileen's two, Pratik's two
    one_by_one = None
    with pytest.raises(_RolledBack):
        with store.write() as conn:
            for keep, other, evidence in folds:
                merge_people(conn, keep, other, evidence)
            one_by_one = _snapshot(conn)
            raise _RolledBack
    with store.read() as conn:
        assert _snapshot(conn) == before
    with store.write() as conn:
        identities_module.merge_many(conn, folds)
    with store.read() as conn:
        batched = _snapshot(conn)
    assert len(batched[0]) == len(before[0]) - len(folds)
    assert any(p["owned"] for p in batched[0].values()) and any(p["coauthored"] for p in batched[0].values())
    assert batched == one_by_one
    with store.write() as conn:
        for _keep, other, _evidence in reversed(folds):
            split_merge(conn, other)
    with store.read() as conn:
        assert _snapshot(conn)[0] == before[0]


def test_the_merged_person_keeps_the_name_used_today(store, repo):
    """Rafael's older name has as many commits; his latest commits say 'Rafael Mendonça França': that name is kept. An org chart's person wins over any activity."""
    _history(repo)
    repo.commit({"src/late.py": "late\n"}, author=RAFAEL[0])  # the older name, most commits now
    repo.commit({"src/later.py": "later\n"}, author=RAFAEL[3])  # but the newer name is the one used last
    ingest_repository(store, repo.path)
    with store.write() as conn:
        accept(conn, 0.85)
    with store.read() as conn:
        kept = {conn.execute(select(people.c.name).where(people.c.id == _person(conn, email))).scalar_one() for _, email in RAFAEL}
    assert kept == {"Rafael Mendonça França"}
    org, recent, busy = duplicates.kept_first(9, True, 0, 1), duplicates.kept_first(2, False, 2_000, 1), duplicates.kept_first(1, False, 1_000, 500)
    assert sorted([busy, recent, org]) == [org, recent, busy]
