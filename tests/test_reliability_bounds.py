"""Every document is parsed within bounds of memory and time (issue 12, item 3).

The hostile files are built here (tests/hostile.py): .docx zip bombs (honest and
lying sizes), a PDF flate bomb, 20,000 PDF pages, a table of rowspan=512
colspan=64 cells, 200,000 nested <div>s. Each goes through `nianbao parse`, then
`nianbao ingest`, then a real crawl of a loopback site serving them between good
reports; the peak resident memory of each run (its worker processes included) is
read with getrusage(RUSAGE_CHILDREN) in a wrapper process of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parsers.bounded import PARSE_MEMORY_MB
from parsers.bounds import MAX_GRID_CELLS, MAX_PDF_PAGES
from tests import hostile
from tests.crawl_support import FAST, q
from tests.loopback_web import Page, column, serve, write_registry

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "tests" / "fixtures" / "html" / "trs_2021_utf8.html"
GOOD_PDF = ROOT / "tests" / "fixtures" / "real-reports" / "009_jiangsu_huaian_city_2024.pdf"
# What a bounded run may peak at: under the parse worker's address-space limit. Unbounded,
# these files took 2–5 GB each (the audit of issue 12).
PEAK_MB = PARSE_MEMORY_MB
# The crawl's workers' limit in the crawl test: the one-line PDF meets it sooner than the default's.
CRAWL_MEMORY_MB = 500
# file -> (exit status of `nianbao parse FILE good.html`, the one line: on stderr for a
# refused file, else the record's first problem)
EXPECTED = {
    "zip_bomb.docx": (2, "zip member word/media/image1.png declares 900 MB (bound 64 MB); not read"),
    "zip_bomb_lying.docx": (2, "damaged zip member word/media/image1.png (BadZipFile)"),
    "flate_bomb.pdf": (2, "a PDF stream inflates to over 64 MB; not read"),
    "many_pages.pdf": (0, f"pdf: 20000 pages; only the first {MAX_PDF_PAGES} read (MAX_PDF_PAGES: a report has tens)"),
    "huge_spans.html": (0, f"html: a table covers over {MAX_GRID_CELLS} grid cells"),
    "deep.html": (0, "html: no report container, headings or tables found"),
}


def run_measured(argv: list[str], *, timeout: float = 600, env: dict | None = None) -> tuple[int, str, str, int]:
    """(exit status, stdout, stderr, peak resident MB of the command and its reaped descendants)."""
    probe = ("import json, resource, subprocess, sys\n"
             "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
             "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
             "print(json.dumps([p.returncode, p.stdout, p.stderr, peak]))")
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(argv)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)
    return tuple(json.loads(done.stdout))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return hostile.write_all(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_is_bounded_and_goes_on(files, name):
    status, line = EXPECTED[name]
    code, out, err, peak = run_measured([sys.executable, "-m", "nianbao", "parse", str(files[name]), str(GOOD)])
    assert peak < PEAK_MB, f"{name}: peak {peak} MB"
    assert code == status, err
    records = [json.loads(r) for r in out.splitlines()]
    assert records[-1]["source"] == str(GOOD) and len(records[-1]["tables"]["applications"]) > 10  # the next file
    if status:
        assert err == f"nianbao parse: {files[name]}: {line}\n"
        assert len(records) == 1
    else:
        assert err == ""
        assert records[0]["source"] == str(files[name])
        assert any(p.startswith(line) for p in records[0]["problems"]), records[0]["problems"]


BIG_HTML = b"<html><body>" + "<p>一二三</p>".encode() * 2_400_000 + b"</body></html>"


def test_time_limit(tmp_path):
    """What the structural bounds do not know: a page of 2.4 million elements (a 38 MB
    HTML file, ~25 s unbounded) meets the time limit; the next file is parsed."""
    import os

    big = tmp_path / "big.html"
    big.write_bytes(BIG_HTML)
    code, out, err, peak = run_measured([sys.executable, "-m", "nianbao", "parse", str(big), str(GOOD)],
                                        env={**os.environ, "NIANBAO_PARSE_TIMEOUT": "0.5"})
    assert code == 2
    assert err == f"nianbao parse: {big}: parse stopped after 0.5 s (time limit)\n"
    assert json.loads(out)["source"] == str(GOOD)
    assert peak < PEAK_MB


def test_memory_limit(tmp_path):
    """A 3.5 KB PDF printing one line of 3 million characters (gigabytes of layout
    objects; no structural bound knows the shape) meets the memory limit, here 300 MB."""
    import os

    pdf = tmp_path / "one_line.pdf"
    pdf.write_bytes(hostile.one_line_pdf())
    code, out, err, peak = run_measured([sys.executable, "-m", "nianbao", "parse", str(pdf), str(GOOD)],
                                        env={**os.environ, "NIANBAO_PARSE_MEMORY_MB": "300"})
    assert code == 2
    assert err == f"nianbao parse: {pdf}: parse stopped at the memory limit (300 MB)\n"
    assert json.loads(out)["source"] == str(GOOD)
    assert peak < 300


def test_ingest_is_bounded(files, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, path in files.items():
        (folder / name).write_bytes(path.read_bytes())
    (folder / "zz_good.html").write_bytes(GOOD.read_bytes())
    db = tmp_path / "a.db"
    code, out, err, peak = run_measured([sys.executable, "-m", "nianbao", "ingest", str(folder), "--db", str(db)])
    assert peak < PEAK_MB
    assert code == 2
    refused = sorted(n for n, (status, _) in EXPECTED.items() if status)
    assert err.splitlines() == [f"nianbao ingest: skipped {folder / n}: {folder / n}: {EXPECTED[n][1]}"
                                for n in refused]
    assert out.startswith(f"{len(files) + 1} files: 1 reports, {len(files) - len(refused)} not reports, "
                          f"{len(refused)} rejected")
    assert q(db, "SELECT source_url FROM reports") == [("file:in/zz_good.html",)]


def test_crawl_meeting_hostile_files_records_them_and_goes_on(files, tmp_path):
    """A sandbox-style crawl (loopback, parse worker processes) of a column listing every
    hostile file between good reports: it finishes, each hostile file is a snapshot with
    its one-line problem, the good reports are archived, and the crawl's peak memory
    (workers included) stays bounded."""
    pages: dict[str, Page] = {}
    links = []
    for n, (name, path) in enumerate(sorted(files.items())):
        ctype = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "pdf": "application/pdf", "html": "text/html; charset=utf-8"}[name.rsplit(".", 1)[1]]
        pages[f"/ndbg/{name}"] = Page(path.read_bytes(), ctype)
        links.append((f"/ndbg/{name}", f"郑州市{2008 + n}年政府信息公开工作年度报告"))
    pages["/ndbg/one_line.pdf"] = Page(hostile.one_line_pdf(), "application/pdf")
    links.append(("/ndbg/one_line.pdf", "郑州市2007年政府信息公开工作年度报告"))
    pages["/ndbg/good.html"] = Page(GOOD.read_bytes())
    pages["/ndbg/good.pdf"] = Page(GOOD_PDF.read_bytes(), "application/pdf")
    links += [("/ndbg/good.html", "郑州市2021年政府信息公开工作年度报告"),
              ("/ndbg/good.pdf", "郑州市2024年政府信息公开工作年度报告")]
    pages["/ndbg/index.html"] = Page(column(links))
    with serve(pages) as site:
        registry = write_registry(tmp_path / "registry.yml", [
            {"slug": "zhengzhou", "name": "郑州市人民政府", "code": "4101", "portal": site.url("/ndbg/index.html"),
             "columns": [site.url("/ndbg/index.html")]}])
        db = tmp_path / "a.db"
        code, out, err, peak = run_measured(
            [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(registry),
             "--db", str(db), "--progress", "0", *FAST, "-s", "NIANBAO_PARSE_PROCESSES=2",
             "-s", f"NIANBAO_PARSE_MEMORY_MB={CRAWL_MEMORY_MB}"])
    assert code == 0, err[-3000:]
    assert "Traceback" not in err
    assert peak < 2 * CRAWL_MEMORY_MB, f"crawl peak {peak} MB"
    problems = {}
    for url, problem in q(db, "SELECT s.url, p.problem FROM problems p JOIN snapshots s ON s.id = p.snapshot_id"):
        problems.setdefault(url, []).append(problem)
    expected = {**EXPECTED, "one_line.pdf": (2, f"parse stopped at the memory limit ({CRAWL_MEMORY_MB} MB)")}
    for name, (status, line) in expected.items():
        url = site.url(f"/ndbg/{name}")
        want = f"parse: {url}: {line}" if status else line
        assert any(p.startswith(want) for p in problems.get(url, [])), (name, problems.get(url))
    assert {u for (u,) in q(db, "SELECT source_url FROM reports")} == {site.url("/ndbg/good.html"),
                                                                      site.url("/ndbg/good.pdf")}
    assert q(db, "SELECT count(*) FROM snapshots")[0][0] == len(expected) + 2
