"""bytes -> Extracted (text + table grids), one module per format; the type comes from the bytes.

Servers lie about types (`.do` URLs, `application/octet-stream`, a PDF behind `downfile.jsp`), so
`sniff` looks at the content only; URL and Content-Type are hints for the rare undecidable case
(a Word binary that Kingsoft WPS wrote and a portal serves as `.wps`).

Types: ``pdf``, ``docx``, ``xlsx``, ``ofd``, ``pptx``, ``zip`` (ZIP packages, told apart by their
member names); ``doc``, ``wps``, ``xls``, ``ppt``, ``encrypted_office``, ``ole`` (OLE compound files,
told apart by their streams); ``rtf``; ``image``; ``html``; ``text``; ``empty``.

Every ZIP-based package passes the ZIP-bomb guard (``safety.check_zip``) before any reader opens it.
"""
from __future__ import annotations

import io
import re
import zipfile

from .base import Extracted, Grid
from .guard import guard_package as _guarded, ocr_on as _ocr_on

__all__ = ["Extracted", "Grid", "sniff", "extract"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_KINDS = ("docx", "xlsx", "ofd", "pptx", "zip")
# Kingsoft Office (WPS) stamps its build into the document properties of every file it writes
_KINGSOFT = (b"KSOProductBuildVer", "KSOProductBuildVer".encode("utf-16-le"))


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except Exception:  # truncated or damaged: judge from the local headers that are there
        head = data[:200000]
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        if b"OFD.xml" in head or b"Doc_0/" in head:
            return "ofd"
        return "zip"
    low = {n.lower().lstrip("/") for n in names}
    if "word/document.xml" in low or any(n.startswith("word/") for n in low):
        return "docx"
    if "xl/workbook.xml" in low or any(n.startswith("xl/") for n in low):
        return "xlsx"
    if "ofd.xml" in low:
        return "ofd"
    if any(n.startswith("ppt/") for n in low):
        return "pptx"
    return "zip"


def _named(url: str | None, ext: str) -> bool:
    """Does the URL name a file ``*.ext`` — in its path or in a query value (downfile.jsp?filename=x.wps)?"""
    return re.search(rf"\.{ext}(?:$|[?&#;])", (url or "").lower()) is not None


def _ole_kind(data: bytes, url: str | None) -> str:
    try:
        import olefile
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(p).lower() for p in ole.listdir(streams=True, storages=False)}
    except Exception:
        streams = set()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return "encrypted_office"            # a password-protected DOCX/XLSX is an OLE file
    if "worddocument" in streams:
        if any(k in data for k in _KINGSOFT) or _named(url, "wps"):
            return "wps"                      # Kingsoft Writer: a Word binary by Kingsoft
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "contents" in streams and ("matost" in streams or "spelling" in streams or not streams - {"contents"}):
        return "wps"                          # Microsoft Works word processor (.wps)
    if "powerpoint document" in streams:
        return "ppt"
    if not streams:
        # the directory is unreadable: a damaged Word/Excel file most likely; let the URL decide
        for ext in ("doc", "wps", "xls", "et"):
            if _named(url, ext):
                return "xls" if ext == "et" else ext
        return "doc"
    return "ole"


def _image(head: bytes, size: int) -> bool:
    if head.startswith(b"BM"):  # a bitmap header holds the file's size; plain text may start with "BM"
        return len(head) >= 26 and int.from_bytes(head[2:6], "little") == size
    return (head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or head[4:12] in (b"ftypavif", b"ftypheic"))


def sniff(data: bytes, url: str | None = None, content_type: str | None = None) -> str:
    head = data[:8192]
    stripped = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if not data:
        return "empty"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(data, url)
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if _image(head, len(data)):
        return "image"
    low = stripped[:2048].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta", b"<div", b"<table", b"<script", b"<body", b"<!--")) \
            or b"<html" in low or b"<body" in low:
        return "html"
    return "text"


def extract(data: bytes, *, url: str | None = None, content_type: str | None = None) -> Extracted:
    """Extract text and tables from a document of any supported type. Never raises on bad input."""
    kind = "unknown"
    try:
        kind = sniff(data, url, content_type)
        from .safety import setting
        limit = int(setting("HARVESTER_MAX_DOCUMENT_BYTES"))
        if limit and len(data) > limit:
            return Extracted(kind=kind, problem="too_large",
                             detail=f"{len(data)} bytes, more than the {limit}-byte limit (HARVESTER_MAX_DOCUMENT_BYTES)")
        if kind == "html":
            from .budget import check
            check("HARVESTER_MAX_HTML_BYTES", len(data), "HTML page bytes")
        if kind in _ZIP_KINDS:
            bad = _guarded(data, kind)
            if bad is not None:
                return bad
        ex = _extract_kind(data, kind, url, content_type)
        from .budget import text_length
        text_length(len(ex.text or ""))
        return ex
    except MemoryError:
        return Extracted(kind=kind, problem="memory_limit",
                         detail="the reader ran out of memory (the sandbox's HARVESTER_EXTRACT_MEMORY_MIB)")
    except Exception as exc:  # a broken document must never stop a crawl
        from .budget import BudgetExceeded
        if isinstance(exc, BudgetExceeded):
            return Extracted(kind=kind, problem="too_large", detail=str(exc)[:500])
        return Extracted(kind=kind, problem="corrupt", detail=f"{type(exc).__name__}: {exc}"[:500])


def _extract_kind(data: bytes, kind: str, url: str | None, content_type: str | None) -> Extracted:
    if True:
        if kind == "html":
            from .html import extract_html
            return extract_html(data, url=url, content_type=content_type)
        if kind == "pdf":
            from .pdf import extract_pdf
            ex = extract_pdf(data)
            if ex.problem == "image_only" and _ocr_on():
                from .image import ocr_pdf
                return ocr_pdf(data, ex)
            return ex
        if kind == "docx":
            from .docx import extract_docx
            return extract_docx(data)
        if kind in ("doc", "wps"):
            from .doc import extract_doc
            return extract_doc(data, kind=kind)
        if kind == "rtf":
            from .rtf import extract_rtf
            return extract_rtf(data)
        if kind == "xlsx":
            from .xlsx import extract_xlsx
            return extract_xlsx(data)
        if kind == "xls":
            from .xlsx import extract_xls
            return extract_xls(data)
        if kind == "ofd":
            from .ofd import extract_ofd
            return extract_ofd(data)
        if kind == "image":
            from .image import extract_image
            return extract_image(data)
        if kind == "text":
            from .text import extract_text
            return extract_text(data)
        if kind == "empty":
            return Extracted(kind=kind, problem="empty", detail="document has no bytes")
        if kind == "encrypted_office":
            return Extracted(kind=kind, problem="encrypted",
                             detail="a password-protected Office document (OLE EncryptedPackage): cannot be read")
        return Extracted(kind=kind, problem="unsupported_type", detail=f"no extractor for {kind}")
