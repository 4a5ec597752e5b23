"""Web-archive evidence: every HTTP exchange of a crawl as WARC/1.1 records, and the raw-bytes archive as a
view of them.

- `WarcWriter` writes size-rotated, gzip-per-record ``.warc.gz`` files (``<archive>/warc/`` by default,
  ``HARVESTER_WARC_DIR``); each file opens with a ``warcinfo`` record naming the software, the run and the
  robots policy. Digests are SHA-256 (``sha256:<base32>``), so a payload digest names the same bytes the
  archive knows by their SHA-256.
- `WarcArchive` is the content-addressed archive (`harvester.archive.Archive`) seen through the WARC
  records: ``get(sha256)`` reads the payload of the response/resource record that holds those bytes (the
  table ``warc_captures`` says which file and offset); ``put`` stores nothing when a capture already holds
  the bytes — one store of bytes, not two. Bytes that never came over the network (a test, a file parsed
  by hand) still go to the plain files.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import socket
import zlib
from datetime import datetime, timezone
from pathlib import Path

from harvester.archive import Archive, sha256_hex

REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PAYLOAD_TYPES = ("response", "resource", "conversion")     # records that carry the bytes


def b32_digest(data: bytes) -> str:
    """WARC digest of ``data``: ``sha256:`` + base32 of its SHA-256."""
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def digest_hex(digest: str) -> str | None:
    """The hex SHA-256 a ``sha256:<base32>`` digest names (None for other algorithms)."""
    if not digest or not digest.lower().startswith("sha256:"):
        return None
    return base64.b32decode(digest.split(":", 1)[1]).hex()


def warc_date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decoded_body(body: bytes, content_encoding: str) -> bytes | None:
    """The entity body without its Content-Encoding (what the pipelines see); None when it cannot be decoded."""
    enc = (content_encoding or "").strip().lower()
    try:
        if enc in ("", "identity"):
            return body
        if enc in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if enc == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -15)
        if enc == "br":
            import brotli
            return brotli.decompress(body)
    except Exception:  # noqa: BLE001 - a body the server mis-labelled: no decoded digest
        return None
    return None


class WarcWriter:
    """Appends records to ``<dir>/<prefix>-<run>-<UTC time>-<host>-<pid>-<serial>.warc.gz``; a file is closed and
    a new one begun (with its own warcinfo) when it reaches ``max_bytes``. Every record is its own gzip member,
    so any record can be read from its offset alone."""

    def __init__(self, directory: str | os.PathLike, *, run_id: int | None, info: dict, max_bytes: int,
                 prefix: str = "harvester"):
        from warcio.warcwriter import WARCWriter as _W
        from warcio.utils import Digester

        class _Sha256Writer(_W):
            @staticmethod
            def _create_digester():
                return Digester("sha256")

        self._cls = _Sha256Writer
        self.dir = Path(directory)
        self.run_id = run_id
        self.info = info
        self.max_bytes = max(int(max_bytes), 64 * 1024)
        self.prefix = prefix
        self.serial = 0
        self._fh = None
        self._writer = None
        self.path: Path | None = None
        self.files: list[str] = []

    def _open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        host = socket.gethostname().split(".")[0] or "host"
        name = f"{self.prefix}-{self.run_id or 0}-{stamp}-{host}-{os.getpid()}-{self.serial:05d}.warc.gz"
        self.serial += 1
        self.path = self.dir / name
        self._fh = open(self.path, "ab")
        self._writer = self._cls(self._fh, gzip=True, warc_version="1.1")
        self.files.append(name)
        info = self._writer.create_warcinfo_record(name, dict(self.info))
        self._writer.write_record(info)
        self._fh.flush()

    def builder(self):
        if self._writer is None:
            self._open()
        return self._writer

    def write(self, records) -> list[dict]:
        """Write records (warcio ArcWarcRecord) in order; returns per record its file, offset and length."""
        if self._writer is None or (self._fh.tell() >= self.max_bytes):
            self.close()
            self._open()
        out = []
        for rec in records:
            offset = self._fh.tell()
            self._writer.write_record(rec)
            out.append({"warc_file": self.path.name, "offset": offset, "length": self._fh.tell() - offset})
        self._fh.flush()
        return out

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        self._fh = self._writer = None


def read_record_payload(path: str | os.PathLike, offset: int) -> bytes:
    """The payload of the record at ``offset`` — a response's entity body without chunking or Content-Encoding,
    a resource's or conversion's content."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                return record.content_stream().read()
            return record.raw_stream.read()
    raise FileNotFoundError(f"no WARC record at {path}:{offset}")


def read_archived(archive_root: str | os.PathLike, ref: str) -> bytes:
    """The bytes an archive reference names (``documents.storage_path``, the exports' ``archive_path``):
    ``warc:<file>#<offset>`` — the payload of that record under ``<archive_root>/warc/`` — or a file of the
    archive relative to its root (``ab/cd/<sha256>``)."""
    root = Path(archive_root)
    if ref.startswith("warc:"):
        name, offset = ref[len("warc:"):].split("#")
        return read_record_payload(root / "warc" / name, int(offset))
    return (root / ref).read_bytes()


class WarcArchive(Archive):
    """The archive as a view of the WARC records (module docstring)."""

    def __init__(self, root, warc_dir, store):
        super().__init__(root)
        self.warc_dir = Path(warc_dir)
        self.store = store

    def _capture(self, sha256: str) -> dict | None:
        return self.store.capture_holding(sha256)

    def has(self, sha256: str) -> bool:
        if super().has(sha256):
            return True
        cap = self._capture(sha256)
        return cap is not None and (self.warc_dir / cap["warc_file"]).is_file()

    def put(self, data: bytes) -> tuple[str, str]:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Archive.put expects bytes, got {type(data).__name__}")
        sha = sha256_hex(bytes(data))
        cap = self._capture(sha)
        if cap is not None and (self.warc_dir / cap["warc_file"]).is_file():
            return sha, f"warc:{cap['warc_file']}#{cap['offset']}"
        return super().put(data)

    def get(self, sha256: str, *, verify: bool = False) -> bytes:
        if super().has(sha256):
            return super().get(sha256, verify=verify)
        cap = self._capture(sha256)
        if cap is None:
            raise FileNotFoundError(f"no archived copy of {sha256} (neither a file nor a WARC record)")
        path = self.warc_dir / cap["warc_file"]
        if not path.is_file():
            raise FileNotFoundError(f"WARC file {path} (record {cap['record_id']}) is gone")
        data = read_record_payload(path, cap["offset"])
        if sha256_hex(data) != sha256.lower():
            raise ValueError(f"WARC record {cap['record_id']} does not hold {sha256} (hash mismatch)")
        return data


def http_block(status_line: str, headers: list[tuple[str, str]]) -> bytes:
    head = status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1", "replace")


def memory(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


# ------------------------------------------------------------------------------------------------
# CDXJ index: one sorted index per WARC file under <warc dir>/indexes/ (pywb reads the directory)
# ------------------------------------------------------------------------------------------------

def index_path(warc_dir: str | os.PathLike, name: str) -> Path:
    return Path(warc_dir) / "indexes" / (name.removesuffix(".warc.gz") + ".cdxj")


def index_warc(warc_dir: str | os.PathLike, name: str) -> Path:
    """(Re)write the CDXJ index of one WARC file (cdxj-indexer; POST bodies appended to the key as pywb does)."""
    from cdxj_indexer.main import write_cdx_index

    warc_dir = Path(warc_dir)
    out = index_path(warc_dir, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".cdxj.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        write_cdx_index(fh, [str(warc_dir / name)], {"sort": True, "post_append": True})
    os.replace(tmp, out)
    return out


def index_all(warc_dir: str | os.PathLike, *, rebuild: bool = False) -> list[Path]:
    """Index every WARC file of the directory that has no index yet (all of them with ``rebuild``)."""
    warc_dir = Path(warc_dir)
    done = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        idx = index_path(warc_dir, path.name)
        if rebuild or not idx.is_file() or idx.stat().st_mtime < path.stat().st_mtime:
            done.append(index_warc(warc_dir, path.name))
    return done


def warc_files(warc_dir: str | os.PathLike) -> list[Path]:
    return sorted(Path(warc_dir).glob("*.warc.gz"))
