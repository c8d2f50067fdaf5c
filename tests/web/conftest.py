"""A small organisation for the web tests, on the ``store`` fixture (SQLite, and PostgreSQL when configured).

Lee leads (``[org] leader``), Grace owns the GPU cluster (a resource that
depends on the vendor Acme Cloud), Ada and Bob are engineers. A git history
with their commits is ingested for real; blockers go through the library's intake.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from conftest import init_repo

NOW = 1710151200  # Monday 11 March 2024, 10:00 UTC
DAY = 86_400
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"

CONFIG = """
[org]
leader = "lee@example.com"

[slack]
signing_secret_env = "FM_WEB_TEST_SLACK"

[[vendors]]
name = "Acme Cloud"
contact = "support@acme.example"

[[resources]]
name = "GPU cluster"
keywords = ["gpu", "cuda"]
owner = "grace@example.com"
depends_on = "Acme Cloud"
threshold = 2

[[resources.chain]]
notify = "owner"
channels = ["email"]
wait = "2h"
"""

ORG = """email,name,title,team,manager_email,role
lee@example.com,Lee Leader,CTO,Leadership,,executive
grace@example.com,Grace Hopper,Infra engineer,Infra,lee@example.com,engineer
ada@example.com,Ada Lovelace,Engineer,Platform,lee@example.com,engineer
bob@example.com,Bob Builder,Engineer,Platform,lee@example.com,engineer
"""

PEOPLE = {"leader": "lee@example.com", "owner": "grace@example.com", "engineer": "bob@example.com", "ada": "ada@example.com"}


class Clock:
    def __init__(self, now: int):
        self.now = now

    def __call__(self) -> int:
        return self.now


@dataclass
class Org:
    store: object
    config: object
    app: object
    clock: Clock
    ids: dict = field(default_factory=dict)  # role -> person id
    tokens: dict = field(default_factory=dict)  # role -> bearer secret

    def bearer(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def client(self, role: str | None = None) -> TestClient:
        """A browser-like client: signed in through the token form when ``role`` is given."""
        client = TestClient(self.app, follow_redirects=False)
        if role:
            client.get("/login")
            response = client.post("/login/token", data={"token": self.tokens[role], "csrf": client.cookies.get("fm_login_csrf"), "next": "/"})
            assert response.status_code == 303, response.text
        return client

    def csrf(self, client: TestClient) -> str:
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(self.app.state.secret_key, salt="foundermode.session").loads(client.cookies.get("fm_session"))["c"]

    def report(self, role: str, text: str):
        from foundermode.bottlenecks.intake import report

        self.clock.now += 60
        return report(self.store, self.config, text=text, person_id=self.ids[role], source="api", now=self.clock.now)

    def escalated_gpu_bottleneck(self, text: str = "the gpu cluster is down again") -> int:
        """A fresh GPU cluster bottleneck reported by Ada and Bob, escalated by the tick (earlier open ones resolved first)."""
        from foundermode.bottlenecks import actions, board
        from foundermode.bottlenecks.engine import tick

        with self.store.read() as conn:
            open_ids = [b["id"] for b in board.list_bottlenecks(conn, self.clock.now)]
        for bottleneck_id in open_ids:
            actions.resolve(self.store, self.config, bottleneck_id, self.ids["leader"], self.clock.now)
        first = self.report("ada", text)
        second = self.report("engineer", "GPU cluster: cuda jobs fail to start, " + text)
        assert second.bottleneck_id == first.bottleneck_id
        tick(self.store, self.config, self.clock.now, deliver=False)
        return first.bottleneck_id


def build_history(path) -> None:
    repo = init_repo(path)
    start = NOW - 60 * DAY
    repo.commit({"api/app.py": "app = 0\n", "infra/gpu.tf": "gpu {}\n", "docs/readme.md": "docs\n"}, "Initial import", author=("Ada Lovelace", "ada@example.com"), when=start)
    for week in range(8):
        base = start + week * 7 * DAY + DAY
        repo.commit({"api/app.py": f"app = {week + 1}\n"}, f"API change {week}", author=("Ada Lovelace", "ada@example.com"), when=base)
        repo.commit({"api/routes.py": f"routes = {week}\n"}, f"Routes {week} {XSS}", author=("Bob Builder", "bob@example.com"), when=base + 3600)
        repo.commit({"infra/gpu.tf": f"gpu {{ size = {week + 1} }}\n"}, f"GPU size {week}", author=("Grace Hopper", "grace@example.com"), when=base + 7200)


@pytest.fixture
def org(store, tmp_path, monkeypatch) -> Org:
    from foundermode.config import load_config
    from foundermode.ingest import ingest_repository
    from foundermode.sources.identities import find_person
    from foundermode.sources.org import import_org_chart, parse_org_chart
    from foundermode.web.app import create_app
    from foundermode.web.tokens import create_token

    monkeypatch.setenv("FOUNDERMODE_SECRET_KEY", "test-secret-key-for-web-tests")
    monkeypatch.setenv("FM_WEB_TEST_SLACK", "slack-signing-secret")
    path = tmp_path / "foundermode.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    build_history(tmp_path / "acme")
    import_org_chart(store, parse_org_chart(ORG), config)
    ingest_repository(store, tmp_path / "acme", config)
    clock = Clock(NOW)
    org = Org(store, config, create_app(store, config, clock=clock), clock)
    with store.write() as conn:
        for role, email in PEOPLE.items():
            org.ids[role] = find_person(conn, email)
            org.tokens[role] = create_token(conn, org.ids[role], NOW, "web test")[1]
    return org
