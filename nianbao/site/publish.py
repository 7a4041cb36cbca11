"""Publication: the site serves a published copy of an archive, never the working file
(issue 12 item 1), so crawl, ingest and merge can write while the site is up.

    archive.db                        the working archive: crawl, ingest, merge write here
    archive.db.published/
        published.json                which copy is current (replaced atomically)
        <id>/archive.db               a copy, read-only, never written again
        <id>/inspect-data.json        Datasette's inspect data of that copy (counts.py)

`publish(db)` copies the working archive with SQLite's backup API (one consistent
state: every committed transaction and nothing of one in progress, WAL included),
checks and counts the copy, then names it in published.json with an atomic rename.
Copies older than the previous one are deleted (the previous one may still be
answering requests in flight).

`ServedSite` is the ASGI app `nianbao serve` runs: one Datasette per copy. At most
every POLL_SECONDS a request looks whether published.json names a new copy; if so a
new Datasette is built and warmed in the background while the old one answers, then
new requests go to the new one; the old one's connections are closed when its last
request ends. A request is answered wholly by one copy: the site shows the old state
or the new state, never a mixture, never an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from archive.store import check_archive_file

from . import counts

SUFFIX = ".published"
POINTER = "published.json"
POLL_SECONDS = 1.0


def published_dir(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + SUFFIX)


def source_stamp(db: Path) -> list[int]:
    """Size and modification time of the working file and its WAL: any commit changes them."""
    stamp = []
    for p in (db, db.with_name(db.name + "-wal")):
        try:
            st = p.stat()
            stamp += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            stamp += [0, 0]
    return stamp


def read_pointer(pubdir: Path) -> dict | None:
    try:
        return json.loads((pubdir / POINTER).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def current_copy(db: str | Path) -> Path | None:
    pubdir = published_dir(db)
    pointer = read_pointer(pubdir)
    if pointer is None or not (pubdir / pointer["file"]).is_file():
        return None
    return pubdir / pointer["file"]


def is_stale(db: str | Path) -> bool:
    """True if the working archive changed since its last publication (or was never published)."""
    db = Path(db)
    pointer = read_pointer(published_dir(db))
    return pointer is None or current_copy(db) is None or pointer.get("source") != source_stamp(db)


@contextlib.contextmanager
def _locked(pubdir: Path):
    with open(pubdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two publications of one archive: one after the other
        yield


def _copy(db: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # all pages in one step, under one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal to forget
    finally:
        dst.close()
        src.close()


def schema_is_current(path) -> bool:
    from archive.schema import SCHEMA_VERSION
    from archive.store import read_only_column

    versions = read_only_column(path, "SELECT version FROM schema_migrations", "has no schema_migrations")
    return max(versions, default=0) >= SCHEMA_VERSION


def upgrade_schema(path) -> None:
    """The site's pages and canned queries read the newest schema (labels, coverage, the
    short-search index …): bring an older archive up to date before it is served
    immutable (a no-op when current; the migrations may take minutes on a large file)."""
    import sqlite3

    from archive.schema import SCHEMA_VERSION
    from archive.store import open_archive

    path = check_archive_file(path)
    if schema_is_current(path):
        return
    print(f"nianbao: bringing {path} up to schema {SCHEMA_VERSION} …", flush=True)
    try:
        db = open_archive(path, create=False)
    except sqlite3.OperationalError as exc:  # a read-only file or folder: serve it as it is
        print(f"nianbao: cannot update {path} ({exc}); serving it as it is: pages that need the"
              " newer schema will say so", flush=True)
        return
    try:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.conn.close()


def publish(db: str | Path) -> Path:
    """Publish the working archive's current state, at the newest schema (the site's pages
    read it); returns the copy's path."""
    db = check_archive_file(db)
    upgrade_schema(db)
    pubdir = published_dir(db)
    pubdir.mkdir(exist_ok=True)
    with _locked(pubdir):
        stamp = source_stamp(db)  # before copying: a commit during the copy makes it stale again
        pub_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
        folder = pubdir / pub_id
        folder.mkdir()
        try:
            copy = folder / db.name
            _copy(db, copy)
            check_archive_file(copy)
            inspect = {db.stem: counts.inspect_archive(copy)}
            (folder / counts.INSPECT_FILE).write_text(json.dumps(inspect, indent=1), encoding="utf-8")
            copy.chmod(0o444)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        previous = read_pointer(pubdir)
        pointer = {"id": pub_id, "file": f"{pub_id}/{db.name}", "source": stamp,
                   "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                   "previous": previous and previous.get("id")}
        tmp = pubdir / f".{POINTER}.{pub_id}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(pointer, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, pubdir / POINTER)
        _prune(pubdir, keep={pub_id, pointer["previous"]})
    return copy


def _prune(pubdir: Path, keep: set) -> None:
    for child in pubdir.iterdir():
        if child.is_dir() and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)  # open files live on until their site closes them


def publish_if_published(db: str | Path) -> Path | None:
    """After a command wrote to an archive that has a publication: publish the new state."""
    if published_dir(db).is_dir() and Path(db).is_file() and is_stale(db):
        return publish(db)
    return None


class _Site:
    def __init__(self, pub_id: str, ds):
        self.id, self.ds, self.app = pub_id, ds, ds.app()
        self.inflight = 0
        self.retired = False

    def close_if_idle(self) -> None:
        if self.retired and self.inflight == 0:
            for db in self.ds.databases.values():
                db.close()
            if self.ds.executor is not None:
                self.ds.executor.shutdown(wait=False)


class ServedSite:
    """The ASGI app of `nianbao serve`: the current published copy of `db`, switched live."""

    def __init__(self, db: str | Path, *, warm: bool = True, **settings):
        self.db = Path(db)
        self.pubdir = published_dir(self.db)
        self.warm, self.settings = warm, settings
        self.secret = secrets.token_hex(32)  # one for every copy: signed cookies survive a switch
        self.site: _Site | None = None
        self.checked = 0.0
        self.pointer_stat = None
        self.switching: asyncio.Task | None = None

    def _pointer(self) -> dict:
        pointer = read_pointer(self.pubdir)
        if pointer is None:
            raise FileNotFoundError(f"{self.db} has no published copy (run nianbao publish --db {self.db})")
        return pointer

    async def _build(self, pointer: dict) -> _Site:
        from .app import make_datasette, warm_site

        ds = make_datasette(self.pubdir / pointer["file"], secret=self.secret, **self.settings)
        if self.warm:
            await warm_site(ds)
        return _Site(pointer["id"], ds)

    async def start(self) -> dict:
        """Open the current copy (before listening)."""
        pointer = self._pointer()
        self.pointer_stat = self._stat()
        self.site = await self._build(pointer)
        return pointer

    def _stat(self):
        try:
            st = (self.pubdir / POINTER).stat()
            return (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return None

    def _look(self) -> None:
        now = time.monotonic()
        if now - self.checked < POLL_SECONDS or (self.switching and not self.switching.done()):
            return
        self.checked = now
        stat = self._stat()
        if stat is None or stat == self.pointer_stat:
            return
        self.pointer_stat = stat
        pointer = read_pointer(self.pubdir)
        if pointer and self.site and pointer["id"] != self.site.id:
            self.switching = asyncio.get_running_loop().create_task(self._switch(pointer))

    async def _switch(self, pointer: dict) -> None:
        try:
            new = await self._build(pointer)
        except Exception as exc:  # noqa: BLE001 — a bad copy leaves the site on the old one
            print(f"nianbao serve: kept {self.site.id}: cannot open {pointer['file']}: {exc}", file=sys.stderr)
            return
        old, self.site = self.site, new
        old.retired = True
        old.close_if_idle()
        print(f"nianbao serve: now serving {pointer['file']} (published {pointer['published_at']})", flush=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if self.site is None:
                        await self.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if self.site is None:
            await self.start()
        self._look()
        site = self.site
        site.inflight += 1
        try:
            await site.app(scope, receive, send)
        finally:
            site.inflight -= 1
            site.close_if_idle()
