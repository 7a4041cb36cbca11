"""The same reports in the other formats bodies publish: Word 97 (.doc) and
WPS binaries, PDFs printed by a browser or exported by LibreOffice, and scans
(image-only PDFs, photos of a page). Every one is made from the sandbox's own
HTML/DOCX/PDF of the report with the real tools (LibreOffice, headless
Chromium, pdftoppm, Pillow), so its ground truth is the report's record.

A .wps file from WPS Office is a Word 97 binary (an OLE2 file with a
WordDocument stream); LibreOffice cannot write Kingsoft's format, so the .wps
here is the .doc's bytes under the other name, as WPS users publish them.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
PRINT_SECONDS = 120


class ToolMissing(RuntimeError):
    pass


def doc(report) -> bytes:
    """The report's DOCX saved by LibreOffice as Word 97-2003 (.doc; also served as .wps)."""
    from parsers.office import ConversionError, convert
    from sandbox import render_docx

    try:
        return convert(render_docx.render(report), suffix=".docx", target="doc:MS Word 97")
    except ConversionError as exc:
        raise ToolMissing(str(exc)) from None


def libreoffice_pdf(report) -> bytes:
    """The report's DOCX exported to PDF by LibreOffice Writer."""
    from parsers.office import ConversionError, convert
    from sandbox import render_docx

    try:
        return convert(render_docx.render(report), suffix=".docx", target="pdf:writer_pdf_Export")
    except ConversionError as exc:
        raise ToolMissing(str(exc)) from None


def report_page(report) -> str:
    """The report's article page as the sandbox serves it (HTML reports' page)."""
    from sandbox import cms, render_html

    container = cms.family(report.site.cms).CONTAINER
    return render_html.article(report.site, report.title, report.published, report.body.name,
                               render_html.report_inner(report), container, [])


def chromium_pdf(report) -> bytes:
    """The report's HTML page printed to PDF by headless Chromium (A4, tables broken across pages)."""
    exe = next((p for name in CHROMIUM_NAMES if (p := shutil.which(name))), None)
    if exe is None:
        raise ToolMissing("chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="nianbao-print-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(report_page(report), encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", page.as_uri()]
        subprocess.run(cmd, capture_output=True, timeout=PRINT_SECONDS, check=False)
        if not out.is_file():
            raise ToolMissing("chromium did not print the page to PDF")
        return out.read_bytes()


# --- scans ---------------------------------------------------------------------------


def page_images(pdf: bytes, dpi: int) -> list:
    """Each page of a PDF as a grayscale Pillow image (pdftoppm, poppler-utils)."""
    from PIL import Image

    if not shutil.which("pdftoppm"):
        raise ToolMissing("pdftoppm is not installed: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="nianbao-scan-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(src), f"{tmp}/p"],
                       check=True, capture_output=True, timeout=PRINT_SECONDS)
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [Image.open(p).convert("L") for p in pages]


def scanned(image, rng: random.Random, *, max_skew: float = 1.2, speckle: float = 0.0004, quality: int = 55):
    """What a flatbed scanner and a JPEG encoder do to a page: a slight rotation,
    grey paper, dust specks, blur, JPEG artefacts."""
    from PIL import Image, ImageFilter

    angle = rng.uniform(-max_skew, max_skew)
    img = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    img = img.point(lambda v: int(v * 0.86 + 22))  # grey paper, not-quite-black ink
    px = img.load()
    w, h = img.size
    for _ in range(int(w * h * speckle)):
        x, y = rng.randrange(w - 2), rng.randrange(h - 2)
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1))[: rng.randint(1, 4)]:
            px[x + dx, y + dy] = rng.randint(0, 90)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def scan_pdf(pdf: bytes, *, dpi: int = 200, seed: int = 0) -> bytes:
    """An image-only PDF of the pages of `pdf`, as a scanner makes it."""
    rng = random.Random(f"scan:{seed}:{dpi}")
    pages = [scanned(p, rng) for p in page_images(pdf, dpi)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])
    return buf.getvalue()


def photo(pdf: bytes, page: int, *, seed: int = 0) -> bytes:
    """A phone photo of one page: 150 dpi, rotated a little more, uneven light, JPEG."""
    from PIL import Image, ImageChops

    rng = random.Random(f"photo:{seed}:{page}")
    img = scanned(page_images(pdf, 150)[page], rng, max_skew=2.5, speckle=0.0002, quality=70)
    # light falling off from top to bottom: up to 18 % darker
    light = Image.linear_gradient("L").resize(img.size).point(lambda v: int(255 - v * 0.18))
    buf = io.BytesIO()
    ImageChops.multiply(img, light).save(buf, "JPEG", quality=72)
    return buf.getvalue()


def legacy(report) -> bytes:
    """The bytes the sandbox serves for a report of kind doc, wps or scan."""
    if report.kind == "scan":
        from sandbox import render_pdf

        return scan_pdf(render_pdf.render(report), dpi=200, seed=report.id)
    return doc(report)
