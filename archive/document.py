"""One path for storing a document: `store_document` is the only way fetched or
local bytes become a snapshot, a report and its cells.

The crawl calls it in its worker processes or threads (crawler/pipelines/store.py),
`nianbao ingest` for each local file (archive/ingest.py) and `nianbao merge` for
each shard snapshot (archive/merge.py). Steps, each one transaction:

1. judge: are these bytes of this URL in the archive already, with a verdict?
2. snapshot: a new snapshot, or a sighting of the known one;
3. parse (skipped for known bytes): the caller's `parse(doc)` — the parsers for
   fetched and local files, the shard's rows for a merge;
4. report: the record's report, sections, cells, checks and problems
   (archive/store.py save_report, which decides which document a report keeps),
   or the snapshot's "not a report" problems.

A parse that raises is recorded as a problem on the snapshot: no fetched page is
dropped without a record. Storage failures (disk full) propagate: the caller stops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from . import permalinks as pl
from .store import insert_rows, latest_snapshot, save_report, save_snapshot, transaction

PARSE_FAILED = "parse failed: "


@dataclass
class Document:
    """Bytes and where they came from (the crawl's RawDocument fields, a local file, a shard snapshot)."""

    url: str
    body: bytes
    fetched_at: str
    site: str | None = None
    site_code: str | None = None  # division code of the site (None: a local file, an ad-hoc URL)
    status: int = 200
    headers: dict | None = None
    content_type: str | None = None  # with the charset as decoded, not as mis-declared
    filename: str | None = None
    title: str | None = None  # the report title discovery matched, used when the parser finds none
    not_modified: bool = False  # a 304 replayed from the archive
    # Known bytes fetched again are a sighting; a local file read again unchanged is not
    # (re-ingesting a folder changes nothing).
    sighting: bool = True
    seen: tuple = ()  # further sightings of these bytes, (seen_at, status, headers JSON): a shard's, at merge
    # What the page around a fetched document says about it (crawler/items.py RawDocument.context):
    # {"page", "title", "published", "organization", "site_name"}; fills what the document does not say.
    context: dict | None = None


def parse_bytes(doc: Document) -> dict:
    """The parsers' record of a document (pure; never fetches)."""
    from parsers import parse_document

    return parse_document(doc.body, source=doc.url, filename=doc.filename, content_type=doc.content_type)


def judge(db, url: str, body: bytes, not_modified: bool = False) -> tuple[str, bool]:
    """(sha256 of body, known): the archive holds these bytes of url, judged already."""
    sha = hashlib.sha256(body).hexdigest()
    latest = latest_snapshot(db, url)
    known = bool(not_modified) or (latest is not None and latest["sha256"] == sha)
    return sha, known and latest is not None and _judged(db, latest["id"])


def _judged(db, snapshot_id: str) -> bool:
    """A verdict on this snapshot: a report from it, or a problem other than a failed
    parse (a parser fixed since gets another try at the bytes)."""
    return db.execute(
        "SELECT 1 FROM reports WHERE snapshot_id = ? UNION ALL SELECT 1 FROM problems WHERE snapshot_id = ?"
        " AND problem NOT LIKE ? LIMIT 1", (snapshot_id, snapshot_id, PARSE_FAILED + "%")).fetchone() is not None


def store_document(db, doc: Document, parse: Callable[[Document], object] = parse_bytes) -> dict:
    """Judge, snapshot, parse and archive one document. Returns what the callers count:
    sha256, known, snapshot_id, created, and report (its id, or None for a non-report)
    or parse_error."""
    out: dict = {}
    out["sha256"], out["known"] = judge(db, doc.url, doc.body, doc.not_modified)
    if out["known"] and not doc.sighting:
        out["snapshot_id"], out["created"] = pl.snapshot_id(doc.url, out["sha256"]), False
        return out
    headers = dict(doc.headers or {})
    if doc.content_type:
        headers["Content-Type"] = doc.content_type
    out["snapshot_id"], out["created"] = save_snapshot(
        db, url=doc.url, body=doc.body, fetched_at=doc.fetched_at, status=int(doc.status or 200),
        headers=headers, site=doc.site, site_code=doc.site_code)
    if doc.seen:
        with transaction(db) as conn:
            conn.executemany("INSERT OR IGNORE INTO sightings (snapshot_id, seen_at, status, headers)"
                             " VALUES (?, ?, ?, ?)", [(out["snapshot_id"], *s) for s in doc.seen])
    if out["known"]:
        return out  # bytes already archived and judged when first seen
    try:
        record = parse(doc)
    except Exception as exc:  # one unparseable document must not stop a crawl, an ingest or a merge
        out["parse_error"] = f"{type(exc).__name__}: {exc}"
        record_problem(db, out["snapshot_id"], PARSE_FAILED + out["parse_error"])
        return out
    if record is None:
        return out  # nothing to say about these bytes (a merged snapshot no report points at)
    if isinstance(record, dict):
        record = with_context(record, doc.title, doc.context)
    out["report"] = save_report(db, record, snapshot_id=out["snapshot_id"], url=doc.url)
    return out


def with_context(record: dict, title: str | None, context: dict | None) -> dict:
    """The record with what the document does not say taken from around it.

    A report file says its own title and body (a page's words never replace a
    report-shaped title or a body the document names); the page that wrapped it
    says the publish date (when it went online) and fills a missing title or body;
    the listing's anchor (`title`) fills a missing title; the site's owner is the
    body of last resort (a title starting with the year names no body).
    `metadata_from` says where each field came from when it did not come from the
    document itself (added to what the parser said, e.g. {"published": "properties"})."""
    from parsers import metadata

    ctx = dict(context or {})
    record = dict(record)
    origin = {}

    def fill(key: str, value, source: str, *, override: bool = False) -> None:
        if value and (override or not record.get(key)):
            record[key] = value
            origin[key] = source

    own_title = record.get("title")
    if not (own_title and metadata.TITLE.search(own_title)):
        page_title = ctx.get("title")
        fill("title", page_title if page_title and metadata.TITLE.search(page_title) else None, "page",
             override=True)
    fill("title", title, "listing")
    fill("organization", metadata.clean_organization(ctx.get("organization")), "page")
    fill("organization", metadata.clean_organization(ctx.get("site_name")), "site")
    fill("published", ctx.get("published"), "page", override=True)
    if origin:
        record["metadata_from"] = {**(record.get("metadata_from") or {}), **origin,
                                   **({"page": ctx["page"]} if ctx.get("page") else {})}
        missing = {f"{k}: not found" for k in origin}
        record["problems"] = [p for p in record.get("problems") or [] if p not in missing]
    return record


def record_problem(db, snapshot_id: str, text: str) -> None:
    """A failed parse on the snapshot, numbered 0: the parse's own problems number from 1."""
    row = {"id": pl.problem_id(snapshot_id, 0), "report_id": None, "snapshot_id": snapshot_id, "problem": text[:500]}
    with transaction(db) as conn:
        insert_rows(conn, "problems", [row], verb="INSERT OR REPLACE")
