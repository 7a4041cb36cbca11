"""A crawl fetches only what lies in its scope, on the public web.

`ScopeMiddleware` sees every request the downloader sends — pages, attachments,
robots.txt, and each hop of a redirect (Scrapy's redirect middleware schedules
the new URL as a new request, which comes through here again) — and refuses:

- a URL outside the requesting site's scope, as the spider judges it
  (`spider.in_scope(url, slug, probe)`: a redirect to another host is not
  followed; a probe of a linked host may fetch that host);
  a scheme other than http(s) (file:, ftp:, data:);
- a host whose address is loopback, private, link-local, reserved, multicast or
  otherwise not global — by the address it resolves to, not only a literal IP
  in the URL ("localhost", a DNS name pointing at 10.0.0.5) — before the
  request is sent, and again by the address the response really came from
  (`response.ip_address`: a DNS answer that changed in between).

`NIANBAO_ALLOW_PRIVATE_ADDRESSES = True` allows such addresses: the sandbox and
the tests serve on loopback. Hosts named in the `NIANBAO_RESOLVE` mapping (the
sandbox's real-looking host names, mapped to its loopback addresses) are
allowed too (crawler/resolve.py): the operator chose their addresses. A refused request fails with
`OffScope`, which fetch_log records as skipped with its one-line reason.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from crawler.resolve import mapping

SCHEMES = ("http", "https")


class OffScope(IgnoreRequest):
    """A request refused for its scope or address (one-line reason)."""


def address_kind(ip: str) -> str | None:
    """Why an address is not on the public web ("loopback", "private" …), None if it is."""
    try:
        addr = ipaddress.ip_address(ip.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(addr, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if addr.is_global else "not global"


# --- the rules, as pure functions: ScopeMiddleware and the browser's guard
# (crawler/renderguard.py, Chromium's own requests) both apply these ------------------
def scheme_refusal(url: str) -> str | None:
    """Why a URL's scheme is not fetched (file:, ftp:, data: …), None for http(s)."""
    scheme = urlsplit(url).scheme
    return None if scheme in SCHEMES else f"out of scope: {scheme}: URLs are not fetched ({url[:200]})"


def scope_refusal(url: str, site: str | None, first: str | None = None) -> str:
    """The one-line reason for a URL outside the crawl's scope (`first`: where a redirect began)."""
    via = f", reached from {first[:200]}" if first and first != url else ""
    return f"out of scope: {url[:200]} is not {site or 'a site'} of this crawl{via}"


def address_exempt(host: str, allow_private: bool, mapped) -> bool:
    """Whether a host's address goes unchecked: private addresses allowed
    (NIANBAO_ALLOW_PRIVATE_ADDRESSES), or a host the operator mapped (NIANBAO_RESOLVE)."""
    return allow_private or host.lower() in mapped


def address_refusal(url: str, host: str, ip: str) -> str | None:
    """Why connecting to `ip` (what `host` resolved to) is refused, None on the public web."""
    kind = address_kind(ip)
    if kind is None:
        return None
    shown = host if host == ip else f"{host} ({ip})"
    return f"refused: {shown} is a {kind} address, not the public web ({url[:200]})"


class ScopeMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("NIANBAO_ALLOW_PRIVATE_ADDRESSES", False)
        self.mapped = frozenset(mapping(crawler.settings))  # hosts the operator mapped to addresses

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _spider(self, spider):
        return spider if spider is not None else getattr(self.crawler, "spider", None)

    async def process_request(self, request, spider=None):
        url = request.url
        refusal = scheme_refusal(url)
        if refusal:
            raise OffScope(refusal)
        if not self._in_scope(request, self._spider(spider)):
            raise OffScope(scope_refusal(url, request.meta.get("site"), (request.meta.get("redirect_urls") or [url])[0]))
        host = (urlsplit(url).hostname or "").lower()
        if not address_exempt(host, self.allow_private, self.mapped):
            for ip in await _addresses(host):
                self._refuse(url, host, ip)
        return None

    @staticmethod
    def _in_scope(request, spider) -> bool:
        in_scope = getattr(spider, "in_scope", None)
        if in_scope is None:
            return True
        meta = request.meta
        if meta.get("dont_obey_robotstxt") and "site" not in meta:
            # robots.txt, asked for a request that passed here before it (this middleware
            # runs before Scrapy's robots.txt middleware): its own host, or a site's
            first = (meta.get("redirect_urls") or [request.url])[0]
            return urlsplit(request.url).hostname == urlsplit(first).hostname or in_scope(request.url)
        return in_scope(request.url, meta.get("site"), meta.get("probe"))

    def process_response(self, request, response, spider=None):
        ip = getattr(response, "ip_address", None)
        host = (urlsplit(response.url).hostname or "").lower()
        if ip is not None and not address_exempt(host, self.allow_private, self.mapped):
            self._refuse(response.url, host, str(ip))
        return response

    @staticmethod
    def _refuse(url: str, host: str, ip: str) -> None:
        refusal = address_refusal(url, host, ip)
        if refusal:
            raise OffScope(refusal)


async def _addresses(host: str) -> list[str]:
    """The addresses a host resolves to, as the downloader will connect (the reactor's
    resolver, Scrapy's DNS cache); a literal IP is itself. [] when it does not resolve:
    the download then fails on its own, as before."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host]
    except ValueError:
        pass
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor

    try:
        return [await maybe_deferred_to_future(reactor.resolve(host))]
    except Exception:  # DNS failure: the downloader reports it (DNSLookupError)
        return []
