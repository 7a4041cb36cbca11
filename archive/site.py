"""Build the Datasette instance that publishes an archive (used by `nianbao serve` and the tests).

The site is read-only: the file is opened immutable, SQL has a time limit, and
metadata.yml, templates/ and plugins/ at the repository root shape the pages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from .store import check_archive_file

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
TEMPLATES = ROOT / "templates"
PLUGINS = ROOT / "plugins"
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,  # the archive can be large; SQL and JSON suffice
    "suggest_facets": False,  # suggestion queries scan every column of a million rows
}


def load_metadata(database_name: str) -> dict:
    """metadata.yml with its placeholder database key renamed to the served file's name."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    dbs = metadata.get("databases") or {}
    if "archive" in dbs:
        dbs[database_name] = dbs.pop("archive")
    return metadata


def fold_wal(path: Path) -> None:
    """Immutable mode ignores the -wal file, so fold a writer's leftover WAL into the
    database first (a checkpoint moves pages; it changes no content)."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        conn = sqlite3.connect(str(path))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def make_datasette(path: str | Path, **settings):
    """A Datasette serving one archive file immutably; raises ArchiveError for a non-archive."""
    from datasette.app import Datasette

    path = check_archive_file(path)
    fold_wal(path)
    return Datasette(
        immutables=[str(path)],
        metadata=load_metadata(path.stem),
        template_dir=str(TEMPLATES),
        plugins_dir=str(PLUGINS),
        settings={**SETTINGS, **settings},
    )
