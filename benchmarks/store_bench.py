"""CPU per document of the storing path (archive.document.store_document: judge,
snapshot, archive; the parse is done beforehand), and what the archive's triggers cost.

    .venv/bin/python -m benchmarks.store_bench [--documents 300] [--runs 7]

Documents: big-web report pages (benchmarks/big_web.py: the sandbox's HTML
renderer, real bodies, ~200 cells each), parsed once beforehand, so only the
steps a crawl runs besides parsing are timed (store_document with the
record handed in), each into a fresh archive, one save per document as in a crawl. Variants drop triggers from the fresh archive to show
what they cost: `no counts` drops the row/facet counters (archive/schema.py,
migration 7), `no cells counts` only those of `cells`. Process CPU time, min
and median of `--runs` runs (the min is the least disturbed by other work).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

VARIANTS = {  # label: LIKE pattern of the triggers dropped
    "all triggers (as shipped)": None,
    "no counts": "%\\_count\\_%",
    "no cells counts": "cells\\_count\\_%",
}


def documents(n: int) -> list[tuple[dict, dict]]:
    from benchmarks.big_web import BigWeb
    from parsers import parse_document

    web = BigWeb(max(n, 100))
    out = []
    for i in range(n):
        entry = web.entry(i)
        body, _ = web.report_page(entry)
        doc = {"url": f"http://big.example{entry.path}", "site": "big", "status": 200, "headers": {},
               "body": body, "content_type": "text/html; charset=utf-8", "filename": None, "title": "",
               "fetched_at": "2025-01-01T00:00:00+00:00", "not_modified": False}
        out.append((doc, parse_document(body, source=doc["url"], content_type=doc["content_type"])))
    return out


def store_all(path: Path, docs, drop: str | None) -> float:
    """ms of CPU per document for the three storing steps into a fresh archive."""
    from archive.document import Document, store_document
    from crawler.archive_db import open_for_crawl

    db = open_for_crawl(path)
    if drop:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?"
                                  " ESCAPE '\\'", (drop,)).fetchall():
            db.execute(f"DROP TRIGGER [{name}]")
    start = time.process_time()
    for doc, record in docs:
        store_document(db, Document(**{k: v for k, v in doc.items() if v is not None}),
                       parse=lambda _d, record=record: record)
    cpu = time.process_time() - start
    db.conn.close()
    return cpu / len(docs) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    from benchmarks.crawl_bench import machine

    print(f"machine: {machine()}")
    docs = documents(args.documents)
    cells = sum(len(row) for _, rec in docs for table in rec["tables"].values() for row in table.values())
    print(f"{len(docs)} report pages, {cells / len(docs):.0f} cells each on average; {args.runs} runs")
    times: dict[str, list[float]] = {label: [] for label in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        for run in range(args.runs):  # variants interleaved, so a busy spell hits them all
            for n, (label, drop) in enumerate(VARIANTS.items()):
                times[label].append(store_all(Path(tmp) / f"r{run}-{n}.db", docs, drop))
    print("| storing steps, ms CPU per document | min | median |")
    print("|---|---:|---:|")
    for label, values in times.items():
        print(f"| {label} | {min(values):.2f} | {statistics.median(values):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
