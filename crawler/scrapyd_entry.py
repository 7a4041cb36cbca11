"""Settings entry point of the egg `nianbao deploy` uploads to scrapyd.

Copied into the egg as the top-level module `nianbao_scrapyd`. scrapyd runs a
job with the egg *zipped* on sys.path, but crawler/registry.py and
archive/regions.py read their data files (registry.yml, the division CSVs)
by filesystem path. So before any project module is imported, the egg is
unpacked once per egg content into an egg cache (as pkg_resources does for
resource files) and put first on sys.path; then the real settings load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def unpack_egg() -> Path | None:
    egg = Path(__file__).parent  # the .egg file itself when imported from the zip
    if not zipfile.is_zipfile(egg):
        return None  # an unpacked checkout or install: data files are real files already
    digest = hashlib.sha256(egg.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("NIANBAO_EGG_CACHE") or Path(tempfile.gettempdir()) / "nianbao-eggs")
    target = cache / digest
    if not target.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=cache))
        with zipfile.ZipFile(egg) as z:
            z.extractall(partial)
        try:
            partial.rename(target)  # atomic: two jobs starting together never see half an egg
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)  # another job unpacked it first
    sys.path.insert(0, str(target))
    return target


EGG_DIR = unpack_egg()

from crawler.settings import *  # noqa: E402,F403  (the project's settings, from the unpacked egg)
