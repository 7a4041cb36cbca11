"""`nianbao demo`: sandbox → crawl → archive → Datasette, as a user runs it."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sandbox import world

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_crawls_builds_and_serves(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "demo", "--province", "yunnan", "--dir", str(tmp_path / "demo"),
         "--port", str(port), "--slow", "0.05"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline, answer = time.time() + 150, None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/demo/reports.json?_size=0", timeout=5) as r:
                    answer = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert answer is not None, proc.stderr.read()[-2000:] if proc.poll() is not None else "no Datasette"
        expected = world.expected_reports(world.build_world(0), "yunnan")
        assert answer["filtered_table_rows_count"] == len(expected) == 75
        with urllib.request.urlopen(f"{base}/demo/site_status.json?_shape=array", timeout=5) as r:
            statuses = {row["site"]: row["status"] for row in json.load(r)}
        assert statuses == {"yunnan": "ok", "yunnan-kunming": "ok", "yunnan-qujing": "robots_disallowed",
                            "yunnan-dali": "no_reports", "yunnan-yuxi": "error"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    # the site serves a published copy of the demo archive (nianbao serve, docs/archive.md)
    assert re.search(rf"serving {re.escape(str(tmp_path / 'demo' / 'demo.db'))} \(copy [\w-]+\) at {re.escape(base)}/", out), out
    assert "[crawl yunnan] sites 5/5 done" in err  # progress was shown
