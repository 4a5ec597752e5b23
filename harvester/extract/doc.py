"""DOC and WPS (Word 97–2003 binaries, Kingsoft Writer files, Microsoft Works) -> Extracted.

How: LibreOffice headless converts the document to DOCX (``convert.libreoffice_convert``: private
profile, timeout, process-group kill, temporary directory removed), and the DOCX reader
(``docx.extract_docx``) reads paragraphs and tables in body order with merged cells — the same
grids a DOCX report gives. When LibreOffice is missing or cannot read the file, antiword reads the
text (tables come out as ``|cell|cell|`` rows, turned into tab-separated lines; no grids).

Problems: ``encrypted`` (the FIB's fEncrypted flag), ``converter_timeout`` (LibreOffice ran out of
time and antiword could not help), ``corrupt`` (neither converter could read it).
"""
from __future__ import annotations

import re
import struct

from .base import Extracted
from .convert import ConverterError, ConverterTimeout, antiword_text, garbled, libreoffice_convert
from .metadata import meta_from_text

_PIPE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")


def word_encrypted(data: bytes) -> bool | None:
    """True when the Word binary's File Information Block says it is encrypted; None if unknown."""
    try:
        import olefile
        with olefile.OleFileIO(data) as ole:
            if not ole.exists("WordDocument"):
                return None
            fib = ole.openstream("WordDocument").read(12)
    except Exception:
        return None
    if len(fib) < 12 or struct.unpack("<H", fib[:2])[0] != 0xA5EC:
        return None
    flags = struct.unpack("<H", fib[10:12])[0]
    return bool(flags & 0x0100)


def antiword_to_text(out: str) -> str:
    """antiword's output -> text lines; ``|a |b |`` table rows become ``a\\tb``."""
    lines = []
    for ln in out.replace("\r", "").split("\n"):
        m = _PIPE_ROW.match(ln)
        if m:
            cells = [c.strip() for c in m.group(1).split("|")]
            lines.append("\t".join(cells).rstrip("\t"))
        elif ln.strip():
            lines.append(ln.strip())
    return "\n".join(ln for ln in lines if ln.strip())


def _from_docx(docx_bytes: bytes, kind: str) -> Extracted:
    from .guard import guard_package
    bad = guard_package(docx_bytes, kind)
    if bad is not None:
        return bad
    from .docx import extract_docx
    ex = extract_docx(docx_bytes)
    ex.kind = kind
    ex.meta["converted_by"] = "libreoffice"
    why = garbled(ex.text) if ex.ok else None
    if why:  # LibreOffice imports what it cannot recognise as plain text
        raise ConverterError(f"LibreOffice read the file as noise: {why}")
    return ex


def extract_doc(data: bytes, *, kind: str = "doc") -> Extracted:
    if word_encrypted(data):
        return Extracted(kind=kind, problem="encrypted",
                         detail="the Word document is password-protected (FIB fEncrypted)")
    problems = []
    timed_out = False
    try:
        return _from_docx(libreoffice_convert(data, "doc" if kind == "doc" else "wps" if _works(data) else "doc",
                                              "docx"), kind)
    except ConverterTimeout as exc:
        timed_out = True
        problems.append(str(exc))
    except ConverterError as exc:
        problems.append(str(exc))
    try:
        text = antiword_to_text(antiword_text(data))
        if text.strip() and garbled(text):
            problems.append("antiword: " + garbled(text))
        elif text.strip():
            ex = Extracted(kind=kind, text=text, meta={"converted_by": "antiword"})
            ex.meta["converter_problem"] = "; ".join(problems)[:300]
            ex.meta.update(meta_from_text(text))
            return ex
        problems.append("antiword found no text")
    except ConverterError as exc:
        problems.append(str(exc))
    if timed_out:
        return Extracted(kind=kind, problem="converter_timeout", detail="; ".join(problems)[:500])
    return Extracted(kind=kind, problem="corrupt", detail=("cannot read the document: " + "; ".join(problems))[:500])


def _works(data: bytes) -> bool:
    """A Microsoft Works document (no WordDocument stream): LibreOffice needs the .wps name for it."""
    try:
        import olefile
        with olefile.OleFileIO(data) as ole:
            return not ole.exists("WordDocument")
    except Exception:
        return False
