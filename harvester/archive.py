"""Content-addressed store of raw documents: bytes filed by SHA-256 under ``ab/cd/<sha256>``.

The same bytes are stored once whatever URL they came from. Writes are atomic (temporary file
in the target directory, fsync, rename), so a crash never leaves a truncated file under a
valid name, and concurrent writers of the same bytes are harmless.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


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
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
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

    def get(self, sha256: str, *, verify: bool = False) -> bytes:
        """Bytes stored under ``sha256``; FileNotFoundError when absent.

        With ``verify=True`` the content is re-hashed and a mismatch raises ValueError.
        """
        data = self.path(sha256).read_bytes()
        if verify and sha256_hex(data) != sha256.lower():
            raise ValueError(f"archive file for {sha256} is corrupt (hash mismatch)")
        return data
