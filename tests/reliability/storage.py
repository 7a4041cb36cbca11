"""Disk full during a crawl and an ingest; resume state that belongs to its archive.

The disk is really full: the archive lives on a small tmpfs mounted for the
scenario (root only; `mountable()` says whether this machine allows it), and
is grown afterwards (`mount -o remount,size=…`) to check the crawl resumes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nianbao.commands.crawl import CLEAN_STOP, default_jobdir
from sandbox import world

from .common import ROOT, crawl, crawl_cmd, q, start_sandbox

PROVINCE = "henan"
FIXTURES = ROOT / "tests" / "fixtures"


def mountable(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    try:
        _mount(where, "1m")
    except (OSError, subprocess.CalledProcessError):
        return False
    _umount(where)
    return True


def _mount(where: Path, size: str, remount: bool = False) -> None:
    options = f"remount,size={size}" if remount else f"size={size}"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True,
                   capture_output=True, timeout=30)


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


@contextlib.contextmanager
def small_disk(where: Path, size: str):
    where.mkdir(parents=True, exist_ok=True)
    _mount(where, size)
    try:
        yield where
    finally:
        _umount(where)


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if line.strip()]


def run_disk_full_crawl(workdir: Path, size: str = "6m", min_free_mb: float = 1) -> dict:
    """A crawl whose disk fills up half way, then the same command once the disk is bigger."""
    handle, registry = start_sandbox(workdir, province=PROVINCE)
    disk = workdir / "disk"
    try:
        with small_disk(disk, size):
            db = disk / "crawl.db"
            first = crawl(registry, PROVINCE, db, "-s", f"NIANBAO_MIN_FREE_MB={min_free_mb}")
            jobdir = default_jobdir(db, PROVINCE)
            out = {
                "returncode": first.returncode,
                "stderr": _lines(first.stderr),
                "tracebacks": first.stderr.count("Traceback"),
                "reports_first": q(db, "SELECT count(*) FROM reports")[0][0],
                "statuses": q(db, "SELECT site, status, detail FROM site_status ORDER BY site"),
                "fetch_log": q(db, "SELECT url, outcome, reason FROM fetch_log WHERE reason LIKE 'cannot write%'"),
                "state_kept": (jobdir / CLEAN_STOP).exists() and (jobdir / "requests.seen.db").exists(),
                "integrity": q(db, "PRAGMA integrity_check")[0][0],
            }
            _mount(disk, "200m", remount=True)
            second = crawl(registry, PROVINCE, db)
            out.update(resumed="resuming" in second.stderr, returncode_second=second.returncode,
                       reports_second=q(db, "SELECT count(*) FROM reports")[0][0],
                       expected=len(world.expected_reports(handle.world, PROVINCE)))
        return out
    finally:
        handle.stop()


def run_disk_full_ingest(workdir: Path, size: str = "2m", min_free_mb: float = 0.2) -> dict:
    """`nianbao ingest` of every seed and real report into an archive on a disk that fills
    up, then `nianbao serve` of that archive (the disk still full)."""
    from .site import get, served

    disk = workdir / "idisk"
    with small_disk(disk, size):
        db = disk / "a.db"
        proc = subprocess.run([sys.executable, "-m", "nianbao", "ingest", str(FIXTURES / "real-reports"),
                               str(FIXTURES / "seeds"), "--db", str(db), "--min-free-mb", str(min_free_mb)], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
        out = {"returncode": proc.returncode, "stderr": _lines(proc.stderr),
               "tracebacks": proc.stderr.count("Traceback"), "integrity": q(db, "PRAGMA integrity_check")[0][0],
               "reports": q(db, "SELECT count(*) FROM reports")[0][0]}
        with served(db) as (base, _proc):
            out["home"] = get(base + "/")[0]
            out["reports_page"] = get(base + f"/{db.stem}/reports")[0]
    return out


def run_resume_identity(workdir: Path) -> dict:
    """A stopped crawl into a.db, a second crawl into a.db while the first runs, then a
    crawl into b.db of the same folder."""
    handle, registry = start_sandbox(workdir, province=PROVINCE)
    try:
        a, b = workdir / "a.db", workdir / "b.db"
        proc = subprocess.Popen(crawl_cmd(registry, PROVINCE, a, "-s", "CONCURRENT_REQUESTS=4"), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if a.exists() and _count(a) >= 10:
                break
            time.sleep(0.1)
        twin = crawl(registry, PROVINCE, a)  # the first is still running
        os.kill(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
        half = q(a, "SELECT count(*) FROM reports")[0][0]
        other = crawl(registry, PROVINCE, b)
        expected = len(world.expected_reports(handle.world, PROVINCE))
        return {
            "twin_returncode": twin.returncode, "twin_stderr": _lines(twin.stderr),
            "first_returncode": proc.returncode, "first_stopped": "run the same command again" in err,
            "a_reports": half, "a_state_kept": (default_jobdir(a, PROVINCE) / CLEAN_STOP).exists(),
            "b_returncode": other.returncode, "b_resumed": "resuming" in other.stderr,
            "b_reports": q(b, "SELECT count(*) FROM reports")[0][0], "expected": expected,
            "a_reports_after_b": q(a, "SELECT count(*) FROM reports")[0][0],
        }
    finally:
        handle.stop()


def _count(db: Path) -> int:
    try:
        return q(db, "SELECT count(*) FROM snapshots")[0][0]
    except Exception:  # not created yet, or locked for a moment
        return 0
