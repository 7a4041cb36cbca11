"""A tiny web of hand-made pages on a loopback address, for crawls that meet hostile
servers and files (tests/test_reliability_scope.py, tests/test_reliability_bounds.py).

    with serve({"/": Page(b"..."), "/r": Page(status=302, headers={"Location": url})}, host="127.0.0.2") as web:
        web.url("/r"); web.hits  # paths requested, in order (robots.txt included)
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    body: bytes = b""
    content_type: str = HTML
    status: int = 200
    headers: dict[str, str] | list[tuple[str, str]] = field(default_factory=dict)


class Web:
    def __init__(self, server: ThreadingHTTPServer, host_name: str):
        self.server, self.host_name = server, host_name
        self.hits: list[str] = []

    def url(self, path: str) -> str:
        return f"http://{self.host_name}:{self.server.server_address[1]}{path}"


@contextmanager
def serve(pages: dict[str, Page], *, host: str = "127.0.0.1", host_name: str | None = None):
    """Serve `pages` (path -> Page; anything else 404) on host:<free port>."""
    web: Web

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802  (http.server's name)
            web.hits.append(self.path)
            page = pages.get(self.path) or Page(b"not found", "text/plain", 404)
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            items = page.headers.items() if isinstance(page.headers, dict) else page.headers
            for name, value in items:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    web = Web(server, host_name or host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()


def column(links: list[tuple[str, str]]) -> bytes:
    """A report column (列表) page linking (href, anchor text) pairs."""
    items = "".join(f'<li><a href="{href}">{text}</a><span>2024-01-15</span></li>' for href, text in links)
    return (f'<html><head><meta charset="utf-8"><title>政府信息公开年度报告</title></head><body>'
            f'<div class="list"><ul>{items}</ul></div></body></html>').encode()


def write_registry(path: Path, sites: list[dict]) -> Path:
    """A registry file of ad-hoc sites: slug, name, code, portal, columns (henan's code 41)."""
    entries = [{"level": "city", **s} for s in sites]
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
    return path
