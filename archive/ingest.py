"""`nianbao ingest`: local files and folders into the archive, through the one
storing path (archive/document.py).

Only what the user meant is read: in a folder, hidden files and folders (.git,
.ssh, .env …) are skipped, a symlink is followed only when it stays inside the
folder given, and anything that is not a regular file (a FIFO, a device, a
socket) is refused by name without being opened. A file name that is not
UTF-8 is shown and stored in a readable form. "Newest" between two versions of
a report is by the time they were ingested, never by a file's modification time.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from nianbao.vocabulary import StorageFull

from .document import Document, store_document
from .store import MIN_FREE_MB, low_space

# What a path is when it is not a regular file or folder (stat.S_IFMT → words).
SPECIAL_FILES = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
                 stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def shown(path: Path | str) -> str:
    """A path as text whatever bytes its name has (UTF-8, else GB18030, else \\x escapes)."""
    raw = os.fsencode(path)
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def file_url(path: Path) -> str:
    """A machine-independent identifier: the parent folder's name and the file name."""
    name, parent = shown(path.name), shown(path.parent.name)
    return f"file:{parent}/{name}" if parent else f"file:{name}"


def _refusal(path: Path, root: Path | None) -> str | None:
    """Why path is not read, or None. Never opens it."""
    try:
        st = path.lstat()
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        if root is not None and not path.resolve().is_relative_to(root):
            return "a symlink to outside the folder given: not followed"
        try:
            st = path.stat()
        except OSError:
            return "a broken symlink"
    kind = SPECIAL_FILES.get(stat.S_IFMT(st.st_mode))
    if kind:
        return f"{kind}, not a document: refused"
    return None


def walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """(file, reason it is refused or None) for each path given and each file in each folder given."""
    for given in map(Path, paths):
        if not given.is_dir():
            yield given, _refusal(given, None)
            continue
        root = given.resolve()
        for folder, dirs, files in os.walk(given):  # symlinked folders are not descended
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    path = Path(folder) / name
                    yield path, _refusal(path, root)


def _now() -> str:
    """The ingest's clock, to the microsecond: two ingests in one second still have an order
    (and "…:20.5+00:00" sorts after "…:20+00:00" and before "…:21+00:00", as a crawl's times do)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def ingest_paths(db, paths: Iterable[str | Path], *, min_free_mb: float = MIN_FREE_MB) -> dict:
    """Parse and store local files/folders. Counts: files, snapshots_new, reports,
    not_reports, rejected (with reasons in 'errors', one line each). Raises StorageFull
    before a file the archive's disk has no room left for (archive.store.low_space)."""
    from parsers.bounded import parse_bounded
    from parsers.document import MAX_BYTES, InputError

    db_file = _file_of(db)
    counts = {"files": 0, "snapshots_new": 0, "reports": 0, "not_reports": 0, "rejected": 0, "errors": []}

    def reject(path: Path, reason: str) -> None:
        counts["rejected"] += 1
        counts["errors"].append(f"{shown(path)}: {reason}")

    for path, refused in walk(paths):
        counts["files"] += 1
        if refused:
            reject(path, refused)
            continue
        try:
            size = path.stat().st_size
            if size == 0 or size > MAX_BYTES:
                reject(path, "empty file" if size == 0 else
                       f"{size / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit")
                continue
            body = path.read_bytes()
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError as exc:
            reject(path, f"cannot read ({exc.strerror})")
            continue
        # Parsed before it is stored: a file the parsers refuse is named, not archived.
        try:
            record = parse_bounded(body, source=str(path), filename=path.name)  # within time and memory limits
        except InputError as exc:
            reject(path, str(exc).removeprefix(f"{path}: "))
            continue
        except Exception as exc:  # a parser bug on one file must not stop a batch of thousands
            reject(path, f"parser error {type(exc).__name__}: {exc}")
            continue
        reason = low_space(db_file, min_free_mb=min_free_mb) if db_file else None
        if reason:
            raise StorageFull(reason)
        # The file's modification time is kept as a header, for the record only.
        doc = Document(url=file_url(path), body=body, fetched_at=_now(), site="file", filename=path.name,
                       headers={"Last-Modified": format_datetime(mtime, usegmt=True)}, sighting=False)
        out = store_document(db, doc, parse=lambda _doc, record=record: record)
        counts["snapshots_new"] += int(out["created"])
        if not out["known"]:
            counts["reports" if out["report"] else "not_reports"] += 1
        else:
            counts["reports" if _has_report(db, out["snapshot_id"]) else "not_reports"] += 1
    return counts


def _file_of(db) -> str | None:
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] or None if row else None


def _has_report(db, snapshot_id: str) -> bool:
    return db.execute("SELECT 1 FROM reports WHERE snapshot_id = ?", (snapshot_id,)).fetchone() is not None
