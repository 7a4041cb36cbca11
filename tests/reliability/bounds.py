"""Every document is parsed within bounds of memory and time (issue 12, item 3).

The hostile files are built on the spot (tests/hostile.py): .docx zip bombs (honest
and lying sizes), a PDF flate bomb, 20,000 PDF pages, a table of rowspan=512 colspan=64
cells, 200,000 nested <div>s, a PDF printing one line of 3 million characters, a page
of 2.4 million elements. Each goes through `nianbao parse` (followed by a good report,
which must still be parsed), `nianbao ingest`, and a real crawl of a loopback site
serving them between good reports. The peak resident memory of each run (its worker
processes included) is read with getrusage(RUSAGE_CHILDREN) in a wrapper process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from parsers.bounded import PARSE_MEMORY_MB
from parsers.bounds import MAX_GRID_CELLS, MAX_PDF_PAGES
from tests import hostile
from tests.crawl_support import FAST, q
from tests.loopback_web import Page, column, serve, write_registry

from .common import ROOT

GOOD = ROOT / "tests" / "fixtures" / "html" / "trs_2021_utf8.html"
GOOD_PDF = ROOT / "tests" / "fixtures" / "real-reports" / "009_jiangsu_huaian_city_2024.pdf"
# What a bounded run may peak at: under the parse worker's address-space limit. Unbounded,
# such files took 2–5 GB each (the audit of issue 12).
PEAK_MB = PARSE_MEMORY_MB
# The crawl's workers' limit in the crawl scenario: the one-line PDF meets it sooner.
CRAWL_MEMORY_MB = 500
# file -> (what it is, exit status of `nianbao parse FILE good.html`, the one line: on
# stderr for a refused file, else the start of one of the record's problems)
EXPECTED = {
    "zip_bomb.docx": ("a .docx whose document.xml inflates to 900 MB (blank space)", 2,
                      "zip member word/document.xml declares 900 MB (bound 64 MB); not read"),
    "zip_bomb_lying.docx": ("the same, its document.xml declaring 1 KB", 2,
                            "damaged zip member word/document.xml (BadZipFile)"),
    "flate_bomb.pdf": ("a PDF whose content stream inflates to 900 MB", 2,
                       "a PDF stream inflates to over 64 MB; not read"),
    "many_pages.pdf": ("a PDF of 20,000 pages", 0,
                       f"pdf: 20000 pages; only the first {MAX_PDF_PAGES} read (MAX_PDF_PAGES: a report has tens)"),
    "huge_spans.html": ("a table of 1,600 cells with rowspan=512 colspan=64", 0,
                        f"html: a table covers over {MAX_GRID_CELLS} grid cells"),
    "deep.html": ("200,000 nested `<div>`s", 0, "html: no report container, headings or tables found"),
}
BIG_HTML = b"<html><body>" + "<p>一二三</p>".encode() * 2_400_000 + b"</body></html>"


def run_measured(argv: list[str], *, timeout: float = 600, env: dict | None = None) -> dict:
    """Run argv; its exit status, stdout, stderr and peak resident MB (with its reaped descendants)."""
    probe = ("import json, resource, subprocess, sys\n"
             "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
             "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
             "print(json.dumps([p.returncode, p.stdout, p.stderr, peak]))")
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(argv)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)
    code, out, err, peak = json.loads(done.stdout)
    return {"code": code, "out": out, "err": err, "peak_mb": peak}


def _parse(path: Path, env: dict | None = None) -> dict:
    run = run_measured([sys.executable, "-m", "nianbao", "parse", str(path), str(GOOD)],
                       env={**os.environ, **(env or {})})
    records = [json.loads(line) for line in run["out"].splitlines()]
    run["records"] = records
    run["next_parsed"] = bool(records) and records[-1]["source"] == str(GOOD) and \
        len(records[-1]["tables"].get("applications", {})) > 10
    return run


def parse_case(name: str, path: Path) -> dict:
    """`nianbao parse` of one hostile file then a good report: the outcome and whether it held."""
    _what, status, line = EXPECTED[name]
    run = _parse(path)
    if status:
        said = run["err"].strip()
        held = run["err"] == f"nianbao parse: {path}: {line}\n" and len(run["records"]) == 1
    else:
        problems = run["records"][0]["problems"] if len(run["records"]) == 2 else []
        said = next((p for p in problems if p.startswith(line)), f"(not found in {problems})")
        held = run["err"] == "" and said.startswith(line)
    run.update(name=name, size=path.stat().st_size, said=said,
               held=held and run["code"] == status and run["next_parsed"] and run["peak_mb"] < PEAK_MB)
    return run


def run_time_limit(workdir: Path) -> dict:
    """A page of 2.4 million elements (38 MB; ~25 s unbounded) under a 0.5 s time limit."""
    big = workdir / "big.html"
    big.write_bytes(BIG_HTML)
    run = _parse(big, {"NIANBAO_PARSE_TIMEOUT": "0.5"})
    line = f"nianbao parse: {big}: parse stopped after 0.5 s (time limit)\n"
    run.update(size=big.stat().st_size, said=run["err"].strip(),
               held=run["code"] == 2 and run["err"] == line and run["next_parsed"] and run["peak_mb"] < PEAK_MB)
    return run


def run_memory_limit(workdir: Path, limit_mb: int = 300) -> dict:
    """A 3.5 KB PDF printing one line of 3 million characters (gigabytes of layout objects;
    no structural bound knows the shape) under a `limit_mb` memory limit."""
    pdf = workdir / "one_line.pdf"
    pdf.write_bytes(hostile.one_line_pdf())
    run = _parse(pdf, {"NIANBAO_PARSE_MEMORY_MB": str(limit_mb)})
    line = f"nianbao parse: {pdf}: parse stopped at the memory limit ({limit_mb} MB)\n"
    run.update(size=pdf.stat().st_size, said=run["err"].strip(), limit_mb=limit_mb,
               held=run["code"] == 2 and run["err"] == line and run["next_parsed"] and run["peak_mb"] < limit_mb)
    return run


def run_ingest(files: dict[str, Path], workdir: Path) -> dict:
    folder = workdir / "in"
    folder.mkdir()
    for name, path in files.items():
        (folder / name).write_bytes(path.read_bytes())
    (folder / "zz_good.html").write_bytes(GOOD.read_bytes())
    db = workdir / "ingest.db"
    run = run_measured([sys.executable, "-m", "nianbao", "ingest", str(folder), "--db", str(db)])
    refused = sorted(n for n, (_, status, _) in EXPECTED.items() if status)
    run.update(folder=folder, refused=refused, files=len(files) + 1,
               reports=q(db, "SELECT source_url FROM reports"))
    run["held"] = (run["code"] == 2 and run["peak_mb"] < PEAK_MB
                   and run["err"].splitlines() == [f"nianbao ingest: skipped {folder / n}: {EXPECTED[n][2]}"
                                                   for n in refused]
                   and run["reports"] == [("file:in/zz_good.html",)])
    return run


def run_crawl(files: dict[str, Path], workdir: Path) -> dict:
    """A crawl (2 parse worker processes, limited to CRAWL_MEMORY_MB) of a column listing
    every hostile file, the one-line PDF and two good reports."""
    pages: dict[str, Page] = {}
    links = []
    types = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "pdf": "application/pdf", "html": "text/html; charset=utf-8"}
    bodies = {name: path.read_bytes() for name, path in sorted(files.items())}
    bodies["one_line.pdf"] = hostile.one_line_pdf()
    for n, (name, body) in enumerate(bodies.items()):
        pages[f"/ndbg/{name}"] = Page(body, types[name.rsplit(".", 1)[1]])
        links.append((f"/ndbg/{name}", f"郑州市{2007 + n}年政府信息公开工作年度报告"))
    pages["/ndbg/good.html"] = Page(GOOD.read_bytes())
    pages["/ndbg/good.pdf"] = Page(GOOD_PDF.read_bytes(), "application/pdf")
    links += [("/ndbg/good.html", "郑州市2021年政府信息公开工作年度报告"),
              ("/ndbg/good.pdf", "郑州市2024年政府信息公开工作年度报告")]
    pages["/ndbg/index.html"] = Page(column(links))
    with serve(pages) as site:
        registry = write_registry(workdir / "registry.yml", [
            {"slug": "zhengzhou", "name": "郑州市人民政府", "code": "4101", "portal": site.url("/ndbg/index.html"),
             "columns": [site.url("/ndbg/index.html")]}])
        db = workdir / "crawl.db"
        run = run_measured(
            [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(registry),
             "--db", str(db), "--progress", "0", *FAST, "-s", "NIANBAO_PARSE_PROCESSES=2",
             "-s", f"NIANBAO_PARSE_MEMORY_MB={CRAWL_MEMORY_MB}"])
    problems: dict[str, list[str]] = {}
    # a problem is on the snapshot (no report), or on the report made from it (the page that
    # linked a file may give it the body and year that make it a report: archive.document's context)
    for url, problem in q(db, "SELECT s.url, p.problem FROM problems p JOIN snapshots s ON s.id = p.snapshot_id "
                              "UNION ALL SELECT s.url, p.problem FROM problems p JOIN reports r ON r.id = p.report_id "
                              "JOIN snapshots s ON s.id = r.snapshot_id"):
        problems.setdefault(url, []).append(problem)
    expected = {name: (status, line) for name, (_, status, line) in EXPECTED.items()}
    expected["one_line.pdf"] = (2, f"parse stopped at the memory limit ({CRAWL_MEMORY_MB} MB)")
    recorded = {}
    for name, (status, line) in expected.items():
        url = site.url(f"/ndbg/{name}")
        # a refused file: archive.document's "parse failed: <exception>: <url>: <line>"
        recorded[name] = next((p for p in problems.get(url, [])
                               if ((p.startswith("parse failed: ") and f"{url}: {line}" in p) if status
                                   else p.startswith(line))), None)
    run.update(site=site, recorded=recorded,
               reports={u for (u,) in q(db, "SELECT source_url FROM reports")},
               good_urls={site.url("/ndbg/good.html"), site.url("/ndbg/good.pdf")},
               refused_urls={site.url(f"/ndbg/{n}") for n, (status, _) in expected.items() if status},
               snapshots=q(db, "SELECT count(*) FROM snapshots")[0][0], documents=len(bodies) + 2)
    run["held"] = (run["code"] == 0 and "Traceback" not in run["err"] and run["peak_mb"] < 2 * CRAWL_MEMORY_MB
                   and all(recorded.values()) and run["good_urls"] <= run["reports"]
                   and not run["reports"] & run["refused_urls"]
                   and run["snapshots"] == run["documents"])
    return run


def report(workdir: Path) -> tuple[list[str], bool]:
    """Run every scenario; the docs/reliability.md section and whether everything held."""
    from parsers.bounds import MAX_GRID_CELLS, MAX_PDF_PAGES, MAX_PDF_STREAM_BYTES, MAX_ZIP_MEMBER_BYTES

    from .report import _cell, _yes

    files = hostile.write_all(workdir / "files")
    lines = ["## Parsing within bounds of memory and time", "",
             "Hostile files built by `tests/hostile.py`. *Peak* is the resident memory of the whole run, its parse "
             f"worker included (getrusage of the reaped children); the parse worker's limit is {PEAK_MB} MB of "
             "address space and 120 s (PDFs, images and .doc: plus the OCR's or the conversion's own budget). Every `nianbao parse` is followed by a good report, which must still be "
             "parsed.", "",
             "| file | size | run | exit | one line | peak | next parsed | result |",
             "|---|---|---|---|---|---|---|---|"]
    ok_all = True
    rel = str(workdir)
    for name in sorted(EXPECTED):
        run = parse_case(name, files[name])
        ok_all &= run["held"]
        lines.append(f"| {_cell(EXPECTED[name][0])} (`{name}`) | {run['size'] / 1024:,.0f} KB | `nianbao parse` | "
                     f"{run['code']} | {_cell(run['said'].replace(rel, '$TMP'))} | {run['peak_mb']} MB | "
                     f"{'yes' if run['next_parsed'] else 'no'} | {_yes(run['held'])} |")
    (workdir / "time").mkdir()
    (workdir / "memory").mkdir()
    for what, run in (("a page of 2.4 million elements, `NIANBAO_PARSE_TIMEOUT=0.5`",
                       run_time_limit(workdir / "time")),
                      ("a PDF printing one line of 3 million characters, `NIANBAO_PARSE_MEMORY_MB=300`",
                       run_memory_limit(workdir / "memory"))):
        ok_all &= run["held"]
        lines.append(f"| {_cell(what)} | {run['size'] / 1024:,.0f} KB | `nianbao parse` | {run['code']} | "
                     f"{_cell(run['said'].replace(rel, '$TMP'))} | {run['peak_mb']} MB | "
                     f"{'yes' if run['next_parsed'] else 'no'} | {_yes(run['held'])} |")
    (workdir / "ingest").mkdir()
    ing = run_ingest(files, workdir / "ingest")
    ok_all &= ing["held"]
    lines.append(f"| all six and a good report in one folder | — | `nianbao ingest` | {ing['code']} | "
                 f"{len(ing['refused'])} `skipped` lines; {_cell(ing['out'].strip().split(' -> ')[0])} | "
                 f"{ing['peak_mb']} MB | yes (1 report) | {_yes(ing['held'])} |")
    (workdir / "crawl").mkdir()
    cr = run_crawl(files, workdir / "crawl")
    ok_all &= cr["held"]
    recorded = sum(1 for v in cr["recorded"].values() if v)
    lines.append(f"| all six, the one-line PDF and 2 good reports on a loopback site | — | `nianbao crawl` "
                 f"(2 workers, {CRAWL_MEMORY_MB} MB each) | {cr['code']} | {recorded}/{len(cr['recorded'])} "
                 f"recorded as problems of their snapshots (`parse failed: …`); {cr['snapshots']} snapshots | "
                 f"{cr['peak_mb']} MB | yes (the 2 good reports; {len(cr['reports']) - 2} hostile files read as far as "
                 f"their bounds, as reports) | {_yes(cr['held'])} |")
    lines += ["", f"Bounds (`parsers/bounds.py`): zip members {MAX_ZIP_MEMBER_BYTES // 2**20} MB each declared and "
              f"inflated, 256 MB in all, 2,000 members; PDF streams {MAX_PDF_STREAM_BYTES // 2**20} MB each "
              f"decoded (Flate, LZW; /DL declared), 256 MB in all; {MAX_PDF_PAGES} PDF pages; {MAX_GRID_CELLS:,} "
              "grid cells a table; trafilatura only for pages under 1 M characters. The audit's unbounded "
              "figures for the same shapes: 3.7 GB and 4 min (zip bomb), 2 GB (flate bomb), 5 GB and 54 s "
              "(spans), 1.5 GB (20,000 pages), 8.2 GB for a crawl.", ""]
    return lines, ok_all


def stuck(seconds: float, what: str = "") -> int:
    """In a worker: sit `seconds` with SIGALRM blocked — what a parse stuck in a native
    call looks like to the worker's alarm (it cannot fire). Returns the worker's pid."""
    import signal
    import time

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        time.sleep(seconds)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    return os.getpid()
