"""Upsert parsed records into the archive's reports, sections and cells."""

from __future__ import annotations

import logging

from crawler import archive_db
from crawler.sitestats import count

logger = logging.getLogger(__name__)


class ArchivePipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        from archive.store import save_report

        record = item.get("record")
        if record is None:
            return item
        if not record.get("title") and item.get("title"):
            record = {**record, "title": item["title"]}  # the title the listing printed
        rid = save_report(self.db, record, snapshot_id=item["snapshot_id"], url=item["url"])
        count(self.crawler, "reports_archived" if rid else "not_reports")
        if rid is None:
            logger.warning("not archived as a report (no year or issuing body): %s", item["url"])
        return item
