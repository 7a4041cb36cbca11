"""The reports spider's decisions on single responses (no network, no reactor): a wrapper
page yields its files with the page as context and is never an item itself; a download
page between a wrapper and its file is followed, a chain of them is not; a document is an
item whatever its URL; an HTML answer at a download endpoint is nothing."""

from __future__ import annotations

from urllib.parse import quote

import scrapy
from scrapy.http import HtmlResponse, Response

from crawler.items import RawDocument
from crawler.spiders.reports import MAX_WRAPPERS, ReportsSpider

BASE = "https://www.henan.gov.cn"
TITLE = "河南省人民政府2020年政府信息公开工作年度报告"
WRAPPER = f"""<html><head><meta name="ArticleTitle" content="{TITLE}"><meta name="PubDate" content="2021-01-28 09:30">
<title>{TITLE}_河南省人民政府</title></head><body><h1>{TITLE}</h1>
<div class="info"><span>发布时间：2021-01-28</span><span>来源：河南省人民政府办公厅浏览次数：88</span></div>
<p>现将{TITLE}予以公布。</p><p>附件：<a href="/down.jsp?id=7">点击下载</a></p>
<iframe src="/static/pdfjs/web/viewer.html?file={quote('/files/7.pdf', safe='')}"></iframe></body></html>"""


def _spider() -> ReportsSpider:
    spider = ReportsSpider(province="henan")
    spider.state = {}
    return spider


def _run(spider, response):
    return list(spider._dispatch(response, spider.sites["henan"]))


def _response(url: str, body: bytes, meta: dict, cls=HtmlResponse, headers=None):
    request = scrapy.Request(url, meta={"site": "henan", "hops": 1, **meta})
    return cls(url, body=body, request=request, headers=headers or {"Content-Type": "text/html; charset=utf-8"},
               encoding="utf-8") if cls is HtmlResponse else cls(url, body=body, request=request, headers=headers)


def test_wrapper_yields_its_files_with_the_page_as_context():
    spider = _spider()
    out = _run(spider, _response(f"{BASE}/zwgk/t1.html", WRAPPER.encode(), {"role": "item", "anchor": TITLE}))
    assert not [o for o in out if isinstance(o, RawDocument)]  # the wrapper is never the report
    assert sorted(r.url for r in out) == [f"{BASE}/down.jsp?id=7", f"{BASE}/files/7.pdf"]
    ctx = out[0].meta["context"]
    assert (ctx["page"], ctx["title"], ctx["published"], ctx["organization"]) == (
        f"{BASE}/zwgk/t1.html", TITLE, "2021-01-28", "河南省人民政府")  # title before the year wins
    assert all(r.meta["role"] == "attachment" and r.meta["report_title"] == TITLE for r in out)


def test_download_page_between_wrapper_and_file_is_followed_a_chain_is_not():
    page = b'<html><body><p>\xe4\xb8\x8b\xe8\xbd\xbd\xef\xbc\x9a<a href="/files/7.pdf">7.pdf</a></p></body></html>'
    meta = {"role": "attachment", "anchor": "点击下载", "report_title": TITLE, "context": {"page": "p"}, "wrapped": 1}
    out = _run(_spider(), _response(f"{BASE}/down.jsp?id=7", page, meta))
    assert [(r.url, r.meta["context"], r.meta["wrapped"]) for r in out] == [(f"{BASE}/files/7.pdf", {"page": "p"}, 2)]
    meta["wrapped"] = MAX_WRAPPERS
    assert _run(_spider(), _response(f"{BASE}/down.jsp?id=7", page, meta)) == []


def test_a_document_is_an_item_whatever_its_url_and_an_error_page_is_nothing():
    spider = _spider()
    meta = {"role": "attachment", "anchor": "点击下载", "report_title": TITLE, "context": {"page": f"{BASE}/zwgk/t1.html"}}
    pdf = _response(f"{BASE}/down.jsp?id=7", b"%PDF-1.4\n...", meta, cls=Response,
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Disposition": f"attachment; filename*=UTF-8''{quote(TITLE)}.pdf"})
    (item,) = _run(spider, pdf)
    assert (item["via"], item["filename"], item["title"]) == ("attachment", f"{TITLE}.pdf", TITLE)
    assert item["context"] == {"page": f"{BASE}/zwgk/t1.html", "site_name": "河南省人民政府"}
    bare = _response(f"{BASE}/downfile/7", b"PK\x03\x04" + b"word/document.xml" * 3, meta, cls=Response,
                     headers={"Content-Type": "application/force-download"})
    assert _run(spider, bare)[0]["filename"] == "7.docx"
    missing = _response(f"{BASE}/down.jsp?id=8", "<html><body>文件不存在</body></html>".encode(), meta)
    assert _run(spider, missing) == []


def test_a_page_of_countless_files_is_no_wrapper_and_a_report_with_many_links_is_still_a_report():
    import pytest

    from crawler.pages.base import SelectorCountError

    links = "".join(f'<a href="/down.jsp?id={i}">附件{i}.pdf</a>' for i in range(100))
    page = WRAPPER.replace("</body>", links + "</body>").encode()
    with pytest.raises(SelectorCountError):
        _run(_spider(), _response(f"{BASE}/zwgk/t2.html", page, {"role": "item", "anchor": TITLE}))
    report = page.replace(b"<p>", "<p>一、总体情况 主动公开政府信息 二、收到和处理政府信息公开申请情况 三、行政复议 <p>".encode(), 1)
    (item,) = _run(_spider(), _response(f"{BASE}/zwgk/t3.html", report, {"role": "item", "anchor": TITLE}))
    assert isinstance(item, RawDocument) and item["via"] == "page"
