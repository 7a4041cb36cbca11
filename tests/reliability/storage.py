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
# Slow enough that the first crawl is still running when the second starts and is stopped
# half way (~200 requests at 0.25 s each per site), whatever the machine's load.
SLOW = ("-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
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


def run_disk_full_crawl(workdir: Path, size: str = "8m", min_free_mb: float = 1) -> dict:
    """A crawl whose disk fills up half way, then the same command once the disk is bigger."""
    workdir.mkdir(parents=True, exist_ok=True)
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


def run_disk_full_ingest(workdir: Path, size: str = "4m", min_free_mb: float = 0.2) -> dict:
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
    workdir.mkdir(parents=True, exist_ok=True)
    handle, registry = start_sandbox(workdir, province=PROVINCE)
    try:
        a, b = workdir / "a.db", workdir / "b.db"
        proc = subprocess.Popen(crawl_cmd(registry, PROVINCE, a, *SLOW), cwd=ROOT,
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


# --- the reliability report's section (tests/reliability/report.py) -----------------------

# Issue 12 items proved by tests/test_store_path.py: (item, attempt, test names).
UNIT_ATTEMPTS = [
    ("5", "ingest a folder holding .git/, .env, a symlink to a file outside it, a FIFO, a character device and "
          "files named in GBK and with a stray \\xff byte",
     ["test_ingest_skips_hidden_and_outside_and_refuses_special_files"]),
    ("6", "a page on another division's site (later, 0 cells) and one on the province portal claim 驻马店经济开发区管委会's "
          "2020 report; a file dated 2100 ingested, then a revision; a shard whose blob was replaced (trigger dropped) "
          "merged",
     ["test_a_report_keeps_its_own_sites_document_and_flags_copies",
      "test_an_ingested_file_dated_2099_does_not_pin_its_report", "test_merge_refuses_a_forged_blob_with_one_line"]),
    ("9", "a GBK page served as UTF-8 with one stray byte; a seed with a trailing \\xff; a file cut inside a UTF-8 "
          "character; a document the parser crashes on",
     ["test_gbk_page_served_as_utf8_with_one_bad_byte_keeps_title_year_and_every_cell",
      "test_the_crawler_decodes_that_page_as_the_parser_does", "test_seed_with_a_trailing_stray_byte_keeps_every_cell",
      "test_a_file_cut_inside_a_utf8_character_decodes_as_utf8",
      "test_a_document_the_parser_fails_on_is_kept_with_a_problem"]),
    ("10", "48 processes open one new archive at once; an ingest commits between `verify`'s first and last read",
     ["test_48_concurrent_first_opens_of_a_new_archive_all_succeed",
      "test_verify_reads_one_snapshot_while_an_ingest_commits"]),
]
OUTCOMES = {
    "5": "hidden files and folders skipped; the outside symlink not followed, FIFO and device refused by name "
         "(one line each, never opened); both odd names ingested (`file:reports/报告.txt`, "
         "`file:reports/\\xff\\xfe.txt`) and the file after them too; no traceback",
    "6": "the report keeps its own site's document (all cells); the other documents are kept as snapshots and "
         "flagged `copy: claims report …`; the revision on the own site wins; ingest time, not the 2100 mtime, "
         "orders versions; merge exits 2 with `… does not hash to its name … shard refused`, nothing merged",
    "9": "title, year, organization and every cell as from the clean bytes; `decode: 1 undecodable characters "
         "replaced` in problems; the crawler decodes it as GB18030 too; the cut file decodes as UTF-8; the "
         "crash is a `parse failed:` problem on the kept snapshot",
    "10": "48 of 48 opens succeed, each migration applied once; verify sees the file as it was when it began: "
          "no false count mismatch",
}


def run_unit_attempts() -> dict[str, bool]:
    """Each item's tests, run by pytest in a subprocess: item -> all passed."""
    out = {}
    for item, _attempt, tests in UNIT_ATTEMPTS:
        ids = [f"tests/test_store_path.py::{t}" for t in tests]
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ids],
                              capture_output=True, text=True, cwd=ROOT, timeout=600)
        out[item] = proc.returncode == 0
    return out


def section(workdir: Path) -> tuple[list[str], bool]:
    """Issue 12 items 5–10: each attempt, what happened, held or not."""
    def yes(ok: bool) -> str:
        return "held" if ok else "**NOT HELD**"

    rows, ok_all = [], True
    units = run_unit_attempts()
    for item, attempt, _tests in UNIT_ATTEMPTS:
        rows.append((item, attempt, OUTCOMES[item], units[item]))
    r8 = run_resume_identity(workdir / "resume")
    ok8 = (r8["twin_returncode"] == 2 and r8["first_returncode"] == 1 and r8["a_state_kept"]
           and r8["b_returncode"] == 0 and not r8["b_resumed"] and r8["b_reports"] == r8["expected"]
           and r8["a_reports_after_b"] == r8["a_reports"])
    rows.append(("8", "a crawl of 河南 into a.db stopped half way; meanwhile a second crawl of 河南 into a.db; then a "
                      "crawl into b.db of the same folder",
                 f"the second crawl exits {r8['twin_returncode']}: `{_cell(r8['twin_stderr'][-1] if r8['twin_stderr'] else '')}`; "
                 f"a.db's state kept ({r8['a_reports']} reports); b.db resumed nothing, archived "
                 f"{r8['b_reports']}/{r8['expected']}, a.db untouched", ok8))
    if mountable(workdir / "probe"):
        c = run_disk_full_crawl(workdir / "crawl")
        ok7c = (c["returncode"] == 1 and c["tracebacks"] == 0 and len(c["stderr"]) == 1 and c["state_kept"]
                and c["fetch_log"] and any(s == "error" for _, s, _ in c["statuses"]) and c["resumed"]
                and c["reports_second"] == c["expected"] and c["integrity"] == "ok")
        rows.append(("7", "crawl of 河南 into an archive on an 8 MB tmpfs (fills half way), then the same command "
                          "once the disk is 200 MB",
                     f"exit {c['returncode']}, {c['tracebacks']} tracebacks, one line: `{_cell(c['stderr'][0])}`; "
                     f"{c['reports_first']} reports archived, the site `error` with that reason, the document "
                     f"`failed` in fetch_log, resume state kept; the second run resumed and archived "
                     f"{c['reports_second']}/{c['expected']}", ok7c))
        i = run_disk_full_ingest(workdir / "ingest")
        ok7i = (i["returncode"] == 1 and i["tracebacks"] == 0 and len(i["stderr"]) == 1 and i["integrity"] == "ok"
                and (i["home"], i["reports_page"]) == (200, 200))
        rows.append(("7", "`nianbao ingest` of every seed and real report into an archive on a 4 MB tmpfs, then "
                          "`nianbao serve` of it (disk still full)",
                     f"exit {i['returncode']}, {i['tracebacks']} tracebacks: `{_cell(i['stderr'][0])}`; "
                     f"{i['reports']} reports kept, integrity {i['integrity']}; serve answers HTTP {i['home']} "
                     f"(home) and {i['reports_page']} (reports)", ok7i))
    else:
        rows.append(("7", "disk full during a crawl and an ingest", "not run: a tmpfs cannot be mounted here", False))
    lines = ["## The storing path (issue 12, items 5–10)", "",
             "One function stores every document (archive/document.py `store_document`: crawl, ingest, merge). "
             "Items 5, 6, 9 and 10 are the tests of `tests/test_store_path.py`, run here; 7 and 8 run `nianbao` "
             "against the sandbox (`tests/reliability/storage.py`, asserted by `tests/test_reliability_storage.py`).",
             "", "| item | attempt | outcome | result |", "|---|---|---|---|"]
    for item, attempt, outcome, ok in sorted(rows, key=lambda r: int(r[0])):
        lines.append(f"| {item} | {_cell(attempt)} | {_cell(outcome)} | {yes(ok)} |")
        ok_all &= ok
    return lines + [""], ok_all


def _cell(text) -> str:
    import tempfile

    return str(text).replace(str(Path(tempfile.gettempdir())), "$TMP").replace("|", "\\|").replace("\n", " ")
