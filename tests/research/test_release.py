"""One identity everywhere, report pages in Chromium, CSV for Excel, charts and `harvester publish` —
on the demo database (the real `harvester demo`: simulated portals crawled by the real spider)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from harvester.evidence.warc import read_archived

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, cwd=ROOT, timeout=600, env=None, check=True) -> subprocess.CompletedProcess:
    e = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8", **(env or {})}
    e.pop("HARVESTER_DB", None)
    proc = subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-3000:]
    return proc


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200, url
        return r.read()


def get_json(url: str):
    return json.loads(get(url).decode("utf-8"))


def read_csv(path_or_bytes) -> list[dict]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


class Server:
    """A command serving HTTP on a free loopback port, in its own process group."""

    def __init__(self, argv: list[str], log: Path, ready_path: str = "/-/versions.json", cwd=ROOT):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.proc = subprocess.Popen([*argv, "--port", str(self.port)], cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.flush()
                self.stop()
                pytest.fail("server did not start: " + log.read_text()[-3000:])
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo database: `harvester demo` (simulated portals, real crawl) into a temporary folder."""
    tmp = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{tmp / 'harvester.db'}"
    run("demo", "--db", url, "--out", tmp / "exports", "--port", free_port(), "--registry", tmp / "sites.csv")
    return tmp, url


@pytest.fixture(scope="module")
def browse(demo):
    tmp, url = demo
    server = Server([sys.executable, "-m", "harvester.cli", "browse", "--db", url, "--work-dir", tmp / "browse"],
                    tmp / "browse.log")
    try:
        yield server.base
    finally:
        server.stop()


def ids_of(rows, key="report_id") -> dict[int, tuple[str, str, str]]:
    out = {}
    for r in rows:
        rid = r[key]
        if rid in (None, ""):
            continue
        out[int(rid)] = (str(r["agency_id"]), str(r["division_code"] or ""), str(r["site_id"] or ""))
    return out


def test_one_report_has_the_same_ids_everywhere(demo, browse, tmp_path):
    from harvester.research.identity import IDENTITY_SQL
    from harvester.research import open_db

    _, url = demo
    # export: the wide, long and checks files
    run("export", "--db", url, "--out", tmp_path / "exports")
    export = {}
    for p in sorted((tmp_path / "exports").glob("reports_*.csv")):
        export.update(ids_of(read_csv(p)))
    assert len(export) == 155
    for pattern in ("cells_*.csv", "checks_*.csv"):
        for p in (tmp_path / "exports").glob(pattern):
            for rid, ids in ids_of(read_csv(p)).items():
                assert export[rid] == ids, (p.name, rid)
    # every id is filled, and agency_id is the stable one: <division_code>-<name>
    assert all(a and d and s and a.startswith(d + "-") for a, d, s in export.values())
    # query (SQL on the database as it is)
    out = run("query", "--db", url, "--csv", IDENTITY_SQL).stdout.decode("utf-8")
    query = ids_of(csv.DictReader(io.StringIO(out)))
    assert query == export
    # open_db()
    with open_db(url) as db:
        assert ids_of(db.reports(cells=False).to_dict("records")) == export
        for rid, ids in ids_of(db.cells().to_dict("records")).items():
            assert export[rid] == ids
        for rid, ids in ids_of(db.checks().to_dict("records")).items():
            assert export[rid] == ids
        agencies = {a["agency_id"]: (a["division_code"], a["site_id"]) for a in db.agencies().to_dict("records")}
    assert {a for a, _, _ in export.values()} <= set(agencies)
    # coverage.csv
    run("coverage", "--db", url, "--out", tmp_path / "coverage")
    coverage = read_csv(tmp_path / "coverage" / "coverage.csv")
    assert ids_of(coverage) == export
    assert all(r["agency_id"] in agencies and r["division_code"] == agencies[r["agency_id"]][0]
               for r in coverage)
    # browse, over real HTTP: the reports table, each report's own page (addressed by report id),
    # the cells, checks and coverage tables
    rows = get_json(f"{browse}/research/reports.json?_shape=array&_size=max&_col=agency_id&_col=division_code"
                    "&_col=site_id")
    assert ids_of(rows) == export
    for rid in sorted(export)[:: 15]:
        row = get_json(f"{browse}/research/reports/{rid}.json?_shape=array")
        assert ids_of(row) == {rid: export[rid]}
        cells = get_json(f"{browse}/research/cells.json?_shape=array&report_id={rid}&_size=5")
        assert cells and ids_of(cells) == {rid: export[rid]}
    browse_checks = get_json(f"{browse}/research/checks.json?_shape=array&status=FAIL")
    assert browse_checks and all(export[int(c["report_id"])] == ids_of([c])[int(c["report_id"])]
                                 for c in browse_checks)
    browse_cov = get_json(f"{browse}/research/coverage.json?_shape=array&_size=max&report_id__notblank=1")
    assert ids_of(browse_cov) == export


def test_browse_csv_opens_in_excel_with_integers(demo, browse):
    data = get(f"{browse}/research/reports.csv?_size=max&_col=agency&_col=apply.new.total&_col=derived.disclosure_rate")
    rows = read_csv(data)                                         # starts with the BOM
    assert len(rows) == 155 and any("市" in r["agency"] for r in rows)
    values = [r["apply.new.total"] for r in rows if r["apply.new.total"]]
    assert values and all(v.lstrip("-").isdigit() for v in values)   # 1615, never 1615.0
    rates = [float(r["derived.disclosure_rate"]) for r in rows if r["derived.disclosure_rate"]]
    assert rates and all(0 <= x <= 1 for x in rates)
    cells = read_csv(get(f"{browse}/research/cells.csv?cell_id=apply.new.total&_size=max"))
    assert cells and all(c["value"].isdigit() for c in cells if c["value"])
    assert {c["dictionary_unit"] for c in cells} == {"件"}
    # and the database's own cells table (migration 0011: NUMERIC on SQLite)
    own = read_csv(get(f"{browse}/harvester/cells.csv?cell_id=apply.new.total&_size=max"))
    assert own and all(c["value"].lstrip("-").isdigit() for c in own if c["value"]), own[:3]
    # the JSON of the same page is untouched (no BOM)
    assert get(f"{browse}/research/reports.json?_size=1").startswith(b"{")


def test_report_page_in_chromium(demo, browse):
    from playwright.sync_api import sync_playwright

    from harvester import settings

    tmp, url = demo
    db = sqlite3.connect(tmp / "harvester.db")
    rid, check_id, detail = db.execute("SELECT report_id, check_id, detail FROM checks WHERE status = 'FAIL' "
                                       "ORDER BY report_id, check_id").fetchone()
    agency, year, page_url, document_url, sha = db.execute(
        "SELECT a.name, r.year, r.page_url, r.document_url, r.document_sha256 FROM reports r "
        "JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", (rid,)).fetchone()
    value = db.execute("SELECT value FROM cells WHERE report_id = ? AND cell_id = 'apply.new.total'", (rid,)).fetchone()[0]
    n_cells = db.execute("SELECT count(*) FROM cells WHERE report_id = ?", (rid,)).fetchone()[0]
    db.close()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=settings.HARVESTER_CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{browse}/research/reports/{rid}")
            assert page.locator("h1").inner_text() == f"{agency} {year}"
            assert page.locator("dd.hv-report-id").inner_text() == str(rid)
            # the cells, labelled in Chinese and English, the unit next to the value
            rows = page.locator("table.hv-cells tbody tr")
            assert rows.count() == n_cells
            row = page.locator('table.hv-cells tbody tr[data-cell-id="apply.new.total"]')
            assert row.locator("td.hv-zh").inner_text().startswith("一、本年新收政府信息公开申请数量")
            assert "new requests this year" in row.locator("td.hv-en").inner_text()
            assert row.locator("td.hv-value").inner_text() == str(int(value))
            assert row.locator("td.hv-unit").inner_text() == "件"
            # the failed check with what it verifies and its arithmetic, linking to the checks table
            check = page.locator("table.hv-checks tbody tr", has_text=check_id).first
            assert check.locator("td.hv-explanation").inner_text().strip()
            assert check.locator("td.hv-detail").inner_text() == detail
            # links to the page, the document and the archived copy — whose bytes are the document's
            assert page.locator("a.hv-page").get_attribute("href") == page_url
            assert page.locator("a.hv-document").get_attribute("href") == document_url
            archived = page.locator("a.hv-archive").get_attribute("href")
            assert hashlib.sha256(get(browse + archived)).hexdigest() == sha
            # the derived figures, marked as such
            assert page.locator("table.hv-derived tbody tr", has_text="derived.denied.total").count() == 1
            # cells and checks link back to their report
            page.goto(f"{browse}/research/cells?report_id={rid}&cell_id=apply.new.total")
            page.locator("td.col-report_id a").first.click()
            page.wait_for_load_state()
            assert page.url.endswith(f"/research/reports/{rid}") and page.locator("dd.hv-report-id").inner_text() == str(rid)
            page.goto(f"{browse}/research/checks?report_id={rid}&status=FAIL")
            page.locator("td.col-report_id a").first.click()
            page.wait_for_load_state()
            assert page.url.endswith(f"/research/reports/{rid}")
            # the dashboards (datasette-dashboards) draw their charts
            page.goto(f"{browse}/-/dashboards/research")
            page.wait_for_selector("#card-trend svg, #card-trend canvas", timeout=30000)
            assert page.locator("#card-coverage svg, #card-coverage canvas").count() >= 1
        finally:
            browser.close()


def test_chart_draws_png_and_svg_with_chinese_labels(demo, tmp_path):
    from PIL import Image

    _, url = demo
    out = tmp_path / "charts"
    run("chart", "--db", url, "--out", out, "--province", "Jiangsu")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["coverage_32.png", "coverage_32.svg", "trend_apply.new.total_32.png",
                            "trend_apply.new.total_32.svg", "ranking_apply.new.total_32_2024.png",
                            "ranking_apply.new.total_32_2024.svg"]), names
    for p in out.glob("*.png"):
        with Image.open(p) as im:
            assert im.format == "PNG" and im.width > 300 and im.height > 200
    trend = (out / "trend_apply.new.total_32.svg").read_text("utf-8")
    assert "江苏省" in trend and "本年新收政府信息公开申请数量" in trend
    assert "淮安市人民政府" in (out / "ranking_apply.new.total_32_2024.svg").read_text("utf-8")
    # the same province in every spelling draws the same chart
    for spelling in ("江苏", "江苏省", "32"):
        other = tmp_path / spelling
        run("chart", "--db", url, "--out", other, "--province", spelling, "--kind", "trend", "--format", "svg")
        assert (other / "trend_apply.new.total_32.svg").read_text("utf-8") == trend
    bad = run("chart", "--db", url, "--figure", "no.such.cell", "--out", tmp_path / "x", check=False)
    assert bad.returncode == 1 and b"unknown figure" in bad.stderr and b"Traceback" not in bad.stderr


def test_publish_on_the_demo_database(demo, tmp_path):
    tmp, url = demo
    out = tmp_path / "release"
    run("publish", out, "--db", url, "--version", "1.0", "--as-of", "2025-06-30")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for name in ("README.md", "LICENSE", "CITATION.cff", "datapackage.json", "SHA256SUMS", "metadata.json",
                 "harvester.sqlite", "data/reports.csv", "data/cells.csv", "data/checks.csv", "data/coverage.csv",
                 "data/data_dictionary.csv", "data/reports_32.csv", "data/reports_35.csv", "parquet/reports.parquet",
                 "parquet/cells.parquet", "charts/coverage.png", "charts/trend_apply.new.total.svg"):
        assert name in files, name
    # the checksums
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    listed = sorted(line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines())
    assert listed == [f for f in files if f != "SHA256SUMS"]
    # Frictionless accepts the data package (schemas, types, primary and foreign keys)
    fl = subprocess.run([str(BIN / "frictionless"), "validate", "--json", "datapackage.json"], cwd=out,
                        capture_output=True, text=True, timeout=600)
    report = json.loads(fl.stdout)
    assert fl.returncode == 0 and report["valid"] is True, fl.stdout[-3000:]
    assert len(report["tasks"]) == len(json.loads((out / "datapackage.json").read_text())["resources"]) >= 10
    # no local path in any file (text or binary)
    local = [str(tmp_path).encode(), str(tmp).encode(), str(ROOT).encode(), os.path.expanduser("~").encode() + b"/"]
    for f in files:
        data = (out / f).read_bytes()
        assert not [p for p in local if p in data], f
    # every report row carries its provenance, matching the database and the archive
    reports = read_csv(out / "data" / "reports.csv")
    assert len(reports) == 155
    db = sqlite3.connect(tmp / "harvester.db")
    for r in reports[:: 10]:
        page, doc, sha, status = db.execute("SELECT page_url, document_url, document_sha256, parse_status FROM "
                                            "reports WHERE id = ?", (int(r["report_id"]),)).fetchone()
        assert (r["url"], r["document_url"], r["document_sha256"], r["parse_status"]) == (page, doc, sha, status)
        assert r["fetched_at"] and r["report_state"] == "current"
        data = read_archived(tmp / "archive", r["archive_path"])    # a WARC record or a file of the archive
        assert hashlib.sha256(data).hexdigest() == sha
    db.close()
    assert sum(len(read_csv(p)) for p in (out / "data").glob("reports_*.csv")) == 155
    # README: coverage and key figures; CITATION.cff names the version
    readme = (out / "README.md").read_text("utf-8")
    assert "## Coverage" in readme and "155 reports" in readme and "derived.disclosure_rate" in readme
    assert "version: \"1.0\"" in (out / "CITATION.cff").read_text("utf-8")
    # datasette serves the SQLite file with its metadata
    server = Server([str(BIN / "datasette"), "serve", "-i", "harvester.sqlite", "-m", "metadata.json"],
                    tmp_path / "datasette.log", cwd=out)
    try:
        meta = get_json(server.base + "/-/metadata.json")
        assert meta["license"].startswith("CC-BY-4.0") and meta["title"].startswith("政府信息公开工作年度报告数据集")
        assert "件" in meta["databases"]["harvester"]["tables"]["reports"]["columns"]["apply.new.total"]
        html = get(server.base + "/harvester/reports").decode("utf-8")
        assert "CC-BY-4.0" in html and "One row per report" in html
        rows = get_json(server.base + "/harvester/reports.json?_shape=array&_size=max&_col=agency_id")
        assert len(rows) == 155
        rid = int(reports[0]["report_id"])
        assert get_json(f"{server.base}/harvester/reports/{rid}.json?_shape=array")[0]["agency_id"] == \
            reports[0]["agency_id"]
    finally:
        server.stop()
    # a second publish into the same folder is refused in one line
    again = run("publish", out, "--db", url, check=False)
    assert again.returncode == 1 and b"not an empty folder" in again.stderr and b"Traceback" not in again.stderr
