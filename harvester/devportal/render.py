"""Rendering a generated report as a portal publishes it: the statistical tables as specified cells, then HTML,
PDF (reportlab) and DOCX (python-docx) documents."""
from __future__ import annotations

import datetime as dt
import html
import io
import zipfile
from dataclasses import dataclass

from harvester.report.schema import load_schema

from .reports import COLS, GeneratedReport, T3_NOTE, T4_BLOCKS, T4_PARTS, _rows3

# --------------------------------------------------------------------------------------------
# tables as merged-cell grids (shared by the three renderers)
# --------------------------------------------------------------------------------------------

@dataclass
class TCell:
    r: int
    c: int
    text: str            # "\n" marks a line break inside the cell (<br> in HTML)
    rs: int = 1
    cs: int = 1
    header: bool = False
    numeric: bool = False
    center: bool = False  # centred header text (column headings)


@dataclass
class TableSpec:
    name: str            # t2 / t3 / t4
    nrows: int
    ncols: int
    cells: list[TCell]
    widths: list[float]  # relative column widths (PDF / DOCX)


def fmt_number(v) -> str:
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return ("%.6f" % v).rstrip("0").rstrip(".")
    return str(v)


def _cell_text(r: GeneratedReport, cid: str) -> str:
    v = r.cells[cid]
    s = fmt_number(v)
    if cid.endswith(".delta") and r.style.get("plus_sign") and v > 0:
        s = "+" + s
    if cid == "active.procurement.amount" and r.style.get("amount_in_cell_unit"):
        s += r.units.get(cid, "")
    return s


class _Grid:
    def __init__(self, name, ncols, widths):
        self.name, self.ncols, self.widths = name, ncols, widths
        self.cells: list[TCell] = []
        self.row = 0

    def add(self, c, text, rs=1, cs=1, header=False, numeric=False, center=False):
        self.cells.append(TCell(self.row, c, text, rs, cs, header, numeric, center))

    def next(self):
        self.row += 1

    def spec(self) -> TableSpec:
        return TableSpec(self.name, self.row, self.ncols, self.cells, self.widths)


def t2_table(r: GeneratedReport) -> TableSpec:
    schema = load_schema()["table2"][r.fmt]
    blocks: dict[str, list[dict]] = {}
    for c in schema:
        blocks.setdefault(c["block_header"], []).append(c)
    if r.fmt == "gov2021":
        g = _Grid("t2", 4, [2.2, 1.6, 1.6, 1.6])
        for header, cols in blocks.items():
            g.add(0, header, cs=4, header=True); g.next()
            labels = list(dict.fromkeys(c["col_label"] for c in cols))
            rows = list(dict.fromkeys(c["row_label"] for c in cols))
            g.add(0, "信息内容", header=True)
            if len(labels) == 3:
                for i, lab in enumerate(labels):
                    g.add(1 + i, lab, header=True)
            else:
                g.add(1, labels[0], cs=3, header=True)
            g.next()
            for row in rows:
                g.add(0, row, header=True)
                ids = [c["id"] for c in cols if c["row_label"] == row]
                if len(ids) == 3:
                    for i, cid in enumerate(ids):
                        g.add(1 + i, _cell_text(r, cid), numeric=True)
                else:
                    g.add(1, _cell_text(r, ids[0]), cs=3, numeric=True)
                g.next()
        return g.spec()
    # gov2019: the SH2019 5-column grid with irregular colspans
    g = _Grid("t2", 5, [2.4, 1.3, 0.7, 0.7, 1.4])
    br = r.style.get("br_headers")
    for header, cols in blocks.items():
        g.add(0, header, cs=5, header=True); g.next()
        block = cols[0]["block"]
        rows = list(dict.fromkeys(c["row_label"] for c in cols))
        g.add(0, "信息内容", header=True)
        if block == "art20_1":
            g.add(1, "本年新\n制作数量" if br else "本年新制作数量", header=True)
            g.add(2, "本年新\n公开数量" if br else "本年新公开数量", cs=2, header=True)
            g.add(4, "对外公开总数量", header=True)
        elif block in ("art20_5", "art20_6"):
            g.add(1, "上一年项目数量", header=True)
            g.add(2, "本年增/减", cs=2, header=True)
            g.add(4, "处理决定数量", header=True)
        elif block == "art20_8":
            g.add(1, "上一年项目数量", cs=2, header=True)
            g.add(3, "本年增/减", cs=2, header=True)
        else:
            unit = r.units.get("active.procurement.amount", "元")
            g.add(1, "采购项目数量", cs=2, header=True)
            g.add(3, "采购总金额" if r.style.get("amount_in_cell_unit") else f"采购总金额（单位：{unit}）",
                  cs=2, header=True)
        g.next()
        for row in rows:
            ids = [c["id"] for c in cols if c["row_label"] == row]
            g.add(0, row, header=True)
            if block == "art20_1":
                g.add(1, _cell_text(r, ids[0]), numeric=True)
                g.add(2, _cell_text(r, ids[1]), cs=2, numeric=True)
                g.add(4, _cell_text(r, ids[2]), numeric=True)
            elif block in ("art20_5", "art20_6"):   # data colspans differ from the header's (as printed)
                g.add(1, _cell_text(r, ids[0]), cs=2, numeric=True)
                g.add(3, _cell_text(r, ids[1]), numeric=True)
                g.add(4, _cell_text(r, ids[2]), numeric=True)
            else:
                g.add(1, _cell_text(r, ids[0]), cs=2, numeric=True)
                g.add(3, _cell_text(r, ids[1]), cs=2, numeric=True)
            g.next()
    return g.spec()


def t3_table(r: GeneratedReport) -> TableSpec:
    br = r.style.get("br_headers")
    g = _Grid("t3", 10, [0.55, 1.0, 3.3, 0.85, 0.85, 0.85, 0.85, 0.85, 0.75, 0.85])
    g.add(0, T3_NOTE, rs=3, cs=3, header=True, center=True)
    g.add(3, "申请人情况", cs=7, header=True, center=True); g.next()
    g.add(3, "自然人", rs=2, header=True, center=True)
    g.add(4, "法人或其他组织", cs=5, header=True, center=True)
    g.add(9, "总计", rs=2, header=True, center=True); g.next()
    for i, lab in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]):
        if br and len(lab) > 2:
            lab = lab[:-2] + "\n" + lab[-2:]
        g.add(4 + i, lab, header=True, center=True)
    g.next()
    rows = _rows3(r.fmt)
    n_results = sum(1 for x in rows if x["id"] not in ("new", "carried_over", "carry_forward"))
    groups_done: set[str] = set()
    for row in rows:
        rid, group, label = row["id"], row["group"], row["label"]
        if rid in ("new", "carried_over", "carry_forward"):
            g.add(0, label, cs=3, header=True)
        else:
            if "三" not in groups_done:
                g.add(0, "三、本年度办理结果", rs=n_results, header=True, center=True)
                groups_done.add("三")
            if group == "三、本年度办理结果" or rid == "other":
                g.add(1, label, cs=2, header=True)
            else:
                if group not in groups_done:
                    size = sum(1 for x in rows if x["group"] == group)
                    g.add(1, group, rs=size, header=True)
                    groups_done.add(group)
                g.add(2, label, header=True)
        for i, c in enumerate(COLS):
            g.add(3 + i, _cell_text(r, f"apply.{rid}.{c}"), numeric=True)
        g.next()
    return g.spec()


def t4_table(r: GeneratedReport) -> TableSpec:
    br = r.style.get("br_headers")
    lab = lambda s: (s[:2] + "\n" + s[2:]) if br and len(s) == 4 else s  # noqa: E731
    g = _Grid("t4", 15, [1.0] * 15)
    g.add(0, "行政复议", cs=5, header=True, center=True)
    g.add(5, "行政诉讼", cs=10, header=True, center=True); g.next()
    for i, s in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]):
        g.add(i, lab(s), rs=2, header=True, center=True)
    g.add(5, "未经复议直接起诉", cs=5, header=True, center=True)
    g.add(10, "复议后起诉", cs=5, header=True, center=True); g.next()
    for k in range(2):
        for i, s in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]):
            g.add(5 + 5 * k + i, lab(s), header=True, center=True)
    g.next()
    i = 0
    for b in T4_BLOCKS:
        for p in T4_PARTS + ["total"]:
            g.add(i, _cell_text(r, f"appeal.{b}.{p}"), numeric=True)
            i += 1
    g.next()
    return g.spec()


def tables(r: GeneratedReport) -> dict[str, TableSpec]:
    return {"s2_active": t2_table(r), "s3_requests": t3_table(r), "s4_review_litigation": t4_table(r)}


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_TD_STYLE = "border:1px solid windowtext;padding:5px;"


def _html_table(t: TableSpec, p_in_cells: bool) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" align="center" '
           'style="border-collapse:collapse;border:none;"><tbody>']
    by_row: dict[int, list[TCell]] = {}
    for c in t.cells:
        by_row.setdefault(c.r, []).append(c)
    for ri in range(t.nrows):
        out.append("<tr>" if ri else '<tr class="firstRow">')
        for c in sorted(by_row.get(ri, []), key=lambda x: x.c):
            attrs = ""
            if c.rs > 1:
                attrs += f' rowspan="{c.rs}"'
            if c.cs > 1:
                attrs += f' colspan="{c.cs}"'
            text = "<br/>".join(html.escape(x, quote=False) for x in c.text.split("\n"))
            if p_in_cells:
                text = f'<p style="text-align:center;text-indent:0em;">{text}</p>'
            out.append(f'<td{attrs} valign="center" style="{_TD_STYLE}">{text}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html_body(r: GeneratedReport, *, with_title: bool = False) -> str:
    """The report as a CMS editor writes it: indented <p>, headings as paragraphs, real <table>s."""
    p = lambda t: f'<p style="text-indent:2em;">{html.escape(t, quote=False)}</p>'  # noqa: E731
    out = []
    if with_title:
        out.append(f'<p style="text-align:center;"><strong>{html.escape(r.title)}</strong></p>')
    out.append(p(r.intro))
    tabs = tables(r)
    for sid, heading in r.headings.items():
        h = html.escape(heading)
        out.append(f'<p style="text-indent:2em;"><strong>{h}</strong></p>' if r.style.get("strong_headings") else p(heading))
        out.extend(p(x) for x in r.sections[sid])
        if sid in tabs:
            out.append(_html_table(tabs[sid], r.style.get("p_in_cells", False)))
    out.append(f'<p style="text-align:right;">{html.escape(r.publisher)}</p>')
    d = dt.date.fromisoformat(r.date)
    out.append(f'<p style="text-align:right;">{d.year}年{d.month}月{d.day}日</p>')
    return "\n".join(out)


def render_html(r: GeneratedReport) -> str:
    """A standalone HTML document: title and the six sections with tables 二/三/四."""
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(r.title)}</title></head>\n<body>\n"
            f'<h1 style="text-align:center;">{html.escape(r.title)}</h1>\n'
            f'<div class="TRS_Editor">\n{render_html_body(r)}\n</div>\n</body></html>\n')


# --------------------------------------------------------------------------------------------
# PDF (reportlab, CID font STSong-Light: pypdfium2 reads the Chinese text back)
# --------------------------------------------------------------------------------------------

_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def _pdf_table(t: TableSpec, width: float, sty):
    from reportlab.platypus import Paragraph, Table, TableStyle
    data = [["" for _ in range(t.ncols)] for _ in range(t.nrows)]
    cmds = [("GRID", (0, 0), (-1, -1), 0.5, "#000000"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for c in t.cells:
        text = "<br/>".join(html.escape(x, quote=False) for x in c.text.split("\n"))
        data[c.r][c.c] = Paragraph(text, sty["num"] if c.numeric or c.center else sty["cell"])
        if c.rs > 1 or c.cs > 1:
            cmds.append(("SPAN", (c.c, c.r), (c.c + c.cs - 1, c.r + c.rs - 1)))
    tot = sum(t.widths)
    tbl = Table(data, colWidths=[width * w / tot for w in t.widths])
    tbl.setStyle(TableStyle(cmds))
    return tbl


def render_pdf(r: GeneratedReport) -> bytes:
    """A report PDF like the ones portals attach: title, sections, ruled tables, page numbers."""
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _register_font()
    sty = {
        "title": ParagraphStyle("title", fontName=_FONT, fontSize=18, leading=28, alignment=TA_CENTER,
                                wordWrap="CJK", spaceAfter=14),
        "h": ParagraphStyle("h", fontName=_FONT, fontSize=14, leading=24, firstLineIndent=28, wordWrap="CJK",
                            spaceBefore=6, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=_FONT, fontSize=12, leading=21, firstLineIndent=24,
                               wordWrap="CJK"),
        "right": ParagraphStyle("right", fontName=_FONT, fontSize=12, leading=21, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", fontName=_FONT, fontSize=8.5, leading=11, wordWrap="CJK"),
        "num": ParagraphStyle("num", fontName=_FONT, fontSize=8.5, leading=11, alignment=TA_CENTER,
                              wordWrap="CJK"),
    }
    buf = io.BytesIO()
    d = dt.date.fromisoformat(r.date)

    def page_number(canvas, doc):
        canvas.saveState()
        canvas.setFont(_FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 1.4 * cm, f"- {doc.page} -")
        canvas.restoreState()

    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=2.6 * cm, rightMargin=2.6 * cm, topMargin=2.5 * cm,
                            bottomMargin=2.4 * cm, title=r.title, author=r.publisher, invariant=1,
                            creator="WPS 文字", producer="WPS 文字")
    story = [Paragraph(html.escape(r.title), sty["title"]), Paragraph(html.escape(r.intro), sty["body"])]
    tabs = tables(r)
    for sid, heading in r.headings.items():
        story.append(Paragraph(html.escape(heading), sty["h"]))
        story.extend(Paragraph(html.escape(x), sty["body"]) for x in r.sections[sid])
        if sid in tabs:
            story.append(Spacer(1, 6))
            story.append(_pdf_table(tabs[sid], doc.width, sty))
            story.append(Spacer(1, 8))
    story += [Spacer(1, 20), Paragraph(html.escape(r.publisher), sty["right"]),
              Paragraph(f"{d.year}年{d.month}月{d.day}日", sty["right"])]
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# DOCX (python-docx, merged cells as Word writes them)
# --------------------------------------------------------------------------------------------

def _set_east_asian_font(run, name: str) -> None:
    from docx.oxml.ns import qn
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")


def fixed_zip(data: bytes, when: tuple = (2000, 1, 1, 0, 0, 0)) -> bytes:
    """Rewrite a ZIP (DOCX) with fixed member timestamps so that equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=when)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def render_docx(r: GeneratedReport) -> bytes:
    """A Word report: title, sections, tables 二/三/四 with merged cells (gridSpan / vMerge)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    d = dt.date.fromisoformat(r.date)
    when = dt.datetime(d.year, d.month, d.day, 9, 0, tzinfo=dt.timezone.utc)
    cp = doc.core_properties
    cp.title, cp.author, cp.last_modified_by = r.title, r.publisher, r.publisher
    cp.created = cp.modified = when
    cp.revision = 1

    def para(text, size=16, font="仿宋_GB2312", align=None, indent=True):
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        run = p.add_run(text)
        run.font.size = Pt(size)
        _set_east_asian_font(run, font)
        return p

    para(r.title, 22, "方正小标宋简体", WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(r.intro)
    tabs = tables(r)
    for sid, heading in r.headings.items():
        para(heading, 16, "黑体")
        for x in r.sections[sid]:
            para(x)
        if sid in tabs:
            t = tabs[sid]
            table = doc.add_table(rows=t.nrows, cols=t.ncols)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            tot = sum(t.widths)
            widths = [Cm(15.5 * w / tot) for w in t.widths]
            for col, w in zip(table.columns, widths):
                col.width = w
            flat = table._cells  # fetched once: table.cell() rebuilds this list on every call
            grid = [flat[i * t.ncols:(i + 1) * t.ncols] for i in range(t.nrows)]
            for row in grid:
                for cell, w in zip(row, widths):
                    cell.width = w
            for c in t.cells:
                cell = grid[c.r][c.c]
                if c.rs > 1 or c.cs > 1:
                    cell = cell.merge(grid[c.r + c.rs - 1][c.c + c.cs - 1])
                p = cell.paragraphs[0]
                if c.numeric or c.center:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = p.add_run(c.text.replace("\n", ""))
                run.font.size = Pt(9)
                _set_east_asian_font(run, "宋体")
    para(r.publisher, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    para(f"{d.year}年{d.month}月{d.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue())
