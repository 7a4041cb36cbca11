"""The nianbao archive: an SQLite file (sqlite-utils) of snapshots, reports,
sections, cells, checks and problems with readable permalinks.

See docs/archive.md for the schema and the permalink scheme.
"""

from .ingest import ingest_paths
from .store import (
    ArchiveError,
    check_archive_file,
    finish_crawl_run,
    latest_snapshot,
    open_archive,
    read_snapshot_body,
    save_report,
    save_site_status,
    save_snapshot,
    start_crawl_run,
)

__all__ = [
    "ArchiveError",
    "check_archive_file",
    "finish_crawl_run",
    "ingest_paths",
    "latest_snapshot",
    "open_archive",
    "read_snapshot_body",
    "save_report",
    "save_site_status",
    "save_snapshot",
    "start_crawl_run",
]
