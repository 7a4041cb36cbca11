"""Host names mapped to addresses, as curl's --resolve does.

`NIANBAO_RESOLVE = {"www.gd.gov.cn": "127.0.1.20", ...}` (or `nianbao crawl
--resolve www.gd.gov.cn:127.0.1.20`, repeatable) answers those names from the
map and every other name from the system's DNS. The sandbox serves sites under
real-looking names on loopback this way, so the crawler's host and scope rules
run on names exactly as on the real web; bare-IP URLs need no entry.

`mapping(settings)` is the one reading of the setting: the Scrapy resolver below
and the Chromium renderer (`--host-resolver-rules`) both build on it.
"""

from __future__ import annotations

import json

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

SETTING = "NIANBAO_RESOLVE"


class ResolveError(ValueError):
    """A --resolve entry that is not HOST:ADDRESS."""


def parse_entry(entry: str) -> tuple[str, str]:
    """'www.gd.gov.cn:127.0.1.20' or curl's 'www.gd.gov.cn:80:127.0.1.20' → (host, address)."""
    parts = str(entry).strip().split(":")
    if len(parts) == 3 and parts[1].isdigit():
        parts = [parts[0], parts[2]]
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ResolveError(f"--resolve expects HOST:ADDRESS (e.g. www.gd.gov.cn:127.0.1.20), got {entry!r}")
    return parts[0].strip().lower().rstrip("."), parts[1].strip()


def mapping(settings) -> dict[str, str]:
    """{host: address} from NIANBAO_RESOLVE: a dict, a JSON object, or 'HOST:ADDR,HOST:ADDR'."""
    value = settings.get(SETTING) if settings is not None else None
    if not value:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            return dict(parse_entry(e) for e in text.split(",") if e.strip())
    if isinstance(value, (list, tuple)):
        return dict(parse_entry(e) for e in value)
    return {str(k).lower().rstrip("."): str(v) for k, v in dict(value).items()}


def chromium_rules(settings) -> str:
    """The same map as Chromium's --host-resolver-rules value ('' when empty)."""
    return ", ".join(f"MAP {host} {addr}" for host, addr in mapping(settings).items())


@implementer(IResolverSimple)
class MappedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, answering mapped names first."""

    def __init__(self, reactor, cache_size: int, timeout: float, hosts: dict[str, str]):
        super().__init__(reactor, cache_size, timeout)
        self.hosts = hosts

    @classmethod
    def from_crawler(cls, crawler, reactor):
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), mapping(settings))

    def getHostByName(self, name: str, timeout=()):
        address = self.hosts.get(name.lower().rstrip("."))
        if address is not None:
            return defer.succeed(address)
        return super().getHostByName(name, timeout)
