"""harvester.research: DataFrames from the database (SQLite and PostgreSQL), read-only."""
from __future__ import annotations

import math

import pytest

import harvester.research as hr
from harvester.report.schema import all_cell_ids


def test_reports_wide_has_one_row_per_report_and_the_stored_values(research_db):
    with hr.open_db(research_db.url) as db:
        wide = db.reports()
    assert len(wide) == len(research_db.reports)
    assert list(wide.columns[:len(hr.REPORT_COLUMNS)]) == list(hr.REPORT_COLUMNS)
    assert set(all_cell_ids()) <= set(wide.columns)
    by_id = wide.set_index("report_id")
    for rep in research_db.reports:
        row = by_id.loc[rep["report_id"]]
        assert row["agency"] == rep["agency"] and row["year"] == rep["year"] and row["province"] == rep["province"]
        assert row["failed_checks"] == ";".join(rep["failed"])
        for cell_id in all_cell_ids():
            stored = rep["cells"].get(cell_id)
            if stored is None:
                assert math.isnan(row[cell_id]), cell_id
            else:
                assert row[cell_id] == stored, cell_id
    # sorted by province, agency, year
    keys = list(zip(wide["province"], wide["agency"], wide["year"]))
    assert keys == sorted(keys)


def test_reports_carry_their_evidence_from_the_report_evidence_view(research_db, research_evidence):
    """The WARC evidence of each report (the report_evidence view), as the export's reports file has it."""
    import pandas as pd

    from harvester.research.export import EVIDENCE_COLUMNS

    assert set(EVIDENCE_COLUMNS) <= set(hr.REPORT_COLUMNS)
    frame = hr.reports(research_db.url, cells=False).set_index("report_id")
    pages = documents = 0
    for rid, ev in research_evidence.items():
        row = frame.loc[rid]
        for col, key in (("page_warc_record_id", "page_record_id"), ("document_warc_record_id", "document_record_id"),
                         ("document_warc_file", "document_warc_file")):
            assert row[col] == ev[key] if ev.get(key) else pd.isna(row[col]), (rid, col, row[col])
        for col, key in (("page_captured_at", "page_record_id"), ("document_captured_at", "document_record_id")):
            if ev.get(key):
                assert row[col] == pd.Timestamp(ev[col]), (rid, col)
            else:
                assert pd.isna(row[col]), (rid, col)
        assert pd.isna(row["withdrawn_warc_record_id"])
        pages += bool(ev.get("page_record_id"))
        documents += bool(ev.get("document_record_id"))
    assert pages >= 8 and documents >= 2
    assert str(frame["page_captured_at"].dtype).startswith("datetime64") and "UTC" in str(frame["page_captured_at"].dtype)


def test_filters_by_province_and_year(research_db):
    fujian = [r for r in research_db.reports if r["province"] == "福建省"]
    for spelling in ("福建省", "福建", "35"):
        frame = hr.reports(research_db.url, province=spelling, cells=False)
        assert sorted(frame["report_id"]) == sorted(r["report_id"] for r in fujian)
    years = {2022, 2023}
    frame = hr.reports(research_db.url, year=sorted(years), cells=False)
    assert sorted(frame["report_id"]) == sorted(r["report_id"] for r in research_db.reports if r["year"] in years)
    frame = hr.reports(research_db.url, province="江苏", year=2023, cells=False)
    assert sorted(frame["report_id"]) == sorted(r["report_id"] for r in research_db.reports
                                                if r["province"] == "江苏省" and r["year"] == 2023)


def test_cells_long_with_labels(research_db):
    cell_id = "apply.new.total"
    frame = hr.cells(research_db.url, cell_id=cell_id)
    expected = {r["report_id"]: r["cells"][cell_id] for r in research_db.reports if cell_id in r["cells"]}
    assert dict(zip(frame["report_id"], frame["value"])) == expected
    labels = {d["cell_id"]: d for d in hr.data_dictionary()}[cell_id]
    assert set(frame["row_label"]) == {labels["row_label"]} and set(frame["label_en"]) == {labels["label_en"]}
    everything = hr.cells(research_db.url, province="福建")
    assert len(everything) == sum(len(r["cells"]) for r in research_db.reports if r["province"] == "福建省")


def test_imputed_cells_can_be_filtered_out(research_db):
    with_imputed = [r for r in research_db.reports if r.get("imputed")]
    assert len(with_imputed) == 1 and len(with_imputed[0]["imputed"]) > 50
    rep = with_imputed[0]
    with hr.open_db(research_db.url) as db:
        listed = db.report_list().set_index("report_id")
        assert {i: v for i, v in listed["imputed_cells"].items() if v} == {rep["report_id"]: ";".join(
            c for c in all_cell_ids() if c in rep["imputed"])}
        wide = db.reports(imputed=False).set_index("report_id")
        full = db.reports().set_index("report_id")
        for cid in rep["imputed"]:
            assert full.loc[rep["report_id"], cid] == 0 and math.isnan(wide.loc[rep["report_id"], cid])
        kept = [c for c in all_cell_ids() if c in rep["cells"] and c not in rep["imputed"] and rep["cells"][c] is not None]
        assert all(wide.loc[rep["report_id"], c] == rep["cells"][c] for c in kept)
        cells = db.cells()
        some = db.cells(imputed=False)
    assert len(cells) - len(some) == len(rep["imputed"]) and not some["imputed"].any()
    mine = cells[cells["report_id"] == rep["report_id"]].set_index("cell_id")
    assert set(mine.index[mine["imputed"]]) == set(rep["imputed"])
    assert set(mine.loc[rep["imputed"], "src_reader"]) == {"imputed"}
    read = mine[mine["value"].notna() & ~mine["imputed"]]
    assert set(read["src_reader"]) == {"grid"} and read["src_table"].notna().all() and read["src_col"].notna().all()
    assert set(mine["document_url"]) == {"http://127.0.0.1/js/sihong.html"}
    assert mine["document_sha256"].str.len().eq(64).all()


def test_checks(research_db):
    failed = hr.checks(research_db.url, status="fail")
    expected = sorted((r["report_id"], c) for r in research_db.reports for c in r["failed"])
    assert sorted(zip(failed["report_id"], failed["check_id"])) == expected
    assert expected, "the world has a report with failed checks"


def test_unknown_province_names_the_known_ones(research_db):
    with pytest.raises(hr.UnknownProvince) as info:
        hr.reports(research_db.url, province="浙江")
    message = str(info.value)
    assert "浙江" in message and "江苏省" in message and "福建省" in message


def test_read_only(research_db):
    with hr.open_db(research_db.url) as db:
        with pytest.raises(hr.QueryError):
            db.sql("DELETE FROM cells")
        assert db.sql("SELECT count(*) AS n FROM cells")["n"][0] == sum(len(r["cells"]) for r in research_db.reports)


def test_missing_file_is_not_created(tmp_path):
    path = tmp_path / "none.db"
    with pytest.raises(hr.QueryError, match="no such database file"):
        hr.open_db(f"sqlite:///{path}")
    assert not path.exists()


def test_dictionary_labels_every_cell_id():
    d = hr.dictionary()
    assert set(all_cell_ids()) <= set(d["cell_id"])
    assert d["row_label"].map(bool).all() and d["label_en"].map(bool).all()
    assert not d["cell_id"].duplicated().any()
