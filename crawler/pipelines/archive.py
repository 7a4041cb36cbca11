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

    if not record.get("title") and item.get("title"):
        record = {**record, "title": item["title"]}  # the title the listing printed
    return save_report(db, record, snapshot_id=item["snapshot_id"], url=item["url"])


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
