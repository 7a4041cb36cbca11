"""`fetch_log`: how each troubled fetch of a crawl run ended — retried, failed or skipped, and why.

A clean first-try fetch is not logged (its snapshot or the pages after it are
the record); a fetch that needed retries, never succeeded, or was left alone
on purpose (robots.txt, a JavaScript challenge, over the size limit) is, so a
crawl that met faults says which URLs and why.

The table is declared here and created by archive/schema.py's migration 6.
"""

from __future__ import annotations

OUTCOMES = ("retried", "failed", "skipped")

FETCH_LOG_TABLE = """CREATE TABLE IF NOT EXISTS fetch_log (
    run_id TEXT NOT NULL,
    url TEXT NOT NULL,
    site TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('retried', 'failed', 'skipped')),
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    status INTEGER,
    at TEXT NOT NULL,
    PRIMARY KEY (run_id, url)
)"""
FETCH_LOG_INDEX = "CREATE INDEX IF NOT EXISTS fetch_log_outcome ON fetch_log(outcome)"


def record_fetch(db, *, run_id: str, url: str, site: str | None, outcome: str, reason: str,
                 attempts: int, status: int | None, at: str) -> None:
    """Upsert one URL's outcome in a run (a resumed run overwrites its earlier verdict)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"fetch outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    from .store import transaction, upsert_row

    row = {"run_id": run_id, "url": url, "site": site, "outcome": outcome, "reason": reason[:500],
           "attempts": attempts, "status": status, "at": at}
    with transaction(db) as conn:
        upsert_row(conn, "fetch_log", row, pk=("run_id", "url"))
