"""A real headless Chromium against `nianbao serve`: home, a faceted table page, a
report page, a cell permalink and the chart. Screenshots go to tests/artifacts/.

Skips only when no chromium binary is installed (CI installs the Debian package).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.archive_fixtures import PT, ZMD, build_demo_archive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    build_demo_archive(path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "serve", "--db", str(path), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"nianbao serve exited: {proc.stdout.read()}")
                time.sleep(0.1)
        else:
            pytest.fail("nianbao serve did not start in 10 s")
        yield base, tmp_path_factory.mktemp("chromium-profile")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def chromium(profile: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "LANG": "zh_CN.UTF-8"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def look(server, path: str, name: str, height: int = 2000) -> str:
    """Dump the DOM after scripts ran, and save a screenshot; return the DOM."""
    base, profile = server
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    chromium(profile, f"--screenshot={shot}", f"--window-size=1280,{height}", base + path)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert struct.unpack(">II", png[16:24]) == (1280, height)
    return chromium(profile, "--dump-dom", base + path)


def test_home_page(server):
    dom = look(server, "/", "home", height=900)
    assert "<title>年报 nianbao — 政府信息公开工作年度报告 archive: demo</title>" in dom
    assert '<a href="/demo">demo</a>' in dom
    assert '<li><a href="/demo/reports">Reports 年度报告</a>' in dom and '<a href="/-/chart">Chart:' in dom


def test_table_page_with_facets(server):
    dom = look(server, "/demo/reports?_sort=year", "reports")
    assert "4 rows" in dom
    for facet in ("province", "year", "level", "format", "check_status"):
        assert f'data-column="{facet}"' in dom, facet
    assert re.search(
        r'href="http://127.0.0.1:\d+/demo/reports\?_sort=year&amp;province=%E6%B2%B3%E5%8D%97%E7%9C%81">'
        r"河南省</a> 2</li>",
        dom,
    )
    assert re.search(r'province=%E4%BA%91%E5%8D%97%E7%9C%81">云南省</a> 1</li>', dom)


def test_report_page(server):
    dom = look(server, f"/demo/reports/{PT}-2022", "report_escaped", height=2400)
    assert '平潭&lt;script&gt;alert("x")&lt;/script&gt;年报' in dom  # shown as text, never run
    assert "<script>alert" not in dom
    dom = look(server, f"/demo/reports/{ZMD}-2021", "report_failing", height=2400)
    assert (
        '<td id="applications-granted-total" class="value failed" title="failed: handled_sum, row_total">'
        in dom
    )
    assert '<a class="source-link" href="https://gov.example.cn/nb/zmd2021.htm"' in dom
    # tall enough that the page need not scroll: headless screenshots of a scrolled page come out blank
    look(server, f"/demo/reports/{ZMD}-2021#applications-carried_over-total", "cell_anchor", height=3200)


def test_chart_page(server):
    dom = look(server, "/-/chart?province=%E6%B2%B3%E5%8D%97%E7%9C%81", "chart", height=1000)
    assert '<h2 class="chart-province">河南省</h2>' in dom
    assert dom.count('<g class="bar"') == 2 and 'data-year="2020"' in dom and 'data-year="2021"' in dom


def test_cell_page_citation(server):
    dom = look(server, f"/demo/cells/{ZMD}-2021,applications,granted,total", "cell_citation", height=1400)
    assert '<dd class="cite-value">99</dd>' in dom
    assert '<dd class="cite-row">三、本年度办理结果 (一)予以公开 <span class="key">granted</span></dd>' in dom
    pinned = re.search(r'class="pinned-link" href="http://127.0.0.1:\d+(/-/pinned/[^"]+)"', dom).group(1)
    assert pinned.startswith(f"/-/pinned/{ZMD}-2021/") and pinned.endswith("/applications/granted/total")
    assert re.search(r'<textarea id="cite-zh"[^>]*>驻马店经济开发区管委会：《', dom)
    page = look(server, pinned, "cell_pinned", height=1200)
    assert '<dd class="cite-value">99</dd>' in page and "这也是当前版本" in page


def test_body_page(server):
    dom = look(server, f"/demo/bodies/{ZMD}", "body", height=2400)
    assert f'<a class="report-link" href="/demo/reports/{ZMD}-2020">{ZMD}-2020</a>' in dom
    assert '<td class="state-on_time" data-year="2021">' in dom
    assert re.search(r'<tr data-key="applications.granted.total">.*?>99</a>', dom, re.S)


def test_province_page(server):
    dom = look(server, "/-/province/henan", "province", height=2400)
    assert '<h1 class="province-name">河南省 <span class="key">41</span></h1>' in dom
    assert '<tr data-code="4117"><th class="gov-city">驻马店市</th>' in dom
    assert f'<a class="body-link" href="/demo/bodies/{ZMD}">驻马店经济开发区管委会</a>' in dom
    assert dom.count('<svg class="chart') >= 2


def test_search_page(server):
    dom = look(server, "/demo/search?q=%E7%BB%8F%E6%B5%8E%E5%BC%80%E5%8F%91", "search", height=1000)
    assert dom.count('<a class="report-link" href="/demo/reports/') == 2
    assert dom.count("<mark>经济开发</mark>") == 2
