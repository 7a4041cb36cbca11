"""Format readers: bytes of one kind → a `Reading` for the shared stages."""

from __future__ import annotations

from parsers.decode import decode_bytes
from parsers.document import InputError, Reading


def read_text(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    text, encoding, replaced = decode_bytes(data, _charset(content_type))
    problems = [f"decode: {replaced} undecodable characters replaced ({encoding})"] if replaced else []
    return Reading(text=text.replace("\r\n", "\n").replace("\r", "\n"), problems=problems)


def read_html(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    from parsers.html import read_html as _read

    return _read(data, source=source, http_charset=_charset(content_type))


def read_pdf(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    from parsers.pdf import read_pdf as _read

    return _read(data, source=source)


def read_docx(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    from parsers.word import read_docx as _read

    return _read(data, source=source)


def read_ole(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    from parsers.word import read_ole as _read

    return _read(data, source=source)


def read_image(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    from parsers.scanned import read_image as _read

    return _read(data, source=source)


def read_zip(data: bytes, *, source: str, content_type: str | None = None) -> Reading:
    raise InputError(f"{source}: a zip archive that is not a .docx; unpack it first")


def _charset(content_type: str | None) -> str | None:
    if content_type and "charset=" in content_type.lower():
        return content_type.lower().split("charset=", 1)[1].split(";")[0].strip()
    return None


READERS = {
    "text": read_text,
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
    "ole": read_ole,
    "image": read_image,
    "zip": read_zip,
}
