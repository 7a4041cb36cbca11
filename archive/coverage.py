"""Which governments must publish a report, and whether they did.

Every people's government of a province, a city and a county (the bundled division
list, archive/data, so the site needs nothing outside the package) must publish its
own report each year by 31 March of the next year (archive/rows.py `deadline`). The
`divisions` table lists them; the `coverage` view sets them against report years:

  on_time / late / unknown_date (found, publish date unknown) / missing / not_yet_due

A government's report is a report of level province/city/county whose body is placed
in that division (the division code starts the report id, so the match is a range of
the primary key). Placeholder cities (市辖区, 县, 省直辖县级行政区划) are not
governments and are left out (their counties are listed under the province), and so are
the development zones the code list gives county codes (71-80, or a zone's name): their
committees are listed with the other bodies found, not as governments.

Provinces are named in many ways: 河南, 河南省, henan, 41 or 410000 all resolve.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from .regions import divisions, short_name
from .rows import deadline

PROVINCE_PINYIN = {
    "11": "beijing", "12": "tianjin", "13": "hebei", "14": "shanxi", "15": "neimenggu", "21": "liaoning",
    "22": "jilin", "23": "heilongjiang", "31": "shanghai", "32": "jiangsu", "33": "zhejiang", "34": "anhui",
    "35": "fujian", "36": "jiangxi", "37": "shandong", "41": "henan", "42": "hubei", "43": "hunan",
    "44": "guangdong", "45": "guangxi", "46": "hainan", "50": "chongqing", "51": "sichuan", "52": "guizhou",
    "53": "yunnan", "54": "xizang", "61": "shaanxi", "62": "gansu", "63": "qinghai", "64": "ningxia",
    "65": "xinjiang",
}
EXTRA_ALIASES = {"15": ("inner mongolia", "nei mongol"), "54": ("tibet",), "61": ("shaanxi sheng",)}
FIRST_COVERED_YEAR = 2008  # the 2008 条例: the first report year


# The 统计用区划代码 give county-level codes 71-80 to development zones and similar areas
# (郑州经济技术开发区 410171); their committees are not people's governments. Names say it
# too, when a zone has an ordinary code.
_ZONE_CODES = range(71, 81)
_ZONE_NAME = re.compile(r"开发区|示范区|实验区|试验区|集聚区|园区|管理区|高新区")


def is_zone(d) -> bool:
    return d.level == "county" and (int(d.code[4:6]) in _ZONE_CODES or _ZONE_NAME.search(d.name) is not None)


def _is_placeholder(d) -> bool:
    return d.level == "city" and d.parent is not None and d.name == divisions()[d.parent].name


@cache
def governments() -> list[dict]:
    """Rows of the `divisions` table: every government that must publish, in code order."""
    out = []
    for code, d in sorted(divisions().items()):
        if _is_placeholder(d) or is_zone(d):
            continue
        province = code[:2]
        city = code[:4] if len(code) >= 4 else None
        city_d = divisions().get(city) if city else None
        out.append({
            "code": code,
            "name": d.name,
            "level": d.level,
            "code6": code.ljust(6, "0"),
            "province_code": province,
            "province": divisions()[province].name,
            "city_code": city if city_d is not None and not _is_placeholder(city_d) else None,
            "city": city_d.name if city_d is not None and not _is_placeholder(city_d) else None,
        })
    return out


@cache
def province_aliases() -> dict[str, str]:
    """Every accepted spelling (lower case) -> 2-digit province code."""
    out = {}
    for code, d in divisions().items():
        if d.level != "province":
            continue
        for alias in (d.name, short_name(d.name), code, code.ljust(6, "0"), PROVINCE_PINYIN.get(code, ""),
                      *EXTRA_ALIASES.get(code, ())):
            if alias:
                out[alias.lower()] = code
    for code, short in AUTONOMOUS_SHORT.items():
        out[short] = code
    return out


# The short names people write for the autonomous regions (the suffix rule would strip
# 广西壮族自治区 to nothing).
AUTONOMOUS_SHORT = {"15": "内蒙古", "45": "广西", "54": "西藏", "64": "宁夏", "65": "新疆"}


def province_short(code: str) -> str:
    """河南 for 41, 广西 for 45."""
    return AUTONOMOUS_SHORT.get(code) or short_name(province_name(code)) or province_name(code)


def resolve_province(text: str | None) -> str | None:
    """2-digit code of the province named by text (河南, 河南省, henan, 41, 410000), or None."""
    if not text:
        return None
    key = re.sub(r"\s+", " ", text.strip().lower())
    return province_aliases().get(key)


def province_name(code: str) -> str:
    return divisions()[code].name


def alias_rows() -> list[dict]:
    return [{"alias": a, "province_code": c, "province": province_name(c)} for a, c in province_aliases().items()]


def latest_complete_year(today: date | None = None) -> int:
    """The latest report year whose every deadline has passed (31 March of the next year)."""
    today = today or date.today()
    return today.year - 1 if today > deadline(today.year - 1, None) else today.year - 2


def status(report: dict | None, year: int, today: date | None = None) -> str:
    """on_time / late / unknown_date / missing / not_yet_due for one government and year."""
    today = today or date.today()
    if report is None:
        return "not_yet_due" if today <= deadline(year, "county") else "missing"
    if report.get("days_late") is None:
        return "unknown_date"
    return "late" if report["days_late"] > 0 else "on_time"


# The same rule as `status`, for users' SQL (the view is computed when queried, so
# "not yet due" follows the calendar). The deadline of a government's report is the
# government one of archive/rows.py (31 March in both eras).
COVERAGE_VIEW = """CREATE VIEW coverage AS
WITH RECURSIVE years(year) AS (
    SELECT max(FIRST, coalesce((SELECT min(year) FROM reports), FIRST))
    UNION ALL SELECT year + 1 FROM years WHERE year < CAST(strftime('%Y', 'now') AS INTEGER) - 1
)
SELECT d.code AS division_code, d.name AS division, d.level, d.province_code, d.province,
       d.city_code, d.city, y.year, (y.year + 1) || '-03-31' AS deadline,
       r.id AS report_id, r.published, r.days_late,
       CASE WHEN r.id IS NULL AND date('now') <= (y.year + 1) || '-03-31' THEN 'not_yet_due'
            WHEN r.id IS NULL THEN 'missing'
            WHEN r.days_late IS NULL THEN 'unknown_date'
            WHEN r.days_late > 0 THEN 'late' ELSE 'on_time' END AS status
FROM divisions d CROSS JOIN years y
LEFT JOIN reports r ON r.id = (
    SELECT g.id FROM reports g
    WHERE g.id > d.code6 || '-' AND g.id < d.code6 || '.' AND g.year = y.year AND g.level = d.level
    ORDER BY g.days_late IS NULL, g.days_late, g.id LIMIT 1)""".replace("FIRST", str(FIRST_COVERED_YEAR))

LATEST_COMPLETE_YEAR_VIEW = """CREATE VIEW latest_complete_year AS
SELECT min(
    CASE WHEN date('now') > strftime('%Y', 'now') || '-03-31'
         THEN CAST(strftime('%Y', 'now') AS INTEGER) - 1 ELSE CAST(strftime('%Y', 'now') AS INTEGER) - 2 END,
    coalesce((SELECT max(year) FROM reports), 9999)) AS year"""


def government_report_ids(code: str) -> tuple[str, str]:
    """The primary-key range of reports whose body is placed in this division."""
    code6 = code.ljust(6, "0")
    return f"{code6}-", f"{code6}."

