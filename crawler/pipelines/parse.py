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
    return max(1, min(4, os.cpu_count() or 1))


def _worker_init(parent: int) -> None:
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl process decides when to stop
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


def _parse(body: bytes, url: str, filename: str | None, content_type: str | None) -> dict:
    from parsers import parse_document

    return parse_document(body, source=url, filename=filename, content_type=content_type)


class ParsePipeline:
    def __init__(self, processes: int = 0):
        self.processes = processes
        self.executor: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        value = crawler.settings.get("NIANBAO_PARSE_PROCESSES")
        return cls(default_processes() if value in (None, "", "auto") else int(value))

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
                                   initializer=_worker_init, initargs=(os.getpid(),))

    async def process_item(self, item, spider=None):
        if item.get("known"):
            return item  # bytes already archived and parsed when first seen
        args = (item["body"], item["url"], item.get("filename"), item.get("content_type"))
        try:
            item["record"] = await (self._in_process(args) if self.executor is not None else self._in_thread(args))
        except Exception as exc:  # one unparseable document must not stop a province's crawl
            logger.error("parse failed for %s: %s: %s", item["url"], type(exc).__name__, exc)
            item["record"] = None
        return item

    async def _in_thread(self, args):
        body, url, filename, content_type = args
        return await maybe_deferred_to_future(deferToThread(
            self.parse_document, body, source=url, filename=filename, content_type=content_type))

    async def _in_process(self, args):
        for attempt in (1, 2):
            executor = self.executor
            try:
                return await self._wait(executor.submit(_parse, *args))
            except BrokenProcessPool:
                if attempt == 2 or self.executor is None:
                    raise
                if self.executor is executor:  # the first to notice replaces it
                    logger.warning("a parse worker died (on %s or a document parsed beside it):"
                                   " starting a new pool", args[1])
                    executor.shutdown(wait=False, cancel_futures=True)
                    self.executor = self._new_executor()

    @staticmethod
    async def _wait(future):
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        if is_asyncio_reactor_installed():
            return await asyncio.wrap_future(future)
        return await maybe_deferred_to_future(deferToThread(future.result))
