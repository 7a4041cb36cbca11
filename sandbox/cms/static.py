"""Plain static sites: /ndbg/index.htm, index_2.htm, … with ordinary 首页 / 上一页 /
下一页 / 尾页 links. Articles at /ndbg/2021/1234.htm, files at /uploadfiles/2021/1234.pdf."""

from __future__ import annotations

from sandbox import render_html
from sandbox.cms import paginate

CONTAINER = ('<div class="content" id="content">', "</div>")
SERVER = "Microsoft-IIS/7.5"


def column_path(key: str, n: int) -> str:
    return f"/{key}/index.htm"


def article_path(column, item_id: int, date: str) -> str:
    return f"/{column.key}/{date[:4]}/{item_id}.htm"


def attachment_path(column, item_id: int, date: str, ext: str) -> str:
    return f"/uploadfiles/{date[:4]}/{item_id}.{ext}"


def pager(k: int, n: int) -> str:
    """The static CMS's pager of listing page k of n: 首页 上一页 下一页 尾页 links."""
    links = [f"共{n}页 当前第{k}页", f'<a href="{page_name(1)}">首页</a>']
    if k > 1:
        links.append(f'<a href="{page_name(k - 1)}">上一页</a>')
    if k < n:
        links.append(f'<a href="{page_name(k + 1)}">下一页</a>')
    links.append(f'<a href="{page_name(n)}">尾页</a>')
    return '<div class="pager">' + " ".join(links) + "</div>"


def page_name(k: int) -> str:  # k is 1-based here, as on such sites
    return "index.htm" if k == 1 else f"index_{k}.htm"


def listing_routes(site, column) -> dict:
    pages = paginate(column.entries, site.spec.page_size)
    n = len(pages)
    folder = column.path.rsplit("/", 1)[0] + "/"
    subcolumns = [c for c in site.columns if c.parent == column.key]

    def render(k: int) -> str:
        return render_html.listing(site, column, render_html.entry_list(pages[k - 1], lambda e: e.path),
                                   pager(k, n), subcolumns)

    routes = {folder + page_name(k): (lambda k=k: render(k)) for k in range(1, n + 1)}
    routes[folder] = routes[folder + "index.htm"]
    return routes


def api(site, request):
    return None
