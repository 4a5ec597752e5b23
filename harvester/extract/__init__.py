"""bytes -> Extracted (text + table grids), one module per format; the type comes from the bytes.

Servers lie about types (`.do` URLs, `application/octet-stream`, a PDF behind `downfile.jsp`), so
`sniff` looks at the content only; URL and Content-Type are hints for the rare undecidable case.
"""
from __future__ import annotations

from .base import Extracted, Grid

__all__ = ["Extracted", "Grid", "sniff", "extract"]


def sniff(data: bytes, url: str | None = None, content_type: str | None = None) -> str:
    head = data[:8192]
    stripped = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if not data:
        return "empty"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:200000]:
            return "docx"
        if b"xl/" in data[:200000]:
            return "xlsx"
        if b"OFD.xml" in data[:200000] or b"Doc_0/" in data[:200000]:
            return "ofd"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # DOC, WPS, XLS: told apart by the converter
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    low = stripped[:2048].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta", b"<div", b"<table", b"<script", b"<body", b"<!--")) \
            or b"<html" in low or b"<body" in low:
        return "html"
    return "text"


def extract(data: bytes, *, url: str | None = None, content_type: str | None = None) -> Extracted:
    """Extract text and tables from a document of any supported type. Never raises on bad input."""
    kind = sniff(data, url, content_type)
    try:
        if kind == "html":
            from .html import extract_html
            return extract_html(data, url=url, content_type=content_type)
        if kind == "pdf":
            from .pdf import extract_pdf
            return extract_pdf(data)
        if kind == "docx":
            from .docx import extract_docx
            return extract_docx(data)
        if kind == "text":
            from .text import extract_text
            return extract_text(data)
        if kind == "empty":
            return Extracted(kind=kind, problem="empty", detail="document has no bytes")
        if kind == "image":
            return Extracted(kind=kind, problem="image_only", detail="document is an image")
        return Extracted(kind=kind, problem="unsupported_type", detail=f"no extractor for {kind}")
    except Exception as exc:  # a broken document must never stop a crawl
        return Extracted(kind=kind, problem="corrupt", detail=f"{type(exc).__name__}: {exc}"[:500])
