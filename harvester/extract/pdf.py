"""PDF bytes -> Extracted: layout-aware text that the table parser can read, or a recorded problem.

How the text is built (pypdfium2 only, no per-character Python calls where avoidable):

1. Per page, pdfium's own text (``FPDFText_GetText``) is split into *words* at the whitespace
   and line breaks pdfium inserted (it inserts them wherever glyphs are far apart or change line),
   so one word is a run of glyphs that sit next to each other on one line. Only the first and the
   last glyph of a word are asked for their box (two ctypes calls per word, not one per glyph);
   a word whose two ends disagree (different line, backwards, too wide for its length) is
   re-measured glyph by glyph and split.
2. If the page has enough numeric words to hold a table, the ruling lines are read from the path
   objects (horizontal and vertical strokes, thin filled rectangles, form XObjects included).
   Every word inside a ruled cell is assigned to that cell (the nearest rule above, below, left
   and right of it that actually covers it, so merged cells come out whole). A table row is then
   one line: the cells whose top edge is that row's top rule, left to right, separated by ``\t``;
   a merged cell continuing from a row above, or a blank cell, is an empty field; a cell's own
   wrapped lines are joined (no spaces between CJK characters). So a T3 row reads
   ``（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t447\t7\t0\t0\t0\t0\t454``.
3. Words outside ruled cells are grouped into lines by their vertical centre, sorted by x and
   split into tab-separated cells where the horizontal gap is large (>= 1.5 em), so borderless
   tables still come out one row a line. Spaces are put only between non-CJK tokens that are
   apart; never between two CJK characters.
4. Narrative lines that wrap at the right margin are joined back into one line per paragraph
   (unless the next line is indented or starts a numbered heading); page numbers ("- 4 -") at the
   top/bottom of a page are dropped; pages are separated by a blank line.

Pages shown rotated (/Rotate) are read in the reader's orientation.

Where each step lives: ``pdfium_page`` (pdfium's words and rules of a page, rotated pages),
``ruled`` (ruled cells -> table rows), ``textlines`` (words -> lines and gap cells), ``layout``
(a page's lines, paragraphs, pages -> text; shared with OFD and OCR). This module opens the
document, applies the budgets, and records meta and problems.

``meta``: ``pages``, ``pdf_title``, ``pdf_author``, ``pdf_created`` (YYYY-MM-DD) when present;
``pdf_encrypted``/``pdf_permissions`` for encrypted files; ``image_only_pages``, ``broken_pages``,
``pdf_truncated`` when they apply.

Problems (never an exception), each with a human-readable ``detail``:

- ``corrupt``: not a PDF, truncated or malformed so that pdfium cannot open it (or no page loads);
- ``encrypted``: a user password is needed, or the owner forbids copying text (then the text is
  still extracted and returned: pdfium does not enforce owner permissions);
- ``empty``: zero bytes, zero pages, or pages with neither text nor images;
- ``image_only``: at least half of the pages are images with (almost) no text — scanned, needs OCR;
- ``no_unicode_map``: fonts without a usable ToUnicode map (private-use/replacement/control
  characters, pdfium's per-glyph mapping errors, or Latin garbage in a Chinese document).

``tables=True`` adds pdfplumber's ruled-table grids; off by default: on the real reports it finds
no row the text misses and costs about 40x pdfium's own text pass (bench/bench_pdf.py).
"""
from __future__ import annotations

import re

from . import budget
from .base import Extracted
from .budget import BudgetExceeded
from .layout import assemble_pages, page_lines
from .pdfium_page import (_R, _Boxes, _page_images, _rot_rules, _rot_words, _rules, _unicode_sample,
                          _words, pdfium)

__all__ = ["extract_pdf"]

# Unicode map quality
_PUA_RE = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
_CJK_RE = re.compile("[\u3400-\u9fff]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")


def _page_lines(tp, text, boxes, page_raw, page_w, page_h, rot=0):
    """Lines of one page (table rows and text lines) in reading order, top first."""
    if rot in (90, 180, 270):
        # page_w/page_h are the displayed size; the glyph boxes are in unrotated page space
        if rot in (90, 270):
            page_w, page_h = page_h, page_w
        words = _rot_words(tp, text, boxes, rot, page_w, page_h)
        disp_h = page_w if rot in (90, 270) else page_h
    else:
        words = _words(tp, text, boxes)
        disp_h = page_h

    def rules():
        hs, vs = _rules(page_raw)
        if rot in (90, 180, 270):
            hs, vs = _rot_rules(hs, vs, rot, page_w, page_h)
        return hs, vs

    return page_lines(words, disp_h, rules)


# ---------------------------------------------------------------------------------------------
# metadata and problems

_DATE_RE = re.compile(r"^(?:D:)?\s*(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})")


def _pdf_date(s: str) -> str | None:
    """PDF date (``D:20250225100250+08'00'``, also ``2025-02-25T…`` or ``2025年2月25日``) -> ``2025-02-25``."""
    m = _DATE_RE.match((s or "").strip())
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _meta(doc, npages):
    meta = {"pages": npages}
    try:
        info = doc.get_metadata_dict(skip_empty=True)
    except Exception:
        info = {}
    title = (info.get("Title") or "").strip()
    author = (info.get("Author") or "").strip()
    if title:
        meta["pdf_title"] = title
    if author:
        meta["pdf_author"] = author
    created = _pdf_date(info.get("CreationDate") or "")
    if created:
        meta["pdf_created"] = created
    return meta


_WS_RE = re.compile(r"\s")


def _unicode_problem(texts, sampled, flagged, title):
    """Return a detail string when the text does not decode (fonts without ToUnicode), else None."""
    joined = "".join(texts)
    total = len(joined) - len(_WS_RE.findall(joined))
    if total <= 0:
        return None
    bad = len(_PUA_RE.findall(joined)) + joined.count("(cid:")
    if bad / total >= 0.05:
        return (f"{bad} of {total} characters are private-use, replacement or control characters: "
                "the fonts have no usable ToUnicode map")
    if sampled and flagged / sampled >= 0.2:
        return (f"pdfium finds no Unicode value for {flagged} of {sampled} sampled glyphs: "
                "the fonts have no ToUnicode map, the text would be garbage")
    cjk = len(_CJK_RE.findall(joined))
    latin = len(_LATIN_RE.findall(joined))
    chinese_doc = bool(_CJK_RE.search(title or "")) or cjk > 0
    if chinese_doc and total >= 40 and cjk / total < 0.15 and latin / total > 0.4:
        return (f"the document looks Chinese but only {cjk} of {total} characters are CJK and {latin} are "
                "Latin letters: the text is mis-decoded (fonts without ToUnicode map)")
    return None


# ---------------------------------------------------------------------------------------------

_PERM_EXTRACT = 1 << 4          # bit 5: copy or otherwise extract text and graphics
_PAGE_OBJ_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_ZERO_COUNT_RE = re.compile(rb"/Count\s+0(?![0-9])")


def extract_pdf(data: bytes, *, tables: bool = False) -> Extracted:
    """Extract layout-aware text (one table row a line, cells tab-separated) from PDF bytes.

    Never raises: unreadable documents come back with ``problem`` and ``detail`` set
    (``corrupt``, ``encrypted``, ``empty``, ``image_only``, ``no_unicode_map``). ``tables=True``
    also fills ``Extracted.tables`` with pdfplumber's ruled-table grids (slow; off by default,
    the text already carries the rows).
    """
    if not data:
        return Extracted(kind="pdf", problem="empty", detail="document has no bytes")
    if pdfium is None:
        return Extracted(kind="pdf", problem="unsupported_type", detail="pypdfium2 is not installed")
    try:
        return _extract(bytes(data), tables)
    except (BudgetExceeded, MemoryError):
        raise
    except Exception as exc:  # last line of defence: a broken document must never stop a crawl
        return Extracted(kind="pdf", problem="corrupt", detail=f"{type(exc).__name__}: {exc}"[:500])


def _truncated(data: bytes) -> bool:
    return b"%%EOF" not in data[-16384:]


def _open(data: bytes):
    """(doc, None) or (None, Extracted-with-problem)."""
    if b"%PDF" not in data[:1024]:
        return None, Extracted(kind="pdf", problem="corrupt",
                               detail=f"not a PDF: no %PDF header in the first 1024 bytes ({len(data)} bytes)")
    try:
        return pdfium.PdfDocument(data), None
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == _R.FPDF_ERR_PASSWORD:
            return None, Extracted(kind="pdf", problem="encrypted",
                                   detail="the PDF is encrypted and needs a password to open")
        if code == _R.FPDF_ERR_SECURITY:
            return None, Extracted(kind="pdf", problem="encrypted",
                                   detail="the PDF uses an unsupported security handler (encryption)")
        if not _PAGE_OBJ_RE.search(data) and _ZERO_COUNT_RE.search(data):
            return None, Extracted(kind="pdf", meta={"pages": 0}, problem="empty",
                                   detail="the PDF has no pages (its page tree is empty)")
        why = "truncated (no %EOF marker at the end)" if _truncated(data) else "malformed"
        return None, Extracted(kind="pdf", problem="corrupt",
                               detail=f"cannot open the PDF, the file is {why}: {exc}")
    except Exception as exc:
        return None, Extracted(kind="pdf", problem="corrupt", detail=f"cannot open the PDF: {exc}"[:500])


class _Stats:
    """What the problem checks need from the pages, gathered while each page is open."""

    def __init__(self):
        self.texts = []
        self.chars = []        # non-space characters per page
        self.scanned = []      # 1-based numbers of pages with images and (almost) no text
        self.broken = []
        self.sampled = self.flagged = 0


def _extract(data: bytes, want_tables: bool) -> Extracted:
    budget.pdf_streams(data)                       # a Flate bomb is refused before pdfium inflates it
    budget.pdf_form_cycles(data)                   # so are Form XObjects that draw themselves
    doc, bad = _open(data)
    if bad is not None:
        return bad
    try:
        npages = len(doc)
        budget.check("HARVESTER_MAX_PAGES", npages, "PDF pages")
        for pi in range(npages):
            w, h = doc.get_page_size(pi)
            budget.check("HARVESTER_MAX_PAGE_AREA", int(abs(w * h)), f"page {pi + 1} area (points²)")
        meta = _meta(doc, npages)
        if npages == 0:
            return Extracted(kind="pdf", meta=meta, problem="empty", detail="the PDF has no pages")
        perms = _R.FPDF_GetDocPermissions(doc.raw) & 0xFFFFFFFF
        encrypted = _R.FPDF_GetSecurityHandlerRevision(doc.raw) != -1
        if encrypted:
            meta["pdf_encrypted"] = True
            meta["pdf_permissions"] = perms
        boxes = _Boxes()
        st = _Stats()
        page_lines = []
        for pi in range(npages):
            page_lines.append(_one_page(doc, pi, boxes, st))
        ext = Extracted(kind="pdf", meta=meta)
        ext.text, ext.page_starts = assemble_pages(page_lines)
        _problems(ext, data, npages, st, encrypted, perms)
        if want_tables and ext.problem is None:
            ext.tables = _plumber_tables(data)
        return ext
    finally:
        doc.close()


def _one_page(doc, pi: int, boxes: _Boxes, st: _Stats):
    """Lines of page ``pi``; the page is closed before returning."""
    page = tp = None
    try:
        page = doc[pi]
        tp = page.get_textpage()
        n = tp.count_chars()
        text = tp.get_text_range() if n > 0 else ""
        if len(text) != n:  # surrogate pairs or odd output: rebuild one char per index
            text = "".join(chr(_R.FPDFText_GetUnicode(tp.raw, i) or 0x20) for i in range(n))
        chars = len(text) - len(_WS_RE.findall(text))
        st.texts.append(text)
        st.chars.append(chars)
        if chars <= 5 and _page_images(page.raw):
            st.scanned.append(pi + 1)
        if not n:
            return []
        s, f = _unicode_sample(tp.raw, text)
        st.sampled += s
        st.flagged += f
        w, h = page.get_size()
        return _page_lines(tp.raw, text, boxes, page.raw, w, h, page.get_rotation() % 360)
    except Exception as exc:  # one unreadable page must not lose the others
        st.broken.append(f"page {pi + 1}: {type(exc).__name__}: {exc}"[:200])
        return []
    finally:
        if tp is not None:
            tp.close()
        if page is not None:
            page.close()


def _problems(ext, data, npages, st: _Stats, encrypted, perms):
    total = sum(st.chars)
    meta = ext.meta
    if st.broken:
        meta["broken_pages"] = st.broken[:20]
    truncated = _truncated(data)
    if truncated:
        meta["pdf_truncated"] = True
    if st.broken and not total:
        ext.problem, ext.detail = "corrupt", ("no page could be read: " + "; ".join(st.broken))[:500]
        return
    if encrypted and not (perms & _PERM_EXTRACT):
        ext.problem = "encrypted"
        ext.detail = (f"the PDF is encrypted and its permissions (0x{perms:x}) forbid copying text; "
                      "the text was extracted anyway and is in .text")
        return
    # scanned pages: images and (almost) no text
    if st.scanned:
        meta["image_only_pages"] = st.scanned
        textless = sum(1 for c in st.chars if c <= 5) + (npages - len(st.chars))
        if textless >= 0.5 * npages:
            ext.problem = "image_only"
            ext.detail = (f"{len(st.scanned)} of {npages} page(s) are images with (almost) no text "
                          f"({total} characters in all): a scanned document, needs OCR")
            return
    if not total:
        ext.problem, ext.detail = "empty", f"{npages} page(s) without any text or images"
        return
    why = _unicode_problem(st.texts, st.sampled, st.flagged, meta.get("pdf_title", ""))
    if why:
        ext.problem, ext.detail = "no_unicode_map", why
        return
    if truncated and st.broken:
        ext.problem = "corrupt"
        ext.detail = f"the file is truncated (no %EOF marker); {len(st.broken)} page(s) unreadable"


def _plumber_tables(data: bytes):
    """Ruled tables via pdfplumber (slow). Grids with merged cells repeated."""
    try:
        import io

        import pdfplumber
    except Exception:
        return []
    grids = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                for t in page.extract_tables():
                    grid = []
                    for row in t:
                        grid.append([("" if c is None else re.sub(r"\s+", "", c)) for c in row])
                    if grid:
                        grids.append(grid)
    except Exception:
        return grids
    return grids
