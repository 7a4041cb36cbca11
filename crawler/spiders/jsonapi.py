"""Columns rendered from a JSON listing API."""

from __future__ import annotations

from crawler.pages.html import HtmlPage
from crawler.pages.jsonapi import JsonListing, api_urls
from crawler.spiders import static
from crawler.spiders.follow import Follow


def follow(page: HtmlPage, text: str) -> list[Follow]:
    return [Follow(u, "api") for u in api_urls(text, page.sel, page.url)]


def follow_json(text: str, url: str) -> list[Follow]:
    listing = JsonListing(text, url)
    out = static.follow(listing.links(), column=True)
    out += [Follow(u, "api") for u in listing.page_urls()]
    return out
