"""Hanweb (大汉) columns: records in an inline XML datastore, the rest via dataproxy.jsp."""

from __future__ import annotations

from crawler.pages.hanweb import HanwebListing, HanwebProxyResponse
from crawler.spiders import static
from crawler.spiders.follow import Follow


def follow(text: str, url: str) -> list[Follow]:
    listing = HanwebListing(text, url)
    if not listing.found:
        return []
    out = static.follow(listing.links(), column=True)
    out += [Follow(u, "proxy") for u in listing.proxy_urls()]
    return out


def follow_proxy(text: str, url: str) -> list[Follow]:
    answer = HanwebProxyResponse(text, url)
    out = static.follow(answer.links(), column=True)
    out += [Follow(u, "proxy") for u in answer.more_urls()]
    return out
