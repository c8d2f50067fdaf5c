"""Shared fixtures: real git repositories made with the git binary, and real stores.

``store`` runs each test on a fresh SQLite file and, when FOUNDERMODE_TEST_PG
names a PostgreSQL server (``.ci/run`` starts one), on a fresh database there.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_ENV = "FOUNDERMODE_TEST_PG"
BASE_TIME = 1_700_000_000  # 2023-11-14, a fixed clock for reproducible histories


def git(cwd: Path, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
    full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd), **(env or {})}
    result = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True, input=input)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode("utf-8", errors="replace")


@dataclass
class Repo:
    """A git repository built by a test, with a deterministic clock."""

    path: Path
    clock: int = BASE_TIME
    branch: str = "main"
    authors: list = field(default_factory=list)

    def git(self, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
        return git(self.path, *args, env=env, input=input)

    def write(self, files: dict) -> None:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def commit(
        self,
        files: dict | None = None,
        message: str = "change",
        author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
        committer: tuple[str, str] | None = None,
        when: int | None = None,
        allow_empty: bool = False,
    ) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.clock = when if when is not None else self.clock + 3600
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": f"@{self.clock} +0000",
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": f"@{self.clock} +0000",
        }
        args = ["commit", "-q", "-m", message] + (["--allow-empty"] if allow_empty or not files else [])
        self.git(*args, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def merge(self, branch: str, author=("Ada Lovelace", "ada@example.com"), message: str | None = None) -> str:
        self.clock += 3600
        env = {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": f"@{self.clock} +0000",
            "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": f"@{self.clock} +0000",
        }
        self.git("merge", "--no-ff", "-q", "-m", message or f"Merge {branch}", branch, env=env)
        return self.head()


def init_repo(path: Path, branch: str = "main") -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Fixture")
    git(path, "config", "user.email", "fixture@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return Repo(path=path, branch=branch)


@pytest.fixture
def make_repo(tmp_path):
    counter = iter(range(10_000))

    def factory(name: str | None = None, branch: str = "main") -> Repo:
        return init_repo(tmp_path / (name or f"repo{next(counter)}"), branch=branch)

    return factory


@pytest.fixture
def repo(make_repo) -> Repo:
    return make_repo("project")


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


def _backend_params():
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]


@pytest.fixture
def fresh_pg_url():
    """A new, empty PostgreSQL database; dropped afterwards."""
    admin = pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (bash .ci/start-postgres prints a URL)")
    import psycopg

    name = f"fm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=_backend_params())
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'foundermode.db'}"
    return request.getfixturevalue("fresh_pg_url")


@pytest.fixture
def store(store_url):
    from foundermode.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    from foundermode.store import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'solo' / 'foundermode.db'}")
    yield opened
    opened.dispose()


SHARED_DATA = Path(os.environ.get("FOUNDERMODE_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")  # a worktree names it


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA


def fast_history(path: Path, commits: int, authors: int = 5, files: int = 50, start: int = BASE_TIME, branch: str = "main") -> Path:
    """A repository with many commits, written in one go by git fast-import (seconds, not minutes)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    lines: list[bytes] = []
    contents = [0] * files
    for i in range(commits):
        author = i % authors
        stamp = start + i * 600
        message = f"commit {i}\n".encode()
        lines.append(f"commit refs/heads/{branch}\n".encode())
        lines.append(f"author Dev {author} <dev{author}@example.com> {stamp} +0000\n".encode())
        lines.append(f"committer Dev {author} <dev{author}@example.com> {stamp} +0000\n".encode())
        lines.append(b"data %d\n" % len(message) + message)
        for j in ((i * 7) % files, (i * 13 + 1) % files):
            contents[j] += 1
            body = "".join(f"line {k} of file {j}\n" for k in range(contents[j])).encode()
            lines.append(f"M 100644 inline src/mod{j % 5}/file{j}.py\n".encode())
            lines.append(b"data %d\n" % len(body) + body)
        lines.append(b"\n")
    git(path, "fast-import", "--quiet", input=b"".join(lines))
    git(path, "checkout", "-q", "-f", branch)
    return path


# -- real receivers on loopback for notify/ and bottlenecks/ -----------------------------
# smtp_server: aiosmtpd on 127.0.0.1 keeping every message it accepts (make_smtp_server
# takes extra Controller arguments: authenticator, tls_context, ...).
# http_receiver: a threaded http.server on 127.0.0.1 recording every request; down()
# closes its socket (connections refused), up() reopens the same port, .status sets the
# answer (500 plays a broken receiver), .received() lists the accepted (2xx) requests.


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list = field(default_factory=list)  # (envelope sender, envelope recipients, parsed EmailMessage)
    refuse: set = field(default_factory=set)  # recipient addresses answered "550 no such user"

    @property
    def messages(self) -> list:
        return [message for _sender, _rcpts, message in list(self.received)]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd handler hook
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        import email
        import email.policy

        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def make_smtp_server():
    from aiosmtpd.controller import Controller

    controllers = []

    def factory(**controller_kwargs) -> SmtpServer:
        server = SmtpServer(host="127.0.0.1", port=free_port())
        controller = Controller(server, hostname=server.host, port=server.port, **controller_kwargs)
        controller.start()
        controllers.append(controller)
        return server

    yield factory
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(make_smtp_server) -> SmtpServer:
    return make_smtp_server()


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: bytes
    status: int  # what the receiver answered

    def json(self):
        import json

        return json.loads(self.body)


class HttpReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        import threading

        self.host = host
        self.port = port or free_port()
        self.requests: list[ReceivedRequest] = []  # every request, whatever was answered
        self.status = 200
        self.reply = b"ok"
        self.delay = 0.0  # seconds before answering: widens race windows, never asserted on
        self.lock = threading.Lock()
        self._server = None
        self._thread = None
        self.up()

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _handler(self):
        import time
        from http.server import BaseHTTPRequestHandler

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                with receiver.lock:
                    receiver.requests.append(ReceivedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        return Handler

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def up(self) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        if self._server is not None:
            return
        server = ThreadingHTTPServer((self.host, self.port), self._handler())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Close the listening socket: from now on connections are refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def received(self, path: str | None = None) -> list[ReceivedRequest]:
        """The requests it accepted (answered 2xx), optionally for one path."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300 and (path is None or r.path == path)]


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.down()


CHROMIUM = os.environ.get("FOUNDERMODE_CHROMIUM", "/usr/bin/chromium")
# Background networking off: this machine's closed network would refuse Chromium's own calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads)."""
    import shutil

    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set FOUNDERMODE_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
