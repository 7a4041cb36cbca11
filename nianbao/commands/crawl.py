"""nianbao crawl --province 河南|henan|41 [--site URL] [--db FILE] [--registry FILE] [--scrapyd URL,…]"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# Written into the JOBDIR only after Scrapy closed cleanly (Ctrl-C, a close condition).
# Scrapy saves its queue index and spider state only at close, so the JOBDIR of a
# killed crawl (kill -9, power loss) names requests as seen that its queue lost:
# resuming it would skip them. Without this marker the state is discarded and the
# crawl starts again; known documents become sightings, nothing is stored twice.
CLEAN_STOP = "nianbao-stopped-cleanly"
_LOCKS: list = []  # the crawl locks this process holds (released when it exits)
OWNER = "nianbao-archive"  # the archive (full path) this resume state belongs to

HELP = "crawl one province's government portals for annual reports into the archive"


def add_arguments(parser) -> None:
    parser.add_argument("--province", required=True, help="Chinese name, pinyin slug or 2-digit code (河南, henan, 41)")
    parser.add_argument("--site", help="crawl only this site (a registered portal/column URL, or any URL)")
    parser.add_argument("--db", default="nianbao.db", help="archive file (default: nianbao.db)")
    parser.add_argument("--registry", help="portal registry YAML replacing the built-in one (e.g. the sandbox's)")
    parser.add_argument("--jobdir", help="resume state directory (default: <db dir>/jobs/<db name>-<path hash>/<province>)")
    parser.add_argument("--fresh", action="store_true", help="discard a stopped crawl's state instead of resuming it")
    parser.add_argument("--progress", type=float, default=5.0, metavar="SECONDS",
                        help="seconds between progress lines (0: quiet)")
    parser.add_argument("--resolve", action="append", default=[], metavar="HOST:ADDRESS",
                        help="answer HOST with ADDRESS instead of DNS, like curl --resolve (repeatable)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="Scrapy's INFO log on stderr")
    parser.add_argument("--scrapyd", metavar="URL[,URL…]",
                        help="run as scrapyd jobs on these servers (nianbao deploy first), one per site partition")
    parser.add_argument("--shards", help="with --scrapyd: folder of the per-job shard archives (default: <db dir>/shards)")
    parser.add_argument("--partitions", type=int, help="with --scrapyd: at most this many jobs (default: one per site)")


def crawl_settings(args, jobdir: Path):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DB", str(args.db), priority="cmdline")
    settings.set("JOBDIR", str(jobdir), priority="cmdline")
    settings.set("NIANBAO_PROGRESS_INTERVAL", args.progress, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if args.verbose else "WARNING", priority="cmdline")
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            from nianbao.cli import UserError

            raise UserError(f"-s expects NAME=VALUE, got {pair!r}")
        settings.set(name.strip(), value, priority="cmdline")
    from crawler.registry import load_resolve

    from_registry = load_resolve(getattr(args, "registry", None))  # e.g. the sandbox's host names
    if getattr(args, "resolve", None) or from_registry:
        from crawler.resolve import ResolveError, mapping, parse_entry
        from nianbao.cli import UserError

        try:
            hosts = {**from_registry, **mapping(settings), **dict(parse_entry(e) for e in args.resolve)}
        except ResolveError as exc:
            raise UserError(str(exc)) from None
        settings.set("NIANBAO_RESOLVE", hosts, priority="cmdline")
    return settings


def run(args) -> int:
    from crawler.registry import Registry, RegistryError
    from crawler.storage import state_is_whole
    from nianbao.cli import CommandFailed, UserError

    try:
        registry = Registry.from_file(args.registry)
        province = registry.province(args.province)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    if not registry.sites_for(province.slug) and not args.site:
        raise UserError(f"the registry has no sites in {province.name} ({province.slug})")
    if args.scrapyd:
        from nianbao.commands.crawl_scrapyd import run_on_scrapyd

        return run_on_scrapyd(args, registry, province)
    db = Path(args.db)
    if db.is_dir():
        raise UserError(f"--db {db} is a directory, not an archive file")
    check_db(db)
    jobdir = Path(args.jobdir) if args.jobdir else default_jobdir(db, province.slug)
    hold_lock(jobdir, province.slug, db)  # held until this process exits (a kill -9 releases it too)
    check_owner(jobdir, db)
    if args.fresh and jobdir.exists():
        shutil.rmtree(jobdir)
    if jobdir.exists() and not (jobdir / CLEAN_STOP).exists():
        print(f"the previous crawl of {province.slug} was killed, its resume state in {jobdir} is unreliable:"
              " starting again (documents already archived are not stored twice)", file=sys.stderr)
        shutil.rmtree(jobdir)
    if jobdir.exists():
        print(f"resuming the stopped crawl of {province.slug} from {jobdir}", file=sys.stderr)
        (jobdir / CLEAN_STOP).unlink()  # from here on the state is live: a kill leaves it unmarked
    jobdir.mkdir(parents=True, exist_ok=True)
    (jobdir / OWNER).write_text(f"{db.resolve()}\n", encoding="utf-8")
    reason, failure = run_crawl(crawl_settings(args, jobdir), province=province.slug, registry=args.registry,
                                site=args.site)
    if failure:  # the archive could not be written (disk full): crawler/storage.py
        if state_is_whole(jobdir):
            (jobdir / CLEAN_STOP).write_text(f"{reason}\n", encoding="utf-8")
            raise CommandFailed(f"{failure}; the crawl stopped, its resume state is kept in {jobdir}"
                                " (free space, then run the same command again)")
        raise CommandFailed(f"{failure}; the crawl stopped and could not save its resume state: free space,"
                            " then run the same command again (it starts afresh; archived documents stay)")
    if reason == "finished":
        shutil.rmtree(jobdir, ignore_errors=True)  # the next crawl starts afresh (and re-checks every page)
        print_summary(db)
        return 0
    if state_is_whole(jobdir):
        (jobdir / CLEAN_STOP).write_text(f"{reason}\n", encoding="utf-8")
    print(f"crawl stopped ({reason}); run the same command again to resume", file=sys.stderr)
    print_summary(db)
    return 1


def default_jobdir(db: Path, province: str) -> Path:
    """<db dir>/jobs/<db name>-<hash of its full path>/<province>: a stopped crawl's state
    belongs to its archive (b.db in the same folder never resumes a.db's crawl)."""
    import hashlib

    real = db.resolve()
    key = hashlib.sha256(str(real).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return real.parent / "jobs" / f"{real.stem}-{key}" / province


def check_owner(jobdir: Path, db: Path) -> None:
    """Refuse a --jobdir that holds another archive's crawl."""
    from nianbao.cli import UserError

    owner = jobdir / OWNER
    if owner.exists() and owner.read_text(encoding="utf-8").strip() != str(db.resolve()):
        raise UserError(f"{jobdir} holds the resume state of a crawl into {owner.read_text(encoding='utf-8').strip()},"
                        f" not {db}: give another --jobdir (or --fresh to discard it)")


def hold_lock(jobdir: Path, province: str, db: Path):
    """An exclusive lock beside the resume state, for the life of this process: a second
    crawl of the same province into the same archive refuses instead of meeting the
    first one's locks (and deleting its live state as if it were a killed crawl's)."""
    import fcntl

    from nianbao.cli import UserError

    jobdir.parent.mkdir(parents=True, exist_ok=True)
    handle = open(jobdir.parent / f"{jobdir.name}.lock", "a+")  # noqa: SIM115  # kept open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UserError(f"another crawl of {province} into {db} is running (its state is in {jobdir});"
                        " wait for it to finish or stop it first") from None
    _LOCKS.append(handle)
    return handle


def check_db(db: Path) -> None:
    """Refuse a file that is not an archive before any request is made (it would fail mid-crawl)."""
    from archive import ArchiveError, open_archive
    from nianbao.cli import UserError

    try:
        open_archive(db).conn.close()
    except ArchiveError as exc:
        raise UserError(str(exc)) from None


def run_crawl(settings, **spider_args) -> tuple[str | None, str | None]:
    """Run the reports spider in this process; the reactor blocks until it closes.
    (close reason, the storage failure that stopped it or None)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.reports import ReportsSpider

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    process.start()
    return getattr(crawler, "nianbao_close_reason", None), getattr(crawler, "nianbao_failure", None)


def print_summary(db: Path) -> None:
    """The latest run's per-site statuses."""
    import sqlite3

    if not db.exists():
        return
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        run = conn.execute("SELECT id FROM crawl_runs ORDER BY started_at DESC LIMIT 1").fetchone()
        if not run:
            return
        rows = conn.execute("SELECT site, status, pages, reports, errors FROM site_status WHERE run_id = ? ORDER BY site",
                            run).fetchall()
        stats = json.loads(conn.execute("SELECT stats FROM crawl_runs WHERE id = ?", run).fetchone()[0] or "{}")
        total = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        conn.close()
    print(f"run {run[0]}: {len(rows)} sites, archive holds {total} reports")
    if stats.get("pages_rendered") or stats.get("render_failures"):
        refused = ", ".join(f"{r} {stats[f'render_refused_{r}']}" for r in ("scope", "address", "robots")
                            if stats.get(f"render_refused_{r}"))
        print(f"  browser: {stats.get('pages_rendered', 0)} column pages rendered,"
              f" {stats.get('render_failures', 0)} failed"
              + (f"; {stats['render_refused']} of Chromium's requests refused ({refused})" if refused else ""))
    for site, status, pages, reports, errors in rows:
        print(f"  {site:<24} {status:<18} pages {pages:>5}  reports {reports:>4}  errors {errors:>3}")
    for line in sites_summary(stats):
        print(line)


def sites_summary(stats: dict) -> list[str]:
    """The crawl's site discovery in two or three lines (from crawl_runs.stats)."""
    if "sites_found" not in stats:
        return []
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats.get("left_alone", {}).items()))
    lines = [f"sites: {stats['sites_registered']} registered + {stats['sites_found']} found · "
             f"{stats['sites_crawled']} crawled · {stats['sites_with_reports']} with reports · "
             f"{stats['sites_left_alone']} left alone" + (f" ({reasons})" if reasons else "")]
    bounds = stats.get("bounds_hit") or {}
    if bounds:
        said = []
        if bounds.get("site_hops"):
            said.append(f"{bounds['site_hops']} hosts beyond NIANBAO_SITE_HOPS")
        if bounds.get("sites"):
            said.append(f"{bounds['sites']} hosts beyond NIANBAO_MAX_SITES")
        if bounds.get("pages"):
            said.append("NIANBAO_MAX_PAGES_PER_SITE hit on " + ", ".join(sorted(bounds["pages"])))
        lines.append("bounds hit: " + "; ".join(said))
    return lines
