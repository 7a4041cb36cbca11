"""Which kind of document some bytes are, and which reader reads it."""

from __future__ import annotations

import re
from collections.abc import Callable

PDF_MAGIC = b"%PDF"
ZIP_MAGIC = b"PK\x03\x04"  # .docx, .ofd, .xlsx (and any zip)
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, .xls (OLE2 compound file)
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|table|div|meta|p)[\s>]", re.I)


def kind(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> str:
    from parsers.document import InputError

    head = data[:2048]
    name = (filename or "").lower()
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        return "docx" if b"word/" in data[:200_000] or name.endswith(".docx") else "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if any(head.startswith(m) for m in IMAGE_MAGIC) or (content_type or "").startswith("image/"):
        return "image"  # a photo or scan of a report: read by OCR
    if _looks_binary(head):
        raise InputError(f"{filename or 'document'}: binary data of an unknown format")
    if _HTML.search(head) or name.endswith((".htm", ".html", ".shtml", ".jsp")) or "html" in (content_type or ""):
        return "html"
    return "text"


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = len(head.translate(None, _OTHER_BYTES))  # keeps only the control bytes
    return control > len(head) * 0.05


def reader(kind_: str) -> Callable:
    from parsers import readers

    return readers.READERS[kind_]
