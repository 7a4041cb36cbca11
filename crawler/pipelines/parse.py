"""Parse new snapshots into records (parsers.parse_document; pure, never fetches)."""

from __future__ import annotations

import logging

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

logger = logging.getLogger(__name__)


class ParsePipeline:
    def open_spider(self, spider=None):
        from parsers import parse_document  # the parsers package; imported when a crawl opens

        self.parse_document = parse_document

    async def process_item(self, item, spider=None):
        if item.get("known"):
            return item  # bytes already archived and parsed when first seen
        try:
            # In a thread: a 6-page PDF takes a second to parse, downloads go on meanwhile.
            item["record"] = await maybe_deferred_to_future(deferToThread(
                self.parse_document, item["body"], source=item["url"], filename=item.get("filename"),
                content_type=item.get("content_type")))
        except Exception as exc:  # one unparseable document must not stop a province's crawl
            logger.error("parse failed for %s: %s: %s", item["url"], type(exc).__name__, exc)
            item["record"] = None
        return item
