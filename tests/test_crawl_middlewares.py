"""Conditional requests, charset repair and the known-bytes judgement of the storing path, without a network."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.items import RawDocument
from crawler.middlewares import CharsetMiddleware, ConditionalRequestMiddleware

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
    from archive.document import Document, store_document
    from archive.store import open_archive

    db = open_archive(tmp_path / "a.db")
    try:
        def doc(body: bytes, at: str) -> Document:
            return Document(url=URL, site="henan", body=body, content_type="text/html; charset=utf-8",
                            fetched_at=at)

        def unparsed(_doc):
            return None  # bytes stored, no verdict (as a crawl killed between the two steps leaves them)

        first = store_document(db, doc(PAGE.encode(), "2025-01-01T00:00:00+00:00"), parse=unparsed)
        assert first["created"] and not first["known"]
        # Bytes stored but never judged (no report, no problem recorded): parsed again, not re-stored.
        again = store_document(db, doc(PAGE.encode(), "2025-01-02T00:00:00+00:00"), parse=unparsed)
        assert not again["created"] and not again["known"] and again["snapshot_id"] == first["snapshot_id"]
        db.execute("INSERT INTO problems (id, snapshot_id, problem) VALUES ('x-p1', ?, 'not a report')",
                   (first["snapshot_id"],))
        third = store_document(db, doc(PAGE.encode(), "2025-01-03T00:00:00+00:00"), parse=unparsed)
        assert third["known"] and not third["created"]
        changed = store_document(db, doc(PAGE.encode() + b"<!-- v2 -->", "2025-01-04T00:00:00+00:00"), parse=unparsed)
        assert changed["created"] and changed["snapshot_id"] != first["snapshot_id"]
        assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM sightings").fetchone()[0] == 4  # one per distinct fetch time
        item = RawDocument(url=URL, body=PAGE.encode())
        assert "bytes>" in repr(item) and "<html>" not in repr(item)
    finally:
        db.conn.close()
