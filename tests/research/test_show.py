"""harvester show: a stored report (by id, or agency and year) or a local file, every cell with where it
was read, and the checks that did not pass with their arithmetic."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.cli import main
from harvester.report import parse_file
from harvester.report.show import render

CASES = Path(__file__).resolve().parents[1] / "report" / "cases"
PINGTAN_2019 = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real" / "pingtan" / "2019-平潭综合实验区.txt"


def run(*args):
    return CliRunner().invoke(main, ["show", *args], catch_exceptions=False)


def cell_line(output: str, cid: str) -> list[str]:
    line = next(ln for ln in output.splitlines() if ln.strip().startswith(cid + " "))
    return line.split()


def test_show_by_id_and_by_agency_and_year(research_db):
    pdf = next(r for r in research_db.reports if r["agency"] == "淮安市人民政府" and r["year"] == 2024)
    by_id = run("--db", research_db.url, str(pdf["report_id"]))
    assert by_id.exit_code == 0, by_id.output
    assert by_id.output.splitlines()[0] == f"淮安市人民政府 2024 · gov2021 · parsed · report {pdf['report_id']}"
    assert "document: http://127.0.0.1/js/huaian.pdf" in by_id.output
    assert cell_line(by_id.output, "apply.new.total") == ["apply.new.total", "3119", "3119", "text_runs",
                                                        "p.4", "line", "31", "#7"]
    assert "↳ 一、本年新收政府信息公开申请数量 | 3001 | 53 | 0 | 0 | 61 | 4 | 3119" in by_id.output
    by_name = run("--db", research_db.url, "淮安市人民政府", "2024")
    assert by_name.exit_code == 0 and by_name.output == by_id.output
    missing = CliRunner().invoke(main, ["show", "--db", research_db.url, "淮安市人民政府", "2019"])
    assert missing.exit_code == 1 and "no report of 淮安市人民政府 for 2019; it has reports for 2024" in missing.output
    unknown = CliRunner().invoke(main, ["show", "--db", research_db.url, "99999"])
    assert unknown.exit_code == 1 and "no report 99999" in unknown.output


def test_show_imputed_cells_and_failed_checks(research_db):
    blank = next(r for r in research_db.reports if r.get("imputed"))
    out = run("--db", research_db.url, str(blank["report_id"]), "--cells", "appeal.*").output
    assert cell_line(out, "appeal.lit_direct.pending") == ["appeal.lit_direct.pending", "0", "(blank)", "imputed",
                                                          "table", "3", "row", "4", "col", "9", "blank,imputed"]
    assert cell_line(out, "appeal.review.corrected") == ["appeal.review.corrected", "·", "(blank)", "grid",
                                                        "table", "3", "row", "4", "col", "2", "blank"]
    assert "↳ printed blank (grid); block lit_direct is blank or 0 throughout and no hard check on it fails or misses a cell" in out
    assert not re.search(r"^\s+apply\.", out, re.M)                     # only the cells asked for
    broken = next(r for r in research_db.reports if r["failed"] and r["parsed"] is not None)
    out = run("--db", research_db.url, str(broken["report_id"])).output
    for check in broken["failed"]:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(f"FAIL {check}:"))
        assert "≠" in line and "apply." in line


def test_show_a_file_and_json():
    path = CASES / "blank-row-nonzero-totals.html"
    out = run(str(path), "--cells", "apply.denied.third_party.*").output
    assert f"document: {path}" in out and "sha256 " in out
    assert cell_line(out, "apply.denied.third_party.natural_person")[1:4] == ["·", "(blank)", "grid"]
    assert "FAIL t3.results.natural_person: (七)总计 = Σ (一)…(六): 6 ≠ 3 + 1 + blank×19 (6 ≠ 4)" in out
    j = json.loads(run(str(path), "--json").output)
    assert j["provenance"]["apply.denied.third_party.natural_person"] == {"reader": "grid", "table": 2, "row": 11, "col": 4}
    assert len(j["imputed"]) == 19 and j["document_sha256"] and j["failed_checks"]


def test_render_keeps_the_readings_of_glued_digits():
    text = render(parse_file(PINGTAN_2019), cells="active.licensing.*")
    assert "↳ …量本年增/减处理决定数量行政许可3960181" in text
    assert re.search(r"↳ 11 readings: 3\|9\|60181; .*; … 6 more", text)
    assert cell_line(text, "active.licensing.decisions") == ["active.licensing.decisions", "·", "glued", "line", "10",
                                                           "glued_ambiguous"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_show_agency_in_two_divisions_asks_for_the_id(research_db):
    from harvester.db import Store

    with Store(research_db.url) as store:
        store.upsert_sites([{"site_id": "s-zj", "name": "杭州", "province": "浙江省", "city": "杭州市"}])
        store.upsert_report(site_id="s-zj", agency="淮安市人民政府", year=2024)
    out = CliRunner().invoke(main, ["show", "--db", research_db.url, "淮安市人民政府", "2024"])
    assert out.exit_code == 1 and "2 agencies named 淮安市人民政府 have a 2024 report" in out.output
    assert "江苏省 淮安市" in out.output and "浙江省 杭州市" in out.output


def test_no_empty_leaves_out_the_cells_never_read():
    pdf = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real" / "hongze-2023-淮安市洪泽区人民政府.pdf"
    everything = run(str(pdf), "--cells", "apply.other*").output
    read = run(str(pdf), "--cells", "apply.other*", "--no-empty").output
    # a 2023 report whose table 三 has the single 2019 （六） row: the 2021 sub-rows were never printed
    assert cell_line(everything, "apply.other.no_correction.total")[1:] == ["·", "not_printed"]
    assert "apply.other.no_correction.total" not in read
    assert cell_line(read, "apply.other.total")[3:6] == ["text_runs", "p.4", "line"]   # （六）其他处理 is on page 4
