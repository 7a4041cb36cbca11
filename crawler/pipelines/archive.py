"""Upsert parsed records into the archive's reports, sections and cells.

`store` is the step itself (reactor thread here, or a parse worker process:
crawler/pipelines/parse.py)."""

from __future__ import annotations

import logging

from crawler import archive_db
from crawler.sitestats import count

logger = logging.getLogger(__name__)


def store(db, record: dict, item) -> str | None:
    """The report permalink, or None when the record is not a report (a problem row then)."""
    from archive.store import save_report

    record = with_context(record, item)
    return save_report(db, record, snapshot_id=item["snapshot_id"], url=item["url"])


def with_context(record: dict, item) -> dict:
    """The record with what the document does not say taken from around it.

    A report file says its own title and body (a page's words never replace a
    report-shaped title or a body the document names); the page that wrapped
    it says the publish date (when it went online) and fills a missing title
    or body; the listing's anchor fills a missing title; the site's owner is
    the body of last resort (a title starting with the year names no body).
    `metadata_from` says where each field came from when anything did not
    come from the document itself."""
    from parsers import metadata

    ctx = dict(item.get("context") or {})
    record = dict(record)
    origin = {}

    def fill(key: str, value, source: str, *, override: bool = False) -> None:
        if value and (override or not record.get(key)):
            record[key] = value
            origin[key] = source

    own_title = record.get("title")
    if not (own_title and metadata.TITLE.search(own_title)):
        page_title = ctx.get("title")
        fill("title", page_title if page_title and metadata.TITLE.search(page_title) else None, "page",
             override=True)
    fill("title", item.get("title"), "listing")
    fill("organization", metadata.clean_organization(ctx.get("organization")), "page")
    fill("organization", metadata.clean_organization(ctx.get("site_name")), "site")
    fill("published", ctx.get("published"), "page", override=True)
    if origin:
        record["metadata_from"] = {**origin, **({"page": ctx["page"]} if ctx.get("page") else {})}
        missing = {f"{k}: not found" for k in origin}
        record["problems"] = [p for p in record.get("problems") or [] if p not in missing]
    return record


def counted(crawler, url: str, rid: str | None) -> None:
    count(crawler, "reports_archived" if rid else "not_reports")
    if rid is None:
        logger.warning("not archived as a report (no year or issuing body): %s", url)


class ArchivePipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        record = item.get("record")
        if record is None:
            return item  # known bytes, a parse failure, or archived already by a parse worker
        counted(self.crawler, item["url"], store(self.db, record, item))
        return item
