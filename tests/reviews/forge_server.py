"""A GitHub REST API on loopback: the scenario's payloads, paginated with real Link headers,
ETags answered 304, and rate-limit refusals (primary and secondary) on demand."""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class FakeGitHub:
    data: dict  # scenario.build(api=...) output
    page_size: int = 2
    log: list = field(default_factory=list)  # (path, query dict, status)
    refusals: list = field(default_factory=list)  # [(path regex, "primary"|"secondary"|"500"|"404")], each used once
    base: str = ""

    def etag(self, body) -> str:
        return '"' + hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest() + '"'

    def route(self, path: str, query: dict):
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/(.*)", path)
        if not match:
            return None
        rest = match.group(2)
        if rest == "pulls":
            items = sorted(self.data["pulls"], key=lambda p: p["updated_at"], reverse=True)
            return items
        found = re.fullmatch(r"pulls/(\d+)/reviews", rest)
        if found:
            return self.data["reviews"].get(int(found.group(1)), [])
        found = re.fullmatch(r"issues/(\d+)/timeline", rest)
        if found:
            return self.data["timeline"].get(int(found.group(1)), [])
        if rest == "pulls/comments":
            since = query.get("since")
            return [c for c in self.data["review_comments"] if not since or c["updated_at"] >= since]
        if rest == "releases":
            return self.data["releases"]
        return None


def serve(forge: FakeGitHub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802 - http.server's name
            parsed = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
            for index, (pattern, kind) in enumerate(forge.refusals):
                if re.search(pattern, parsed.path + "?" + parsed.query):
                    del forge.refusals[index]
                    return self.refuse(parsed.path, query, kind)
            items = forge.route(parsed.path, query)
            if items is None:
                return self.answer(parsed.path, query, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            page = int(query.get("page", 1))
            pages = max(1, -(-len(items) // forge.page_size))
            body = items[(page - 1) * forge.page_size : page * forge.page_size]
            headers = {"ETag": forge.etag(body), "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999"}
            if self.headers.get("If-None-Match") == headers["ETag"]:
                return self.answer(parsed.path, query, 304, None, headers)
            links = []
            def link(number, rel):
                return f'<{forge.base}{parsed.path}?{urlencode({**query, "page": number})}>; rel="{rel}"'
            if page < pages:
                links += [link(page + 1, "next"), link(pages, "last")]
            if page > 1:
                links += [link(1, "first"), link(page - 1, "prev")]
            if links:
                headers["Link"] = ", ".join(links)
            self.answer(parsed.path, query, 200, body, headers)

        def refuse(self, path, query, kind):
            if kind == "primary":
                headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 120)}
                return self.answer(path, query, 403, {"message": "API rate limit exceeded for user ID 1."}, headers)
            if kind == "secondary":
                return self.answer(path, query, 403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}, {"Retry-After": "30"})
            if kind == "404":
                return self.answer(path, query, 404, {"message": "Not Found"})
            return self.answer(path, query, int(kind), {"message": "Server Error"})

        def answer(self, path, query, status, body, headers=None):
            forge.log.append((path, query, status))
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    forge.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
