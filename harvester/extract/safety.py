"""Reading untrusted documents safely: ZIP-bomb guard, private temporary directories, limits.

Limits come from the environment at call time (so a test or the CLI can change them), with the
defaults of ``harvester.settings``:

- ``HARVESTER_ZIP_MAX_TOTAL``   total uncompressed bytes a ZIP package may declare (default 200 MB)
- ``HARVESTER_ZIP_MAX_RATIO``   uncompressed/compressed ratio of one member (default 200), judged only
  for members larger than ``HARVESTER_ZIP_RATIO_FLOOR`` (1 MB): small XML parts legitimately
  compress 50–100 times
- ``HARVESTER_ZIP_MAX_MEMBERS`` members in one package (default 10 000)
- ``HARVESTER_CONVERTER_TIMEOUT`` seconds a converter (LibreOffice, antiword, Tesseract) may run
- ``HARVESTER_TMPDIR``          where private temporary directories are made (default: the system's)

The guard reads the central directory only. Python's ``zipfile`` never inflates a member beyond its
declared size (it stops there and fails the CRC check), so the declared sizes bound what a reader can
be made to allocate; overlapping-member bombs declare the sum of their inflated sizes and are caught
by the total.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass

from .config import setting  # noqa: F401 - the readers' settings, read at call time

TEMP_PREFIX = "harvester-"


def converter_timeout() -> float:
    return float(setting("HARVESTER_CONVERTER_TIMEOUT"))


class ZipBomb(Exception):
    """The package declares more than the limits allow."""


@dataclass
class ZipReport:
    members: int
    total: int          # declared uncompressed bytes
    compressed: int
    encrypted: bool = False    # a member has the "encrypted" flag (password-protected ZIP)


def check_zip(data: bytes) -> ZipReport:
    """Raise ZipBomb if the ZIP in ``data`` exceeds the limits; zipfile.BadZipFile if it is no ZIP."""
    max_total = int(setting("HARVESTER_ZIP_MAX_TOTAL"))
    max_ratio = float(setting("HARVESTER_ZIP_MAX_RATIO"))
    floor = int(setting("HARVESTER_ZIP_RATIO_FLOOR"))
    max_members = int(setting("HARVESTER_ZIP_MAX_MEMBERS"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    if len(infos) > max_members:
        raise ZipBomb(f"{len(infos)} members (limit {max_members})")
    total = compressed = 0
    for info in infos:
        size, packed = info.file_size, info.compress_size
        total += size
        compressed += packed
        if total > max_total:
            raise ZipBomb(f"declares more than {max_total} uncompressed bytes (at member {info.filename!r}: "
                          f"{total} so far)")
        if size > floor and size > max_ratio * max(packed, 1):
            raise ZipBomb(f"member {info.filename!r} inflates {size} bytes from {packed} "
                          f"(ratio {size / max(packed, 1):.0f}, limit {max_ratio:g})")
    from .budget import zip_members
    zip_members(infos)                   # then each member against its own budget (a legal ratio, too large)
    return ZipReport(len(infos), total, compressed, any(i.flag_bits & 0x1 for i in infos))


@contextlib.contextmanager
def private_tempdir(tag: str = "tmp"):
    """A fresh directory only this process can read (mode 0700), removed with everything in it on exit,
    whatever happens. Names inside it are chosen by the caller, never taken from a URL."""
    base = os.environ.get("HARVESTER_TMPDIR") or None
    if base:
        os.makedirs(base, exist_ok=True)
    path = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{tag}-", dir=base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if os.path.exists(path):  # pragma: no cover - a file kept busy by a killed child: try once more
            import time
            time.sleep(0.2)
            shutil.rmtree(path, ignore_errors=True)
