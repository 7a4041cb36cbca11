"""nianbao sites export --db FILE --province 广东 > registry.yml

The sites a province crawl found (archive table `sites`), written as a registry
file that `nianbao crawl --registry` accepts: the next crawl starts from every
site at once (or a multi-node crawl partitions them), and an edited entry
overrides what discovery guessed.
"""

from __future__ import annotations

import sys

HELP = "export the sites a crawl discovered as a registry file (YAML) for --registry"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    export = sub.add_parser("export", help="write the crawled sites of a province as a registry (YAML) on stdout")
    export.add_argument("--db", default="nianbao.db", help="archive file (default: nianbao.db)")
    export.add_argument("--province", required=True, help="Chinese name, pinyin slug or 2-digit code (广东, guangdong, 44)")
    export.add_argument("--output", "-o", help="write to this file instead of stdout")


def registry_of(db_path: str, province: str) -> dict:
    """{sites: [...]} of the sites the archive holds as crawled in the province."""
    import sqlite3

    from crawler.registry import Registry, site_from_dict

    name = Registry().province(province).name.removesuffix("人民政府")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT slug, name, code, level, portal, found, found_from, hop, placed_by FROM sites"
                            " WHERE province = ? AND status = 'crawled' ORDER BY hop, slug", (name,)).fetchall()
    finally:
        conn.close()
    entries = []
    for slug, sname, code, level, portal, found, found_from, hop, placed_by in rows:
        entry = {"slug": slug, "name": sname, "code": code, "level": level, "portal": portal}
        if found != "registry":  # kept as unknown keys (Site.extra): where the site came from
            entry.update({"found": found, "found_from": found_from, "hop": hop, "placed_by": placed_by})
        site_from_dict(entry)  # every exported entry loads
        entries.append(entry)
    return {"sites": entries}


def run(args) -> int:
    import yaml

    from archive import ArchiveError
    from archive.store import check_archive_file
    from crawler.registry import RegistryError
    from nianbao.cli import UserError

    try:
        check_archive_file(args.db)
        data = registry_of(args.db, args.province)
    except (ArchiveError, RegistryError) as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # sqlite3.OperationalError: an archive older than the sites table
        raise UserError(f"{args.db}: cannot read its sites ({exc})") from None
    if not data["sites"]:
        raise UserError(f"{args.db} holds no crawled sites of {args.province}")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
