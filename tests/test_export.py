"""Per-province CSV export (on SQLite and PostgreSQL) and the province code table."""
from __future__ import annotations

import csv
import io
import logging
import random

import pytest

from harvester.divisions import PROVINCES, province_code
from harvester.export import export_reports, format_number, neutralise
from harvester.report.model import Cell, Check, ParsedReport
from harvester.report.schema import all_cell_ids

SPEC_COLUMNS = [
    "province", "city", "county", "agency", "year", "report_format", "title", "publish_date", "index_no",
    "publisher", "url", "document_url", "parse_status", "failed_checks",
]
CELL_IDS = list(all_cell_ids())

SITES = [
    {"site_id": "js-ha", "name": "淮安市人民政府", "province": "江苏省", "city": "淮安市"},
    {"site_id": "js-hz", "name": "洪泽区人民政府", "province": "江苏", "city": "淮安市", "county": "洪泽区"},
    {"site_id": "sh", "name": "上海市人民政府", "province": "上海市", "city": "上海市"},
    {"site_id": "nx", "name": "宁夏回族自治区人民政府", "province": "宁夏回族自治区"},
    {"site_id": "mars", "name": "火星政府", "province": "火星"},
]


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM missing"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def add(store, site_id, agency, year, *, cells=None, checks=(), **fields):
    rid, _ = store.upsert_report(site_id=site_id, agency=agency, year=year,
                                 fields={"title": f"{agency}{year}年政府信息公开工作年度报告", **fields})
    if cells is not None:
        store.save_parse(rid, ParsedReport(year=year, report_format="gov2021", cells=cells, checks=list(checks)))
    return rid


@pytest.fixture
def filled(store):
    store.upsert_sites(SITES)
    a, b = CELL_IDS[0], CELL_IDS[-1]
    reports = [
        ("js-ha", "淮安市人民政府", 2024, dict(cells={a: Cell(12, "12"), b: Cell(-18, "-18")},
                                                checks=[Check("t3.balance.total", "FAIL"), Check("domain", "PASS"),
                                                        Check("t3.rowsum.x", "FAIL")],
                                                publish_date="2025-01-20", index_no="-014000001/2025",
                                                publisher="@淮安市政府办", page_url="https://ha/p.html",
                                                document_url="https://ha/r.pdf")),
        ("js-ha", "淮安市人民政府", 2023, dict(cells={a: Cell(None, "/"), b: Cell(3.5, "3.5")})),
        ("js-hz", "洪泽区人民政府", 2024, dict(title="=HYPERLINK(\"http://evil\",\"x\")")),
        ("js-ha", "淮安市发展和改革委员会", 2024, dict(title="+1 report", parse_status="image_only")),
        ("js-ha", "淮安市人民政府办公室", 2022, dict(title="＝SUM(A1:A9)")),
        ("sh", "上海市人民政府办公厅", 2019, dict(title="-18")),
        ("nx", "宁夏回族自治区人民政府", 2021, {}),
        ("mars", "火星政府", 2024, {}),
    ]
    random.Random(7).shuffle(reports)               # insertion order must not matter
    for site_id, agency, year, kw in reports:
        add(store, site_id, agency, year, **kw)
    return store


def test_one_file_per_province(filled, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="harvester.export"):
        paths = export_reports(filled, tmp_path / "out")
    assert [p.name for p in paths] == ["reports_00.csv", "reports_31.csv", "reports_32.csv", "reports_64.csv"]
    assert any("火星" in r.getMessage() and "reports_00.csv" in r.getMessage() for r in caplog.records)
    js = read_csv(tmp_path / "out" / "reports_32.csv")
    assert len(js) == 1 + 5                         # 江苏省 and 江苏 in one file
    assert {r[0] for r in js[1:]} == {"江苏省", "江苏"}


def test_columns_bom_and_values(filled, tmp_path):
    export_reports(filled, tmp_path)
    rows = read_csv(tmp_path / "reports_32.csv")
    header = rows[0]
    assert header == SPEC_COLUMNS + CELL_IDS
    assert len(header) == 14 + len(CELL_IDS) and len(set(header)) == len(header)
    body = [dict(zip(header, r)) for r in rows[1:]]
    assert all(len(r) == len(header) for r in rows)
    ha24 = next(r for r in body if r["agency"] == "淮安市人民政府" and r["year"] == "2024")
    assert ha24["province"] == "江苏省" and ha24["city"] == "淮安市" and ha24["county"] == ""
    assert ha24["report_format"] == "gov2021" and ha24["parse_status"] == "parsed"
    assert ha24["publish_date"] == "2025-01-20"
    assert ha24["url"] == "https://ha/p.html" and ha24["document_url"] == "https://ha/r.pdf"
    assert ha24["failed_checks"] == "t3.balance.total;t3.rowsum.x"
    assert ha24[CELL_IDS[0]] == "12" and ha24[CELL_IDS[-1]] == "-18"     # numbers stay numbers
    assert all(ha24[c] == "" for c in CELL_IDS[1:-1])                    # null / absent cells are empty
    ha23 = next(r for r in body if r["agency"] == "淮安市人民政府" and r["year"] == "2023")
    assert ha23[CELL_IDS[0]] == "" and ha23[CELL_IDS[-1]] == "3.5" and ha23["failed_checks"] == ""


def test_formula_injection_neutralised(filled, tmp_path):
    export_reports(filled, tmp_path)
    body = read_csv(tmp_path / "reports_32.csv")[1:] + read_csv(tmp_path / "reports_31.csv")[1:]
    by_agency = {(r[3], r[4]): r for r in body}
    assert by_agency[("洪泽区人民政府", "2024")][6] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert by_agency[("淮安市发展和改革委员会", "2024")][6] == "'+1 report"
    assert by_agency[("淮安市人民政府办公室", "2022")][6] == "'＝SUM(A1:A9)"    # full-width too
    assert by_agency[("上海市人民政府办公厅", "2019")][6] == "'-18"        # text, even if it looks numeric
    ha24 = by_agency[("淮安市人民政府", "2024")]
    assert ha24[8] == "'-014000001/2025" and ha24[9] == "'@淮安市政府办"
    assert ha24[14 + len(CELL_IDS) - 1] == "-18"                         # the number is not touched
    for row in body:
        for value in row[:14]:
            assert not value[:1] in ("=", "+", "-", "@", "\t", "\r"), row


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+86", "'+86"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"), ("－1", "'－1"), ("报告", "报告"), ("a=b", "a=b"), ("", ""), (-18, -18), (2.5, 2.5),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_format_number():
    assert [format_number(v) for v in (None, 0, -18, -18.0, 12.0, 2.5, 1e15)] == [
        "", "0", "-18", "-18", "12", "2.5", "1000000000000000"]


def test_deterministic_order(filled, tmp_path):
    first = export_reports(filled, tmp_path / "a")
    second = export_reports(filled, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    keys = [(r[3], int(r[4])) for r in read_csv(tmp_path / "a" / "reports_32.csv")[1:]]
    assert keys == sorted(keys)
    assert keys == [("洪泽区人民政府", 2024), ("淮安市人民政府", 2023), ("淮安市人民政府", 2024),
                    ("淮安市人民政府办公室", 2022), ("淮安市发展和改革委员会", 2024)]


def test_province_filter_and_url_argument(filled, tmp_path):
    paths = export_reports(filled.url, tmp_path, province="江苏")
    assert [p.name for p in paths] == ["reports_32.csv"]
    assert not (tmp_path / "reports_31.csv").exists()
    assert export_reports(filled, tmp_path / "x", province="32")[0].name == "reports_32.csv"
    empty = export_reports(filled, tmp_path / "y", province="西藏")
    assert [p.name for p in empty] == ["reports_54.csv"] and len(read_csv(empty[0])) == 1
    with pytest.raises(ValueError):
        export_reports(filled, tmp_path / "z", province="亚特兰蒂斯")


def test_empty_database_writes_nothing(store, tmp_path):
    assert export_reports(store, tmp_path) == []


@pytest.mark.parametrize("name, code", [
    ("江苏", "32"), ("江苏省", "32"), (" 江苏省 ", "32"), ("宁夏回族自治区", "64"), ("宁夏", "64"),
    ("内蒙古自治区", "15"), ("广西壮族自治区", "45"), ("新疆维吾尔自治区", "65"), ("西藏自治区", "54"),
    ("北京市", "11"), ("重庆", "50"), ("黑龙江省", "23"), ("香港特别行政区", "81"), ("香港", "81"),
    ("澳门", "82"), ("台湾省", "71"), ("陕西", "61"), ("山西", "14"), ("江苏省淮安市", "32"),
    ("320000", "32"), ("32", "32"), ("火星", None), ("", None), (None, None), ("99", None),
])
def test_province_codes(name, code):
    assert province_code(name) == code


def test_province_table_complete():
    assert len(PROVINCES) == 34
    assert {c for c in PROVINCES} >= {"11", "65", "71", "81", "82"}
    for code, (full, short) in PROVINCES.items():
        assert province_code(full) == code and province_code(short) == code
