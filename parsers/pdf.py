"""PDF → Reading: the text of every page, page furniture removed.

Tables in published PDFs (WPS, Word exports) come out of pdfplumber as one
printed row per line — label, then the numbers separated by spaces — with
long labels wrapped onto the lines around the numbers and tables running on
across pages. The `lines` layout of layouts.py reads that, so the PDF reader
only has to give clean text: page numbers ("- 4 -") and running heads go.
"""

from __future__ import annotations

import io
import re

from parsers.document import InputError, Reading

_PAGE_NUMBER = re.compile(r"^\s*(?:[-—－–]\s*\d{1,3}\s*[-—－–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$")


def read_pdf(data: bytes, *, source: str) -> Reading:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{source}: unreadable PDF ({type(exc).__name__})") from None
    problems = []
    if not any(p.strip() for p in pages):
        problems.append("pdf: no text layer (a scanned PDF needs OCR, which nianbao does not do)")
    lines = [line for page in pages for line in page.split("\n") if not _PAGE_NUMBER.match(line)]
    return Reading(text="\n".join(lines), problems=problems)
