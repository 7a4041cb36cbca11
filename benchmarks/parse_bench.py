"""Parse throughput: reports per second on one core, HTML pages (~100 KB) and text.

HTML inputs are the report fixtures of tests/fixtures/html padded with the chrome
of a real portal page (a long navigation menu, inline scripts and styles) to
about 100 KB each, outside the report container as on real sites. Text inputs are
the seeds and the real-report text dumps. Each figure is one process (one core), timed in CPU
time (time.process_time) so that other jobs on a shared machine do not skew it.

    .venv/bin/python -m benchmarks.parse_bench [--seconds 3] [--processes 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import time
from pathlib import Path

from parsers import parse_document
from parsers.document import build_record
from parsers.html import read_html

ROOT = Path(__file__).resolve().parent.parent
HTML_FIXTURES = ROOT / "tests" / "fixtures" / "html"
TEXT_INPUTS = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt")) + sorted(
    (ROOT / "tests" / "fixtures" / "real-reports").glob("*.txt"))
TARGET_BYTES = 100_000
HTTP_CHARSET = {"combined_table_2019_http_gbk": "GBK"}


def _chrome(n_bytes: int) -> str:
    """Portal chrome of about n_bytes (UTF-8): menus of column links, a script, a style block."""
    links = []
    i = size = 0
    while size < n_bytes * 0.7:
        links.append(f'<li class="menu-item"><a href="/col/col{1000 + i}/index.html" target="_blank" '
                     f'title="政务公开栏目{i}">政务公开栏目{i}</a></li>')
        size += len(links[-1].encode())
        i += 1
    script = "<script>var menu = " + repr([f"item{k}" for k in range(n_bytes // 60)]) + ";</script>"
    style = "<style>" + " ".join(f".c{k}{{margin:0 {k % 9}px;color:#333}}" for k in range(n_bytes // 120)) + "</style>"
    return f'{style}<div class="nav-more"><ul>{"".join(links)}</ul></div>{script}'


def html_pages() -> list[tuple[str, bytes, str | None]]:
    pages = []
    for path in sorted(HTML_FIXTURES.glob("*.html")):
        name = path.stem
        if name == "news_not_report":
            continue
        data = path.read_bytes()
        pad = TARGET_BYTES - len(data)
        if pad > 0:
            charset = "gbk" if "gbk" in name else "utf-8"
            filler = _chrome(pad).encode(charset)
            data = data.replace(b"</body>", filler + b"</body>", 1)
        pages.append((name, data, HTTP_CHARSET.get(name)))
    return pages


def text_docs() -> list[tuple[str, bytes, None]]:
    return [(p.name, p.read_bytes(), None) for p in TEXT_INPUTS]


def _parse(item) -> None:
    name, data, charset = item
    ctype = f"text/html; charset={charset}" if charset else None
    parse_document(data, source=name, filename=name, content_type=ctype)


def rate(items: list, fn, seconds: float) -> tuple[float, int]:
    """(documents per second, documents parsed) of fn over items, repeated for `seconds`."""
    for item in items:  # warm caches and imports
        fn(item)
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for item in items:
            fn(item)
        done += len(items)
    return done / (time.process_time() - start), done


def _worker(args) -> tuple[float, int]:
    kind, seconds = args
    items = html_pages() if kind == "html" else text_docs()
    return rate(items, _parse, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=0, help="also run N processes in parallel")
    parser.add_argument("--trafilatura", action="store_true", help="time trafilatura on the same pages")
    args = parser.parse_args()

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    print(f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}")

    pages = html_pages()
    sizes = [len(d) for _, d, _ in pages]
    print(f"HTML pages: {len(pages)}, {min(sizes) // 1000}-{max(sizes) // 1000} KB")
    per_s, n = rate(pages, _parse, args.seconds)
    print(f"  parse_document   {per_s:7.1f} reports/s/core  ({1000 / per_s:.2f} ms each, {n} parsed)")

    readings = {}

    def reader(item):
        name, data, charset = item
        readings[name] = read_html(data, source=name, http_charset=charset)

    per_s, _ = rate(pages, reader, args.seconds / 2)
    print(f"    read_html      {1000 / per_s:7.2f} ms  (decode, lxml, container, grids)")
    per_s, _ = rate(pages, lambda item: build_record(readings[item[0]], source=item[0]), args.seconds / 2)
    print(f"    build_record   {1000 / per_s:7.2f} ms  (sections, metadata, tables, checks)")
    if args.trafilatura:
        import trafilatura

        html = pages[0][1].decode("utf-8", "replace")
        per_s, _ = rate([html], lambda h: trafilatura.bare_extraction(h, with_metadata=True), args.seconds / 2)
        print(f"  (trafilatura.bare_extraction on one page: {1000 / per_s:.1f} ms)")

    docs = text_docs()
    sizes = [len(d) for _, d, _ in docs]
    print(f"text reports: {len(docs)}, {min(sizes) // 1000}-{max(sizes) // 1000} KB")
    per_s, n = rate(docs, _parse, args.seconds)
    print(f"  parse_document   {per_s:7.1f} reports/s/core  ({1000 / per_s:.2f} ms each, {n} parsed)")

    if args.processes > 1:
        for kind in ("html", "text"):
            with multiprocessing.Pool(args.processes) as pool:
                results = pool.map(_worker, [(kind, args.seconds)] * args.processes)
            total = sum(r for r, _ in results)
            print(f"{args.processes} processes, {kind}: {total:.1f} reports/s in all")


if __name__ == "__main__":
    main()
