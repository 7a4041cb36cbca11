"""The one door Chromium's requests go through while it renders: a local HTTP proxy.

Bound to 127.0.0.1 on a free port for one render (Chromium gets
`--proxy-server` and `--proxy-bypass-list=<-loopback>`, so not even a loopback
URL goes around it). Every request is judged by the crawl's rules
(crawler/renderguard.py `Guard.admit`); a refused one is answered 403 and
never leaves this machine. An allowed request is forwarded to the address the
guard checked; redirects are handed back to Chromium, never followed here, so
each hop is judged again.

https: Chromium asks CONNECT host:port, judged by its host (scope, address);
the proxy then speaks TLS to Chromium itself (one self-signed certificate,
Chromium started with --ignore-certificate-errors) so that every request inside
is judged like a plain one — its path against robots.txt, its redirects hop by
hop — and forwards it over its own TLS connection to the checked address,
without verifying the server's certificate, as Scrapy's downloader does not.

Bounded: a response over `max_bytes` (the crawl's DOWNLOAD_MAXSIZE) is answered
502; every connection times out after `timeout` seconds of silence.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import ipaddress
import logging
import socket
import socketserver
import ssl
import tempfile
import threading
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from crawler.renderguard import Guard, Refused

logger = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(("connection", "proxy-connection", "keep-alive", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"))
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
CERT_DAYS = 3650  # Chromium ignores certificate errors anyway: validity is no concern


class GuardProxy:
    """`with GuardProxy(guard) as proxy:` … `proxy.url` ('http://127.0.0.1:PORT')."""

    def __init__(self, guard: Guard, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.guard, self.server.timeout_s, self.server.max_bytes = guard, timeout, max_bytes
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="render-guard-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> GuardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    guard: Guard
    timeout_s: float
    max_bytes: int

    def handle_error(self, request, client_address):
        # a browser that hangs up mid-request (the render ended, killed): nothing to report
        logger.debug("render guard proxy: connection from %s ended badly", client_address, exc_info=True)

    def server_bind(self):
        # HTTPServer.server_bind looks its own name up (getfqdn), which can stall; not needed
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self):
        self.timeout = self.server.timeout_s  # idle keep-alive connections from Chromium end
        self.origin: str | None = None  # inside a CONNECT: 'https://host[:port]' of the tunnel
        super().setup()

    def log_message(self, format, *args):  # the guard keeps what matters (refusals)
        pass

    def _forward(self) -> None:
        url, limit = (self.origin or "") + self.path, self.server.max_bytes
        if not urlsplit(url).hostname:
            return self._answer(400, "a proxy request names an absolute URL")
        try:
            ip = self.server.guard.admit(url)
        except Refused as exc:
            return self._answer(403, str(exc))
        except OSError as exc:
            return self._answer(502, f"no address for {urlsplit(url).hostname}: {exc}")
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._answer(411, "a request body needs a Content-Length here", close=True)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._answer(400, "bad Content-Length", close=True)
        if length > limit:
            return self._answer(413, "request body too large", close=True)
        body = self.rfile.read(length) if length else None
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(ip, parts.port or 80, timeout=self.server.timeout_s)
        try:
            if parts.scheme == "https":
                conn.sock = _upstream_tls(ip, parts.port or 443, parts.hostname, self.server.timeout_s)
            conn.putrequest(self.command, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                            skip_host=True, skip_accept_encoding=True)
            for key, value in self.headers.items():
                if key.lower() not in HOP_BY_HOP:
                    conn.putheader(key, value)
            conn.endheaders(body)
            upstream = conn.getresponse()
            data = b"" if self.command == "HEAD" else upstream.read(limit + 1)
        except (OSError, http.client.HTTPException) as exc:
            return self._answer(502, f"{parts.hostname}: {type(exc).__name__}: {exc}"[:300])
        finally:
            conn.close()
        if len(data) > limit:
            return self._answer(502, f"response larger than {limit} bytes (DOWNLOAD_MAXSIZE)")
        self.send_response(upstream.status, upstream.reason)
        for key, value in upstream.getheaders():
            if key.lower() not in HOP_BY_HOP and (key.lower() != "content-length" or self.command == "HEAD"):
                self.send_header(key, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _forward

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if not host or not port.isdigit():
            return self._answer(400, "CONNECT expects host:port", close=True)
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        origin = f"https://{shown}" + ("" if port == "443" else f":{port}")
        try:
            self.server.guard.admit(origin + "/", path_known=False)
        except Refused as exc:
            return self._answer(403, str(exc), close=True)
        except OSError as exc:
            return self._answer(502, f"{host}: {type(exc).__name__}: {exc}"[:300], close=True)
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        try:  # from here on Chromium speaks TLS to us; its requests are read as plain ones
            tls = tls_context().wrap_socket(self.connection, server_side=True)
        except (OSError, ssl.SSLError):
            self.close_connection = True
            return
        self.connection, self.origin = tls, origin
        self.rfile, self.wfile = tls.makefile("rb"), socketserver._SocketWriter(tls)
        self.close_connection = False  # BaseHTTPRequestHandler.handle reads the next request, inside

    def _answer(self, status: int, message: str, close: bool = False) -> None:
        body = (message + "\n").encode("utf-8", "replace")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _upstream_tls(ip: str, port: int, host: str | None, timeout: float) -> ssl.SSLSocket:
    """A TLS connection to the checked address, naming the host (SNI) unless it is an IP;
    the certificate unverified and old protocols accepted, as Scrapy's downloader does."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
    except ssl.SSLError:
        pass
    try:
        ipaddress.ip_address((host or "").strip("[]"))
        name = None
    except ValueError:
        name = host
    sock = socket.create_connection((ip, port), timeout=timeout)
    try:
        return ctx.wrap_socket(sock, server_hostname=name)
    except BaseException:
        sock.close()
        raise


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS side the proxy shows Chromium: one self-signed certificate per process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nianbao render guard")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=CERT_DAYS)).sign(key, hashes.SHA256()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="nianbao-guard-") as d:
        (Path(d) / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (Path(d) / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
        ctx.load_cert_chain(Path(d) / "cert.pem", Path(d) / "key.pem")
    return ctx
