"""The published site under attack and under load: `nianbao serve` on loopback.

- hostile archive: 云南 crawled with the sandbox's xss and malformed-table faults,
  plus a report whose stored title, organization, cells and text carry payloads
  (the parser strips the sandbox's <script>s, so only the snapshots keep those);
- writes: every kind of write SQL and HTTP write → refused, file unchanged;
- a pathological query → cut by the time limit, the server answers after;
- Chromium: every payload shows as text and no script runs (markers absent);
- load: concurrent clients for a bounded time; p95 and error rate.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sandbox.faults import FaultTable

from .common import ROOT, crawl, q, start_sandbox

# What a payload does if it runs: markers a test can look for in the DOM afterwards.
MARK_TITLE = "XSS-RAN-TITLE"
SCRIPT = f'<script>document.title="{MARK_TITLE}"</script>'
IMG = "<img src=x onerror=\"document.body.setAttribute('data-xss','ran')\">"
SANDBOX_MARK = "pwned"  # the sandbox's xss fault sets document.title="pwned"
HOSTILE_ORG = "测试县人民政府"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def build_hostile_archive(workdir: Path) -> dict:
    faults = FaultTable(seed=1)
    faults.add("yunnan", "/ndbg/2022/", "malformed_table")  # first match wins: 2022's tables are broken,
    faults.add("yunnan", "/ndbg/", "xss")                   # every other page carries the payloads
    handle, registry = start_sandbox(workdir, faults, sites=("yunnan",))
    try:
        db = workdir / "hostile.db"
        proc = crawl(registry, "yunnan", db, "--site", handle.url("yunnan", "/"))
    finally:
        handle.stop()
    from archive.store import checkpoint, open_archive, save_report
    from tests.archive_fixtures import make_record, set_cell

    record = make_record("2021", organization=HOSTILE_ORG, title=f"{SCRIPT}2021年{IMG}政府信息公开工作年度报告")
    record = set_cell(record, "applications", "granted", "total", record["tables"]["applications"]["granted"]
                      ["total"]["value"], raw=f"{record['tables']['applications']['granted']['total']['value']}{IMG}")
    record["sections"]["overview"] = f"总体情况{SCRIPT}{IMG}"
    adb = open_archive(db)
    rid = save_report(adb, record, snapshot_id=None, url="https://gov.example.cn/nb/<script>x</script>.html")
    checkpoint(adb)
    adb.conn.close()
    xss_snapshot = next(sid for sid, in q(db, "SELECT id FROM snapshots") if _has_payload(db, sid))
    xss_report = q(db, "SELECT id FROM reports WHERE snapshot_id = ?", xss_snapshot)
    return {"db": db, "crawl_returncode": proc.returncode, "hostile_report": rid, "xss_snapshot": xss_snapshot,
            "xss_report": xss_report[0][0] if xss_report else None,
            "reports": q(db, "SELECT count(*) FROM reports")[0][0]}


def _has_payload(db: Path, snapshot_id: str) -> bool:
    from archive.store import open_archive, read_snapshot_body

    adb = open_archive(db)
    try:
        return b"<script>document.title=\"pwned\"</script>" in read_snapshot_body(adb, snapshot_id)
    finally:
        adb.conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db: Path):
    """`nianbao serve` in a subprocess; yields its base URL and the process."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nianbao", "serve", "--db", str(db), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"nianbao serve exited: {proc.stdout.read()}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("nianbao serve did not start in 15 s")
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str, *, data: bytes | None = None, timeout: float = 30) -> tuple[int, str, float]:
    t = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace"), time.monotonic() - t
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), time.monotonic() - t


WRITES = [
    "INSERT INTO reports (id, body_id, year) VALUES ('x', 'y', 2020)",
    "UPDATE reports SET title = 'defaced'",
    "DELETE FROM cells",
    "DROP TABLE reports",
    "CREATE TABLE owned (x)",
    "REPLACE INTO bodies (id, name) VALUES ('x', 'y')",
    "ATTACH DATABASE '/tmp/nianbao-owned.db' AS owned",
    "VACUUM INTO '/tmp/nianbao-owned.db'",
    "PRAGMA writable_schema = 1",
    "WITH x AS (SELECT 1) DELETE FROM reports",
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT 1; DELETE FROM reports",
]


def run_write_attempts(base: str, db: Path, database: str) -> dict:
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    attempts = []
    for sql in WRITES:
        status, body, _ = get(f"{base}/{database}.json?" + urllib.parse.urlencode({"sql": sql}))
        attempts.append({"how": f"GET ?sql={sql}", "status": status, "refused": status >= 400})
    for path in (f"/{database}", f"/{database}/reports", f"/{database}/-/create", f"/{database}/reports/-/insert"):
        status, _, _ = get(base + path, data=json.dumps({"row": {"id": "x"}}).encode())
        attempts.append({"how": f"POST {path}", "status": status, "refused": status >= 400})
    counts = q(db, "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM cells)")[0]
    return {"attempts": attempts, "file_unchanged": hashlib.sha256(db.read_bytes()).hexdigest() == digest,
            "owned_file": Path("/tmp/nianbao-owned.db").exists(), "rows": counts}


SLOW_QUERIES = [
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "SELECT count(*) FROM cells a, cells b, cells c",
    "SELECT count(*) FROM cells a, cells b, cells c WHERE a.raw || b.raw || c.raw LIKE '%9%8%7%6%5%'",
]


def run_slow_queries(base: str, database: str) -> dict:
    out = []
    for sql in SLOW_QUERIES:
        status, body, seconds = get(f"{base}/{database}.json?" + urllib.parse.urlencode({"sql": sql}), timeout=60)
        up, _, _ = get(base + "/-/versions.json", timeout=10)
        out.append({"sql": sql, "status": status, "seconds": round(seconds, 2),
                    "cut": status >= 400 and "too long" in body.lower(), "server_up_after": up == 200})
    return {"queries": out}


def chromium(profile: Path, *args: str) -> str:
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=90, env={**os.environ, "LANG": "zh_CN.UTF-8"})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout


def run_browser(base: str, archive: dict, profile: Path, shots: Path) -> dict:
    """Dump each page's DOM after scripts could run (and screenshot it); look for payloads and markers."""
    database = archive["db"].stem
    pages = {
        "hostile report page": f"/{database}/reports/{archive['hostile_report']}",
        "crawled xss report page": f"/{database}/reports/{archive['xss_report']}",
        "reports table (search)": f"/{database}/reports?_search=" + urllib.parse.quote("政府信息公开"),
        "cells table": f"/{database}/cells?report_id={archive['hostile_report']}&table_name=applications",
        "sections table": f"/{database}/sections?report_id={archive['hostile_report']}",
        "search query": f"/{database}/search?q=" + urllib.parse.quote("总体情况"),
    }
    shots.mkdir(parents=True, exist_ok=True)
    out = []
    for name, path in pages.items():
        if "report page" in name:  # screenshots of the two report pages (a look, not an assertion)
            slug = "xss_" + "".join(ch if ch.isalnum() else "_" for ch in name)
            chromium(profile, f"--screenshot={shots / (slug + '.png')}", "--window-size=1280,2400", base + path)
        dom = chromium(profile, "--dump-dom", base + path)
        out.append({
            "page": name, "path": path,
            "payload_as_text": "&lt;script&gt;" in dom or "&lt;img" in dom,
            "script_ran": f"<title>{MARK_TITLE}</title>" in dom or f"<title>{SANDBOX_MARK}</title>" in dom
            or 'data-xss="ran"' in dom,
            "live_payload_tags": dom.count(SCRIPT) + dom.count("<img src=\"x\" onerror"),
        })
    return {"pages": out}


def run_snapshot_headers(base: str, snapshot_id: str) -> dict:
    """The raw bytes of a hostile page: a download or plain text, never rendered as HTML."""
    with urllib.request.urlopen(f"{base}/-/snapshot/{snapshot_id}", timeout=30) as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
        body = r.read()
    ctype = headers.get("content-type", "")
    return {"content_type": ctype, "disposition": headers.get("content-disposition", ""),
            "nosniff": headers.get("x-content-type-options") == "nosniff",
            "csp": headers.get("content-security-policy", ""), "payload_in_bytes": b"<script>" in body,
            "never_rendered": not ctype.startswith("text/html")
            and (ctype.startswith("text/plain") or "attachment" in headers.get("content-disposition", ""))}


def run_load(base: str, paths: list[str], *, clients: int = 8, seconds: float = 10.0) -> dict:
    """`clients` threads fetch the paths round-robin for `seconds`; latency of each request."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            try:
                status, _, took = get(base + path, timeout=30)
            except Exception as exc:  # noqa: BLE001 — any failure is an error of the site, counted
                status, took = 0, 0.0
                with lock:
                    errors.append(f"{path}: {exc}")
            with lock:
                latencies.append(took)
                if status != 200 and status != 0:
                    errors.append(f"{path}: HTTP {status}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) if ordered else 0.0

    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "rps": round(len(latencies) / elapsed, 1), "errors": len(errors), "error_examples": errors[:5],
            "error_rate": (len(errors) / len(latencies)) if latencies else 1.0,
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": pct(1.0), "paths": paths}


def load_paths(archive: dict) -> list[str]:
    database = archive["db"].stem
    cell = q(archive["db"], "SELECT c.report_id, c.table_name, c.row_key, c.column_key FROM cells c"
                            " JOIN reports r ON r.id = c.report_id WHERE r.snapshot_id IS NOT NULL"
                            " ORDER BY c.report_id LIMIT 1")[0]
    rid = cell[0]
    return ["/", f"/{database}/reports?_sort=year", f"/{database}/reports/{rid}",
            f"/{database}/cells/{','.join(cell)}", f"/{database}/search?q=" + urllib.parse.quote("政府信息"),
            f"/-/snapshot/{archive['xss_snapshot']}", "/-/chart",
            f"/{database}/reports.json?province=" + urllib.parse.quote("云南省")]
