"""Known bytes: mark items whose URL already has this exact body in the archive.

A known body (or a 304 replayed from the archive) is recorded as a sighting
by the snapshot pipeline and is not parsed or archived again, so a re-crawl
of an unchanged site writes no new snapshots and leaves reports untouched.
The exception: known bytes whose parse never reached the archive (the parser
crashed on them, or was not installed yet) are parsed again.
"""

from __future__ import annotations

import hashlib

from crawler import archive_db


class DedupePipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        from archive.store import latest_snapshot

        item["sha256"] = hashlib.sha256(item["body"]).hexdigest()
        latest = latest_snapshot(self.db, item["url"])
        known = bool(item.get("not_modified")) or (latest is not None and latest["sha256"] == item["sha256"])
        item["known"] = known and latest is not None and self._judged(latest["id"])
        return item

    def _judged(self, snapshot_id: str) -> bool:
        """The archive holds a verdict on this snapshot: a report from it, or a 'not a report' problem."""
        return self.db.execute(
            "SELECT 1 FROM reports WHERE snapshot_id = ? UNION ALL SELECT 1 FROM problems WHERE snapshot_id = ? LIMIT 1",
            (snapshot_id, snapshot_id)).fetchone() is not None
