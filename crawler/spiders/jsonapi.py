"""Columns rendered from a JSON listing API, called with GET or POST.

The API may be named in the page's inline scripts or, when the page's HTML lists
nothing, in its own external scripts (fetched as role `script`, read with the
page's inline configuration). A GET API's other pages are URLs (JsonListing.page_urls
when the JSON states a count, else the query's page parameter moved one page at a
time). A POST API's are bodies: the page parameter found in the body
(crawler/pages/postapi.py) is moved one page (or one page size, for an offset) at a
time. Page 1 fans out to every page when the JSON states a count; without one each
page asks for the next only while it brings records the page before did not have
(the pagers' rule, crawler/spiders/pagers.py), and never beyond MAX_PAGES.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector

from crawler.pages.base import SelectorCountError
from crawler.pages.html import HtmlPage
from crawler.pages.jsonapi import MAX_PAGES, JsonListing, api_urls
from crawler.pages.pagers import with_param
from crawler.pages.postapi import answer_listing, decode, encode, page_path, post_calls, with_page
from crawler.spiders import static
from crawler.spiders.follow import Follow

# Request meta of a further page (a POST's, or a GET's without a count): which page after
# the declared one, the records of the page before, whether page 1 asked for every page.
PAGE_KEY, PREVIOUS_KEY, FANNED_KEY = "api_page", "api_previous", "api_fanned"
# External scripts: the page that loads them and its inline scripts (request meta), how
# many per page, how much of the page's and of each script's text is read.
SCRIPT_PAGE, SCRIPT_INLINE = "script_page", "script_inline"
MAX_SCRIPTS, INLINE_CHARS, SCRIPT_CHARS = 6, 20_000, 2_000_000
# Words of the file names of libraries, analytics and widgets: they call no site's list API
# (jquery-1.12.4.min.js, vue.runtime.js, jquery.SuperSlide.2.1.js, hm.js …).
LIBRARY_WORDS = frozenset((
    "jquery", "vue", "react", "axios", "layui", "layer", "bootstrap", "echarts", "swiper", "polyfill", "html5shiv",
    "respond", "pdf", "qrcode", "moment", "lodash", "require", "zepto", "element", "ueditor", "superslide",
    "jweixin", "share", "analytics", "cnzz", "tongji", "jiathis", "hm", "wza", "aria", "babel", "md5",
    "base64", "json2", "placeholder", "scrollbar", "datepicker", "laydate", "my97datepicker", "wdatepicker"))
EMPTY = Selector(text="<html></html>")
CALL_HEADERS = ("Content-Type", "X-Requested-With")
ACCEPT = "application/json, text/javascript, */*; q=0.01"  # what jQuery asks a JSON API for


def follow(page: HtmlPage, text: str) -> list[Follow]:
    return _apis(api_urls(text, page.sel, page.url), post_calls(page.scripts(), page.url))


def _apis(gets: list[str], calls: list) -> list[Follow]:
    posted = {c.url for c in calls}
    # A POST endpoint's URL is no GET API (it answers 405), nor is the base it is joined
    # to (var API_BASE = "/api"; url: API_BASE + "/list").
    out = [Follow(u, "api") for u in gets if not any(p == u or p.startswith(u.rstrip("/") + "/") for p in posted)]
    return out + [_post(c.url, c.body(), c.headers(), ((PAGE_KEY, 0),)) for c in calls]


def script_follows(page: HtmlPage) -> list[Follow]:
    """The page's own external scripts (not libraries), to read for the APIs they call: asked
    for when the page's HTML lists nothing. Each carries the page's URL (the scripts' URLs
    resolve against it) and inline scripts (the configuration their calls read)."""
    meta = ((SCRIPT_PAGE, page.url), (SCRIPT_INLINE, page.scripts()[:INLINE_CHARS]))
    out = []
    for src in page.script_sources():
        words = set(re.split(r"[^a-z0-9]+", urlsplit(src).path.rsplit("/", 1)[-1].lower()))
        if not words & LIBRARY_WORDS and src not in {f.url for f in out}:
            out.append(Follow(src, "script", meta=meta))
    return out[:MAX_SCRIPTS]


def follow_script(text: str, meta: dict) -> list[Follow]:
    """APIs an external script calls, GET or POST, with the values its page assigns."""
    page_url = meta[SCRIPT_PAGE]
    scripts = (meta.get(SCRIPT_INLINE) or "") + "\n" + text[:SCRIPT_CHARS]
    return _apis(api_urls("", EMPTY, page_url, scripts=scripts), post_calls(scripts, page_url))


def _post(url: str, body: str, headers: tuple, meta: tuple) -> Follow:
    return Follow(url, "api", method="POST", body=body, meta=meta, headers=(*headers, ("Accept", ACCEPT)))


def follow_json(text: str, url: str, request=None) -> list[Follow]:
    """Records and further pages of a JSON listing; `request` (Scrapy's) tells a POST's
    body, and the page a request of a chain was (its meta)."""
    if request is not None and request.method == "POST":  # JSON, or an HTML fragment of entries
        listing = answer_listing(text, url)
        out = static.follow(listing.links(), column=True)
        by_body = _next_bodies(listing, out, request)
        return out + (by_body if by_body is not None else _next_urls(listing, out, request))
    listing = JsonListing(text, url)
    out = static.follow(listing.links(), column=True)
    if listing.page_count or request is None:
        return out + [Follow(u, "api") for u in listing.page_urls()]
    return out + _next_urls(listing, out, request)  # no count: page by the query's page parameter


def _call_headers(request) -> tuple:
    """The headers the page's call sent, as it sent them (not those middlewares added)."""
    return tuple((k, request.headers[k].decode("latin-1")) for k in CALL_HEADERS if request.headers.get(k))


def _next_bodies(listing, follows: list[Follow], request) -> list[Follow] | None:
    """Pages by the body's page field; None when the body has none (the URL may)."""
    fields = decode(request.body)
    found = page_path(fields) if fields else None
    if not found:
        return None
    path, step = found
    as_json, headers = request.body.lstrip().startswith(b"{"), _call_headers(request)
    n = request.meta.get(PAGE_KEY, 0)

    def page(k: int, meta: tuple) -> Follow:
        return _post(request.url, encode(with_page(fields, path, (k - n) * step), as_json), headers, meta)

    return _pages(listing.page_count, follows, request, page)


def _next_urls(listing, follows: list[Follow], request) -> list[Follow]:
    """Pages by the URL's page parameter or offset (found as in a body), the body, if
    any, sent again with each."""
    query = dict(parse_qsl(urlsplit(request.url).query))
    found = page_path(query)
    if not found:
        return []  # one page only
    (param,), step = found
    n, value = request.meta.get(PAGE_KEY, 0), int(query[param])

    def page(k: int, meta: tuple) -> Follow:
        url = with_param(request.url, param, value + (k - n) * step)
        if request.method == "POST":
            return _post(url, request.body.decode("utf-8", "replace"), _call_headers(request), meta)
        return Follow(url, "api", meta=meta)

    return _pages(listing.page_count if request.method == "POST" else None, follows, request, page)


def _pages(count: int | None, follows: list[Follow], request, page) -> list[Follow]:
    """The pages after this one: all of them from page 1 when the JSON states a count,
    else the next one while this page brought records the page before did not have.
    `page(k, meta)` makes the request of the k-th page after the declared one."""
    meta = request.meta
    n = meta.get(PAGE_KEY, 0)
    records = tuple(sorted(f.url for f in follows if f.role in ("item", "attachment")))
    if n == 0 and count:
        if count > MAX_PAGES:
            raise SelectorCountError(f"JSON listing: {count} pages (> {MAX_PAGES}) at {request.url}")
        return [page(k, ((PAGE_KEY, k), (FANNED_KEY, True))) for k in range(1, count)]
    if meta.get(FANNED_KEY) or n + 1 >= MAX_PAGES:
        return []
    if not records or set(records) <= set(meta.get(PREVIOUS_KEY) or ()):
        return []  # nothing new: the end of the listing (or an API that ignores the page)
    return [page(n + 1, ((PAGE_KEY, n + 1), (PREVIOUS_KEY, records)))]
