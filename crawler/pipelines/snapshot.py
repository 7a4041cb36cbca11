"""Store the fetched bytes: a new snapshot, or a sighting of a known one."""

from __future__ import annotations

from crawler import archive_db
from crawler.sitestats import count


class SnapshotPipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        from archive.store import save_snapshot

        headers = dict(item.get("headers") or {})
        if item.get("content_type"):
            headers["Content-Type"] = item["content_type"]  # the charset as decoded, not as mis-declared
        sid, created = save_snapshot(self.db, url=item["url"], body=item["body"], fetched_at=item["fetched_at"],
                                     status=int(item.get("status") or 200), headers=headers, site=item["site"])
        item["snapshot_id"], item["created"] = sid, created
        count(self.crawler, "snapshots_new" if created else "sightings")
        return item
