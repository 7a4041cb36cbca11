"""Parse a document within a time and a memory limit, in a worker process.

parsers/bounds.py stops the hostile shapes it knows (bombs, absurd spans, endless
pages); this backs them up for the ones nobody has thought of yet. A parse runs
in a worker process whose address space is limited (`PARSE_MEMORY_MB`: past it an
allocation fails with MemoryError instead of the machine swapping) and under a
deadline (`PARSE_TIMEOUT_S`: SIGALRM in the worker; a worker that does not answer
`WATCHDOG_GRACE_S` later, stuck in native code, is killed and replaced). Either way
the document gets a one-line `OverBound` and the next document is parsed.

Callers:
- `parse_bounded(bytes, ...)` / `parse_path_bounded(path)`: any caller (`nianbao
  parse`, `nianbao ingest`, a storing function); one shared worker, started on
  first use (~1 s), reused, replaced when it dies or overruns.
- the crawl's own worker pool (crawler/pipelines/parse.py) applies the same
  limits with `limit_worker` and `parse_within`, and the watchdog with `kill_pool`.
- a worker whose parse met the memory limit (`MemoryBound`) is replaced too.

The limits are overridable by the environment (NIANBAO_PARSE_TIMEOUT seconds,
NIANBAO_PARSE_MEMORY_MB) and, for a crawl, by the settings of the same names.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from parsers.bounds import OverBound
from parsers.document import parse_document, read_input

# A report parses in 0.005–0.5 s (docs/parsing.md); a 100-page PDF in ~10 s on a busy core.
# PDFs and images get the OCR's own budget on top, .doc/.wps the conversion's (`deadline`).
PARSE_TIMEOUT_S = 120.0
# Address space of a parse worker: Python with lxml, pdfminer and python-docx loaded is
# ~0.3 GB of it, a 100-page report PDF peaks under 0.3 GB resident; OCR (onnxruntime)
# reserves arenas: a 2-page scan failed with std::bad_alloc at 1536 MB and read at 2048.
PARSE_MEMORY_MB = 3072
# How long after its deadline a silent worker is killed (its alarm fires only
# between Python bytecodes; a long native call can outlast it).
WATCHDOG_GRACE_S = 30.0


def timeout_s() -> float:
    return float(os.environ.get("NIANBAO_PARSE_TIMEOUT") or PARSE_TIMEOUT_S)


def memory_mb() -> int:
    return int(os.environ.get("NIANBAO_PARSE_MEMORY_MB") or PARSE_MEMORY_MB)


class MemoryBound(OverBound):
    """A parse stopped at the memory limit: its worker is replaced (its heap, and a native
    library that failed an allocation, are not trusted for the next document)."""


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` in a library swallows it."""


# --- inside a worker process -------------------------------------------------------------


def limit_worker(memory: int | None = None) -> None:
    """Limit this process's address space to `memory` MB (a worker's initializer)."""
    import resource

    limit = (memory or memory_mb()) * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_mb() -> int:
    """This process's address-space limit in MB (as limit_worker set it)."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return memory_mb() if soft == resource.RLIM_INFINITY else soft // 2**20


def deadline(data: bytes, *, filename: str | None = None, content_type: str | None = None,
             base: float | None = None) -> float:
    """The seconds one document may take: `base` (PARSE_TIMEOUT_S), plus the budgets the
    slow readers keep themselves, for the kinds that may need them: OCR of scanned PDFs
    and images (parsers/scanned.py: SECONDS_PER_PAGE x MAX_PAGES) and the conversion of
    .doc/.wps by LibreOffice (parsers/office.py: CONVERT_SECONDS)."""
    from parsers import sniff

    base = base or timeout_s()
    try:
        kind = sniff.kind(data[:200_000], filename=filename, content_type=content_type)
    except Exception:  # not a document at all: the parse says so at once
        return base
    if kind in ("pdf", "image"):
        from parsers.scanned import MAX_PAGES, SECONDS_PER_PAGE

        return base + MAX_PAGES * SECONDS_PER_PAGE
    if kind == "ole":
        from parsers.office import CONVERT_SECONDS

        return base + CONVERT_SECONDS
    return base


def _alarm(signum, frame):
    raise _Deadline


def parse_within(data: bytes, *, source: str, filename: str | None = None, content_type: str | None = None,
                 timeout: float | None = None) -> dict:
    """parse_document under a deadline (in a process's main thread: SIGALRM), with a
    MemoryError from the address-space limit turned into one line. Raises OverBound.
    `timeout` is the base of the document's deadline (see `deadline`)."""
    timeout = deadline(data, filename=filename, content_type=content_type, base=timeout)
    timed = threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return parse_document(data, source=source, filename=filename, content_type=content_type)
    except _Deadline:
        raise OverBound(f"{source}: parse stopped after {timeout:g} s (time limit)") from None
    except MemoryError:
        raise MemoryBound(f"{source}: parse stopped at the memory limit ({_limit_mb()} MB)") from None
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


# --- the caller's side ---------------------------------------------------------------------


def kill_pool(executor: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (one overran its deadline) and reap them."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for p in processes:
        p.kill()
    executor.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.join(5)


def _init(memory: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when to stop
    limit_worker(memory)
    import parsers.html  # noqa: F401  # loaded once, before the first document
    import parsers.pdf  # noqa: F401


class BoundedParser:
    """One worker process parsing documents one at a time within the limits."""

    def __init__(self, *, timeout: float | None = None, memory: int | None = None):
        self.timeout = timeout or timeout_s()
        self.memory = memory or memory_mb()
        self.executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self.executor is None:
            import multiprocessing

            self.executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_init, initargs=(self.memory,))
        return self.executor

    def parse(self, data: bytes, *, source: str, filename: str | None = None,
              content_type: str | None = None) -> dict:
        limit = deadline(data, filename=filename, content_type=content_type, base=self.timeout)
        return self.call(source, parse_within, data, source=source, filename=filename,
                         content_type=content_type, timeout=self.timeout, limit_=limit)

    def call(self, what: str, fn, /, *args, limit_: float | None = None, **kwargs):
        """fn(*args, **kwargs) in the worker (`what`: the document, for messages), watched: silent past the deadline and
        WATCHDOG_GRACE_S, the worker is killed and replaced (OverBound); dead, replaced."""
        limit = limit_ or self.timeout
        future = self._pool().submit(fn, *args, **kwargs)
        try:
            return future.result(limit + WATCHDOG_GRACE_S)
        except MemoryBound:
            self.replace()
            raise
        except FutureTimeout:
            self.replace()
            raise OverBound(f"{what}: parse stopped after {limit:g} s (time limit; worker killed)") \
                from None
        except BrokenProcessPool:
            self.replace()
            raise OverBound(f"{what}: the parse worker died (memory limit {self.memory} MB, or a crash "
                            "in a native library)") from None

    def replace(self) -> None:
        if self.executor is not None:
            kill_pool(self.executor)
            self.executor = None

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None


_shared: BoundedParser | None = None


def _parser() -> BoundedParser:
    global _shared
    if _shared is None:
        _shared = BoundedParser()
        atexit.register(_shared.close)
    return _shared


def parse_bounded(data: bytes, *, source: str, filename: str | None = None, content_type: str | None = None) -> dict:
    """parse_document(data, ...) in the shared bounded worker. Raises InputError (OverBound
    for a bound) with one line, like parse_document."""
    return _parser().parse(data, source=source, filename=filename, content_type=content_type)


def parse_path_bounded(path: str | Path) -> dict:
    """parse_path(path), parsed in the shared bounded worker."""
    path = Path(path)
    return parse_bounded(read_input(path), source=str(path), filename=path.name)
