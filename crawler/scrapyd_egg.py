"""Build the egg scrapyd runs: the crawl's runtime code and its data files.

scrapyd-deploy would write a setup.py into the project (nianbao is
pyproject-only) that leaves out package data; this writes the egg directly.
An egg is a zip with the packages at its root and EGG-INFO/ metadata; scrapyd
only needs the `scrapy` entry point naming the settings module. The sandbox,
the CLI (bar its vocabulary module) and the Datasette site are left out: a
crawl node needs none of them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "parsers", "archive")
# Of the CLI package, only the shared vocabulary (report titles, fetch and storage failures).
MODULES = ("nianbao/__init__.py", "nianbao/vocabulary.py")
ENTRY_MODULE = "nianbao_scrapyd"  # crawler/scrapyd_entry.py, at the egg's top level
SKIP_PARTS = {"__pycache__"}
# Fixed timestamps: the same sources give the same egg bytes (and the same egg cache key).
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def egg_files(root: Path = ROOT) -> list[tuple[str, bytes]]:
    """(path in the egg, bytes) for the runtime packages, their data and the metadata."""
    files = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIP_PARTS & set(rel.parts) and path.suffix not in (".pyc", ".pyo"):
                files.append((rel.as_posix(), path.read_bytes()))
    files += [(name, (root / name).read_bytes()) for name in MODULES]
    files.append((f"{ENTRY_MODULE}.py", (root / "crawler" / "scrapyd_entry.py").read_bytes()))
    files += [
        ("EGG-INFO/PKG-INFO", b"Metadata-Version: 2.1\nName: nianbao\nVersion: 0.1.0\n"),
        ("EGG-INFO/entry_points.txt", f"[scrapy]\nsettings = {ENTRY_MODULE}\n".encode()),
        ("EGG-INFO/top_level.txt", ("\n".join((*PACKAGES, "nianbao", ENTRY_MODULE)) + "\n").encode()),
        ("EGG-INFO/not-zip-safe", b"\n"),  # data files are read by path (see crawler/scrapyd_entry.py)
    ]
    return files


def build_egg(root: Path = ROOT) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in egg_files(root):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()
