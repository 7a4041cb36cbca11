"""`nianbao crawl --scrapyd URL[,URL…]`: the province's crawl as scrapyd jobs, one per site
partition, each writing its own shard archive; the shards are merged into --db when
this machine can see them (one machine, or a shared folder). Not a command of its
own: nianbao/commands/crawl.py hands over here."""

from __future__ import annotations

import sys
from pathlib import Path


def run_on_scrapyd(args, registry, province) -> int:
    from crawler import scrapyd as sd
    from nianbao.cli import UserError

    if args.site:
        raise UserError("--site crawls one site in one process: run it without --scrapyd")
    settings = {}
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    db = Path(args.db)
    if db.is_dir():
        raise UserError(f"--db {db} is a directory, not an archive file")
    try:
        servers = sd.servers_from(args.scrapyd)
        sd.check_servers(servers)  # every server answers before anything is scheduled or written
    except sd.ScrapydError as exc:
        raise UserError(str(exc)) from None
    # Paths as the nodes see them: absolute (a shared folder, or the same path on every node).
    shards_dir = str(Path(args.shards).resolve() if args.shards else db.resolve().parent / "shards")
    registry_path = str(Path(args.registry).resolve()) if args.registry else None
    partitions = sd.partition_sites(registry.sites_for(province.slug), args.partitions)
    jobs = sd.plan_jobs(province.slug, partitions, servers, shards_dir)
    try:
        sd.schedule_jobs(jobs, province=province.slug, registry=registry_path, settings=settings)
    except sd.ScrapydError as exc:
        raise UserError(str(exc)) from None
    for job in jobs:
        print(f"scheduled {job.jobid} on {job.server.url} (sites: {', '.join(job.sites)}) → {job.shard}",
              file=sys.stderr, flush=True)

    def show(line: str) -> None:
        if args.progress > 0:
            print(line, file=sys.stderr, flush=True)

    sd.wait_for(jobs, province.slug, interval=args.progress if args.progress > 0 else 2.0, on_progress=show)
    failed = [j for j in jobs if j.close_reason != "finished"]
    for job in jobs:
        print(f"  {job.name:<28} {job.close_reason or 'unknown':<10} pages {job.pages:>6}  reports {job.items:>5}"
              f"  {job.server.url}")
    shards = [Path(j.shard) for j in jobs]
    if all(s.exists() for s in shards):
        from archive.merge import merge_archives

        counts = merge_archives(db, shards)
        print(f"merged {counts['shards']} shards into {db}: {counts['reports_new']} new reports,"
              f" {counts['reports_replaced']} replaced, {counts['snapshots_new']} new snapshots")
    else:
        print(f"shards are on the nodes: copy {shards_dir}/*.db here, then: nianbao merge SHARDS… --db {db}")
    if failed:
        print(f"{len(failed)} jobs did not finish ({', '.join(j.name for j in failed)}); "
              "run the same command again to re-crawl them", file=sys.stderr)
        return 1
    return 0
