"""Plain-text bytes -> Extracted (archive page texts, TSV dumps, docx2txt-style dumps).

Decoding: BOM, strict UTF-8, strict GB18030, charset-normalizer, then UTF-8 with replacement.
Binary data that slipped through the sniffer is reported, not parsed.
"""
from __future__ import annotations

from .base import Extracted
from .metadata import meta_from_text


def decode_text(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, "replace"), best.encoding
    except Exception:  # pragma: no cover
        pass
    return data.decode("utf-8", "replace"), "utf-8"


def extract_text(data: bytes | str) -> Extracted:
    text = data if isinstance(data, str) else decode_text(data)[0]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        return Extracted(kind="text", problem="empty", detail="no text")
    sample = text[:4000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\t\f\v") or ch == "\ufffd")
    if bad > len(sample) * 0.1:
        return Extracted(kind="text", problem="unsupported_type",
                         detail=f"binary data, not text ({bad} control characters in the first {len(sample)})")
    return Extracted(kind="text", text=text, meta=meta_from_text(text))
