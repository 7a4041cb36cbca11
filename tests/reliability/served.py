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
import urllib.parse
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
