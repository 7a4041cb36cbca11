"""Store each fetched document through the one storing path, in a worker.

`archive.document.store_document` judges, snapshots, parses and archives a
document (the same function `nianbao ingest` and `nianbao merge` call). This
pipeline only ships the item's fields to a worker that calls it on its own
connection to the archive, and counts what comes back: the reactor thread, the
crawl's bottleneck on HTML portals (docs/scale.md), does no parsing and no
archive writes for documents.

The worker is a process (`NIANBAO_PARSE_PROCESSES`, default one per core, at
most 4; see crawler/pipelines/parse.py for how they start and stop) or, with
`NIANBAO_PARSE_PROCESSES = 0`, one thread of this process: the same function
either way. WAL lets the workers and the reactor's connection (fetch_log, site
status, conditional requests) share the file, one writer at a time.

A worker that dies (a crash in a native library, the OOM killer) breaks the
pool: it is replaced once per document, and a document that breaks the
replacement too is logged as a parse failure. A save that fails because the
disk is full — or a disk too full to store another document and close
cleanly — stops the crawl (`storage_failed`): one line, the failure in
site_status and fetch_log, the resume state kept (crawler/storage.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler import storage
from crawler.pipelines import parse
from crawler.sitestats import count
from nianbao.vocabulary import StorageFull, storage_failure

logger = logging.getLogger(__name__)

# The RawDocument fields a worker needs (archive.document.Document's).
DOC_FIELDS = ("url", "site", "site_code", "status", "headers", "body", "content_type", "filename", "fetched_at",
              "title", "not_modified", "context")
_ARCHIVES: dict[tuple[str, int], object] = {}  # in a worker: (archive path, thread) -> its own connection


def _archive(path: str):
    key = (path, threading.get_ident())
    db = _ARCHIVES.get(key)
    if db is None:
        import atexit

        from crawler.archive_db import open_for_crawl

        db = _ARCHIVES[key] = open_for_crawl(path)
        atexit.register(_quiet_close, db.conn)
    return db


def _quiet_close(conn) -> None:
    """At a worker process's exit; a thread's connection was closed by _close_archive (or
    belongs to a thread that is gone, which SQLite's module refuses to close from here)."""
    import sqlite3

    try:
        conn.close()
    except sqlite3.ProgrammingError:
        pass


def _close_archive(path: str) -> None:
    db = _ARCHIVES.pop((path, threading.get_ident()), None)
    if db is not None:
        db.conn.close()


def _parse_doc(doc) -> dict:
    return parse._parse(doc.body, doc.url, doc.filename, doc.content_type)


def store(path: str, fields: dict, room: tuple | None = None) -> dict:
    """In a worker: one document through archive.document.store_document, if the disk
    has room for it (crawler/storage.py; checked here, where documents queue up)."""
    from archive.document import Document, store_document
    from archive.store import low_space

    reason = low_space(*room) if room else None
    if reason:
        raise StorageFull(reason)
    doc = Document(**{k: v for k, v in fields.items() if v is not None})
    return store_document(_archive(path), doc, parse=_parse_doc)


def counted(crawler, url: str, out: dict) -> None:
    count(crawler, "snapshots_new" if out["created"] else "sightings")
    if "parse_error" in out:
        logger.error("parse failed for %s: %s", url, out["parse_error"])
    elif "report" in out:
        count(crawler, "reports_archived" if out["report"] else "not_reports")
        if out["report"] is None:
            logger.warning("not archived as a report (no year or issuing body): %s", url)


class StorePipeline:
    def __init__(self, crawler, processes: int):
        self.crawler = crawler
        self.processes = processes
        self.db_path = crawler.settings.get("NIANBAO_DB")
        self.executor: Executor | None = None
        self.failed: str | None = None  # the storage failure that stopped the crawl
        self.room = storage.room(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        value = crawler.settings.get("NIANBAO_PARSE_PROCESSES")
        return cls(crawler, parse.default_processes() if value in (None, "", "auto") else int(value))

    def open_spider(self, spider=None):
        self.executor = self._new_executor()

    def close_spider(self, spider=None):
        # The documents in flight are stored (or not) first, then the failure is recorded.
        if self.executor is not None:
            if self.processes == 0:
                self.executor.submit(_close_archive, self.db_path).result()
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        if self.failed:
            storage.record(self.crawler)

    def _new_executor(self) -> Executor:
        """The thin wrapper: worker processes, or one thread."""
        if self.processes > 0:
            return parse.new_pool(self.processes)
        return ThreadPoolExecutor(1, thread_name_prefix="nianbao-store")

    async def process_item(self, item, spider=None):
        if self.failed:
            storage.requeue(self.crawler, item)  # the crawl is stopping: fetched again on resume
            return item
        fields = {k: item.get(k) for k in DOC_FIELDS}
        try:
            out = await self._in_worker(store, self.db_path, fields, self.room)
        except BrokenProcessPool as exc:  # broke the replacement pool too
            logger.error("parse failed for %s: %s: %s", item["url"], type(exc).__name__, exc)
            return item
        except Exception as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            self._stop(item, reason)
            return item
        for key in ("sha256", "known", "snapshot_id", "created"):
            item[key] = out[key]
        counted(self.crawler, item["url"], out)
        return item

    def _stop(self, item, reason: str) -> None:
        storage.requeue(self.crawler, item)
        if self.failed:
            return
        self.failed = reason
        storage.stop(self.crawler, item, reason)

    async def _in_worker(self, fn, *args):
        for attempt in (1, 2):
            executor = self.executor
            try:
                return await self._wait(executor.submit(fn, *args))
            except BrokenProcessPool:
                if attempt == 2 or self.executor is None:
                    raise
                if self.executor is executor:  # the first to notice replaces it
                    logger.warning("a parse worker died (on %s or a document parsed beside it):"
                                   " starting a new pool", args[1]["url"])
                    executor.shutdown(wait=False, cancel_futures=True)
                    self.executor = self._new_executor()

    @staticmethod
    async def _wait(future):
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        if is_asyncio_reactor_installed():
            return await asyncio.wrap_future(future)
        return await maybe_deferred_to_future(deferToThread(future.result))
