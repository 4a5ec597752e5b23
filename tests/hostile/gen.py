"""Hostile documents: files of the kind that sit on real portals by accident or malice, made on the fly.

``generate(directory)`` writes every file and ``manifest.json``: for each file its name, the status the
sandbox must give it (``harvester.sandbox.read.STATUSES``), why, and the limits it is read under
when they differ from the test's defaults (a tight time or memory budget to show that a document over
it is stopped, or a budget switched off to show what the sandbox catches behind the budgets).

Run as a script to write them: ``python tests/hostile/gen.py DIR``.
"""
from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

from harvester.devportal.faults import hostile_abort_pdf, pdf_objects

# ------------------------------------------------------------------------------------------------ PDF

_pdf = pdf_objects         # the simulated portals' PDF writer (harvester/devportal/faults.py)


def _stream(data: bytes, extra: bytes = b"", flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (Annual report 2023 row 1 2 3) Tj ET"


def pdf_pages(n: int, *, mediabox: bytes = b"[0 0 595 842]") -> bytes:
    """``n`` pages that all share one content stream (the file stays small whatever ``n``)."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
            _FONT, _stream(_TEXT)]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox " + mediabox + b" /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    objs += [page] * n
    return _pdf(objs)


def pdf_flate_bomb(inflated: int) -> bytes:
    """A page whose content stream inflates to ``inflated`` bytes of spaces (about 1000:1)."""
    z = zlib.compressobj(9)
    block = b" " * (1 << 20)
    parts = [z.compress(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n")]
    for _ in range(inflated >> 20):
        parts.append(z.compress(block))
    parts.append(z.flush())
    data = b"".join(parts)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", _FONT,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"]
    return _pdf(objs)


def pdf_self_xobject() -> bytes:
    """A Form XObject that draws itself (and a second one drawing the first): endless recursion — the
    simulated portals' hostile attachment (harvester/devportal/faults.py)."""
    return hostile_abort_pdf()


def pdf_page_tree_loop() -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"]
    return _pdf(objs)


def pdf_nested_arrays(depth: int) -> bytes:
    deep = b"[" * depth + b"]" * depth
    objs = [b"<< /Type /Catalog /Pages 2 0 R /Deep " + deep + b" >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            _FONT, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
            _stream(_TEXT)]
    return _pdf(objs)


def pdf_encrypted() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner", strength=128))
    c.drawString(72, 720, "2023 annual report")
    c.showPage()
    c.save()
    return buf.getvalue()


def pdf_xref_lies() -> bytes:
    """Every xref offset points to the wrong place and startxref past the end (the reader must recover or refuse)."""
    good = pdf_pages(1)
    return good.replace(b"startxref\n", b"startxref\n99999999").replace(b"0000000", b"9999999")


# ------------------------------------------------------------------------------------------------ ZIP packages


def _zip(members: dict[str, bytes | str], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CT_DOCX = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')


def docx(body: str) -> bytes:
    doc = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>{body}</w:body></w:document>'
    return _zip({"[Content_Types].xml": _CT_DOCX, "word/document.xml": doc})


def _tc(text: str, span: int | None = None) -> str:
    pr = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span else ""
    return f"<w:tc>{pr}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def docx_gridspan(n: int) -> bytes:
    return docx(f"<w:p><w:r><w:t>2023年政府信息公开工作年度报告</w:t></w:r></w:p><w:tbl><w:tr>{_tc('a', n)}{_tc('b')}</w:tr></w:tbl>")


def docx_gridbefore(n: int) -> bytes:
    return docx(f'<w:tbl><w:tr><w:trPr><w:gridBefore w:val="{n}"/></w:trPr>{_tc("a")}</w:tr></w:tbl>')


def docx_wide(cells: int, span: int) -> bytes:
    return docx("<w:tbl><w:tr>" + "".join(_tc(str(i), span) for i in range(cells)) + "</w:tr></w:tbl>")


def docx_nested(depth: int) -> bytes:
    inner = "<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    for _ in range(depth):
        inner = f"<w:tbl><w:tr><w:tc>{inner}</w:tc></w:tr></w:tbl><w:p/>"
    return docx(inner)


def docx_entities() -> bytes:
    lol = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>"
    doc = f'<?xml version="1.0"?>{lol}<w:document {_W}><w:body><w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>'
    return _zip({"[Content_Types].xml": _CT_DOCX, "word/document.xml": doc})


def zip_encrypted(data: bytes) -> bytes:
    """The package with the 'encrypted' flag set on every member (as a password-protected ZIP has)."""
    out = bytearray(data)
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", out, i + off)[0] | 1
            struct.pack_into("<H", out, i + off, flags)
            i = out.find(sig, i + 4)
    return bytes(out)


def zip_ratio_bomb(name: str, inflated: int, extra: dict | None = None) -> bytes:
    members = dict(extra or {})
    members[name] = b"\0" * inflated
    return _zip(members)


def zip_declared_bomb(n: int, declared: int) -> bytes:
    """Members whose central directory declares ``declared`` bytes each (the sizes lie)."""
    data = bytearray(_zip({f"m{i}.bin": b"x" for i in range(n)}))
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        struct.pack_into("<I", data, i + 24, declared)
        i = data.find(b"PK\x01\x02", i + 4)
    return bytes(data)


_SS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def xlsx(sheets: list[str]) -> bytes:
    ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(len(sheets))) + "</Types>")
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = (f'<?xml version="1.0"?><workbook {_SS} {_R}><sheets>'
          + "".join(f'<sheet name="S{i + 1}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i in range(len(sheets)))
          + "</sheets></workbook>")
    wbrels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                        for i in range(len(sheets))) + "</Relationships>")
    members = {"[Content_Types].xml": ct, "_rels/.rels": rels, "xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": wbrels}
    for i, s in enumerate(sheets):
        members[f"xl/worksheets/sheet{i + 1}.xml"] = s
    return _zip(members)


def sheet(rows: str = '<row r="1"><c r="A1" t="inlineStr"><is><t>2023年年报</t></is></c></row>', merges: list[str] = (),
          dimension: str = "A1") -> str:
    m = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{r}"/>' for r in merges) + "</mergeCells>" if merges else ""
    return f'<?xml version="1.0"?><worksheet {_SS}><dimension ref="{dimension}"/><sheetData>{rows}</sheetData>{m}</worksheet>'


_OFD_NS = "http://www.ofdspec.org/2016"


def ofd(pages: int, *, box: str = "0 0 210 297", page_xml: str | None = None, missing_root: bool = False) -> bytes:
    content = page_xml or (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Content><ofd:Layer ID="2">'
                           '<ofd:TextObject ID="3" Boundary="10 10 100 10" Font="4" Size="4"><ofd:TextCode X="0" Y="4">2023年度报告</ofd:TextCode>'
                           '</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')
    root = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.1" DocType="OFD"><ofd:DocBody>'
            '<ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    pl = "".join(f'<ofd:Page ID="{k + 10}" BaseLoc="Pages/Page_0/Content.xml"/>' for k in range(pages))
    document = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID>'
                f'<ofd:PageArea><ofd:PhysicalBox>{box}</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{pl}</ofd:Pages></ofd:Document>')
    members = {"OFD.xml": root.replace("Doc_0/Document.xml", "Doc_9/Document.xml") if missing_root else root,
               "Doc_0/Document.xml": document, "Doc_0/Pages/Page_0/Content.xml": content}
    return _zip(members)


# ------------------------------------------------------------------------------------------------ images


def png_header(w: int, h: int, *, idat: bytes | None = None) -> bytes:
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat if idat is not None else zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def gif_header(w: int, h: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\x00\x00\x00" + b"\x2c\x00\x00\x00\x00" + struct.pack("<HH", w, h) + b"\x00\x02\x02\x44\x01\x00;"


def small_png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buf, "PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ the set

MiB = 1024 * 1024


def cases():
    """(name, expected status, why, bytes, overrides) — overrides: {"memory_mib", "timeout", "env"}."""
    html_head = "<html><head><meta charset='utf-8'><title>2023年政府信息公开工作年度报告</title></head><body>"
    deep_html = html_head + "<div>" * 5000 + "深" + "</div>" * 5000 + "</body></html>"
    wide_html = html_head + "<table><tr>" + "<td colspan='99'>1</td>" * 20000 + "</tr></table></body></html>"
    big_table = html_head + "<table>" + ("<tr>" + "<td>1</td>" * 700 + "</tr>") * 1400 + "</table></body></html>"
    return [
        # PDF
        ("pdf-5000-pages-one-stream.pdf", "too_large", "5,000 pages sharing one 18 KB content stream: over HARVESTER_MAX_PAGES", pdf_pages(5000), {}),
        ("pdf-flate-bomb.pdf", "too_large", "a content stream inflating to 600 MB: over HARVESTER_MAX_STREAM_BYTES", pdf_flate_bomb(600 * MiB), {}),
        ("pdf-flate-bomb-no-budget.pdf", "crashed", "the same bomb with the stream budget off: pdfium aborts under the memory limit and only the worker dies",
         pdf_flate_bomb(1200 * MiB), {"memory_mib": 700, "env": {"HARVESTER_MAX_STREAM_BYTES": "0"}}),
        ("pdf-huge-mediabox.pdf", "too_large", "a MediaBox of 14400 × 14400 points: over HARVESTER_MAX_PAGE_AREA", pdf_pages(1, mediabox=b"[0 0 14400 14400]"), {}),
        ("pdf-self-referencing-xobject.pdf", "too_large", "Form XObjects that draw themselves (22 KB in the wild, 1 KB here): the cycle "
         "is found in the object dictionaries before pdfium sees it (HARVESTER_MAX_DEPTH)", pdf_self_xobject(), {}),
        ("pdf-self-referencing-xobject-unchecked.pdf", "crashed", "the same with the depth budget off: pdfium expands the cycle exponentially "
         "and aborts (SIGABRT) at the memory limit — the worker dies, nothing else", pdf_self_xobject(),
         {"memory_mib": 700, "env": {"HARVESTER_MAX_DEPTH": "0"}}),
        ("pdf-page-tree-loop.pdf", "corrupt", "a page tree whose Kids point back to it: no page can be opened", pdf_page_tree_loop(), {}),
        ("pdf-nested-arrays.pdf", "ok", "arrays nested 100,000 deep in the catalog: the parser gives up on that object, the page is read", pdf_nested_arrays(100000), {}),
        ("pdf-encrypted.pdf", "encrypted", "a user password (RC4 128)", pdf_encrypted(), {}),
        ("pdf-garbage-after-header.pdf", "corrupt", "a %PDF header and then noise", b"%PDF-1.4\n" + bytes(range(256)) * 64, {}),
        ("pdf-xref-lies.pdf", "ok", "every xref offset wrong and startxref past the end: rebuilt by the reader", pdf_xref_lies(), {}),
        ("pdf-2000-pages-slow.pdf", "timeout", "2,000 pages (within the page budget) read under a 0.05 s budget: the worker is killed at the deadline",
         pdf_pages(2000), {"timeout": 0.05}),
        ("pdf-truncated.pdf", "corrupt", "the first 300 bytes of a PDF", pdf_pages(3)[:300], {}),
        # DOCX
        ("docx-gridspan-1e9.docx", "too_large", "w:gridSpan of 10^9 (1 KB file): over HARVESTER_MAX_SPAN", docx_gridspan(10 ** 9), {}),
        ("docx-gridbefore-1e8.docx", "too_large", "w:gridBefore of 10^8: over HARVESTER_MAX_SPAN", docx_gridbefore(10 ** 8), {}),
        ("docx-wide-grid.docx", "too_large", "5,000 cells of gridSpan 900 (each span legal): the grid is over HARVESTER_MAX_TABLE_COLUMNS", docx_wide(5000, 900), {}),
        ("docx-nested-tables.docx", "corrupt", "tables nested 400 deep: past libxml2's depth limit of 256, the XML is refused", docx_nested(400), {}),
        ("docx-billion-laughs.docx", "corrupt", "nested entities (a billion laughs): not expanded, libxml2 refuses the amplification", docx_entities(), {}),
        ("docx-xml-part-bomb.docx", "too_large", "a 60 MB document.xml of blanks (ratio guard and XML part budget)",
         zip_ratio_bomb("word/document.xml", 60 * MiB, {"[Content_Types].xml": _CT_DOCX}), {}),
        ("docx-no-main-part.docx", "corrupt", "a DOCX package without word/document.xml", _zip({"[Content_Types].xml": _CT_DOCX, "word/styles.xml": "<x/>"}), {}),
        ("docx-zip-encrypted.docx", "encrypted", "members flagged as encrypted (a password-protected ZIP)", zip_encrypted(docx_gridspan(2)), {}),
        ("docx-broken-xml.docx", "corrupt", "document.xml cut in the middle of a tag",
         _zip({"[Content_Types].xml": _CT_DOCX, "word/document.xml": f"<w:document {_W}><w:body><w:p><w:r><w:t>x</w:bo"}), {}),
        # XLSX
        ("xlsx-merged-whole-sheet.xlsx", "too_large", "one merged range A1:XFD1048576 (2 KB): counted from the XML before openpyxl",
         xlsx([sheet(merges=["A1:XFD1048576"])]), {}),
        ("xlsx-190-sheets.xlsx", "too_large", "190 sheets: over HARVESTER_MAX_SHEETS", xlsx([sheet()] * 190), {}),
        ("xlsx-many-merges.xlsx", "too_large", "100,000 merged ranges of 5 × 5: over HARVESTER_MAX_MERGED_CELLS",
         xlsx([sheet(merges=[f"A{5 * i + 1}:E{5 * i + 5}" for i in range(100000)])]), {}),
        ("xlsx-dimension-lies.xlsx", "ok", "a dimension of the whole sheet over one cell: only the cells that exist are read",
         xlsx([sheet(dimension="A1:XFD1048576")]), {}),
        ("xlsx-broken-sheet.xlsx", "corrupt", "a sheet part that is not XML", xlsx(["<worksheet><sheetData><row"]), {}),
        # XLS
        ("xls-garbage-ole.xls", "corrupt", "the OLE signature and then noise", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40, {}),
        # OFD
        ("ofd-2500-pages.ofd", "too_large", "2,500 pages reusing one content part: over HARVESTER_MAX_PAGES", ofd(2500), {}),
        ("ofd-huge-page-box.ofd", "too_large", "a PhysicalBox of 10^6 × 10^6 mm: over HARVESTER_MAX_PAGE_AREA", ofd(1, box="0 0 1000000 1000000"), {}),
        ("ofd-missing-docroot.ofd", "corrupt", "OFD.xml names a DocRoot that is not in the package", ofd(1, missing_root=True), {}),
        ("ofd-content-bomb.ofd", "too_large", "a page content part of 80 MB blanks (ratio guard)",
         zip_ratio_bomb("Doc_0/Pages/Page_0/Content.xml", 80 * MiB, {"OFD.xml": "<x/>"}), {}),
        # RTF
        ("rtf-deep-groups.rtf", "ok", "groups nested 200,000 deep: the native reader stops at MAX_GROUP_DEPTH, LibreOffice (under the same limits) reads it", b"{\\rtf1 " + b"{" * 200000 + b"x" + b"}" * 200000 + b"}", {}),
        ("rtf-bin-length-lie.rtf", "ok", "\\bin with a length of 10^12: read as what is there", b"{\\rtf1\\ansi 2023\\bin999999999999 abc}", {}),
        ("rtf-unterminated.rtf", "corrupt", "an RTF that never closes its groups, GBK bytes with no code page: decoded noise is refused", ("{\\rtf1\\ansi{\\b 2023年度报告" * 100).encode("gbk"), {}),
        # HTML
        ("html-colspan-wide.html", "too_large", "20,000 cells of colspan 99 (about 400 KB): over HARVESTER_MAX_TABLE_COLUMNS", wide_html.encode(), {}),
        ("html-11mb.html", "too_large", "an 11 MB page: over HARVESTER_MAX_HTML_BYTES", (html_head + "<p>填充</p>" * (11 * MiB // 14) + "</body></html>").encode(), {}),
        ("html-deep-nesting.html", "too_large", "5,000 nested divs: over HARVESTER_MAX_DEPTH before the renderer recurses", deep_html.encode(), {}),
        ("html-entities.html", "ok", "a billion-laughs DOCTYPE in HTML: not expanded", (f'<!DOCTYPE html [<!ENTITY a "{"x" * 1000}">]>' + html_head + "&a;" * 1000 + "</body></html>").encode(), {}),
        ("html-big-table-low-memory.html", "corrupt", "a legal 700 × 1,400 table under a 300 MiB memory limit: libxml2 fails its allocation and says so",
         big_table.encode(), {"memory_mib": 300}),
        ("text-45mb-low-memory.txt", "memory_limit", "45 MB of text, the text budget off, read under a 300 MiB memory limit: MemoryError in the worker",
         ("2023年报 " * (45_000_000 // 7)).encode()[:45 * MiB], {"memory_mib": 300, "env": {"HARVESTER_MAX_TEXT_CHARS": "0"}}),
        ("html-rowspan-huge.html", "ok", "rowspan=10^9 (ignored above 1000: spans only cover rows that exist)",
         (html_head + "<table><tr><td rowspan='1000000000'>a</td><td>b</td></tr><tr><td>c</td></tr></table></body></html>").encode(), {}),
        ("html-nul-and-controls.html", "ok", "NUL bytes and control characters in the markup", (html_head + "\0\x01\x02<p>2023\0年</p>" * 100 + "</body></html>").encode(), {}),
        # images
        ("png-dimension-bomb.png", "too_large", "a PNG header of 100,000 × 100,000 pixels: over HARVESTER_MAX_PIXELS", png_header(100000, 100000), {}),
        ("gif-dimension-bomb.gif", "too_large", "a GIF of 65,535 × 65,535", gif_header(65535, 65535), {}),
        ("png-truncated.png", "corrupt", "a PNG cut after its header", small_png()[:60], {}),
        ("png-bad-idat.png", "corrupt", "a PNG whose pixel data is not zlib", png_header(300, 300, idat=b"nonsense" * 10), {}),
        ("jpeg-garbage.jpg", "corrupt", "a JPEG signature and then noise", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20, {}),
        # ZIP
        ("zip-ratio-bomb.zip", "too_large", "one member of 300 MB zeros", zip_ratio_bomb("a.bin", 300 * MiB), {}),
        ("zip-declared-bomb.zip", "too_large", "100 members each declaring 4 GB", zip_declared_bomb(100, 0xFFFFFFF0), {}),
        ("zip-11000-members.zip", "too_large", "11,000 members: over HARVESTER_ZIP_MAX_MEMBERS", _zip({f"{i}.txt": "" for i in range(11000)}, method=zipfile.ZIP_STORED), {}),
        ("zip-traversal-names.zip", "ok", "members named ../../etc/passwd and /etc/shadow: never written anywhere", _zip({"../../etc/passwd": "x", "/etc/shadow": "y"}), {}),
        # text
        ("text-25m-chars.txt", "too_large", "25 million characters: over HARVESTER_MAX_TEXT_CHARS", ("2023年报 " * (25_000_000 // 7)).encode(), {}),
        ("text-binary-noise.txt", "ok", "random-looking bytes", bytes((i * 7919) % 251 for i in range(200000)), {}),
        ("text-utf16.txt", "ok", "UTF-16 with a BOM", "\ufeff2023年政府信息公开工作年度报告".encode("utf-16-le"), {}),
        ("empty.bin", "ok", "no bytes at all (read: empty)", b"", {}),
        ("over-document-limit.bin", "too_large", "over HARVESTER_MAX_DOCUMENT_BYTES (set to 1 MB for this file)", b"a" * (2 * MiB),
         {"env": {"HARVESTER_MAX_DOCUMENT_BYTES": str(MiB)}}),
    ]


def generate(directory) -> list[dict]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, status, why, data, over in cases():
        (out / name).write_bytes(data)
        manifest.append({"name": name, "expected": status, "why": why, "bytes": len(data), **over})
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for m in generate(sys.argv[1] if len(sys.argv) > 1 else "hostile-files"):
        print(f"{m['expected']:<13} {m['bytes']:>10}  {m['name']}")
