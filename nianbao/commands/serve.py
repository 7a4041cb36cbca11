"""nianbao serve --db FILE [--port N]: publish an archive with Datasette, read-only."""

from __future__ import annotations

from nianbao.cli import UserError

HELP = "publish an archive as a read-only website (Datasette, immutable)"


def add_arguments(parser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file made by nianbao ingest")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")


def run(args) -> int:
    import uvicorn

    from archive import ArchiveError
    from archive.site import make_datasette

    try:
        ds = make_datasette(args.db)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    print(f"nianbao: serving {args.db} at http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(ds.app(), host=args.host, port=args.port, log_level="warning")
    return 0
