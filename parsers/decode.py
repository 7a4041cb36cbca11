"""Bytes → text, the way government pages really are encoded.

Many pages declare one charset and are another (header says UTF-8, body is
GBK). Strict UTF-8 decoding almost never succeeds on GBK bytes with Chinese in
them, and GBK decoding of UTF-8 produces mojibake without errors, so valid
UTF-8 wins over any declaration, then the declared charset, then GB18030 (a
superset of GBK/GB2312). When no charset decodes every byte, the one that
decodes best (fewest replacement characters) wins. Replacement characters are
counted, never hidden (the readers record them in the record's problems).
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


_ASCII_BLOCK = 2048


def _decode_gb18030(body: bytes) -> str:
    """body.decode("gb18030"), strict, with long stretches of ASCII decoded as ASCII.

    The GB18030 codec writes the text a character at a time (~45 instructions a
    byte); the ASCII codec copies. A portal page's inline scripts and styles are
    long ASCII stretches (~30% of a GBK page here, 20% less decoding). The cuts
    are exact: after an ASCII byte, an ASCII byte always starts a character (a
    trail byte follows a lead byte >= 0x81, and the third byte of a four-byte
    sequence is >= 0x81), so in blocks of ASCII bytes the second byte and the
    byte after the last start characters. Each piece then decodes strictly
    exactly when the whole does, to the same text.
    """
    n = len(body)
    pieces = []
    done = pos = 0  # body[:done] is decoded; blocks of _ASCII_BLOCK bytes from pos
    while pos < n:
        end = pos + _ASCII_BLOCK
        if not body[pos:end].isascii():
            pos = end
            continue
        while end < n and body[end : end + _ASCII_BLOCK].isascii():
            end += _ASCII_BLOCK
        end = min(end, n)
        if end - pos >= 2:
            pieces.append(body[done : pos + 1].decode("gb18030"))
            pieces.append(body[pos + 1 : end].decode("ascii"))
            done = end
        pos = end
    if not pieces:
        return body.decode("gb18030")
    pieces.append(body[done:].decode("gb18030"))
    return "".join(pieces)


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return _decode_gb18030(body) if encoding == "gb18030" else body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _cut_utf8(body: bytes) -> str | None:
    """body as UTF-8 when only its end is cut inside a character (a download stopped
    at a size limit): the cut character is dropped."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return None
    return text if len(body) - len(text.encode("utf-8")) in (1, 2, 3) else None


def decode_bytes(body: bytes, http_charset: str | None = None) -> tuple[str, str, int]:
    """(text, encoding used, number of U+FFFD replacement characters).

    Strict decodings first: valid UTF-8, the declared charsets, GB18030. When none
    decodes every byte (a stray byte, a page cut short), the candidate that decodes
    best wins: fewest replacement characters (ties: the order above). One bad byte
    then costs one replaced character, not the whole page. (No statistical guess
    such as charset-normalizer's joins the candidates: a single-byte charset it may
    name decodes any bytes without a replacement, as mojibake.)
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = body.decode(encoding, errors="replace")
            return text, encoding, text.count("\ufffd")
    declared = [c for c in (normalise_charset(http_charset), meta_charset(body)) if c]
    candidates = list(dict.fromkeys(("utf-8", *declared, "gb18030")))
    for encoding in candidates:
        text = _strict(body, encoding)
        if text is not None:
            return text, encoding, 0
    cut = _cut_utf8(body)
    if cut is not None:
        return cut, "utf-8", 1  # the character the cut split, counted as replaced
    best = None
    for encoding in candidates:
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:
            continue
        replaced = text.count("\ufffd")
        if best is None or replaced < best[2]:
            best = (text, encoding, replaced)
    return best


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str, int]:
    return decode_bytes(body, http_charset)
