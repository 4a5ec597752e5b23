"""Images and scanned (image-only) PDFs: detected, and read with Tesseract OCR when OCR is on.

OCR is off by default (``HARVESTER_OCR=1`` turns it on; languages ``HARVESTER_OCR_LANG``, default
``chi_sim+eng``). Off, an image is ``image_only`` — the document is archived and its report stored with
that status. On, each image (each scanned page of a PDF, rendered with pypdfium2 at ``OCR_DPI``;
at most ``HARVESTER_OCR_MAX_PAGES`` pages) is read like this:

1. the table's ruling lines are found in the picture (long dark runs, horizontal and vertical,
   found on a block-averaged copy so no per-pixel Python loop runs over the full image) and painted
   white, so Tesseract does not read a rule next to a number as ``1`` or ``|``;
2. Tesseract (``--psm 6``, one block; ``chi_sim+eng``: the English model reads the digits) returns word boxes (TSV);
3. words and rules go, in points, through the PDF path's layout code (``layout.layout_lines``): words
   inside ruled cells become table rows with tab-separated cells, other words lines.

``meta``: ``ocr`` (True), ``ocr_engine``, ``ocr_confidence`` (mean word confidence, 0–100),
``ocr_pages``. Problems: ``corrupt`` (not a decodable image), ``too_large`` (more pixels than
``MAX_PIXELS``: a decompression bomb), ``image_only`` (OCR off, or OCR found no text),
``converter_timeout`` (Tesseract ran out of time on every page).
"""
from __future__ import annotations

import io

from .base import Extracted
from .layout import assemble_text, layout_lines, merge_words
from .metadata import meta_from_text
from .safety import setting

MAX_PIXELS = 80_000_000
OCR_DPI = 300
OCR_PSM = 6
_DARK = 150


def _open(data: bytes):
    from PIL import Image
    try:
        im = Image.open(io.BytesIO(data))        # reads the header only
    except Image.DecompressionBombError as exc:
        raise OverflowError(str(exc)) from None
    w, h = im.size
    from .budget import limit
    cap = limit("HARVESTER_MAX_PIXELS") or MAX_PIXELS
    if w * h > cap:
        raise OverflowError(f"{w}x{h} pixels, more than {cap} (HARVESTER_MAX_PIXELS)")
    im.load()
    return im


def extract_image(data: bytes) -> Extracted:
    try:
        im = _open(data)
    except OverflowError as exc:
        return Extracted(kind="image", problem="too_large", detail=f"image too large: {exc}")
    except Exception as exc:
        return Extracted(kind="image", problem="corrupt", detail=f"not a readable image: {type(exc).__name__}: {exc}"[:500])
    meta = {"image_format": im.format, "width": im.size[0], "height": im.size[1]}
    frames = getattr(im, "n_frames", 1)
    if not _ocr_enabled():
        return Extracted(kind="image", meta=meta, problem="image_only",
                         detail=f"the document is an image ({im.format} {im.size[0]}x{im.size[1]}): "
                                "needs OCR (HARVESTER_OCR=1)")
    pages = []
    for k in range(min(frames, int(setting("HARVESTER_OCR_MAX_PAGES")))):   # multi-page TIFF scans
        try:
            im.seek(k)
        except EOFError:
            break
        pages.append((im.convert("L"), _dpi(im)))
    return ocr_pages(pages, kind="image", base=Extracted(kind="image", meta=meta))


def _dpi(im) -> float:
    d = im.info.get("dpi")
    try:
        v = float(d[0]) if d else 0.0
    except Exception:
        v = 0.0
    if 50 <= v <= 1200:
        return v
    # unknown: assume an A4-ish page scanned across its width
    return max(72.0, im.size[0] / 8.27)


def _ocr_enabled() -> bool:
    return bool(setting("HARVESTER_OCR", False))


def ocr_images(datas: list[bytes], *, kind: str, base: Extracted) -> Extracted:
    pages = []
    for d in datas[: int(setting("HARVESTER_OCR_MAX_PAGES"))]:
        try:
            im = _open(d)
            pages.append((im.convert("L"), _dpi(im)))
        except Exception:
            continue
    return ocr_pages(pages, kind=kind, base=base)


def ocr_pdf(data: bytes, base: Extracted) -> Extracted:
    """OCR the scanned pages of an image-only PDF (``base`` is extract_pdf's result)."""
    import pypdfium2 as pdfium
    pages = []
    limit = int(setting("HARVESTER_OCR_MAX_PAGES"))
    doc = pdfium.PdfDocument(data)
    try:
        wanted = base.meta.get("image_only_pages") or list(range(1, len(doc) + 1))
        for pno in wanted[:limit]:
            page = doc[pno - 1]
            try:
                scan = _page_scan(page)
                if scan is None:
                    w, h = page.get_size()
                    scale = OCR_DPI / 72.0
                    if w * h * scale * scale > MAX_PIXELS:
                        scale = (MAX_PIXELS / (w * h)) ** 0.5
                    scan = (page.render(scale=scale, grayscale=True).to_pil().convert("L"), 72.0 * scale)
                pages.append(scan)
            finally:
                page.close()
    finally:
        doc.close()
    return ocr_pages(pages, kind="pdf", base=base)


def _page_scan(page):
    """The scan itself when a page is one big image: (L image at its own resolution, its dpi), else None.

    OCR reads the scanner's pixels rather than a re-rendering of them (resampling blurs thin strokes)."""
    try:
        import pypdfium2.raw as pdfium_c
        w, h = page.get_size()
        imgs = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))
        if len(imgs) != 1:
            return None
        obj = imgs[0]
        l, b, r, t = obj.get_bounds()
        if (r - l) * (t - b) < 0.5 * w * h:
            return None
        pw, ph = obj.get_px_size()
        if pw * ph > MAX_PIXELS or pw < 200:
            return None
        dpi = pw * 72.0 / (r - l)
        if not 100 <= dpi <= 1200:
            return None
        return obj.get_bitmap(render=False).to_pil().convert("L"), dpi
    except Exception:
        return None


# ------------------------------------------------------------------------------------------------

def _runs(im, k: int, min_blocks: int):
    """Horizontal dark runs of an L image: [(y, x0, x1)] in pixels, found on blocks of k pixels."""
    from PIL import Image
    w, h = im.size
    small = im.reduce((k, 1)) if k > 1 else im
    sw = small.size[0]
    px = small.load()
    out = []
    for y in range(h):
        x = 0
        while x < sw:
            if px[x, y] < _DARK:
                x0 = x
                while x < sw and px[x, y] < _DARK:
                    x += 1
                if x - x0 >= min_blocks:
                    out.append((y, x0 * k, min(w, x * k)))
            else:
                x += 1
    del Image
    return out


def _merge_runs(runs, tol=3):
    """Runs on adjacent rows that overlap -> one rule each: [(pos, a, b, thickness)]."""
    runs.sort()
    rules: list[list] = []     # [y_first, y_last, a, b]
    for y, a, b in runs:
        joined = False
        for r in reversed(rules):
            if y - r[1] > tol:
                break
            if a < r[3] and b > r[2]:
                r[1] = y
                r[2], r[3] = min(r[2], a), max(r[3], b)
                joined = True
                break
        if not joined:
            rules.append([y, y, a, b])
    return [((r[0] + r[1]) / 2.0, r[2], r[3], r[1] - r[0] + 1) for r in rules]


def find_rules(im, dpi: float):
    """(horizontal [(y, x0, x1, t)], vertical [(x, y0, y1, t)]) ruling lines of a page image, pixels."""
    from PIL import Image
    bw = im.point(lambda v: 0 if v < 170 else 255)
    k = max(4, int(dpi / 25.4))             # ~1 mm blocks
    mm = dpi / 25.4 / k                     # blocks per mm
    # rules: horizontal ones at least 6 mm long (a cell's width), vertical ones 4 mm (one row's
    # height); text strokes are shorter than a character (~3 mm at table sizes)
    hs = [r for r in _merge_runs(_runs(bw, k, max(3, round(6 * mm)))) if r[3] <= dpi / 20]
    vt = bw.transpose(Image.Transpose.TRANSPOSE)
    vs = [r for r in _merge_runs(_runs(vt, k, max(3, round(5 * mm)))) if r[3] <= dpi / 20]
    # a table's rules meet other rules; a stroke of a character meets none
    tol = 1.5 * k
    for _ in range(2):
        hs = [h for h in hs if any(h[1] - tol <= v[0] <= h[2] + tol and v[1] - tol <= h[0] <= v[2] + tol for v in vs)]
        vs = [v for v in vs if any(v[1] - tol <= h[0] <= v[2] + tol and h[1] - tol <= v[0] <= h[2] + tol for h in hs)]
    return hs, vs


def _erase(im, hs, vs):
    from PIL import ImageDraw
    out = im.copy()
    d = ImageDraw.Draw(out)
    for y, a, b, t in hs:
        d.rectangle([a - 2, y - t / 2 - 2, b + 2, y + t / 2 + 2], fill=255)
    for x, a, b, t in vs:
        d.rectangle([x - t / 2 - 2, a - 2, x + t / 2 + 2, b + 2], fill=255)
    return out


def _tsv_words(tsv: str, dpi: float, h_px: int):
    """Tesseract TSV -> PDF-style words [ycentre, height, left, right, bottom, top, text] in points, y up."""
    s = 72.0 / dpi
    words, confs = [], []
    for line in tsv.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11].strip()
        try:
            left, top, w, h, conf = int(parts[6]), int(parts[7]), int(parts[8]), int(parts[9]), float(parts[10])
        except ValueError:
            continue
        if not text or conf < 0:
            continue
        confs.append(conf)
        b, t = (h_px - top - h) * s, (h_px - top) * s
        words.append([(b + t) / 2, t - b, left * s, (left + w) * s, b, t, text])
    return words, confs


def _join_cjk_words(words):
    """Tesseract splits Chinese text into one 'word' per character or two: glue neighbours on a line."""
    return merge_words(words, gap=0.45, floor=4.0, grow_vertical=True)


def ocr_page(im, dpi: float, lang: str, timeout: float | None = None):
    """(lines, confidences) of one page image."""
    from .convert import tesseract_ocr
    hs, vs = find_rules(im, dpi)
    clean = _erase(im, hs, vs) if hs or vs else im
    buf = io.BytesIO()
    clean.save(buf, format="PNG", dpi=(int(dpi), int(dpi)))
    tsv = tesseract_ocr(buf.getvalue(), lang=lang, psm=OCR_PSM, tsv=True, timeout=timeout)
    h_px = im.size[1]
    words, confs = _tsv_words(tsv, dpi, h_px)
    words = _join_cjk_words(words)
    s = 72.0 / dpi
    rules_h = [((h_px - y) * s, a * s, b * s) for y, a, b, _ in hs]
    rules_v = [(x * s, (h_px - b) * s, (h_px - a) * s) for x, a, b, _ in vs]
    return layout_lines(words, rules_h, rules_v, h_px * s), confs


def ocr_pages(pages, *, kind: str, base: Extracted) -> Extracted:
    from .convert import ConverterError, ConverterTimeout, ConverterUnavailable
    lang = str(setting("HARVESTER_OCR_LANG", "chi_sim+eng") or "chi_sim+eng")
    meta = dict(base.meta)
    page_lines, confs, errors, timeouts = [], [], [], 0
    for im, dpi in pages:
        try:
            lines, c = ocr_page(im, dpi, lang)
            page_lines.append(lines)
            confs.extend(c)
        except ConverterUnavailable as exc:
            return Extracted(kind=kind, meta=meta, problem=base.problem or "image_only",
                             detail=f"{base.detail or 'image'}; OCR unavailable: {exc}"[:500])
        except ConverterTimeout as exc:
            timeouts += 1
            errors.append(str(exc))
        except ConverterError as exc:
            errors.append(str(exc))
    meta.update({"ocr": True, "ocr_engine": f"tesseract ({lang})", "ocr_pages": len(pages),
                 "ocr_confidence": round(sum(confs) / len(confs), 1) if confs else 0.0})
    if errors:
        meta["ocr_errors"] = errors[:10]
    text = assemble_text(page_lines)
    if not text.strip():
        if pages and timeouts == len(pages):
            return Extracted(kind=kind, meta=meta, problem="converter_timeout", detail="; ".join(errors)[:500])
        return Extracted(kind=kind, meta=meta, problem="image_only",
                         detail=f"{base.detail or 'an image'}; OCR found no text" + (f" ({errors[0]})" if errors else ""))
    for k, v in meta_from_text(text).items():
        meta.setdefault(k, v)
    return Extracted(kind=kind, text=text, meta=meta)
