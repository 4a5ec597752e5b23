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

import bisect
import ctypes
import operator
import re
from collections import Counter

from . import budget
from .base import Extracted
from .budget import BudgetExceeded

try:  # imported lazily-safe: the module must import even without pypdfium2 so extract() can report
    import pypdfium2 as pdfium
    import pypdfium2.raw as _R
except Exception:  # pragma: no cover - reported per call
    pdfium = None
    _R = None

__all__ = ["extract_pdf"]


class _VP(ctypes.c_void_p):
    """Opaque handle returned by the fast bindings (stays a ctypes object, so it passes as-is)."""


def _fast_bindings():
    """Prototype-free ctypes bindings for the few pdfium calls made per glyph or per page object.

    pypdfium2's bindings declare ``argtypes``, and ctypes then converts every argument on every
    call; without them a call costs about a third. Only ints, ctypes handles and ``byref``
    pointers are passed, which need no conversion."""
    try:
        import pypdfium2_raw.bindings as _B
        lib = _B._libs["pdfium"]
        f = {}
        vp, fp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)
        for name, res, args in (("FPDFText_GetCharBox", ctypes.c_int, None),
                                ("FPDFText_GetLooseCharBox", ctypes.c_int, None),
                                ("FPDFText_HasUnicodeMapError", ctypes.c_int, None),
                                # object handles travel as plain ints between these three
                                ("FPDFPage_GetObject", ctypes.c_void_p, (vp, ctypes.c_int)),
                                ("FPDFPageObj_GetType", ctypes.c_int, (vp,)),
                                ("FPDFPageObj_GetBounds", ctypes.c_int, (vp, fp, fp, fp, fp)),
                                ("FPDFPath_GetDrawMode", ctypes.c_int,
                                 (vp, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))),
                                ("FPDFPath_CountSegments", ctypes.c_int, (vp,)),
                                ("FPDFPath_GetPathSegment", ctypes.c_void_p, (vp, ctypes.c_int)),
                                ("FPDFPathSegment_GetPoint", ctypes.c_int, (vp, fp, fp)),
                                ("FPDFPathSegment_GetType", ctypes.c_int, (vp,)),
                                ("FPDFPathSegment_GetClose", ctypes.c_int, (vp,))):
            fn = lib[name]
            fn.restype = res
            fn.argtypes = args
            f[name] = fn
        return f
    except Exception:  # pragma: no cover - fall back to pypdfium2's declared bindings
        return None


_FAST = _fast_bindings() if _R is not None else None


def _handle(raw):
    """A pypdfium2 raw pointer as an argument for the fast bindings."""
    return _VP(ctypes.cast(raw, ctypes.c_void_p).value) if _FAST else raw


def _std_obj(obj):
    """A page object handle (int from the fast bindings, or a pypdfium2 pointer) for pypdfium2's bindings."""
    if isinstance(obj, int):
        return ctypes.cast(ctypes.c_void_p(obj), _R.FPDF_PAGEOBJECT)
    return obj


def _fn(name):
    return _FAST[name] if _FAST else getattr(_R, name)


_CHARBOX = _fn("FPDFText_GetCharBox") if _R is not None else None
_LOOSE = _fn("FPDFText_GetLooseCharBox") if _R is not None else None


# ---------------------------------------------------------------------------------------------
# character classes

def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x3000 <= o <= 0x303F or 0x20000 <= o <= 0x2FA1F or 0x2010 <= o <= 0x201F
            or o in (0x00B7, 0x2026, 0x2014))



_WORD_RE = re.compile(r"[^\s\x00-\x1f]+")
_NUM_WORD_RE = re.compile(r"[+\-−]?\d[\d,.]*%?")
_NUMERIC_CELL_RE = re.compile(r"^[+\-−]?\d[\d,，.]*(?:%|元|万元)?$")
_PAGENO_RE = re.compile(
    r"^(?:[-—–－~·•]\s*\d{1,4}\s*[-—–－~·•]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$")
_ENUM_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．](?!\d)|第[一二三四五六七八九十]+[章节条部])")
_SENTENCE_END = "。！？；：!?;:"

# Unicode map quality
_PUA_RE = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
_CJK_RE = re.compile("[\u3400-\u9fff]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")


# ---------------------------------------------------------------------------------------------
# geometry helpers bound to one text page

class _Boxes:
    """Reusable ctypes buffers for FPDFText_GetCharBox (left, right, bottom, top)."""

    __slots__ = ("l", "r", "b", "t", "args", "rect", "rectp")

    def __init__(self):
        self.l, self.r, self.b, self.t = (ctypes.c_double() for _ in range(4))
        self.args = (ctypes.byref(self.l), ctypes.byref(self.r), ctypes.byref(self.b), ctypes.byref(self.t))
        self.rect = _R.FS_RECTF()
        self.rectp = ctypes.byref(self.rect)

    def get(self, tp, i):
        _CHARBOX(tp, i, *self.args)
        if self.t.value <= self.b.value:
            return self.loose(tp, i)
        return self.l.value, self.r.value, self.b.value, self.t.value

    def loose(self, tp, i):
        _LOOSE(tp, i, self.rectp)
        rect = self.rect
        return rect.left, rect.right, rect.bottom, rect.top


def _words(tp, text: str, boxes: _Boxes):
    """Words of one page: list of [cy, h, left, right, bottom, top, text]."""
    out = []
    getbox = _fn("FPDFText_GetCharBox")
    tp = _handle(tp)
    lp, rp, bp, tpp = boxes.args
    lv, rv, bv, tv = boxes.l, boxes.r, boxes.b, boxes.t
    loose = boxes.loose
    loose_first = False  # after a glyph without outline, ask for the font box straight away
    for m in _WORD_RE.finditer(text):
        i = m.start()
        j = m.end() - 1
        w = m.group()
        if loose_first:
            l0, r0, b0, t0 = loose(tp, i)
            if t0 <= b0:
                loose_first = False
        if not loose_first:
            getbox(tp, i, lp, rp, bp, tpp)
            l0, r0, b0, t0 = lv.value, rv.value, bv.value, tv.value
            if t0 <= b0:  # no glyph outline (font not embedded, no substitute): use the font's box
                l0, r0, b0, t0 = loose(tp, i)
                loose_first = True
        if j == i:
            if r0 <= l0 and t0 <= b0:
                continue  # glyph without a box (invisible); nothing to place
            out.append([(b0 + t0) * 0.5, t0 - b0, l0, r0, b0, t0, w])
            continue
        if loose_first:
            l1, r1, b1, t1 = loose(tp, j)
        else:
            getbox(tp, j, lp, rp, bp, tpp)
            l1, r1, b1, t1 = lv.value, rv.value, bv.value, tv.value
            if t1 <= b1:
                l1, r1, b1, t1 = loose(tp, j)
        h = max(t0 - b0, t1 - b1)
        c0 = (b0 + t0) * 0.5
        c1 = (b1 + t1) * 0.5
        n = j - i + 1
        if (h > 0 and abs(c1 - c0) <= 0.5 * h and l1 >= l0 - 0.5 * h and r1 >= l0
                and (r1 - l0) <= n * h * 1.8 + 2.0 and r0 > l0 and r1 > l1):
            b = min(b0, b1)
            t = max(t0, t1)
            out.append([(b + t) * 0.5, t - b, l0, r1, b, t, w])
        else:
            out.extend(_split_word(tp, i, w, boxes))
    return out


def _split_word(tp, i0: int, w: str, boxes: _Boxes):
    """Measure a suspicious word glyph by glyph and cut it where the glyphs stop following on."""
    parts = []
    cur = None
    for k, ch in enumerate(w):
        l, r, b, t = boxes.get(tp, i0 + k)
        if r <= l and t <= b:
            if cur is not None:
                cur[6] += ch
            continue
        h = t - b
        if cur is not None:
            ch_ = max(cur[1], h, 1.0)
            cy = (b + t) * 0.5
            gap = l - cur[3]
            if abs(cy - cur[0]) <= 0.5 * ch_ and -0.5 * ch_ <= gap < 1.5 * ch_:
                cur[3] = max(cur[3], r)
                cur[4] = min(cur[4], b)
                cur[5] = max(cur[5], t)
                cur[0] = (cur[4] + cur[5]) * 0.5
                cur[1] = cur[5] - cur[4]
                cur[6] += ch
                continue
            parts.append(cur)
        cur = [(b + t) * 0.5, h, l, r, b, t, ch]
    if cur is not None:
        parts.append(cur)
    return parts


# ---------------------------------------------------------------------------------------------
# ruling lines

def _mat_mul(m1, m2):
    """Compose affine matrices (a,b,c,d,e,f): apply m1 then m2."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _apply(m, x, y):
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


_IDENT = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _rules(page_raw):
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rule segments of a page, in page space."""
    hs, vs = [], []
    fl = [ctypes.c_float() for _ in range(4)]
    fargs = [ctypes.byref(x) for x in fl]
    mat = _R.FS_MATRIX()
    fill = ctypes.c_int()
    stroke = ctypes.c_int()
    px, py = ctypes.c_float(), ctypes.c_float()
    T_PATH, T_FORM = _R.FPDF_PAGEOBJ_PATH, _R.FPDF_PAGEOBJ_FORM
    gettype = _fn("FPDFPageObj_GetType")
    getbounds = _fn("FPDFPageObj_GetBounds")
    getobject = _fn("FPDFPage_GetObject")
    drawmode = _fn("FPDFPath_GetDrawMode")
    fillp, strokep = ctypes.byref(fill), ctypes.byref(stroke)
    pxp, pyp = ctypes.byref(px), ctypes.byref(py)
    count_segs = _fn("FPDFPath_CountSegments")
    get_seg = _fn("FPDFPath_GetPathSegment")
    seg_point = _fn("FPDFPathSegment_GetPoint")
    seg_type = _fn("FPDFPathSegment_GetType")
    seg_close = _fn("FPDFPathSegment_GetClose")
    MOVETO, LINETO = _R.FPDF_SEGMENT_MOVETO, _R.FPDF_SEGMENT_LINETO

    def add_box(x0, y0, x1, y1):
        w, h = x1 - x0, y1 - y0
        if h <= 2.5 and w > 4:
            hs.append(((y0 + y1) * 0.5, x0, x1))
        elif w <= 2.5 and h > 4:
            vs.append(((x0 + x1) * 0.5, y0, y1))

    def path(obj, outer):
        getbounds(obj, *fargs)
        x0, y0, x1, y1 = fl[0].value, fl[1].value, fl[2].value, fl[3].value
        if outer is not _IDENT:
            pts = [_apply(outer, x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        if (x1 - x0) <= 2.5 or (y1 - y0) <= 2.5:
            add_box(x0, y0, x1, y1)
            return
        drawmode(obj, fillp, strokep)
        if not stroke.value:
            return  # a filled area (cell shading, background): not a rule
        _R.FPDFPageObj_GetMatrix(_std_obj(obj), ctypes.byref(mat))
        m = (mat.a, mat.b, mat.c, mat.d, mat.e, mat.f)
        if outer is not _IDENT:
            m = _mat_mul(m, outer)
        nseg = count_segs(obj)
        if nseg > 4000:
            return
        start = prev = None
        for s in range(nseg):
            seg = get_seg(obj, s)
            seg_point(seg, pxp, pyp)
            pt = _apply(m, px.value, py.value)
            typ = seg_type(seg)
            if typ == MOVETO:
                start = prev = pt
                continue
            if typ == LINETO and prev is not None:
                _seg(prev, pt)
            prev = pt
            if seg_close(seg) and start is not None:
                _seg(pt, start)
                prev = start

    def _seg(p, q):
        (xa, ya), (xb, yb) = p, q
        if abs(ya - yb) <= 1.0 and abs(xa - xb) > 4:
            hs.append(((ya + yb) * 0.5, min(xa, xb), max(xa, xb)))
        elif abs(xa - xb) <= 1.0 and abs(ya - yb) > 4:
            vs.append(((xa + xb) * 0.5, min(ya, yb), max(ya, yb)))

    def walk(count, get, owner, outer, depth):
        objs = [get(owner, k) for k in range(count)]
        if depth and _FAST:
            objs = [ctypes.cast(o, ctypes.c_void_p).value for o in objs]
        for obj in objs:
            if not obj:
                continue
            t = gettype(obj)
            if t == T_PATH:
                path(obj, outer)
            elif t == T_FORM and depth < 4:
                obj = _std_obj(obj)
                _R.FPDFPageObj_GetMatrix(obj, ctypes.byref(mat))
                m = (mat.a, mat.b, mat.c, mat.d, mat.e, mat.f)
                if outer is not _IDENT:
                    m = _mat_mul(m, outer)
                walk(_R.FPDFFormObj_CountObjects(obj), _R.FPDFFormObj_GetObject, obj, m, depth + 1)

    walk(_R.FPDFPage_CountObjects(page_raw), getobject, _handle(page_raw), _IDENT, 0)
    return hs, vs


def _levels(segs, tol=2.0):
    """Cluster segments by their position: sorted list of (pos, [(a, b), ...]) with merged spans."""
    if not segs:
        return []
    segs = sorted(segs)
    out = []
    cur_pos, cur = segs[0][0], [(segs[0][1], segs[0][2])]
    n = 1
    for pos, a, b in segs[1:]:
        if pos - cur_pos <= tol:
            cur.append((a, b))
            cur_pos = (cur_pos * n + pos) / (n + 1)
            n += 1
        else:
            out.append((cur_pos, _merge_spans(cur)))
            cur_pos, cur, n = pos, [(a, b)], 1
    out.append((cur_pos, _merge_spans(cur)))
    return out


def _merge_spans(spans, tol=2.5):
    spans.sort()
    out = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= out[-1][1] + tol:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return out


def _covers(spans, v, tol=1.5):
    for a, b in spans:
        if a - tol <= v <= b + tol:
            return True
    return False


def _edge_rules(vs):
    """Synthetic horizontal rules where several vertical rules end at the same height.

    A table cut by a page break has no bottom (or top) rule on that page; its column rules
    still end together, which is where the cells end."""
    ends = sorted([(y0, x) for x, y0, _ in vs] + [(y1, x) for x, _, y1 in vs])
    out = []
    i = 0
    while i < len(ends):
        j = i
        while j + 1 < len(ends) and ends[j + 1][0] - ends[i][0] <= 2.0:
            j += 1
        if j > i:
            xs = [x for _, x in ends[i:j + 1]]
            if max(xs) - min(xs) > 4:
                out.append((sum(y for y, _ in ends[i:j + 1]) / (j - i + 1), min(xs), max(xs)))
        i = j + 1
    return out


class _Grid:
    def __init__(self, hs, vs):
        hs = hs + _edge_rules(vs)
        self.h = _levels(hs)          # ascending y
        self.v = _levels(vs)          # ascending x
        self.hy = [p for p, _ in self.h]
        self.vx = [p for p, _ in self.v]

    def ok(self):
        return len(self.h) >= 2 and len(self.v) >= 2

    def cell(self, x, y):
        """(bottom_idx, top_idx, left_idx, right_idx) of the ruled cell containing (x, y), or None."""
        h, v = self.h, self.v
        nh, nv = len(h), len(v)
        k0 = bisect.bisect_left(self.hy, y)
        top = bot = left = right = -1
        for t in range(k0, nh):
            for a, b in h[t][1]:
                if a - 1.5 <= x <= b + 1.5:
                    top = t
                    break
            if top >= 0:
                break
        if top < 0:
            return None
        for t in range(k0 - 1, -1, -1):
            for a, b in h[t][1]:
                if a - 1.5 <= x <= b + 1.5:
                    bot = t
                    break
            if bot >= 0:
                break
        if bot < 0:
            return None
        k0 = bisect.bisect_left(self.vx, x)
        for t in range(k0, nv):
            for a, b in v[t][1]:
                if a - 1.5 <= y <= b + 1.5:
                    right = t
                    break
            if right >= 0:
                break
        if right < 0:
            return None
        for t in range(k0 - 1, -1, -1):
            for a, b in v[t][1]:
                if a - 1.5 <= y <= b + 1.5:
                    left = t
                    break
            if left >= 0:
                break
        if left < 0:
            return None
        return bot, top, left, right

    def columns(self, y):
        """Vertical rule indices crossing height y, ascending x."""
        return [i for i, (_, spans) in enumerate(self.v) if _covers(spans, y, 0.5)]


# ---------------------------------------------------------------------------------------------
# text assembly

def _join_pieces(pieces, em):
    """Join words of one visual line (sorted by x) into a string.

    A space goes between two non-CJK tokens that are apart (``line 1``), and between CJK and a
    digit/letter only when they are a full em apart; never between two CJK characters."""
    if len(pieces) == 1:
        return pieces[0][6]
    out = []
    prev = None
    for w in pieces:
        s = w[6]
        if prev is not None:
            gap = w[2] - prev[3]
            a, b = prev[6][-1], s[0]
            if not (_is_cjk(a) or _is_cjk(b)):
                if gap > 0.15 * em:
                    out.append(" ")
            elif not (_is_cjk(a) and _is_cjk(b)) and gap > 1.0 * em and (a.isalnum() or b.isalnum()):
                out.append(" ")
        out.append(s)
        prev = w
    return "".join(out)


_KEY_Y = operator.itemgetter(0)
_KEY_X = operator.itemgetter(2)


def _cluster_lines(words):
    """Group words into visual lines by vertical centre; top line first, words left to right."""
    words = sorted(words, key=_KEY_Y, reverse=True)
    lines = []
    cur = None
    cy = ch = 0.0
    for w in words:
        if cur is not None:
            tol = 0.45 * max(ch, w[1], 3.0)
            if abs(w[0] - cy) <= tol:
                cur.append(w)
                if w[1] > ch * 0.6:  # flat glyphs (一, ，) do not move the line
                    cy = (cy * (len(cur) - 1) + w[0]) / len(cur)
                if w[1] > ch and (ch < 2.0 or w[1] < 3 * ch):
                    ch = w[1]
                continue
            lines.append(cur)
        cur = [w]
        cy, ch = w[0], max(w[1], 1.0)
    if cur is not None:
        lines.append(cur)
    for ln in lines:
        if len(ln) > 1:
            ln.sort(key=_KEY_X)
    return lines


def merge_words(boxes, *, gap: float = 0.3, floor: float = 1.0, forward_only: bool = False,
                grow_vertical: bool = False):
    """Boxes ``[ycentre, height, left, right, bottom, top, text]`` -> words: on each visual line a box
    joins the word before it when the gap is under ``gap`` × the taller height (at least ``floor``).
    ``forward_only``: a box starting left of the word never joins it. ``grow_vertical``: the word's
    bottom/top grow to cover its boxes (centre and height recomputed). Shared by PDF, OFD and OCR."""
    words = []
    for ln in _cluster_lines(boxes):
        cur = None
        for b in ln:
            if cur is not None and b[2] - cur[3] < gap * max(cur[1], b[1], floor) \
                    and (not forward_only or b[2] >= cur[2]):
                cur[3] = max(cur[3], b[3])
                if grow_vertical:
                    cur[4], cur[5] = min(cur[4], b[4]), max(cur[5], b[5])
                cur[6] += b[6]
                continue
            if cur is not None:
                words.append(cur)
            cur = list(b)
        if cur is not None:
            words.append(cur)
    if grow_vertical:
        for w in words:
            w[0], w[1] = (w[4] + w[5]) / 2, w[5] - w[4]
    return words


def _line_em(ws):
    if len(ws) == 1:
        return max(ws[0][1], 4.0)
    hs = sorted(w[1] for w in ws)
    return max(hs[len(hs) // 2], hs[-1] * 0.6, 4.0)


class _Line:
    __slots__ = ("y", "left", "right", "em", "cells", "table")

    def __init__(self, y, left, right, em, cells, table=False):
        self.y, self.left, self.right, self.em, self.cells, self.table = y, left, right, em, cells, table

    @property
    def text(self):
        return "\t".join(self.cells)


def _gap_lines(words):
    out = []
    for ws in _cluster_lines(words):
        em = _line_em(ws)
        cells = []
        cur = [ws[0]]
        for w in ws[1:]:
            if w[2] - cur[-1][3] >= 1.5 * em:
                cells.append(cur)
                cur = [w]
            else:
                cur.append(w)
        cells.append(cur)
        texts = [_join_pieces(c, em) for c in cells]
        y = sum(w[0] for w in ws) / len(ws)
        out.append(_Line(y, ws[0][2], max(w[3] for w in ws), em, texts))
    return out


def _cell_text(ws):
    if len(ws) == 1:
        return ws[0][6]
    lines = _cluster_lines(ws)
    parts = []
    for ln in lines:
        s = _join_pieces(ln, _line_em(ln))
        if parts and s:
            a, b = parts[-1][-1], s[0]
            if not (_is_cjk(a) or _is_cjk(b)) and a != "-":
                parts.append(" ")
        parts.append(s)
    return "".join(parts)


def _table_lines(words, grid, page_h):
    """Assign words to ruled cells; return (table row lines, words outside any cell)."""
    cells = {}
    free = []
    hy, vx = grid.hy, grid.vx
    lookup = grid.cell
    tall = 0.4 * page_h
    for w in words:
        c = lookup((w[2] + w[3]) * 0.5, w[0])
        if c is None or hy[c[1]] - hy[c[0]] > tall:
            free.append(w)
        elif c in cells:
            cells[c].append(w)
        else:
            cells[c] = [w]
    if not cells:
        return [], words
    # a row is keyed by the top rule of the cells that start there
    rows = {}
    for c, ws in cells.items():
        if c[1] in rows:
            rows[c[1]].append((c, ws))
        else:
            rows[c[1]] = [(c, ws)]
    vlev = grid.v
    out = []
    for top in sorted(rows, reverse=True):
        row = rows[top]
        bottom = max(c[0] for c, _ in row)
        ymid = (hy[top] + hy[bottom]) * 0.5 if bottom < top else hy[top] - 1.0
        texts = {}
        rights = {}
        lo = hi = None
        for c, ws in row:
            texts[c[2]] = ws[0][6] if len(ws) == 1 else _cell_text(ws)
            rights[c[2]] = c[3]
            if lo is None or c[2] < lo:
                lo = c[2]
            if hi is None or c[3] > hi:
                hi = c[3]
        # the column rules crossing this row's band, from the table's left edge
        cols = []
        for k in range(hi + 1):
            for a, b in vlev[k][1]:
                if a - 0.5 <= ymid <= b + 0.5:
                    cols.append(k)
                    break
        if not cols or cols[0] > lo:
            cols = sorted(set(cols) | set(rights) | {hi})
        fields = []
        i = 0
        n = len(cols) - 1
        while i < n:
            k = cols[i]
            if k in texts:
                fields.append(texts[k])
                r = rights[k]
                while i < n and cols[i] < r:
                    i += 1
                continue
            fields.append("")  # a blank cell, or a merged cell continuing from a row above
            i += 1
        while fields and not fields[-1]:
            fields.pop()
        if fields:
            out.append(_Line(hy[top] - 0.01, vx[lo], vx[hi], max(row[0][1][0][1], 4.0), fields, table=True))
    return out, free


def _rot_words(tp, text, boxes, rot, page_w, page_h):
    """Words of a page shown rotated (/Rotate 90/180/270), in display coordinates, glyph by glyph."""
    chars = []
    for m in _WORD_RE.finditer(text):
        for k in range(m.start(), m.end()):
            l, r, b, t = boxes.get(tp, k)
            if r <= l and t <= b:
                continue
            l, r, b, t = _to_display(rot, page_w, page_h, l, r, b, t)
            chars.append([(b + t) * 0.5, t - b, l, r, b, t, text[k]])
    return merge_words(chars)


def _to_display(rot, page_w, page_h, l, r, b, t):
    """A box in page space -> (left, right, bottom, top) as the reader sees the rotated page."""
    if rot == 90:    # turned clockwise: display x = page y, display y = page_w - page x
        return b, t, page_w - r, page_w - l
    if rot == 270:   # display x = page_h - page y, display y = page x
        return page_h - t, page_h - b, l, r
    if rot == 180:
        return page_w - r, page_w - l, page_h - t, page_h - b
    return l, r, b, t


def _rot_rules(hs, vs, rot, page_w, page_h):
    out_h, out_v = [], []
    for y, x0, x1 in hs:
        l, r, b, t = _to_display(rot, page_w, page_h, x0, x1, y, y)
        (out_h if t - b < r - l else out_v).append(((b + t) * 0.5, l, r) if t - b < r - l else ((l + r) * 0.5, b, t))
    for x, y0, y1 in vs:
        l, r, b, t = _to_display(rot, page_w, page_h, x, x, y0, y1)
        (out_h if t - b < r - l else out_v).append(((b + t) * 0.5, l, r) if t - b < r - l else ((l + r) * 0.5, b, t))
    return out_h, out_v


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
    if not words:
        return []
    lines = []
    if _numeric_words(words):
        hs, vs = _rules(page_raw)
        if rot in (90, 180, 270):
            hs, vs = _rot_rules(hs, vs, rot, page_w, page_h)
        if hs and vs:
            grid = _Grid(hs, vs)
            if grid.ok():
                lines, words = _table_lines(words, grid, disp_h)
    lines.extend(_gap_lines(words))
    lines.sort(key=lambda ln: -ln.y)
    lines = _lift_value_rows(lines)
    # page numbers in the top or bottom margin
    for idx in (0, -1):
        if lines and not lines[idx].table:
            ln = lines[idx]
            margin = ln.y > disp_h * 0.88 or ln.y < disp_h * 0.12
            if margin and _PAGENO_RE.match(ln.text.replace("\t", " ").strip()):
                lines.pop(idx)
    return lines


def _is_num(cell: str) -> bool:
    return bool(_NUMERIC_CELL_RE.match(cell))


def _lift_value_rows(lines):
    """Borderless tables: a row's values, centred on a label that wraps over two lines, sit between
    the label's lines. Put them on the label's first line, so the row reads label + values and the
    rest of the label follows as a continuation line (as it does in ruled tables)."""
    out = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev is not None and not ln.table and not prev.table and ln.cells
                and all(_is_num(c) for c in ln.cells)
                and not any(_is_num(c) for c in prev.cells)
                and prev.right < ln.left - ln.em
                and prev.y - ln.y <= 1.6 * max(prev.em, ln.em)):
            prev.cells = prev.cells + ln.cells
            prev.right = ln.right
            continue
        out.append(ln)
    return out


def _numeric_words(words):
    """Cheap test whether a page holds a table worth its ruling lines: a line of four or more numbers.

    (Tables 三 and 四 have 7 and 15 numbers a row; table 二 rows, with 1–3, come out right from the
    gaps alone, and reading the rules costs a third of pdfium's own text pass of a page.)"""
    bins = Counter()
    match = _NUM_WORD_RE.fullmatch
    for w in words:
        if match(w[6]):
            bins[int(w[0] * 0.25)] += 1
    if not bins:
        return False
    for k, n in bins.items():
        if n + bins.get(k + 1, 0) >= 4 or n + bins.get(k - 1, 0) >= 4:
            return True
    return False


def _body_right(lines):
    body = [ln.right for ln in lines if not ln.table and len(ln.cells) == 1 and len(ln.cells[0]) >= 8]
    if not body:
        return None
    body.sort()
    return body[int(len(body) * 0.9)] if len(body) >= 3 else body[-1]


def _continues(prev, ln, right_edge, pitch=True):
    """Does narrative line ``ln`` continue the paragraph that ``prev`` wraps out of?"""
    return (right_edge is not None and not prev.table and not ln.table and len(prev.cells) == 1
            and len(ln.cells) == 1 and prev.cells[0] and ln.cells[0]
            and prev.right >= right_edge - 1.2 * prev.em
            and ln.left <= prev.left + 0.5 * prev.em
            and (not pitch or prev.y - ln.y <= 2.6 * max(prev.em, ln.em))
            and abs(prev.em - ln.em) <= 0.25 * prev.em
            and not (prev.cells[0][-1] in _SENTENCE_END and _ENUM_START_RE.match(ln.cells[0])))


def _glue(prev, ln):
    a, b = prev.cells[0][-1], ln.cells[0][0]
    sep = "" if (_is_cjk(a) or _is_cjk(b) or a == "-") else " "
    prev.cells[0] = prev.cells[0] + sep + ln.cells[0]
    prev.right = ln.right  # the joined line now ends where its last visual line ends
    prev.y = ln.y


def _join_paragraphs(lines):
    """Join narrative lines that wrap at the right margin into one line per paragraph."""
    right_edge = _body_right(lines)
    if right_edge is None:
        return lines, None
    out = []
    for ln in lines:
        if out and _continues(out[-1], ln, right_edge):
            _glue(out[-1], ln)
            continue
        out.append(ln)
    return out, right_edge


def _assemble_text(page_lines) -> str:
    return assemble_pages(page_lines)[0]


def assemble_pages(page_lines) -> tuple[str, list[int]]:
    """Pages -> (text, page starts): paragraphs joined, also across a page break; pages separated by a
    blank line. A page's start is where its first line of its own begins (a paragraph it continues
    counts to the page before); a page without text starts where the next text does."""
    chunks = []
    firsts = []           # per page: (chunk, line) of its first own line
    prev_last = prev_edge = None
    for lines in page_lines:
        lines, edge = _join_paragraphs(lines)
        if (lines and prev_last is not None and prev_edge is not None
                and _continues(prev_last, lines[0], prev_edge, pitch=False)
                and lines[0].left <= min((ln.left for ln in lines if not ln.table), default=0) + 0.5 * lines[0].em):
            _glue(prev_last, lines[0])
            chunks[-1][-1] = prev_last.text
            lines = lines[1:]
            firsts.append((len(chunks) - 1, len(chunks[-1])))
            if not lines:
                continue
            chunks[-1].extend(ln.text for ln in lines)
        else:
            firsts.append((len(chunks), 0))
            if not lines:
                continue
            chunks.append([ln.text for ln in lines])
        prev_last, prev_edge = lines[-1], (edge if edge is not None else prev_edge)
    offsets, at = [], 0                     # offset of every line, chunk by chunk ("\n" within, "\n\n" between)
    for c in chunks:
        offsets.append([])
        for t in c:
            offsets[-1].append(at)
            at += len(t) + 1
        at += 1
    text = "\n\n".join("\n".join(c) for c in chunks)
    starts = []
    for ci, li in firsts:
        if ci < len(chunks) and li < len(chunks[ci]):
            starts.append(offsets[ci][li])
        elif ci + 1 < len(chunks):          # nothing of its own left in this chunk: the next one
            starts.append(offsets[ci + 1][0])
        else:
            starts.append(len(text))
    return text, starts


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


def _unicode_sample(tp, text: str):
    """(glyphs sampled, glyphs pdfium has no Unicode value for) on about 24 glyphs of a page."""
    n = len(text)
    if not n:
        return 0, 0
    has_error = _fn("FPDFText_HasUnicodeMapError")
    h = _handle(tp)
    flagged = sampled = 0
    for i in range(0, n, max(1, n // 24)):
        if not text[i].isspace():
            sampled += 1
            if has_error(h, i) > 0:
                flagged += 1
    return sampled, flagged


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


def _page_images(page_raw) -> int:
    n = 0
    T_IMG, T_FORM = _R.FPDF_PAGEOBJ_IMAGE, _R.FPDF_PAGEOBJ_FORM

    def walk(count, get, owner, depth):
        nonlocal n
        for k in range(count):
            o = get(owner, k)
            t = _R.FPDFPageObj_GetType(o)
            if t == T_IMG:
                n += 1
            elif t == T_FORM and depth < 4:
                walk(_R.FPDFFormObj_CountObjects(o), _R.FPDFFormObj_GetObject, o, depth + 1)

    walk(_R.FPDFPage_CountObjects(page_raw), _R.FPDFPage_GetObject, page_raw, 0)
    return n


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
