"""Every format a portal publishes a report in, parsed to the same cells as its HTML twin; the type
from the bytes; a damaged file of each type gets its reason, never an exception; the ZIP-bomb guard;
converters leave no temporary files behind; the report is chosen among a page and its attachments.

Documents are generated from ``make_report`` reports with known cells (``formatgen``). DOC, WPS and
LibreOffice-written RTF are made by converting the DOCX rendering with LibreOffice, as such files are
made in reality; those tests need ``soffice`` (installed by scripts/setup.sh) and are skipped without
it only outside CI.
"""
from __future__ import annotations

import io
import os
import random
import shutil
import zipfile
from functools import lru_cache

import formatgen as G
import pytest

from harvester.devportal import render as renderings
from harvester.extract import extract, sniff
from harvester.extract.safety import ZipBomb, check_zip
from harvester.report import parse_bytes

REPORTS = [  # (agency, year, fmt, seed, kind): a city government 2024 and a township 2020 (gov2019)
    ("淮安市人民政府", 2024, "gov2021", 7, "government"),
    ("淮安市洪泽区老子山镇人民政府", 2020, "gov2019", 3, "township"),
]


def _soffice():
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return True
    if os.environ.get("CI", "").strip():
        pytest.fail("LibreOffice (soffice) is missing: scripts/setup.sh installs it")
    pytest.skip("LibreOffice (soffice) is not installed")


@lru_cache(maxsize=None)
def document(fmt: str, which: int) -> bytes:
    r = G.report(*REPORTS[which])
    if fmt == "html":
        return G.html_twin(r)
    if fmt == "pdf":
        return renderings.render_pdf(r)
    if fmt == "docx":
        return renderings.render_docx(r)
    if fmt == "ofd_chars":
        return G.to_ofd(r, text_per_char=True)
    if fmt == "rtf":
        return G.to_rtf_lo(r)
    return getattr(G, f"to_{fmt}")(r)


def values(rep) -> dict:
    return {k: c.value for k, c in rep.cells.items()}


FORMATS = ["pdf", "docx", "xlsx", "xls", "ofd", "ofd_chars", "rtf", "doc", "wps"]
NEEDS_LO = {"rtf", "doc", "wps"}
KIND = {"ofd_chars": "ofd"}


@pytest.mark.parametrize("which", range(len(REPORTS)))
@pytest.mark.parametrize("fmt", FORMATS)
def test_format_parses_to_the_cells_of_its_html_twin(fmt, which):
    if fmt in NEEDS_LO:
        _soffice()
    r = G.report(*REPORTS[which])
    data = document(fmt, which)
    assert sniff(data) == KIND.get(fmt, fmt)
    twin = parse_bytes(document("html", which))
    rep = parse_bytes(data)
    assert rep.status == twin.status == "parsed", rep.problems
    assert rep.report_format == r.fmt
    assert values(rep) == values(twin)
    # and both are the generated numbers
    assert {k: v for k, v in values(rep).items() if k in r.cells} == r.cells


def test_wps_is_told_from_doc_by_kingsofts_stamp():
    _soffice()
    doc, wps = document("doc", 0), document("wps", 0)
    assert sniff(doc) == "doc" and sniff(wps) == "wps"
    assert sniff(doc, url="http://x.gov.cn/files/report.wps") == "wps"   # a .doc served under a .wps name
    ex = extract(wps)
    assert ex.kind == "wps" and ex.meta["converted_by"] == "libreoffice" and len(ex.tables) == 3


def test_antiword_reads_a_doc_without_libreoffice(monkeypatch):
    _soffice()
    from harvester.extract import convert
    data = document("doc", 0)
    monkeypatch.setattr(convert, "soffice_path", lambda: None)
    ex = extract(data)
    assert ex.ok and ex.meta["converted_by"] == "antiword"
    # the text and the simple tables; antiword loses the rows of table 三's merged-cell grid
    # (a fallback only: LibreOffice is the reader)
    r = G.report()
    assert all(r.headings[s] in ex.text for s in ("s1_overall", "s2_active", "s3_requests", "s5_problems"))
    assert f"规章\t{r.cells['active.rules.issued']}\t" in ex.text
    assert "LibreOffice (soffice) is not installed" in ex.meta["converter_problem"]


def test_native_rtf_reads_merged_cells_into_grids():
    rtf = document("rtf", 0) if shutil.which("soffice") else None
    if rtf is None:
        pytest.skip("needs LibreOffice to write the RTF")
    ex = extract(rtf)
    assert ex.kind == "rtf" and "converted_by" not in ex.meta      # read natively, no converter
    t3 = next(g for g in ex.tables if any("本年新收" in c for row in g for c in row))
    assert len({len(row) for row in t3}) == 1                      # a rectangular grid
    first = t3[0]
    assert first[0] == first[1] == first[2] and first[3] == first[9] == "申请人情况"  # colspans repeated


def test_rtf_by_hand_with_code_pages_unicode_and_vertical_merges():
    rtf = (rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 \'cb\'ce\'cc\'e5;}}"
           rb"{\info{\title x}}\uc1 \pard \'d2\'bb\'a1\'a2\'d7\'dc\'cc\'e5\'c7\'e9\'bf\'f6\par"
           rb"\trowd\clvmgf\cellx1000\cellx2000\cellx3000\pard\intbl A\cell \u25968?\cell 7\cell\row"
           rb"\trowd\clvmrg\cellx1000\clmgf\cellx2000\clmrg\cellx3000\pard\intbl\cell B\cell\cell\row"
           rb"\pard after\par}")
    ex = extract(rtf)
    assert ex.ok, ex.detail
    assert ex.text.splitlines() == ["一、总体情况", "A\t数\t7", "\tB", "after"]
    assert ex.tables == [[["A", "数", "7"], ["A", "B", "B"]]]
    assert ex.table_cell_ids[0][1][0] == ex.table_cell_ids[0][0][0]


# ------------------------------------------------------------------------------------------------
# the type comes from the bytes

def test_type_from_the_bytes_not_the_url_or_headers():
    pdf = document("pdf", 0)
    for url, ctype in [("http://x.gov.cn/report.do?id=1", "text/html"),
                       ("http://x.gov.cn/dl", "application/octet-stream"),
                       ("http://x.gov.cn/downfile.jsp?filename=x.doc", "application/msword")]:
        assert sniff(pdf, url, ctype) == "pdf"
        ex = extract(pdf, url=url, content_type=ctype)
        assert ex.kind == "pdf" and ex.ok
    assert parse_bytes(pdf, url="http://x.gov.cn/downfile.jsp?filename=x.doc").status == "parsed"


def test_sniff_kinds():
    assert sniff(document("docx", 0), "a.xlsx") == "docx"
    assert sniff(document("xlsx", 0), "a.docx") == "xlsx"
    assert sniff(document("ofd", 0), "a.zip") == "ofd"
    assert sniff(document("xls", 0), "a.doc") == "xls"
    assert sniff(b"{\\rtf1\\ansi hello}", "a.doc") == "rtf"
    assert sniff(G.to_png(G.report(), dpi=30), "a.pdf") == "image"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 100) == "image"
    assert sniff(b"BM is how this text begins, not a bitmap") == "text"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ppt/presentation.xml", "<p/>")
    assert sniff(buf.getvalue()) == "pptx"
    assert extract(buf.getvalue()).problem == "unsupported_type"


# ------------------------------------------------------------------------------------------------
# a damaged file of each type: its reason, never an exception

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


def _encrypted_doc() -> bytes:
    """The generated DOC with the FIB's fEncrypted bit set (as Word marks a password-protected file)."""
    data = bytearray(document("doc", 0))
    import olefile
    with olefile.OleFileIO(bytes(data)) as ole:
        sect = ole.root.kids_dict["worddocument"].isectStart if hasattr(ole.root, "kids_dict") else None
        size = ole.sectorsize
        start = (ole.direntries[ole.root.kids_dict["worddocument"].sid].isectStart if sect is None else sect)
    pos = (start + 1) * size
    assert data[pos:pos + 2] == b"\xec\xa5"
    data[pos + 11] |= 0x01
    return bytes(data)


JUNK = random.Random(5).randbytes(6000)


def damaged():
    pdf, docx, xlsx, ofd = document("pdf", 0), document("docx", 0), document("xlsx", 0), document("ofd", 0)
    png = G.to_png(G.report(), dpi=40)
    bomb = {"word/document.xml": b"<w/>" + b" " * (300 * 1024 * 1024)}
    return {
        "pdf truncated": (pdf[: len(pdf) // 2], "corrupt"),
        "docx truncated": (docx[: len(docx) // 2], "corrupt"),
        "docx without document.xml": (_zip({"word/styles.xml": b"<x/>", "[Content_Types].xml": b"<x/>"}), "corrupt"),
        "xlsx broken workbook": (_zip({"xl/workbook.xml": b"<not xml", "[Content_Types].xml": b"<x/>"}), "corrupt"),
        "xlsx truncated": (xlsx[: len(xlsx) // 2], "corrupt"),
        "ofd without DocRoot": (_zip({"OFD.xml": b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>"}), "corrupt"),
        "ofd broken pages": (_zip({"OFD.xml": zipfile.ZipFile(io.BytesIO(ofd)).read("OFD.xml"),
                                   "Doc_0/Document.xml": zipfile.ZipFile(io.BytesIO(ofd)).read("Doc_0/Document.xml"),
                                   **{f"Doc_0/Pages/Page_{k}/Content.xml": b"<ofd:Page><broken" for k in range(9)}}),
                             "corrupt"),
        "ofd truncated": (ofd[: len(ofd) // 2], "corrupt"),
        "doc noise": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + JUNK, "corrupt"),
        "xls noise": (bytes(document("xls", 0)[:1536]) + JUNK, "corrupt"),
        "rtf noise": (b"{\\rtf1\\ansi " + JUNK, "corrupt"),
        "png truncated": (png[: len(png) // 3], "corrupt"),
        "image-only pdf": (G.image_pdf(png), "image_only"),
        "png": (png, "image_only"),
        "docx zip bomb": (_zip(bomb), "zip_bomb"),
        "xlsx zip bomb": (_zip({"xl/workbook.xml": bomb["word/document.xml"]}), "zip_bomb"),
        "ofd zip bomb": (_zip({"OFD.xml": bomb["word/document.xml"]}), "zip_bomb"),
        "zip archive": (_zip({"a.txt": b"hello"}), "unsupported_type"),
        "empty": (b"", "empty"),
    }


@pytest.fixture(scope="module")
def damaged_files():
    return damaged()


CASES = ["pdf truncated", "docx truncated", "docx without document.xml", "xlsx broken workbook", "xlsx truncated",
         "ofd without DocRoot", "ofd broken pages", "ofd truncated", "doc noise", "xls noise", "rtf noise",
         "png truncated", "image-only pdf", "png", "docx zip bomb", "xlsx zip bomb", "ofd zip bomb", "zip archive",
         "empty"]


def test_every_damage_case_is_listed():
    assert sorted(damaged()) == sorted(CASES)


@pytest.mark.parametrize("case", CASES)
def test_damaged_file_gets_its_reason(case, damaged_files, monkeypatch):
    monkeypatch.delenv("HARVESTER_OCR", raising=False)
    if case in ("doc noise",):
        _soffice()
    data, reason = damaged_files[case]
    ex = extract(data)
    assert ex.problem == reason, (case, ex.kind, ex.problem, ex.detail)
    assert ex.detail
    rep = parse_bytes(data)
    assert rep.status == reason and rep.problems


def test_encrypted_doc_is_reported():
    _soffice()
    ex = extract(_encrypted_doc())
    assert ex.kind == "doc" and ex.problem == "encrypted"


def test_zip_bomb_guard_limits(monkeypatch):
    small = _zip({"a.xml": b"x" * 5000, "b.xml": b"y" * 5000})
    assert check_zip(small).members == 2
    monkeypatch.setenv("HARVESTER_ZIP_MAX_TOTAL", "8000")
    with pytest.raises(ZipBomb, match="uncompressed"):
        check_zip(small)
    monkeypatch.setenv("HARVESTER_ZIP_MAX_TOTAL", "100000")
    monkeypatch.setenv("HARVESTER_ZIP_MAX_MEMBERS", "1")
    with pytest.raises(ZipBomb, match="members"):
        check_zip(small)
    monkeypatch.setenv("HARVESTER_ZIP_MAX_MEMBERS", "100")
    monkeypatch.setenv("HARVESTER_ZIP_RATIO_FLOOR", "1000")
    monkeypatch.setenv("HARVESTER_ZIP_MAX_RATIO", "20")
    with pytest.raises(ZipBomb, match="ratio"):
        check_zip(small)
    # a real report passes the defaults
    for key in ("HARVESTER_ZIP_MAX_TOTAL", "HARVESTER_ZIP_MAX_MEMBERS", "HARVESTER_ZIP_RATIO_FLOOR",
                "HARVESTER_ZIP_MAX_RATIO"):
        monkeypatch.delenv(key)
    for fmt in ("docx", "xlsx", "ofd"):
        check_zip(document(fmt, 0))


def test_document_size_limit(monkeypatch):
    monkeypatch.setenv("HARVESTER_MAX_DOCUMENT_BYTES", "1000")
    ex = extract(document("pdf", 0))
    assert ex.problem == "too_large" and "1000" in ex.detail


# ------------------------------------------------------------------------------------------------
# converters: private temporary directories, always removed; timeouts

@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch):
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setenv("HARVESTER_TMPDIR", str(d))
    return d


def test_no_temp_dir_left_after_success_failure_and_timeout(tmpdir_env, monkeypatch):
    _soffice()
    from harvester.extract import convert
    ex = extract(document("doc", 0))                       # success
    assert ex.ok and ex.meta["converted_by"] == "libreoffice"
    assert list(tmpdir_env.iterdir()) == []
    ex = extract(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + JUNK)   # failure (LibreOffice and antiword)
    assert ex.problem == "corrupt"
    assert list(tmpdir_env.iterdir()) == []
    monkeypatch.setenv("HARVESTER_CONVERTER_TIMEOUT", "0.3")  # timeout: LibreOffice cannot even start
    monkeypatch.setattr(convert, "antiword_text", _no_antiword)
    from harvester.extract import doc as docmod
    monkeypatch.setattr(docmod, "antiword_text", _no_antiword)
    ex = extract(document("doc", 0))
    assert ex.problem == "converter_timeout", ex.detail
    assert "did not finish within 0.3 s" in ex.detail
    assert list(tmpdir_env.iterdir()) == []
    # the process group was killed: no LibreOffice of ours still runs
    import subprocess
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmpdir_env) not in ps


def _no_antiword(data, **kw):
    from harvester.extract.convert import ConverterUnavailable
    raise ConverterUnavailable("antiword is not installed")


def test_timeout_with_antiword_fallback_still_reads_the_text(tmpdir_env, monkeypatch):
    _soffice()
    monkeypatch.setenv("HARVESTER_CONVERTER_TIMEOUT", "0.3")
    ex = extract(document("doc", 0))
    assert ex.ok and ex.meta["converted_by"] == "antiword"
    assert "did not finish" in ex.meta["converter_problem"]
    assert list(tmpdir_env.iterdir()) == []


def test_run_kills_the_whole_process_group(tmp_path):
    from harvester.extract.convert import ConverterTimeout, run
    import random
    import subprocess
    import time
    marker = tmp_path / "child-survived"
    child = f"sleep {30 + random.random():.6f}"        # an argument no other process on the machine has
    script = f"{child} & sleep 2; touch {marker}"     # a child in the background, like soffice.bin
    with pytest.raises(ConverterTimeout):
        run(["sh", "-c", script], timeout=0.5, cwd=str(tmp_path))
    time.sleep(2.5)
    assert not marker.exists()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
    assert child not in [p.strip() for p in processes]


# ------------------------------------------------------------------------------------------------
# choosing the report among a page and its attachments

def _fetched(url, role, data, title="淮安市人民政府2024年政府信息公开工作年度报告"):
    from harvester.crawl.items import Fetched
    from harvester.crawl.process import extract_file, parse_file
    f = Fetched(url=url, role=role, body=data)
    extract_file(f)
    parse_file(f, title=title, meta={})
    return f


def test_tables_in_an_attachment_beside_the_text_on_the_page():
    from harvester.crawl.process import choose
    r = G.report()
    page_html = ("<html><body><div class='TRS_Editor'>" + "".join(
        f"<p>{h}</p>" + "".join(f"<p>{p}</p>" for p in r.sections[s]) for s, h in r.headings.items())
        + "</div></body></html>").encode()
    page = _fetched("http://x.gov.cn/art/1.html", "page", page_html)
    tables = _fetched("http://x.gov.cn/files/tables.xlsx", "attachment", document("xlsx", 0))
    form = "<html><body><p>政府信息公开申请表</p><table><tr><td>姓名</td><td></td></tr></table></body></html>"
    other = _fetched("http://x.gov.cn/files/申请表.doc", "attachment", form.encode())   # an unrelated form
    chosen = choose([page, tables, other])
    assert chosen is tables and chosen.parsed.status == "parsed"


def test_page_with_its_own_tables_wins_a_tie_and_a_better_attachment_wins():
    from harvester.crawl.process import choose
    html = document("html", 0)
    page = _fetched("http://x.gov.cn/art/1.html", "page", html)
    pdf = _fetched("http://x.gov.cn/files/r.pdf", "attachment", document("pdf", 0))
    assert page.parsed.status == pdf.parsed.status == "parsed"
    assert choose([page, pdf]) is page           # same parse: the page has tables of its own
    scan = _fetched("http://x.gov.cn/files/r.png", "attachment", G.to_png(G.report(), dpi=40))
    text_only = _fetched("http://x.gov.cn/art/2.html", "page", b"<html><body><p>" + "2024年政府信息公开工作年度报告".encode() + b"</p></body></html>")
    assert choose([text_only, scan]) is scan     # the page has no tables: the attachment is the report
    assert choose([text_only, pdf]) is pdf


def test_damaged_wps_served_as_wps_gets_its_reason():
    _soffice()
    ex = extract(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + JUNK, url="http://x.gov.cn/downfile.jsp?f=report.wps")
    assert ex.kind == "wps" and ex.problem == "corrupt" and "LibreOffice" in ex.detail
    wps = document("wps", 0)
    ex = extract(wps[: len(wps) // 3])
    assert ex.problem == "corrupt", ex.detail
