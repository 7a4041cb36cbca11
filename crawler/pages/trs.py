"""TRS WCM listings: page N of a column is index_N.html, announced in script.

TRS columns (…/zfxxgk/zfxxgknb/index.html) print no page links; a script
builds them from one call, in one of two argument forms:

    createPageHTML(5, 0, "index", "html");                      # pages, current, prefix, suffix
    createPageHTML('page_div', 5, 1, 'index', 'shtml', 72);     # div id first, record count last

Arguments may also be variables declared on the page (`var countPage = 5`).
Page 0 is prefix.suffix, page i is prefix_i.suffix.
Examples: tests/fixtures/crawler/trs_column.html, trs_column_divform.html.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.pages.base import SelectorCountError

# createPageHTML and its renamed copies (createPageHtml, createPage, createPageHTML2 …).
CALL = re.compile(r"createPage\w*\s*\(([^()]*)\)")
# Guard against a mangled count (a record count mistaken for a page count).
MAX_PAGES = 500


def _args(raw: str) -> list[str]:
    return [a.strip().strip("'\"") for a in raw.split(",")]


def _resolve(arg: str, script: str) -> int | None:
    if re.fullmatch(r"\d+", arg):
        return int(arg)
    m = re.search(rf"\b(?:var|let|const)?\s*{re.escape(arg)}\s*=\s*['\"]?(\d+)", script)
    return int(m.group(1)) if m and re.fullmatch(r"[A-Za-z_$][\w$]*", arg) else None


class TrsPager:
    def __init__(self, script: str, url: str):
        self.url = url
        self.pages: int | None = None
        self.prefix = self.suffix = ""
        for m in CALL.finditer(script):
            if script[max(0, m.start() - 9):m.start()].rstrip().endswith("function"):
                continue  # the definition in the CMS's own page.js, not a call
            args = _args(m.group(1))
            # The div form starts with a quoted element id; the plain form with a number.
            if len(args) >= 5 and not re.fullmatch(r"\d+", args[0]) and _resolve(args[0], script) is None:
                args = args[1:]
            if len(args) < 4:
                continue
            pages = _resolve(args[0], script)
            if pages is None or not args[2] or not args[3]:
                continue
            self.pages, self.prefix, self.suffix = pages, args[2], args[3]
            break

    @property
    def found(self) -> bool:
        return self.pages is not None

    def page_urls(self) -> list[str]:
        """URLs of every page of the listing, page 0 included."""
        if self.pages is None:
            return []
        if self.pages > MAX_PAGES:
            raise SelectorCountError(f"createPageHTML: {self.pages} pages (> {MAX_PAGES}) on {self.url}")
        names = [f"{self.prefix}.{self.suffix}"] + [f"{self.prefix}_{i}.{self.suffix}" for i in range(1, self.pages)]
        return [urljoin(self.url, n) for n in names]
