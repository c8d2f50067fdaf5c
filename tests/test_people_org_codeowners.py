"""People and identities, the org chart, CODEOWNERS, ownership at HEAD."""
from __future__ import annotations

import collections
import json
import os
import re
import subprocess

import pytest
from sqlalchemy import func, select

from foundermode.config import Config, ConfigError, load_config
from foundermode.ingest import ingest_repository
from foundermode.sources import codeowners
from foundermode.sources.identities import IdentityResolver, find_person, identity_key, merge_people
from foundermode.sources.org import OrgChartError, import_org_chart, parse_org_chart
from foundermode.sources.ownership import compute_ownership
from foundermode.store.schema import coauthors, commits, identities, ownership, ownership_files, people

ADA = ("Ada Lovelace", "ada@example.com")
BOB = ("Bob Builder", "bob@example.com")


# -- identities -------------------------------------------------------------------

@pytest.mark.parametrize(
    "name,email,key",
    [
        ("Ada", "Ada@Example.COM", "ada@example.com"),
        ("Ada", "12345+ada-l@users.noreply.github.com", "github:ada-l"),
        ("Ada", "ada-l@users.noreply.github.com", "github:ada-l"),
        ("Ada", "github:Ada-L", "github:ada-l"),
        ("Ada  Lovelace", "", "name:ada lovelace"),
    ],
)
def test_identity_keys(name, email, key):
    assert identity_key(name, email) == key


def test_noreply_aliases_and_case_fold_into_one_person(store):
    config = Config(raw={"identities": {"aliases": {"ada@example.com": ["ada@old-job.com", "github:countess"]}}})
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        ada = resolver.person_for("Ada Lovelace", "ada@example.com")
        assert resolver.person_for("ada lovelace", "ADA@example.com") == ada  # case
        assert resolver.person_for("Ada Lovelace", "999+lovelace@users.noreply.github.com") == ada  # noreply, same name
        assert resolver.person_for("A. L.", "ada@old-job.com") == ada  # alias
        assert resolver.person_for("whoever", "77+countess@users.noreply.github.com") == ada  # alias by login
        bob = resolver.person_for("Bob", "bob@example.com")
        assert bob != ada
    with store.read() as conn:
        keys = set(conn.execute(select(identities.c.key).where(identities.c.person_id == ada)).scalars())
    assert keys == {"ada@example.com", "github:lovelace", "ada@old-job.com", "github:countess"}


@pytest.mark.parametrize("noreply_first", [True, False], ids=["noreply-first", "address-first"])
@pytest.mark.parametrize("ingests", [1, 2], ids=["one-batch", "two-ingests"])
def test_noreply_address_joins_its_owner_whichever_comes_first(store, repo, noreply_first, ingests):
    """GitHub's web editor (noreply) and a local clone (address) are one person, in either order,
    in one batch or across ingests; two people of one name keep a noreply address apart."""
    web = ("Ada Lovelace", "4242+ada-l@users.noreply.github.com")
    local = ("Ada Lovelace", "ada@example.com")
    first, second = (web, local) if noreply_first else (local, web)
    repo.commit({"a.txt": "a\n"}, "one", author=first)
    if ingests == 2:
        ingest_repository(store, repo.path)
    repo.commit({"b.txt": "b\n"}, "two", author=second)
    ingest_repository(store, repo.path)
    with store.read() as conn:
        owners = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
        assert owners["github:ada-l"] == owners["ada@example.com"]
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 1
    # Another Ada with another address, then a noreply address under the name: whose is it? Nobody's.
    repo.commit({"c.txt": "c\n"}, "three", author=("Ada Lovelace", "ada@elsewhere.example"))
    ingest_repository(store, repo.path)
    repo.commit({"d.txt": "d\n"}, "four", author=("Ada Lovelace", "7+other-ada@users.noreply.github.com"))
    ingest_repository(store, repo.path)
    with store.read() as conn:
        owners = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
    assert owners["ada@elsewhere.example"] != owners["ada@example.com"]
    assert owners["github:other-ada"] not in {owners["ada@example.com"], owners["ada@elsewhere.example"]}


def test_resolver_reads_only_the_identities_and_names_it_meets(store):
    """An incremental ingest meets a few people; the organisation has thousands: no whole-table reads."""
    from sqlalchemy import event

    with store.write() as conn:
        IdentityResolver(conn).prepare([(f"Person {i}", f"p{i}@example.com") for i in range(300)])
    statements: list[str] = []
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        with store.write() as conn:
            resolver = IdentityResolver(conn)
            p7 = resolver.person_for("Person 7", "P7@example.com")
            resolver.prepare([("Newcomer Two", "new@example.com"), ("Person 8", "p8@example.com"), ("Person 9", "9+p9@users.noreply.github.com")])
            assert resolver.person_for("Person 9", "9+p9@users.noreply.github.com") == resolver.person_for("Person 9", "p9@example.com")
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    reads = [
        s for s in statements
        if s.lstrip().upper().startswith("SELECT") and ("FROM identities" in s or "FROM people" in s) and "max(" not in s  # new ids: one index seek
    ]
    assert reads and all("WHERE" in s for s in reads), reads
    with store.read() as conn:
        assert conn.execute(select(people.c.name).where(people.c.id == p7)).scalar_one() == "Person 7"


def test_an_alias_added_later_joins_people_already_stored(store, repo):
    """Aliases apply to identities met from then on, and `rules` joins the people already stored."""
    from foundermode.ingest import apply_rules

    old = ("A. Lovelace", "ada@old-company.com")
    repo.commit({"a.txt": "a\n"}, "one", author=ADA)
    repo.commit({"b.txt": "b\nb\n"}, "two", author=old)
    repo.commit({"c.txt": "c\n"}, "three\n\nCo-authored-by: A. Lovelace <ada@old-company.com>", author=BOB)
    result = ingest_repository(store, repo.path)
    compute_ownership(store, result.repo_id)

    def by_person():
        with store.read() as conn:
            owner = dict(conn.execute(select(identities.c.key, identities.c.person_id)).all())
            commit_counts = dict(conn.execute(select(commits.c.author_id, func.count()).group_by(commits.c.author_id)).all())
            lines = dict(conn.execute(select(ownership.c.person_id, func.sum(ownership.c.lines)).group_by(ownership.c.person_id)).all())
            coauthor_people = set(conn.execute(select(coauthors.c.person_id)).scalars())
        return owner, commit_counts, lines, coauthor_people

    owner, counts, lines, coauthor_people = by_person()
    assert owner["ada@example.com"] != owner["ada@old-company.com"]
    config = Config(raw={"identities": {"aliases": {"ada@example.com": ["ada@old-company.com"]}}})
    assert apply_rules(store, config)["merged_people"] == 1
    owner, counts, lines, coauthor_people = by_person()
    ada = owner["ada@example.com"]
    assert owner["ada@old-company.com"] == ada
    assert (counts[ada], lines[ada], coauthor_people) == (2, 3, {ada})
    assert apply_rules(store, config)["merged_people"] == 0  # nothing left to join


def test_ingest_joins_people_an_alias_names(tmp_path, repo):
    """The command line applies new aliases before it ingests."""
    from typer.testing import CliRunner

    from foundermode.cli import app

    repo.commit({"a.txt": "a\n"}, "one", author=ADA)
    repo.commit({"b.txt": "b\n"}, "two", author=("A. Lovelace", "ada@old-company.com"))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "foundermode.toml"
    config.write_text("")
    assert CliRunner().invoke(app, ["--db", db, "--config", str(config), "ingest", "git", str(repo.path), "--json"]).exit_code == 0
    config.write_text('[identities.aliases]\n"ada@example.com" = ["ada@old-company.com"]\n')
    outcome = CliRunner().invoke(app, ["--db", db, "--config", str(config), "people", "--json"])
    assert outcome.exit_code == 0 and len(json.loads(outcome.stdout)) == 2  # listing changes nothing
    assert CliRunner().invoke(app, ["--db", db, "--config", str(config), "ingest", "git", str(repo.path), "--json"]).exit_code == 0
    outcome = CliRunner().invoke(app, ["--db", db, "--config", str(config), "people", "--json"])
    assert len(json.loads(outcome.stdout)) == 1


def test_merge_people_moves_work_and_survives_reingest(store, repo):
    repo.commit({"a.txt": "a\n"}, "one", author=ADA)
    repo.commit({"b.txt": "b\n"}, "two", author=("Ada at home", "ada@home.example.com"))
    repo.commit({"c.txt": "c\n"}, "three\n\nCo-authored-by: Ada at home <ada@home.example.com>", author=BOB)
    ingest_repository(store, repo.path)
    compute_ownership(store, 1)
    with store.write() as conn:
        keep, other = find_person(conn, "ada@example.com"), find_person(conn, "ada@home.example.com")
        merge_people(conn, keep, other)
    repo.commit({"d.txt": "d\n"}, "four", author=("Ada at home", "ada@home.example.com"))
    ingest_repository(store, repo.path)
    with store.read() as conn:
        counts = dict(conn.execute(select(commits.c.author_id, func.count()).group_by(commits.c.author_id)).all())
        owned = dict(conn.execute(select(ownership.c.person_id, func.sum(ownership.c.lines)).group_by(ownership.c.person_id)).all())
        assert conn.execute(select(people.c.id).where(people.c.id == other)).first() is None
    assert counts[keep] == 3
    assert owned[keep] == 2  # a.txt and b.txt


def test_same_name_merge_is_opt_in(store, repo):
    from foundermode.store.queries import same_name_people

    repo.commit({"a.txt": "a\n"}, "work", author=("Rafael França", "rafael@work.example.com"))
    repo.commit({"b.txt": "b\n"}, "home", author=("Rafael França", "rafael@home.example.com"))
    repo.commit({"c.txt": "c\n"}, "root", author=("root", "root@box1"))
    repo.commit({"d.txt": "d\n"}, "root", author=("root", "root@box2"))
    ingest_repository(store, repo.path)
    with store.read() as conn:
        groups = same_name_people(conn)
    assert {g["name"]: len(g["people"]) for g in groups} == {"Rafael França": 2, "root": 2}
    config = Config(raw={"identities": {"merge_same_name": True}})
    with store.write() as conn:
        resolver = IdentityResolver.from_config(conn, config)
        # two people already carry the name: ambiguous, so a new address stays apart
        assert resolver.person_for("Rafael França", "rafael@third.example.com") not in groups[0]["people"]
        resolver.prepare([("Grace Hopper", "grace@a.example.com"), ("Grace  Hopper", "grace@b.example.com"), ("root", "root@box3")])
        assert resolver.person_for("Grace Hopper", "grace@a.example.com") == resolver.person_for("", "grace@b.example.com")
        assert resolver.person_for("", "root@box3") not in (resolver.person_for("", "root@box1"), resolver.person_for("", "root@box2"))


def test_find_person_errors(store):
    with store.write() as conn:
        resolver = IdentityResolver(conn)
        resolver.person_for("Sam", "sam1@example.com")
        resolver.person_for("Sam", "sam2@example.com")
        with pytest.raises(LookupError, match="2 people"):
            find_person(conn, "Sam")
        with pytest.raises(LookupError, match="no person"):
            find_person(conn, "nobody@example.com")


# -- org chart ------------------------------------------------------------------------

ORG = """email,name,title,team,manager_email,role
lead@example.com,Lea Lead,VP Engineering,,,executive
mgr@example.com,Max Manager,Engineering Manager,Platform,lead@example.com,manager
ada@example.com,Ada Lovelace,Staff Engineer,Platform,mgr@example.com,engineer
bob@example.com,Bob Builder,Engineer,Platform,mgr@example.com,engineer
"""


def test_org_chart_import_links_people_and_managers(store, repo):
    repo.commit({"a.txt": "a\n"}, "one", author=("ada", "ADA@example.com"))
    ingest_repository(store, repo.path)
    result = import_org_chart(store, parse_org_chart(ORG))
    assert result == {"people": 4, "managers": 2, "teams": 1}
    with store.read() as conn:
        ada = find_person(conn, "ada@example.com")
        row = conn.execute(select(people).where(people.c.id == ada)).mappings().one()
        manager = conn.execute(select(people.c.name).where(people.c.id == row["manager_id"])).scalar()
        author = conn.execute(select(commits.c.author_id)).scalar()
    assert (row["name"], row["team"], row["role"], manager) == ("Ada Lovelace", "Platform", "engineer", "Max Manager")
    assert author == ada  # the git identity and the org chart entry are one person


def test_org_chart_reports_every_bad_row_and_imports_nothing(store):
    bad = ORG + "not-an-email,X,,,,engineer\nzed@example.com,,,,ghost@example.com,wizard\nbob@example.com,Bob Again,,,,engineer\n"
    with pytest.raises(OrgChartError) as error:
        parse_org_chart(bad, "org.csv")
    message = str(error.value)
    assert "org.csv:6: email 'not-an-email' is not an address" in message
    assert "org.csv:7:" in message and "name is empty" in message and "role 'wizard'" in message
    assert "org.csv:8: email 'bob@example.com' already on line 5" in message
    assert "3 bad row(s), nothing imported" in message
    with pytest.raises(OrgChartError, match="missing column"):
        parse_org_chart("email,name\na@b.c,A\n")
    cycle = "email,name,title,team,manager_email,role\na@x.com,A,,,b@x.com,manager\nb@x.com,B,,,a@x.com,manager\n"
    with pytest.raises(OrgChartError, match="loops"):
        parse_org_chart(cycle)
    with pytest.raises(OrgChartError, match="not in the org chart"):
        parse_org_chart("email,name,title,team,manager_email,role\na@x.com,A,,,ghost@x.com,engineer\n")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar() == 0


def test_org_chart_cli_rejects_bad_file(tmp_path):
    from typer.testing import CliRunner

    from foundermode.cli import app

    bad = tmp_path / "org.csv"
    bad.write_text("email,name,title,team,manager_email,role\nx,,,,,boss\n")
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'o.db'}", "ingest", "org", str(bad)])
    assert result.exit_code == 1
    assert "org.csv:2" in result.output


# -- CODEOWNERS ----------------------------------------------------------------------

CODEOWNERS = r"""
# Lines starting with '#' are comments.
*       @org/everyone
*.js    @org/js-owners  # inline comment
**/logs @org/loggers
/build/logs/ @org/build
docs/*  docs@example.com
apps/   @org/apps
/scripts/ @org/scripts @org/ops
/scripts/generated.sh
"""


@pytest.mark.parametrize(
    "path,owners",
    [
        ("README.md", ("@org/everyone",)),
        ("src/app.js", ("@org/js-owners",)),
        ("build/logs/out.txt", ("@org/build",)),
        ("build/logs/deep/x.log", ("@org/build",)),
        ("docs/getting-started.md", ("docs@example.com",)),
        ("docs/build-app/troubleshooting.md", ("@org/everyone",)),  # docs/* does not descend
        ("apps/web/index.js", ("@org/apps",)),  # later rule wins over *.js
        ("nested/apps/x.py", ("@org/apps",)),
        ("deep/inside/logs/a.txt", ("@org/loggers",)),
        ("scripts/deploy.sh", ("@org/scripts", "@org/ops")),
        ("scripts/generated.sh", ()),  # a pattern with no owners un-owns
    ],
)
def test_codeowners_semantics(path, owners):
    assert codeowners.CodeOwners(codeowners.parse(CODEOWNERS)).owners_for(path) == owners


def test_codeowners_read_from_github_folder_first(store, repo):
    repo.commit({"CODEOWNERS": "* @root\n", ".github/CODEOWNERS": "* @github\n/src/ @src-team\n", "src/a.py": "a\n"}, "owners")
    result = ingest_repository(store, repo.path)
    with store.read() as conn:
        rules = codeowners.load(conn, result.repo_id)
    assert rules.owners_for("src/a.py") == ("@src-team",)
    assert rules.owners_for("x.txt") == ("@github",)


def test_codeowners_skips_a_folder_named_codeowners(store, repo):
    """One git call asks for every location; a folder called CODEOWNERS is not the file."""
    repo.commit({"CODEOWNERS/readme.txt": "not rules\n", "docs/CODEOWNERS": "*.md @writers\n", "a.md": "a\n"}, "owners")
    result = ingest_repository(store, repo.path)
    assert codeowners.read_from_repo(repo.path) == ("docs/CODEOWNERS", "*.md @writers\n")
    with store.read() as conn:
        assert codeowners.load(conn, result.repo_id).owners_for("a.md") == ("@writers",)


# -- ownership at HEAD ----------------------------------------------------------------

def serial_blame_totals(path):
    """The plain reference: git blame --line-porcelain, one file after another."""
    totals = collections.Counter()
    files = subprocess.run(["git", "-C", str(path), "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        out = subprocess.run(["git", "-C", str(path), "blame", "--line-porcelain", "-w", "-M", "HEAD", "--", name], capture_output=True)
        if out.returncode != 0 or b"\0" in (path / name).read_bytes()[:8000]:
            continue
        for line in out.stdout.decode(errors="replace").splitlines():
            if line.startswith("author-mail "):
                totals[line[len("author-mail ") :].strip("<>").lower()] += 1
    return totals


def test_surviving_lines_equal_serial_git_blame_and_update_incrementally(store, repo):
    repo.commit({"a.py": "".join(f"a{i}\n" for i in range(30)), "b.py": "b\n" * 10}, "one", author=ADA)
    repo.commit({"a.py": "".join(f"a{i}\n" if i % 3 else f"B{i}\n" for i in range(30)), "c.py": "c\n" * 7}, "two", author=BOB)
    repo.commit({"b.py": "b\n" * 10 + "more\n" * 4, "logo.bin": bytes(range(256))}, "three", author=BOB)
    repo.commit({"a.py": "  " + "".join(f"a{i}\n" if i % 3 else f"B{i}\n" for i in range(30))}, "whitespace only", author=("Cy", "cy@example.com"))
    result = ingest_repository(store, repo.path)
    first = compute_ownership(store, result.repo_id, jobs=2)
    assert first.blamed == 3 and first.reused == 0  # the binary file is not blamed

    def ours():
        with store.read() as conn:
            rows = conn.execute(
                select(people.c.email, func.sum(ownership.c.lines)).join(people, people.c.id == ownership.c.person_id).group_by(people.c.email)
            ).all()
        return {email: lines for email, lines in rows}

    expected = serial_blame_totals(repo.path)
    assert ours() == dict(expected)
    assert "cy@example.com" not in ours()  # whitespace-only change owns nothing
    repo.commit({"c.py": "c\n" * 7 + "new\n"}, "four", author=ADA)
    repo.git("rm", "-q", "b.py")
    repo.commit(None, "drop b", author=ADA)
    ingest_repository(store, repo.path)
    second = compute_ownership(store, result.repo_id)
    assert (second.blamed, second.reused, second.removed) == (1, 1, 1)
    assert ours() == dict(serial_blame_totals(repo.path))
    with store.read() as conn:
        assert set(conn.execute(select(ownership_files.c.path)).scalars()) == {"a.py", "c.py"}


def test_blames_start_with_the_costliest_files(store, repo):
    """Ownership blames the files with most versions x bytes first; sizes are git's own."""
    from foundermode.sources.ownership import head_files_with_sizes, longest_first, recorded_versions

    repo.commit({"small.py": "s\n", "big.py": "b\n" * 400, "busy.py": "x\n"}, "one")
    for i in range(6):
        repo.commit({"busy.py": "".join(f"x{j}\n" for j in range(i + 2))}, f"busy {i}")
    repo.commit({"logo.bin": bytes(range(256))}, "binary")
    result = ingest_repository(store, repo.path)
    files = head_files_with_sizes(repo.path)
    assert set(files) == {"small.py", "big.py", "busy.py"}  # binaries are never blamed
    for path, (blob, size) in files.items():
        assert blob == repo.git("rev-parse", f"HEAD:{path}").strip()
        assert size == int(repo.git("cat-file", "-s", blob))
    with store.read() as conn:
        versions = recorded_versions(conn, result.repo_id)
    assert versions == {"small.py": 1, "big.py": 1, "busy.py": 7, "logo.bin": 1}
    sizes = {path: size for path, (_blob, size) in files.items()}
    # big.py: (1 + 1) versions x 800 bytes outweighs busy.py: (7 + 1) x 16 bytes; small.py is cheapest.
    assert longest_first(sorted(files), versions, sizes) == ["big.py", "busy.py", "small.py"]


# -- config -------------------------------------------------------------------------------

def test_config_errors_name_key_and_line(tmp_path):
    path = tmp_path / "foundermode.toml"
    path.write_text('[store]\nurl = "postgres://u@h/db"\n\n[identities]\naliases = "oops"\n')
    with pytest.raises(ConfigError, match=r"key 'identities.aliases', line 5"):
        load_config(path)  # the whole file is checked when it is loaded
    path.write_text('[store]\nurl = "postgres://u@h/db"\n')
    assert load_config(path).database_url() == "postgresql+psycopg://u@h/db"
    path.write_text("[store\n")
    with pytest.raises(ConfigError, match="foundermode.toml"):
        load_config(path)


def test_init_writes_commented_config(tmp_path):
    from typer.testing import CliRunner

    from foundermode.cli import app

    result = CliRunner().invoke(app, ["init", str(tmp_path / "org")])
    assert result.exit_code == 0
    text = (tmp_path / "org" / "foundermode.toml").read_text()
    assert text.count("#") > 5 and "[rules]" in text
    assert (tmp_path / "org" / ".foundermode").is_dir()
    assert load_config(tmp_path / "org" / "foundermode.toml").database_url().endswith(".foundermode/foundermode.db")
    assert re.search(r"_env", text)


def test_commit_graph_with_bloom_filters_is_written_for_blame(repo):
    from foundermode.sources.ownership import write_commit_graph

    repo.commit({"a.txt": "a\n"}, "one")
    assert write_commit_graph(repo.path)
    graph = repo.path / ".git" / "objects" / "info" / "commit-graph"
    assert graph.exists()
    assert b"BIDX" in graph.read_bytes()  # the changed-path Bloom filter index chunk


def blamed_commits(path, rev, name: bytes) -> list[str]:
    """The commit git blame gives each line of a file, in line order."""
    out = subprocess.run(["git", "-C", str(path), "blame", "--porcelain", "-w", "-M", rev, "--", name], capture_output=True, check=True).stdout
    by_line = {}
    for line in out.split(b"\n"):
        fields = line.split(b" ")
        if len(fields) >= 3 and len(fields[0]) == 40 and fields[1].isdigit() and fields[2].isdigit():
            by_line[int(fields[2])] = fields[0].decode()
    return [by_line[n] for n in sorted(by_line)]


def test_blames_start_below_head_where_nothing_above_changed_the_file(store, repo, monkeypatch):
    """Each blame starts at the first first-parent commit that changed its file, and gives the same lines as one from HEAD.

    Through a side branch, an evil merge, a path deleted and added again and a
    non-UTF-8 name; ownership then equals a serial blame from HEAD.
    """
    from foundermode.sources import ownership as own

    cy = ("Cy Young", "cy@example.com")
    latin1 = "caf\xe9.txt".encode("latin-1")
    first = repo.commit({"old.py": "".join(f"old{i}\n" for i in range(20)), "busy.py": "b\n" * 5, "gone.py": "g\n", os.fsdecode(latin1): "bonjour\n"}, "one", author=ADA)
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"side.py": "s\n" * 5, "busy.py": "b\n" * 5 + "from side\n"}, "side work", author=BOB)
    repo.git("checkout", "-q", "main")
    repo.commit({"main.py": "m\n" * 3}, "main work", author=ADA)
    merge = repo.merge("side", author=cy)
    repo.git("checkout", "-q", "-b", "side2")
    repo.commit({"busy.py": "b\n" * 5 + "from side\n" + "side2\n"}, "side2 work", author=BOB)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "--no-ff", "--no-commit", "-q", "side2")
    evil = repo.commit({"busy.py": "b\n" * 5 + "from side\n" + "side2\n" + "evil\n"}, "merge side2, with an edit", author=cy)
    repo.commit({"gone.py": None}, "drop gone", author=ADA)
    back = repo.commit({"gone.py": "back\n" * 2}, "gone is back", author=BOB)
    for i in range(5):
        repo.commit({"main.py": "m\n" * (4 + i)}, f"later {i}", author=ADA)
    names = [n for n in subprocess.run(["git", "-C", str(repo.path), "ls-files", "-z"], capture_output=True, check=True).stdout.split(b"\0") if n]

    starts = own.blame_starts(repo.path, "HEAD", set(names))
    assert starts[b"old.py"] == first and starts[latin1] == first
    assert starts[b"side.py"] == merge  # brought in by the merge: its first parent has no side.py
    assert starts[b"busy.py"] == evil
    assert starts[b"gone.py"] == back
    assert starts[b"main.py"] == repo.head()
    for name in names:
        assert blamed_commits(repo.path, starts[name], name) == blamed_commits(repo.path, "HEAD", name), name
    assert own.blame_starts(repo.path, "HEAD", {b"main.py"}) == {b"main.py": repo.head()}  # stops at the first find

    monkeypatch.setattr(own, "COMMIT_GRAPH_MIN_FILES", 1)  # prepare starts even for this small repository
    result = ingest_repository(store, repo.path)
    outcome = own.compute_ownership(store, result.repo_id, jobs=2)
    assert (outcome.blamed, outcome.errors) == (len(names), 0)  # the non-UTF-8 name is blamed by git's own bytes
    expected = collections.Counter()
    emails = {sha: email for sha, email in (line.split(" ") for line in repo.git("log", "--all", "--format=%H %ae").split("\n") if line)}
    for name in names:
        expected.update(emails[sha] for sha in blamed_commits(repo.path, "HEAD", name))
    with store.read() as conn:
        rows = conn.execute(select(people.c.email, func.sum(ownership.c.lines)).join(people, people.c.id == ownership.c.person_id).group_by(people.c.email)).all()
        assert "caf\xe9.txt" in set(conn.execute(select(ownership_files.c.path)).scalars())
    assert dict(rows) == dict(expected)
    assert expected["cy@example.com"] == 1  # the evil merge's own line
