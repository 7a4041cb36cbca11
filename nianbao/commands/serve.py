"""nianbao serve --db FILE [--port N]: publish an archive with Datasette, read-only.

The site serves the archive's published copy (nianbao/site/publish.py), published now
if the archive changed since; `nianbao publish` (or any ingest, crawl or merge into
the archive) publishes a new state, which the running site switches to."""

from __future__ import annotations

from nianbao.cli import UserError

HELP = "publish an archive as a read-only website (Datasette, immutable published copy)"


def add_arguments(parser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file made by nianbao ingest")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="listen at once; the first visitors pay for the default pages",
    )


def upgrade_schema(path) -> None:
    """The site's pages and canned queries read the newest schema (labels, coverage, the
    short-search index …): bring an older archive up to date before it is served
    immutable (a no-op when current; the migrations may take minutes on a large file)."""
    import sqlite3

    from archive.schema import SCHEMA_VERSION
    from archive.store import check_archive_file, open_archive, read_only_column

    path = check_archive_file(path)
    versions = read_only_column(path, "SELECT version FROM schema_migrations", "has no schema_migrations")
    if max(versions, default=0) >= SCHEMA_VERSION:
        return
    print(f"nianbao: bringing {path} up to schema {SCHEMA_VERSION} …", flush=True)
    try:
        db = open_archive(path, create=False)
    except sqlite3.OperationalError as exc:  # a read-only file or folder: serve it as it is
        print(f"nianbao: cannot update {path} ({exc}); serving it as it is: pages that need the"
              " newer schema will say so", flush=True)
        return
    try:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.conn.close()


def run(args) -> int:
    import asyncio

    import uvicorn

    from archive import ArchiveError
    from archive.store import check_archive_file
    from nianbao.site.publish import ServedSite, is_stale, publish

    try:
        check_archive_file(args.db)
        upgrade_schema(args.db)  # the working file; the copy published next has the newest schema
        if is_stale(args.db):
            print(f"nianbao: publishing {args.db} for the site …", flush=True)
            publish(args.db)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot publish {args.db}: {exc.strerror or exc}") from None
    site = ServedSite(args.db, warm=not getattr(args, "no_warm", False))  # (demo passes db, port, host)
    pointer = asyncio.run(site.start())
    print(f"nianbao: serving {args.db} (copy {pointer['id']}) at http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(site, host=args.host, port=args.port, log_level="warning")
    return 0
