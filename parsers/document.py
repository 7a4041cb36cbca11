"""One document (bytes) → one canonical record. Pure: parsers never fetch.

Stages: sniff the format → read it into a `Reading` (text, metadata hints and,
for formats with real tables, the grids of parts 2–4) → split the text into
parts → map each table → run the checks. Every stage adds to `problems` rather
than returning None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from parsers import checks, metadata, sniff, tables
from parsers.layouts import Tokens, tokenize
from parsers.sections import split_sections

MAX_BYTES = 50 * 1024 * 1024
TABLE_PARTS = ("active_disclosure", "applications", "review_litigation")
RECORD_KEYS = ("source", "title", "organization", "year", "published", "format", "sections", "tables", "checks", "problems")


class InputError(Exception):
    """The input is not a document we can read: a one-line reason."""


@dataclass
class Reading:
    """What a format reader gives the shared stages."""

    text: str
    title: str | None = None
    published: str | None = None
    organization: str | None = None
    grids: dict[str, Tokens] = field(default_factory=dict)  # part key -> table rows
    problems: list[str] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages read by OCR
    # a file (PDF, Word, image) dates itself by its signature line first, then by
    # its properties (creation date), which the record then names in metadata_from
    is_file: bool = False
    property_published: str | None = None


def parse_path(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: empty file")
    if size > MAX_BYTES:
        raise InputError(f"{path}: {size / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit")
    return parse_document(path.read_bytes(), source=str(path), filename=path.name)


def parse_document(data: bytes, *, source: str, filename: str | None = None, content_type: str | None = None) -> dict:
    if not data:
        raise InputError(f"{source}: empty document")
    if len(data) > MAX_BYTES:
        raise InputError(f"{source}: {len(data) / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit")
    kind = sniff.kind(data, filename=filename, content_type=content_type)
    reading = sniff.reader(kind)(data, source=source, content_type=content_type)
    return build_record(reading, source=source)


def build_record(reading: Reading, *, source: str) -> dict:
    text = reading.text
    problems = list(reading.problems)
    sections = split_sections(text)
    title_match = metadata.find_title(text)
    title = reading.title if reading.title and metadata.TITLE.search(reading.title) else metadata.title_of(title_match)
    if reading.title and title_match is None:
        title_match = metadata.TITLE.search(reading.title)
    year = metadata.report_year(text, title_match)
    record = {
        "source": source,
        "title": title or reading.title,
        "organization": reading.organization or metadata.organization(text, title_match),
        "year": year,
        "published": reading.published or _published(reading, text),
        "format": None,
        "sections": sections,
        "tables": {},
        "checks": [],
        "problems": problems,
    }
    year_format = None if year is None else ("pre-2019" if year < 2019 else "2019" if year < 2021 else "2021")
    table_format = _read_tables(record, reading, text, year_format)
    if reading.ocr_pages:
        from parsers.confirm import settle

        settle(record)
    # a template version is a property of a report: none for news and notices
    record["format"] = table_format or (year_format if len(sections) >= 3 else None)
    record["checks"] = checks.run_checks(record["tables"])
    if record["published"] is None and reading.property_published:
        record["published"] = reading.property_published
        record["metadata_from"] = {"published": "properties"}
    _name_missing(record, bool(sections))
    return record


def _published(reading: Reading, text: str) -> str | None:
    if not reading.is_file:
        return metadata.published(text)
    return metadata.signature_date(text) or metadata.published(text)


def is_report(record: dict) -> bool:
    """A record is an annual report when it prints numbers in the template's
    tables, or carries a report title with its tables or most of its six parts.
    News about reports has neither; a format notice (国办公开办函〔2021〕30号)
    carries the blank template table but no report title and no numbers."""
    has_numbers = any(
        cell.get("value") is not None
        for table in record["tables"].values()
        for row in table.values()
        for cell in (row.values() if "raw" not in row else [row])
    )
    titled = record["title"] is not None and (bool(record["tables"]) or len(record["sections"]) >= 3)
    return has_numbers or titled


def _region_tokens(reading: Reading, text: str, part: str) -> Tokens | None:
    if part in reading.grids:
        return reading.grids[part]
    from parsers.sections import part_text

    region = part_text(text, part)
    return tokenize(region) if region and region.strip() else None


def _read_tables(record: dict, reading: Reading, text: str, year_format: str | None) -> str | None:
    """Fill record['tables']; return the template version the tables show."""
    problems, found_format = record["problems"], None
    if year_format == "pre-2019" and not reading.grids:
        return None  # older layouts: metadata and sections only
    tokens = _region_tokens(reading, text, "applications")
    if tokens:
        table, fmt, more = tables.applications(tokens)
        problems.extend(more)
        if table:
            record["tables"]["applications"] = table
            # the 2021 rows come after (五); a table cut before them (one photographed page) says no version
            found_format = fmt if fmt == "2021" or "handled_total" in table else None
    tokens = _region_tokens(reading, text, "active_disclosure")
    if tokens:
        table, fmt, more = tables.active_disclosure(tokens, found_format or year_format)
        problems.extend(more)
        if table:
            record["tables"]["active_disclosure"] = table
            found_format = found_format or fmt
    tokens = _region_tokens(reading, text, "review_litigation")
    if tokens:
        table, more = tables.review_litigation(tokens)
        problems.extend(more)
        if table:
            record["tables"]["review_litigation"] = table
    return found_format


def _name_missing(record: dict, has_sections: bool) -> None:
    problems = record["problems"]
    for key in ("title", "organization", "year"):
        if record[key] is None:
            problems.append(f"{key}: not found")
    if not has_sections:
        problems.append("sections: no part headings (一、总体情况 …) found; not a report?")
    if record["format"] != "pre-2019":
        for part in TABLE_PARTS:
            if part not in record["tables"] and not any(p.startswith(part) for p in problems):
                problems.append(f"{part}: table not found")
