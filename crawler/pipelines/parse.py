"""The parse workers: processes that store documents (crawler/pipelines/store.py).

Parsing is CPU-bound (a 3-page PDF takes ~0.1–0.2 s of pdfminer) and the
reactor thread is busy with downloads and discovery, so documents are parsed
and stored in worker *processes* (`NIANBAO_PARSE_PROCESSES`, default one per
core, at most 4): they use every core, which threads could not (the GIL). On 2
cores, 2 workers beat 1 on a web with PDFs (docs/scale.md). Several crawls on
one machine (scrapyd `max_proc` > 1) should set it to 1. Workers are spawned,
not forked (the crawl process has threads), and ignore SIGINT: Ctrl-C stops the
crawl gracefully and the documents in flight are still stored. What a kill -9
leaves is whole saves: a worker orphaned by a kill -9 may finish the save in
hand (and the ones queued to it) during its last second, each whole.

`_parse` is the one call of the parsers a worker makes (through
archive.document.store_document): the place where a parse's time and memory are
bounded (parsers/bounded.py): each worker's address space is limited
(`NIANBAO_PARSE_MEMORY_MB`) and each parse has a deadline (`NIANBAO_PARSE_TIMEOUT`,
an alarm in the worker); crawler/pipelines/store.py kills a worker silent past it,
or one that met the memory limit, and replaces the pool.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor


def default_processes() -> int:
    """One worker per core this process may run on (taskset, cgroups' cpusets), at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


_TIMEOUT: list[float | None] = [None]  # in a worker: the per-document deadline (new_pool's)


def _worker_init(parent: int, memory: int | None = None, timeout: float | None = None) -> None:
    import signal
    import threading

    from parsers.bounded import limit_worker

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl process decides when to stop
    limit_worker(memory)  # an allocation past it fails (MemoryError): the document's problem, not the machine's
    _TIMEOUT[0] = timeout
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
    from parsers.bounded import parse_within

    return parse_within(body, source=url, filename=filename, content_type=content_type, timeout=_TIMEOUT[0])


def new_pool(processes: int, memory: int | None = None, timeout: float | None = None):
    """Worker processes, spawned (the crawl has threads), that ignore SIGINT and exit with the
    crawl, each limited to `memory` MB of address space, each parse to `timeout` s."""
    import multiprocessing

    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(), memory, timeout))
