"""TRS WCM-style sites: /zwgk/ndbg/index.html, index_1.html …, articles at
./202101/t20210122_1234.html, attachments ./202101/P020210122001234.pdf.

The pager is not links but a script call the crawler must read:
  classic:  createPageHTML(5, 0, "index", "html");      (pages, current 0-based, prefix, suffix)
  page_div: createPageHTML('page_div',5,1,'index','html',73);  (div, pages, current 1-based, …, records)
"""

from __future__ import annotations

from sandbox import render_html
from sandbox.cms import paginate

CONTAINER = ('<div class="TRS_Editor"><div class="Custom_UnionStyle">', "</div></div>")
SERVER = "Apache"

_PAGE_JS = """<script type="text/javascript">
function createPageHTML(){ /* TRS 分页: renders 首页 上一页 下一页 尾页 from its arguments */ }
</script>"""


def column_path(key: str, n: int) -> str:
    return f"/zwgk/{key}/"


def _stamp(date: str) -> tuple[str, str]:
    return date[:7].replace("-", ""), date.replace("-", "")


def article_path(column, item_id: int, date: str) -> str:
    ym, ymd = _stamp(date)
    return f"{column.path}{ym}/t{ymd}_{item_id}.html"


def attachment_path(column, item_id: int, date: str, ext: str) -> str:
    ym, ymd = _stamp(date)
    return f"{column.path}{ym}/P0{ymd}{item_id:06d}.{ext}"


def page_name(k: int) -> str:
    return "index.html" if k == 0 else f"index_{k}.html"


def listing_routes(site, column) -> dict:
    pages = paginate(column.entries, site.spec.page_size)
    total = len(column.entries)
    page_div = "trs_page_div" in site.features
    subcolumns = [c for c in site.columns if c.parent == column.key]

    def href(entry):
        # TRS links are relative to the column directory where they can be.
        if entry.path.startswith(column.path):
            return "./" + entry.path[len(column.path):]
        return entry.path

    def render(k: int) -> str:
        if page_div:
            call = f"createPageHTML('page_div',{len(pages)},{k + 1},'index','html',{total});"
            pager = f'<div id="page_div"></div>\n<script>{call}</script>'
        else:
            pager = f'<div class="page"><script>createPageHTML({len(pages)}, {k}, "index", "html");</script></div>'
        return render_html.listing(site, column, render_html.entry_list(pages[k], href),
                                   _PAGE_JS + "\n" + pager, subcolumns)

    routes = {column.path + page_name(k): (lambda k=k: render(k)) for k in range(len(pages))}
    routes[column.path] = routes[column.path + "index.html"]
    return routes


def api(site, request):
    return None
