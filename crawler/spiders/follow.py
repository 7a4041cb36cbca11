"""What a listing asks the crawler to fetch next, independent of Scrapy.

Each CMS family module turns one page into `Follow`s; the reports spider
scopes them to the site and makes the requests.
Roles:
  nav         a page on the way to the report column
  pager       another page of a report column (listing context carries over)
  item        an entry of a report column: maybe a report, maybe a decoy
  attachment  a PDF/Word/WPS/Excel file that is (or may be) a report
  api         a JSON listing endpoint
  proxy       a Hanweb dataproxy.jsp window
  rendered    a column page to render in the browser (crawler/browser.py)
  script      a column page's external script, read for the APIs it calls
A pager may be a form POST: `formdata` holds its fields (and `method`). A POSTed
API carries its `body` as the page's script sends it, with its `headers` (Content-Type).
`meta` adds request meta (pager bookkeeping: which page of which pager).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("nav", "pager", "item", "attachment", "api", "proxy", "rendered", "script")


@dataclass(frozen=True)
class Follow:
    url: str
    role: str
    text: str = ""
    formdata: tuple[tuple[str, str], ...] | None = None
    method: str = "GET"
    meta: tuple[tuple[str, object], ...] = ()
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
