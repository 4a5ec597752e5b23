"""The command line as a user meets it: help, parse --json on real documents, scrapy from the root."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_command_has_help_with_examples():
    top = run("harvester.cli", "--help")
    assert top.returncode == 0
    for command in ("crawl", "export", "parse", "reparse", "demo"):
        assert command in top.stdout
        sub = run("harvester.cli", command, "--help")
        assert sub.returncode == 0 and "Example" in sub.stdout, command


def test_parse_json_prints_one_object_per_file():
    files = [CORPUS / "real" / "huaian-2024-淮安市人民政府.pdf", CORPUS / "seeds" / "004_12af315242a02ca5.txt"]
    result = run("harvester.cli", "parse", "--json", *map(str, files))
    assert result.returncode == 0, result.stderr[-2000:]
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objs) == 2
    for obj, name in zip(objs, ("huaian-2024", "seed-004")):
        expected = json.loads((CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        assert {"agency", "year", "report_format", "cells", "checks", "failed_checks"} <= set(obj)
        assert obj["year"] == expected["year"] and obj["report_format"] == expected["format"]
        assert obj["failed_checks"] == expected["failed_checks"]
        assert {k: obj["cells"][k] for k in expected["cells"]} == expected["cells"]
        assert all({"id", "status", "cells"} <= set(c) for c in obj["checks"])


def test_parse_prints_imputed_cells_provenance_and_failed_arithmetic():
    case = Path(__file__).parent / "report" / "cases" / "blank-row-nonzero-totals.html"
    obj = json.loads(run("harvester.cli", "parse", "--json", str(case)).stdout)
    expected = json.loads(case.with_suffix(".json").read_text(encoding="utf-8"))
    assert sorted(obj["imputed"]) == expected["imputed_cells"]
    assert obj["provenance"]["appeal.review.total"] == {"reader": "grid", "table": 3, "row": 4, "col": 5}
    assert obj["provenance"]["apply.carried_over.natural_person"]["reader"] == "imputed"
    text = run("harvester.cli", "parse", str(case)).stdout
    assert f"imputed={len(expected['imputed_cells'])} failed_checks=t3.results.natural_person," in text
    assert "    FAIL t4.sum.review: 总计 = 维持+纠正+其他+尚未审结: 3 ≠ blank + blank + blank + blank" in text


def test_parse_reports_a_broken_file_without_crashing(tmp_path):
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj\n<<" + b"\x00" * 50)
    result = run("harvester.cli", "parse", str(bad))
    assert result.returncode == 0
    assert "status=corrupt" in result.stdout


def test_scrapy_works_from_the_root():
    result = run("scrapy", "list")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["reports"]
