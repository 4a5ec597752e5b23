"""OFD (GB/T 33190, China's fixed-layout format: a ZIP of XML pages) -> Extracted.

Reading order: ``OFD.xml`` → ``DocBody/DocRoot`` (``Doc_0/Document.xml``) → ``Pages/Page@BaseLoc``
(each page's ``Content.xml``, plus the content of the template pages it names) → layers →
``TextObject`` (``Boundary``, ``Size``, ``CTM``) → ``TextCode`` (``X``/``Y`` of the first glyph's
baseline, ``DeltaX``/``DeltaY`` advances with the ``g n v`` repeat shorthand) and ``PathObject``
(``AbbreviatedData`` move/line commands: the table's ruling lines). ``PageBlock`` and
``CompositeObject`` containers are descended into.

Every glyph gets its box on the page; glyphs that sit next to each other on one line form words;
words and rules are converted to PDF space (points, y up) and laid out by the very code that lays
out PDF pages (``layout.py``: ruled cells → one table row a line, cells tab-separated; gaps → cells
of borderless tables; wrapped paragraphs joined), so an OFD report's tables come out exactly like
its PDF twin's.

Problems: ``corrupt`` (no OFD.xml/DocRoot, unreadable XML on every page), ``empty``,
``image_only`` (pages of images; OCR'd from the package's image files when OCR is on).
XML is parsed without DTDs, entities or network access.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

from .base import Extracted
from .layout import assemble_text, layout_lines, merge_words
from .metadata import meta_from_text

_MM = 25.4 / 72.0            # millimetres per point
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CMD = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
MAX_GLYPHS_PER_PAGE = 200_000


def _parser():
    from lxml import etree
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, recover=False)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el, name):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el, name):
    return [c for c in el if _local(c.tag) == name]


def _floats(s: str | None) -> list[float]:
    return [float(x) for x in _NUM.findall(s or "")]


def _deltas(s: str | None) -> list[float]:
    """``DeltaX="g 3 5.2 4"`` -> [5.2, 5.2, 5.2, 4.0]."""
    out: list[float] = []
    toks = (s or "").split()
    i = 0
    while i < len(toks):
        if toks[i] == "g" and i + 2 < len(toks):
            try:
                n, v = int(float(toks[i + 1])), float(toks[i + 2])
            except ValueError:
                break
            out.extend([v] * min(max(n, 0), MAX_GLYPHS_PER_PAGE))
            i += 3
        else:
            try:
                out.append(float(toks[i]))
            except ValueError:
                pass
            i += 1
        if len(out) > MAX_GLYPHS_PER_PAGE:
            break
    return out


class _Pkg:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = {n.lstrip("/"): n for n in zf.namelist()}
        self.lower = {n.lower(): n for n in self.names}

    def resolve(self, base_dir: str, loc: str) -> str | None:
        loc = (loc or "").strip().replace("\\", "/")
        cands = [loc.lstrip("/")] if loc.startswith("/") else [posixpath.normpath(posixpath.join(base_dir, loc)), loc]
        for c in cands:
            c = c.lstrip("/")
            if c in self.names:
                return c
            if c.lower() in self.lower:
                return self.lower[c.lower()]
        return None

    def xml(self, name: str):
        from lxml import etree
        return etree.fromstring(self.zf.read(self.names[name]), _parser())

    def read(self, name: str) -> bytes:
        return self.zf.read(self.names[name])


class _Page:
    def __init__(self, w: float, h: float):
        self.w, self.h = w, h          # mm
        self.glyphs: list[tuple] = []  # (x_mm, baseline_mm, size_mm, char, advance_mm or 0)
        self.segs: list[tuple[float, float, float, float]] = []   # mm, y down
        self.images: list[str] = []    # ResourceID of ImageObjects


def _walk(el, page: _Page, ox: float = 0.0, oy: float = 0.0):
    for obj in el:
        name = _local(obj.tag)
        if name in ("Layer", "PageBlock"):
            _walk(obj, page, ox, oy)
        elif name == "TextObject":
            _text_object(obj, page, ox, oy)
        elif name == "PathObject":
            _path_object(obj, page, ox, oy)
        elif name == "ImageObject":
            page.images.append(obj.get("ResourceID") or "")
        elif name == "CompositeObject":
            b = _floats(obj.get("Boundary"))
            _walk(obj, page, ox + (b[0] if b else 0), oy + (b[1] if len(b) > 1 else 0))


def _ctm(obj):
    m = _floats(obj.get("CTM"))
    return m if len(m) == 6 else None


def _text_object(obj, page: _Page, ox: float, oy: float):
    b = _floats(obj.get("Boundary"))
    bx, by = (b[0] + ox, b[1] + oy) if len(b) >= 2 else (ox, oy)
    size = (_floats(obj.get("Size")) or [3.5])[0]
    m = _ctm(obj)
    scale = abs(m[3]) if m else 1.0
    x = y = 0.0
    for tc in obj:
        if _local(tc.tag) != "TextCode":
            continue
        text = tc.text or ""
        if tc.get("X") is not None:
            x = (_floats(tc.get("X")) or [x])[0]
        if tc.get("Y") is not None:
            y = (_floats(tc.get("Y")) or [y])[0]
        dx, dy = _deltas(tc.get("DeltaX")), _deltas(tc.get("DeltaY"))
        for i, ch in enumerate(text):
            if len(page.glyphs) >= MAX_GLYPHS_PER_PAGE:
                return
            gx, gy = x, y
            if m:
                gx, gy = m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]
            adv = dx[i] if i < len(dx) else (size if i < len(text) - 1 else 0)
            if not ch.isspace():
                page.glyphs.append((bx + gx, by + gy, size * scale, ch, adv * (abs(m[0]) if m else 1.0)))
            x += adv
            y += dy[i] if i < len(dy) else 0.0
        # the next TextCode without X/Y continues after the last glyph
        x += size


def _path_object(obj, page: _Page, ox: float, oy: float):
    b = _floats(obj.get("Boundary"))
    bx, by = (b[0] + ox, b[1] + oy) if len(b) >= 2 else (ox, oy)
    data = _child(obj, "AbbreviatedData")
    if data is None or not data.text:
        if len(b) == 4 and (b[2] < 1.0 or b[3] < 1.0):     # a thin box drawn by its boundary alone
            if b[2] < b[3]:
                page.segs.append((bx + b[2] / 2, by, bx + b[2] / 2, by + b[3]))
            else:
                page.segs.append((bx, by + b[3] / 2, bx + b[2], by + b[3] / 2))
        return
    m = _ctm(obj)

    def pt(x, y):
        if m:
            x, y = m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]
        return bx + x, by + y

    toks = _CMD.findall(data.text)
    i = 0
    cur = start = None
    nargs = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0, "Z": 0}
    while i < len(toks):
        cmd = toks[i]
        i += 1
        if cmd not in nargs:
            continue
        n = nargs[cmd]
        try:
            args = [float(t) for t in toks[i:i + n]]
        except ValueError:
            break
        i += n
        if len(args) < n:
            break
        if cmd in ("M", "S"):
            cur = start = pt(args[0], args[1])
        elif cmd == "L" and cur is not None:
            nxt = pt(args[0], args[1])
            _seg(page, cur, nxt)
            cur = nxt
        elif cmd in ("C", "Z") and cur is not None and start is not None:
            _seg(page, cur, start)
            cur = start
        elif cmd in ("Q", "B", "A"):
            cur = pt(args[-2], args[-1])


def _seg(page: _Page, a, b):
    (x0, y0), (x1, y1) = a, b
    if abs(y0 - y1) < 0.3 and abs(x1 - x0) > 0.8:
        page.segs.append((min(x0, x1), (y0 + y1) / 2, max(x0, x1), (y0 + y1) / 2))
    elif abs(x0 - x1) < 0.3 and abs(y1 - y0) > 0.8:
        page.segs.append(((x0 + x1) / 2, min(y0, y1), (x0 + x1) / 2, max(y0, y1)))


def _words(page: _Page):
    """Glyphs -> PDF-style words [ycentre, height, left, right, bottom, top, text] in points, y up."""
    h_pt = page.h / _MM
    chars = []
    for x, base, size, ch, adv in page.glyphs:
        s = size / _MM
        left = x / _MM
        bottom = h_pt - base / _MM - 0.12 * s
        top = bottom + 0.95 * s
        # a glyph is as wide as its advance (when the advance is a glyph's, not a jump to a column)
        w = adv / _MM if 0.2 * size < adv <= 1.1 * size else (s if ord(ch) > 0x2e80 else 0.55 * s)
        chars.append([(bottom + top) * 0.5, top - bottom, left, left + w, bottom, top, ch])
    return merge_words(chars, forward_only=True)


def _rules(page: _Page):
    h_pt = page.h / _MM
    hs, vs = [], []
    for x0, y0, x1, y1 in page.segs:
        if y0 == y1:
            hs.append((h_pt - y0 / _MM, x0 / _MM, x1 / _MM))
        else:
            vs.append((x0 / _MM, h_pt - y1 / _MM, h_pt - y0 / _MM))
    return hs, vs


def _page_lines(page: _Page):
    hs, vs = _rules(page)
    return layout_lines(_words(page), hs, vs, page.h / _MM)


def _box(el) -> tuple[float, float] | None:
    if el is None:
        return None
    area = _child(el, "PhysicalBox")
    v = _floats(area.text if area is not None else None)
    return (v[2], v[3]) if len(v) == 4 and v[2] > 0 and v[3] > 0 else None


def extract_ofd(data: bytes) -> Extracted:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:
        return Extracted(kind="ofd", problem="corrupt", detail=f"not a readable OFD package: {exc}"[:500])
    with zf:
        pkg = _Pkg(zf)
        root_name = pkg.resolve("", "OFD.xml")
        if root_name is None:
            return Extracted(kind="ofd", problem="corrupt", detail="the package has no OFD.xml")
        try:
            root = pkg.xml(root_name)
            body = _child(root, "DocBody")
            doc_loc = _child(body, "DocRoot").text if body is not None and _child(body, "DocRoot") is not None else None
            meta = _docinfo(_child(body, "DocInfo") if body is not None else None)
            doc_name = pkg.resolve("", doc_loc or "")
            if doc_name is None:
                return Extracted(kind="ofd", problem="corrupt", detail=f"DocRoot {doc_loc!r} is not in the package")
            doc = pkg.xml(doc_name)
        except Exception as exc:
            return Extracted(kind="ofd", problem="corrupt", detail=f"unreadable OFD.xml/Document.xml: {type(exc).__name__}: {exc}"[:500])
        doc_dir = posixpath.dirname(doc_name)
        common = _child(doc, "CommonData")
        default_box = _box(_child(common, "PageArea") if common is not None else None) or (210.0, 297.0)
        templates = {}
        for t in (_children(common, "TemplatePage") if common is not None else []):
            templates[t.get("ID")] = t.get("BaseLoc")
        pages_el = _child(doc, "Pages")
        page_locs = [p.get("BaseLoc") for p in (_children(pages_el, "Page") if pages_el is not None else [])]
        from . import budget
        budget.check("HARVESTER_MAX_PAGES", len(page_locs), "OFD pages")
        budget.check("HARVESTER_MAX_PAGE_AREA", int(abs(default_box[0] * default_box[1]) * (72 / 25.4) ** 2),
                     "OFD page area (points²)")
        media = _media(pkg, doc, doc_dir)
        page_lines, broken, images, chars = [], [], [], 0
        for k, loc in enumerate(page_locs):
            name = pkg.resolve(doc_dir, loc or "")
            if name is None:
                broken.append(f"page {k + 1}: {loc!r} missing")
                continue
            try:
                pel = pkg.xml(name)
                page = _Page(*(_box(_child(pel, "Area")) or default_box))
                for tref in _children(pel, "Template"):
                    tname = pkg.resolve(doc_dir, templates.get(tref.get("TemplateID"), "") or "")
                    if tname:
                        content = _child(pkg.xml(tname), "Content")
                        if content is not None:
                            _walk(content, page)
                content = _child(pel, "Content")
                if content is not None:
                    _walk(content, page)
                chars += len(page.glyphs)
                if len(page.glyphs) <= 5 and page.images:
                    images.append((k + 1, [media[i] for i in page.images if i in media]))
                page_lines.append(_page_lines(page))
            except Exception as exc:
                broken.append(f"page {k + 1}: {type(exc).__name__}: {exc}"[:200])
        meta["pages"] = len(page_locs)
        if broken:
            meta["broken_pages"] = broken[:20]
        ex = Extracted(kind="ofd", text=assemble_text(page_lines), meta=meta)
        if not page_locs:
            ex.problem, ex.detail = "empty", "the document has no pages"
        elif broken and not chars:
            ex.problem, ex.detail = "corrupt", ("no page could be read: " + "; ".join(broken))[:500]
        elif images and len(images) >= 0.5 * len(page_locs):
            meta["image_only_pages"] = [p for p, _ in images]
            ex.problem = "image_only"
            ex.detail = f"{len(images)} of {len(page_locs)} page(s) are images with (almost) no text: needs OCR"
            from .guard import ocr_on
            if ocr_on():
                from .image import ocr_images
                pics = [pkg.read(n) for _, names in images for n in names]
                return ocr_images(pics, kind="ofd", base=ex)
        elif not chars:
            ex.problem, ex.detail = "empty", f"{len(page_locs)} page(s) without text"
        else:
            for k2, v in meta_from_text(ex.text).items():
                meta.setdefault(k2, v)
        return ex


def _docinfo(info) -> dict:
    meta = {}
    if info is None:
        return meta
    for key, field in (("Title", "doc_title"), ("Author", "author"), ("Creator", "creator"),
                       ("CreationDate", "created"), ("ModDate", "modified")):
        el = _child(info, key)
        if el is not None and el.text and el.text.strip():
            meta[field] = el.text.strip()
    return meta


def _media(pkg: _Pkg, doc, doc_dir: str) -> dict[str, str]:
    """ResourceID -> package member of the image files (MultiMedia in DocumentRes/PublicRes)."""
    out = {}
    for tag in ("DocumentRes", "PublicRes"):
        for el in _children(doc, tag) + [c for cd in _children(doc, "CommonData") for c in _children(cd, tag)]:
            name = pkg.resolve(doc_dir, el.text or "")
            if not name:
                continue
            try:
                res = pkg.xml(name)
            except Exception:
                continue
            base = posixpath.join(posixpath.dirname(name), res.get("BaseLoc") or "")
            for mm in res.iter():
                if _local(mm.tag) == "MultiMedia":
                    f = _child(mm, "MediaFile")
                    target = pkg.resolve(base, f.text) if f is not None and f.text else None
                    if target:
                        out[mm.get("ID")] = target
    return out
