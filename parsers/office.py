"""Word 97–2003 and WPS binaries (.doc/.wps, OLE2) → .docx bytes, by LibreOffice.

LibreOffice runs headless in a subprocess: its own process group (killed
whole on the time limit: soffice starts soffice.bin), its own profile
directory (-env:UserInstallation; parallel conversions in several processes
never share one), no network where the system allows a private network
namespace (`unshare -rn`), the document in a private temporary folder that is
removed afterwards. Nothing here parses: the .docx goes to the Word reader.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path

CONVERT_SECONDS = 120
SOFFICE_NAMES = ("soffice", "libreoffice")
INSTALL_HINT = "apt-get install --no-install-recommends libreoffice-writer-nogui"
# the filter name pins the output to Word 2007+ XML whatever the input's type
DOCX_FILTER = "docx:MS Word 2007 XML"
_LOCK = threading.Lock()  # one conversion at a time per process: one profile per process


class ConversionError(Exception):
    """LibreOffice is missing, failed or ran out of time: a one-line reason."""


@cache
def soffice() -> str | None:
    override = os.environ.get("NIANBAO_SOFFICE")
    if override:
        return override if Path(override).is_file() else None
    return next((p for name in SOFFICE_NAMES if (p := shutil.which(name))), None)


@cache
def _no_network_prefix() -> tuple[str, ...]:
    """`unshare -rn` (a private network namespace with only loopback) where it works."""
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    try:
        ok = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (unshare, "-rn") if ok else ()


@cache
def _profile_dir() -> Path:
    # per process (cache is per interpreter): a warm profile makes later conversions
    # ~2 s faster than a fresh one each time, and processes never share it
    return Path(tempfile.mkdtemp(prefix=f"nianbao-lo-profile-{os.getpid()}-"))


def to_docx(data: bytes, *, suffix: str = ".doc", seconds: float = CONVERT_SECONDS) -> bytes:
    return convert(data, suffix=suffix, target=DOCX_FILTER, seconds=seconds)


def convert(data: bytes, *, suffix: str, target: str, seconds: float = CONVERT_SECONDS) -> bytes:
    """`data` (a file ending in `suffix`) converted by LibreOffice's `target`
    ("ext:Filter name", as for --convert-to); the sandbox makes .doc and PDFs with it."""
    exe = soffice()
    if exe is None:
        raise ConversionError(
            f"LibreOffice (soffice) is not installed, so .doc/.wps files cannot be read; install it: {INSTALL_HINT}")
    with _LOCK, tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        src = Path(tmp) / f"document{suffix}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        cmd = [*_no_network_prefix(), exe, f"-env:UserInstallation={_profile_dir().as_uri()}",
               "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", target, "--outdir", str(out), str(src)]
        env = {**os.environ, "HOME": tmp, "SAL_USE_VCLPLUGIN": "svp"}
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(proxy, None)
        _run(cmd, env, seconds)
        produced = out / f"document.{target.split(':', 1)[0]}"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise ConversionError(f"LibreOffice could not convert the document to .{target.split(':', 1)[0]} "
                                  "(damaged, or not a document it reads)")
        return produced.read_bytes()


def _run(cmd: list[str], env: dict, seconds: float) -> None:
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConversionError(f"LibreOffice did not convert the document within {seconds:.0f} s; stopped") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode != 0:
        last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ConversionError(f"LibreOffice failed to convert the document: {last[0][:200]}")
