"""What the crawl-throughput work changed must not change what the crawl finds or stores.

- Page discovery queries lxml with compiled XPaths instead of parsel's Selector
  calls: the same titles, links, column verdicts and scripts as parsel's CSS.
- Documents are stored by archive.document.store_document in a worker process
  or a thread: the same archive, ids and permalinks either way and as the
  function called directly; the choice is the NIANBAO_PARSE_PROCESSES setting.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from parsel import Selector
from scrapy.utils.test import get_crawler

from crawler import discovery
from crawler.pages.html import BREADCRUMB, LINK_SELECTOR, TITLE_SELECTORS, HtmlPage

FIXTURES = Path(__file__).parent / "fixtures"
SYNTHETIC = [
    "<div class='article-title'>A<span class='title'>B</span>C</div><p class='bt'>D</p>",
    "<div class='subtitle'>x</div><div class='title\tmain'>Y<b>z</b></div>tail",
    "<div class='bt'>1<div class='bt'>2<div class='title'>3</div></div>4</div><div class='title'>5</div>",
    "<div class=' title  '>a</div><div class='title-x'>no</div><div class='x-title'>no</div>",
    "<div class='title'><!--c-->t<script>s()</script></div><div class='breadcrumb'>年报</div>",
    "<h2>h<i>2</i></h2><title>T</title><h1></h1><div class='dqwz'>当前 年度报告</div>",
    "<div class='title'>2020年某县人民政府政府信息公开工作年度报告</div><div class='crumb position'>x</div>",
    "<div class='TITLE'>caps</div><div class='\u3000title'>ideographic space is no separator</div>",
    "<base href='/sub/'><a href='a.html#x'>a&amp;b <b>c</b></a><a href='#top'>top</a>"
    "<area href='m.pdf' title='2020年政府信息公开工作年度报告'><a href='x' title='longer title here'>x</a>",
    "<?xml version='1.0'?><html><a href='x'>2021年报</a><title>t</title></html>",
    "",
]


def parsel_reference(text: str, url: str) -> dict:
    """What the parsel-based page class computed (the code before compiled XPaths)."""
    sel = Selector(text=text or "<html></html>")
    base = sel.css("base::attr(href)").get()
    base = urljoin(url, base) if base else url
    titles = [t for t in (discovery.clean(" ".join(sel.css(css).getall())) for css in TITLE_SELECTORS) if t]
    year = next((y for y in map(discovery.report_year, titles) if y), None)
    heads = " ".join(sel.css(f"title::text, h1 ::text, h2 ::text, {BREADCRUMB}").getall())
    links, seen = [], set()
    for a in sel.css(LINK_SELECTOR):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        link = urldefrag(urljoin(base, href))[0]
        link_text = discovery.clean(" ".join(a.css("::text").getall())) or discovery.clean(a.attrib.get("title"))
        title = discovery.clean(a.attrib.get("title"))
        if title and len(title) > len(link_text):
            link_text = title
        if (link, link_text) not in seen:
            seen.add((link, link_text))
            links.append((link, link_text))
    return {"titles": titles, "title": titles[0] if titles else "", "year": year, "links": links,
            "column": discovery.is_column_url(url) or (bool(discovery.COLUMN_TEXT.search(heads)) and year is None),
            "scripts": "\n".join(sel.css("script::text").getall())}


def page_result(text: str, url: str) -> dict:
    page = HtmlPage(text, url)
    return {"titles": page.titles(), "title": page.title, "year": page.report_year(),
            "links": [(link.url, link.text) for link in page.links()], "column": page.is_column(),
            "scripts": page.scripts()}


def pages():
    for path in sorted((FIXTURES / "crawler").glob("*.html")) + sorted((FIXTURES / "html").glob("*.html")):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                yield path.name, raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    for n, text in enumerate(SYNTHETIC):
        yield f"synthetic{n}", text


@pytest.mark.parametrize("name,text", list(pages()))
@pytest.mark.parametrize("url", ["http://h/a/b.html", "http://h/xxgk/ndbg/index.html"])
def test_page_queries_equal_parsel(name, text, url):
    assert page_result(text, url) == parsel_reference(text, url)


def test_titles_are_computed_lazily_and_consistently():
    page = HtmlPage("<meta name='ArticleTitle' content='2020年某县政府信息公开工作年度报告'><h1>h</h1><h2>x</h2>",
                    "http://h/a.html")
    assert page.title == "2020年某县政府信息公开工作年度报告"
    assert page.report_year() == 2020
    assert page._selectors_done == 1  # the year was in the first title: nothing else evaluated
    first = page._each_title()
    assert next(first) == page.title
    assert page.titles() == ["2020年某县政府信息公开工作年度报告", "h", "x"]
    assert list(first) == ["h", "x"]  # a generator left half-way still sees every title once


# --- stored in the workers ---------------------------------------------------------------

def _docs() -> list[dict]:
    docs = []
    for n, path in enumerate(sorted((FIXTURES / "html").glob("*.html"))):
        body = path.read_bytes()
        docs.append({"url": f"http://h/zwgk/ndbg/{n}.html", "site": "h", "status": 200, "headers": {"ETag": f'"{n}"'},
                     "body": body, "content_type": "text/html", "filename": None, "title": "",
                     "fetched_at": "2025-01-01T00:00:00+00:00", "not_modified": False})
    docs.append({**docs[0], "fetched_at": "2025-01-02T00:00:00+00:00"})  # the same bytes again: known
    return docs


def _in_one_process(db_path: Path, docs: list[dict]) -> list[dict]:
    """archive.document.store_document called directly, with the parsers."""
    from archive.document import Document, store_document
    from archive.store import open_archive

    db = open_archive(db_path)
    out = [store_document(db, Document(**{k: v for k, v in doc.items() if v is not None})) for doc in docs]
    db.conn.close()
    return out


def _state(db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("snapshots", "sightings", "reports", "cells", "sections", "checks", "problems", "bodies")}
    finally:
        conn.close()


def test_worker_process_and_thread_store_what_the_function_stores(tmp_path):
    import os
    from concurrent.futures import ThreadPoolExecutor

    from crawler.pipelines.parse import _worker_init
    from crawler.pipelines.store import _close_archive, store

    docs = _docs()
    want = _in_one_process(tmp_path / "direct.db", docs)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_worker_init,
                             initargs=(os.getpid(),)) as pool:
        in_process = [pool.submit(store, str(tmp_path / "process.db"), doc).result() for doc in docs]
    with ThreadPoolExecutor(1) as pool:
        in_thread = [pool.submit(store, str(tmp_path / "thread.db"), doc).result() for doc in docs]
        pool.submit(_close_archive, str(tmp_path / "thread.db")).result()
    assert in_process == want == in_thread
    assert want[-1]["known"] and not want[-1]["created"] and any(r.get("report") for r in want)
    assert _state(tmp_path / "process.db") == _state(tmp_path / "direct.db") == _state(tmp_path / "thread.db")


def test_thread_or_process_is_a_setting_not_the_pipeline_names(tmp_path):
    """One pipeline stores; NIANBAO_PARSE_PROCESSES picks worker processes or one thread."""
    from concurrent.futures import ThreadPoolExecutor

    from crawler.pipelines.store import StorePipeline
    from crawler.settings import ITEM_PIPELINES

    assert [k.rsplit(".", 1)[-1] for k in ITEM_PIPELINES] == ["ValidatePipeline", "StorePipeline"]
    for value, kind in (("0", ThreadPoolExecutor), ("2", ProcessPoolExecutor)):
        crawler = get_crawler(settings_dict={"NIANBAO_DB": str(tmp_path / "a.db"), "NIANBAO_PARSE_PROCESSES": value})
        pipeline = StorePipeline.from_crawler(crawler)
        executor = pipeline._new_executor()
        try:
            assert isinstance(executor, kind), value
        finally:
            executor.shutdown()
