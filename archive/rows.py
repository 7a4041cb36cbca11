"""Turn a parsed record (docs/record.md) into archive rows. Pure functions, no I/O,
so the store and the benchmark generator build rows the same way."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

from parsers import keys

from . import permalinks as pl
from .regions import Place, division_place, place, short_name

# Outcome groups of the applications table, summed over the 总计 column.
OUTCOME_GROUPS = {
    "new_received": ("new_received",),
    "carried_over": ("carried_over",),
    "granted": ("granted",),
    "partially_granted": ("partially_granted",),
    "denied": tuple(k for k in keys.ALL_APPLICATION_ROW_KEYS if k.startswith("denied_")),
    "unable": tuple(k for k in keys.ALL_APPLICATION_ROW_KEYS if k.startswith("unable_")),
    "rejected": tuple(k for k in keys.ALL_APPLICATION_ROW_KEYS if k.startswith("rejected_")),
    "other": ("other", "other_no_correction", "other_unpaid_fee", "other_other"),
    "handled_total": ("handled_total",),
    "carried_forward": ("carried_forward",),
}
SECTION_LABELS = dict(keys.SECTIONS)
SECTION_POSITION = {part: i for i, (part, _label) in enumerate(keys.SECTIONS, 1)}

_TITLE_BODY = re.compile(r"^\s*(?:#+\s*)?(.+?)\s*(?:20\d\d|19\d\d)\s*年")
_ZONE = re.compile(r"(开发区|高新区|集聚区|实验区|新区|园区|管委会|管理委员会)")
_TOWNSHIP = re.compile(r"(乡|镇|街道|街道办事处|苏木)(人民政府|政府)?$")
_ZONE_BODY = re.compile(r"管委会|管理委员会")


def body_name(record: dict) -> str | None:
    """The issuing body as printed, falling back to the title's words before the year."""
    org = (record.get("organization") or "").strip()
    if org:
        return org
    m = _TITLE_BODY.match(record.get("title") or "")
    return m.group(1).strip() if m and len(m.group(1).strip()) >= 2 else None


# A government by the division word before 人民政府, when the division list does not
# place the name (a renamed county, a typo'd city): 自治区 before 区 (leftmost match).
_GOVERNMENT = re.compile(r"(自治区|省|自治州|地区|盟|市|州|自治县|自治旗|特区|林区|县|旗|区)(人民政府|政府)$")
GOVERNMENT_LEVELS = {"自治区": "province", "省": "province", "自治州": "city", "地区": "city", "盟": "city",
                     "市": "city", "州": "city", "自治县": "county", "自治旗": "county", "特区": "county",
                     "林区": "county", "县": "county", "旗": "county", "区": "county"}


def _ancestor_prefixes(where: Place) -> tuple[str, ...]:
    """Names of the place's province and city as a government's name may print them
    before its own ("河南省驻马店市人民政府"): full and short forms."""
    out = []
    for name in (where.province, where.city):
        if name:
            out.append(name)
            short = short_name(name)
            if short != name and len(short) >= 2:
                out.append(short)
    return tuple(sorted(set(out), key=len, reverse=True))


def body_level(normalised: str, where: Place) -> str:
    """province / city / county government, township, zone or department. A people's
    government may print its province and city before its own name."""
    own = where.county or where.city or where.province
    if own and normalised.endswith(own + "人民政府"):
        rest = normalised[: -len(own + "人民政府")]
        prefixes = _ancestor_prefixes(where)
        while rest:
            head = next((p for p in prefixes if rest.startswith(p) and p != own), None)
            if head is None:
                break
            rest = rest[len(head):]
        if not rest:
            return where.level or "department"
    if _TOWNSHIP.search(normalised):
        return "township"
    government = _GOVERNMENT.search(normalised)
    if government and not _ZONE_BODY.search(normalised):
        return GOVERNMENT_LEVELS[government.group(1)]
    if _ZONE.search(normalised):
        return "zone"
    return "department"


# --- spellings of one body ------------------------------------------------------------
# "政府" right after a division word (省 市 县 区 旗 州 盟 乡 镇) is that division's people's
# government; "人民政府" has 民 there, so it is never matched.
_SHORT_GOVERNMENT = re.compile(r"(?<=[省市县区旗州盟乡镇])政府")
# A township's or street's name alone (two characters at least before the suffix).
_BARE_TOWNSHIP = re.compile(r"..(?:乡|镇|苏木|街道)$")


def canonical_body_name(normalised: str, code6: str) -> str:
    """The spelling of a body that its other spellings in the same division share.

    Reports print one body's name in several ways; each normalised name is a body
    (its id is a hash of the name, a public contract), so the spellings are grouped by
    this name instead (bodies.canonical_id). It merges, in the body's own division only
    (code6 is part of the id, so two divisions never merge):
      - "政府" after a division word reads as "人民政府": 驻马店市政府 = 驻马店市人民政府,
        XX县政府办公室 = XX县人民政府办公室, XX镇政府 = XX镇人民政府 (the official name
        of a local government is 人民政府; "政府" is its everyday short form);
      - leading names of the division's ancestors (province, city; full or short) are
        dropped when the division's own name follows them: 河南省驻马店市人民政府 =
        驻马店市人民政府, 云南省曲靖市沾益区教育局 = 曲靖市沾益区教育局 = 沾益区教育局
        (the prefix says where the body is, which code6 says already);
      - the division's own name alone (full or short), or its short name before
        (人民)政府, is its people's government: 曲靖市沾益区 = 沾益区人民政府, 驻马店政府 =
        驻马店市人民政府;
      - a township named alone is its people's government, a street (街道) its office:
        沾益区大坡乡 = 沾益区大坡乡人民政府, 沾益区西平街道 = 沾益区西平街道办事处.
    It does not merge anything else: 办 and 办公室, 办公室 and 办公厅, a government and its
    office, a bureau and its sub-unit may be different bodies, and merging two bodies is
    worse than showing one body's spellings apart.
    """
    if normalised.startswith(UNIDENTIFIED):
        return normalised
    name = _SHORT_GOVERNMENT.sub("人民政府", normalised)
    where = division_place(code6)
    own = where.county or where.city or where.province
    if not own:
        return name
    short = short_name(own)
    own_forms = (own, short) if len(short) >= 2 else (own,)  # 广西壮族自治区's suffix rule leaves ""
    ancestors = [p for p in _ancestor_prefixes(where) if p not in own_forms]
    rest = name
    while head := next((p for p in ancestors if rest.startswith(p)), None):
        rest = rest[len(head):]
    if rest != name and rest.startswith(own_forms):
        name = rest
    bare = (own, short, short + "人民政府", short + "政府") if len(short) >= 2 else (own,)
    if name in bare:  # as normalise_body_name reads a bare division name
        return own + "人民政府"
    if _BARE_TOWNSHIP.search(name):  # a township or street named alone: its government / office
        return name + ("办事处" if name.endswith("街道") else "人民政府")
    return name


def spelling_level(normalised: str, where: Place) -> str:
    """A body's level is its canonical spelling's: 北京市政府 is the province's government
    like 北京市人民政府, 驻马店政府 the city's like 驻马店市人民政府."""
    return body_level(canonical_body_name(normalised, where.code6), where)


def canonical_body_id(normalised: str, code6: str) -> str:
    """The id the canonical spelling has (or would have) in this division: the key that
    groups a body's spellings (bodies.canonical_id). Equal to the body's own id when its
    name is the canonical spelling."""
    return pl.body_id(canonical_body_name(normalised, code6), code6)


# --- Deadlines (《政府信息公开条例》) --------------------------------------------------------
# 2008 条例 第三十一条: every body publishes its report by 31 March of the following year.
# 2019 条例 第四十九条 (in force 2019-05-15): departments of governments at county level and
# above by 31 January; local people's governments publish their own report by 31 March.
# Reports on 2019 and later are published in 2020+ under the 2019 text (the spec: "under the
# 2008 regulations (report years up to 2018)"). The 2019 text names neither townships
# (乡镇人民政府, 街道办事处) nor zone committees (开发区管委会 …): nianbao gives them the
# later date, 31 March — a township is a people's government, and a zone committee, a
# dispatched organ of a government, is neither a department nor a government in the
# text's words. So a report is called late only when it is late under every reading;
# a body whose level is unknown gets 31 March for the same reason.
REVISION_2019_FIRST_REPORT_YEAR = 2019
DEPARTMENT_DEADLINE = (1, 31)  # month, day of the year after the report year
GOVERNMENT_DEADLINE = (3, 31)
EARLY_DEADLINE_LEVELS = ("department",)


def deadline(year: int, level: str | None) -> date:
    """The publication deadline of a report on `year` by a body of `level`."""
    early = year >= REVISION_2019_FIRST_REPORT_YEAR and level in EARLY_DEADLINE_LEVELS
    month, day = DEPARTMENT_DEADLINE if early else GOVERNMENT_DEADLINE
    return date(int(year) + 1, month, day)


def days_late(published: str | None, year: int, level: str | None = None) -> int | None:
    """Days after the deadline (see `deadline`); 0 when on time; None when the publish
    date is unknown or unreadable (unknown, never "on time")."""
    if not published:
        return None
    try:
        when = date.fromisoformat(published[:10])
    except ValueError:
        return None
    return max(0, (when - deadline(year, level)).days)


def record_digest(record: dict) -> str:
    """Hash of what the record says (not where it came from), to skip no-op re-saves."""
    content = {k: v for k, v in record.items() if k != "source"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


UNIDENTIFIED = "未识别机关 unidentified body of "


def body_row(name: str | None, *, url: str | None = None) -> dict:
    """The issuing body; a report whose body the parser could not name is its own
    body, keyed by its URL, so its permalink is still stable across re-ingests."""
    if name is None:
        normalised, where = UNIDENTIFIED + (url or "?"), Place()
    else:
        normalised = pl.normalise_body_name(name)
        where = place(normalised)
    return {
        "id": pl.body_id(normalised, where.code6),
        "canonical_id": canonical_body_id(normalised, where.code6),  # its spellings' group (migration 17)
        "name": normalised,
        "level": spelling_level(normalised, where) if name else None,
        "province": where.province,
        "province_code": where.province_code,
        "city": where.city,
        "city_code": where.city_code,
        "county": where.county,
        "county_code": where.county_code,
    }


def report_row(record: dict, body: dict, *, snapshot_id: str | None, url: str | None) -> dict:
    year = int(record["year"])
    return {
        "id": pl.report_id(body["id"], year),
        "body_id": body["id"],
        "year": year,
        "title": record.get("title"),
        "organization": body_name(record),
        "level": body["level"],
        **{k: body[k] for k in ("province", "province_code", "city", "city_code", "county", "county_code")},
        "published": record.get("published"),
        "deadline": deadline(year, body["level"]).isoformat(),
        "days_late": days_late(record.get("published"), year, body["level"]),
        "format": record.get("format"),
        "source_url": url or record.get("source"),
        "snapshot_id": snapshot_id,
        "problem_count": len(record.get("problems") or []),
        "record_sha256": record_digest(record),
        # where title/body/date came from when not from the document (migration 16)
        "metadata_from": (json.dumps(record["metadata_from"], ensure_ascii=False, sort_keys=True)
                          if record.get("metadata_from") else None),
    }


def section_rows(record: dict, report: str) -> list[dict]:
    out = []
    for part, text in (record.get("sections") or {}).items():
        if text is None:
            continue
        out.append(
            {
                "id": pl.section_id(report, part),
                "report_id": report,
                "part": part,
                "position": SECTION_POSITION.get(part, 99),
                "label": SECTION_LABELS.get(part, part),
                "text": text,
            }
        )
    return out


def iter_cells(record: dict):
    """(table, row, column, cell) for every cell of the record, review as row 'counts'."""
    tables = record.get("tables") or {}
    for table in ("active_disclosure", "applications"):
        for row, cols in (tables.get(table) or {}).items():
            for col, cell in cols.items():
                yield table, row, col, cell
    for col, cell in (tables.get("review_litigation") or {}).items():
        yield "review_litigation", pl.REVIEW_ROW_KEY, col, cell


def cell_rows(record: dict, report: str) -> list[dict]:
    return [
        {
            "report_id": report,
            "table_name": table,
            "row_key": row,
            "column_key": col,
            "value": cell.get("value"),
            "raw": cell.get("raw") if cell.get("raw") is not None else "",
            "unit": cell.get("unit"),
            "confidence": cell.get("confidence"),
        }
        for table, row, col, cell in iter_cells(record)
    ]


def check_rows(record: dict, report: str) -> list[dict]:
    out = {}
    for c in record.get("checks") or []:
        cid = pl.check_id(report, c["rule"], c.get("table") or "", c.get("column") or "")
        out[cid] = {
            "id": cid,
            "report_id": report,
            "rule": c["rule"],
            "table_name": c.get("table") or "",
            "column_key": c.get("column") or "",
            "status": c["status"],
            "left_value": c.get("left"),
            "right_value": c.get("right"),
            "detail": c.get("detail") or "",
        }
    return list(out.values())


def problem_rows(
    problems: list[str], *, report: str | None = None, snapshot: str | None = None
) -> list[dict]:
    owner = report or snapshot
    return [
        {"id": pl.problem_id(owner, n), "report_id": report, "snapshot_id": snapshot, "problem": text}
        for n, text in enumerate(problems, 1)
    ]


# Review/litigation counts summed per province and year (the province page's chart).
REVIEW_SUMS = keys.REVIEW_COLUMNS


def outcome_row(record: dict, report: dict) -> dict | None:
    """Outcome groups of the 总计 column and the review/litigation counts; None when the
    record has neither an applications nor a review/litigation table."""
    tables = record.get("tables") or {}
    apps = tables.get("applications") or {}
    review = tables.get("review_litigation") or {}
    if not apps and not review:
        return None
    row = {
        "report_id": report["id"],
        "province_code": report["province_code"],
        "province": report["province"],
        "year": report["year"],
    }
    for group, row_keys in OUTCOME_GROUPS.items():
        values = [apps[k]["total"]["value"] for k in row_keys if k in apps and "total" in apps[k]]
        values = [v for v in values if v is not None]
        row[group] = sum(values) if values else None
    for col in REVIEW_SUMS:
        row[col] = (review.get(col) or {}).get("value")
    return row


_DIGIT = re.compile(r"\d")


def is_uncertain(value, raw: str | None) -> bool:
    """A printed number the parser could not read with certainty (glued digits with several
    readings, an OCR reading the checks did not confirm): stored with value null and the
    printed text in raw (docs/record.md). Shown as uncertain, never as a number."""
    return value is None and bool(raw) and _DIGIT.search(raw) is not None


def check_status(passed: int, failed: int, not_checkable: int) -> str:
    """failed if any check failed; not_checkable if none failed but some could not be
    checked (a blank cell); passed only when every check passed; none without checks."""
    if failed:
        return "failed"
    if not_checkable:
        return "not_checkable"
    if passed:
        return "passed"
    return "none"
