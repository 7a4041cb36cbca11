"""`nianbao verify` re-hashes every snapshot: ok on a sound archive, names each mismatch."""

from __future__ import annotations

import shutil
import sqlite3
import zlib

from archive.verify import verify_archive
from nianbao.cli import main
from tests.archive_fixtures import build_demo_archive


def test_verify_ok_and_then_a_corrupted_blob(tmp_path, capsys):
    path = tmp_path / "demo.db"
    build_demo_archive(path)
    result = verify_archive(path)
    assert result.ok and result.integrity == "ok" and result.snapshots == result.blobs > 0
    assert main(["verify", "--db", str(path)]) == 0
    assert "ok — integrity ok" in capsys.readouterr().out

    bad = tmp_path / "bad.db"
    shutil.copy(path, bad)
    conn = sqlite3.connect(bad)  # what bit rot or a buggy tool would do: the triggers forbid it
    conn.execute("DROP TRIGGER blobs_no_update")
    sha = conn.execute("SELECT sha256 FROM blobs ORDER BY sha256 LIMIT 1").fetchone()[0]
    conn.execute("UPDATE blobs SET data = ? WHERE sha256 = ?", (zlib.compress(b"tampered"), sha))
    conn.commit()
    conn.close()
    assert main(["verify", "--db", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"MISMATCH blob {sha}: bytes hash to " in err and f"blob {sha}: 8 bytes, recorded" in err
