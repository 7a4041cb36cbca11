"""Bytes → text, the way government pages really are encoded.

Many pages declare one charset and are another (header says UTF-8, body is
GBK). Strict UTF-8 decoding almost never succeeds on GBK bytes with Chinese in
them, and GBK decoding of UTF-8 produces mojibake without errors, so valid
UTF-8 wins over any declaration, then the declared charset, then GB18030 (a
superset of GBK/GB2312). Replacement characters are counted, never hidden.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Chinese charsets all decode best as their superset.
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}


def normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return normalise_charset(m.group(1).decode("ascii", "ignore")) if m else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(body: bytes, http_charset: str | None = None) -> tuple[str, str, int]:
    """(text, encoding used, number of U+FFFD replacement characters)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = body.decode(encoding, errors="replace")
            return text, encoding, text.count("\ufffd")
    declared = [c for c in (normalise_charset(http_charset), meta_charset(body)) if c]
    for encoding in ("utf-8", *declared, "gb18030"):
        text = _strict(body, encoding)
        if text is not None:
            return text, encoding, 0
    encoding = declared[0] if declared else "gb18030"
    text = body.decode(encoding, errors="replace")
    return text, encoding, text.count("\ufffd")


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str, int]:
    return decode_bytes(body, http_charset)
