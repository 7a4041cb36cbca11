"""The one item the spiders yield: a fetched document that may be a report.

Spiders do no storing or parsing; they hand the raw bytes and what discovery
learnt about them (site, why it looks like a report) to the pipelines.
"""

from __future__ import annotations

from pprint import pformat

import scrapy


class RawDocument(scrapy.Item):
    url = scrapy.Field()            # final URL (after redirects)
    site = scrapy.Field()           # registry slug
    site_code = scrapy.Field()      # the site's division code (whose reports it speaks for)
    status = scrapy.Field()         # HTTP status (200; a 304 is replayed from the archive as 200)
    headers = scrapy.Field()        # {name: value} as received
    body = scrapy.Field()           # raw bytes, undecoded
    content_type = scrapy.Field()   # Content-Type with the charset corrected for mis-declared pages
    filename = scrapy.Field()       # attachment file name (URL path or Content-Disposition)
    fetched_at = scrapy.Field()     # ISO 8601 UTC
    title = scrapy.Field()          # the report title discovery matched (page title or anchor)
    year_hint = scrapy.Field()      # the year that title names
    via = scrapy.Field()            # page | attachment
    referer = scrapy.Field()
    # What the page around a document says about it (an article wrapping an attached
    # file, a viewer page): {"page": url, "title", "published", "organization"}, plus
    # "site_name" (the site's owner), the body of last resort. The archive step fills
    # the record's missing metadata from it (crawler/pipelines/archive.py).
    context = scrapy.Field()
    not_modified = scrapy.Field()   # server answered 304: body replayed from the archive
    request = scrapy.Field()        # the request that fetched it: queued again when it could not be stored
    # set by the store pipeline (archive.document.store_document's answer)
    sha256 = scrapy.Field()
    known = scrapy.Field()          # the archive already had these bytes for this URL, judged
    snapshot_id = scrapy.Field()
    created = scrapy.Field()        # a new snapshot (False: a sighting)

    def __repr__(self) -> str:
        # Scrapy logs dropped items with repr(): never dump megabytes of PDF into the log.
        brief = {k: v for k, v in self.items() if k not in ("body", "headers", "request")}
        brief["body"] = f"<{len(self.get('body') or b'')} bytes>"
        return pformat(brief)
