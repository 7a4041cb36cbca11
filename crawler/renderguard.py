"""What Chromium may fetch while it renders a page: exactly what the crawl may fetch.

A rendered page's scripts, XHRs, frames, images and each hop of their redirects
are asked of the guard (through the local proxy of crawler/renderproxy.py) and
judged by the rules every Scrapy request meets, taken from where they live:

- scope: the scheme (`scope.scheme_refusal`) and the rendered page's site
  (`spider.in_scope(url, site)`, as crawler/scope.py asks it);
- address: the host is resolved here — NIANBAO_RESOLVE first (crawler/resolve.py),
  then the system's DNS — and the address the proxy then connects to is the one
  checked (`scope.address_refusal`; no DNS-rebinding gap), unless private
  addresses are allowed or the operator mapped the host (`scope.address_exempt`);
- robots: the crawl's own robots.txt rules for the host (Scrapy's
  RobotsTxtMiddleware, fetched and cached as for any request), asked on the
  reactor thread. An https tunnel (CONNECT host:port) is judged by its host
  first (`path_known=False`), then each request inside it like a plain one
  (the proxy terminates Chromium's TLS).

Each refusal is kept (`refused`: reason, one-line message) for the crawl's stats.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.scope import address_exempt, address_refusal, scheme_refusal, scope_refusal

REASONS = ("scope", "address", "robots")


class Refused(Exception):
    """A request the crawl's rules refuse: `reason` (one of REASONS) and a one-line message."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Guard:
    in_scope: Callable[[str], bool]  # the crawl's scope for the rendered page's site
    site: str | None = None  # its slug, for messages
    allow_private: bool = False  # NIANBAO_ALLOW_PRIVATE_ADDRESSES
    mapped: dict[str, str] = field(default_factory=dict)  # NIANBAO_RESOLVE
    robots: Callable[[str], bool] | None = None  # whether robots.txt lets the crawl fetch a URL; None: not obeyed
    refused: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, url: str, *, path_known: bool = True) -> str:
        """The address to connect to for `url`; raises Refused (or OSError: no address).
        `path_known` False for a CONNECT tunnel: only its host is seen."""
        refusal = scheme_refusal(url)
        if refusal:
            raise self._refuse("scope", refusal)
        if not self.in_scope(url):
            raise self._refuse("scope", scope_refusal(url, self.site))
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        ip = self.resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
        if not address_exempt(host, self.allow_private, self.mapped):
            refusal = address_refusal(url, host, ip)
            if refusal:
                raise self._refuse("address", refusal)
        if path_known and self.robots is not None and not self.robots(url):
            raise self._refuse("robots", f"robots.txt disallows {url[:200]}")
        return ip

    def resolve(self, host: str, port: int) -> str:
        """The one address the proxy connects to: a literal IP, the operator's map, or DNS."""
        try:
            return str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            pass
        if host.rstrip(".") in self.mapped:
            return self.mapped[host.rstrip(".")]
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if not infos:
            raise OSError(f"{host} has no address")
        return str(infos[0][4][0])

    def _refuse(self, reason: str, message: str) -> Refused:
        with self._lock:
            self.refused.append((reason, message))
        return Refused(reason, message)

    def summary(self) -> Counter:
        """Refusals by reason."""
        with self._lock:
            return Counter(reason for reason, _ in self.refused)


def for_request(crawler, request) -> Guard:
    """The guard for rendering `request` in this crawl: its site's scope, the crawl's
    address settings and robots.txt rules (built on the reactor thread)."""
    from crawler.resolve import mapping

    settings = crawler.settings
    site = request.meta.get("site")
    return Guard(in_scope=scope_rule(crawler, site), site=site,
                 allow_private=settings.getbool("NIANBAO_ALLOW_PRIVATE_ADDRESSES", False),
                 mapped=mapping(settings), robots=robots_rule(crawler))


def scope_rule(crawler, site: str | None) -> Callable[[str], bool]:
    """`spider.in_scope(url, site)`, callable from the render's threads: the site's own
    rule (`Site.in_scope`, what the spider asks for a known site: it reads nothing that
    changes), else the spider's, asked on the reactor thread (its site list grows there)."""
    from twisted.internet import reactor
    from twisted.internet.threads import blockingCallFromThread

    spider = getattr(crawler, "spider", None)
    in_scope = getattr(spider, "in_scope", None)
    if in_scope is None:
        return lambda url: True
    known = (getattr(spider, "sites", None) or {}).get(site)
    if known is not None:
        return known.in_scope
    return lambda url: blockingCallFromThread(reactor, in_scope, url, site)


def robots_rule(crawler) -> Callable[[str], bool] | None:
    """robots.txt as the crawl obeys it, callable from the render's threads: Scrapy's
    RobotsTxtMiddleware decides (its parser, user agent and cache; a host's robots.txt
    fetched by the crawl like any robots.txt). None when the crawl does not obey it."""
    from scrapy import Request
    from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor
    from twisted.internet.threads import blockingCallFromThread

    engine = getattr(crawler, "engine", None)
    middlewares = engine.downloader.middleware.middlewares if engine else ()
    robots = next((m for m in middlewares if isinstance(m, RobotsTxtMiddleware)), None)
    if robots is None:
        return None

    async def allowed(url: str) -> bool:
        request = Request(url)
        try:
            robots.process_request_2(await robots.robot_parser(request), request)
        except IgnoreRequest:
            return False
        return True

    return lambda url: blockingCallFromThread(reactor, lambda: deferred_from_coro(allowed(url)))
