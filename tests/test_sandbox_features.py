"""The sandbox's discovery features over HTTP, with the variations the seed picks:
every file endpoint answers bytes the crawler's response rules recognise, with the
name the report has; every wrapper page shows its file through a link, frame or
viewer the page readers find. (The crawl itself: tests/test_crawl_mechanisms.py.)"""

from __future__ import annotations

import urllib.request

import pytest

from crawler import documents
from crawler.pages.html import HtmlPage
from sandbox import features, server, world
from sandbox.catalog import BodySpec, SiteSpec

CITIES = (("开封市人民政府", "4102"), ("洛阳市人民政府", "4103"), ("平顶山市人民政府", "4104"), ("安阳市人民政府", "4105"),
          ("鹤壁市人民政府", "4106"), ("新乡市人民政府", "4107"), ("焦作市人民政府", "4108"), ("濮阳市人民政府", "4109"))
FAMILIES = ("static", "trs", "hanweb", "gkmlpt")


def _sites(feature_sets) -> tuple[SiteSpec, ...]:
    return tuple(SiteSpec(f"f{i}", FAMILIES[i % len(FAMILIES)], (BodySpec(name, "city", code),), page_size=4,
                          features=(*feats, "mostly_files"))
                 for i, ((name, code), feats) in enumerate(zip(CITIES, feature_sets, strict=False)))


@pytest.fixture(scope="module")
def served():
    sites = _sites([("extless_download",), ("extless_download", "pdf_viewer"), ("iframe_pdf",),
                    ("pdf_viewer",), ("extless_download", "iframe_pdf"), ("extless_download",),
                    ("pdf_viewer", "extless_download"), ("iframe_pdf", "extless_download")])
    handle = server.start(seed=11, world=world.build_world(11, sites=sites, slow_seconds=0), slow_seconds=0)
    yield handle
    handle.stop()


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as r:
        return dict(r.headers.items()), r.read()


def test_the_seed_picks_every_variation_somewhere():
    seen: dict[str, set] = {}
    for seed in range(6):
        sites = _sites([("extless_download", "pdf_viewer", "iframe_pdf", "script_pager", "post_pager",
                         "js_only_list", "page_source")] * 8)
        w = world.build_world(seed, sites=sites)
        for s in w.sites:
            for key in ("extless_download", "disposition", "pdf_viewer", "iframe_pdf", "script_pager",
                        "post_pager", "js_only_list", "page_source", "gkmlpt"):
                seen.setdefault(key, set()).add(features.variant(s, key))
    seen["gkmlpt"].discard(None)  # only gkmlpt sites have one
    assert {k: set(features.VARIANTS[k]) for k in seen} == seen


def test_extensionless_files_are_known_by_their_response(served):
    checked = set()
    for site in served.world.sites:
        if not features.has(site, "extless_download"):
            continue
        for report in (r for r in site.reports if r.kind != "html"):
            assert not report.path.split("?")[0].endswith((".pdf", ".docx"))  # nothing in the path says "file"
            headers, body = _get(report.url)
            assert documents.document_kind(headers, body, report.url) == report.kind
            name = documents.filename(headers, report.url)
            if features.variant(site, "disposition") != "none":
                assert name == f"{report.title}.{report.kind}"
            checked.add((features.variant(site, "extless_download"), features.variant(site, "disposition")))
    assert len(checked) >= 3


def test_wrapper_pages_show_their_files(served):
    shown = 0
    for site in served.world.sites:
        for report in (r for r in site.reports if r.page_path):
            _, body = _get(site.base_url + report.page_path)
            page = HtmlPage(body.decode(site.charset), site.base_url + report.page_path)
            assert page.report_year() == report.year and page.is_wrapper()
            assert report.url in {link.url for link in page.attachment_links() + page.embedded()}
            shown += 1
    assert shown >= 20
