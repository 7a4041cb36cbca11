"""Drop items that cannot be documents: empty bodies, error pages, bad fields."""

from __future__ import annotations

from scrapy.exceptions import DropItem

MAX_BYTES = 50 * 1024 * 1024  # parsers refuse more; DOWNLOAD_MAXSIZE normally stops it earlier
REQUIRED = ("url", "site", "body", "fetched_at", "via")


class ValidatePipeline:
    def process_item(self, item, spider=None):
        missing = [k for k in REQUIRED if item.get(k) in (None, "")]
        if missing:
            raise DropItem(f"missing {', '.join(missing)}: {item.get('url')}")
        if not isinstance(item["body"], bytes) or not item["body"] or item["body"].isspace():  # (no stripped copy)
            raise DropItem(f"empty body: {item['url']}")
        if len(item["body"]) > MAX_BYTES:
            raise DropItem(f"over {MAX_BYTES} bytes: {item['url']}")
        if not 200 <= int(item.get("status") or 200) < 300:
            raise DropItem(f"HTTP {item.get('status')}: {item['url']}")
        return item
