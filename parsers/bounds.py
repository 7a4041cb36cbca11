"""What one document may cost to read: the structural bounds every reader keeps.

A government annual report is small: a few hundred table cells (the 2021
template's part 3 table, the largest, is ~30 rows x 10 columns), tens of pages,
a .docx of a few hundred KB whose biggest parts are its images. A document far
past these bounds is not a report but a mistake or an attack (a zip or flate
bomb, a table of 65534-row spans, 20,000 pages): its reader stops early with
one line (`OverBound`, an InputError) or reads what a report can hold and
names the cut in `problems`. The bounds are generous — 10-100x the largest
real report — so a real report never meets them; time and memory limits on
the parse itself (parsers/bounded.py) back them up.
"""

from __future__ import annotations

import io
import threading
import zipfile

from parsers.document import InputError

MB = 2**20
# Zip (.docx) members. A report's word/document.xml is 0.1–2 MB and its images a
# few MB each; a .docx has 10–50 members (hundreds with many images).
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_MEMBER_BYTES = 64 * MB  # one member, uncompressed: declared and real
MAX_ZIP_TOTAL_BYTES = 256 * MB  # all members together, uncompressed
ZIP_CHUNK = 1 * MB  # members are inflated this much at a time, never whole
# PDF streams, decoded (Flate/LZW). A page's content stream is 10–200 KB; the
# largest streams are embedded CJK fonts (a full SimSun or YaHei: 10–20 MB).
MAX_PDF_STREAM_BYTES = 64 * MB
MAX_PDF_DECODED_BYTES = 256 * MB  # all streams of one document (pdfminer keeps them decoded)
# Pages read of one PDF: reports have 5–40 pages; the rest of a longer file is not read.
MAX_PDF_PAGES = 100
# Grid positions (rows x columns covered by cells) of one HTML table: a report's
# tables have 100–400; spans of 512 rows x 64 columns would ask for 32,768 per cell.
MAX_GRID_CELLS = 20_000
# HTML pages given to trafilatura (pages without a report container: news, notices,
# 20–200 KB). It costs ~15 s a MB of markup; a larger page's prose is its own text.
MAX_TRAFILATURA_CHARS = 1_000_000


class OverBound(InputError):
    """A document past one of the bounds above (or the parse's time or memory limit)."""


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB"


# --- zip members -------------------------------------------------------------------------


def check_zip(data: bytes, *, source: str) -> None:
    """Refuse a zip whose members are too many or too big, by their declared sizes
    and by the bytes they really inflate to (inflated a chunk at a time, stopping
    at the bound: a member may declare 1 KB and hold 4 GB)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InputError(f"{source}: unreadable zip ({type(exc).__name__})") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise OverBound(f"{source}: a zip of {len(members)} members (bound {MAX_ZIP_MEMBERS}); not read")
    declared = 0
    for info in members:
        if info.file_size > MAX_ZIP_MEMBER_BYTES:
            raise OverBound(f"{source}: zip member {info.filename[:80]} declares {_mb(info.file_size)} "
                            f"(bound {_mb(MAX_ZIP_MEMBER_BYTES)}); not read")
        declared += info.file_size
    if declared > MAX_ZIP_TOTAL_BYTES:
        raise OverBound(f"{source}: zip members declare {_mb(declared)} in all "
                        f"(bound {_mb(MAX_ZIP_TOTAL_BYTES)}); not read")
    real = 0
    for info in members:
        real += _inflated_size(archive, info, source)
        if real > MAX_ZIP_TOTAL_BYTES:
            raise OverBound(f"{source}: zip members inflate to over {_mb(MAX_ZIP_TOTAL_BYTES)}; not read")


def _inflated_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> int:
    """Bytes one member really inflates to, at most MAX_ZIP_MEMBER_BYTES + one chunk.

    zipfile stops reading at the declared size and checks the CRC there, so a member
    whose data is longer (or shorter) than it declares fails here, before a reader
    trusts it."""
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(ZIP_CHUNK):
                size += len(chunk)
                if size > MAX_ZIP_MEMBER_BYTES:
                    raise OverBound(f"{source}: zip member {info.filename[:80]} inflates to over "
                                    f"{_mb(MAX_ZIP_MEMBER_BYTES)}; not read")
    except OverBound:
        raise
    except Exception as exc:  # BadZipFile (a bad CRC: the data is not what it declares), zlib.error, EOFError …
        raise InputError(f"{source}: damaged zip member {info.filename[:80]} ({type(exc).__name__})") from None
    return size


# --- PDF streams ---------------------------------------------------------------------------

_budget = threading.local()  # decoded bytes left for the document being read in this thread


class pdf_budget:
    """`with pdf_budget(source):` — the decoded-stream budget of one PDF being read."""

    def __init__(self, source: str):
        self.source = source

    def __enter__(self):
        install_pdf_caps()
        _budget.left, _budget.source = MAX_PDF_DECODED_BYTES, self.source
        return self

    def __exit__(self, *exc):
        _budget.left, _budget.source = None, None
        return False


def _spend(n: int) -> None:
    left = getattr(_budget, "left", None)
    if left is None:
        return
    _budget.left = left - n
    if _budget.left < 0:
        raise OverBound(f"{_budget.source}: PDF streams decode to over {_mb(MAX_PDF_DECODED_BYTES)} in all; "
                        "not read")


def inflate(data: bytes, limit: int = MAX_PDF_STREAM_BYTES) -> bytes:
    """zlib.decompress(data), a chunk at a time, refusing output over `limit`."""
    import zlib

    d = zlib.decompressobj()
    out = [d.decompress(data, ZIP_CHUNK)]
    size = len(out[0])
    while d.unconsumed_tail and size <= limit:
        out.append(d.decompress(d.unconsumed_tail, ZIP_CHUNK))
        size += len(out[-1])
    if size > limit:
        raise OverBound(f"{getattr(_budget, 'source', None) or 'PDF'}: a PDF stream inflates to over {_mb(limit)}"
                        "; not read")
    if not d.eof:
        raise zlib.error("incomplete or truncated stream")  # what zlib.decompress says; pdfminer recovers
    _spend(size)
    return b"".join(out)


class _CappedZlib:
    """pdfminer.pdftypes' `zlib`, with `decompress` inflating under the bounds."""

    def __init__(self, zlib):
        self._zlib = zlib
        self.error = zlib.error

    def decompress(self, data, *args, **kwargs):
        return inflate(data)

    def __getattr__(self, name):
        return getattr(self._zlib, name)


def _capped_corrupted(data: bytes) -> bytes:
    """pdfminer's `decompress_corrupted` (a stream with a bad checksum: keep what inflates),
    under the bounds; pdfminer's own feeds zlib one byte at a time, without a limit."""
    import zlib

    d = zlib.decompressobj()
    out, size = [], 0
    try:
        chunk = d.decompress(data, ZIP_CHUNK)
        while True:
            size += len(chunk)
            if size > MAX_PDF_STREAM_BYTES:
                raise OverBound(f"{getattr(_budget, 'source', None) or 'PDF'}: a PDF stream inflates to over "
                                f"{_mb(MAX_PDF_STREAM_BYTES)}; not read")
            out.append(chunk)
            if not d.unconsumed_tail:
                break
            chunk = d.decompress(d.unconsumed_tail, ZIP_CHUNK)
    except zlib.error:
        pass  # the damage: what inflated before it is the stream
    _spend(size)
    return b"".join(out)


def _capped_lzw(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out, size = [], 0
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        size += len(chunk)
        if size > MAX_PDF_STREAM_BYTES:
            raise OverBound(f"{getattr(_budget, 'source', None) or 'PDF'}: a PDF stream (LZW) decodes to over "
                            f"{_mb(MAX_PDF_STREAM_BYTES)}; not read")
        out.append(chunk)
    _spend(size)
    return b"".join(out)


_installed = False


def install_pdf_caps() -> None:
    """Make pdfminer decode Flate and LZW streams under the bounds, and refuse a stream
    whose declared decoded length (/DL) is over them. pdfminer inflates each stream whole
    (`zlib.decompress`) and keeps it: a 972 KB file with one flate bomb took 2 GB."""
    global _installed
    if _installed:
        return
    from pdfminer import pdftypes

    pdftypes.zlib = _CappedZlib(pdftypes.zlib)
    pdftypes.lzwdecode = _capped_lzw
    pdftypes.decompress_corrupted = _capped_corrupted
    decode = pdftypes.PDFStream.decode

    def bounded_decode(self) -> None:
        declared = self.attrs.get("DL") if isinstance(self.attrs, dict) else None
        if isinstance(declared, int) and declared > MAX_PDF_STREAM_BYTES:
            raise OverBound(f"{getattr(_budget, 'source', None) or 'PDF'}: a PDF stream declares "
                            f"{_mb(declared)} decoded (bound {_mb(MAX_PDF_STREAM_BYTES)}); not read")
        decode(self)

    pdftypes.PDFStream.decode = bounded_decode
    _installed = True
