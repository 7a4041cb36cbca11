"""Store the fetched bytes: a new snapshot, or a sighting of a known one.

`store` is the step itself (reactor thread here, or a parse worker process:
crawler/pipelines/parse.py)."""

from __future__ import annotations

from crawler import archive_db
from crawler.sitestats import count


def store(db, item) -> tuple[str, bool]:
    """(snapshot id, created) of one fetched document (a mapping of RawDocument fields)."""
    from archive.store import save_snapshot

    headers = dict(item.get("headers") or {})
    if item.get("content_type"):
        headers["Content-Type"] = item["content_type"]  # the charset as decoded, not as mis-declared
    return save_snapshot(db, url=item["url"], body=item["body"], fetched_at=item["fetched_at"],
                         status=int(item.get("status") or 200), headers=headers, site=item["site"])


def counted(crawler, created: bool) -> None:
    count(crawler, "snapshots_new" if created else "sightings")


class SnapshotPipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        if archive_db.claim_for_worker(self.crawler, item):
            return item  # the parse pipeline's worker stores it
        item["snapshot_id"], item["created"] = store(self.db, item)
        counted(self.crawler, item["created"])
        return item
