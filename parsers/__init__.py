"""Parsers: any published annual report → the canonical record (docs/record.md)."""

from parsers.bounded import parse_bounded, parse_path_bounded
from parsers.document import InputError, is_report, parse_document, parse_path

__all__ = ["InputError", "is_report", "parse_bounded", "parse_document", "parse_path", "parse_path_bounded"]
