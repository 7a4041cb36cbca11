"""Peak RSS of `nianbao crawl` as the crawl grows: does memory stay bounded?

Crawls the benchmark web (benchmarks/crawl_web.py) at several sizes, one
province per process as `nianbao crawl` runs it (JOBDIR on, so the request
queue is on disk), and reads each process's peak RSS from the kernel (VmHWM).

    .venv/bin/python -m benchmarks.memory_crawl [--departments 0 10 30] [--province henan]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks import crawl_web
from benchmarks.crawl_bench import NO_POLITENESS, ROOT, machine, pages_and_reports
from sandbox import world


def peak_rss_crawl(registry: Path, province: str, db: Path, extra=()) -> tuple[int, float]:
    """(peak RSS in MB, seconds) of one crawl process.

    VmHWM of /proc/<pid>/status, read until the process exits: the high-water mark
    of the crawl's own address space. (wait4's ru_maxrss would also count the
    benchmark process itself, which the child shares between fork and exec.)"""
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", province, "--registry", str(registry),
           "--db", str(db), "--fresh", "--progress", "0"]
    for s in (*NO_POLITENESS, *extra):
        cmd += ["-s", s]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc_dir, peak_kb = Path(f"/proc/{proc.pid}"), 0
    while proc.poll() is None:
        try:
            text = (proc_dir / "status").read_text()
            execed = b"nianbao\0crawl" in (proc_dir / "cmdline").read_bytes()
        except OSError:
            break
        if execed:  # after exec: the crawl's own address space
            peak_kb = max(peak_kb, next(int(line.split()[1]) for line in text.splitlines()
                                        if line.startswith("VmHWM")))
        time.sleep(0.1)
    if proc.wait() not in (0, 1):
        raise RuntimeError(f"crawl exited {proc.returncode}")
    return peak_kb // 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, nargs="+", default=[0, 10, 30])
    parser.add_argument("--province", default="henan")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for departments in args.departments:
        workdir = Path(tempfile.mkdtemp(prefix="memory-bench-"))
        handle = crawl_web.start(departments)
        try:
            registry = workdir / "registry.yml"
            registry.write_text(yaml.safe_dump({"sites": world.registry_entries(handle)}, allow_unicode=True),
                                encoding="utf-8")
            db = workdir / "crawl.db"
            rss, seconds = peak_rss_crawl(registry, args.province, db)
            pages, reports = pages_and_reports(db)
            print(f"  {departments:>3} extra bodies/site: pages {pages:>6}  reports {reports:>5}"
                  f"  peak RSS {rss:>5} MB  ({seconds:.0f} s)", flush=True)
        finally:
            handle.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
