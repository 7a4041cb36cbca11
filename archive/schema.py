"""The archive's shape, declared once as numbered migrations.

`apply_schema(db)` brings any archive up to the newest version and is
idempotent: it runs only the migrations a file has not seen, each in its own
transaction, and records them in `schema_migrations`. A schema change is a new
migration appended to MIGRATIONS (ALTER TABLE, CREATE INDEX ...), never an
edit of an old one and never a rebuild that drops data.

Primary keys are readable ASCII permalinks (see archive/permalinks.py), never
rowid. Snapshots, blobs and sightings are append-only: triggers refuse UPDATE
and DELETE on them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from archive.fetchlog import FETCH_LOG_INDEX, FETCH_LOG_TABLE
from archive.sites import SITES_INDEX, SITES_TABLE

# FTS5's default tokenizer splits on spaces, so Chinese text (no spaces) would be
# one token per sentence. The trigram tokenizer (SQLite >= 3.34) indexes every
# 3-character window; 1-2 character queries fall back to LIKE (see nianbao/site/plugin.py).
MIN_SQLITE_FOR_TRIGRAM = (3, 34, 0)

_APPEND_ONLY = ("blobs", "snapshots", "sightings")

_V1_TABLES = [
    # Raw bytes, content-addressed by sha256 and zlib-compressed, so the same
    # document fetched from two URLs (or twice) is stored once.
    """CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        encoding TEXT NOT NULL DEFAULT 'zlib',
        data BLOB NOT NULL
    )""",
    # One row per distinct (URL, bytes). Re-fetching the same bytes adds a sighting.
    """CREATE TABLE snapshots (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        size INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        status INTEGER NOT NULL,
        headers TEXT NOT NULL DEFAULT '{}',
        content_type TEXT,
        etag TEXT,
        last_modified TEXT,
        site TEXT,
        UNIQUE (url, sha256)
    )""",
    """CREATE TABLE sightings (
        snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
        seen_at TEXT NOT NULL,
        status INTEGER NOT NULL,
        headers TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (snapshot_id, seen_at)
    )""",
    # An issuing body (government, department, zone), placed in the divisions.
    """CREATE TABLE bodies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        level TEXT,
        province TEXT, province_code TEXT,
        city TEXT, city_code TEXT,
        county TEXT, county_code TEXT
    )""",
    """CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        body_id TEXT NOT NULL REFERENCES bodies(id),
        year INTEGER NOT NULL,
        title TEXT,
        organization TEXT,
        level TEXT,
        province TEXT, province_code TEXT,
        city TEXT, city_code TEXT,
        county TEXT, county_code TEXT,
        published TEXT,
        days_late INTEGER,
        format TEXT,
        source_url TEXT,
        snapshot_id TEXT REFERENCES snapshots(id),
        check_status TEXT NOT NULL DEFAULT 'none',
        checks_passed INTEGER NOT NULL DEFAULT 0,
        checks_failed INTEGER NOT NULL DEFAULT 0,
        checks_not_checkable INTEGER NOT NULL DEFAULT 0,
        problem_count INTEGER NOT NULL DEFAULT 0,
        record_sha256 TEXT,
        UNIQUE (body_id, year)
    )""",
    """CREATE TABLE sections (
        id TEXT PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports(id),
        part TEXT NOT NULL,
        position INTEGER NOT NULL,
        label TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    # Long format, one row per printed cell. The compound key is the cell's
    # permalink; WITHOUT ROWID keeps 200 cells per report clustered by report.
    """CREATE TABLE cells (
        report_id TEXT NOT NULL REFERENCES reports(id),
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        column_key TEXT NOT NULL,
        value NUMERIC,
        raw TEXT NOT NULL DEFAULT '',
        unit TEXT,
        PRIMARY KEY (report_id, table_name, row_key, column_key)
    ) WITHOUT ROWID""",
    """CREATE TABLE checks (
        id TEXT PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports(id),
        rule TEXT NOT NULL,
        table_name TEXT NOT NULL,
        column_key TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'not_checkable')),
        left_value NUMERIC,
        right_value NUMERIC,
        detail TEXT NOT NULL DEFAULT ''
    )""",
    # What a parse could not find or was unsure of; a document that is not a
    # report at all keeps its problems on the snapshot (report_id NULL).
    """CREATE TABLE problems (
        id TEXT PRIMARY KEY,
        report_id TEXT REFERENCES reports(id),
        snapshot_id TEXT REFERENCES snapshots(id),
        problem TEXT NOT NULL
    )""",
    # Per-report application outcomes (the 总计 column), folded into groups,
    # and their per-province-per-year sums: the yearly-totals query and chart
    # read these instead of summing 200 million cells.
    """CREATE TABLE report_outcomes (
        report_id TEXT PRIMARY KEY REFERENCES reports(id),
        province_code TEXT, province TEXT, year INTEGER NOT NULL,
        new_received NUMERIC, carried_over NUMERIC, granted NUMERIC,
        partially_granted NUMERIC, denied NUMERIC, unable NUMERIC,
        rejected NUMERIC, other NUMERIC, handled_total NUMERIC, carried_forward NUMERIC
    )""",
    """CREATE TABLE province_year_outcomes (
        id TEXT PRIMARY KEY,
        province_code TEXT NOT NULL, province TEXT NOT NULL, year INTEGER NOT NULL,
        reports INTEGER NOT NULL,
        new_received NUMERIC, carried_over NUMERIC, granted NUMERIC,
        partially_granted NUMERIC, denied NUMERIC, unable NUMERIC,
        rejected NUMERIC, other NUMERIC, handled_total NUMERIC, carried_forward NUMERIC
    )""",
    """CREATE TABLE crawl_runs (
        id TEXT PRIMARY KEY,
        province TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        stats TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE site_status (
        run_id TEXT NOT NULL REFERENCES crawl_runs(id),
        site TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
            ('ok', 'not_found', 'robots_disallowed', 'blocked', 'no_reports', 'error')),
        pages INTEGER NOT NULL DEFAULT 0,
        reports INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, site)
    )""",
]

# Each index serves a page or query named beside it (see docs/archive.md).
_V1_INDEXES = [
    "CREATE INDEX snapshots_url ON snapshots(url)",  # latest_snapshot
    "CREATE INDEX reports_province_year ON reports(province, year)",  # facet, canned by-province
    "CREATE INDEX reports_year ON reports(year)",  # facet, sort
    "CREATE INDEX reports_level ON reports(level)",  # facet
    "CREATE INDEX reports_format ON reports(format)",  # facet
    "CREATE INDEX reports_check_status ON reports(check_status)",  # facet, failing checks
    "CREATE INDEX reports_days_late ON reports(days_late)",  # late reports
    "CREATE INDEX reports_published ON reports(published)",  # sort
    "CREATE INDEX reports_snapshot ON reports(snapshot_id)",  # snapshot page: reports from it
    "CREATE INDEX sections_report ON sections(report_id)",
    "CREATE INDEX checks_report ON checks(report_id)",
    "CREATE INDEX checks_status ON checks(status)",
    "CREATE INDEX problems_report ON problems(report_id)",
    "CREATE INDEX problems_snapshot ON problems(snapshot_id)",
    "CREATE INDEX report_outcomes_province_year ON report_outcomes(province_code, year)",
    "CREATE INDEX province_year_outcomes_province ON province_year_outcomes(province, year)",
]

_V1_VIEWS = [
    """CREATE VIEW failed_checks AS
        SELECT c.id, c.report_id, r.organization, r.province, r.year, c.rule,
               c.table_name, c.column_key, c.left_value, c.right_value, c.detail
        FROM checks c JOIN reports r ON r.id = c.report_id
        WHERE c.status = 'failed'""",
    """CREATE VIEW latest_sightings AS
        SELECT s.url, s.id AS snapshot_id, max(g.seen_at) AS seen_at
        FROM snapshots s JOIN sightings g ON g.snapshot_id = s.id
        GROUP BY s.url""",
]


def _append_only_triggers() -> list[str]:
    out = []
    for table in _APPEND_ONLY:
        for op in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
            )
    return out


def _fts(table: str, columns: tuple[str, ...]) -> list[str]:
    """External-content FTS5 trigram index kept in sync by triggers (sqlite-utils naming,
    so Datasette detects `<table>_fts` and offers its search box)."""
    cols = ", ".join(f"[{c}]" for c in columns)
    new = ", ".join(f"new.[{c}]" for c in columns)
    old = ", ".join(f"old.[{c}]" for c in columns)
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE [{fts}] USING FTS5 ({cols}, tokenize='trigram', content=[{table}])",
        f"CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] ([{fts}], rowid, {cols}) VALUES('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER [{table}_au] AFTER UPDATE ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] ([{fts}], rowid, {cols}) VALUES('delete', old.rowid, {old}); "
        f"INSERT INTO [{fts}] (rowid, {cols}) VALUES (new.rowid, {new}); END",
    ]


# Row counts, and the value counts of the columns the site facets on, kept by
# triggers in the same transaction as the rows they count. The site reads them
# instead of counting: at 1M reports `select count(*) from cells` reads 200M
# rows (minutes on a cold cache), and the unfiltered cells page's facet could
# never finish in its time limit. tests/test_archive_counts.py checks that every
# table has counters and that they equal count(*) and GROUP BY after every writer.
# Migration 7 counts exactly these (frozen: migrations never change). A later
# migration that adds a table gets its counters in that migration
# (`_counters(table, columns)`) and adds the table to COUNTED.
_COUNTED_V7: dict[str, tuple[str, ...]] = {
    "blobs": (),
    "snapshots": (),
    "sightings": (),
    "bodies": ("province", "level"),
    "reports": ("province", "year", "level", "format", "check_status"),
    "sections": (),
    "cells": ("table_name",),
    "checks": ("rule", "status"),
    "problems": (),
    "report_outcomes": (),
    "province_year_outcomes": ("province",),
    "crawl_runs": (),
    "site_status": ("status",),
    "fetch_log": ("outcome", "site"),
}
_COUNTED_V9 = {"sites": ("status", "level", "found")}
COUNTED: dict[str, tuple[str, ...]] = {**_COUNTED_V7, **_COUNTED_V9}  # as of the newest migration
# A NOT NULL faceted column whose value counts sum to the table's row count: no
# separate total is kept for these tables, one statement less per row written
# (a report writes ~200 cells; each trigger statement costs a few µs).
TOTAL_FROM = {"cells": "table_name", "checks": "rule", "reports": "year"}
COUNTS_TABLE = "row_counts"
# Full-text tables (external content, kept in sync by triggers): as many rows as their table.
FTS_CONTENT = {"reports_fts": "reports", "sections_fts": "sections",
               "reports_fts_docsize": "reports", "sections_fts_docsize": "sections"}


def _counters(table: str, columns: tuple[str, ...]) -> list[str]:
    """Fill `row_counts` for one table and keep it exact: a total row (column '';
    not for TOTAL_FROM tables) and one row per non-NULL value of each faceted
    column (rows may reach n = 0)."""
    key = f"table_name = '{table}' AND column_name"
    out, ins, dele = [], [], []
    if table not in TOTAL_FROM:
        out.append(f"INSERT INTO {COUNTS_TABLE} SELECT '{table}', '', '', count(*) FROM [{table}]")
        ins.append(f"UPDATE {COUNTS_TABLE} SET n = n + 1 WHERE {key} = '' AND value = '';")
        dele.append(f"UPDATE {COUNTS_TABLE} SET n = n - 1 WHERE {key} = '' AND value = '';")
    for c in columns:
        out.append(f"INSERT INTO {COUNTS_TABLE} SELECT '{table}', '{c}', [{c}], count(*) FROM [{table}]"
                   f" WHERE [{c}] IS NOT NULL GROUP BY [{c}]")
        add = (f"INSERT INTO {COUNTS_TABLE} SELECT '{table}', '{c}', new.[{c}], 1 WHERE new.[{c}] IS NOT NULL"
               f" ON CONFLICT DO UPDATE SET n = n + 1;")
        sub = f"UPDATE {COUNTS_TABLE} SET n = n - 1 WHERE {key} = '{c}' AND value = old.[{c}];"
        ins.append(add)
        dele.append(sub)
        out.append(f"CREATE TRIGGER [{table}_count_{c}_au] AFTER UPDATE OF [{c}] ON [{table}]"
                   f" WHEN old.[{c}] IS NOT new.[{c}] BEGIN {sub} {add} END")
    out.append(f"CREATE TRIGGER [{table}_count_ai] AFTER INSERT ON [{table}] BEGIN {' '.join(ins)} END")
    out.append(f"CREATE TRIGGER [{table}_count_ad] AFTER DELETE ON [{table}] BEGIN {' '.join(dele)} END")
    return out


def read_counts(rows) -> tuple[dict[str, int], dict[tuple[str, str], dict]]:
    """({table: rows}, {(table, column): {value: rows}}) from row_counts' (table_name,
    column_name, value, n) rows; values counted 0 (all their rows deleted) left out."""
    totals: dict[str, int] = {}
    facets: dict[tuple[str, str], dict] = {(t, c): {} for t, cols in COUNTED.items() for c in cols}
    for table, column, value, n in rows:
        if n and column == "":
            totals[table] = n
        elif n:
            facets.setdefault((table, column), {})[value] = n
    for table, column in TOTAL_FROM.items():
        totals[table] = sum(facets[table, column].values())
    return {t: totals.get(t, 0) for t in COUNTED}, facets


def _counts_migration() -> list[str]:
    table = (f"CREATE TABLE {COUNTS_TABLE} (table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
             " value NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (table_name, column_name, value)) WITHOUT ROWID")
    return [table] + [sql for t, cols in _COUNTED_V7.items() for sql in _counters(t, cols)]


# (version, name, statements). Append only.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "initial tables", _V1_TABLES),
    (2, "indexes and views", _V1_INDEXES + _V1_VIEWS),
    (3, "append-only triggers", _append_only_triggers()),
    (4, "trigram full-text search", _fts("reports", ("title", "organization")) + _fts("sections", ("text",))),
    # A province-filtered table page counts its other facets from these covering
    # indexes instead of ~30k table lookups each (1M reports: p95 304 ms -> 102 ms, docs/archive.md).
    (
        5,
        "province facet indexes",
        [
            "CREATE INDEX reports_province_level ON reports(province, level)",
            "CREATE INDEX reports_province_format ON reports(province, format)",
            "CREATE INDEX reports_province_check_status ON reports(province, check_status)",
        ],
    ),
    # How each troubled fetch of a crawl run ended (archive/fetchlog.py). IF NOT EXISTS:
    # crawls made before this migration created the same table themselves.
    (6, "fetch log", [FETCH_LOG_TABLE, FETCH_LOG_INDEX]),
    # Counted once here (minutes on a 1M-report archive), then by triggers.
    (7, "row and facet counts", _counts_migration()),
    # A page filtered by province counts its rows and every facet in one GROUP BY pass
    # (nianbao/site/app.py): from this covering index instead of ~32k table rows at 1M
    # reports (30-330 ms -> 1-23 ms a province; built in 4 s at 1M).
    (8, "reports facet index",
     ["CREATE INDEX reports_facets ON reports(province, year, level, format, check_status)"]),
    # The sites a province crawl knows: registered, discovered, left alone (archive/sites.py).
    (9, "sites", [SITES_TABLE, SITES_INDEX] + _counters("sites", _COUNTED_V9["sites"])),
]
# Deadlines as the regulations set them (archive/rows.py `deadline`): the level of a
# government printed with its province/city before its name is recomputed, then each
# report's deadline and days late. The rule lives in Python; these statements call it
# through SQL functions registered by apply_schema (`_register_functions`).
MIGRATIONS.append((10, "deadlines per level and era", [
    "ALTER TABLE reports ADD COLUMN deadline TEXT",
    "UPDATE bodies SET level = nianbao_body_level(name)"
    " WHERE level IS NOT NULL AND level IS NOT nianbao_body_level(name)",
    "UPDATE reports SET level = (SELECT b.level FROM bodies b WHERE b.id = reports.body_id)"
    " WHERE level IS NOT (SELECT b.level FROM bodies b WHERE b.id = reports.body_id)",
    "UPDATE reports SET deadline = nianbao_deadline(year, level),"
    " days_late = nianbao_days_late(published, year, level)",
]))
# Pinned citations (archive/versions.py): a report's rows as read from one snapshot,
# frozen just before save_report replaces them. Append-only, counted.
_REPORT_VERSIONS = [
    """CREATE TABLE report_versions (
        report_id TEXT NOT NULL,
        snapshot_id TEXT NOT NULL,
        frozen_at TEXT NOT NULL,
        record_sha256 TEXT,
        data BLOB NOT NULL,
        PRIMARY KEY (report_id, snapshot_id)
    ) WITHOUT ROWID""",
    *[f"CREATE TRIGGER report_versions_no_{op.lower()} BEFORE {op} ON report_versions "
      "BEGIN SELECT RAISE(ABORT, 'report_versions are append-only'); END" for op in ("UPDATE", "DELETE")],
    *_counters("report_versions", ()),
]
MIGRATIONS.append((11, "pinned report versions", _REPORT_VERSIONS))
COUNTED["report_versions"] = ()


def _reference_tables() -> list:
    """The governments that must publish (package data), province spellings, and the
    Chinese/English label of every key (archive/coverage.py, archive/labels.py)."""
    from archive import coverage, labels

    def table(name, rows, pk):
        cols = list(rows[0])
        create = (f"CREATE TABLE {name} ({', '.join(f'[{c}] TEXT' for c in cols)}, "
                  f"PRIMARY KEY ({', '.join(pk)})) WITHOUT ROWID")
        insert = f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})"
        return [create, (insert, [tuple(r[c] for c in cols) for r in rows]), *_counters(name, ())]

    return [
        *table("divisions", coverage.governments(), ("code",)),
        "CREATE INDEX divisions_province ON divisions(province_code, level)",
        *table("province_aliases", coverage.alias_rows(), ("alias",)),
        *table("labels", labels.label_rows(), ("kind", "table_name", "key")),
        coverage.COVERAGE_VIEW,
        coverage.LATEST_COMPLETE_YEAR_VIEW,
    ]


MIGRATIONS.append((12, "divisions, province aliases, labels, coverage", _reference_tables()))
REFERENCE_TABLES = ("divisions", "province_aliases", "labels")  # filled by migration 12, never written after
COUNTED.update({t: () for t in REFERENCE_TABLES})


# Short (1-2 character) searches. The trigram index cannot match fewer than three
# characters, and LIKE scans every text (3.3 s at 1M reports). These contentless trigram
# indexes (detail=none: which rows, no positions) hold each text padded with two
# \x03 characters (char(3, 3)), so every character of the text starts at least one indexed
# trigram: the rows containing "复议" are those holding a trigram that starts with
# "复议", found as a range of the index's vocabulary (archive/shortsearch.py).
SHORT_FTS = {"sections_short": ("sections", ("text",)), "reports_short": ("reports", ("title", "organization"))}


def _short_fts() -> list[str]:
    out = []
    for fts, (table, columns) in SHORT_FTS.items():
        cols = ", ".join(f"[{c}]" for c in columns)
        padded = ", ".join(f"coalesce({{0}}.[{c}], '') || char(3, 3)" for c in columns)
        new, old = padded.format("new"), padded.format("old")
        out += [
            f"CREATE VIRTUAL TABLE [{fts}] USING fts5({cols}, tokenize='trigram', content='', detail='none')",
            f"CREATE VIRTUAL TABLE [{fts}_vocab] USING fts5vocab([{fts}], 'row')",
            f"INSERT INTO [{fts}] (rowid, {cols}) SELECT rowid, {padded.format(table)} FROM [{table}]",
            f"CREATE TRIGGER [{table}_short_ai] AFTER INSERT ON [{table}] BEGIN "
            f"INSERT INTO [{fts}] (rowid, {cols}) VALUES (new.rowid, {new}); END",
            f"CREATE TRIGGER [{table}_short_ad] AFTER DELETE ON [{table}] BEGIN "
            f"INSERT INTO [{fts}] ([{fts}], rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
            f"CREATE TRIGGER [{table}_short_au] AFTER UPDATE OF {cols} ON [{table}] BEGIN "
            f"INSERT INTO [{fts}] ([{fts}], rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
            f"INSERT INTO [{fts}] (rowid, {cols}) VALUES (new.rowid, {new}); END",
        ]
    return out


MIGRATIONS.append((13, "short search indexes", _short_fts()))
FTS_CONTENT.update({fts: table for fts, (table, _c) in SHORT_FTS.items()})


def _review_sums() -> list[str]:
    """Review/litigation counts per report and their sums per province and year, so the
    province page's chart reads a few rows instead of summing 15 cells of every report of
    the province (1M reports: ~3 s a province)."""
    from parsers.keys import REVIEW_COLUMNS

    out = []
    for table in ("report_outcomes", "province_year_outcomes"):
        out += [f"ALTER TABLE {table} ADD COLUMN [{c}] NUMERIC" for c in REVIEW_COLUMNS]
    sets = ", ".join(f"[{c}] = (SELECT value FROM cells WHERE report_id = report_outcomes.report_id"
                     f" AND table_name = 'review_litigation' AND row_key = 'counts' AND column_key = '{c}')"
                     for c in REVIEW_COLUMNS)
    out.append(f"UPDATE report_outcomes SET {sets}")
    sums = ", ".join(f"[{c}] = (SELECT sum([{c}]) FROM report_outcomes o WHERE o.province_code ="
                     f" province_year_outcomes.province_code AND o.year = province_year_outcomes.year)"
                     for c in REVIEW_COLUMNS)
    out.append(f"UPDATE province_year_outcomes SET {sums}")
    out.append("CREATE INDEX bodies_province_level ON bodies(province, level)")  # the province page's bodies
    return out


MIGRATIONS.append((14, "review and litigation sums, bodies by province", _review_sums()))
# The division code of the site a snapshot was fetched from: a report's current
# version comes from its own body's site first (archive/store.py, source_rank).
MIGRATIONS.append((15, "snapshot site codes", ["ALTER TABLE snapshots ADD COLUMN site_code TEXT"]))
# Where a report's title, body or date came from when the document did not say it
# (the article page wrapping a file, the listing, the site's owner): JSON, or NULL.
MIGRATIONS.append((16, "report metadata provenance", ["ALTER TABLE reports ADD COLUMN metadata_from TEXT"]))
# Spellings of one body (archive/rows.py `canonical_body_name`): each keeps its id (a
# permalink), and canonical_id groups them, so a body's page shows every spelling's
# reports. A spelling's level becomes its canonical spelling's (北京市政府 is a province's
# government), with its reports' deadlines; only rows whose level changes are written.
_BODY_LEVEL = "(SELECT b.level FROM bodies b WHERE b.id = reports.body_id)"
MIGRATIONS.append((17, "spellings of one body", [
    "ALTER TABLE bodies ADD COLUMN canonical_id TEXT",
    "UPDATE bodies SET canonical_id = nianbao_canonical_id(id, name)",
    "CREATE INDEX bodies_canonical ON bodies(canonical_id)",  # the body page: all spellings
    "UPDATE bodies SET level = nianbao_body_level(name)"
    " WHERE level IS NOT NULL AND level IS NOT nianbao_body_level(name)",
    f"UPDATE reports SET level = {_BODY_LEVEL}, deadline = nianbao_deadline(year, {_BODY_LEVEL}),"
    f" days_late = nianbao_days_late(published, year, {_BODY_LEVEL}) WHERE level IS NOT {_BODY_LEVEL}",
]))
# A cell read by OCR keeps the engine's confidence in its reading (0-1, parsers/scanned.py);
# NULL for a cell read from text. The value is already null where the checks could not
# confirm a doubtful reading (parsers/confirm.py): this says how sure the kept ones are.
MIGRATIONS.append((18, "OCR confidence of cells", ["ALTER TABLE cells ADD COLUMN confidence REAL"]))
SCHEMA_VERSION = MIGRATIONS[-1][0]
MARKER_TABLE = "schema_migrations"


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if MARKER_TABLE not in db.table_names():
        return set()
    return {row[0] for row in db.execute(f"SELECT version FROM {MARKER_TABLE}").fetchall()}


def _register_functions(conn: sqlite3.Connection) -> None:
    """Python rules that migrations apply to existing rows (one rule, one place)."""
    from archive import rows
    from archive.regions import place

    def level(name):
        if name is None or name.startswith(rows.UNIDENTIFIED):
            return None
        return rows.spelling_level(name, place(name))

    def canonical_id(body_id, name):
        if name is None or name.startswith(rows.UNIDENTIFIED):
            return body_id
        return rows.canonical_body_id(name, body_id[:6])

    conn.create_function("nianbao_body_level", 1, level, deterministic=True)
    conn.create_function("nianbao_canonical_id", 2, canonical_id, deterministic=True)
    conn.create_function("nianbao_deadline", 2, lambda y, lv: rows.deadline(y, lv).isoformat(),
                         deterministic=True)
    conn.create_function("nianbao_days_late", 3, rows.days_late, deterministic=True)


def apply_schema(db: sqlite_utils.Database) -> list[int]:
    """Run every migration this archive lacks; return the versions applied now."""
    if sqlite3.sqlite_version_info < MIN_SQLITE_FOR_TRIGRAM:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} lacks the FTS5 trigram tokenizer (need 3.34+)")
    conn = db.conn
    _register_functions(conn)
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = applied_versions(db)
    applied = []
    for version, name, statements in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        # Another process may have applied it since `done` was read (concurrent first
        # opens of a new archive): checked again under the write lock.
        if conn.execute(f"SELECT 1 FROM {MARKER_TABLE} WHERE version = ?", (version,)).fetchone():
            conn.execute("ROLLBACK")
            continue
        try:
            for sql in statements:
                if isinstance(sql, tuple):  # (INSERT …, rows): reference data
                    conn.executemany(*sql)
                else:
                    conn.execute(sql)
            conn.execute(
                f"INSERT INTO {MARKER_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
