"""Documents in every format from one generated report (``harvester.devportal.reports.make_report``),
so each format's parse can be compared with its HTML twin's. Used by tests/extract/test_*.py and
bench/bench_formats.py. Nothing here is committed as a binary: every document is made on the fly.

- ``to_xlsx`` / ``to_xls``: the tables 二/三/四 on three sheets, each under its section heading
  (merged across the table's width), merged cells as in the report's grid (openpyxl / xlwt).
- ``to_ofd``: the report's PDF rendering re-written as an OFD package the way PDF→OFD converters
  do it: every glyph run a ``TextObject`` with its ``TextCode`` at its position (mm, origin top
  left), every ruling line a ``PathObject``; ``OFD.xml`` → ``Doc_0/Document.xml`` → pages.
- ``to_doc`` / ``to_wps`` / ``to_rtf_lo``: the DOCX rendering converted with LibreOffice, as such
  files are made in reality; ``to_wps`` first stamps Kingsoft's ``KSOProductBuildVer`` custom
  property into the DOCX so the Word binary carries it like a file written by WPS Office.
- ``to_png``: a page of the PDF rendering (the one with table 三) as a scanned image.
"""
from __future__ import annotations

import io
import random
import zipfile
from functools import lru_cache

from harvester.devportal import reports as R

from harvester.devportal import render as renderings

AGENCY, YEAR, FMT = "淮安市人民政府", 2024, "gov2021"


@lru_cache(maxsize=16)
def report(agency: str = AGENCY, year: int = YEAR, fmt: str = FMT, seed: int = 7, kind: str = "government"):
    return R.make_report(agency, year, fmt, random.Random(f"formats{agency}{year}{seed}"), kind=kind)


def html_twin(r) -> bytes:
    return renderings.render_html(r).encode("utf-8")


def _layout(r):
    """[(sheet name, heading, TableSpec)] of the report's three tables."""
    tabs = renderings.tables(r)
    return [(name, r.headings[sid], tabs[sid]) for name, sid in
            (("表二", "s2_active"), ("表三", "s3_requests"), ("表四", "s4_review_litigation"))]


def to_xlsx(r, *, title_sheet: bool = True) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws0 = wb.active
    if title_sheet:
        ws0.title = "说明"
        ws0["A1"] = r.title
        ws0["A2"] = r.publisher
    first = not title_sheet
    for name, heading, t in _layout(r):
        ws = ws0 if first else wb.create_sheet(name)
        if first:
            ws.title = name
            first = False
        ws.cell(1, 1, heading)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=t.ncols)
        for c in t.cells:
            text = c.text.replace("\n", "")
            ws.cell(c.r + 2, c.c + 1, _num(text) if c.numeric else text)
            if c.rs > 1 or c.cs > 1:
                ws.merge_cells(start_row=c.r + 2, start_column=c.c + 1, end_row=c.r + 1 + c.rs,
                               end_column=c.c + c.cs)
    wb.properties.title = r.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _num(text: str):
    """Numbers as numbers (a spreadsheet's own cells), units and signs kept as text."""
    try:
        v = float(text)
    except ValueError:
        return text
    if text.startswith("+"):
        return text
    return int(v) if v == int(v) and "." not in text else v


def to_xls(r) -> bytes:
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    info = wb.add_sheet("说明")
    info.write(0, 0, r.title)
    info.write(1, 0, r.publisher)
    for name, heading, t in _layout(r):
        ws = wb.add_sheet(name)
        ws.write_merge(0, 0, 0, t.ncols - 1, heading)
        for c in t.cells:
            text = c.text.replace("\n", "")
            v = _num(text) if c.numeric else text
            if c.rs > 1 or c.cs > 1:
                ws.write_merge(c.r + 1, c.r + c.rs, c.c, c.c + c.cs - 1, v)
            else:
                ws.write(c.r + 1, c.c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# OFD

_NS = "http://www.ofdspec.org/2016"
_MM = 25.4 / 72.0


def _pdf_page_objects(page):
    """(text runs, segments) of a PDF page in PDF space (points, y up).

    A run is {x, y (baseline), size, text, adv: advances between its glyphs}; a segment is an
    axis-parallel ruling line (x0, y0, x1, y1)."""
    import ctypes

    import pypdfium2.raw as pdfium_c
    tp = page.get_textpage()
    runs, cur = [], None
    for i in range(tp.count_chars()):
        ch = tp.get_text_range(i, 1)
        if not ch or ch.isspace():
            cur = None
            continue
        ox, oy = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, ox, oy)
        x, y = ox.value, oy.value
        size = pdfium_c.FPDFText_GetFontSize(tp.raw, i) or 10.0
        left, right, _, _ = tp.get_charbox(i)
        width = max(right - left, 0.3 * size)
        if cur is not None and abs(cur["y"] - y) < 0.5 and abs(cur["size"] - size) < 0.1 \
                and 0 <= x - cur["end"] < 0.6 * size:
            cur["adv"].append(x - cur["last"])
            cur["text"] += ch
        else:
            cur = {"x": x, "y": y, "size": size, "text": ch, "adv": []}
            runs.append(cur)
        cur["last"], cur["end"] = x, x + width
    tp.close()
    segs = []
    for obj in page.get_objects(max_depth=3):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        l, b, r_, t = obj.get_bounds()
        if r_ - l < 2.5 and t - b > 2:
            segs.append(((l + r_) / 2, b, (l + r_) / 2, t))
        elif t - b < 2.5 and r_ - l > 2:
            segs.append((l, (b + t) / 2, r_, (b + t) / 2))
        else:  # a grid drawn as one path: its segments
            segs.extend(_path_segments(obj))
    return runs, segs


def _path_segments(obj):
    import ctypes

    import pypdfium2.raw as pdfium_c
    m = obj.get_matrix()
    n = pdfium_c.FPDFPath_CountSegments(obj.raw)
    pts = []
    out = []
    for k in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, k)
        x, y = ctypes.c_float(), ctypes.c_float()
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        px = m.a * x.value + m.c * y.value + m.e
        py = m.b * x.value + m.d * y.value + m.f
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not pts:
            pts = [(px, py)]
        else:
            x0, y0 = pts[-1]
            if abs(x0 - px) < 0.5 or abs(y0 - py) < 0.5:
                out.append((x0, y0, px, py))
            pts.append((px, py))
        if pdfium_c.FPDFPathSegment_GetClose(seg) and len(pts) > 2:
            x0, y0 = pts[-1]
            x1, y1 = pts[0]
            if abs(x0 - x1) < 0.5 or abs(y0 - y1) < 0.5:
                out.append((x0, y0, x1, y1))
    return out


def _f(v: float) -> str:
    return ("%.3f" % v).rstrip("0").rstrip(".")


def pdf_to_ofd(pdf: bytes, *, text_per_char: bool = False) -> bytes:
    """An OFD package with the PDF's text runs and ruling lines at the same places."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf)
    pages_xml = []
    try:
        for pi in range(len(doc)):
            page = doc[pi]
            w, h = page.get_size()
            runs, segs = _pdf_page_objects(page)
            page.close()
            objs = []
            oid = 100
            for run in runs:
                pieces = [run] if not text_per_char else [
                    {"x": run["x"] + sum(run["adv"][:k]), "y": run["y"], "size": run["size"], "text": ch, "adv": []}
                    for k, ch in enumerate(run["text"])]
                for p in pieces:
                    size = p["size"] * _MM
                    x0 = p["x"] * _MM
                    top = (h - p["y"]) * _MM - size           # boundary: top-left of the run's box
                    width = (sum(p["adv"]) * _MM) + size
                    delta = " ".join(_f(a * _MM) for a in p["adv"])
                    oid += 1
                    objs.append(
                        f'<ofd:TextObject ID="{oid}" Boundary="{_f(x0)} {_f(top)} {_f(width)} {_f(size * 1.2)}" '
                        f'Font="3" Size="{_f(size)}"><ofd:TextCode X="0" Y="{_f(size)}"'
                        + (f' DeltaX="{delta}"' if delta else "") + f'>{_esc(p["text"])}</ofd:TextCode></ofd:TextObject>')
            for x0, y0, x1, y1 in segs:
                lx, rx = sorted((x0 * _MM, x1 * _MM))
                ty, by = sorted(((h - y0) * _MM, (h - y1) * _MM))
                oid += 1
                objs.append(f'<ofd:PathObject ID="{oid}" Boundary="{_f(lx)} {_f(ty)} {_f(rx - lx + 0.01)} '
                            f'{_f(by - ty + 0.01)}" LineWidth="0.18"><ofd:AbbreviatedData>M {_f(x0 * _MM - lx)} '
                            f'{_f((h - y0) * _MM - ty)} L {_f(x1 * _MM - lx)} {_f((h - y1) * _MM - ty)}'
                            f'</ofd:AbbreviatedData></ofd:PathObject>')
            pages_xml.append((w * _MM, h * _MM,
                              f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page xmlns:ofd="{_NS}"><ofd:Area>'
                              f'<ofd:PhysicalBox>0 0 {_f(w * _MM)} {_f(h * _MM)}</ofd:PhysicalBox></ofd:Area>'
                              f'<ofd:Content><ofd:Layer ID="{pi + 10}">' + "".join(objs)
                              + "</ofd:Layer></ofd:Content></ofd:Page>"))
        title = doc.get_metadata_value("Title") if hasattr(doc, "get_metadata_value") else ""
    finally:
        doc.close()
    return ofd_package(pages_xml, title=title)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ofd_package(pages_xml, *, title: str = "") -> bytes:
    w, h = (pages_xml[0][0], pages_xml[0][1]) if pages_xml else (210, 297)
    ofd = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD xmlns:ofd="{_NS}" Version="1.1" DocType="OFD">'
           f'<ofd:DocBody><ofd:DocInfo><ofd:DocID>0c9d8a2f3b</ofd:DocID><ofd:Title>{_esc(title or "")}</ofd:Title>'
           f'<ofd:Creator>Suwell OFD Converter</ofd:Creator></ofd:DocInfo>'
           f'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    pages = "".join(f'<ofd:Page ID="{k + 1}" BaseLoc="Pages/Page_{k}/Content.xml"/>' for k in range(len(pages_xml)))
    document = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document xmlns:ofd="{_NS}"><ofd:CommonData>'
                f'<ofd:MaxUnitID>99999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {_f(w)} {_f(h)}'
                f'</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                f'<ofd:Pages>{pages}</ofd:Pages></ofd:Document>')
    public = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res xmlns:ofd="{_NS}" BaseLoc="Res"><ofd:Fonts>'
              f'<ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", ofd)
        z.writestr("Doc_0/Document.xml", document)
        z.writestr("Doc_0/PublicRes.xml", public)
        for k, (_, _, xml) in enumerate(pages_xml):
            z.writestr(f"Doc_0/Pages/Page_{k}/Content.xml", xml)
    return buf.getvalue()


def to_ofd(r, **kw) -> bytes:
    return pdf_to_ofd(renderings.render_pdf(r), **kw)


# ------------------------------------------------------------------------------------------------
# converted with LibreOffice

def with_kingsoft_stamp(docx: bytes) -> bytes:
    """The DOCX with Kingsoft's custom property (what WPS Office writes into every document)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
              'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
              'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
              '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
              '<vt:lpwstr>2052-11.1.0.14036</vt:lpwstr></property></Properties>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
            elif info.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdKso" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
                                    b'Target="docProps/custom.xml"/></Relationships>')
            dst.writestr(info, data)
        dst.writestr("docProps/custom.xml", custom)
    return out.getvalue()


def _lo(data: bytes, src_ext: str, target: str) -> bytes:
    from harvester.extract.convert import libreoffice_convert
    return libreoffice_convert(data, src_ext, target, timeout=180)


def to_doc(r) -> bytes:
    return _lo(renderings.render_docx(r), "docx", "doc:MS Word 97")


def to_wps(r) -> bytes:
    return _lo(with_kingsoft_stamp(renderings.render_docx(r)), "docx", "doc:MS Word 97")


def to_rtf_lo(r) -> bytes:
    return _lo(renderings.render_docx(r), "docx", "rtf")


# ------------------------------------------------------------------------------------------------
# images

def table_page_index(pdf: bytes, marker: str = "本年新收") -> int:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            text = tp.get_text_range()
            tp.close()
            page.close()
            if marker in text:
                return i
    finally:
        doc.close()
    return 0


def to_png(r, *, dpi: int = 200, page: int | None = None) -> bytes:
    import pypdfium2 as pdfium
    pdf = renderings.render_pdf(r)
    i = table_page_index(pdf) if page is None else page
    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[i].render(scale=dpi / 72.0, grayscale=True).to_pil()
    finally:
        doc.close()
    buf = io.BytesIO()
    img.convert("L").save(buf, format="PNG")
    return buf.getvalue()


def image_pdf(png: bytes) -> bytes:
    """A scanned PDF: one page holding the image and no text."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from PIL import Image
    im = Image.open(io.BytesIO(png))
    w, h = im.size
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 595 * h / w))
    c.drawImage(ImageReader(io.BytesIO(png)), 0, 0, width=595, height=595 * h / w)
    c.showPage()
    c.save()
    return buf.getvalue()
