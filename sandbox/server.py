"""A real HTTP server for the sandbox web, one listening socket per site.

Each site gets its own loopback address 127.0.1.N on one shared port, so to a
crawler every site is a separate host (Linux routes all of 127.0.0.0/8 to lo).
Where those addresses cannot be bound, each site gets its own port on
127.0.0.1 instead. One background thread multiplexes every listening socket;
each connection is served in its own thread.

    handle = start(seed=7, slow_seconds=0)
    handle.sites[0].base_url        # 'http://127.0.1.1:41234'
    handle.world                    # ground truth, see sandbox.world
    handle.stop()
"""

from __future__ import annotations

import collections
import errno
import hashlib
import http.server
import selectors
import socket
import socketserver
import struct
import threading
import time
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox import world as world_mod
from sandbox.faults import Fault, FaultTable
from sandbox.outsiders import OutsiderApp
from sandbox.response import Request, Response
from sandbox.site import SiteApp

MAX_BODY = 1 << 20  # requests bodies above this are refused
CONTENT_FAULTS = ("charset_flip", "xss", "malformed_table")  # faults that change the page's bytes


class _SiteServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, app: SiteApp, handle: SandboxHandle):
        self.app, self.handle = app, handle
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves its own name (getfqdn): a reverse DNS lookup
        # that can stall for seconds without a network. A loopback fake needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 20  # idle keep-alive connections are dropped after this

    def version_string(self) -> str:
        return self.server.app.family.SERVER

    def log_message(self, format, *args):  # quiet: the handle keeps a request log instead
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_HEAD(self):
        self._serve(head=True)

    def _serve(self, head: bool = False) -> None:
        server: _SiteServer = self.server
        app, handle = server.app, server.handle
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Response(status=413, body=b"too large", content_type="text/plain"), head)
            return
        body = self.rfile.read(length) if length else b""
        request = Request(method=self.command, path=unquote(parts.path) or "/",
                          query=dict(parse_qsl(parts.query, keep_blank_values=True)), body=body,
                          headers={k.lower(): v for k, v in self.headers.items()})
        fault = handle.faults.pick(app.site.slug, request.path) if handle.faults else None
        if fault and fault.kind in ("reset", "timeout"):
            self._abort(fault)
            return
        if fault and fault.kind == "redirect_loop":
            n = int(request.query.get("loop", "0")) + 1
            answer = Response(status=302, headers=[("Location", f"{request.path}?loop={n}")], body=b"")
        elif fault and fault.kind == "status":
            answer = Response(status=fault.status, body=f"<h1>{fault.status}</h1>".encode())
        elif fault and fault.kind in CONTENT_FAULTS:
            # the page as this server now serves it: its ETag is of the altered bytes
            answer = _conditional(_transform(app.handle(request), fault, app.site), request)
        else:
            answer = _conditional(app.handle(request), request)
        handle._log(app.site.slug, self.command, self.path, answer.status)
        if fault and fault.kind not in CONTENT_FAULTS:
            answer = _transform(answer, fault, app.site)
        if answer.delay:
            time.sleep(answer.delay)
        if fault and fault.kind == "oversize":
            self._send_oversize(fault, head)
        elif fault and fault.kind in ("drip", "truncate"):
            self._send(answer, head, fault)
        else:
            self._send(answer, head)

    def _send(self, answer: Response, head: bool, fault: Fault | None = None) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for k, v in answer.headers:
            self.send_header(k, v)
        if fault:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        body = answer.body
        if fault and fault.kind == "truncate":
            self.wfile.write(body[: len(body) // 2])
        elif fault and fault.kind == "drip":
            for i in range(0, len(body), 64):
                self.wfile.write(body[i:i + 64])
                self.wfile.flush()
                time.sleep(fault.seconds or 0.05)
        else:
            self.wfile.write(body)

    def _send_oversize(self, fault: Fault, head: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(fault.size))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if head:
            return
        chunk = b"<p>" + "数据".encode() * 1000 + b"</p>\n"
        sent = 0
        try:
            while sent < fault.size:
                piece = chunk[: fault.size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass  # the client gave up, as it should

    def _abort(self, fault: Fault) -> None:
        self.close_connection = True
        if fault.kind == "timeout":
            time.sleep(fault.seconds or 30)
        else:  # SO_LINGER 0 makes close() send RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


def _conditional(answer: Response, request: Request) -> Response:
    """Documents carry an ETag (of their bytes) beside Last-Modified, and a
    request whose If-None-Match names the current bytes gets 304 Not Modified,
    as real CMS front-ends answer a crawler's conditional re-crawl."""
    if answer.status != 200 or not any(k == "Last-Modified" for k, _ in answer.headers):
        return answer
    etag = '"' + hashlib.sha1(answer.body).hexdigest()[:16] + '"'
    answer.headers.append(("ETag", etag))
    if request.headers.get("if-none-match") == etag:
        return Response(status=304, body=b"", content_type=answer.content_type, headers=[("ETag", etag)])
    return answer


def _transform(answer: Response, fault: Fault, site) -> Response:
    if fault.kind == "slow":
        answer.delay = max(answer.delay, fault.seconds or 1.0)
    elif fault.kind == "wrong_type":
        answer.content_type = fault.content_type
    elif fault.kind == "charset_flip" and answer.content_type.startswith("text/html"):
        other = "utf-8" if site.charset.lower() in ("gbk", "gb2312", "gb18030") else "gbk"
        answer.body = answer.body.decode(site.charset, "replace").encode(other, "xmlcharrefreplace")
    elif fault.kind in ("xss", "malformed_table") and answer.content_type.startswith("text/html"):
        answer.body = hostile_html(answer.body, fault.kind)
    return answer


def hostile_html(body: bytes, kind: str) -> bytes:
    """Markup an attacker or a broken editor leaves in a page (ASCII edits, any charset)."""
    if kind == "xss":
        body = body.replace(b"<title>", b"<title><script>alert('title')</script>", 1)
        body = body.replace(b'<h1 class="article-title">',
                            b'<h1 class="article-title"><script>document.title="pwned"</script>', 1)
        return body.replace(b'<p align="center">', b'<p align="center"><img src="x" onerror="alert(1)">')
    body = body.replace(b"</td>", b"").replace(b"</tr>", b"")
    return body.replace(b"<table ", b"<table><table ", 1)


class SandboxHandle:
    """A running sandbox: `.world` (ground truth), `.sites`, `.faults`, `.stop()`."""

    def __init__(self, world, faults: FaultTable | None):
        self.world = world
        self.faults = faults
        self.servers: list[_SiteServer] = []
        self.requests: collections.deque = collections.deque(maxlen=200_000)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def sites(self):
        return self.world.sites

    @property
    def port(self) -> int | None:
        return self.world.port

    def url(self, slug: str, path: str = "/") -> str:
        return self.world.site(slug).base_url + path

    def revise(self, report):
        """Publish a new version of one report (a Report or its URL)."""
        if isinstance(report, str):
            report = self.world.report_by_url(report)
        return self.world.revise(report)

    def _log(self, slug, method, path, status) -> None:
        self.requests.append((slug, method, path, status))

    def _loop(self) -> None:
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        for server in self.servers:
            self._selector.register(server.socket, selectors.EVENT_READ, server)
        while not self._stopping.is_set():
            for key, _ in self._selector.select(timeout=1.0):
                if key.data is not None:
                    key.data._handle_request_noblock()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        if self._thread:
            self._thread.join(timeout=5)
        for server in self.servers:
            server.server_close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(port: int = 0, seed: int = 0, *, slow_seconds: float = 1.5, generation: int = 0,
          faults: FaultTable | None = None, world=None, per_site_ports: bool = False,
          hosted: bool = False) -> SandboxHandle:
    """Build the world (or take `world`) and serve it in a background thread. `hosted`
    adds the provinces served under host names (`handle.world.host_map()` for --resolve)."""
    world = world or world_mod.build_world(seed, generation=generation, slow_seconds=slow_seconds, hosted=hosted)
    handle = SandboxHandle(world, faults)
    apps = [SiteApp(s, calendar_trap=bool(faults and faults.site_has(s.slug, "calendar_trap")))
            for s in world.sites]
    apps += [OutsiderApp(o) for o in world.outsiders]
    if per_site_ports or not _can_bind_alias():
        for app in apps:
            server = _SiteServer(("127.0.0.1", 0), app, handle)
            app.site.port_override = server.server_address[1]
            handle.servers.append(server)
        world.port = None
    else:
        handle.servers, world.port = _bind_shared_port(apps, handle, port)
    handle._thread = threading.Thread(target=handle._loop, name="sandbox-server", daemon=True)
    handle._thread.start()
    return handle


def _can_bind_alias() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.1.1", 0))
        return True
    except OSError:
        return False


def _bind_shared_port(apps, handle, port: int) -> tuple[list[_SiteServer], int]:
    """Bind every site's 127.0.1.N to one port (a free one when port is 0)."""
    for _attempt in range(20):
        servers: list[_SiteServer] = []
        try:
            chosen = port
            for app in apps:
                server = _SiteServer((app.site.address, chosen), app, handle)
                chosen = server.server_address[1]
                servers.append(server)
            return servers, chosen
        except OSError as exc:
            for s in servers:
                s.server_close()
            if port or exc.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, "no port free on every sandbox address")
