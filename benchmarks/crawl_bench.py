"""Crawl throughput against the sandbox web, politeness off: pages/s and reports/s with
parsing and archiving on, the same crawl with the item pipelines off (the fetch
ceiling), and `wget --mirror` on the same web in the same run (time, reports found).

    .venv/bin/python -m benchmarks.crawl_bench [--departments 20] [--html-only] [--profile FILE]

The web is benchmarks/crawl_web.py (the sandbox's 14 sites with `departments` more
bodies per ok site, answers memoised), served by its own process (its own core
and GIL, like a real server). `--html-only`: every report an HTML page (no PDF
or DOCX to parse). Each crawl is `nianbao crawl` of one province in its own
process, provinces one after another; a first untimed crawl warms the sandbox's
memo. Figures: pages = responses the spider handled (site_status.pages),
reports = rows in the archive, time = wall clock of the processes; "net" also
subtracts each process's startup (until the spider opened: imports, settings,
archive check), which does not grow with the crawl. Each row also gives the load
average when its first crawl started, and where the CPU went, in ms per page:
the crawl's reactor (main) thread, its other threads, its parse worker
processes, and the web server; the reactor thread's startup (until the spider
opened) apart, like "net".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = ("henan", "fujian", "yunnan")
NO_POLITENESS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32",
                 "CONCURRENT_REQUESTS_PER_DOMAIN=16", "ROBOTSTXT_OBEY=True", "RETRY_TIMES=0", "LOG_LEVEL=WARNING",
                 "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True")  # the sandbox is on loopback
FETCH_ONLY = ("ITEM_PIPELINES={}",)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    usable = len(os.sched_getaffinity(0))  # `taskset -c 0 …` runs everything on one core
    cores = f"nproc {os.cpu_count()}" + (f" (this run: {usable})" if usable != os.cpu_count() else "")
    return f"{cpu}, {cores}, {mem / 1024 / 1024:.0f} GB RAM, Python {platform.python_version()}"


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(stat: str) -> float | None:
    """utime + stime of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat."""
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def crawl(registry: Path, province: str, db: Path, extra=(), profile: Path | None = None) -> tuple[float, float, dict]:
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += ["-m", "nianbao", "crawl", "--province", province, "--registry", str(registry), "--db", str(db),
            "--fresh", "--progress", "0"]
    for s in (*NO_POLITENESS, *extra):
        cmd += ["-s", s]
    # INFO with epoch timestamps, to read when the spider opened (startup ends) off the log
    cmd += ["-s", "LOG_LEVEL=INFO", "-s", "LOG_FORMAT=%(created).3f %(name)s %(message)s"]
    log = db.with_suffix(".log")
    before = children_cpu()
    start = time.time()
    main = own = 0.0
    startup = None  # the reactor thread's CPU when the spider opened
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:  # the last reading before it exits (0.1 s early at most)
            main = cpu_seconds(f"/proc/{proc.pid}/task/{proc.pid}/stat") or main
            own = cpu_seconds(f"/proc/{proc.pid}/stat") or own
            if startup is None and "Spider opened" in log.read_text(encoding="utf-8", errors="replace"):
                startup = main
            time.sleep(0.1)
    end = time.time()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    total = children_cpu() - before  # the crawl process and its (reaped) parse workers
    cpu = {"startup": startup or 0.0, "reactor": main - (startup or 0.0), "threads": max(0.0, own - main),
           "workers": max(0.0, total - own)}
    return end - start, end - opened_at(log, start), cpu


def opened_at(log: Path, default: float) -> float:
    """When Scrapy logged "Spider opened": imports, settings and the archive check are done."""
    for entry in log.read_text(encoding="utf-8", errors="replace").splitlines():
        stamp, _, message = entry.partition(" ")
        if message.endswith("Spider opened"):
            return float(stamp)
    return default


def pages_and_reports(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        pages = conn.execute("SELECT coalesce(sum(pages), 0) FROM site_status").fetchone()[0]
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        conn.close()
    return pages, reports


WEB_PID: int | None = None  # the benchmark web's process, for its CPU


def crawl_all(registry: Path, workdir: Path, tag: str, extra=(), profile: Path | None = None) -> dict:
    seconds, net, pages, reports = 0.0, 0.0, 0, 0
    load = load_average()
    cpu = {"startup": 0.0, "reactor": 0.0, "threads": 0.0, "workers": 0.0}
    web_before = cpu_seconds(f"/proc/{WEB_PID}/stat") if WEB_PID else None
    for province in PROVINCES:
        db = workdir / f"{tag}-{province}.db"
        prof = profile.with_suffix(f".{province}.prof") if profile else None
        wall, crawling, used = crawl(registry, province, db, extra, prof)
        seconds, net = seconds + wall, net + crawling
        cpu = {k: cpu[k] + used[k] for k in cpu}
        p, r = pages_and_reports(db)
        pages, reports = pages + p, reports + r
    if web_before is not None:
        cpu["web"] = (cpu_seconds(f"/proc/{WEB_PID}/stat") or web_before) - web_before
    return {"seconds": seconds, "net_seconds": net, "pages": pages, "reports": reports, "load": load, "cpu": cpu}


def wget_mirror(web: dict, workdir: Path) -> dict:
    """wget --mirror from every portal, robots.txt obeyed, hosts of the sandbox only."""
    load = load_average()
    out = workdir / "wget"
    hosts = sorted({urlsplit(u).hostname for u in web["portals"]})
    cmd = ["wget", "--mirror", "--no-verbose", "--tries=1", "--timeout=20", "--span-hosts",
           f"--domains={','.join(hosts)}", f"--directory-prefix={out}", *web["portals"]]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    files = [p for p in out.rglob("*") if p.is_file()]
    found = 0
    for url in web["report_urls"]:
        u = urlsplit(url)
        if (out / u.netloc / u.path.lstrip("/")).is_file():
            found += 1
    return {"seconds": seconds, "net_seconds": seconds, "pages": len(files), "reports": found, "load": load}


def line(name: str, r: dict) -> str:
    net = r["net_seconds"]
    out = (f"  {name:<34} {r['seconds']:7.1f} s  pages {r['pages']:>6} ({r['pages'] / r['seconds']:6.1f}/s)"
           f"  reports {r['reports']:>5} ({r['reports'] / r['seconds']:6.1f}/s)"
           f"  net of startup {net:6.1f} s: {r['pages'] / net:6.1f} pages/s, {r['reports'] / net:6.1f} reports/s")
    if "load" in r:
        out += f"  [load {r['load']}]"
    if r.get("cpu") and r["pages"]:
        out += "\n  " + " " * 34 + " CPU ms/page: " + ", ".join(
            f"{k} {v * 1000 / r['pages']:.1f}" for k, v in r["cpu"].items() if k != "startup")
        out += f"; startup {r['cpu']['startup']:.1f} s CPU"
    return out


def start_web(departments: int, registry: Path, html_only: bool) -> tuple[subprocess.Popen, dict]:
    cmd = [sys.executable, "-m", "benchmarks.crawl_web", "--departments", str(departments), "--registry", str(registry)]
    if html_only:
        cmd.append("--html-only")
    with (registry.parent / "web.log").open("w") as log:  # connection resets by crawlers that hung up, …
        return launch_web(cmd, "the benchmark web", stderr=log)


def launch_web(cmd: list[str], what: str, stderr=None) -> tuple[subprocess.Popen, dict]:
    """A web in its own process (own GIL): started, its JSON "ready" line read.
    It stops when its stdin closes (stop_web)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
    ready = proc.stdout.readline()
    if not ready:
        proc.wait()
        raise SystemExit(f"{what} did not start (exit {proc.returncode})")
    return proc, json.loads(ready)


def stop_web(proc: subprocess.Popen) -> None:
    proc.stdin.close()  # the web stops when its stdin closes
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, default=20, help="extra bodies per ok site")
    parser.add_argument("--profile", type=Path, help="also cProfile the full crawls into FILE.<province>.prof")
    parser.add_argument("--html-only", action="store_true", help="every report an HTML page (no PDF/DOCX)")
    parser.add_argument("--no-wget", action="store_true")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for every crawl (e.g. NIANBAO_PARSE_PROCESSES=0)")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL:NAME=VALUE[,NAME=VALUE]",
                        help="also time the full crawl with these settings (repeatable), e.g."
                             " threads:NIANBAO_PARSE_PROCESSES=0")
    args = parser.parse_args()
    global WEB_PID
    print(f"machine: {machine()}; load average {load_average()}")
    workdir = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    registry = workdir / "registry.yml"
    web_proc, web = start_web(args.departments, registry, args.html_only)
    WEB_PID = web_proc.pid
    extra = tuple(args.set)
    try:
        expected = sum(web["expected"][p] for p in PROVINCES)
        print(f"web: {web['sites']} sites, {web['bodies']} bodies, {expected} reachable reports"
              f" ({args.departments} extra bodies per ok site{', HTML only' if args.html_only else ''})")
        crawl_all(registry, workdir, "warm", FETCH_ONLY)  # fills the sandbox's memo: the timed runs measure the crawler
        full = crawl_all(registry, workdir, "full", extra, profile=args.profile)
        print(line("nianbao crawl (parse + archive)", full), flush=True)
        variants = {}
        for n, variant in enumerate(args.variant):
            label, _, settings = variant.partition(":")
            variants[label] = crawl_all(registry, workdir, f"variant{n}", (*extra, *settings.split(",")))
            print(line(f"  … {label}", variants[label]), flush=True)
        fetch = crawl_all(registry, workdir, "fetch", (*extra, *FETCH_ONLY))
        print(line("nianbao crawl (pipelines off)", fetch), flush=True)
        if not args.no_wget and shutil.which("wget"):
            print(line("wget --mirror", wget_mirror(web, workdir)))
        print(f"load average after: {load_average()}")
        print(json.dumps({"full": full, "fetch_only": fetch, "variants": variants}))
    finally:
        stop_web(web_proc)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
