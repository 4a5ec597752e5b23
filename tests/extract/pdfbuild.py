"""PDF builders for the PDF extraction tests and bench/bench_pdf.py (reportlab + hand-written objects).

Every builder returns PDF bytes made on the fly, so no binary fixtures are committed.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from harvester.devportal.faults import pdf_objects

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "corpus"
REAL = {
    "huaian-2024": CORPUS / "real" / "huaian-2024-淮安市人民政府.pdf",
    "hongze-2023": CORPUS / "real" / "hongze-2023-淮安市洪泽区人民政府.pdf",
    "hongze-2024": CORPUS / "real" / "hongze-2024-淮安市洪泽区人民政府.pdf",
}

CJK_FONT = "STSong-Light"

# T3 rows of a gov2021 table 三: label and 7 values, as printed
T3_ROWS = [
    ("一、本年新收政府信息公开申请数量", [12, 3, 0, 1, 0, 2, 18]),
    ("二、上年结转政府信息公开申请数量", [4, 0, 0, 0, 0, 0, 4]),
    ("（一）予以公开", [5, 1, 0, 0, 0, 1, 7]),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [2, 1, 0, 0, 0, 0, 3]),
    ("1.属于国家秘密", [0, 0, 0, 0, 0, 0, 0]),
    ("2.其他法律行政法规禁止公开", [1, 0, 0, 0, 0, 0, 1]),
    ("（七）总计", [14, 3, 0, 1, 0, 2, 20]),
    ("四、结转下年度继续办理", [2, 0, 0, 0, 0, 0, 2]),
]


def _cjk_font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _wrap(c, text, width, font, size):
    """Split text into lines no wider than width (character wrap, as Chinese text wraps)."""
    lines, cur = [], ""
    for ch in text:
        if c.stringWidth(cur + ch, font, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def draw_t3_table(c, x0, ytop, rows=T3_ROWS, font=None, size=9, label_w=200, col_w=34, row_h=None,
                  borders="grid"):
    """Draw a table: a label column (wrapped, top-aligned) and 7 value columns (vertically centred).

    borders: "grid" (stroked lines, one path), "filled" (thin filled rectangles, as Word draws
    them) or "none" (a borderless table). Returns the y of the table's bottom edge."""
    font = font or _cjk_font()
    xs = [x0, x0 + label_w] + [x0 + label_w + col_w * (k + 1) for k in range(7)]
    y = ytop
    hlines = [y]
    c.setFont(font, size)
    for label, values in rows:
        lab = _wrap(c, label, label_w - 8, font, size)
        h = row_h or max(1, len(lab)) * (size + 4) + 8
        for k, s in enumerate(lab):
            c.drawString(x0 + 4, y - 4 - size - k * (size + 4), s)
        ymid = y - h / 2 - size * 0.35
        for k, v in enumerate(values):
            if v is None:
                continue
            c.drawCentredString(xs[k + 1] + col_w / 2 if k else xs[1] + col_w / 2, ymid, str(v))
        y -= h
        hlines.append(y)
    if borders == "grid":
        c.grid(xs, hlines)
    elif borders == "filled":
        for yy in hlines:
            c.rect(xs[0], yy - 0.25, xs[-1] - xs[0], 0.5, stroke=0, fill=1)
        for xx in xs:
            c.rect(xx - 0.25, hlines[-1], 0.5, hlines[0] - hlines[-1], stroke=0, fill=1)
    return y


def make_table_pdf(rows=T3_ROWS, title="三、收到和处理政府信息公开申请情况", encrypt=None, borders="grid",
                   in_form=False) -> bytes:
    """One page: a heading and table 三. in_form=True draws everything inside a form XObject."""
    from reportlab.pdfgen import canvas
    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    c.setTitle("某某县人民政府2024年政府信息公开工作年度报告")
    c.setAuthor("某某县人民政府办公室")
    if in_form:
        c.beginForm("page")
    c.setFont(font, 14)
    c.drawString(72, 780, title)
    draw_t3_table(c, 60, 760, rows, borders=borders)
    if in_form:
        c.endForm()
        c.saveState()
        c.translate(10, -20)  # the form is placed with a matrix of its own
        c.doForm("page")
        c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


def make_mixed_pdf(text_pages: int, image_pages: int) -> bytes:
    """Some pages of text, then scanned pages (an image each, no text)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for p in range(text_pages):
        c.setFont(font, 12)
        c.drawString(72, 780, f"一、总体情况（第{p + 1}页）")
        c.drawString(72, 760, NARRATIVE[:30])
        c.showPage()
    for p in range(image_pages):
        im = Image.new("L", (200, 280), 255)
        ImageDraw.Draw(im).rectangle([20, 20, 180, 40], fill=0)
        png = io.BytesIO()
        im.save(png, format="PNG")
        png.seek(0)
        c.drawImage(ImageReader(png), 40, 60, width=515, height=720)
        c.showPage()
    c.save()
    return buf.getvalue()


NARRATIVE = (
    "2024年，本县坚持以人民为中心的发展思想，认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕县委县政府中心工作，持续深化政务公开，全年主动公开政府信息1234条，"
    "收到政府信息公开申请18件，均已按时答复。进一步规范依申请公开办理流程，强化答复文书审核，"
    "全面提升政务公开标准化规范化水平。"
)


def make_report_pdf(pages: int = 8, encrypt=None) -> bytes:
    """A multi-page report: narrative paragraphs (indented first line, wrapped) and a ruled table per page."""
    from reportlab.pdfgen import canvas
    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    c.setTitle("某某县人民政府2024年政府信息公开工作年度报告")
    c.setAuthor("某某县人民政府办公室")
    width = 595 - 2 * 72
    for p in range(pages):
        c.setFont(font, 16)
        c.drawCentredString(297, 790, "某某县人民政府2024年政府信息公开工作年度报告")
        y = 760
        c.setFont(font, 10.5)
        for para in range(3):
            text = f"（{'一二三'[para]}）第{p + 1}页第{para + 1}段。" + NARRATIVE
            lines = _wrap(c, "\u3000\u3000" + text, width, font, 10.5)
            for k, ln in enumerate(lines):
                if k == 0:
                    c.drawString(72 + 21, y, ln[2:])
                else:
                    c.drawString(72, y, ln)
                y -= 18
        y -= 10
        draw_t3_table(c, 60, y, T3_ROWS)
        c.setFont(font, 9)
        c.drawCentredString(297, 40, f"- {p + 1} -")
        c.showPage()
    c.save()
    return buf.getvalue()


def make_image_pdf(pages: int = 2) -> bytes:
    """A scanned-looking PDF: each page is one PNG image and no text."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for p in range(pages):
        im = Image.new("L", (400, 560), 255)
        d = ImageDraw.Draw(im)
        for k in range(20):
            d.rectangle([30, 30 + k * 25, 370, 40 + k * 25], fill=40)
        png = io.BytesIO()
        im.save(png, format="PNG")
        png.seek(0)
        c.drawImage(ImageReader(png), 40, 60, width=515, height=720)
        c.showPage()
    c.save()
    return buf.getvalue()


def _latin_ttf():
    import reportlab
    return os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")


def make_no_tounicode_pdf(lines: int = 20) -> bytes:
    """The common broken export: a Type0 / Identity-H font (embedded TrueType, CIDToGIDMap Identity)
    without a /ToUnicode CMap. The content holds glyph ids, so a reader that trusts the codes gets
    "$QQXDO UHSRUW…"-style garbage and control characters instead of the text.

    Written object by object around reportlab's bundled Vera.ttf."""
    from reportlab.pdfbase.ttfonts import TTFontFile
    path = _latin_ttf()
    ttf = Path(path).read_bytes()
    gids = TTFontFile(path).charToGlyph
    text = "Annual report on government information disclosure 2024"
    objs = []

    def obj(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    ff = obj(b"<< /Length %d /Length1 %d >>\nstream\n" % (len(ttf), len(ttf)) + ttf + b"\nendstream")
    fd = obj(b"<< /Type /FontDescriptor /FontName /Vera /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 "
             b"/Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 %d 0 R >>" % ff)
    cid = obj(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Vera /CIDSystemInfo << /Registry (Adobe) "
              b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 600 /CIDToGIDMap /Identity >>" % fd)
    f0 = obj(b"<< /Type /Font /Subtype /Type0 /BaseFont /Vera /Encoding /Identity-H /DescendantFonts [%d 0 R] >>"
             % cid)
    rows = []
    for row in range(lines):
        hexs = "".join("%04X" % gids.get(ord(ch), 0) for ch in text)
        rows.append("BT /F1 11 Tf 72 %d Td <%s> Tj ET" % (780 - row * 20, hexs))
    content = "\n".join(rows).encode()
    st = obj(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    page_id = len(objs) + 1
    pages_id = page_id + 1
    obj(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
        b"/Contents %d 0 R >>" % (pages_id, f0, st))
    obj(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page_id)
    catalog = obj(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    return _assemble(objs, catalog)


def make_type3_pdf() -> bytes:
    """A Chinese-looking document set in a Type3 font with made-up glyph names and no ToUnicode.

    Written object by object: glyphs are little filled boxes; the codes are 0x21.., the
    /Differences names are /g1 /g2 … so nothing maps them to Unicode."""
    n = 40
    procs = []
    names = []
    for k in range(n):
        names.append(f"/g{k + 1}")
        procs.append(f"1000 0 0 0 800 800 d1 {100 + k * 10} 0 {600 - k * 5} 700 re f".encode())
    objs = []

    def obj(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    charprocs = []
    for p in procs:
        charprocs.append(obj(b"<< /Length %d >>\nstream\n" % len(p) + p + b"\nendstream"))
    cp = b"<< " + b" ".join(f"/g{k + 1} {ref} 0 R".encode() for k, ref in enumerate(charprocs)) + b" >>"
    widths = b"[" + b" ".join(b"1000" for _ in range(n)) + b"]"
    font = obj(b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] "
               b"/CharProcs " + cp + b" /Encoding << /Type /Encoding /Differences [33 " + " ".join(names).encode()
               + b"] >> /FirstChar 33 /LastChar " + str(32 + n).encode() + b" /Widths " + widths + b" >>")
    lines = []
    for row in range(25):
        codes = "".join(chr(33 + (row * 7 + k) % n) for k in range(24))
        codes = codes.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(f"BT /F1 12 Tf 72 {780 - row * 24} Td ({codes}) Tj ET")
    content = "\n".join(lines).encode()
    stream = obj(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    page_id = len(objs) + 1
    pages_id = page_id + 1
    obj(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
        b"/Contents %d 0 R >>" % (pages_id, font, stream))
    obj(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page_id)
    catalog = obj(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = obj("<< /Title <FEFF{}> >>".format("".join(f"{ord(ch):04X}" for ch in "政府信息公开工作年度报告")).encode())
    return _assemble(objs, catalog, info)


def _assemble(objs, root: int, info: int | None = None) -> bytes:
    return pdf_objects(objs, root, info=info)


def make_zero_page_pdf() -> bytes:
    objs = [b"<< /Type /Pages /Kids [] /Count 0 >>", b"<< /Type /Catalog /Pages 1 0 R >>"]
    return _assemble(objs, 2)


def make_blank_pdf() -> bytes:
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_rotated_pdf() -> bytes:
    """A landscape table stored on a portrait page shown with /Rotate 90 (as scanners and WPS do)."""
    from reportlab.pdfgen import canvas
    font = _cjk_font()
    buf = io.BytesIO()
    # reportlab takes the displayed size and stores the MediaBox turned: 595 x 842 portrait, /Rotate 90
    c = canvas.Canvas(buf, pagesize=(842, 595))
    c.setPageRotation(90)
    # the reader turns the page 90 degrees clockwise: draw in that landscape frame
    # (page x = 595 - display y, page y = display x)
    c.transform(0, 1, -1, 0, 595, 0)
    c.setFont(font, 12)
    c.drawString(60, 540, "三、收到和处理政府信息公开申请情况")
    draw_t3_table(c, 60, 520, T3_ROWS[:3], label_w=260, col_w=50)
    c.showPage()
    c.save()
    return buf.getvalue()
