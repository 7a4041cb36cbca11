"""One archive connection per crawl, shared by middlewares, pipelines and extensions.

SQLite allows one writer; components of one crawl run in the reactor thread,
so they share a connection instead of queueing on the file lock. Each
component `acquire`s in open_spider/spider_opened and `release`s when done;
the last release closes the connection. (The workers that store documents
open one connection each: crawler/pipelines/store.py.)
"""

from __future__ import annotations

_OPEN: dict[int, list] = {}  # id(crawler) -> [db, refcount]
# WAL pages before a commit folds the WAL back into the file (SQLite's default: 1000,
# ~4 MB). A crawl commits two saves per document; checkpointing a tenth as often
# writes hot pages (indexes, full-text segments) back once instead of ten times:
# ~15-25 % off a document's archive writes (docs/scale.md). The WAL may reach ~40 MB.
WAL_AUTOCHECKPOINT = 10000


def open_for_crawl(path):
    """The archive, opened for a crawl's writes (the reactor's connection, a parse worker's)."""
    from archive.store import open_archive  # the archive engineer's module; imported when a crawl opens

    db = open_archive(path)
    db.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    return db


def acquire(crawler):
    key = id(crawler)
    if key not in _OPEN:
        _OPEN[key] = [open_for_crawl(crawler.settings.get("NIANBAO_DB")), 0]
    _OPEN[key][1] += 1
    return _OPEN[key][0]


def release(crawler) -> None:
    key = id(crawler)
    entry = _OPEN.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        entry[0].conn.close()
        del _OPEN[key]
