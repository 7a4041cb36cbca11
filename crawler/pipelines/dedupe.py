"""Known bytes: mark items whose URL already has this exact body in the archive.

A known body (or a 304 replayed from the archive) is recorded as a sighting
by the snapshot pipeline and is not parsed or archived again, so a re-crawl
of an unchanged site writes no new snapshots and leaves reports untouched.
The exception: known bytes whose parse never reached the archive (the parser
crashed on them, or was not installed yet) are parsed again.

`judge` is the step itself; the pipeline runs it in the reactor thread, or the
parse pipeline runs it in a worker process with the rest of the document's
storing (crawler/pipelines/parse.py, "stored in the workers").
"""

from __future__ import annotations

import hashlib

from crawler import archive_db


def judge(db, url: str, body: bytes, not_modified: bool = False) -> tuple[str, bool]:
    """(sha256 of body, known): the archive holds these bytes of url, judged already."""
    from archive.store import latest_snapshot

    sha = hashlib.sha256(body).hexdigest()
    latest = latest_snapshot(db, url)
    known = bool(not_modified) or (latest is not None and latest["sha256"] == sha)
    return sha, known and latest is not None and _judged(db, latest["id"])


def _judged(db, snapshot_id: str) -> bool:
    """The archive holds a verdict on this snapshot: a report from it, or a 'not a report' problem."""
    return db.execute(
        "SELECT 1 FROM reports WHERE snapshot_id = ? UNION ALL SELECT 1 FROM problems WHERE snapshot_id = ? LIMIT 1",
        (snapshot_id, snapshot_id)).fetchone() is not None


class DedupePipeline(archive_db.ArchivePipelineBase):
    def process_item(self, item, spider=None):
        if archive_db.claim_for_worker(self.crawler, item):
            return item  # the parse pipeline's worker judges, stores, parses and archives
        item["sha256"], item["known"] = judge(self.db, item["url"], item["body"], item.get("not_modified"))
        return item
