"""Script, form and query pagers (crawler/pages/pagers.py) → requests for the other pages.

Page 1 fans out to every page when the page states its count. Without one, each
page asks for the pages its pager calls beyond itself (all of them, or only 下一页),
and a pager page does so only while it brings records the page before did not
have: a pager that ignores its argument (or a last page repeated for ever) stops
at once. The spider bounds the chain (MAX_PAGER_CHAIN) either way.
"""

from __future__ import annotations

from crawler.pages.html import HtmlPage
from crawler.pages.pagers import Pager, query_pager, read_pager, with_param
from crawler.spiders import static
from crawler.spiders.follow import Follow

# Request meta: the page number a pager request asks for, and the records of the page before.
PAGE_KEY, PREVIOUS_KEY = "pager_page", "pager_previous"


def _request(pager: Pager, page: HtmlPage, n: int, previous: tuple[str, ...]) -> Follow:
    meta = ((PAGE_KEY, n), (PREVIOUS_KEY, previous))
    if pager.how == "url":
        return Follow(pager.url_for(page.url, n), "pager", meta=meta)
    if pager.how == "query":
        return Follow(with_param(page.url, pager.query_param, n), "pager", meta=meta)
    form = pager.form
    fields = {**form.fields, form.page_field: str(n + pager.offset)}
    if form.method == "POST":
        return Follow(form.action, "pager", formdata=tuple(sorted(fields.items())), method="POST", meta=meta)
    return Follow(form.action.split("?")[0] + "?" + "&".join(f"{k}={v}" for k, v in sorted(fields.items())),
                  "pager", meta=meta)


def follow(page: HtmlPage, response) -> list[Follow]:
    text = response.text
    pager = read_pager(text, page.sel, page.url)
    links = page.links()
    if pager is None:
        pager = query_pager(links, page.url, text)
        if pager is None or pager.count is None:
            return []  # a plain ?page=2 link chain: static.follow pages it
    records = tuple(sorted(f.url for f in static.follow(links, column=True) if f.role in ("item", "attachment")))
    on = response.meta.get(PAGE_KEY)
    if on is None:  # the listing as first reached
        first = pager.current or 1
        if pager.count:  # the page states its count: every page now
            return [_request(pager, page, n, records) for n in range(first + 1, pager.count + 1)]
        return [_request(pager, page, n, records) for n in sorted(pager.calls) if n > first]
    if pager.count:
        return []  # page 1 asked for every page already
    previous = set(response.meta.get(PREVIOUS_KEY) or ())
    if not records or set(records) <= previous:
        return []  # nothing new on this page: the end of the listing (or a pager that ignores its argument)
    return [_request(pager, page, n, records) for n in sorted(pager.calls) if n > on]
