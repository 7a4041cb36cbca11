"""A chart of two archive_latency runs side by side (p95 per page kind, before and after).

    .venv/bin/python -m benchmarks.latency_chart before.log after.log --out docs/archive_latency-1m \\
        --title "1,000,000 reports, p95 ms"

Reads the markdown tables archive_latency prints; writes OUT.csv (page, before, after) and
OUT.svg (horizontal bars, the 300 ms target drawn as a line).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from xml.sax.saxutils import escape

TARGET_MS = 300


def p95_by_page(log: Path) -> dict[str, float]:
    out = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[3].replace(".", "").isdigit():
            out[cells[0]] = float(cells[3])
    return out


def svg(rows: list[tuple[str, float, float]], title: str) -> str:
    bar, gap, left, width = 9, 10, 330, 420
    peak = max([TARGET_MS, *(max(b, a) for _, b, a in rows)])
    scale = width / peak
    height = 60 + len(rows) * (2 * bar + gap)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}"'
           ' font-family="sans-serif" font-size="11">',
           f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
           '<rect x="10" y="28" width="10" height="8" fill="#9e9e9e"/><text x="24" y="36">before</text>',
           '<rect x="80" y="28" width="10" height="8" fill="#1565c0"/><text x="94" y="36">after</text>']
    y = 50
    for page, before, after in rows:
        out.append(f'<text x="{left - 6}" y="{y + bar + 3}" text-anchor="end">{escape(page)}</text>')
        for value, colour, dy in ((before, "#9e9e9e", 0), (after, "#1565c0", bar)):
            w = max(1.0, value * scale)
            out.append(f'<rect x="{left}" y="{y + dy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}"/>')
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + dy + bar - 2}">{value:,.0f}</text>')
        y += 2 * bar + gap
    x = left + TARGET_MS * scale
    out.append(f'<line x1="{x:.1f}" y1="44" x2="{x:.1f}" y2="{y}" stroke="#c62828" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{x + 3:.1f}" y="{y + 12}" fill="#c62828">{TARGET_MS} ms</text></svg>')
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="path without extension: .csv and .svg")
    parser.add_argument("--title", default="p95 ms")
    args = parser.parse_args(argv)
    before, after = p95_by_page(args.before), p95_by_page(args.after)
    rows = [(page, before[page], after[page]) for page in after if page in before]
    if not rows:
        parser.error("no page kind in both logs")
    with open(args.out.with_suffix(".csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["page", "before_p95_ms", "after_p95_ms"])
        w.writerows(rows)
    args.out.with_suffix(".svg").write_text(svg(rows, args.title), encoding="utf-8")
    print(f"{len(rows)} page kinds -> {args.out}.csv, {args.out}.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
