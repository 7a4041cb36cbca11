"""A sandbox world of its own for the discovery mechanisms (sandbox/features.py, the
gkmlpt family): each mechanism in several variations, every variation pinned so
the crawl test meets all of them. Province 河南 (41) codes, bodies named as real
divisions so the archive places them; the catalog's three provinces are untouched."""

from __future__ import annotations

from sandbox.catalog import BodySpec, SiteSpec


def _b(name: str, level: str, code: str) -> BodySpec:
    return BodySpec(name, level, code)


FILES = ("mostly_files", "more_decoys")
SITES: tuple[SiteSpec, ...] = (
    SiteSpec("t-gkmlpt-a", "gkmlpt", (_b("开封市人民政府", "city", "4102"), _b("开封市教育局", "department", "4102")),
             page_size=4, features=("gkmlpt:getjson", "more_decoys")),
    SiteSpec("t-gkmlpt-b", "gkmlpt", (_b("安阳市人民政府", "city", "4105"),), page_size=3,
             features=("gkmlpt:fetchvar", *FILES)),
    SiteSpec("t-gkmlpt-c", "gkmlpt", (_b("新乡市人民政府", "city", "4107"),), page_size=5,
             features=("gkmlpt:config", "extless_download:fileid", "disposition:utf8", *FILES)),
    SiteSpec("t-script-go", "static", (_b("许昌市人民政府", "city", "4110"),), page_size=4,
             features=("script_pager:goPage", "extless_download:getfile", "disposition:gbk", *FILES)),
    SiteSpec("t-script-turn", "static", (_b("漯河市人民政府", "city", "4111"),), page_size=4,
             features=("script_pager:turnPage", "extless_download:aspx", "disposition:percent", *FILES)),
    SiteSpec("t-script-goto", "trs", (_b("三门峡市人民政府", "city", "4112"),), page_size=4,
             features=("script_pager:gotoPage", "iframe_pdf:embed", *FILES)),
    SiteSpec("t-script-to", "hanweb", (_b("南阳市人民政府", "city", "4113"),), page_size=4,
             features=("script_pager:toPage", "pdf_viewer:double", *FILES)),
    SiteSpec("t-post-inline", "static", (_b("商丘市人民政府", "city", "4114"),), page_size=4,
             features=("post_pager:inline", "extless_download:downfile", "disposition:none", *FILES)),
    SiteSpec("t-post-func", "trs", (_b("信阳市人民政府", "city", "4115"),), page_size=4,
             features=("post_pager:function", "pdf_viewer:link", *FILES)),
    SiteSpec("t-post-jq", "static", (_b("周口市人民政府", "city", "4116"),), page_size=4,
             features=("post_pager:jquery", "iframe_pdf:object", "page_source:publisher", *FILES)),
    SiteSpec("t-viewer", "trs", (_b("平顶山市人民政府", "city", "4104"), _b("平顶山市财政局", "department", "4104")),
             page_size=6, features=("pdf_viewer:relative", "page_source:glued", "year_first_titles", *FILES)),
    SiteSpec("t-frames", "hanweb", (_b("焦作市人民政府", "city", "4108"),), page_size=5,
             features=("iframe_pdf:iframe", "year_first_titles", *FILES)),
    SiteSpec("t-viewer-frame", "static", (_b("鹤壁市人民政府", "city", "4106"),), page_size=5,
             features=("pdf_viewer:iframe", "extless_download:fileid", "disposition:none", *FILES)),
    SiteSpec("t-framed", "trs", (_b("登封市人民政府", "county", "410185"),), page_size=4,
             features=("framed_list:iframe", "more_decoys")),
    SiteSpec("t-frameset", "static", (_b("巩义市人民政府", "county", "410181"),), page_size=4,
             features=("framed_list:frameset", "more_decoys")),
    SiteSpec("t-js-inline", "static", (_b("濮阳市人民政府", "city", "4109"),), features=("js_only_list:inline",)),
    SiteSpec("t-js-xhr", "static", (_b("兰考县人民政府", "county", "410225"),), features=("js_only_list:xhr",)),
    # the real gkmlpt shape: the API only in an external bundle, the DOM drawing page 1 of 4
    SiteSpec("t-gkmlpt-bundle", "gkmlpt", (_b("杞县人民政府", "county", "410221"),), page_size=4,
             features=("gkmlpt:bundle",)),
)
JS_LISTS = ("t-js-inline", "t-js-xhr")
# sites whose HTML lists nothing: the browser renders them all; the bundle's API is also
# read from its external script (crawler/spiders/jsonapi.py), so only JS_LISTS need a browser
JS_ONLY = (*JS_LISTS, "t-gkmlpt-bundle")

# Columns filled only through a POSTed JSON API (sandbox/post_api.py), one call style each;
# two bodies on some (a second column, bmndbg, with its own channel).
POST_SITES: tuple[SiteSpec, ...] = (
    SiteSpec("t-post-ajax", "static", (_b("驻马店市人民政府", "city", "4117"), _b("驻马店市财政局", "department", "4117")),
             page_size=4, features=("post_json_list:ajax", "more_decoys")),
    SiteSpec("t-post-jqpost", "static", (_b("商丘市教育局", "department", "4114"),), page_size=3,
             features=("post_json_list:post", *FILES)),
    SiteSpec("t-post-fetch", "static", (_b("郑州市人民政府", "city", "4101"),), page_size=5,
             features=("post_json_list:fetch", "more_decoys")),
    SiteSpec("t-post-axios", "static", (_b("洛阳市人民政府", "city", "4103"), _b("洛阳市教育局", "department", "4103")),
             page_size=4, features=("post_json_list:axios", *FILES)),
    SiteSpec("t-post-xhr", "static", (_b("新郑市人民政府", "county", "410184"),), page_size=3,
             features=("post_json_list:xhr", "more_decoys")),
    SiteSpec("t-post-fragment", "static", (_b("登封市人民政府", "county", "410185"),), page_size=4,
             features=("post_json_list:fragment", "more_decoys")),
    SiteSpec("t-post-bundle", "static", (_b("荥阳市人民政府", "county", "410182"),), page_size=4,
             features=("post_json_list:bundle", *FILES)),
)
