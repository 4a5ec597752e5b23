"""What pypdfium2 tells about one PDF page: word boxes, ruling lines, image count, Unicode-map errors.

Per page, pdfium's own text (``FPDFText_GetText``) is split into *words* at the whitespace and
line breaks pdfium inserted, so one word is a run of glyphs that sit next to each other on one line.
Only the first and the last glyph of a word are asked for their box (two ctypes calls per word, not
one per glyph); a word whose two ends disagree is re-measured glyph by glyph and split. Ruling lines
are read from the path objects (strokes, thin filled rectangles, form XObjects included). Rotated
pages (/Rotate) are given in the reader's orientation. The few per-glyph calls go through
prototype-free ctypes bindings (``_FAST``) when available.
"""
from __future__ import annotations

import ctypes
import re

from .textlines import merge_words

try:  # the module must import even without pypdfium2 so extract() can report
    import pypdfium2 as pdfium
    import pypdfium2.raw as _R
except Exception:  # pragma: no cover - reported per call
    pdfium = None
    _R = None


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


_WORD_RE = re.compile(r"[^\s\x00-\x1f]+")


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


# ---------------------------------------------------------------------------------------------
# pages shown rotated


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


# ---------------------------------------------------------------------------------------------
# what the problem checks sample


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
