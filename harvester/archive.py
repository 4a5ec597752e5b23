"""Content-addressed store of raw documents: bytes filed by SHA-256 under ``ab/cd/<sha256>``.

The same bytes are stored once whatever URL they came from. Writes are atomic (temporary file
in the target directory, fsync, rename), so a crash never leaves a truncated file under a
valid name, and concurrent writers of the same bytes are harmless.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
from pathlib import Path

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TMP_DIR = ".tmp"                       # files being written: <host>-<pid>-<random>, renamed into place when whole
_HOST = socket.gethostname().replace("-", "_")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Archive:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    @staticmethod
    def relpath(sha256: str) -> str:
        """Path of a document relative to the archive root: ``ab/cd/abcd…``."""
        sha256 = sha256.lower()
        if not _SHA_RE.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        return self.root / self.relpath(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> tuple[str, str]:
        """Store ``data``; return (sha256, path relative to the root). Idempotent."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Archive.put expects bytes, got {type(data).__name__}")
        data = bytes(data)
        sha = sha256_hex(data)
        rel = self.relpath(sha)
        target = self.root / rel
        if target.is_file() and target.stat().st_size == len(data):
            return sha, rel
        target.parent.mkdir(parents=True, exist_ok=True)
        spool = self.root / TMP_DIR
        spool.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{_HOST}-{os.getpid()}-", dir=spool)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return sha, rel

    def sweep(self) -> int:
        """Remove the partial files of writers on this machine that are gone (a crawl killed mid-write);
        returns how many. Files of live processes and of other machines are left alone."""
        spool = self.root / TMP_DIR
        removed = 0
        try:
            entries = list(os.scandir(spool))
        except FileNotFoundError:
            return 0
        for e in entries:
            host, _, rest = e.name.partition("-")
            pid = rest.partition("-")[0]
            if host != _HOST or not pid.isdigit():
                continue
            try:
                os.kill(int(pid), 0)
                continue                   # still writing
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            try:
                os.unlink(e.path)
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def files(self):
        """Every complete document file: (sha256, path)."""
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for second in sorted(first.glob("[0-9a-f][0-9a-f]")):
                for p in second.iterdir():
                    if _SHA_RE.match(p.name):
                        yield p.name, p

    def get(self, sha256: str, *, verify: bool = False) -> bytes:
        """Bytes stored under ``sha256``; FileNotFoundError when absent.

        With ``verify=True`` the content is re-hashed and a mismatch raises ValueError.
        """
        data = self.path(sha256).read_bytes()
        if verify and sha256_hex(data) != sha256.lower():
            raise ValueError(f"archive file for {sha256} is corrupt (hash mismatch)")
        return data
