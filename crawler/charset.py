"""Which charset a page's bytes really are.

Government CMSs often send GBK bytes under a `charset=utf-8` header (a
template copied from another site). The parsers package owns the decision
(`parsers.decode.decode_html`); the crawler only asks it, so a page is
decoded the same way when crawled and when parsed.
"""

from __future__ import annotations

import codecs

from parsers.decode import decode_html


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def repair_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding to decode `body` with, or None to keep `declared`."""
    try:
        body.decode(_norm(declared) or "utf-8")
        return None  # the declaration fits the bytes
    except (UnicodeDecodeError, LookupError):
        pass
    _text, encoding, _replaced = decode_html(body, declared)
    return _norm(encoding) or encoding
