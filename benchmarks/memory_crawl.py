"""Peak RSS of `nianbao crawl` as the crawl grows: does memory stay bounded?

Two webs:

- `--pages 10000 30000 100000`: the synthetic big web (benchmarks/big_web.py, one
  static-CMS portal in 河南 with that many pages, served by its own process), one
  `nianbao crawl` per size. Samples every `--interval` seconds the RSS and VmHWM
  of the crawl process *and* of its parse worker processes (crawler/pipelines/
  parse.py spawns them), the pages crawled so far (the progress line), and the
  size of the dupefilter's file in JOBDIR. `--out docs/memory_crawl` writes the
  samples to docs/memory_crawl.csv (rows of other sizes already there are kept,
  so each size can run on its own) and draws docs/memory_crawl.svg (RSS vs
  pages crawled).
- `--departments 0 10 30`: the sandbox web (benchmarks/crawl_web.py) at several
  sizes, peak RSS of the crawl process only (the first measurement, kept as is).

Both crawl as `nianbao crawl` runs (JOBDIR on: the request queue is on disk,
the seen fingerprints too since crawler/dupefilter.py), politeness off, the full
item pipeline (parse + archive) on.

    .venv/bin/python -m benchmarks.memory_crawl --pages 10000 [--out docs/memory_crawl] [-s NAME=VALUE]
    .venv/bin/python -m benchmarks.memory_crawl [--departments 0 10 30] [--province henan]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.crawl_bench import NO_POLITENESS, ROOT, launch_web, machine, pages_and_reports, stop_web
from nianbao.commands.crawl import default_jobdir

PROGRESS = re.compile(r"pages (\d+) · reports found (\d+)")
MAX_ITEM_ERRORS = 20
STAT = re.compile(r"'([\w/]+)': (\d+(?:\.\d+)?)")
COLUMNS = ("size", "seconds", "pages", "reports", "crawl_rss_kb", "crawl_hwm_kb", "workers",
           "worker_rss_kb", "worker_hwm_kb", "seen_db_kb", "queue_kb")


# --- /proc ---------------------------------------------------------------------------
def status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (kB) of a process, {} once it is gone."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS", "VmHWM")):
                out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return {}
    return out


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    kids = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
    except OSError:
        pass
    return kids


def files_kb(paths) -> int:
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size if p.is_file() else 0
        except OSError:  # removed meanwhile (the WAL at a checkpoint)
            pass
    return total // 1024


def dir_kb(path: Path) -> int:
    try:
        return files_kb(path.rglob("*"))
    except OSError:
        return 0


# --- what grows: a probe inside the crawl process -----------------------------------------
class GrowthProbe:
    """A Scrapy extension (`--probe`): every NIANBAO_PROBE_INTERVAL seconds, counts the
    crawl process's gc-tracked objects by type, with the pages crawled so far, into
    the JSON-lines file NIANBAO_PROBE_OUT. Types whose count grows with pages are
    what keeps memory per page (bytes and str are not gc-tracked: they show up
    through the containers holding them)."""

    def __init__(self, crawler, out: str, interval: float):
        self.crawler, self.out, self.interval = crawler, out, interval
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        ext = cls(crawler, crawler.settings.get("NIANBAO_PROBE_OUT"), crawler.settings.getfloat(
            "NIANBAO_PROBE_INTERVAL", 30.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider):
        from twisted.internet import task

        self.loop = task.LoopingCall(self.sample)
        self.loop.start(self.interval, now=True)

    def closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.sample()

    def sample(self) -> None:
        import collections
        import gc

        counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        row = {"pages": stats.get("response_received_count", 0), "blocks": sys.getallocatedblocks(),
               "rss_kb": status_kb(os.getpid()).get("VmRSS", 0), "types": dict(counts)}
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def probe_growth(path: Path) -> str:
    """Object types whose count grew between the first sample after 10 % of the pages and the last."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if len(rows) < 2:
        return "probe: too few samples"
    last = rows[-1]
    first = next((r for r in rows if r["pages"] >= 0.1 * last["pages"]), rows[0])
    pages = max(1, last["pages"] - first["pages"])
    grew = sorted(((last["types"].get(t, 0) - first["types"].get(t, 0), t) for t in last["types"]), reverse=True)
    lines = [f"probe: pages {first['pages']} → {last['pages']}, allocated blocks {first['blocks']:,} →"
             f" {last['blocks']:,} ({(last['blocks'] - first['blocks']) / pages:+.2f} a page),"
             f" RSS {first['rss_kb'] // 1024} → {last['rss_kb'] // 1024} MB"]
    lines += [f"  {t:<28} {first['types'].get(t, 0):>8,} → {last['types'][t]:>8,} ({n / pages:+.3f} a page)"
              for n, t in grew[:12] if n > 0]
    return "\n".join(lines)


# --- one crawl, watched -----------------------------------------------------------------
def crawl_cmd(registry: Path, province: str, db: Path, extra=(), progress: float = 0) -> list[str]:
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", province, "--registry", str(registry),
           "--db", str(db), "--fresh", "--progress", str(progress)]
    for s in (*NO_POLITENESS, *extra):
        cmd += ["-s", s]
    return cmd


def watch_crawl(cmd: list[str], log: Path, jobdir: Path | None = None, interval: float = 1.0,
                size: int = 0, on_sample=None) -> dict:
    """Run one crawl, sampling the crawl process and its parse workers until it exits.

    Memory is read from /proc/<pid>/status: VmRSS now, VmHWM the high-water mark of
    that process's own address space (wait4's ru_maxrss would also count the
    benchmark process, which the child shares between fork and exec). Workers are
    the crawl's children started by multiprocessing's spawn (`spawn_main`)."""
    start = time.perf_counter()
    samples, workers_hwm, crawl_hwm = [], {}, 0
    pages = reports = 0
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    errors = 0
    with log.open("rb") as tail:
        buffered = b""
        while True:
            running = proc.poll() is None
            chunk = tail.read()
            if chunk:
                errors += (buffered[-64:] + chunk).count(b"ERROR: Error processing")
                buffered = (buffered + chunk)[-4096:]
                found = PROGRESS.findall(buffered.decode("utf-8", "replace"))
                if found:
                    pages, reports = map(int, found[-1])
            if errors >= MAX_ITEM_ERRORS and running:
                # The item pipeline is broken (a half-done edit?): a memory figure of it means nothing.
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise RuntimeError(f"{errors} item pipeline errors: crawl stopped; see {log}")
            if b"nianbao\0crawl" in cmdline(proc.pid):  # after exec: the crawl's own address space
                me = status_kb(proc.pid)
                crawl_hwm = max(crawl_hwm, me.get("VmHWM", 0))
                kids = [k for k in children(proc.pid) if b"spawn_main" in cmdline(k)]
                mem = {k: status_kb(k) for k in kids}
                for k, m in mem.items():
                    workers_hwm[k] = max(workers_hwm.get(k, 0), m.get("VmHWM", 0))
                if me:
                    sample = {
                        "size": size, "seconds": round(time.perf_counter() - start, 1), "pages": pages,
                        "reports": reports, "crawl_rss_kb": me.get("VmRSS", 0), "crawl_hwm_kb": me.get("VmHWM", 0),
                        "workers": len(mem), "worker_rss_kb": max((m.get("VmRSS", 0) for m in mem.values()), default=0),
                        "worker_hwm_kb": max((m.get("VmHWM", 0) for m in mem.values()), default=0),
                        "seen_db_kb": files_kb(jobdir.glob("requests.seen*")) if jobdir else 0,
                        "queue_kb": dir_kb(jobdir / "requests.queue") if jobdir else 0,
                    }
                    samples.append(sample)
                    if on_sample:
                        on_sample(sample)
            if not running:
                break
            time.sleep(interval)
    if proc.wait() not in (0, 1):
        raise RuntimeError(f"crawl exited {proc.returncode}; see {log}")
    text = log.read_text(encoding="utf-8", errors="replace")
    dump = text[text.rfind("Dumping Scrapy stats"):] if "Dumping Scrapy stats" in text else ""
    return {"seconds": time.perf_counter() - start, "samples": samples, "crawl_hwm_kb": crawl_hwm,
            "workers_hwm_kb": sorted(workers_hwm.values(), reverse=True),
            "stats": {k: float(v) for k, v in STAT.findall(dump)}, "returncode": proc.returncode}


def peak_rss_crawl(registry: Path, province: str, db: Path, extra=()) -> tuple[int, float]:
    """(peak RSS in MB, seconds) of one crawl process (the sandbox-web mode)."""
    r = watch_crawl(crawl_cmd(registry, province, db, extra), db.with_suffix(".log"), interval=0.1)
    return r["crawl_hwm_kb"] // 1024, r["seconds"]


# --- the big web --------------------------------------------------------------------------
def start_big_web(pages: int, registry: Path) -> tuple[subprocess.Popen, dict]:
    cmd = [sys.executable, "-m", "benchmarks.big_web", "--pages", str(pages), "--registry", str(registry)]
    return launch_web(cmd, "the big web")


def at_fraction(samples: list[dict], fraction: float, key: str) -> int:
    """`key` of the first sample with at least `fraction` of the final pages."""
    last = samples[-1]["pages"] or 1
    return next((s[key] for s in samples if s["pages"] >= fraction * last), samples[-1][key])


def run_big(size: int, extra, interval: float, keep: bool, probe: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"memory-big-{size}-"))
    registry, db = workdir / "registry.yml", workdir / "crawl.db"
    web_proc, web = start_big_web(size, registry)
    try:
        print(f"web {size}: {web['pages']} pages ({web['reports']} reports, {web['listing_pages']} listing pages,"
              f" {web['columns']} columns, {web['bodies']} bodies) at {web['url']}", flush=True)
        last = [0.0]

        def show(s):
            if s["seconds"] - last[0] >= 60:
                last[0] = s["seconds"]
                print(f"  {s['seconds']:>6.0f} s  pages {s['pages']:>6}  reports {s['reports']:>6}"
                      f"  crawl RSS {s['crawl_rss_kb'] // 1024:>4} MB (peak {s['crawl_hwm_kb'] // 1024})"
                      f"  workers {s['workers']} RSS ≤ {s['worker_rss_kb'] // 1024} MB"
                      f"  seen.db {s['seen_db_kb']} kB  queue {s['queue_kb']} kB", flush=True)

        if probe:
            from crawler import settings as project

            extensions = {**project.EXTENSIONS, "benchmarks.memory_crawl.GrowthProbe": 900}
            extra = (*extra, f"EXTENSIONS={json.dumps(extensions)}", f"NIANBAO_PROBE_OUT={workdir / 'probe.jsonl'}")
        cmd = crawl_cmd(registry, "henan", db, (*extra, "LOG_LEVEL=INFO"), progress=max(1.0, interval))
        r = watch_crawl(cmd, db.with_suffix(".log"), default_jobdir(db, "henan"), interval, size, show)
        r["pages"], r["reports"] = pages_and_reports(db)
        r["web"] = web
        r["db_mb"] = sum(p.stat().st_size for p in workdir.glob("crawl.db*")) / 1e6
        if probe:
            r["probe"] = probe_growth(workdir / "probe.jsonl")
        if r["samples"]:  # the progress line lags the end: the archive's count is the truth
            r["samples"][-1]["pages"] = max(r["samples"][-1]["pages"], r["pages"])
        return r
    finally:
        stop_web(web_proc)
        if keep:
            print(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def summary(size: int, r: dict) -> str:
    s, st = r["samples"], r["stats"]
    flat = " → ".join(f"{at_fraction(s, f, 'crawl_rss_kb') // 1024}" for f in (0.1, 0.25, 0.5, 0.75, 1.0))
    wflat = " → ".join(f"{at_fraction(s, f, 'worker_rss_kb') // 1024}" for f in (0.1, 0.25, 0.5, 0.75, 1.0))
    workers = ", ".join(str(k // 1024) for k in r["workers_hwm_kb"]) or "-"
    return (f"size {size}: pages {r['pages']} reports {r['reports']} in {r['seconds']:.0f} s"
            f" ({r['pages'] / r['seconds']:.1f} pages/s), archive {r['db_mb']:.0f} MB\n"
            f"  crawl process: peak RSS (VmHWM) {r['crawl_hwm_kb'] // 1024} MB;"
            f" RSS at 10/25/50/75/100 % of pages: {flat} MB\n"
            f"  parse workers: peak RSS {workers} MB; largest worker RSS at 10/25/50/75/100 %: {wflat} MB\n"
            f"  max seen.db {max((x['seen_db_kb'] for x in s), default=0)} kB,"
            f" max queue {max((x['queue_kb'] for x in s), default=0)} kB;"
            f" Scrapy stats: dupefilter/filtered {st.get('dupefilter/filtered', 0):.0f},"
            f" scheduler/enqueued/disk {st.get('scheduler/enqueued/disk', 0):.0f},"
            f" scheduler/enqueued/memory {st.get('scheduler/enqueued/memory', 0):.0f},"
            f" memusage/max {st.get('memusage/max', 0) / 2**20:.0f} MB")


# --- results: CSV and chart ----------------------------------------------------------------
def merge_csv(path: Path, size: int, samples: list[dict]) -> list[dict]:
    rows = []
    if path.exists():
        with path.open(newline="") as f:
            rows = [{k: int(float(v)) if k != "seconds" else float(v) for k, v in row.items()}
                    for row in csv.DictReader(f) if int(row["size"]) != size]
    rows += [{k: s[k] for k in COLUMNS} for s in samples]
    rows.sort(key=lambda r: (r["size"], r["seconds"]))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return rows


def svg_chart(rows: list[dict], path: Path, title: str, x_key: str = "pages") -> None:
    """RSS (MB) vs pages crawled (or seconds): the crawl process (solid) and its largest
    parse worker (dashed), one colour per web size. Written by hand: matplotlib is not a
    dependency."""
    import math

    W, H, left, right, top, bottom = 860, 480, 70, 200, 40, 50
    sizes = sorted({r["size"] for r in rows})
    xmax = max((r[x_key] for r in rows), default=1) or 1
    ymax = max((max(r["crawl_rss_kb"], r["worker_rss_kb"]) for r in rows), default=1) / 1024
    xstep = _nice(xmax / 5)
    xmax = xstep * math.ceil(xmax / xstep)
    ystep = _nice(ymax / 5)
    ymax = ystep * math.ceil(ymax * 1.05 / ystep)

    def px(x):
        return left + (W - left - right) * x / xmax

    def py(y):
        return H - bottom - (H - top - bottom) * y / ymax

    colours = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
           f'font-size="12"><rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2 - 90}" y="22" font-size="14">{title}</text>']
    x = 0
    while x <= xmax:
        out.append(f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{H - bottom}" stroke="#eee"/>'
                   f'<text x="{px(x):.1f}" y="{H - bottom + 16}" text-anchor="middle">{x:,.0f}</text>')
        x += xstep
    y = 0
    while y <= ymax:
        out.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{W - right}" y2="{py(y):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:,.0f}</text>')
        y += ystep
    out.append(f'<line x1="{left}" y1="{H - bottom}" x2="{W - right}" y2="{H - bottom}" stroke="black"/>'
               f'<line x1="{left}" y1="{top}" x2="{left}" y2="{H - bottom}" stroke="black"/>'
               f'<text x="{(left + W - right) / 2}" y="{H - 12}" text-anchor="middle">'
               f'{"pages crawled" if x_key == "pages" else "seconds"}</text>'
               f'<text x="16" y="{(top + H - bottom) / 2}" transform="rotate(-90 16 {(top + H - bottom) / 2})"'
               f' text-anchor="middle">RSS (MB)</text>')
    for n, size in enumerate(sizes):
        colour = colours[n % len(colours)]
        pts = [r for r in rows if r["size"] == size and r["pages"] > 0]
        for key, dash in (("crawl_rss_kb", ""), ("worker_rss_kb", ' stroke-dasharray="5,4"')):
            line = " ".join(f"{px(r[x_key]):.1f},{py(r[key] / 1024):.1f}" for r in pts if r[key])
            if line:
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6"{dash} points="{line}"/>')
        ly = top + 10 + n * 40
        out.append(f'<line x1="{W - right + 12}" y1="{ly}" x2="{W - right + 40}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="2"/><text x="{W - right + 46}" y="{ly + 4}">{size:,} pages: crawl</text>'
                   f'<line x1="{W - right + 12}" y1="{ly + 16}" x2="{W - right + 40}" y2="{ly + 16}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="5,4"/>'
                   f'<text x="{W - right + 46}" y="{ly + 20}">… a parse worker</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def charts(out: Path) -> None:
    """OUT.svg (RSS vs pages) and OUT-time.svg (RSS vs seconds) from OUT.csv."""
    with out.with_suffix(".csv").open(newline="") as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    for row in rows:
        row["size"] = int(row["size"])
    svg_chart(rows, out.with_suffix(".svg"), "nianbao crawl: RSS vs pages crawled")
    svg_chart(rows, out.with_name(out.name + "-time.svg"), "nianbao crawl: RSS over time", x_key="seconds")


def _nice(step: float) -> float:
    import math

    mag = 10 ** math.floor(math.log10(step)) if step > 0 else 1
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= step)


# --- main -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, nargs="+", help="big-web sizes (pages) to crawl, e.g. 10000 30000 100000")
    parser.add_argument("--departments", type=int, nargs="+", default=[0, 10, 30],
                        help="sandbox-web sizes (extra bodies per site), when --pages is not given")
    parser.add_argument("--province", default="henan", help="sandbox-web mode: the province crawled")
    parser.add_argument("--interval", type=float, default=2.0, help="big-web mode: seconds between samples")
    parser.add_argument("--out", type=Path, help="big-web mode: write OUT.csv (merged) and OUT.svg")
    parser.add_argument("--charts-only", action="store_true", help="redraw OUT.svg and OUT-time.svg from OUT.csv")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (archive, log)")
    parser.add_argument("--probe", action="store_true",
                        help="big-web mode: count the crawl process's objects by type as it goes (what grows)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawl")
    args = parser.parse_args()
    if args.charts_only:
        charts(args.out)
        return
    print(f"machine: {machine()}; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}",
          flush=True)
    if args.pages:
        for size in args.pages:
            r = run_big(size, tuple(args.set), args.interval, args.keep, args.probe)
            print(summary(size, r), flush=True)
            if args.probe:
                print(r["probe"], flush=True)
            if args.out:
                merge_csv(args.out.with_suffix(".csv"), size, r["samples"])
                charts(args.out)
        print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        return
    from benchmarks import crawl_web
    from sandbox import world

    for departments in args.departments:
        workdir = Path(tempfile.mkdtemp(prefix="memory-bench-"))
        handle = crawl_web.start(departments)
        try:
            registry = workdir / "registry.yml"
            registry.write_text(yaml.safe_dump({"sites": world.registry_entries(handle)}, allow_unicode=True),
                                encoding="utf-8")
            db = workdir / "crawl.db"
            rss, seconds = peak_rss_crawl(registry, args.province, db, tuple(args.set))
            pages, reports = pages_and_reports(db)
            print(f"  {departments:>3} extra bodies/site: pages {pages:>6}  reports {reports:>5}"
                  f"  peak RSS {rss:>5} MB  ({seconds:.0f} s)", flush=True)
        finally:
            handle.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
