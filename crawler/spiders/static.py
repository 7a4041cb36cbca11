"""Plain HTML sites (and the link rules every family shares).

Static listings page with ordinary links (index_1.html, ?page=2); portal
pages lead to the report column through navigation links.
"""

from __future__ import annotations

from crawler import discovery
from crawler.pages.base import Link
from crawler.spiders.follow import Follow


def classify(link: Link, *, column: bool) -> str | None:
    """The role of one link found on a page (None: not worth fetching)."""
    url, text = link.url, link.text
    if discovery.is_skipped(url):
        return None
    if discovery.is_download(url, text):
        # a file by its extension, a download endpoint, or anchor text naming a file:
        # fetched as a possible report; the response says whether it is a document
        if discovery.is_report_title(text) or (column and discovery.is_column_item(text)):
            return "attachment"
        if discovery.is_attachment(url):
            return None  # some other file
        # a download-looking path that is not about reports may still be a menu: read on
    if discovery.is_report_title(text):
        return "item"
    if column and discovery.is_pager_link(url, text):
        return "pager"
    if column and discovery.is_column_item(text):
        return "item"
    if discovery.is_nav_link(url, text):
        return "nav"
    return None


def follow(links: list[Link], *, column: bool) -> list[Follow]:
    out = []
    for link in links:
        role = classify(link, column=column)
        if role:
            out.append(Follow(link.url, role, link.text))
    return out
