"""Which charset a page's bytes really are.

Government CMSs often send GBK bytes under a `charset=utf-8` header (a
template copied from another site). The parsers package owns the decision
(`parsers.decode.decode_html`); this module asks it and falls back to strict
trial decoding while that module is absent.
"""

from __future__ import annotations

import codecs

FALLBACKS = ("utf-8", "gb18030")


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def repair_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding to decode `body` with, or None to keep `declared`."""
    declared_n = _norm(declared)
    try:
        body.decode(declared_n or "utf-8")
        return None  # the declaration fits the bytes
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        from parsers.decode import decode_html
    except ImportError:
        decode_html = None
    if decode_html is not None:
        _text, encoding, _replaced = decode_html(body, declared)
        return _norm(encoding) or encoding
    for enc in FALLBACKS:
        try:
            body.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return None
