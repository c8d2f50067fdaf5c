"""Real receivers on loopback for the notification channels.

``smtp_server``: an aiosmtpd server on 127.0.0.1 that keeps every message it accepts.
``http_receiver``: a threaded http.server on 127.0.0.1 that records every request;
``down()`` closes its socket (connections are refused), ``up()`` brings it back on
the same port, ``status`` sets the answer (e.g. 500 to play a broken receiver).
"""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    # (envelope sender, envelope recipients, parsed message) for each accepted message
    received: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [message for _sender, _rcpts, message in self.received]

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


@dataclass
class Request:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: bytes
    status: int  # what the receiver answered

    def json(self):
        return json.loads(self.body)


class HttpReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port()
        self.requests: list[Request] = []  # every request, answered with any status
        self.status = 200
        self.reply = b"ok"
        self.delay = 0.0  # seconds before answering: widens race windows, never asserted on
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.up()

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                with receiver.lock:
                    receiver.requests.append(request)
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

    def received(self, path: str | None = None) -> list[Request]:
        """The requests it accepted (answered 2xx), optionally for one path."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300 and (path is None or r.path == path)]


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.down()
