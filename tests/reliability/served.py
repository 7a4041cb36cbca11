"""The site while its archive is written, and against requests that try to exhaust it
(issue 12 items 1, 4 and 11): `nianbao serve` in a subprocess on loopback.

- writes while served: clients hammer the site while `nianbao ingest` writes into the
  archive it serves (and, separately, while a different archive is `mv`-ed over it):
  every answer must be 2xx and agree with the old state or the new one, and the site
  must reach the new state once it is published;
- exhaustion: SQL that allocates (zeroblob, printf widths, a big result) → refused
  with 4xx in bounded time, the server's memory stays bounded, pages still answer;
- odd URLs → 4xx, never 5xx.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .common import ROOT, q
from .site import get

FIXTURES = ROOT / "tests" / "fixtures"
TO_INGEST = (FIXTURES / "seeds", FIXTURES / "real-reports")


def state(db: Path) -> dict:
    """What the consistency probes answer for this archive file."""
    (reports, cells, years), = q(db, "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM cells),"
                                      " (SELECT count(DISTINCT year) FROM reports)")
    return {"reports": reports, "cells": cells, "years": years}


def probes(database: str) -> dict[str, str]:
    """Pages whose answer tells which state served it: SQL, a table page's count, its facets."""
    sql = "select (select count(*) from reports) as reports, (select count(*) from cells) as cells"
    return {
        "sql": f"/{database}.json?_shape=array&sql=" + urllib.parse.quote(sql),
        "reports table": f"/{database}/reports.json?_size=1",
        "cells table": f"/{database}/cells.json?_size=1",
        "home": "/",
        "database page": f"/{database}",
    }


def read_state(kind: str, body: str) -> tuple | None:
    """(reports, cells) or (what, n) from a probe's answer; None for pages without numbers."""
    if kind == "sql":
        row = json.loads(body)[0]
        return ("both", row["reports"], row["cells"])
    if kind == "reports table":
        data = json.loads(body)
        years = len(data["facet_results"]["year"]["results"])
        return ("reports", data["filtered_table_rows_count"], years)
    if kind == "cells table":
        return ("cells", json.loads(body)["filtered_table_rows_count"])
    return None


def allowed(old: dict, new: dict) -> set:
    out = set()
    for s in (old, new):
        out |= {("both", s["reports"], s["cells"]), ("reports", s["reports"], s["years"]), ("cells", s["cells"])}
    return out


def expected_new(new: dict) -> set:
    return {("both", new["reports"], new["cells"]), ("reports", new["reports"], new["years"]),
            ("cells", new["cells"])}


def hammer(base: str, database: str, stop: threading.Event, clients: int = 6) -> dict:
    """Clients fetch the probes round-robin until `stop`; every status and state seen."""
    pages = list(probes(database).items())
    out = {"requests": 0, "statuses": {}, "states": [], "errors": []}
    lock = threading.Lock()

    def client(n: int) -> None:
        i = n
        while not stop.is_set():
            kind, path = pages[i % len(pages)]
            i += 1
            try:
                status, body, _ = get(base + path, timeout=60)
            except OSError as exc:
                status, body = 0, str(exc)
            seen = read_state(kind, body) if status == 200 else None
            with lock:
                out["requests"] += 1
                out["statuses"][status] = out["statuses"].get(status, 0) + 1
                if seen is not None:
                    out["states"].append((time.monotonic(), seen))
                if status != 200 and len(out["errors"]) < 5:
                    out["errors"].append(f"{path}: {status} {body[:160]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    out["threads"] = threads
    return out


def _finish(h: dict, stop: threading.Event) -> dict:
    stop.set()
    for t in h.pop("threads"):
        t.join(timeout=120)
    return h


def wait_for(h: dict, states: set, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if states <= {s for _, s in h["states"][-30:]}:
            return True
        time.sleep(0.2)
    return False


def summarise(h: dict, old: dict, new: dict, reached: bool, how: str) -> dict:
    ok_states = allowed(old, new)
    wrong = [s for _, s in h["states"] if s not in ok_states]
    return {"how": how, "requests": h["requests"], "statuses": h["statuses"],
            "server_errors": sum(n for s, n in h["statuses"].items() if s >= 500 or s == 0),
            "inconsistent": len(wrong), "inconsistent_examples": wrong[:5], "error_examples": h["errors"],
            "old": old, "new": new, "reached_new": reached, "states_checked": len(h["states"])}


def run_ingest_while_served(base: str, db: Path, *, settle: float = 3.0) -> dict:
    """`nianbao ingest` of the seeds and real reports into the served archive, under load."""
    old = state(db)
    stop = threading.Event()
    h = hammer(base, db.stem, stop)
    time.sleep(settle)
    done = subprocess.run([sys.executable, "-m", "nianbao", "ingest", *map(str, TO_INGEST), "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    new = state(db)
    reached = wait_for(h, expected_new(new), timeout=120)
    time.sleep(settle)
    out = summarise(_finish(h, stop), old, new, reached, "nianbao ingest into the served archive")
    out["ingest_returncode"] = done.returncode
    out["ingest_output"] = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return out


def run_mv_while_served(base: str, db: Path, other: Path, *, settle: float = 2.0) -> dict:
    """A different archive `mv`-ed over the served one, under load; then `nianbao publish`."""
    old, new = state(db), state(other)
    stop = threading.Event()
    h = hammer(base, db.stem, stop)
    time.sleep(settle)
    os.replace(other, db)
    time.sleep(settle)  # nothing published yet: the site must still answer the old state only
    before_publish = summarise(dict(h, states=list(h["states"])), old, old, True, "")["inconsistent"]
    done = subprocess.run([sys.executable, "-m", "nianbao", "publish", "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    reached = wait_for(h, expected_new(new), timeout=120)
    time.sleep(settle)
    out = summarise(_finish(h, stop), old, new, reached, "another archive mv-ed over the served one, then published")
    out["new_state_before_publish"] = before_publish
    out["publish_returncode"] = done.returncode
    return out


def copy_archive(src: Path, dest: Path) -> Path:
    shutil.copyfile(src, dest)
    return dest


# --- exhaustion (item 4) and odd URLs (item 11) -----------------------------------------

EXHAUSTING_SQL = [
    ("zeroblob of 500 MB", "select zeroblob(500000000)"),
    ("randomblob of 500 MB", "select length(randomblob(500000000))"),
    ("printf width 100 MB", "select length(printf('%.*c', 100000000, 'x'))"),
    ("printf width 10 MB × 1,000 rows", "select printf('%.*c', 10000000, 'x') from cells limit 1000"),
    ("a 4 MB string × 1,000 rows (recursive CTE)",
     "with recursive s(x) as (select 'a' union all select x || x from s limit 23) "
     "select x from (select x from s order by length(x) desc limit 1), cells limit 1000"),
    ("group_concat of every cell's text × 50", "with recursive n(i) as (select 1 union all select i + 1 from n "
     "limit 50) select length(group_concat(raw || raw || raw || raw)) from cells, n"),
    ("fts3_tokenizer (pointer leak)", "select hex(fts3_tokenizer('simple'))"),
]
LEAKS = [
    ("pragma_database_list() (file paths)", "select * from pragma_database_list"),
    ("PRAGMA database_list via a function", "select file from pragma_database_list()"),
]


def rss_kb(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def sql_url(base: str, database: str, sql: str) -> str:
    return f"{base}/{database}.json?sql=" + urllib.parse.quote(sql)


def run_exhaustion(base: str, pid: int, database: str, folder: str) -> dict:
    """Each SQL once, then four of the worst at once: status, seconds, the server's peak memory."""
    start = rss_kb(pid)
    attempts = []
    for name, sql in EXHAUSTING_SQL:
        status, body, took = get(sql_url(base, database, sql), timeout=60)
        data = json.loads(body) if body.startswith("{") else {"error": body[:100]}
        attempts.append({"name": name, "sql": sql, "status": status, "seconds": round(took, 2),
                         "error": data.get("error"), "rows": data.get("rows"),
                         # refused, or NULL: SQLite's own limit stopped the value
                         "held": 400 <= status < 500 or all(v is None for row in data.get("rows") or [[1]]
                                                            for v in row)})
    for name, sql in LEAKS:
        status, body, took = get(sql_url(base, database, sql), timeout=60)
        attempts.append({"name": name, "sql": sql, "status": status, "seconds": round(took, 2),
                         "leaked": folder in body})
    for page in ("/-/databases.json", "/-/databases"):
        status, body, took = get(base + page, timeout=60)
        attempts.append({"name": f"GET {page} (file paths)", "sql": "", "status": status,
                         "seconds": round(took, 2), "leaked": folder in body, "page": True})
    results = []

    def worst():
        results.append(get(sql_url(base, database, EXHAUSTING_SQL[4][1]), timeout=60)[0])

    threads = [threading.Thread(target=worst) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    page, _, page_took = get(base + f"/{database}/reports", timeout=60)
    end = rss_kb(pid)
    return {"attempts": attempts, "concurrent_statuses": results, "page_after": page,
            "page_after_seconds": round(page_took, 2), "rss_start_mb": start["VmRSS"] // 1024,
            "peak_mb": end["VmHWM"] // 1024, "growth_mb": (end["VmHWM"] - start["VmHWM"]) // 1024}


ODD_URLS = [
    ("GET", "/{db}/cells/a"), ("GET", "/{db}/cells/a,b"), ("GET", "/{db}/cells/a.json"),
    ("GET", "/{db}/reports?_sort=title"), ("GET", "/{db}/reports.json?_sort_desc=title"),
    ("GET", "/{db}/reports?_sort=year&_sort_desc=year"), ("GET", "/{db}/reports/nonexistent"),
    ("GET", "/{db}/reports?_size=abc"), ("GET", "/{db}/nosuch"), ("GET", "/{db}/reports?_where=nosuch"),
    ("GET", "/{db}/reports?_facet=nosuch"), ("GET", "/{db}/cells.json?_col=nosuch"),
    ("GET", "/{db}/reports.csv?_stream=on&_next=1"),
    ("POST", "/-/messages"), ("POST", "/-/messages?message=x&message_type=abc"), ("PUT", "/{db}/reports"),
    ("DELETE", "/{db}/reports"), ("POST", "/{db}/reports/-/insert"),
]


def run_odd_urls(base: str, database: str) -> list[dict]:
    out = []
    for method, path in ODD_URLS:
        path = path.format(db=database)
        req = urllib.request.Request(base + path, method=method,
                                     data=b"message=x&message_type=abc" if method != "GET" else None)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        out.append({"how": f"{method} {path}", "status": status, "held": 400 <= status < 500})
    return out


# --- CSV exports (item 4, issue 13 §5) ------------------------------------------------------


def csv_records(base: str, path: str) -> int:
    import csv
    import io

    with urllib.request.urlopen(base + path, timeout=300) as r:
        text = r.read().decode("utf-8")
    return sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # without the header


def _held_stream(base: str, path: str):
    """A client that asks for a CSV and then reads nothing more: the stream stays open."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = sock.recv(4096).decode("latin-1")
    return sock, int(head.split()[1])


def run_csv_exports(base: str, db: Path) -> dict:
    database = db.stem
    cells = q(db, "SELECT count(*) FROM cells WHERE table_name = 'review_litigation'")[0][0]
    year_rows = q(db, "SELECT count(*) FROM reports WHERE year = 2021")[0][0]
    out = {"cells": cells, "cells_csv": csv_records(base, f"/{database}/cells.csv?table_name=review_litigation"),
           "reports_2021": year_rows, "reports_2021_csv": csv_records(base, f"/{database}/reports.csv?year=2021")}
    held = [_held_stream(base, f"/{database}/cells.csv") for _ in range(2)]
    try:
        out["held_statuses"] = [status for _, status in held]
        out["third_export"], _, _ = get(base + f"/{database}/reports.csv", timeout=30)
        pages = [get(base + p, timeout=30) for p in ("/", f"/{database}/reports", f"/{database}/cells?_size=10")]
        out["pages_during"] = [status for status, _, _ in pages]
        out["pages_during_max_seconds"] = round(max(took for _, _, took in pages), 2)
    finally:
        for sock, _ in held:
            sock.close()
    time.sleep(1)
    out["export_after"], _, _ = get(base + f"/{database}/reports.csv?_size=5", timeout=60)
    return out


# --- load (issue 12, Load) ------------------------------------------------------------------

LOAD_REPORTS = 311  # the size of the archive the audit measured on


def load_mix(db: Path) -> list[str]:
    """The audit's page mix on a generated archive: home, faceted table, report page, cell
    permalink, canned search, chart, JSON of a province."""
    d = db.stem
    cell = q(db, "SELECT report_id, table_name, row_key, column_key FROM cells ORDER BY report_id LIMIT 1")[0]
    province = q(db, "SELECT province FROM reports ORDER BY id LIMIT 1")[0][0]
    return ["/", f"/{d}/reports?_sort=year", f"/{d}/reports/{cell[0]}", f"/{d}/cells/{','.join(cell)}",
            f"/{d}/search?q=" + urllib.parse.quote("政府信息"), "/-/chart",
            f"/{d}/reports.json?province=" + urllib.parse.quote(province)]


def distinct_mix(db: Path, n: int = 400) -> list[str]:
    """Pages nobody asked before: every report page, filtered tables by each province and year."""
    d = db.stem
    ids = [r[0] for r in q(db, f"SELECT id FROM reports ORDER BY id LIMIT {n}")]
    filters = q(db, "SELECT DISTINCT province, year FROM reports")
    return [f"/{d}/reports/{i}" for i in ids] + [
        f"/{d}/reports?province={urllib.parse.quote(p)}&year={y}" for p, y in filters]


def run_load_levels(base: str, pid: int, db: Path, seconds: float) -> list[dict]:
    from .site import run_load

    out = []
    for name, paths in (("the audit's mix (repeated pages)", load_mix(db)),
                        ("distinct pages (report pages, filtered tables)", distinct_mix(db))):
        for clients in (20, 100):
            load1 = os.getloadavg()[0]
            r = run_load(base, paths, clients=clients, seconds=seconds)
            mem = rss_kb(pid)
            r.update(mix=name, load_before=round(load1, 1), load_after=round(os.getloadavg()[0], 1),
                     rss_mb=mem["VmRSS"] // 1024, peak_mb=mem["VmHWM"] // 1024)
            r.pop("paths")
            out.append(r)
    return out
