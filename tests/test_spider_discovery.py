"""Discovery mechanisms on saved pages and hand-written variations, no network:
documents judged by their response, frames and viewers, script/form/query pagers,
JSON lists named by scripts, page metadata (tests/fixtures/crawler/, README there)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from crawler import discovery, documents
from crawler.pages.html import HtmlPage, viewer_target
from crawler.pages.jsonapi import JsonListing, api_urls, assembled_urls
from crawler.pages.pagers import read_pager
from crawler.spiders import pagers, static
from parsers import metadata
from parsers.html import page_metadata

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- download candidates ----------------------------------------------------------------

@pytest.mark.parametrize("url, text, candidate", [
    ("http://h/a/P020200120.pdf", "", True),
    ("http://h/download?fileid=12", "下载", True),
    ("http://h/attach/getfile.do?id=3&type=1", "点击下载", True),
    ("http://h/DownLoad.aspx?FileName=1234.pdf", "", True),
    ("http://h/downfile/1234", "", True),
    ("http://h/servlet/Show?docid=55", "", True),
    ("http://h/module/download/downfile.jsp?classid=0&filename=abc", "", True),
    ("http://h/uploads/x", "某县2020年政府信息公开工作年度报告.pdf", True),
    ("http://h/uploads/x", "年度报告.WPS", True),
    ("http://h/zwgk/ndbg/202101/t20210122_1.html", "某县2020年政府信息公开工作年度报告", False),
    ("http://h/static/pdfjs/web/viewer.html?file=%2Fa.pdf", "", False),  # a viewer, not the file
    ("http://h/xxgk/list.jsp?id=5", "政府信息公开年报", False),
])
def test_download_candidates(url, text, candidate):
    assert discovery.is_download(url, text) is candidate


# --- the response decides -----------------------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "x")
    return buf.getvalue()


NAME = "郑州市人民政府2020年政府信息公开工作年度报告"


@pytest.mark.parametrize("disposition, name", [
    (f"attachment; filename*=UTF-8''{quote(NAME + '.pdf')}", NAME + ".pdf"),
    (f"attachment; filename=\"x.pdf\"; filename*=utf-8''{quote(NAME + '.pdf')}", NAME + ".pdf"),
    (f"attachment;filename*=GBK''{quote((NAME + '.doc').encode('gbk'))}", NAME + ".doc"),
    ("attachment; filename=\"" + (NAME + ".pdf").encode("gbk").decode("latin-1") + "\"", NAME + ".pdf"),
    ("attachment; filename=\"" + (NAME + ".docx").encode("utf-8").decode("latin-1") + "\"", NAME + ".docx"),
    (f"attachment; filename={quote(NAME + '.wps')}", NAME + ".wps"),
    (f"attachment; filename=\"{quote((NAME + '.pdf').encode('gbk'))}\"", NAME + ".pdf"),
    ("inline; filename=report.ofd", "report.ofd"),
    ("attachment; filename=\"C:\\\\up\\\\2021.pdf\"", "2021.pdf"),
    ("attachment", ""),
])
def test_content_disposition_file_names(disposition, name):
    headers = {"Content-Disposition": disposition.encode("latin-1")}
    assert documents.filename(headers, "http://h/download?fileid=1") == (name or "download")


@pytest.mark.parametrize("ctype, disposition, body, kind", [
    ("application/pdf", "", PDF, "pdf"),
    ("application/octet-stream", "", PDF, "pdf"),                       # only the bytes tell
    ("text/html", "", PDF, "pdf"),                                       # a lying header
    ("application/octet-stream", "", _zip("word/document.xml", "[Content_Types].xml"), "docx"),
    ("application/force-download", "", _zip("OFD.xml", "Doc_0/Document.xml"), "ofd"),
    ("application/octet-stream", "attachment; filename=a.wps", OLE, "wps"),
    ("application/x-download", "", OLE, "doc"),
    ("application/msword", "", b"garbage bytes", "doc"),
    ("application/octet-stream", "attachment; filename=r.pdf", b"\x00\x01binary", "pdf"),
    ("application/octet-stream", "", b"\x00\x01binary", None),           # no name, no magic: unknown
    ("application/pdf", "", "<html><body>文件不存在</body></html>".encode(), None),  # an error page
    ("application/octet-stream", "", _zip("images/1.png"), None),
    ("image/png", "", b"\x89PNG\r\n", None),
    ("text/html; charset=utf-8", "", b"<!DOCTYPE html><html>", None),
])
def test_document_kind_from_response(ctype, disposition, body, kind):
    headers = {"Content-Type": ctype.encode()}
    if disposition:
        headers["Content-Disposition"] = disposition.encode()
    assert documents.document_kind(headers, body, "http://h/download?fileid=1") == kind


# --- frames and viewers ----------------------------------------------------------------------

@pytest.mark.parametrize("url, target", [
    ("http://h/pdfjs/web/viewer.html?file=%2Fup%2F1.pdf", "http://h/up/1.pdf"),
    ("http://h/pdfjs/web/viewer.html?file=%252Fup%252F1.pdf", "http://h/up/1.pdf"),        # encoded twice
    ("http://h/pdfjs/web/viewer.html?file=..%2F..%2Fup%2F1.pdf", "http://h/up/1.pdf"),      # relative to the viewer
    ("http://h/static/viewer.html?file=http%3A%2F%2Fh%2Fdownload%3Ffileid%3D9", "http://h/download?fileid=9"),
    ("http://h/js/pdfjs/web/viewer.html?v=3&file=/a/b.pdf", "http://h/a/b.pdf"),
    ("http://h/preview.jsp?url=%2Fdoc%2F2.docx", "http://h/doc/2.docx"),
    ("http://h/pdfjs/web/viewer.html", None),
    ("http://h/zwgk/ndbg/t1.html?file=x.pdf", None),
])
def test_viewer_targets(url, target):
    assert viewer_target(url) == target


@pytest.mark.parametrize("name, target", [
    ("wrapper_viewer_relative.html", "http://h/zwgk/ndbg/201602/P020160223001193.pdf"),
    ("wrapper_viewer_double.html", "http://h/attach/0/20160219001121.pdf"),
    ("wrapper_viewer_link.html", "http://h/zwgk/ndbg/201503/P020150315001155.pdf"),
    ("wrapper_viewer_iframe.html", "http://h/download?fileid=1238"),
    ("wrapper_iframe.html", "http://h/attach/0/20150210001216.pdf"),
    ("wrapper_embed.html", "http://h/zwgk/ndbg/201801/P020180122001104.pdf"),
    ("wrapper_object.html", "http://h/uploadfiles/2017/1175.pdf"),
])
def test_wrapper_pages_show_their_file(name, target):
    p = HtmlPage(fixture(name), "http://h/zwgk/ndbg/201602/t1.html")
    assert p.report_year() and p.is_wrapper()
    assert target in [link.url for link in p.embedded() + p.attachment_links()]


def test_extensionless_attachment_in_the_attachment_area():
    p = HtmlPage(fixture("wrapper_extless.html"), "http://h/gkmlpt/content/1/1046/post_1046.html")
    assert [link.url for link in p.attachment_links()] == ["http://h/download?fileid=1046"]
    html = '<div class="content"><p>附件：<a href="/servlet/Show?x=1">年度报告</a></p><a href="/zwgk/">政务公开</a></div>'
    assert [link.url for link in HtmlPage(html, "http://h/a.html").attachment_links()] == ["http://h/servlet/Show?x=1"]


# --- pagers --------------------------------------------------------------------------------------

def _follows(html: str, url: str, meta: dict | None = None):
    page = HtmlPage(html, url)
    return pagers.follow(page, SimpleNamespace(text=html, meta=meta or {}))


@pytest.mark.parametrize("name, url, first", [
    ("pager_goPage.html", "http://h/ndbg/index.htm", ["http://h/ndbg/index_1.html", "http://h/ndbg/index_2.html"]),
    ("pager_turnPage.html", "http://h/ndbg/index.htm",
     ["http://h/ndbg/list.jsp?cat=ndbg&pageNo=2", "http://h/ndbg/list.jsp?cat=ndbg&pageNo=3"]),
    ("pager_gotoPage.html", "http://h/zwgk/ndbg/", ["http://h/zwgk/ndbg/list_2.htm"]),       # only 下一页: a chain
    ("pager_toPage.html", "http://h/col/col1101/index.html",
     ["http://h/col/col1101/index.html?page=2", "http://h/col/col1101/index.html?page=3"]),
])
def test_script_pagers(name, url, first):
    follows = _follows(fixture(name), url)
    assert [f.url for f in follows][:len(first)] == first
    assert all(f.role == "pager" and f.formdata is None for f in follows)


@pytest.mark.parametrize("name, url, field, values", [
    ("pager_post_inline.html", "http://h/ndbg/index.htm", "pageNo", ["2", "3", "4", "5"]),
    ("pager_post_function.html", "http://h/zwgk/ndbg/", "pageIndex", ["1", "2", "3", "4"]),  # 0-based field
    ("pager_post_jquery.html", "http://h/ndbg/index.htm", "cur_page", ["2"]),
])
def test_form_pagers_post_every_page(name, url, field, values):
    follows = _follows(fixture(name), url)
    assert [dict(f.formdata)[field] for f in follows] == values
    assert all(f.method == "POST" for f in follows)


def test_chained_pager_stops_when_a_page_brings_nothing_new():
    html = fixture("pager_gotoPage.html")
    url = "http://h/zwgk/ndbg/list_2.htm"
    records = tuple(sorted(f.url for f in static.follow(HtmlPage(html, url).links(), column=True)
                           if f.role in ("item", "attachment")))
    assert _follows(html, url, {pagers.PAGE_KEY: 2, pagers.PREVIOUS_KEY: records}) == []
    assert [f.url for f in _follows(html, url, {pagers.PAGE_KEY: 1, pagers.PREVIOUS_KEY: ()})] == [
        "http://h/zwgk/ndbg/list_2.htm"]


@pytest.mark.parametrize("script, handler, want", [
    ('function jumpPage(p){window.location.href="/xxgk/list_"+p+".shtml";}', 'jumpPage(2)', "http://h/xxgk/list_2.shtml"),
    ("function changePage(pageNo) { location = 'more.jsp?pageNum=' + pageNo + '&t=1'; }", "changePage(2)",
     "http://h/col/more.jsp?pageNum=2&t=1"),
    ('var fenye = function(n){ self.location = "index_" + (n - 1) + ".htm"; }', "fenye(2)", "http://h/col/index_1.htm"),
    ('function showPage(i){ window.open("./page" + i + ".html", "_self"); }', "showPage(2)", "http://h/col/page2.html"),
])
def test_script_pager_variants(script, handler, want):
    html = (f"<html><body><ul><li><a href='/a/1.html'>2020年报</a></li></ul><script>{script}</script>"
            f"<a href='javascript:{handler}'>下一页</a><span>共3页</span></body></html>")
    follows = _follows(html, "http://h/col/index.htm")
    assert follows[0].url == want and len(follows) == 2


def test_form_pager_with_get_method_and_count_variable():
    html = ("<form action='list.do' method='get'><input name='channel' value='7'><input name='pageIndex' value='1'>"
            "</form><script>var totalPage = 3; function gotoPage(n){document.getElementById('pi').value=n;"
            "document.forms[0].submit();}</script><input id='pi'><a onclick='gotoPage(2)'>2</a>")
    pager = read_pager(html, HtmlPage(html, "http://h/c/").sel, "http://h/c/")
    assert pager.how == "form" and pager.count == 3
    assert [f.url for f in _follows(html, "http://h/c/")] == [
        "http://h/c/list.do?channel=7&pageIndex=2", "http://h/c/list.do?channel=7&pageIndex=3"]


def test_query_pager_inferred_from_page_one():
    html = "<div>共4页</div><a href='?cur_page=2&col=5'>下一页</a>"
    follows = _follows(html, "http://h/list.jsp?col=5")
    assert [f.url for f in follows] == [f"http://h/list.jsp?col=5&cur_page={n}" for n in (2, 3, 4)]


# --- JSON lists ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, api", [
    ("gkmlpt_getjson.html", "http://h/gkmlpt/api/all/1101?page=1&sid=1958"),
    ("gkmlpt_fetchvar.html", "http://h/gkmlpt/api/list/1101?pageNo=1&siteId=1959"),
    ("gkmlpt_config.html", "http://h/gkmlpt/api/docs?cat=1101&sid=1960"),
])
def test_gkmlpt_shells_name_their_api(name, api):
    html = fixture(name)
    p = HtmlPage(html, "http://h/gkmlpt/ndbg/index")
    assert p.is_column() and not [link for link in p.links() if discovery.is_report_title(link.text)]
    assert api_urls(html, p.sel, p.url) == [api]


@pytest.mark.parametrize("name, url, records, pages", [
    ("gkmlpt_getjson_page1.json", "http://h/gkmlpt/api/all/1101?page=1&sid=1958", 4, 7),     # total ÷ records
    ("gkmlpt_fetchvar_page1.json", "http://h/gkmlpt/api/list/1101?pageNo=1&siteId=1", 3, 7),  # nested totalPages
    ("gkmlpt_config_page1.json", "http://h/gkmlpt/api/docs?cat=1101&sid=1960", 5, 4),        # pinyin-free shape
])
def test_gkmlpt_json_answers(name, url, records, pages):
    listing = JsonListing(fixture(name), url)
    links = listing.links()
    assert len(links) == records and all(link.url.startswith("http://h/gkmlpt/content/") for link in links)
    assert listing.page_count == pages and len(listing.page_urls()) == pages - 1


@pytest.mark.parametrize("doc", [
    {"rows": [{"wjbt": "某县2020年政府信息公开工作年度报告", "wjlj": "/a/1.html", "rq": "2021-01-02"}], "zys": 1},
    {"data": {"data": {"items": [{"bt": "某县2020年政府信息公开工作年度报告", "lj": "https://h/a/1.html"}]}}},
    [{"DocTitle": "某县2020年政府信息公开工作年度报告", "DocUrl": "./a/1.html"}],
])
def test_json_records_by_shape_at_any_nesting(doc):
    links = JsonListing(json.dumps(doc, ensure_ascii=False), "http://h/").links()
    assert [link.text for link in links] == ["某县2020年政府信息公开工作年度报告"]
    assert links[0].url.endswith("/a/1.html")


@pytest.mark.parametrize("script, want", [
    ('var cfg = {sid: "12"}; $.ajax({url: "/api/doc/list?sid=" + cfg.sid + "&page=" + page});', ["/api/doc/list?sid=12&page=1"]),
    ("var CAT = 7; fetch('/open/' + CAT + '/list.json');", ["/open/7/list.json"]),
    ('xhr.open("GET", "/x/getList?col=" + colId);', []),   # colId is never assigned: unusable
    ("var dataUrl = '/xxgk/data/list_ndbg.do';", ["/xxgk/data/list_ndbg.do"]),
])
def test_assembled_endpoints(script, want):
    assert assembled_urls(script) == want


# --- page metadata ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, org", [
    ("郑州市教育局浏览次数：23", "郑州市教育局"),
    ("郑州市教育局 浏览次数", "郑州市教育局"),
    ("中牟县人民政府发布时间：2021-01-20", "中牟县人民政府"),
    ("金水区财政局【字体：大 中 小】", "金水区财政局"),
    ("本站", None),
    ("", None),
    ("  管城回族区人民政府办公室  ", "管城回族区人民政府办公室"),
])
def test_organization_cleaning(raw, org):
    assert metadata.clean_organization(raw) == org


@pytest.mark.parametrize("info, org", [
    ('<meta name="ContentSource" content="新郑市人民政府">', "新郑市人民政府"),
    ("<div><span>发布时间：2021-01-05</span><span>来源：新郑市人民政府</span><span>浏览次数：12</span></div>", "新郑市人民政府"),
    ("<div>发布机构：新郑市人民政府发布时间：2021-01-05</div>", "新郑市人民政府"),
    ("<p>信息来源：新郑市人民政府 点击：12</p>", "新郑市人民政府"),
])
def test_page_metadata_of_a_year_first_title(info, org):
    html = f"<html><head><title>2020年政府信息公开工作年度报告_门户</title>{info}</head><body>{info}</body></html>"
    got = page_metadata(html)
    assert got["organization"] == org and got["title"].startswith("2020年")


def test_report_decoys_stay_out():
    for title in ("某市2021年法治政府建设年度报告", "某市2021年国民经济和社会发展统计公报", "某市2022年政务公开工作要点",
                  "政府信息公开工作年度报告（模板）", "图解：某市2021年政府信息公开工作年度报告",
                  "某市召开2021年度政府信息公开工作年度报告编制培训会", "关于某市2021年政府信息公开工作年度报告的解读"):
        assert not discovery.is_report_title(title), title


@pytest.mark.parametrize("name, level", [
    ("郑州市人民政府", "city"), ("中牟县人民政府", "county"), ("新郑市人民政府", "county"),  # placed by the division list
    ("某某县人民政府", "county"), ("某某区人民政府", "county"), ("某某市人民政府", "city"),  # by the division word
    ("广西壮族自治区人民政府", "province"), ("河南省人民政府", "province"), ("某某自治州人民政府", "city"),
    ("浦东新区人民政府", "county"), ("某某镇人民政府", "township"), ("某某街道办事处", "township"), ("某某乡", "township"),
    ("郑州经济技术开发区管委会", "zone"), ("某高新区管理委员会", "zone"),
    ("郑州市教育局", "department"), ("某某县发展和改革委员会", "department"), ("某市人民政府办公室", "department"),
])
def test_level_from_the_body(name, level):
    from archive.rows import body_row

    assert body_row(name)["level"] == level


def test_wrapper_context_fills_the_record():
    from archive.document import with_context

    record = {"title": "2020年政府信息公开工作年度报告", "organization": None, "published": "2021-01-10",
              "problems": ["organization: not found"]}
    context = {"page": "http://h/t1.html", "title": "2020年政府信息公开工作年度报告",
               "published": "2021-01-20", "organization": "金水区财政局浏览次数：3", "site_name": "金水区人民政府"}
    got = with_context(record, "2020年政府信息公开工作年度报告", context)
    assert (got["organization"], got["published"], got["problems"]) == ("金水区财政局", "2021-01-20", [])
    assert got["metadata_from"] == {"organization": "page", "published": "page", "page": "http://h/t1.html"}
    no_page = with_context(record, None, {"site_name": "金水区人民政府"})
    assert no_page["organization"] == "金水区人民政府" and no_page["metadata_from"] == {"organization": "site"}
    own = {"title": "中牟县人民政府2020年政府信息公开工作年度报告", "organization": "中牟县人民政府",
           "published": "2021-01-10", "problems": []}
    assert with_context(own, None, {"site_name": "郑州市人民政府"}) == own  # the document's own word stands
    dated = {**own, "metadata_from": {"published": "properties"}}  # the parser's own provenance is kept
    assert with_context(dated, None, {"page": "p", "published": "2021-01-12"})["metadata_from"] == {
        "published": "page", "page": "p"}


def test_assembled_urls_that_are_not_apis_are_left_alone():
    html = ("<script>var imgUrl = '/images/banner_' + n + '.png'; var pageUrl = './t_' + i + '.html';"
            "var shareUrl = 'http://service.weibo.com/share?url=' + location.href;</script>")
    p = HtmlPage(html, "http://h/col/")
    assert api_urls(html, p.sel, p.url) == []


@pytest.mark.parametrize("name", ["js_only_inline.html", "js_only_xhr.html"])
def test_script_built_lists_are_left_to_the_browser(name):
    from crawler.spiders import jsonapi
    from crawler.spiders.reports import _lists_something

    html = fixture(name)
    p = HtmlPage(html, "http://h/ndbg/index.htm")
    follows = (static.follow(p.links(), column=True) + jsonapi.follow(p, html)
               + pagers.follow(p, SimpleNamespace(text=html, meta={})))
    assert p.is_column() and "<script" in html
    assert not any(_lists_something(f) for f in follows)  # nothing in the HTML: render it


@pytest.mark.parametrize("call", ['createPage(3, 0, "index", "shtml");', "createPageHtml('page_div', 3, 1, 'index', 'shtml', 30);"])
def test_renamed_create_page_calls(call):
    from crawler.pages.trs import TrsPager

    assert TrsPager(call, "http://h/col/").page_urls()[1:] == ["http://h/col/index_1.shtml", "http://h/col/index_2.shtml"]
    assert read_pager(f"<script>{call}</script>", HtmlPage(f"<script>{call}</script>", "http://h/").sel, "http://h/") is None


def test_form_with_its_own_next_button_and_a_count():
    html = ("<form method='post' action='/list.do'><input type='hidden' name='currentPage' value='1'>"
            "<input type='hidden' name='col' value='9'><input type='submit' name='go' value='下一页'></form>"
            "<span>第1页/共3页</span>")
    follows = _follows(html, "http://h/list.do")
    assert [dict(f.formdata) for f in follows] == [{"col": "9", "currentPage": "2"}, {"col": "9", "currentPage": "3"}]


@pytest.mark.parametrize("title, org", [
    ("2020年郑州市教育局政府信息公开工作年度报告", "郑州市教育局"),          # the body after the year
    ("2019年度新郑市人民政府政府信息公开工作年度报告", "新郑市人民政府"),
    ("郑州市财政局2020年度政府信息公开工作年度报告", "郑州市财政局"),        # before the year
    ("2020年度政府信息公开工作年度报告", None),                            # none: the page or site names it
    ("2020年度全市政府信息公开工作年度报告", None),
])
def test_organization_from_the_title(title, org):
    assert metadata.organization(title, metadata.find_title(title)) == org


def test_listing_roles_of_download_shaped_links():
    from crawler.pages.base import Link

    def role(url, text, column=True):
        return static.classify(Link(url, text), column=column)

    assert role("http://h/download?fileid=3", "某县2020年政府信息公开工作年度报告") == "attachment"
    assert role("http://h/downfile/3", "2020年") == "attachment"                        # a column entry
    assert role("http://h/uploads/x", "某县2020年政府信息公开工作年度报告.pdf") == "attachment"
    assert role("http://h/a/b.pdf", "宣传册") is None
    assert role("http://h/zwgk/download/", "政府信息公开", column=False) == "nav"        # a menu, not a file


@pytest.mark.parametrize("name, url, frame", [
    ("framed_iframe.html", "http://h/zwgk/ndbg/", "http://h/zwgk/ndbg/frame_list.html"),
    ("framed_frameset.html", "http://h/ndbg/index.htm", "http://h/ndbg/frame_list.html"),
])
def test_listing_in_a_frame(name, url, frame):
    p = HtmlPage(fixture(name), url)
    assert p.is_column() and frame in [link.url for link in p.frames()]
    assert not [link for link in p.links() if discovery.is_report_title(link.text)]


def test_frames_that_are_documents_or_viewers_are_not_pages():
    html = ('<iframe src="/a.pdf"></iframe><iframe src="/pdfjs/web/viewer.html?file=%2Fb.pdf"></iframe>'
            '<iframe src="/download?fileid=3"></iframe><iframe src="/list.html"></iframe>')
    p = HtmlPage(html, "http://h/c/")
    assert [link.url for link in p.frames()] == ["http://h/list.html"]
    assert {link.url for link in p.embedded()} >= {"http://h/a.pdf", "http://h/b.pdf", "http://h/download?fileid=3"}


def test_hostile_scripts_are_read_in_linear_time():
    """Long identifiers, unclosed strings and thousands of calls and concatenations: the
    readers finish (a quadratic regex here took minutes at this size)."""
    parts = [f'var a{i} = "x" + b{i} + "y" + c.d.e;' for i in range(5000)]
    parts += [f'$.ajax({{url: "/api/" + q{i} + "' + '"a' * 20 + "});" for i in range(1000)]
    parts += [f"goPage({i % 400});" for i in range(5000)] + ["a.b" * 50000, '"' + "a" * 200000]
    html = "<script>" + "\n".join(parts) + "</script>" + "<a onclick='turnPage(3)'>3</a>" * 2000
    p = HtmlPage(html, "http://h/")
    assert api_urls(html, p.sel, p.url) == []
    assert read_pager(html, p.sel, p.url) is None  # calls, but no definition and no form
