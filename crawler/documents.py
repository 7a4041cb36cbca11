"""What a fetched response IS: a document (PDF, Word, WPS, OFD, Excel) or a page.

Portals serve reports from download endpoints whose URL says nothing
(/download?fileid=12, /DownLoad.aspx?FileName=…), as application/octet-stream,
with the file name in Content-Disposition — RFC 5987 `filename*=UTF-8''…`,
percent-encoded, raw GBK bytes, or not at all. So the response decides, strongest
evidence first: the first bytes (%PDF, a PK zip holding word/ or an OFD, an OLE2
compound file), then a document Content-Type, then the file name's extension.
Pure functions over (headers, body, url); no Scrapy objects.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

# The file name a Content-Disposition gives: one reader for the crawler and the site.
from nianbao.filenames import disposition_filename

# The magic numbers the parsers sniff with: one definition of what a PDF, a zip and an OLE2 file start with.
from parsers.sniff import OLE_MAGIC, PDF_MAGIC, ZIP_MAGIC

# Content types that name a document kind outright.
TYPE_KINDS = {
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "application/msword": "doc", "application/vnd.ms-word": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/kswps": "wps", "application/wps-office.wps": "wps", "application/vnd.ms-works": "wps",
    "application/ofd": "ofd",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# Content types that say "a file, ask the bytes or the name" (download endpoints).
GENERIC_TYPES = ("application/octet-stream", "application/force-download", "application/x-download",
                 "application/download", "binary/octet-stream", "application/unknown", "")
EXT_KINDS = {".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "wps", ".ofd": "ofd",
             ".xls": "xls", ".xlsx": "xlsx", ".et": "xls"}


def header(headers: dict, name: str) -> bytes:
    """A header's raw bytes from a {name: bytes|str|list} mapping, any case."""
    for k, v in headers.items():
        key = k.decode("latin-1") if isinstance(k, bytes) else k
        if key.lower() == name.lower():
            if isinstance(v, list):
                v = v[0] if v else b""
            return v if isinstance(v, bytes) else str(v).encode("latin-1", "replace")
    return b""


def filename(headers: dict, url: str) -> str:
    """The document's name: Content-Disposition, else the URL path's last segment."""
    name = disposition_filename(header(headers, "Content-Disposition"))
    if name:
        return name.replace("\\", "/").rsplit("/", 1)[-1]
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def kind_by_bytes(body: bytes) -> str | None:
    head = body[:8]
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        window = body[:200_000]
        if b"word/" in window:
            return "docx"
        if b"OFD.xml" in window or b"Doc_0/" in window:
            return "ofd"
        if b"xl/" in window:
            return "xlsx"
        return None  # some other zip (an archive of images, a .rar renamed …)
    if head.startswith(OLE_MAGIC):
        return "doc"  # .doc, .wps and .xls share the container; the parser tells them apart
    return None


def _by_name(name: str) -> str | None:
    name = name.lower().strip()
    return next((k for ext, k in EXT_KINDS.items() if name.endswith(ext)), None)


def document_kind(headers: dict, body: bytes, url: str) -> str | None:
    """The document kind a response carries, or None when it is not a document (a page,
    an image, an unknown binary). Bytes win over headers, headers over the URL."""
    by_bytes = kind_by_bytes(body)
    if by_bytes:
        if by_bytes == "doc":  # an OLE file: the name tells .wps/.xls from .doc
            named = _by_name(filename(headers, url))
            return named if named in ("doc", "wps", "xls") else "doc"
        return by_bytes
    if body[:256].lstrip().removeprefix(b"\xef\xbb\xbf")[:1] in (b"<", b"{", b"["):
        return None  # markup or JSON, whatever the headers claim
    ctype = header(headers, "Content-Type").decode("latin-1").split(";")[0].strip().lower()
    if ctype in TYPE_KINDS:
        return TYPE_KINDS[ctype]
    if ctype in GENERIC_TYPES:
        return _by_name(filename(headers, url))
    return None

