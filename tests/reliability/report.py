"""Run every reliability scenario and write docs/reliability.md.

    .venv/bin/python -m tests.reliability.report [--out docs/reliability.md] [--load-seconds 10]

The same scenarios the tests assert on (tests/test_reliability_*.py,
tests/test_security_site.py, tests/test_cli_bad_input.py); ~5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import bad_input, bounds, faults, kill, scope, site, storage
from .common import ROOT


def _yes(ok: bool) -> str:
    return "held" if ok else "**NOT HELD**"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def section_faults(m: dict, rnd: dict) -> tuple[list[str], bool]:
    ok_all = True
    lines = ["## Faults met by a crawl", "",
             f"河南's 4 sandbox sites ({m['expected_reports']} reports), one fault planted per row, crawled with "
             f"`{' '.join(faults.SETTINGS)}`. *Fired* counts the requests the fault answered. "
             "*Recorded* is the crawl's own record (`fetch_log`, or the archived report). "
             "A second crawl follows with the transport faults gone.", "",
             "| fault | kind | where | fired | recorded outcome | report archived (crawl 1 → 2) | result |",
             "|---|---|---|---|---|---|---|"]
    for p in m["plants"]:
        where = f"{p.site} `{p.path}`"
        arch = "—" if p.archived_first is None else f"{'yes' if p.archived_first else 'no'} → " \
                                                      f"{'yes' if p.archived_second else 'no'}"
        lines.append(f"| {_cell(p.name)} | `{p.kind}` | {_cell(where)} | {p.fired} | {_cell(p.note)} | {arch} "
                     f"| {_yes(p.held)} |")
        ok_all &= p.held
    first, second, flip = m["first"], m["second"], m["charset_flip"]
    checks = [
        ("crawl 1 finished (exit 0) and every site `ok`",
         first["returncode"] == 0 and set(first["statuses"].values()) == {"ok"}),
        (f"crawl 1 archived {first['archived']}/{m['expected_reports']}; the {len(m['permanent'])} missing are "
         "exactly the reports behind a fault that never ended, each in `fetch_log`",
         first["missing"] == m["permanent"]),
        (f"crawl 2 archived {second['archived']}/{m['expected_reports']} (0 lost, 0 unexpected)",
         second["missing"] == [] and second["unexpected"] == [] and second["returncode"] == 0),
        ("charset changed between crawls (GBK bytes, UTF-8 header): a new snapshot, the same report id, "
         f"{len(flip['changed_reports'])} report moved to it, no snapshot lost",
         flip["snapshots"] == 2 and flip["report_points_at_new"] and len(flip["changed_reports"]) == 1
         and not flip["lost_snapshots"]),
        (f"calendar trap: {m['calendar_requests']} calendar pages fetched (bound 10)", m["calendar_requests"] <= 10),
        ("every archived report's cells equal the sandbox's ground truth (xss and malformed tables included)",
         m["wrong_cells"] == []),
        (f"no duplicate reports or snapshots; `nianbao verify`: {m['verify'].summary().split(': ', 1)[1]}",
         m["duplicates"] == 0 and m["verify"].ok),
    ]
    lines += ["", "| check | result |", "|---|---|"] + [f"| {_cell(t)} | {_yes(ok)} |" for t, ok in checks]
    ok_all &= all(ok for _, ok in checks)
    rnd_ok = (rnd["returncode"] == 0 and not rnd["missing"] and not rnd["unexpected"]
              and rnd["statuses_as_planted"] and not rnd["wrong_cells"] and rnd["duplicates"] == 0)
    ok_all &= rnd_ok
    fired = ", ".join(f"{k} ×{v}" for k, v in sorted(rnd["faults"].items()))
    lines += ["", f"**Seeded random faults** (云南, seed 3, {rnd['rate']:.0%} of requests, RETRY_TIMES=4): "
              f"{sum(rnd['faults'].values())} faults fired ({fired}); fetch_log "
              f"{rnd['log_outcomes']}; archived {rnd['archived']}/{rnd['expected_reports']}, "
              f"statuses as planted, cells true — {_yes(rnd_ok)}.", ""]
    return lines, ok_all


def section_kill(kc: dict, kw: dict) -> tuple[list[str], bool]:
    points = ", ".join(f"{k['snapshots']} snapshots/{k['reports']} reports" for k in kc["kills"])
    crawl_ok = (kc["returncode"] == 0 and kc["lost"] == 0 and kc["extra"] == 0 and kc["duplicates"] == 0
                and kc["reports_equal"] and kc["cells_equal"] and kc["snapshots_equal"]
                and kc["integrity"] == "ok" and kc["verify"].ok)
    write_ok = all(k["integrity"] == "ok" and len(k["versions"]) == 1 and k["half_written"] == 0
                   for k in kw["kills"]) and kw["verify"].ok
    lines = ["## kill -9", "",
             "| scenario | times | outcome | result |", "|---|---|---|---|",
             f"| `nianbao crawl` of 河南 killed at seeded random points (at {points}), then run again | "
             f"{len(kc['kills'])} | {kc['reports']}/{kc['expected_reports']} reports; lost {kc['lost']}, "
             f"duplicated {kc['extra'] + kc['duplicates']}; reports, cells, permalinks and snapshot sha256 set equal "
             f"to an uninterrupted crawl's: {kc['reports_equal'] and kc['cells_equal'] and kc['snapshots_equal']}; "
             f"integrity_check {kc['integrity']}; verify: {len(kc['verify'].problems)} mismatches | {_yes(crawl_ok)} |",
             f"| a process saving {kw['bodies']} reports (~200 cells each) per transaction, killed mid-write | "
             f"{len(kw['kills'])} | integrity_check "
             f"{', '.join(sorted({k['integrity'] for k in kw['kills']}))} every time; half-written reports: "
             f"{sum(k['half_written'] for k in kw['kills'])}; each batch all-or-nothing | {_yes(write_ok)} |",
             "",
             "A killed crawl's JOBDIR is not trusted: Scrapy writes its queue index and spider state only on a "
             "clean close, so `nianbao crawl` marks a clean stop and starts again when the mark is missing "
             "(already archived documents become sightings; nothing is stored twice). The killed runs stay in "
             f"`crawl_runs` unfinished ({kc['unfinished_runs']} here).", ""]
    return lines, crawl_ok and write_ok


def section_bad_input(b: dict) -> tuple[list[str], bool]:
    lines = ["## Bad input to every command", "",
             "| command | input | exit | message (one line) | result |", "|---|---|---|---|---|"]
    ok = b["good_archive_unchanged"] and not b["missing_created"]
    for c in b["cases"]:
        msg = c.stderr.strip().splitlines()[-1] if c.stderr.strip() else ""
        msg = msg.replace(str(Path(tempfile.gettempdir())), "$TMP")
        lines.append(f"| {c.command} | {_cell(c.label)} | {c.returncode} | `{_cell(msg[:140])}` | {_yes(c.held)} |")
        ok &= c.held
    lines += ["", f"The good archive the calls pointed at, dumped before and after: unchanged — "
              f"{_yes(b['good_archive_unchanged'])}; no refused call created a file — "
              f"{_yes(not b['missing_created'])}.", ""]
    return lines, ok


def section_site(writes: dict, slow: dict, headers: dict, browser: dict | None, load: dict) -> tuple[list[str], bool]:
    lines = ["## The published site (`nianbao serve`)", "",
             "| attempt | times | outcome | result |", "|---|---|---|---|"]
    refused = sum(a["refused"] for a in writes["attempts"])
    w_ok = refused == len(writes["attempts"]) and writes["file_unchanged"] and not writes["owned_file"]
    lines.append(f"| writes: INSERT, UPDATE, DELETE, DROP, CREATE, REPLACE, ATTACH, VACUUM INTO, PRAGMA, CTE "
                 f"DELETE, load_extension, stacked statements; POSTs to database, table, create, insert | "
                 f"{len(writes['attempts'])} | {refused} refused (HTTP 4xx); file sha256 unchanged | {_yes(w_ok)} |")
    s_ok = all(q["cut"] and q["server_up_after"] for q in slow["queries"])
    for q in slow["queries"]:
        lines.append(f"| pathological SQL `{_cell(q['sql'][:70])}` | 1 | HTTP {q['status']} after {q['seconds']} s "
                     f"(limit 3 s); server answering after | {_yes(q['cut'] and q['server_up_after'])} |")
    h_ok = headers["never_rendered"] and headers["nosniff"]
    lines.append(f"| raw bytes of a page carrying `<script>` | 1 | `{headers['content_type']}`, "
                 f"`{_cell(headers['disposition'] or '—')}`, nosniff, CSP `{headers['csp']}` | {_yes(h_ok)} |")
    b_ok = True
    if browser is None:
        lines.append("| Chromium | — | chromium not installed: not run | **NOT RUN** |")
        b_ok = False
    else:
        for p in browser["pages"]:
            ok = not p["script_ran"] and not p["live_payload_tags"] and (
                p["payload_as_text"] or p["page"] == "crawled xss report page")
            shown = "payload shown as text" if p["payload_as_text"] else "payload stripped by the parser"
            lines.append(f"| Chromium: {p['page']} `{_cell(p['path'])}` | 1 | {shown}; script ran: "
                         f"{p['script_ran']} | {_yes(ok)} |")
            b_ok &= ok
    l_ok = load["errors"] == 0
    lines += ["", "### Load (loopback)", "",
              f"{load['clients']} concurrent clients for {load['seconds']} s over {len(load['paths'])} page kinds "
              "(home, faceted table, report page, cell permalink, search, raw snapshot, chart, JSON): "
              f"**{load['requests']} requests, {load['rps']} req/s, p50 {load['p50_ms']} ms, "
              f"p95 {load['p95_ms']} ms, max {load['max_ms']} ms, error rate {load['error_rate']:.1%}** — "
              f"{_yes(l_ok)}. Server and clients share the machine's {os.cpu_count()} cores.", ""]
    return lines, w_ok and s_ok and h_ok and b_ok and l_ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "reliability.md"))
    ap.add_argument("--load-seconds", type=float, default=10.0)
    args = ap.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nianbao-reliability-") as tmp:
        d = Path(tmp)
        for sub in ("faults", "random", "kill", "writes", "bad", "site", "storage"):
            (d / sub).mkdir()
        print("fault matrix …", flush=True)
        m = faults.run_fault_matrix(d / "faults")
        rnd = faults.run_random_faults(d / "random")
        print("kill -9 …", flush=True)
        kc = kill.run_kill_crawl(d / "kill")
        kw = kill.run_kill_write(d / "writes")
        print("bad input …", flush=True)
        b = bad_input.run_bad_inputs(d / "bad")
        print("site …", flush=True)
        hostile = site.build_hostile_archive(d / "site")
        with site.served(hostile["db"]) as (base, _proc):
            writes = site.run_write_attempts(base, hostile["db"], hostile["db"].stem)
            slow = site.run_slow_queries(base, hostile["db"].stem)
            headers = site.run_snapshot_headers(base, hostile["xss_snapshot"])
            browser = site.run_browser(base, hostile, d / "profile", d / "shots") if site.CHROMIUM else None
            load = site.run_load(base, site.load_paths(hostile), seconds=args.load_seconds)
        print("storing path …", flush=True)
        stored = storage.section(d / "storage")
        print("scope and parse bounds …", flush=True)
        guard = [scope.report(d / "scope"), bounds.report(d / "bounds")]
    parts = [section_faults(m, rnd), section_kill(kc, kw), section_bad_input(b),
             section_site(writes, slow, headers, browser, load), stored, *guard]
    held = all(ok for _, ok in parts)
    head = ["# Reliability report", "",
            "<!-- generated by `.venv/bin/python -m tests.reliability.report`; do not edit by hand -->", "",
            f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.system()} "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, in {time.monotonic() - started:.0f} s. "
            "Everything runs on loopback against the sandbox government web (docs/sandbox.md); the tests "
            "`tests/test_reliability_*.py`, `tests/test_security_site.py` and `tests/test_cli_bad_input.py` "
            "assert the same outcomes.", "",
            f"**Overall: {'everything held — nothing lost, nothing duplicated, no corrupt snapshot' if held else 'SOMETHING DID NOT HOLD: see the rows marked NOT HELD'}.**",
            ""]
    text = "\n".join(head + [line for lines, _ in parts for line in lines]).rstrip() + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({'held' if held else 'NOT HELD'})")
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
