"""A review queue is a bottleneck, heard twice (issue 17): a generated org whose reviewer holds up two
people's pull requests; through the command line (ingest org, ingest github, tick) to a real SMTP
server (aiosmtpd) on loopback; the owner is the reviewer's manager from the org chart."""
from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from foundermode.cli import app
from foundermode.sources import pulls_samples as s
from foundermode.store import open_store
from foundermode.store.schema_bottlenecks import blocker_reports, bottlenecks, escalations

D = 86_400
H = 3_600
NOW = 1_710_151_200  # Monday 11 March 2024, 10:00 UTC: working hours, so the call is booked today
REPO = "northwind/api"

# A generated org: a leader, two managers, their engineers. Cy reviews for everyone; Mia manages Cy.
ORG = [
    ("lee@northwind.example", "Lee Park", "CEO", "", "", "executive"),
    ("mia@northwind.example", "Mia Chen", "Engineering Manager", "Platform", "lee@northwind.example", "manager"),
    ("ole@northwind.example", "Ole Berg", "Engineering Manager", "Product", "lee@northwind.example", "manager"),
    ("cy@northwind.example", "Cy Young", "Staff Engineer", "Platform", "mia@northwind.example", "engineer"),
    ("ada@northwind.example", "Ada Byron", "Engineer", "Product", "ole@northwind.example", "engineer"),
    ("bob@northwind.example", "Bob Stone", "Engineer", "Product", "ole@northwind.example", "engineer"),
    ("dee@northwind.example", "Dee Ray", "Engineer", "Platform", "mia@northwind.example", "engineer"),
]
LOGINS = {"cy@northwind.example": "cy-young", "ada@northwind.example": "ada-b", "bob@northwind.example": "bobstone",
          "dee@northwind.example": "dee"}


def config_text(smtp) -> str:
    aliases = "\n".join(f'"{email}" = ["github:{login}"]' for email, login in LOGINS.items())
    return f"""
[org]
leader = "lee@northwind.example"

[reviews]
queue_days = 2

[identities.aliases]
{aliases}

[notify.email]
host = "{smtp.host}"
port = {smtp.port}
sender = "foundermode <fm@northwind.example>"
"""


def export(folder, *, reviewed: bool = False) -> None:
    """#1 ada and #2 bob wait on cy for 3 and 4 days; #3 ada waits on cy for a day; #4 dee waits on bob (one author: no bottleneck).
    ``reviewed``: cy has reviewed #1, #2 and #3 (GitHub drops a reviewer from requested_reviewers on review)."""
    cy = LOGINS["cy@northwind.example"]
    waits = {1: ("ada-b", NOW - 3 * D, cy), 2: ("bobstone", NOW - 4 * D, cy), 3: ("ada-b", NOW - D, cy), 4: ("dee", NOW - 5 * D, "bobstone")}
    pulls, later = [], NOW + H
    for number, (author, asked, reviewer) in waits.items():
        done = reviewed and reviewer == cy
        pulls.append(s.pull(REPO, number, author, asked - H, updated=later if done else asked, title=f"Change <{number}>",
                            requested=[] if done else [reviewer]))
        s.write_pages(folder / f"timeline-{number}.json", [s.timeline_review_requested(REPO, number, author, reviewer, asked)])
        if done:
            s.write_pages(folder / f"pr-{number}-reviews.json", [s.review(REPO, number, cy, "APPROVED", later)])
    s.write_pages(folder / "pulls.json", pulls)


def invoke(args, *more):
    result = CliRunner().invoke(app, [*args, *more], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def escalation_mail(smtp):
    return [m for m in smtp.messages if m["Subject"].startswith("[foundermode] Bottleneck")]


def test_a_reviewer_holding_up_two_people_is_one_bottleneck_escalated_once_to_their_manager(tmp_path, store_url, smtp_server):
    (tmp_path / "foundermode.toml").write_text(config_text(smtp_server), encoding="utf-8")
    org = tmp_path / "org.csv"
    org.write_text("email,name,title,team,manager_email,role\n" + "".join(",".join(row) + "\n" for row in ORG), encoding="utf-8")
    export(tmp_path / "export")
    args = ["--db", store_url.replace("postgresql+psycopg://", "postgresql://"), "--config", str(tmp_path / "foundermode.toml")]
    invoke(args, "ingest", "org", str(org))
    invoke(args, "ingest", "github", str(tmp_path / "export"))

    invoke(args, "tick", "--now", str(NOW))
    store = open_store(store_url)
    try:
        with store.read() as conn:
            opened = conn.execute(select(bottlenecks)).mappings().all()
            reports = conn.execute(select(blocker_reports).order_by(blocker_reports.c.id)).mappings().all()
            chains = conn.execute(select(escalations)).mappings().all()
        assert len(opened) == 1, "one reviewer, one bottleneck; bob's queue holds up one person only"
        assert opened[0]["resource"] == "Cy Young's review queue" and opened[0]["status"] == "escalated"
        # the pull requests are the reports, by their authors, with links; #3 has waited a day only (queue_days = 2)
        assert sorted(r["heard_where"] for r in reports) == [f"{REPO}#1", f"{REPO}#2"]
        assert {r["heard_link"] for r in reports} == {f"https://github.com/{REPO}/pull/1", f"https://github.com/{REPO}/pull/2"}
        assert all(r["source"] == "reviews" and r["heard_in"] == "review" for r in reports)
        assert len(chains) == 1 and chains[0]["holder"] == "mia@northwind.example"
        assert json.loads(chains[0]["chain"])["owner"] == "mia@northwind.example"
    finally:
        store.dispose()

    mail = escalation_mail(smtp_server)
    assert [m["To"].addresses[0].addr_spec for m in mail] == ["mia@northwind.example"]
    body = mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "Cy Young's review queue" in mail[0]["Subject"] and "Ada Byron" in body and "Bob Stone" in body
    assert f"{REPO}#1" in body and f"{REPO}#2" in body

    # Idempotent: the same tick again, the same export again, the command by hand: nothing added, nothing sent twice.
    invoke(args, "tick", "--now", str(NOW + 60))
    invoke(args, "ingest", "github", str(tmp_path / "export"))
    out = json.loads(invoke(args, "reviews", "escalate", "--now", str(NOW + 120), "--json"))
    assert out["reports"] == 0 and out["escalated"] == [] and out["queues"][0]["owner_is"] == "manager"
    assert len(escalation_mail(smtp_server)) == 1

    # A day later #3 has waited two days too: it joins the same bottleneck, which is not escalated again.
    invoke(args, "tick", "--now", str(NOW + D + 60))
    store = open_store(store_url)
    try:
        with store.read() as conn:
            assert conn.execute(select(bottlenecks.c.id)).all() == [(opened[0]["id"],)]
            assert sorted(conn.execute(select(blocker_reports.c.heard_where)).scalars()) == [f"{REPO}#1", f"{REPO}#2", f"{REPO}#3"]
            assert len(conn.execute(select(escalations)).all()) == 1
    finally:
        store.dispose()
    owner_mail = [m for m in escalation_mail(smtp_server) if m["To"].addresses[0].addr_spec == "mia@northwind.example"]
    assert len(owner_mail) == 2  # the chain's own repeat of its first step (30 minutes, unacknowledged): nothing more

    # Cy reviews all three: the queue drains and the bottleneck is resolved.
    export(tmp_path / "export", reviewed=True)
    invoke(args, "ingest", "github", str(tmp_path / "export"))
    invoke(args, "tick", "--now", str(NOW + D + 2 * H))
    store = open_store(store_url)
    try:
        with store.read() as conn:
            assert conn.execute(select(bottlenecks.c.status)).scalars().all() == ["resolved"]
    finally:
        store.dispose()


def test_owner_falls_back_to_the_leader_without_a_manager(tmp_path, store, smtp_server):
    from foundermode.bottlenecks.review_queue import hear_queues
    from foundermode.config import load_config
    from foundermode.ingest_reviews import ingest_files

    (tmp_path / "foundermode.toml").write_text(config_text(smtp_server), encoding="utf-8")
    config = load_config(tmp_path / "foundermode.toml")
    export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])  # no org chart: nobody has a manager
    result = hear_queues(store, config, NOW)
    assert [(q["reviewer"], q["owner"], q["owner_is"], q["authors"]) for q in result.queues] == [("cy", "lee@northwind.example", "leader", 2)]
    assert len(result.escalated) == 1 and result.reports == 2
    again = hear_queues(store, config, NOW + 60)
    assert again.reports == 0 and again.escalated == [] and again.opened == []


def test_owner_is_the_code_owner_when_the_reviewer_has_no_manager(tmp_path, store, smtp_server, make_repo):
    from foundermode.bottlenecks.review_queue import hear_queues
    from foundermode.config import load_config
    from foundermode.ingest import ingest_repository
    from foundermode.ingest_reviews import ingest_files

    text = config_text(smtp_server).replace("[identities.aliases]\n", '[identities.aliases]\n"ole@northwind.example" = ["github:ole-b"]\n')
    (tmp_path / "foundermode.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "foundermode.toml")
    repo = make_repo("api")  # the clone of northwind/api
    repo.commit({".github/CODEOWNERS": "*       @ole-b @cy-young\n/docs/  @dee\n", "app.py": "x = 1\n"}, "Owners", author=("Ole Berg", "ole@northwind.example"))
    ingest_repository(store, repo.path, config)
    export(tmp_path / "export")
    ingest_files(store, config, [tmp_path / "export"])
    result = hear_queues(store, config, NOW)
    assert [(q["owner"], q["owner_is"]) for q in result.queues] == [("ole@northwind.example", "code owner")]
