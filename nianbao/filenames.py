"""The file name a server gives a download in its Content-Disposition header.

Portals send it every way there is: RFC 5987 `filename*=UTF-8''…` (or GBK''…),
`filename="…"` percent-encoded by Java's URLEncoder in UTF-8 or GBK, or raw GBK bytes
that HTTP libraries hand over as latin-1 text. One reader for all layers: the crawler
names what it fetched with it (crawler/documents.py), the site names the archived
original with it (archive/pages.original_filename, from the stored headers, which keep
each byte as one latin-1 character).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

# filename*=UTF-8''%E5%B9%B4… (RFC 5987; charset may be GBK too), then filename="…" / filename=…
DISPOSITION_EXT = re.compile(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;\s]+)", re.I)
DISPOSITION_PLAIN = re.compile(r"filename\s*=\s*(\"([^\"]*)\"|[^;]+)", re.I)


def _decode_name(raw: bytes) -> str:
    """A file name sent as raw bytes: UTF-8 if it is, else GBK (what Chinese IIS/Java servers send)."""
    for charset in ("utf-8", "gb18030"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def disposition_filename(value: bytes) -> str:
    """The file name a Content-Disposition value gives ("" when none)."""
    if not value:
        return ""
    text = value.decode("latin-1")
    m = DISPOSITION_EXT.search(text)
    if m:
        charset, quoted = m.group(1), m.group(2).strip('"')
        try:
            return unquote_to_bytes(quoted).decode(charset if charset.lower() != "gbk" else "gb18030")
        except (LookupError, UnicodeDecodeError):
            return _decode_name(unquote_to_bytes(quoted))
    m = DISPOSITION_PLAIN.search(text)
    if not m:
        return ""
    name = (m.group(2) if m.group(2) is not None else m.group(1)).strip().strip('"')
    raw = name.encode("latin-1")
    if b"%" in raw:  # percent-encoded (Java servers' URLEncoder), in UTF-8 or GBK
        raw = unquote_to_bytes(raw)
    return _decode_name(raw)
