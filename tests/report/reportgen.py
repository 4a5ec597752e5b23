"""Build annual reports from a dict of cell values, in every input shape the parser meets.

The values are chosen here (``make_cells``: consistent by construction, or from the caller) and the
documents are rendered from them, so a test compares the parser's output with numbers it never
produced. Layouts follow spec §3.3 (table 二), §4.1/§4.2 (table 三: 3 header rows, rowspan on
``三、本年度办理结果``, rowspans on the （三）–（六） groups) and §5 (table 四).

Shapes: ``html`` (real <table> markup with rowspan/colspan), ``docx`` (python-docx with merged
cells), ``tsv`` (PDF-text style: one row a line, a row's own cells tab-separated), ``lines`` (one
cell per line, H-M1), ``glued`` (cells concatenated without separators, H-M7).
"""
from __future__ import annotations

import html as _html
import io
import random

from harvester.report.schema import load_schema, table2_cells_by_row, table3_columns, table4_cell_ids

COLS = table3_columns()
Cell = tuple  # (text, colspan, rowspan)


def t3_row_defs(fmt: str) -> list[dict]:
    year = fmt[3:]
    return [r for r in load_schema()["table3"]["rows"] if year in r["formats"]]


def make_cells(fmt: str, seed: int = 0, scale: int = 6, zero_share: float = 0.55) -> dict:
    """A consistent set of cell values: H1–H4 hold, T2 values random (deltas signed, amounts decimal)."""
    rnd = random.Random(seed)
    cells: dict = {}
    for defs in table2_cells_by_row(fmt).values():
        for d in defs:
            t = d["type"]
            if t.startswith("decimal"):
                cells[d["id"]] = round(rnd.uniform(0, 9000), rnd.choice([0, 1, 2, 4]))
            elif t == "signed int":
                cells[d["id"]] = rnd.randint(-40, 40)
            else:
                cells[d["id"]] = rnd.choice([0, rnd.randint(1, 99), rnd.randint(100, 99999)])
    rows = [r["id"] for r in t3_row_defs(fmt)]
    results = [r for r in rows if r not in ("new", "carried_over", "total", "carry_forward")]
    tot = [0] * 6
    for r in results:
        six = [0 if rnd.random() < zero_share else rnd.randint(1, scale * (4 if i == 0 else 1)) for i in range(6)]
        for i, c in enumerate(COLS[:6]):
            cells[f"apply.{r}.{c}"] = six[i]
        cells[f"apply.{r}.total"] = sum(six)
        tot = [a + b for a, b in zip(tot, six)]
    carried = [rnd.randint(0, 4) if rnd.random() < 0.4 else 0 for _ in range(6)]
    forward = [rnd.randint(0, 4) if rnd.random() < 0.4 else 0 for _ in range(6)]
    carried = [min(c, t + f) for c, t, f in zip(carried, tot, forward)]
    new = [t + f - c for t, f, c in zip(tot, forward, carried)]
    for rid, vals in (("new", new), ("carried_over", carried), ("total", tot), ("carry_forward", forward)):
        for i, c in enumerate(COLS[:6]):
            cells[f"apply.{rid}.{c}"] = vals[i]
        cells[f"apply.{rid}.total"] = sum(vals)
    ids = table4_cell_ids()
    for b in range(0, 15, 5):
        four = [rnd.choice([0, 0, rnd.randint(1, 9)]) for _ in range(4)]
        for i in range(4):
            cells[ids[b + i]] = four[i]
        cells[ids[b + 4]] = sum(four)
    return cells


def fmt_value(cid: str, v, unit_in_cell: bool = False) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v)
    if cid.endswith(".delta") and isinstance(v, int) and v > 0 and v % 2:
        s = "+" + s                       # '+1036' style (H-M10)
    if unit_in_cell and cid == "active.procurement.amount":
        s += "元"                          # '251000元' (SH2019)
    return s


# ---- table models: rows of own cells (text, colspan, rowspan) -------------------------------------

def table2_model(fmt: str, cells: dict) -> list[list[Cell]]:
    defs = load_schema()["table2"][fmt]
    width = 4 if fmt == "gov2021" else 5
    spans = {1: [width - 1], 2: [2, 2] if width == 5 else [1, 2], 3: [1, 1, 1] if width == 4 else [1, 2, 1]}
    out: list[list[Cell]] = []
    blocks: dict[str, list[dict]] = {}
    for d in defs:
        blocks.setdefault(d["block_header"], []).append(d)
    for header, bdefs in blocks.items():
        cols = list(dict.fromkeys(d["col_label"] for d in bdefs))
        if fmt == "gov2019" and "采购总金额" in cols:
            pass
        sp = spans[len(cols)]
        out.append([(header, width, 1)])
        out.append([("信息内容", 1, 1)] + [(c, s, 1) for c, s in zip(cols, sp)])
        for row_label in dict.fromkeys(d["row_label"] for d in bdefs):
            rdefs = [d for d in bdefs if d["row_label"] == row_label]
            out.append([(row_label, 1, 1)] + [(fmt_value(d["id"], cells.get(d["id"]), True), s, 1)
                                              for d, s in zip(rdefs, sp)])
    return out


def table3_model(fmt: str, cells: dict) -> list[list[Cell]]:
    rows = t3_row_defs(fmt)
    out: list[list[Cell]] = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 7, 1)],
        [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]
    results = [r for r in rows if r["group"] not in ("一", "二", "四")]
    group_sizes: dict[str, int] = {}
    for r in results:
        group_sizes[r["group"]] = group_sizes.get(r["group"], 0) + 1
    seen_groups = set()
    first_result = True
    for r in rows:
        vals = [(fmt_value(f"apply.{r['id']}.{c}", cells.get(f"apply.{r['id']}.{c}")), 1, 1) for c in COLS]
        if r["group"] in ("一", "二", "四"):
            out.append([(r["label"], 3, 1)] + vals)
            continue
        row: list[Cell] = []
        if first_result:
            row.append(("三、本年度办理结果", 1, len(results)))
            first_result = False
        g = r["group"]
        if g == "三、本年度办理结果" or (g == "（六）其他处理" and r["id"] == "other"):
            row.append((r["label"], 2, 1))
        else:
            if g not in seen_groups:
                row.append((g, 1, group_sizes[g]))
                seen_groups.add(g)
            row.append((r["label"], 1, 1))
        out.append(row + vals)
    return out


def table4_model(cells: dict) -> list[list[Cell]]:
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [("行政复议", 5, 1), ("行政诉讼", 10, 1)],
        [(h, 1, 2) for h in heads] + [("未经复议直接起诉", 5, 1), ("复议后起诉", 5, 1)],
        [(h, 1, 1) for h in heads * 2],
        [(fmt_value(cid, cells.get(cid)), 1, 1) for cid in table4_cell_ids()],
    ]


# ---- documents ------------------------------------------------------------------------------------

HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def narrative(cells: dict, agency: str, year: int) -> dict[str, list[str]]:
    new_total = cells.get("apply.new.total")
    return {
        "intro": [f"本报告根据《中华人民共和国政府信息公开条例》编制。本报告所列数据的统计期限自{year}年1月1日至{year}年12月31日。"],
        "s1": ["（一）主动公开。全年通过政府网站主动公开政府信息，及时发布政策文件。",
               f"（二）依申请公开。{year}年共收到政府信息公开申请{new_total}件，均在法定期限内答复。"
               if new_total is not None else "（二）依申请公开。依法办理政府信息公开申请。",
               "（三）政府信息管理。严格落实信息发布审核制度。",
               "（四）政府信息公开平台建设。加强政府网站和政务新媒体建设。",
               "（五）监督保障。将政务公开纳入绩效考核。"],
        "s5": ["一是公开内容还不够丰富；二是解读形式较为单一。下一步将加强培训，提升公开质量。"],
        "s6": ["本年度未收取信息处理费。"],
    }


def _sections(cells, agency, year):
    n = narrative(cells, agency, year)
    return n, [("s1", n["s1"]), ("t2", None), ("t3", None), ("t4", None), ("s5", n["s5"]), ("s6", n["s6"])]


def models(fmt: str, cells: dict) -> dict[str, list[list[Cell]]]:
    return {"t2": table2_model(fmt, cells), "t3": table3_model(fmt, cells), "t4": table4_model(cells)}


def to_html(fmt: str, cells: dict, agency: str = "测试县人民政府", year: int = 2023, *,
            container: str = '<div class="TRS_Editor">', charset: str = "utf-8") -> str:
    n, parts = _sections(cells, agency, year)
    mods = models(fmt, cells)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    body = [f"<p>{_html.escape(p)}</p>" for p in n["intro"]]
    for heading, (key, paras) in zip(HEADINGS, parts):
        body.append(f"<p>{heading}</p>")
        if paras is not None:
            body.extend(f"<p>{_html.escape(p)}</p>" for p in paras)
        else:
            body.append(_html_table(mods[key]))
    end = "</div>" * container.count("<div")
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="{year + 1}-01-20 09:00"><title>{title}_政府信息公开年报</title></head>'
            f'<body><div class="header">首页 | 政务公开</div><h1>{title}</h1>{container}'
            + "".join(body) + f'{end}<div class="footer">主办单位：{agency}</div></body></html>')


def _html_table(model: list[list[Cell]]) -> str:
    out = ['<table border="1" cellspacing="0"><tbody>']
    for row in model:
        out.append("<tr>")
        for text, cs, rs in row:
            attrs = (f' colspan="{cs}"' if cs > 1 else "") + (f' rowspan="{rs}"' if rs > 1 else "")
            out.append(f"<td{attrs}><p>{_html.escape(text) if text else '&nbsp;'}</p></td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def place(model: list[list[Cell]]) -> tuple[int, int, list[tuple[int, int, str, int, int]]]:
    """Grid positions of a model's cells: (rows, cols, [(r, c, text, colspan, rowspan)])."""
    taken: set[tuple[int, int]] = set()
    out = []
    width = 0
    for r, row in enumerate(model):
        c = 0
        for text, cs, rs in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, text, cs, rs))
            for i in range(rs):
                for j in range(cs):
                    taken.add((r + i, c + j))
            c += cs
            width = max(width, c)
    return len(model), width, out


def to_docx(fmt: str, cells: dict, agency: str = "测试县人民政府", year: int = 2023) -> bytes:
    import docx
    n, parts = _sections(cells, agency, year)
    mods = models(fmt, cells)
    d = docx.Document()
    d.add_paragraph(f"{agency}{year}年政府信息公开工作年度报告")
    for p in n["intro"]:
        d.add_paragraph(p)
    for heading, (key, paras) in zip(HEADINGS, parts):
        d.add_paragraph(heading)
        if paras is not None:
            for p in paras:
                d.add_paragraph(p)
            continue
        nrows, ncols, placed = place(mods[key])
        t = d.add_table(rows=nrows, cols=ncols)
        for r, c, text, cs, rs in placed:
            cell = t.cell(r, c)
            if cs > 1 or rs > 1:
                cell = cell.merge(t.cell(r + rs - 1, c + cs - 1))
            cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _text_doc(fmt: str, cells: dict, agency: str, year: int, table_lines) -> str:
    n, parts = _sections(cells, agency, year)
    mods = models(fmt, cells)
    lines = [f"{agency}{year}年政府信息公开工作年度报告", ""] + n["intro"]
    for heading, (key, paras) in zip(HEADINGS, parts):
        lines.append(heading)
        if paras is not None:
            lines.extend(paras)
        else:
            lines.extend(table_lines(mods[key]))
    return "\n".join(lines) + "\n"


def to_tsv(fmt: str, cells: dict, agency: str = "测试县人民政府", year: int = 2023) -> str:
    """PDF-text shape: a row's own cells tab-separated, rowspan continuations as empty leading cells."""
    def lines(model):
        nrows, ncols, placed = place(model)
        by_row: dict[int, list] = {}
        for r, c, text, cs, rs in placed:
            by_row.setdefault(r, []).append((c, text))
        out = []
        for r in range(nrows):
            own = sorted(by_row.get(r, []))
            lead = own[0][0] if own else 0
            out.append("\t" * min(lead, 2) + "\t".join(t for _, t in own))
        return out
    return _text_doc(fmt, cells, agency, year, lines)


def to_lines(fmt: str, cells: dict, agency: str = "测试县人民政府", year: int = 2023) -> str:
    """HTML flattened to one cell per line, blank lines between (H-M1)."""
    def lines(model):
        out = []
        for row in model:
            for text, _, _ in row:
                out.extend([text, ""])
        return out
    return _text_doc(fmt, cells, agency, year, lines)


def to_glued(fmt: str, cells: dict, agency: str = "测试县人民政府", year: int = 2023) -> str:
    """The textContent of the whole page: no separators between cells, paragraphs run together (H-M7)."""
    def lines(model):
        return ["".join(text for row in model for text, _, _ in row)]
    return _text_doc(fmt, cells, agency, year, lines).replace("\n", "")
