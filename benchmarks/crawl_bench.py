"""Crawl throughput against the sandbox web, politeness off: pages/s and reports/s with
parsing and archiving on, the same crawl with the item pipelines off (the fetch
ceiling), and `wget --mirror` on the same web in the same run (time, reports found).

    .venv/bin/python -m benchmarks.crawl_bench [--departments 20] [--profile FILE]

The web is benchmarks/crawl_web.py (the sandbox's 14 sites with `departments` more
bodies per ok site, answers memoised). Each crawl is `nianbao crawl` of one
province in its own process, provinces one after another; a first untimed crawl
warms the sandbox's memo. Figures: pages = responses the spider handled
(site_status.pages), reports = rows in the archive, time = wall clock of the processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from benchmarks import crawl_web
from sandbox import world

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = ("henan", "fujian", "yunnan")
NO_POLITENESS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32",
                 "CONCURRENT_REQUESTS_PER_DOMAIN=16", "ROBOTSTXT_OBEY=True", "RETRY_TIMES=0", "LOG_LEVEL=WARNING")
FETCH_ONLY = ("ITEM_PIPELINES={}",)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return f"{cpu}, nproc {os.cpu_count()}, {mem / 1024 / 1024:.0f} GB RAM, Python {platform.python_version()}"


def crawl(registry: Path, province: str, db: Path, extra=(), profile: Path | None = None) -> float:
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += ["-m", "nianbao", "crawl", "--province", province, "--registry", str(registry), "--db", str(db),
            "--fresh", "--progress", "0"]
    for s in (*NO_POLITENESS, *extra):
        cmd += ["-s", s]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def pages_and_reports(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        pages = conn.execute("SELECT coalesce(sum(pages), 0) FROM site_status").fetchone()[0]
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        conn.close()
    return pages, reports


def crawl_all(registry: Path, workdir: Path, tag: str, extra=(), profile: Path | None = None) -> dict:
    seconds, pages, reports = 0.0, 0, 0
    for province in PROVINCES:
        db = workdir / f"{tag}-{province}.db"
        prof = profile.with_suffix(f".{province}.prof") if profile else None
        seconds += crawl(registry, province, db, extra, prof)
        p, r = pages_and_reports(db)
        pages, reports = pages + p, reports + r
    return {"seconds": seconds, "pages": pages, "reports": reports}


def wget_mirror(handle, workdir: Path) -> dict:
    """wget --mirror from every portal, robots.txt obeyed, hosts of the sandbox only."""
    out = workdir / "wget"
    hosts = sorted({urlsplit(s.base_url).hostname for s in handle.world.sites})
    cmd = ["wget", "--mirror", "--no-verbose", "--tries=1", "--timeout=20", "--span-hosts",
           f"--domains={','.join(hosts)}", f"--directory-prefix={out}", *(s.base_url + "/" for s in handle.world.sites)]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    files = [p for p in out.rglob("*") if p.is_file()]
    found = 0
    for r in handle.world.reports:
        if not r.expected:
            continue
        u = urlsplit(r.url)
        if (out / u.netloc / u.path.lstrip("/")).is_file():
            found += 1
    return {"seconds": seconds, "pages": len(files), "reports": found}


def line(name: str, r: dict) -> str:
    return (f"  {name:<34} {r['seconds']:7.1f} s  pages {r['pages']:>6} ({r['pages'] / r['seconds']:6.1f}/s)"
            f"  reports {r['reports']:>5} ({r['reports'] / r['seconds']:6.1f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, default=20, help="extra bodies per ok site")
    parser.add_argument("--profile", type=Path, help="also cProfile the full crawls into FILE.<province>.prof")
    parser.add_argument("--no-wget", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    handle = crawl_web.start(args.departments)
    try:
        expected = sum(len(world.expected_reports(handle.world, p)) for p in PROVINCES)
        print(f"web: {len(handle.world.sites)} sites, {len(handle.world.bodies)} bodies,"
              f" {expected} reachable reports ({args.departments} extra bodies per ok site)")
        registry = workdir / "registry.yml"
        registry.write_text(yaml.safe_dump({"sites": world.registry_entries(handle)}, allow_unicode=True),
                            encoding="utf-8")
        crawl_all(registry, workdir, "warm")  # fills the sandbox's memo: the timed runs measure the crawler
        full = crawl_all(registry, workdir, "full", profile=args.profile)
        print(line("nianbao crawl (parse + archive)", full))
        fetch = crawl_all(registry, workdir, "fetch", FETCH_ONLY)
        print(line("nianbao crawl (pipelines off)", fetch))
        if not args.no_wget and shutil.which("wget"):
            print(line("wget --mirror", wget_mirror(handle, workdir)))
        print(json.dumps({"full": full, "fetch_only": fetch}))
    finally:
        handle.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
