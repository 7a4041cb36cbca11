"""Generate a synthetic archive of N reports (~200 cells each) with the real schema.

    .venv/bin/python -m benchmarks.archive_generate --reports 1000000 --out /tmp/bench.db

Bodies are real counties x departments (沾益区教育局 ...), five report years each
(2019-2020 in the 2019 template, 2021-2023 in the 2021 template), so facets,
permalinks and the per-province totals look like the real archive. Rows are
written with executemany in large transactions, in primary-key order; what a
real archive has and this one leaves out: snapshots/blobs (reports point at
none) and passed checks (only failed checks are stored; the per-report
counts are set as if all ran).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path

import archive
from archive import permalinks as pl
from archive import regions
from archive.crossyear import refresh_province_year
from archive.rows import OUTCOME_GROUPS, REVIEW_SUMS, canonical_body_id, days_late
from parsers import keys

DEPARTMENTS = (
    "人民政府",
    "人民政府办公室",
    "教育局",
    "公安局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "城市管理局",
    "司法局",
    "发展和改革局",
    "科学技术局",
    "工业和信息化局",
    "行政审批局",
    "信访局",
    "税务局",
    "人民防空办公室",
    "供销合作社",
    "档案馆",
    "融媒体中心",
    "经济开发区管委会",
    "高新技术产业园区管委会",
    "城关镇人民政府",
    "新华街道办事处",
    "东城街道办事处",
    "西关镇人民政府",
    "南湖乡人民政府",
)
YEARS = (2019, 2020, 2021, 2022, 2023)
OVERVIEW = (
    "{org}{year}年深入贯彻落实《中华人民共和国政府信息公开条例》,围绕{topic}等重点领域加大主动公开力度,"
    "全年主动公开政府信息{n}条,依申请公开办理及时规范。"
)
TOPICS = (
    "乡村振兴",
    "优化营商环境",
    "疫情防控",
    "重大项目",
    "财政预决算",
    "民生保障",
    "教育医疗",
    "生态环境",
)


def cell_keys(fmt: str) -> list[tuple[str, str, str]]:
    out = []
    for row, _label, _item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        out += [("active_disclosure", row, c) for c in cols]
    for row, _g, _l in keys.APPLICATION_ROWS[fmt]:
        out += [("applications", row, c) for c in keys.APPLICATION_COLUMNS]
    out += [("review_litigation", pl.REVIEW_ROW_KEY, c) for c in keys.REVIEW_COLUMNS]
    return sorted(out)  # primary-key order within a report: appends at the B-tree's end


def bodies(n_bodies: int, rng: random.Random) -> list[dict]:
    counties = [d for d in regions.divisions().values() if d.level == "county"]
    out, seen = [], set()
    while len(out) < n_bodies:
        county = counties[len(out) % len(counties)]
        dept = DEPARTMENTS[(len(out) // len(counties)) % len(DEPARTMENTS)]
        name = county.name + dept
        if name in seen:
            name += str(len(out))
        seen.add(name)
        place = regions._place_of(county.code)
        level = (
            "county"
            if dept == "人民政府"
            else "township"
            if dept.endswith(("镇人民政府", "乡人民政府", "街道办事处"))
            else "zone"
            if "管委会" in dept
            else "department"
        )
        out.append({"id": pl.body_id(name, place.code6), "name": name, "level": level, **place.__dict__})
    return sorted(out, key=lambda b: b["id"])


def generate(path: Path, n_reports: int, *, seed: int = 1, batch: int = 2000) -> dict:
    started = time.perf_counter()
    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    db = archive.open_archive(path)
    conn = db.conn
    conn.execute("PRAGMA journal_mode=OFF")  # a throw-away build: no rollback journal, no WAL
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-2000000")  # 2 GB page cache
    fmt_keys = {"2019": cell_keys("2019"), "2021": cell_keys("2021")}
    all_bodies = bodies((n_reports + len(YEARS) - 1) // len(YEARS), rng)
    small = [rng.choice((0, 0, 0, 1, 1, 2, 3, 5, 8, 13)) for _ in range(4096)]
    counts = {"reports": 0, "cells": 0}
    reports, cells, sections, checks, outcomes, body_rows = [], [], [], [], [], []

    def flush():
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bodies (id, name, level, province, province_code, city, city_code, county,"
                         " county_code, canonical_id) VALUES (?,?,?,?,?,?,?,?,?,?)", body_rows)
        conn.executemany(
            "INSERT INTO reports (id, body_id, year, title, organization, level, province, province_code, city,"
            " city_code, county, county_code, published, days_late, format, source_url, check_status,"
            " checks_passed, checks_failed, checks_not_checkable) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            reports,
        )
        conn.executemany(
            "INSERT INTO cells (report_id, table_name, row_key, column_key, value, raw) VALUES (?,?,?,?,?,?)",
            cells,
        )
        conn.executemany("INSERT INTO sections VALUES (?,?,?,?,?,?)", sections)
        conn.executemany("INSERT INTO checks VALUES (?,?,?,?,?,?,?,?,?)", checks)
        conn.executemany(f"INSERT INTO report_outcomes VALUES ({','.join('?' * (14 + len(REVIEW_SUMS)))})",
                         outcomes)
        conn.execute("COMMIT")
        for rows in (reports, cells, sections, checks, outcomes, body_rows):
            rows.clear()

    k = 0
    for body in all_bodies:
        if counts["reports"] >= n_reports:
            break
        body_rows.append(
            tuple(
                body[c]
                for c in (
                    "id",
                    "name",
                    "level",
                    "province",
                    "province_code",
                    "city",
                    "city_code",
                    "county",
                    "county_code",
                )
            )
            + (canonical_body_id(body["name"], body["id"][:6]),)
        )
        for year in YEARS:
            if counts["reports"] >= n_reports:
                break
            fmt = "2019" if year < 2021 else "2021"
            rid = pl.report_id(body["id"], year)
            deadline = date(year + 1, 1, 31)  # 20% late by 1-120 days
            when = deadline + timedelta(
                days=rng.randint(1, 120) if rng.random() < 0.2 else -rng.randint(0, 25)
            )
            published = when.isoformat()
            failed = rng.random() < 0.15
            values = {}
            for table, row, col in fmt_keys[fmt]:
                v = small[k % 4096]
                k += 1
                values[(table, row, col)] = v
                cells.append((rid, table, row, col, v, str(v)))
            reports.append(
                (
                    rid,
                    body["id"],
                    year,
                    f"{body['name']}{year}年政府信息公开工作年度报告",
                    body["name"],
                    body["level"],
                    body["province"],
                    body["province_code"],
                    body["city"],
                    body["city_code"],
                    body["county"],
                    body["county_code"],
                    published,
                    days_late(published, year, body["level"]),
                    fmt,
                    f"https://www.example.gov.cn/zfxxgk/{rid}.html",
                    "failed" if failed else "passed",
                    44 if failed else 46,
                    2 if failed else 0,
                    0,
                )
            )
            sections.append(
                (
                    pl.section_id(rid, "overview"),
                    rid,
                    "overview",
                    1,
                    "总体情况",
                    OVERVIEW.format(org=body["name"], year=year, topic=TOPICS[k % len(TOPICS)], n=k % 997),
                )
            )
            if failed:
                for col in ("natural_person", "total"):
                    checks.append(
                        (
                            pl.check_id(rid, "balance", "applications", col),
                            rid,
                            "balance",
                            "applications",
                            col,
                            "failed",
                            5,
                            6,
                            "",
                        )
                    )
            outcome = [rid, body["province_code"], body["province"], year]
            for rows in OUTCOME_GROUPS.values():
                outcome.append(sum(values.get(("applications", r, "total"), 0) for r in rows))
            outcome += [values.get(("review_litigation", "counts", c)) for c in REVIEW_SUMS]
            outcomes.append(tuple(outcome))
            counts["reports"] += 1
            counts["cells"] += len(fmt_keys[fmt])
        if len(reports) >= batch:
            flush()
    flush()
    for province_code, year in conn.execute(
        "SELECT DISTINCT province_code, year FROM report_outcomes"
    ).fetchall():
        conn.execute("BEGIN")
        refresh_province_year(conn, province_code, year)
        conn.execute("COMMIT")
    conn.execute("ANALYZE")  # the query planner picks the facet indexes with statistics
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["bytes"] = path.stat().st_size
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    counts = generate(args.out, args.reports)
    print(
        f"{counts['reports']:,} reports, {counts['cells']:,} cells in {counts['seconds']} s;"
        f" {counts['bytes'] / 1e9:.2f} GB -> {args.out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
