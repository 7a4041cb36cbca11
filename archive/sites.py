"""`sites`: every web site a province crawl knows — registered, discovered, or left alone.

One row per site slug (a discovered site's slug comes from its host and the
province, crawler/sites.py), upserted at the end of every crawl run: its
identity (name, division code, level, how it was placed), how the crawl found
it (registry, a link, a `<select>` menu, a 网站地图/网站群 page; from which page
and after how many site hops), and whether it was crawled or left alone (and
why: another province, a national site, no government identity …).
`first_seen` stays from the first run that met it, `last_seen`/`run_id` are
the latest. Per-run results (pages, reports, status) are in `site_status`.

The table is declared here and created by archive/schema.py's migration 9.
"""

from __future__ import annotations

FOUND = ("registry", "link", "menu", "site_list")
SITE_STATES = ("crawled", "left_alone")

SITES_TABLE = """CREATE TABLE sites (
    slug TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    name TEXT,
    code TEXT,
    level TEXT CHECK (level IS NULL OR level IN
        ('province', 'city', 'county', 'township', 'department', 'zone', 'national')),
    province TEXT NOT NULL,
    portal TEXT NOT NULL,
    found TEXT NOT NULL CHECK (found IN ('registry', 'link', 'menu', 'site_list')),
    found_from TEXT,
    anchor TEXT,
    hop INTEGER NOT NULL DEFAULT 0,
    placed_by TEXT,
    status TEXT NOT NULL CHECK (status IN ('crawled', 'left_alone')),
    reason TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    run_id TEXT NOT NULL
)"""
SITES_INDEX = "CREATE INDEX sites_province ON sites(province, status)"
COLUMNS = ("slug", "host", "name", "code", "level", "province", "portal", "found", "found_from", "anchor",
           "hop", "placed_by", "status", "reason")


def save_sites(db, rows: list[dict], *, run_id: str, seen_at: str) -> None:
    """Upsert the sites a run knew, in one transaction; first_seen is kept from earlier runs."""
    from .store import transaction

    for row in rows:
        if row["status"] not in SITE_STATES:
            raise ValueError(f"site state must be one of {', '.join(SITE_STATES)}, not {row['status']!r}")
        if row["found"] not in FOUND:
            raise ValueError(f"how a site was found must be one of {', '.join(FOUND)}, not {row['found']!r}")
    cols = (*COLUMNS, "first_seen", "last_seen", "run_id")
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c not in ("slug", "first_seen"))
    with transaction(db) as conn:
        conn.executemany(
            f"INSERT INTO sites ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (slug) DO UPDATE SET {updates}",
            [[row.get(c) for c in COLUMNS] + [seen_at, seen_at, run_id] for row in rows])


def merge_sites(conn) -> int:
    """Fold an attached shard's `sites` into main's (archive/merge.py): per slug the row
    seen last wins (ties: a crawled row over a left-alone one, then the greater run id),
    first_seen is the earliest. Order-independent and idempotent."""
    cols = (*COLUMNS, "first_seen", "last_seen", "run_id")
    names = ", ".join(cols)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c not in ("slug", "first_seen"))
    newer = ("(excluded.last_seen, excluded.status = 'crawled', excluded.run_id)"
             " > (sites.last_seen, sites.status = 'crawled', sites.run_id)")
    before = conn.total_changes
    conn.execute(f"INSERT INTO main.sites ({names}) SELECT {names} FROM shard.sites WHERE true"
                 f" ON CONFLICT (slug) DO UPDATE SET {updates} WHERE {newer}")
    conn.execute("UPDATE main.sites SET first_seen = s.first_seen FROM shard.sites s"
                 " WHERE s.slug = main.sites.slug AND s.first_seen < main.sites.first_seen")
    return conn.total_changes - before
