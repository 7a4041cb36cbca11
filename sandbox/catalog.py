"""The fixed cast of the sandbox web: provinces, sites and the bodies they host.

Names and codes are real (sandbox/data/divisions.json, copied from the NBS
division list); the portals, their CMS and their misbehaviour are invented.
`world.build_world` adds the seeded parts (report years, numbers, quirks).

A site's `status` is what a correct crawler should conclude about it:
  ok                 reports found
  not_found          the registered report column answers 404 (moved away)
  robots_disallowed  robots.txt disallows the whole site
  blocked            every page answers 412 with a JavaScript challenge
  no_reports         the column exists but holds only news and notices
  error              every page answers 503
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROVINCES = (("41", "henan"), ("35", "fujian"), ("53", "yunnan"))
# Provinces served under real-looking host names (build_world(hosted=True)): 广东, where
# only the portal is registered and every other site must be discovered, and 湖南,
# whose portal 广东's links as a site of another province.
HOSTED_PROVINCES = (("44", "guangdong"), ("43", "hunan"))
LEVELS = ("province", "city", "county", "department", "zone")
# The families the catalog's sites use (sandbox/cms has gkmlpt too: add it here once a catalog site uses it).
CMS_FAMILIES = ("trs", "hanweb", "jsonapi", "static")
STATUSES = ("ok", "not_found", "robots_disallowed", "blocked", "no_reports", "error")


@dataclass(frozen=True)
class BodySpec:
    name: str
    level: str
    code: str  # division code the body sits in: 2 digits province, 4 city, 6 county


@dataclass(frozen=True)
class SiteSpec:
    slug: str
    cms: str
    bodies: tuple[BodySpec, ...]  # the first body owns the site
    charset: str = "utf-8"  # the bytes actually sent
    declared_charset: str = "utf-8"  # what <meta> and Content-Type claim
    status: str = "ok"
    page_size: int = 10
    # Site features: "old_reports_disallowed" (a robots-disallowed 往年年报 column),
    # "trs_page_div" (the 6-argument createPageHTML form), "octet_stream" (attachments
    # sent as application/octet-stream), "split_columns" (one report column per body);
    # identity variants: "site_id_text_only" (网站标识码 in the footer, no SiteIDCode meta),
    # "no_site_id" (neither: placed by its name), "portal_title" (<title>… - 名称门户网站);
    # and the discovery features of sandbox/features.py ("script_pager", "post_pager",
    # "extless_download", "pdf_viewer", "iframe_pdf", "js_only_list", "framed_list",
    # "page_source", "year_first_titles", "mostly_files", "more_decoys"; "key:variant"
    # pins a variation), cms "gkmlpt" (sandbox/cms/gkmlpt.py).
    features: tuple[str, ...] = ()
    host: str | None = None  # served as http://host:port/ (crawl with --resolve host:address)
    registered: bool = True  # listed by registry_entries; False: a crawl must discover it
    # Link blocks of the home page: (kind, heading, slugs) with kind "list" (a <ul> of
    # links named by `short` names), "select" (a <select> menu whose options hold URLs)
    # or "sitemap" (only on the 网站地图 page /sitemap/).
    links: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def owner(self) -> BodySpec:
        return self.bodies[0]


def _b(name: str, level: str, code: str) -> BodySpec:
    return BodySpec(name, level, code)


@dataclass(frozen=True)
class OutsiderSpec:
    """A host a government portal links that is no government of the province: a
    ministry, a news site, a shop. It serves a home page and a report-like trap page."""
    slug: str
    host: str
    name: str
    kind: str  # national | news | commercial
    site_id: str = ""  # its 网站标识码 (national sites: bm…)


SITES: tuple[SiteSpec, ...] = (
    # --- 河南 41 ---------------------------------------------------------------
    SiteSpec("henan", "trs", (
        _b("河南省人民政府", "province", "41"),
        _b("河南省教育厅", "department", "41"),
        _b("河南省财政厅", "department", "41"),
    ), features=("old_reports_disallowed", "split_columns")),
    SiteSpec("henan-zhengzhou", "hanweb", (
        _b("郑州市人民政府", "city", "4101"),
        _b("郑州市教育局", "department", "4101"),
        _b("郑州市财政局", "department", "4101"),
        _b("中牟县人民政府", "county", "410122"),
        _b("新郑市人民政府", "county", "410184"),
        _b("郑州经济技术开发区管委会", "zone", "410171"),
    ), page_size=15),
    SiteSpec("henan-luoyang", "jsonapi", (
        _b("洛阳市人民政府", "city", "4103"),
        _b("洛阳市财政局", "department", "4103"),
        _b("栾川县人民政府", "county", "410324"),
        _b("洛阳高新技术产业开发区管委会", "zone", "410371"),
    ), page_size=12),
    # GBK bytes behind a page that says UTF-8: the classic mojibake trap.
    SiteSpec("henan-zhumadian", "static", (
        _b("驻马店市人民政府", "city", "4117"),
        _b("驻马店经济开发区管委会", "zone", "411771"),
        _b("遂平县人民政府", "county", "411728"),
    ), charset="gbk", declared_charset="utf-8", page_size=8),
    # --- 福建 35 ---------------------------------------------------------------
    SiteSpec("fujian", "trs", (
        _b("福建省人民政府", "province", "35"),
        _b("福建省教育厅", "department", "35"),
        _b("福建省生态环境厅", "department", "35"),
    ), charset="gbk", declared_charset="gbk", features=("trs_page_div",)),
    SiteSpec("fujian-fuzhou", "trs", (
        _b("福州市人民政府", "city", "3501"),
        _b("福州市教育局", "department", "3501"),
        _b("闽侯县人民政府", "county", "350121"),
    ), status="blocked"),
    SiteSpec("fujian-xiamen", "jsonapi", (
        _b("厦门市人民政府", "city", "3502"),
        _b("厦门市财政局", "department", "3502"),
        _b("同安区人民政府", "county", "350212"),
        _b("厦门火炬高技术产业开发区管委会", "zone", "350206"),
    ), page_size=10),
    SiteSpec("fujian-quanzhou", "hanweb", (
        _b("泉州市人民政府", "city", "3505"),
        _b("泉州市教育局", "department", "3505"),
        _b("晋江市人民政府", "county", "350582"),
        _b("泉州经济技术开发区管委会", "zone", "350503"),
    ), charset="gbk", declared_charset="gbk", page_size=15, features=("octet_stream",)),
    SiteSpec("fujian-putian", "static", (
        _b("莆田市人民政府", "city", "3503"),
        _b("仙游县人民政府", "county", "350322"),
    ), status="not_found"),
    # --- 云南 53 ---------------------------------------------------------------
    SiteSpec("yunnan", "static", (
        _b("云南省人民政府", "province", "53"),
        _b("云南省教育厅", "department", "53"),
        _b("云南省财政厅", "department", "53"),
    ), page_size=10, features=("split_columns",)),
    SiteSpec("yunnan-kunming", "trs", (
        _b("昆明市人民政府", "city", "5301"),
        _b("昆明市教育局", "department", "5301"),
        _b("官渡区人民政府", "county", "530111"),
        _b("呈贡区人民政府", "county", "530114"),
        _b("昆明经济技术开发区管委会", "zone", "530111"),
    ), charset="gbk", declared_charset="gbk", page_size=20),
    SiteSpec("yunnan-qujing", "hanweb", (
        _b("曲靖市人民政府", "city", "5303"),
        _b("沾益区人民政府", "county", "530303"),
    ), status="robots_disallowed"),
    SiteSpec("yunnan-dali", "jsonapi", (
        _b("大理白族自治州人民政府", "city", "5329"),
        _b("大理市人民政府", "county", "532901"),
    ), status="no_reports"),
    SiteSpec("yunnan-yuxi", "static", (
        _b("玉溪市人民政府", "city", "5304"),
        _b("红塔区人民政府", "county", "530402"),
    ), status="error"),
)


# 广东 44: only www.gd.gov.cn is registered. Hops from it: cities and provincial
# departments 1, counties, the zone and city departments 2, county departments and
# the township 3. CMS families are today's four; see docs/sandbox.md for the
# variants each site should take once the in-site discovery branch lands.
HOSTED_SITES: tuple[SiteSpec, ...] = (
    SiteSpec("guangdong", "trs", (_b("广东省人民政府", "province", "44"),), host="www.gd.gov.cn",
             features=("portal_title",), links=(
                 ("list", "市县政府", ("guangdong-gz", "guangdong-sg")),
                 ("select", "省政府部门", ("guangdong-edu-gd", "guangdong-czt-gd")),
                 ("sitemap", "省政府部门网站", ("guangdong-edu-gd", "guangdong-czt-gd", "guangdong-hrss-gd")),
                 ("list", "友情链接", ("hunan", "moe", "southcn", "mall")),
             )),
    SiteSpec("guangdong-edu-gd", "hanweb", (_b("广东省教育厅", "department", "44"),), host="edu.gd.gov.cn",
             registered=False, page_size=15, features=("extless_download", "pdf_viewer")),
    SiteSpec("guangdong-czt-gd", "jsonapi", (_b("广东省财政厅", "department", "44"),), host="czt.gd.gov.cn",
             registered=False, page_size=6, features=("site_id_text_only", "post_pager")),
    SiteSpec("guangdong-hrss-gd", "static", (_b("广东省人力资源和社会保障厅", "department", "44"),),
             host="hrss.gd.gov.cn", registered=False, features=("no_site_id",)),
    SiteSpec("guangdong-gz", "gkmlpt", (_b("广州市人民政府", "city", "4401"),), host="www.gz.gov.cn",
             registered=False, page_size=15, features=("portal_title",), links=(
                 ("list", "区县政府", ("guangdong-panyu", "guangdong-gzns")),
                 ("list", "市政府部门", ("guangdong-jyj-gz",)),
             )),
    SiteSpec("guangdong-sg", "static", (_b("韶关市人民政府", "city", "4402"),), host="www.sg.gov.cn",
             registered=False, charset="gbk", declared_charset="gbk", page_size=8, features=("iframe_pdf",), links=(
                 ("select", "县（市、区）政府网站", ("guangdong-ruyuan",)),
                 ("list", "部门网站", ("guangdong-czj-sg",)),
             )),
    SiteSpec("guangdong-jyj-gz", "trs", (_b("广州市教育局", "department", "4401"),), host="jyj.gz.gov.cn",
             registered=False, page_size=6, features=("script_pager",)),
    SiteSpec("guangdong-czj-sg", "hanweb", (_b("韶关市财政局", "department", "4402"),), host="czj.sg.gov.cn",
             registered=False, page_size=6, features=("no_site_id", "post_pager", "extless_download")),
    SiteSpec("guangdong-panyu", "gkmlpt", (_b("番禺区人民政府", "county", "440113"),), host="www.panyu.gov.cn",
             registered=False, links=(
                 ("list", "部门网站", ("guangdong-jyj-panyu",)),
                 ("list", "镇街网站", ("guangdong-shilou-panyu",)),
             )),
    SiteSpec("guangdong-gzns", "static", (_b("广州南沙经济技术开发区管理委员会", "zone", "440115"),),
             host="www.gzns.gov.cn", registered=False),
    SiteSpec("guangdong-ruyuan", "trs", (_b("乳源瑶族自治县人民政府", "county", "440232"),), host="www.ruyuan.gov.cn",
             registered=False, charset="gbk", declared_charset="gbk", features=("portal_title", "js_only_list")),
    SiteSpec("guangdong-jyj-panyu", "static", (_b("番禺区教育局", "department", "440113"),),
             host="jyj.panyu.gov.cn", registered=False),
    SiteSpec("guangdong-shilou-panyu", "gkmlpt", (_b("石楼镇人民政府", "township", "440113"),),
             host="shilou.panyu.gov.cn", registered=False, features=("no_site_id",)),
    # Another province's portal: real reports, never to be archived by a crawl of 广东.
    SiteSpec("hunan", "static", (_b("湖南省人民政府", "province", "43"),), host="www.hunan.gov.cn",
             registered=False),
)
# How the site blocks name each site (市县政府 lists use short names, as portals do).
SHORT_NAMES = {"guangdong-gz": "广州", "guangdong-sg": "韶关", "guangdong-panyu": "番禺区",
               "guangdong-gzns": "南沙开发区", "guangdong-ruyuan": "乳源县", "guangdong-shilou-panyu": "石楼镇",
               "guangdong-jyj-gz": "市教育局", "guangdong-jyj-panyu": "区教育局", "guangdong-czj-sg": "市财政局",
               "hunan": "湖南省人民政府", "moe": "教育部", "southcn": "南方网", "mall": "政府采购商城"}
OUTSIDERS: tuple[OutsiderSpec, ...] = (
    OutsiderSpec("moe", "www.moe.gov.cn", "中华人民共和国教育部", "national", site_id="bm05000001"),
    OutsiderSpec("southcn", "www.southcn.com", "南方网", "news"),
    OutsiderSpec("mall", "www.gdmall-shop.com", "优选商城", "commercial"),
)


@cache
def divisions() -> dict:
    path = Path(__file__).with_name("data") / "divisions.json"
    return json.loads(path.read_text(encoding="utf-8"))


def division_name(code: str) -> str:
    d = divisions()
    table = {2: d["provinces"], 4: d["cities"], 6: d["counties"]}[len(code)]
    return table[code]


def division_code6(code: str) -> str:
    """The 6-digit administrative code: 41 → 410000, 4101 → 410100."""
    return code.ljust(6, "0")
