"""Hostile documents, built on the spot (never stored): each is small on disk and
asks a naive reader for gigabytes or minutes (issue 12, item 3).

    write_all(folder) -> {name: path}

Built a chunk at a time, so making them costs the test process little memory.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

MB = 2**20
CHUNK = b"\0" * MB


@functools.lru_cache(maxsize=4)
def deflated_zeros(n_mb: int, *, raw: bool = False) -> bytes:
    """n_mb MB of zero bytes, deflated (zlib-wrapped, or raw deflate for a zip member)."""
    if not raw:  # the zlib wrapping: a header, the raw stream, the Adler-32 of the data
        adler = 1
        for _ in range(n_mb):
            adler = zlib.adler32(CHUNK, adler)
        return b"\x78\xda" + deflated_zeros(n_mb, raw=True) + struct.pack(">I", adler)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"".join([*(c.compress(CHUNK) for _ in range(n_mb)), c.flush()])


# --- .docx zip bombs ---------------------------------------------------------------------

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                  b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                  b'xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  b'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_DOCUMENT = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
             'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>')


def _member(name: str, raw_deflate: bytes, size: int, crc: int, declared: int | None = None) -> tuple[bytes, bytes]:
    """(local header + data, central directory entry) of one deflated member; `declared`
    lies about the uncompressed size when given."""
    size_field = size if declared is None else declared
    fname = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw_deflate), size_field,
                        len(fname), 0) + fname + raw_deflate
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(raw_deflate),
                          size_field, len(fname), 0, 0, 0, 0, 0, 0) + fname
    return local, central


@functools.lru_cache(maxsize=2)
def _padded_document(n_mb: int) -> tuple[bytes, int, int]:
    """word/document.xml holding n_mb MB of blank space inside its body, raw-deflated:
    (data, size, crc32). Blank space is valid XML, so a reader that inflates it parses it."""
    head, tail = _DOCUMENT.format("2023年度政府信息公开工作年度报告").encode().split(b"<w:body>")
    head, pad = head + b"<w:body>", b" " * MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc = [c.compress(head)], zlib.crc32(head)
    for _ in range(n_mb):
        parts.append(c.compress(pad))
        crc = zlib.crc32(pad, crc)
    parts += [c.compress(tail), c.flush()]
    crc = zlib.crc32(tail, crc)
    return b"".join(parts), len(head) + n_mb * MB + len(tail), crc


def zip_bomb_docx(n_mb: int = 900, *, lie: bool = False) -> bytes:
    """A .docx whose word/document.xml inflates to n_mb MB (~1 KB on disk per MB);
    with `lie` it declares 1 KB (its real size only shows when inflated)."""
    members = [("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS)]
    parts, centrals, offset = [], [], 0

    def add(local: bytes, central: bytes) -> None:
        nonlocal offset
        centrals.append(central[:42] + struct.pack("<I", offset) + central[46:])
        parts.append(local)
        offset += len(local)

    for name, data in members:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        add(*_member(name, c.compress(data) + c.flush(), len(data), zlib.crc32(data)))
    data, size, crc = _padded_document(n_mb)
    add(*_member("word/document.xml", data, size, crc, declared=1024 if lie else None))
    cd = b"".join(centrals)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(centrals), len(centrals), len(cd), offset, 0)
    return b"".join(parts) + cd + end


# --- PDFs ------------------------------------------------------------------------------

def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 0 obj is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (Annual report 2023) Tj ET"


def flate_bomb_pdf(n_mb: int = 1000) -> bytes:
    """One page whose content stream inflates to n_mb MB (~1 KB per MB on disk)."""
    bomb = deflated_zeros(n_mb)
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
                 b" /Contents [5 0 R 6 0 R] >>",
                 _FONT, _stream(_TEXT), _stream(bomb, b"/Filter /FlateDecode ")])


def many_pages_pdf(pages: int = 20_000) -> bytes:
    """`pages` pages sharing one small content stream and font (~70 bytes a page)."""
    first = 5
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
               _FONT, _stream(_TEXT)]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> " \
           b"/Contents 4 0 R >>"
    return _pdf(objects + [page] * pages)


def one_line_pdf(chars: int = 3_000_000) -> bytes:
    """A 3.5 KB PDF: one page printing one line of `chars` characters (each becomes a
    layout object of ~1 KB: gigabytes). No structural bound knows this shape; the
    parse's memory limit stops it."""
    content = b"BT /F1 12 Tf 72 720 Td (" + b"A" * chars + b") Tj ET"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
                 b" /Contents 5 0 R >>", _FONT, _stream(zlib.compress(content, 9), b"/Filter /FlateDecode ")])


# --- HTML ------------------------------------------------------------------------------

def huge_span_html(rows: int = 1600) -> bytes:
    """A ~72 KB table of cells with rowspan=512 colspan=64 (a grid of 10^8 positions)."""
    cells = "".join('<tr><td rowspan="512" colspan="64">1</td></tr>' for _ in range(rows))
    return (f"<html><head><title>2023年度政府信息公开工作年度报告</title></head><body>"
            f"<h1>2023年度政府信息公开工作年度报告</h1><p>三、收到和处理政府信息公开申请情况</p>"
            f"<table>{cells}</table></body></html>").encode()


def deep_html(depth: int = 200_000) -> bytes:
    """`depth` nested <div>s around a report heading."""
    return ("<html><head><title>2019年政府信息公开工作年度报告</title></head><body>".encode() + b"<div>" * depth + "<p>一、总体情况</p>".encode() + b"</div>" * depth
            + b"</body></html>")


def write_all(folder: Path) -> dict[str, Path]:
    """Every hostile file in `folder`: name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "zip_bomb.docx": zip_bomb_docx(),
        "zip_bomb_lying.docx": zip_bomb_docx(900, lie=True),
        "flate_bomb.pdf": flate_bomb_pdf(900),
        "many_pages.pdf": many_pages_pdf(),
        "huge_spans.html": huge_span_html(),
        "deep.html": deep_html(),
    }
    out = {}
    for name, data in made.items():
        out[name] = folder / name
        out[name].write_bytes(data)
    return out
