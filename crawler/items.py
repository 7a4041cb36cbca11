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
    sha256 = scrapy.Field()         # set by the dedupe pipeline
    known = scrapy.Field()          # dedupe: the archive already has these bytes for this URL
    snapshot_id = scrapy.Field()    # set by the snapshot pipeline
    created = scrapy.Field()        # snapshot pipeline: a new snapshot (False: a sighting)
    record = scrapy.Field()         # set by the parse pipeline
    in_worker = scrapy.Field()      # a parse worker stores this one (archive_db.claim_for_worker)

    def __repr__(self) -> str:
        # Scrapy logs dropped items with repr(): never dump megabytes of PDF into the log.
        brief = {k: v for k, v in self.items() if k not in ("body", "record", "headers")}
        brief["body"] = f"<{len(self.get('body') or b'')} bytes>"
        return pformat(brief)
