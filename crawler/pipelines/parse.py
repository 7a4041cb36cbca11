"""Parse new snapshots into records (parsers.parse_document; pure, never fetches).

Parsing is CPU-bound (a 3-page PDF takes ~0.1–0.2 s of pdfminer) and the
reactor thread is busy with downloads, discovery and archive writes, so
documents are parsed in worker *processes* (`NIANBAO_PARSE_PROCESSES`, default
one per core, at most 4): they use every core, which threads could not (the
GIL). On 2 cores, 2 workers beat 1 on a web with PDFs (the reactor thread
is not busy all the time); see docs/scale.md. Several crawls on one machine
(scrapyd `max_proc` > 1) should set it to 1. Workers are spawned, not forked (the crawl
process has threads), and ignore SIGINT: Ctrl-C stops the crawl gracefully and
the documents in flight are still parsed and archived. `NIANBAO_PARSE_PROCESSES
= 0` parses in the reactor's thread pool instead (one core, as before).

A worker that dies (a crash in a native library, the OOM killer) breaks the
pool: it is replaced once per document, and a document that breaks the
replacement too counts as a parse failure like any exception.

Each parse is bounded (parsers/bounded.py): a worker's address space is limited
(`NIANBAO_PARSE_MEMORY_MB`), each document has a deadline (`NIANBAO_PARSE_TIMEOUT`,
an alarm in the worker) and a worker silent past it is killed with its pool, which
is replaced. A parse failure of any kind is archived: the snapshot, with the
failure's one line among its problems (`failed_record`), and the crawl goes on.

Stored in the workers (`NIANBAO_STORE_IN_WORKERS`, default on with worker
processes and the full pipeline chain): a worker also does what the dedupe,
snapshot and archive pipelines would do in the reactor thread — the same step
functions, in the same order, each save its own transaction — on its own
connection to the archive (WAL: one writer at a time, the others wait on
SQLite's lock). The reactor thread, the crawl's bottleneck on HTML portals
(docs/scale.md), then only ships the bytes and gets back ids and counts; those
pipelines pass the items through. Per document: PDF and Word attachments
are stored in the reactor thread (the worker only parses them), and so are
HTML and text pages that arrive while an attachment is being parsed; other
pages are stored in the workers. A PDF costs a worker ~40x the CPU of an HTML
page: while one is in the pool the workers, not the reactor, are the busy
side, and storing there too loads it further (docs/scale.md has the
figures). Either way the same step functions write the same rows
(`archive_db.claim_for_worker`). `NIANBAO_STORE_IN_WORKERS = "all"` stores
every document in the workers. What a kill -9 leaves is what it left before:
whole saves. A worker orphaned by a kill -9 may finish the save in hand (and the ones
queued to it) during its last second, each whole, beside a restarted crawl.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

logger = logging.getLogger(__name__)


def default_processes() -> int:
    """One worker per core this process may run on (taskset, cgroups' cpusets), at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


def _worker_init(parent: int, memory: int | None = None) -> None:
    import signal
    import threading

    from parsers.bounded import limit_worker

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl process decides when to stop
    limit_worker(memory)  # an allocation past it fails (MemoryError): the document's problem, not the machine's
    # `parent` is the crawl's pid as the crawl saw it: a worker still starting up
    # when the crawl is killed would otherwise take its new parent (init) for it
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    import parsers  # noqa: F401  # loaded once per worker, before the first document


def _exit_with_parent(parent: int) -> None:
    """A crawl killed with -9 cannot stop its workers, and a worker never sees its
    task queue close (it holds the queue's write end itself): it leaves once it
    is orphaned (re-parented), within a second."""
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _parse(body: bytes, url: str, filename: str | None, content_type: str | None,
           timeout: float | None = None) -> dict:
    from parsers.bounded import parse_within

    return parse_within(body, source=url, filename=filename, content_type=content_type, timeout=timeout)


# What a worker needs of an item to store it (RawDocument fields).
DOC_FIELDS = ("url", "site", "status", "headers", "body", "content_type", "filename", "fetched_at", "title",
              "not_modified")
_ARCHIVES: dict[str, object] = {}  # in a worker: archive path -> its own connection


def _archive(path: str):
    db = _ARCHIVES.get(path)
    if db is None:
        import atexit

        from crawler.archive_db import open_for_crawl

        db = _ARCHIVES[path] = open_for_crawl(path)
        atexit.register(db.conn.close)
    return db


def _store(path: str, doc: dict, timeout: float | None = None) -> dict:
    """In a worker: dedupe, snapshot, parse and archive one document, as the
    pipelines would in the reactor thread. Returns what the reactor counts."""
    from crawler.pipelines import archive, dedupe, snapshot

    db = _archive(path)
    out = {}
    out["sha256"], out["known"] = dedupe.judge(db, doc["url"], doc["body"], doc.get("not_modified"))
    out["snapshot_id"], out["created"] = snapshot.store(db, doc)
    if out["known"]:
        return out  # bytes already archived and parsed when first seen
    try:
        record = _parse(doc["body"], doc["url"], doc.get("filename"), doc.get("content_type"), timeout)
    except Exception as exc:  # one unparseable document must not stop a province's crawl
        from parsers.bounded import MemoryBound

        out["parse_error"] = f"{type(exc).__name__}: {exc}"
        out["spent"] = isinstance(exc, MemoryBound)  # this worker is to be replaced
        record = _failed(doc["url"], exc)
    out["report"] = archive.store(db, record, {**doc, "snapshot_id": out["snapshot_id"]})
    return out


def _failed(url: str, exc: BaseException) -> dict:
    """The record a parse failure leaves: its one line among the snapshot's problems."""
    from parsers.bounded import failed_record

    return failed_record(url, exc)


# Attachments (PDF, OOXML zip, OLE .doc/.wps) by their first bytes, as parsers/sniff.py
# tells them: stored in the reactor thread while a worker parses them.
BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _attachment(item) -> bool:
    return (item.get("body") or b"")[:8].startswith(BINARY_MAGIC)


def _full_chain(settings) -> bool:
    """The dedupe, snapshot and archive pipelines are all on (a worker does all three)."""
    on = {getattr(k, "__name__", str(k).rsplit(".", 1)[-1])
          for k, v in settings.getwithbase("ITEM_PIPELINES").items() if v is not None}
    return {"DedupePipeline", "SnapshotPipeline", "ArchivePipeline"} <= on


class ParsePipeline:
    def __init__(self, processes: int = 0, crawler=None, store: bool | str = False):
        from parsers.bounded import memory_mb, timeout_s

        self.processes = processes
        settings = crawler.settings if crawler is not None else {}
        # per-document limits (parsers/bounded.py); the settings override the environment's
        self.timeout = float(settings.get("NIANBAO_PARSE_TIMEOUT") or timeout_s())
        self.memory = int(settings.get("NIANBAO_PARSE_MEMORY_MB") or memory_mb())
        self.store_binary = store == "all"
        self.attachments_in_pool = 0  # PDF/Word documents being parsed by the workers now
        self.crawler = crawler
        self.executor: ProcessPoolExecutor | None = None
        self.db_path = crawler.settings.get("NIANBAO_DB") if crawler is not None else None
        self.store = bool(store and processes > 0 and crawler is not None)
        if self.store:
            crawler.nianbao_parse_pipeline = self  # archive_db.claim_for_worker

    def takes_store(self, item) -> bool:
        """A worker stores this document: an HTML or text page while no attachment is
        being parsed (or anything, with "all")."""
        if not self.store:
            return False
        return self.store_binary or (not _attachment(item) and self.attachments_in_pool == 0)

    @classmethod
    def from_crawler(cls, crawler):
        value = crawler.settings.get("NIANBAO_PARSE_PROCESSES")
        processes = default_processes() if value in (None, "", "auto") else int(value)
        value = crawler.settings.get("NIANBAO_STORE_IN_WORKERS", True)
        store = "all" if str(value).lower() == "all" else crawler.settings.getbool("NIANBAO_STORE_IN_WORKERS", True)
        return cls(processes, crawler, store if _full_chain(crawler.settings) else False)

    def open_spider(self, spider=None):
        from parsers import parse_document  # the parsers package; imported when a crawl opens

        self.parse_document = parse_document
        if self.processes > 0:
            self.executor = self._new_executor()

    def close_spider(self, spider=None):
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _new_executor(self) -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(os.getpid(), self.memory))

    async def process_item(self, item, spider=None):
        if item.get("in_worker"):
            return await self._store(item)
        if item.get("known"):
            return item  # bytes already archived and parsed when first seen
        args = (item["body"], item["url"], item.get("filename"), item.get("content_type"))
        attachment = _attachment(item)
        self.attachments_in_pool += attachment
        try:
            item["record"] = await (self._in_process(_parse, *args, self.timeout) if self.executor is not None
                                    else self._in_thread(args))
        except Exception as exc:  # one unparseable document must not stop a province's crawl
            logger.error("parse failed for %s: %s: %s", item["url"], type(exc).__name__, exc)
            item["record"] = _failed(item["url"], exc)  # archived as the snapshot's problem
        finally:
            self.attachments_in_pool -= attachment
        return item

    async def _store(self, item):
        from crawler.pipelines import archive, snapshot
        from parsers.bounds import OverBound

        try:
            out = await self._in_process(_store, self.db_path, {k: item.get(k) for k in DOC_FIELDS}, self.timeout)
        except (BrokenProcessPool, OverBound) as exc:  # broke the replacement pool too, or overran
            logger.error("parse failed for %s: %s: %s", item["url"], type(exc).__name__, exc)
            return self._store_here(item, exc)
        for key in ("sha256", "known", "snapshot_id", "created"):
            item[key] = out[key]
        snapshot.counted(self.crawler, out["created"])
        if "parse_error" in out:
            logger.error("parse failed for %s: %s", item["url"], out["parse_error"])
        elif "report" in out:
            archive.counted(self.crawler, item["url"], out["report"])
        return item  # no "record": the archive pipeline has nothing left to do

    def _store_here(self, item, exc):
        """A document whose worker died or was killed: stored in this thread, with the
        failure as its problem (the worker may have stored the snapshot already: then a sighting)."""
        from crawler import archive_db
        from crawler.pipelines import archive, snapshot

        db = archive_db.acquire(self.crawler)
        try:
            item["snapshot_id"], item["created"] = snapshot.store(db, item)
            snapshot.counted(self.crawler, item["created"])
            archive.counted(self.crawler, item["url"], archive.store(db, _failed(item["url"], exc), item))
        finally:
            archive_db.release(self.crawler)
        return item

    async def _in_thread(self, args):
        body, url, filename, content_type = args
        return await maybe_deferred_to_future(deferToThread(
            self.parse_document, body, source=url, filename=filename, content_type=content_type))

    async def _in_process(self, fn, *args):
        from parsers.bounded import MemoryBound

        for attempt in (1, 2):
            executor = self.executor
            try:
                out = await self._watched(executor, executor.submit(fn, *args), _url(fn, args))
                if isinstance(out, dict) and out.get("spent"):  # stored by the worker, at the memory limit
                    self._replace(executor, f"a parse worker met the memory limit on {_url(fn, args)}")
                return out
            except MemoryBound:
                self._replace(executor, f"a parse worker met the memory limit on {_url(fn, args)}")
                raise
            except BrokenProcessPool:
                if attempt == 2 or self.executor is None:
                    raise
                if self.executor is executor:  # the first to notice replaces it
                    logger.warning("a parse worker died (on %s or a document parsed beside it):"
                                   " starting a new pool", _url(fn, args))
                    executor.shutdown(wait=False, cancel_futures=True)
                    self.executor = self._new_executor()

    async def _watched(self, executor, future, url: str):
        """The future's result; a worker silent past its deadline (stuck in native code,
        its alarm not firing) is killed with its pool, which is replaced."""
        from parsers.bounded import WATCHDOG_GRACE_S
        from parsers.bounds import OverBound

        try:
            return await asyncio.wait_for(self._wait(future), self.timeout + WATCHDOG_GRACE_S)
        except TimeoutError:
            self._replace(executor, f"a parse worker overran its time limit on {url}")
            raise OverBound(f"{url}: parse stopped after {self.timeout:g} s (time limit; worker killed)") from None

    def _replace(self, executor, why: str) -> None:
        """Kill a pool whose worker is not to be trusted and start a new one (documents
        in flight on its other workers are retried once there, as after a crash)."""
        from parsers.bounded import kill_pool

        if executor is not None and self.executor is executor:
            logger.error("%s: killing its pool, starting a new one", why)
            kill_pool(executor)
            self.executor = self._new_executor()

    @staticmethod
    async def _wait(future):
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        if is_asyncio_reactor_installed():
            return await asyncio.wrap_future(future)
        return await maybe_deferred_to_future(deferToThread(future.result))


def _url(fn, args) -> str:
    return args[1]["url"] if fn is _store else args[1]
