"""TRS WCM columns: the other pages of a listing come from createPageHTML."""

from __future__ import annotations

from crawler.pages.html import HtmlPage
from crawler.pages.trs import TrsPager
from crawler.spiders.follow import Follow


def follow(page: HtmlPage) -> list[Follow]:
    pager = TrsPager(page.scripts(), page.url)
    urls = pager.page_urls()
    if urls and page.url.endswith("/"):
        urls = urls[1:]  # page 0 is index.html, the directory URL we are on
    return [Follow(u, "pager") for u in urls if u != page.url]
