"""PDF extraction: layout text on the real reports, generated tables, and every problem kind."""
from __future__ import annotations

import json
import re
import time

import pytest

from harvester.extract import extract
from harvester.extract.pdf import extract_pdf

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
REAL = ("huaian-2024", "hongze-2023", "hongze-2024")

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]

# T3 row id -> a keyword that identifies its printed label in these documents (after removing spaces).
# "法律行政" also matches the misprint "2.其他法律行政止公开" of the two 洪泽 reports.
T3_KEYS = [
    ("new", "本年新收"), ("carried_over", "上年结转"), ("granted", "予以公开"), ("partial", "部分公开"),
    ("denied.state_secret", "国家秘密"), ("denied.law_forbidden", "法律行政"),
    ("denied.three_safety_one_stability", "三安全"), ("denied.third_party", "第三方"),
    ("denied.internal_affairs", "内部事务"), ("denied.process_info", "过程性"),
    ("denied.enforcement_file", "执法案卷"), ("denied.admin_query", "查询事项"),
    ("unable.not_held", "不掌握"), ("unable.need_creation", "另行制作"), ("unable.unclear", "仍不明确"),
    ("not_processed.petition", "信访"), ("not_processed.repeat", "重复申请"),
    ("not_processed.publication", "出版物"), ("not_processed.massive", "大量反复"),
    ("not_processed.confirm_reissue", "重新出具"), ("other.no_correction", "逾期不补正"),
    ("other.fee_unpaid", "收费通知"), ("other.other", "其他"), ("total", "总计"),
    ("carry_forward", "结转下年度"),
]
T4_IDS = [f"appeal.{b}.{c}" for b in ("review", "lit_direct", "lit_after_review")
          for c in ("maintained", "corrected", "other", "pending", "total")]

NUM = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def split_row(line: str):
    """(label, trailing numeric run) of a tab-separated line."""
    cells = line.split("\t")
    run = []
    while cells and NUM.match(cells[-1].strip()):
        run.insert(0, cells.pop().strip())
    label = re.sub(r"\s+", "", "".join(cells))
    return label, [float(v) if "." in v else int(v) for v in run]


def section(text: str, start: str, end: str) -> list[str]:
    i = text.index(start)
    j = text.index(end, i)
    return text[i:j].split("\n")


@pytest.fixture(scope="module")
def extracted(real_pdfs):
    return {k: extract_pdf(v) for k, v in real_pdfs.items()}


def expected(name):
    return json.loads((CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------- real documents

@pytest.mark.parametrize("name,pages,created", [("huaian-2024", 6, "2025-02-25"),
                                                ("hongze-2023", 5, "2024-02-26"),
                                                ("hongze-2024", 5, "2025-02-25")])
def test_real_meta(extracted, name, pages, created):
    ext = extracted[name]
    assert ext.kind == "pdf" and ext.ok, ext.detail
    assert ext.meta["pages"] == pages
    assert ext.meta["pdf_created"] == created
    assert ext.meta["pdf_author"] == "王守强"
    assert "政府信息公开工作年度报告" in ext.meta["pdf_title"]


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_table3_rows(extracted, name):
    """Every printed T3 row is one line whose trailing tab-separated numbers are its 7 values, in order."""
    exp = expected(name)
    cells, uncertain = exp["cells"], set(exp.get("uncertain_cells", []))
    lines = section(extracted[name].text, "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议")
    rows = [split_row(ln) for ln in lines]
    pos = 0
    checked = 0
    for row_id, key in T3_KEYS:
        ids = [f"apply.{row_id}.{c}" for c in COLS]
        if any(i not in cells or i in uncertain for i in ids):
            continue  # not printed in this document (hongze prints （六） as one 2019-style row)
        want = [cells[i] for i in ids]
        for k in range(pos, len(rows)):
            label, run = rows[k]
            if run and key in label:
                assert run == want, f"{row_id}: line {lines[k]!r} has {run}, expected {want}"
                pos = k + 1
                checked += 1
                break
        else:
            pytest.fail(f"{name}: no line for T3 row {row_id} ({key}) after line {pos}: "
                        f"{[lines[k] for k in range(pos, min(pos + 3, len(lines)))]}")
    assert checked >= 22


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_table3_rows_one_per_line(extracted, name):
    """No value row is split: every line in T3 with numbers has exactly 7 of them."""
    lines = section(extracted[name].text, "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议")
    runs = [split_row(ln)[1] for ln in lines]
    runs = [r for r in runs if r]
    assert len(runs) in (23, 25)
    assert all(len(r) == 7 for r in runs), runs


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_table4_in_order(extracted, name):
    exp = expected(name)["cells"]
    lines = section(extracted[name].text, "四、政府信息公开行政复议", "五、")
    nums = [v for ln in lines for v in split_row(ln)[1]]
    assert nums == [exp[i] for i in T4_IDS]
    # and they are one row: a single line holds all 15
    assert any(len(split_row(ln)[1]) == 15 for ln in lines)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_table2_rows(extracted, name):
    exp = expected(name)["cells"]
    lines = section(extracted[name].text, "二、主动公开政府信息情况", "三、收到和处理")
    rows = [split_row(ln) for ln in lines]

    def find(label):
        return [run for lab, run in rows if lab == label and run]

    assert find("规章") == [[exp["active.rules.issued"], exp["active.rules.repealed"], exp["active.rules.valid"]]]
    assert find("行政规范性文件") == [[exp["active.normative_docs.issued"], exp["active.normative_docs.repealed"],
                                  exp["active.normative_docs.valid"]]]
    assert find("行政许可") == [[exp["active.licensing.decisions"]]]
    assert find("行政处罚") == [[exp["active.penalty.decisions"]]]
    assert find("行政强制") == [[exp["active.coercion.decisions"]]]
    assert find("行政事业性收费") == [[exp["active.fees.amount_wan_yuan"]]]


def test_real_wrapped_label_cell_is_joined(extracted):
    """A two-line label cell comes out whole, on the line of its values."""
    for name in REAL:
        text = extracted[name].text
        assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t" in text, name


def test_real_narrative_paragraphs_are_lines(extracted):
    text = extracted["huaian-2024"].text
    # a paragraph that wraps over 6 printed lines is one line, with no spaces between CJK characters
    line = next(ln for ln in text.split("\n") if ln.startswith("（五）政府信息公开监督保障情况。"))
    assert line.endswith("不断提高全市政务公开工作人员的工作能力和水平。")
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", line)
    # a paragraph that runs over a page break is one line too, and page numbers are gone
    assert "还有一些需要加强和改进的地方。主要表现在" in text
    assert not re.search(r"^\s*-\s*\d+\s*-\s*$", text, re.M)


def test_real_section_headings_on_own_lines(extracted):
    for name in REAL:
        lines = extracted[name].text.split("\n")
        for h in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                  "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
            assert h in lines, (name, h)


def test_dispatch_through_extract(real_pdfs):
    ext = extract(real_pdfs["hongze-2024"], url="http://example.gov.cn/downfile.jsp?id=1")
    assert ext.kind == "pdf" and ext.ok and "结转下年度继续办理\t0\t0" in ext.text


# --------------------------------------------------------------------------------- generated documents

def test_generated_table_rows(pdfgen):
    ext = extract_pdf(pdfgen.make_table_pdf())
    assert ext.ok, ext.detail
    rows = {split_row(ln)[0]: split_row(ln)[1] for ln in ext.text.split("\n")}
    for label, values in pdfgen.T3_ROWS:
        assert rows.get(label) == values, (label, ext.text)
    assert ext.meta["pdf_title"] == "某某县人民政府2024年政府信息公开工作年度报告"
    assert ext.meta["pdf_author"] == "某某县人民政府办公室"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ext.meta["pdf_created"])


def test_generated_table_blank_cell_keeps_its_place(pdfgen):
    rows = [("（一）予以公开", [5, None, 0, 0, 0, 1, 6])]
    ext = extract_pdf(pdfgen.make_table_pdf(rows=rows))
    line = next(ln for ln in ext.text.split("\n") if ln.startswith("（一）予以公开"))
    assert line.split("\t") == ["（一）予以公开", "5", "", "0", "0", "0", "1", "6"]


@pytest.mark.parametrize("borders,in_form", [("filled", False), ("grid", True), ("filled", True)])
def test_generated_table_other_drawings(pdfgen, borders, in_form):
    """Borders as thin filled rectangles (Word) and the whole page inside a form XObject."""
    ext = extract_pdf(pdfgen.make_table_pdf(borders=borders, in_form=in_form))
    rows = [split_row(ln) for ln in ext.text.split("\n")]
    for label, values in pdfgen.T3_ROWS:
        assert (label, values) in rows, (label, ext.text)


def test_generated_borderless_table(pdfgen):
    """Without rules the rows still come out one a line, split at the wide gaps; a wrapped label
    continues on the next line (the parser merges continuation lines)."""
    ext = extract_pdf(pdfgen.make_table_pdf(borders="none"))
    lines = ext.text.split("\n")
    rows = [split_row(ln) for ln in lines]
    for label, values in pdfgen.T3_ROWS:
        if len(label) <= 20:
            assert (label, values) in rows, (label, ext.text)
    # the values, centred between the two label lines, go with the label's first line
    k = next(i for i, (lab, _) in enumerate(rows) if lab.startswith("（二）部分公开"))
    assert rows[k][1] == [2, 1, 0, 0, 0, 0, 3]
    assert rows[k + 1][1] == []
    assert rows[k][0] + rows[k + 1][0] == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"


def test_generated_multipage_report(pdfgen):
    ext = extract_pdf(pdfgen.make_report_pdf(pages=3))
    assert ext.ok and ext.meta["pages"] == 3
    lines = ext.text.split("\n")
    paras = [ln for ln in lines if ln.startswith("（") and "段。" in ln]
    assert len(paras) == 9  # every wrapped paragraph is one line
    assert all(ln.endswith("全面提升政务公开标准化规范化水平。") for ln in paras)
    assert not any(re.fullmatch(r"-\s*\d+\s*-", ln.strip()) for ln in lines)  # page numbers dropped
    for label, values in pdfgen.T3_ROWS:
        assert sum(1 for ln in lines if split_row(ln) == (label, values)) == 3, label
    assert ext.text.count("\n\n") == 2  # pages separated by a blank line


def test_page_starts(pdfgen):
    """Each page's text starts at its offset: the multi-page report, a page without text (scanned) and
    the real reports (every page's first own line; a paragraph continued from the page before counts
    to that page)."""
    ext = extract_pdf(pdfgen.make_report_pdf(pages=3))
    assert len(ext.page_starts) == 3 and ext.page_starts[0] == 0
    for p, start in enumerate(ext.page_starts):
        assert ext.text[start:].startswith(f"某某县人民政府2024年政府信息公开工作年度报告\n（一）第{p + 1}页第1段")
    mixed = extract_pdf(pdfgen.make_mixed_pdf(text_pages=2, image_pages=1))
    # page 2's heading continues page 1's last line (joined across the break): page 2 starts after it
    second = mixed.text.index("一、总体情况（第2页）")
    assert mixed.page_starts[:2] == [0, mixed.text.index("\n", second) + 1]
    assert mixed.page_starts[2] == len(mixed.text)          # the scanned page has no text of its own


def test_page_starts_of_real_reports(extracted, real_pdfs):
    import pypdfium2 as pdfium
    for name, ext in extracted.items():
        pdf = pdfium.PdfDocument(real_pdfs[name])
        try:
            assert len(ext.page_starts) == len(pdf) and ext.page_starts == sorted(ext.page_starts)
            for i, start in enumerate(ext.page_starts):
                own = ext.text[start:ext.page_starts[i + 1] if i + 1 < len(pdf) else None]
                words = own.replace("\t", "\n").split("\n")
                first = next(w for w in words if len(w.strip()) >= 2).strip()[:6]
                page = pdf[i].get_textpage().get_text_range().replace("\r", "").replace("\n", "").replace(" ", "")
                assert first.replace(" ", "") in page, (name, i + 1, first)
        finally:
            pdf.close()


def test_generated_rotated_page(pdfgen):
    ext = extract_pdf(pdfgen.make_rotated_pdf())
    lines = ext.text.split("\n")
    assert lines[0] == "三、收到和处理政府信息公开申请情况"
    for label, values in pdfgen.T3_ROWS[:3]:
        assert (label, values) in [split_row(ln) for ln in lines], ext.text


# --------------------------------------------------------------------------------- problems

def test_encrypted_with_user_password(pdfgen):
    from reportlab.lib.pdfencrypt import StandardEncryption
    ext = extract_pdf(pdfgen.make_table_pdf(encrypt=StandardEncryption("user-pw", "owner-pw")))
    assert ext.problem == "encrypted"
    assert "password" in ext.detail
    assert ext.text == ""


def test_encrypted_without_copy_permission(pdfgen):
    from reportlab.lib.pdfencrypt import StandardEncryption
    ext = extract_pdf(pdfgen.make_table_pdf(encrypt=StandardEncryption("", "owner-pw", canCopy=0)))
    assert ext.problem == "encrypted"
    assert "permissions" in ext.detail
    assert ext.meta["pdf_encrypted"] is True
    # the text is still there for whoever may use it
    assert "一、本年新收政府信息公开申请数量\t12\t3\t0\t1\t0\t2\t18" in ext.text


def test_encrypted_but_copy_allowed_is_fine(pdfgen):
    from reportlab.lib.pdfencrypt import StandardEncryption
    ext = extract_pdf(pdfgen.make_table_pdf(encrypt=StandardEncryption("", "owner-pw", canModify=0)))
    assert ext.ok, ext.detail
    assert ext.meta["pdf_encrypted"] is True


def test_no_unicode_map_identity_h(pdfgen):
    ext = extract_pdf(pdfgen.make_no_tounicode_pdf())
    assert ext.problem == "no_unicode_map"
    assert "ToUnicode" in ext.detail


def test_no_unicode_map_type3(pdfgen):
    ext = extract_pdf(pdfgen.make_type3_pdf())
    assert ext.problem == "no_unicode_map"
    assert "ToUnicode" in ext.detail


def test_image_only(pdfgen):
    ext = extract_pdf(pdfgen.make_image_pdf(pages=2))
    assert ext.problem == "image_only"
    assert "OCR" in ext.detail and ext.meta["pages"] == 2


def test_mostly_scanned_is_image_only(pdfgen):
    ext = extract_pdf(pdfgen.make_mixed_pdf(text_pages=1, image_pages=3))
    assert ext.problem == "image_only"
    assert ext.meta["image_only_pages"] == [2, 3, 4]


def test_some_scanned_pages_are_listed(pdfgen):
    ext = extract_pdf(pdfgen.make_mixed_pdf(text_pages=3, image_pages=1))
    assert ext.ok
    assert ext.meta["image_only_pages"] == [4]
    assert "一、总体情况（第3页）" in ext.text


def test_truncated(real_pdfs):
    data = real_pdfs["huaian-2024"]
    for frac in (0.1, 0.5, 0.95):
        ext = extract_pdf(data[: int(len(data) * frac)])
        assert ext.problem == "corrupt", (frac, ext.problem, ext.detail)
        assert "truncated" in ext.detail


def test_zero_bytes_and_garbage():
    ext = extract_pdf(b"")
    assert ext.problem == "empty" and ext.detail
    ext = extract_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert ext.problem == "corrupt" and ext.detail
    ext = extract_pdf(b"<html><body>not found</body></html>")
    assert ext.problem == "corrupt" and "not a PDF" in ext.detail


def test_zero_pages(pdfgen):
    ext = extract_pdf(pdfgen.make_zero_page_pdf())
    assert ext.problem == "empty" and "no pages" in ext.detail


def test_blank_page_is_empty(pdfgen):
    ext = extract_pdf(pdfgen.make_blank_pdf())
    assert ext.problem == "empty" and ext.meta["pages"] == 1


def test_never_raises_on_damaged_bytes(real_pdfs):
    data = bytearray(real_pdfs["hongze-2023"])
    for k in range(2000, len(data), len(data) // 7):
        data[k:k + 500] = b"\x00" * 500
        ext = extract_pdf(bytes(data))  # must return, whatever it finds
        assert ext.kind == "pdf"


# --------------------------------------------------------------------------------- speed

def test_speed_close_to_bare_pdfium(real_pdfs):
    """The layout pass costs little next to pdfium's own text extraction (bench/bench_pdf.py measures)."""
    import pypdfium2 as pdfium

    def bare(data):
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            tp.get_text_range()
            tp.close()
            page.close()
        doc.close()

    def best(fn, data, n=7):
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            fn(data)
            ts.append(time.perf_counter() - t)
        return min(ts)

    a = sum(best(bare, d) for d in real_pdfs.values())
    b = sum(best(extract_pdf, d) for d in real_pdfs.values())
    assert b / a < 2.5, f"extract_pdf {b * 1e3:.1f} ms vs bare {a * 1e3:.1f} ms"


@pytest.mark.parametrize("raw,want", [("D:20250225100250+08'00'", "2025-02-25"), ("D:20240226144123+06'41'", "2024-02-26"),
                                      ("2025-02-25T10:00:00+08:00", "2025-02-25"), ("2025年2月5日", "2025-02-05"),
                                      ("D:2024", None), ("", None), ("D:20241301", None)])
def test_pdf_date(raw, want):
    from harvester.extract.pdf import _pdf_date
    assert _pdf_date(raw) == want


def test_same_text_without_fast_bindings(real_pdfs, pdfgen, monkeypatch):
    """The prototype-free ctypes bindings are an optimisation only: pypdfium2's own give the same text."""
    from harvester.extract import pdfium_page as P
    docs = [real_pdfs["huaian-2024"], pdfgen.make_table_pdf(in_form=True), pdfgen.make_rotated_pdf()]
    fast = [extract_pdf(d).text for d in docs]
    monkeypatch.setattr(P, "_FAST", None)
    monkeypatch.setattr(P, "_CHARBOX", P._R.FPDFText_GetCharBox)
    monkeypatch.setattr(P, "_LOOSE", P._R.FPDFText_GetLooseCharBox)
    assert [extract_pdf(d).text for d in docs] == fast
