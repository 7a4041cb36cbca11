"""JSON listing APIs a page's script calls with POST, and their page parameter.

Many portals load their 信息公开 list by POSTing the channel and page in the body:

    $.ajax({url: "/api/list", type: "POST", data: {channelId: 123, pageNo: 1, pageSize: 15}})
    $.post(url, {catId: cfg.catId, curPage: 1})
    fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({columnCode: "ndbg", pageIndex: 0})})
    axios.post(url, {deptCode: DEPT, page: 1, size: 10})      (JSON unless qs.stringify)
    xhr.open("POST", url); xhr.setRequestHeader(…); xhr.send("channel=" + CH + "&start=0&limit=20")
    $("#list").load(url, {col: 5, page: 1})                     (jQuery POSTs an object; HTML answer)

Each call is read as a browser would send it: the URL (a literal, a name or a `+`
concatenation, evaluated with the page's values as crawler/pages/jsonapi.py does
for GET), the body (an object literal of simple values: strings, numbers, names the
page assigns; a JSON.stringify(…) of one; a form string: crawler/pages/jsvalues.py)
and its Content-Type (the
call's own header or contentType, else the default of that call style). A body
value that is not simple (a function call, a computed expression) makes the call
unusable, except for the page parameter, which stands for the first page.

The page parameter is found in the body by name (page, pageNo, pageIndex, curPage,
currentPage, p …, one level of nesting too), or an offset (start, offset, from …) that
moves by the body's page size. Not read: bodies built by statements (`var d = {};
d.page = 1`), FormData, GraphQL, calls in external script files (those are left to
the browser, crawler/browser.py).
Examples: tests/test_spider_discovery.py (post_* cases), sandbox feature post_json_list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urljoin

from crawler import discovery
from crawler.pages import jsvalues
from crawler.pages.html import HtmlPage
from crawler.pages.jsonapi import JsonListing
from crawler.pages.pagers import stated_count

# Where a POST call starts; the arguments are read from the bracket that follows.
CALL_HEAD = re.compile(r"""(?<![\w$])(?:\$|jQuery)\.(?P<jq>ajax|post)\s*\(|(?<![\w$.])(?P<fetch>fetch)\s*\("""
                       r"""|\)\.(?P<load>load)\s*\(|(?<![\w$.])axios(?:\.(?P<axios>post|request))?\s*\("""
                       r"""|\.open\s*\(\s*['"](?P<xhr>POST)['"]\s*,""", re.I)
SEND = re.compile(r"\.send\s*\(")
SET_HEADER = re.compile(r"""setRequestHeader\s*\(\s*['"]content-type['"]\s*,\s*['"]([^'"]+)['"]""", re.I)
MAX_CALLS = 200        # POST calls examined per page (bounded time on hostile scripts)
XHR_SEND_CHARS = 1500  # between xhr.open and its send
FORM = "application/x-www-form-urlencoded; charset=UTF-8"
JSON_TYPE = "application/json"
XRW = ("X-Requested-With", "XMLHttpRequest")
TEXT = "text/plain;charset=UTF-8"  # what fetch and XHR send a string body as, unless told
PAGE_FIELD = re.compile(r"^(page|pageNo|page_no|pageNum|page_num|pageNumber|pageIndex|page_index|pageCurrent"
                        r"|curPage|cur_page|currentPage|current_page|current|nowPage|pn|p)$", re.I)
OFFSET_FIELD = re.compile(r"^(start|offset|from|startIndex|start_index|startRecord|startrecord|firstResult|skip)$",
                          re.I)
SIZE_FIELD = re.compile(r"^(pageSize|page_size|size|limit|rows|length|perPage|per_page|pageRows|count|ps)$", re.I)
RELATIVE_URL = re.compile(r"^[\w./?=&%:-]+$")


@dataclass(frozen=True)
class PostCall:
    url: str
    fields: dict          # the body's values (nested dicts for a nested JSON body)
    json: bool            # True: the body is JSON text; False: a form string
    content_type: str
    page: tuple[str, ...] | None = None  # key path of the page parameter in `fields`
    step: int = 1         # what one page adds to it (the page size for an offset)
    xhr_header: bool = False  # jQuery marks its calls X-Requested-With: XMLHttpRequest (servers check it)

    def headers(self) -> tuple[tuple[str, str], ...]:
        return ((("Content-Type", self.content_type),) if self.content_type else ()) + ((XRW,) if self.xhr_header else ())

    def body(self, fields: dict | None = None) -> str:
        return encode(self.fields if fields is None else fields, self.json)


def encode(fields: dict, as_json: bool) -> str:
    if as_json:  # as JSON.stringify writes it
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    pairs = []
    for k, v in fields.items():  # a list: the key repeated (ids[]=1&ids[]=2)
        pairs += [(k, jsvalues.form_value(x)) for x in (v if isinstance(v, list) else [v])]
    return urlencode(pairs)


def _form_fields(text: str) -> dict:
    """A form string's fields, a repeated key's values as a list (encode writes it back)."""
    out: dict = {}
    for k, v in parse_qsl(text, keep_blank_values=True):
        out[k] = [*(out[k] if isinstance(out[k], list) else [out[k]]), v] if k in out else v
    return out


def decode(body: bytes | str) -> dict | None:
    """The fields of a request body (as encode wrote it); None when it is neither JSON nor a form."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return _form_fields(text) if "=" in text else None


def page_path(fields: dict) -> tuple[tuple[str, ...], int] | None:
    """(key path of the page parameter, step): a page number moves by 1, an offset by the size."""
    for scope, prefix in ((fields, ()), *[(v, (k,)) for k, v in fields.items() if isinstance(v, dict)]):
        for k in scope:
            if PAGE_FIELD.match(k) and _is_int(scope[k]):
                return (*prefix, k), 1
        for k in scope:
            if OFFSET_FIELD.match(k) and _is_int(scope[k]):
                size = next((int(scope[s]) for s in scope if SIZE_FIELD.match(s) and _is_int(scope[s])), 0)
                if size > 0:
                    return (*prefix, k), size
    return None


def with_page(fields: dict, path: tuple[str, ...] | None, add: int) -> dict:
    """A copy of `fields` with the value at `path` increased by `add` (its type kept)."""
    if not path or not add:
        return fields
    out = dict(fields)
    if len(path) > 1:
        out[path[0]] = with_page(fields[path[0]], path[1:], add)
        return out
    value = fields[path[0]]
    new = int(value) + add
    out[path[0]] = new if isinstance(value, int) else str(new)
    return out


def _is_int(v) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit())


def _fields(body: dict) -> dict | None:
    """The body's simple fields; None when one that matters is unreadable. A name that is
    not assigned stands for the first page where the key is a page or offset parameter."""
    out = {}
    for k, v in body.items():
        if isinstance(v, jsvalues.Unreadable) and (PAGE_FIELD.match(k) or OFFSET_FIELD.match(k)):
            # the key says what it is: `pageNo: page`, `start: (page - 1) * size` hold the first page
            out[k] = 0 if OFFSET_FIELD.match(k) else 1
        elif isinstance(v, jsvalues.Unreadable):
            return None
        elif isinstance(v, dict):
            inner = _fields(v)
            if inner is None:
                return None
            out[k] = inner
        else:
            out[k] = v
    return out


def _header(options: dict) -> str | None:
    headers = options.get("headers")
    if isinstance(headers, dict):
        for k, v in headers.items():
            if k.lower() == "content-type" and isinstance(v, str):
                return v
    v = options.get("contentType")
    return v if isinstance(v, str) else None


def _call(kind: str, args: list[str], values: dict, after: str) -> PostCall | None:
    """The POST a call sends, or None (a GET, or a body this reader cannot know)."""
    def val(expr):  # an unreadable argument stays one (it is no missing argument)
        try:
            return jsvalues.value(expr, values)
        except jsvalues.Unreadable as exc:
            return exc

    if kind == "xhr":
        url, body = val(args[0]) if args else None, None
        send = SEND.search(after, 0, XHR_SEND_CHARS)
        if send:
            inner = jsvalues.span(after, send.end() - 1)
            body = val(inner.strip()) if inner and inner.strip() else None
        header = SET_HEADER.search(after, 0, send.start() if send else XHR_SEND_CHARS)
        return _make(url, body, header.group(1) if header else None, style="xhr")
    first = val(args[0]) if args else None
    options = first if isinstance(first, dict) else (val(args[1]) if len(args) > 1 else None)
    options = options if isinstance(options, dict) else {}
    if kind == "ajax":  # $.ajax({url, type, data, contentType}) or $.ajax(url, {…})
        url = first if isinstance(first, str) else options.get("url")
        method = options.get("type") or options.get("method") or "GET"
        if not isinstance(method, str) or method.upper() != "POST":
            return None
        return _make(url, options.get("data"), _header(options), style="jquery")
    if kind == "post":  # $.post(url, data, success, dataType) or $.post({url, data})
        if isinstance(first, dict):
            return _make(first.get("url"), first.get("data"), _header(first), style="jquery")
        return _make(first, val(args[1]) if len(args) > 1 else None, None, style="jquery")
    if kind == "load":  # $("#list").load(url, data, complete): jQuery POSTs when data is an object
        data = val(args[1]) if len(args) > 1 else None
        if not isinstance(data, dict) or isinstance(data, jsvalues.FormBody):
            return None  # a GET (no data, or a string): the page's HTML fetch, not a list API to POST
        return _make(first, data, None, style="jquery")
    if kind == "fetch":
        method = options.get("method")
        if not isinstance(method, str) or method.upper() != "POST":
            return None
        return _make(first, options.get("body"), _header(options), style="fetch")
    # axios.post(url, data, config); axios({method, url, data}); axios.request({…})
    if kind == "axios.post":
        config = val(args[2]) if len(args) > 2 else None
        return _make(first, val(args[1]) if len(args) > 1 else None,
                     _header(config) if isinstance(config, dict) else None, style="axios")
    method = options.get("method")
    if not isinstance(method, str) or method.upper() != "POST":
        return None
    return _make(options.get("url"), options.get("data"), _header(options), style="axios")


def _make(url, body, header: str | None, *, style: str) -> PostCall | None:
    """The request a call style sends for this body: jQuery sends an object as a form,
    axios as JSON, fetch and XHR send only strings (a plain object is no body for them);
    a string goes as it is, typed by the call's header or the style's default."""
    if not isinstance(url, str) or not url.strip() or not RELATIVE_URL.match(url.strip()):
        return None
    string_type = {"jquery": FORM, "axios": FORM}.get(style, TEXT)
    if isinstance(body, jsvalues.JsonBody):
        fields, as_json, default = _fields(body), True, JSON_TYPE if style == "axios" else string_type
    elif isinstance(body, jsvalues.FormBody):
        fields, as_json, default = _fields(body), False, FORM
    elif isinstance(body, dict) and style in ("jquery", "axios"):
        # axios sends an object as JSON, unless told the body is a form (axios ≥ 1 encodes it so)
        as_json = style == "axios" and "form-urlencoded" not in (header or "").lower()
        fields, default = _fields(body), JSON_TYPE if as_json else FORM
    elif isinstance(body, str):  # a form string: "page=1&channel=x"
        fields, as_json, default = _form_fields(body) if "=" in body else None, False, string_type
    elif body is None:  # no body: jQuery still names a form, the others send no Content-Type
        fields, as_json, default = {}, False, FORM if style == "jquery" else ""
    else:
        return None
    if fields is None:
        return None
    if not as_json:  # jQuery.param writes an array under its key with []: ids[]=1&ids[]=2
        fields = {f"{k}[]" if isinstance(v, list) and not k.endswith("[]") else k: v for k, v in fields.items()}
    found = page_path(fields)
    path, step = found if found else (None, 1)
    return PostCall(url.strip(), fields, as_json, header or default, path, step, style == "jquery")


def post_calls(scripts: str, base: str) -> list[PostCall]:
    """The POST calls of a page's scripts whose URL and body are known, URLs made absolute."""
    out, seen, values = [], set(), None
    for i, m in enumerate(CALL_HEAD.finditer(scripts)):
        if i >= MAX_CALLS:
            break
        if values is None:
            values = jsvalues.page_values(scripts)
        kind = next((k for k in ("jq", "fetch", "load", "xhr") if m.group(k)), "axios")
        kind = m.group("jq").lower() if kind == "jq" else kind  # ajax | post
        if kind == "axios" and (m.group("axios") or "").lower() == "post":
            kind = "axios.post"
        if kind == "xhr":
            inner = jsvalues.span(scripts, m.start() + m.group(0).index("("))
            args = jsvalues.split_top(inner)[1:] if inner else []
        else:
            inner = jsvalues.span(scripts, m.end() - 1)
            args = jsvalues.split_top(inner) if inner is not None else []
        if not args:
            continue
        call = _call(kind, args, values, scripts[m.end():m.end() + XHR_SEND_CHARS])
        if call is None:
            continue
        call = replace(call, url=urljoin(base, call.url))
        key = (call.url, call.body())
        if discovery.is_skipped(call.url) or key in seen:
            continue
        seen.add(key)
        out.append(call)
    return out


class FragmentListing:
    """An HTML fragment of list entries answered to a POST (older CMSs draw the list with
    `$.post(url, data, function (html) { $("#list").html(html); })`): read like a JSON
    listing, its links the records and the count it states (共N页, 1/N页) the pages."""

    def __init__(self, text: str, url: str):
        self.text, self.page = text, HtmlPage(text, url)

    def links(self) -> list:
        return self.page.links()

    @property
    def page_count(self) -> int | None:
        return stated_count(self.text)


def answer_listing(text: str, url: str):
    """What a POSTed list API answered: a JSON listing, or an HTML fragment of entries."""
    return FragmentListing(text, url) if text.lstrip()[:1] == "<" else JsonListing(text, url)
