"""`nianbao crawl --scrapyd URL[,URL…]`: the province's crawl as scrapyd jobs, one per site
partition, each writing its own shard archive; the shards are merged into --db when
this machine can see them (one machine, or a shared folder). Not a command of its
own: nianbao/commands/crawl.py hands over here."""

from __future__ import annotations

import json
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
    hosts = _host_map(args)
    if hosts:  # host names the nodes must resolve as this machine was told (--resolve, the registry)
        settings.setdefault("NIANBAO_RESOLVE", json.dumps(hosts))
    sites = registry.sites_for(province.slug)
    discovery_shard = None
    if settings.get("NIANBAO_DISCOVER_SITES", "True").lower() not in ("0", "false", "no"):
        # One job finds the province's sites first; the crawl jobs then partition all of them.
        registry_path, sites, discovery_shard = _discover(servers, province, shards_dir, registry_path, settings)
        settings["NIANBAO_DISCOVER_SITES"] = "False"  # each site is in exactly one partition
    partitions = sd.partition_sites(sites, args.partitions)
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
    shards = [Path(j.shard) for j in jobs] + ([discovery_shard] if discovery_shard else [])
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


def _host_map(args) -> dict[str, str]:
    from crawler.registry import load_resolve
    from crawler.resolve import ResolveError, parse_entry
    from nianbao.cli import UserError

    try:
        return {**load_resolve(args.registry), **dict(parse_entry(e) for e in getattr(args, "resolve", None) or ())}
    except ResolveError as exc:
        raise UserError(str(exc)) from None


def _discover(servers, province, shards_dir: str, registry_path: str | None, settings: dict):
    """Run the discovery job (portals, site lists, probes; no reports) on the first server and
    return (registry file of every site it placed in the province, those sites, its shard)."""
    from crawler import scrapyd as sd
    from crawler.registry import Registry, RegistryError
    from nianbao.cli import UserError
    from nianbao.commands.sites import registry_of

    folder = Path(shards_dir) / "discovery"  # apart from the crawl shards (one per partition)
    folder.mkdir(parents=True, exist_ok=True)
    registered = Registry.from_file(registry_path).sites_for(province.slug)
    job = sd.Job(name=f"{province.slug}-discovery", sites=[s.slug for s in registered], server=servers[0],
                 shard=str(folder / f"{province.slug}-discovery.db"))
    try:
        sd.schedule_jobs([job], province=province.slug, registry=registry_path,
                         settings={**settings, "NIANBAO_DISCOVER_ONLY": "True"})
    except sd.ScrapydError as exc:
        raise UserError(str(exc)) from None
    print(f"discovery job {job.jobid} on {job.server.url} → {job.shard}", file=sys.stderr, flush=True)
    sd.wait_for([job], province.slug, interval=2.0)
    shard = Path(job.shard)
    if job.close_reason != "finished" or not shard.exists():
        raise UserError(f"the discovery job {job.jobid} did not finish ({job.close_reason or 'unknown'}),"
                        f" or its shard {shard} is not visible from here: run with NIANBAO_DISCOVER_SITES=False"
                        " to partition the registered sites only")
    import yaml

    from crawler.registry import load_entries

    # The registered entries as they are (columns, domains: a registry entry wins), then the found ones.
    codes = {s.slug for s in registered}
    entries = [e for e in load_entries(registry_path) if str(e.get("slug")) in codes]
    entries += [e for e in registry_of(str(shard), province.slug)["sites"] if e["slug"] not in codes]
    path = folder / f"{province.slug}-sites.yml"
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        sites = Registry.from_file(path).sites_for(province.slug)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    print(f"discovery: {len(sites)} sites of {province.slug} ({len(sites) - len(registered)} found) → {path}",
          file=sys.stderr, flush=True)
    return str(path), sites, shard
