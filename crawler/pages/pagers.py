"""Pagers recognised by what they do, not by the CMS that printed them.

A listing's other pages are reached in one of a few ways, whatever the vendor:

- a script call per page (`goPage(3)`, `turnPage(3)`, `gotoPage('3')`, `jumpTo(3)` … in an
  href="javascript:…" or an onclick): the call's function, when the page defines it,
  either builds a URL from its argument (`location.href = "list_" + (n - 1) + ".html"`)
  or writes the argument into a form field and submits the form;
- a form with a page field (pageNo, pageIndex, currentPage, cur_page …) POSTed or GETed
  with the field set to each page;
- a page parameter in the query (?page=2, ?pageNo=2, ?cur_page=2, ?startrecord=…)
  seen on page 1's own links.

The page count comes from the page: 共N页 / 1/N页 text, count variables
(`totalPage = 5`, `pageCount: 5`), or the highest page number called. Without a
count the pager is followed one page at a time while pages bring new records
(crawler/spiders/pagers.py). Every count is bounded (MAX_PAGES).
Examples: tests/fixtures/crawler/pager_*.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.pages.base import SelectorCountError

# Functions whose name says they change page (not createPageHTML: crawler/pages/trs.py).
PAGER_FUNC = re.compile(r"(page|pager|turn|fenye|jump|goto)", re.I)
NOT_PAGER_FUNC = re.compile(r"^(createPage\w*|parseInt|parseFloat|setTimeout|Number|String)$")
CALL = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$.]*+)\s*\(\s*['\"]?(\d{1,4})['\"]?\s*[,)]")
# Form fields that hold the page number.
PAGE_FIELD = re.compile(r"^(page|pageno|page_no|pagenum|page_num|pageindex|page_index|currentpage|current_page"
                        r"|curpage|cur_page|pn|pagecur|nowpage|p)$", re.I)
COUNT_TEXT = (re.compile(r"共\s*(\d{1,4})\s*页"), re.compile(r"\d{1,4}\s*/\s*(\d{1,4})\s*页"))
COUNT_VAR = re.compile(r"\b(?:totalPages?|pageCount|countPage|pageTotal|totalPageCount|page_count|total_page"
                       r"|maxPage|pages)\s*[:=]\s*['\"]?(\d{1,4})\b", re.I)
QUERY_PAGE = re.compile(r"^(page|pageNo|pageNum|pageIndex|pn|p|cur_?page|currentPage|curPage|page_no)$", re.I)
MAX_PAGES = 500
BODY_CHARS = 3000  # a pager function's body is short; more is another function


@dataclass
class FormSpec:
    action: str
    method: str
    fields: dict[str, str]
    page_field: str


@dataclass
class Pager:
    """How to reach page n of this listing."""
    count: int | None = None      # pages in all, when the page says so
    # page numbers the page's pager calls or links (all pages, or just the next one)
    current: int | None = None    # the page we are on, when the page says
    template: tuple[str, int, str] | None = None  # (prefix, offset, suffix): URL of page n
    form: FormSpec | None = None
    offset: int = 0               # the value a form field or parameter takes is n + offset
    query_param: str | None = None
    how: str = ""                 # url | form | query (for logs and tests)
    calls: set[int] = field(default_factory=set)

    def url_for(self, base: str, n: int) -> str:
        prefix, offset, suffix = self.template
        return urljoin(base, f"{prefix}{n + offset}{suffix}")


def _function_body(script: str, name: str) -> tuple[str, str] | None:
    """(parameter, body) of `function name(p …) {…}` or `name = function (p …) {…}`."""
    short = re.escape(name.rsplit(".", 1)[-1])
    m = (re.search(rf"function\s+{short}\s*\(\s*([A-Za-z_$][\w$]*)[^)]*\)\s*\{{", script)
         or re.search(rf"\b{short}\s*[:=]\s*function\s*\(\s*([A-Za-z_$][\w$]*)[^)]*\)\s*\{{", script))
    if not m:
        return None
    depth, i = 1, m.end()
    end = min(len(script), m.end() + BODY_CHARS)
    while i < end and depth:
        depth += {"{": 1, "}": -1}.get(script[i], 0)
        i += 1
    return m.group(1), script[m.end():i - 1]


def _url_template(param: str, body: str) -> tuple[str, int, str] | None:
    """"prefix" + (param ± k) + "suffix" in a function body: a URL per page."""
    p = re.escape(param)
    m = re.search(
        rf"""(["'])([^"'\s]*)\1\s*\+\s*\(?\s*(?:parseInt\s*\(\s*)?{p}\s*\)?\s*(?:([-+])\s*(\d+)\s*\)?)?"""
        rf"""\s*(?:\+\s*(["'])([^"'\s]*)\5)?""", body)
    if not m:
        return None
    offset = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
    return m.group(2), offset, m.group(6) or ""


def _form_field_set(param: str, body: str) -> tuple[str, int] | None:
    """The form field a function writes its argument to before submitting: (id or name, offset)."""
    if "submit" not in body:
        return None
    p = re.escape(param)
    val = rf"\(?\s*{p}\s*(?:([-+])\s*(\d+))?\s*\)?"
    for pattern in (rf"getElementById\(\s*['\"]([\w-]+)['\"]\s*\)\.value\s*=\s*{val}",
                    rf"\.([\w-]+)\.value\s*=\s*{val}",
                    rf"\[\s*['\"]([\w-]+)['\"]\s*\]\.value\s*=\s*{val}",
                    rf"\$\(\s*['\"][#]?(?:input\[name=)?([\w-]+)\]?['\"]\s*\)\.val\(\s*{val}\s*\)"):
        m = re.search(pattern, body)
        if m:
            return m.group(1), int(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
    return None


def _forms(sel, url: str) -> list[FormSpec]:
    out = []
    for form in sel.css("form"):
        fields = {}
        page_field = None
        for inp in form.css("input[name], select[name]"):
            name = inp.attrib["name"]
            if (inp.attrib.get("type") or "").lower() in ("submit", "button", "image", "reset"):
                continue
            fields[name] = inp.attrib.get("value", "") if inp.root.tag == "input" else (
                inp.css("option[selected]::attr(value)").get() or "")
            if page_field is None and (PAGE_FIELD.match(name) or PAGE_FIELD.match(inp.attrib.get("id", ""))):
                page_field = name
        if page_field:
            out.append(FormSpec(urljoin(url, form.attrib.get("action") or url),
                                (form.attrib.get("method") or "GET").upper(), fields, page_field))
    return out


def _form_by_field(forms: list[FormSpec], sel, ident: str) -> FormSpec | None:
    for form in forms:
        if ident in form.fields:
            return form
    el = sel.css(f"[id='{ident}']")
    name = el.attrib.get("name") if el else None
    for form in forms:
        if name and name in form.fields:
            form.page_field = name
            return form
    return None


def stated_count(text: str) -> int | None:
    """The page count the page states (共N页, 1/N页, totalPage = N); None when it does not
    (the page numbers a pager calls are not a count: a pager may show only 下一页)."""
    for pattern in COUNT_TEXT:
        m = pattern.search(text)
        if m:
            return int(m.group(1))
    counts = [int(m.group(1)) for m in COUNT_VAR.finditer(text)]
    return max(counts) if counts else None


def read_pager(text: str, sel, url: str) -> Pager | None:
    """The script, form or query pager of a listing page, or None when it has none."""
    scripts = "\n".join(sel.css("script::text").getall())
    handlers = " ".join(sel.css("[onclick]::attr(onclick), a[href^='javascript']::attr(href)").getall())
    calls: dict[str, set[int]] = {}
    for m in CALL.finditer(handlers + "\n" + scripts):
        name = m.group(1)
        if PAGER_FUNC.search(name.rsplit(".", 1)[-1]) and not NOT_PAGER_FUNC.match(name) \
                and 0 <= int(m.group(2)) <= MAX_PAGES:  # a bigger number is an id or a year, not a page
            calls.setdefault(name, set()).add(int(m.group(2)))
    assigned = {int(v) for v in re.findall(r"\.value\s*=\s*['\"]?(\d{1,4})['\"]?\s*;.{0,160}?submit", handlers)}
    forms = _forms(sel, url)
    pager = None
    for name, pages in calls.items():
        found = _function_body(scripts, name)
        if not found:
            continue
        param, body = found
        template = _url_template(param, body)
        if template:
            pager = Pager(template=template, how="url", calls=pages)
            break
        target = _form_field_set(param, body)
        if target:
            form = _form_by_field(forms, sel, target[0])
            if form:
                pager = Pager(form=form, offset=target[1], how="form", calls=pages)
                break
    if pager is None and forms and (calls or assigned or stated_count(text)):
        # page calls or handlers writing numbers into a form with a page field, or such a
        # form (submitted by its own 下一页 button) on a page stating its count
        pager = Pager(form=forms[0], how="form", calls=set().union(*calls.values(), assigned))
    if pager is None:
        return None
    pager.count = stated_count(text)
    if pager.form is not None:
        value = pager.form.fields.get(pager.form.page_field, "")
        pager.current = int(value) - pager.offset if value.isdigit() else None
    if pager.count is not None and pager.count > MAX_PAGES:
        raise SelectorCountError(f"pager: {pager.count} pages (> {MAX_PAGES}) on {url}")
    return pager


def query_pager(links, url: str, text: str) -> Pager | None:
    """A page parameter seen on page 1's own links (?cur_page=2), with the page's count."""
    here = dict(parse_qsl(urlsplit(url).query))
    for link in links:
        parts = urlsplit(link.url)
        if parts.path != urlsplit(url).path:
            continue
        for k, v in parse_qsl(parts.query):
            if QUERY_PAGE.match(k) and v.isdigit() and k not in here:
                count = stated_count(text)
                if count and count > MAX_PAGES:
                    raise SelectorCountError(f"pager: {count} pages (> {MAX_PAGES}) on {url}")
                return Pager(count=count, query_param=k, how="query", current=1,
                             template=None, calls={int(v)})
    return None


def with_param(url: str, param: str, value: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query[param] = str(value)
    return urlunsplit(parts._replace(query=urlencode(query)))
