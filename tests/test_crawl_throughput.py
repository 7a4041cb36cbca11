"""What the crawl-throughput work changed must not change what the crawl finds or stores.

- Page discovery queries lxml with compiled XPaths instead of parsel's Selector
  calls: the same titles, links, column verdicts and scripts as parsel's CSS.
- Parse workers store documents themselves ("stored in the workers"): the same
  archive, ids and permalinks as the dedupe/snapshot/archive steps run one
  after another in one process, and the pipelines pass items through only
  when the whole chain is on.
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
    """The dedupe, snapshot, parse and archive pipelines' steps, one after another."""
    from archive.store import open_archive
    from crawler.pipelines import archive, dedupe, snapshot
    from parsers import parse_document

    db = open_archive(db_path)
    out = []
    for doc in docs:
        sha, known = dedupe.judge(db, doc["url"], doc["body"], doc["not_modified"])
        sid, created = snapshot.store(db, doc)
        result = {"sha256": sha, "known": known, "snapshot_id": sid, "created": created}
        if not known:
            record = parse_document(doc["body"], source=doc["url"], content_type=doc["content_type"])
            result["report"] = archive.store(db, record, {**doc, "snapshot_id": sid})
        out.append(result)
    db.conn.close()
    return out


def _state(db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("snapshots", "sightings", "reports", "cells", "sections", "checks", "problems", "bodies")}
    finally:
        conn.close()


def test_worker_store_equals_pipeline_steps(tmp_path):
    import os

    from crawler.pipelines.parse import _store, _worker_init

    docs = _docs()
    want = _in_one_process(tmp_path / "steps.db", docs)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_worker_init,
                             initargs=(os.getpid(),)) as pool:
        got = [pool.submit(_store, str(tmp_path / "workers.db"), doc).result() for doc in docs]
    assert got == want
    assert want[-1]["known"] and not want[-1]["created"] and any(r.get("report") for r in want)
    assert _state(tmp_path / "workers.db") == _state(tmp_path / "steps.db")


def test_pipelines_pass_items_through_only_with_the_whole_chain(tmp_path):
    from crawler.pipelines.dedupe import DedupePipeline
    from crawler.pipelines.parse import ParsePipeline

    chain = {"crawler.pipelines.validate.ValidatePipeline": 100, "crawler.pipelines.dedupe.DedupePipeline": 200,
             "crawler.pipelines.snapshot.SnapshotPipeline": 300, "crawler.pipelines.parse.ParsePipeline": 400,
             "crawler.pipelines.archive.ArchivePipeline": 500}
    db = str(tmp_path / "a.db")
    cases = [({}, True), ({"NIANBAO_STORE_IN_WORKERS": "False"}, False), ({"NIANBAO_PARSE_PROCESSES": "0"}, False),
             ({"ITEM_PIPELINES": {**chain, "crawler.pipelines.archive.ArchivePipeline": None}}, False)]
    for settings, stored in cases:
        crawler = get_crawler(settings_dict={"NIANBAO_DB": db, "ITEM_PIPELINES": chain, **settings})
        pipeline = ParsePipeline.from_crawler(crawler)
        assert pipeline.store is stored, settings
        dedupe = DedupePipeline.from_crawler(crawler)
        dedupe.open_spider()
        try:
            item = dedupe.process_item({"url": "http://h/a.html", "body": b"<html>x</html>"})
            assert ("sha256" in item) is not stored  # passed through: the worker judges it
        finally:
            dedupe.close_spider()


def test_pages_are_stored_in_the_workers_attachments_in_the_reactor(tmp_path):
    """Per document: an HTML page is judged, stored and archived by a parse worker
    (the dedupe and snapshot pipelines pass it through); a PDF or Word attachment,
    and a page that arrives while an attachment is being parsed, are judged and
    stored in the reactor thread while a worker only parses them.
    NIANBAO_STORE_IN_WORKERS="all" sends both to the workers. The choice is made
    once, by the first pipeline, and kept on the item."""
    from crawler.pipelines.dedupe import DedupePipeline
    from crawler.pipelines.parse import ParsePipeline
    from crawler.pipelines.snapshot import SnapshotPipeline
    from crawler.settings import ITEM_PIPELINES

    page = {"url": "http://h/a.html", "body": b"<html>x</html>", "site": "h", "fetched_at": "2026-01-01T00:00:00Z"}
    pdf = {**page, "url": "http://h/a.pdf", "body": b"%PDF-1.7\n..."}
    docx = {**page, "url": "http://h/a.docx", "body": b"PK\x03\x04..."}
    for setting, binary_in_worker in (("True", False), ("all", True)):
        crawler = get_crawler(settings_dict={"NIANBAO_DB": str(tmp_path / f"{setting}.db"),
                                             "NIANBAO_PARSE_PROCESSES": "2", "ITEM_PIPELINES": ITEM_PIPELINES,
                                             "NIANBAO_STORE_IN_WORKERS": setting})
        parse = ParsePipeline.from_crawler(crawler)
        assert parse.store
        dedupe, snapshot = DedupePipeline.from_crawler(crawler), SnapshotPipeline.from_crawler(crawler)
        dedupe.open_spider()
        snapshot.open_spider()
        try:
            item = snapshot.process_item(dedupe.process_item(dict(page)))
            assert item["in_worker"] and "sha256" not in item and "snapshot_id" not in item
            for doc in (pdf, docx):
                item = snapshot.process_item(dedupe.process_item(dict(doc)))
                assert item["in_worker"] is binary_in_worker
                assert ("snapshot_id" in item) is not binary_in_worker, (setting, doc["url"])
            parse.attachments_in_pool = 1  # a PDF is being parsed: the workers are the busy side
            item = snapshot.process_item(dedupe.process_item({**page, "url": "http://h/b.html"}))
            assert item["in_worker"] is binary_in_worker and ("snapshot_id" in item) is not binary_in_worker
        finally:
            snapshot.close_spider()
            dedupe.close_spider()


def test_attachments_in_the_pool_are_counted_while_parsed_and_after_a_failure(tmp_path):
    """The count of attachments being parsed goes up while one is in the pool and back
    down when it returns, also when its parse failed: a count left behind would send
    every later page to the reactor thread."""
    import asyncio

    from crawler.pipelines.parse import ParsePipeline
    from crawler.settings import ITEM_PIPELINES

    crawler = get_crawler(settings_dict={"NIANBAO_DB": str(tmp_path / "a.db"), "NIANBAO_PARSE_PROCESSES": "2",
                                         "ITEM_PIPELINES": ITEM_PIPELINES})
    parse = ParsePipeline.from_crawler(crawler)
    parse.executor = object()  # a pool is open (never used: _in_process is replaced)
    seen = []

    async def in_pool(fn, *args):
        seen.append(parse.attachments_in_pool)
        if args[1].endswith("bad.pdf"):
            raise ValueError("no tables")
        return {"tables": {}}

    parse._in_process = in_pool
    for url, body in (("http://h/a.pdf", b"%PDF-1.7"), ("http://h/bad.pdf", b"%PDF-1.7"), ("http://h/a.html", b"<html>")):
        item = asyncio.run(parse.process_item({"url": url, "body": body, "in_worker": False}))
        assert ("record" in item) and parse.attachments_in_pool == 0
    assert seen == [1, 1, 0]
