"""Conditional requests, charset repair and the dedupe/snapshot pipelines, without a network."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.items import RawDocument
from crawler.middlewares import CharsetMiddleware, ConditionalRequestMiddleware
from crawler.pipelines.dedupe import DedupePipeline
from crawler.pipelines.snapshot import SnapshotPipeline

URL = "http://127.0.1.1/zwgk/ndbg/202101/t20210121_1005.html"
PAGE = "<html><head><title>河南省人民政府2020年政府信息公开工作年度报告</title></head><body>年报</body></html>"


def test_mislabeled_gbk_response_is_decoded_as_gbk():
    body = PAGE.encode("gbk")
    response = HtmlResponse(URL, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert "\ufffd" in response.text  # what Scrapy alone would make of it
    fixed = CharsetMiddleware().process_response(Request(URL), response)
    assert fixed.encoding in ("gbk", "gb18030")
    assert "政府信息公开工作年度报告" in fixed.text
    honest = HtmlResponse(URL, body=PAGE.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    assert CharsetMiddleware().process_response(Request(URL), honest) is honest


def test_conditional_request_and_304_replay(tmp_path):
    from archive.store import save_snapshot

    crawler = get_crawler(settings_dict={"NIANBAO_DB": str(tmp_path / "a.db")})
    mw = ConditionalRequestMiddleware.from_crawler(crawler)
    mw.spider_opened()
    try:
        sid, created = save_snapshot(mw.db, url=URL, body=PAGE.encode(), fetched_at="2025-01-01T00:00:00+00:00",
                                     headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"',
                                              "Last-Modified": "Wed, 20 Jan 2021 01:30:00 GMT"})
        assert created
        listing = Request("http://127.0.1.1/zwgk/ndbg/")
        mw.process_request(listing)
        assert b"If-None-Match" not in listing.headers  # listings are always fetched whole

        request = Request(URL, meta={"conditional": True})
        mw.process_request(request)
        assert request.headers[b"If-None-Match"] == b'"v1"'
        assert request.headers[b"If-Modified-Since"] == b"Wed, 20 Jan 2021 01:30:00 GMT"

        replay = mw.process_response(request, Response(URL, status=304, request=request))
        assert isinstance(replay, HtmlResponse) and replay.status == 200
        assert replay.body == PAGE.encode() and request.meta["not_modified"]
        changed = HtmlResponse(URL, status=200, body=b"<html>v2</html>", request=request)
        assert mw.process_response(request, changed) is changed
    finally:
        mw.spider_closed()


def test_known_bytes_are_a_sighting_not_a_snapshot(tmp_path):
    crawler = get_crawler(settings_dict={"NIANBAO_DB": str(tmp_path / "a.db")})
    dedupe, snap = DedupePipeline.from_crawler(crawler), SnapshotPipeline.from_crawler(crawler)
    dedupe.open_spider()
    snap.open_spider()
    try:
        def item(body: bytes) -> RawDocument:
            return RawDocument(url=URL, site="henan", status=200, headers={}, body=body, via="page",
                               content_type="text/html; charset=utf-8", fetched_at="2025-01-01T00:00:00+00:00")

        first = snap.process_item(dedupe.process_item(item(PAGE.encode())))
        assert first["created"] and not first["known"]
        # Bytes stored but never judged (no report, no problem recorded): parsed again, not re-stored.
        again = snap.process_item(dedupe.process_item(item(PAGE.encode())))
        assert not again["created"] and again["snapshot_id"] == first["snapshot_id"]
        snap.db.execute("INSERT INTO problems (id, snapshot_id, problem) VALUES ('x-p1', ?, 'not a report')",
                        (first["snapshot_id"],))
        assert dedupe.process_item(item(PAGE.encode()))["known"]
        changed = snap.process_item(dedupe.process_item(item(PAGE.encode() + b"<!-- v2 -->")))
        assert changed["created"] and changed["snapshot_id"] != first["snapshot_id"]
        assert "bytes>" in repr(changed) and "<html>" not in repr(changed)
        assert snap.db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 2
        assert snap.db.execute("SELECT count(*) FROM sightings").fetchone()[0] == 2  # one per distinct fetch time
    finally:
        snap.close_spider()
        dedupe.close_spider()
