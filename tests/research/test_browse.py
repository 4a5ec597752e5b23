"""harvester browse: Datasette over a real database, driven in headless Chromium; PostgreSQL snapshot."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from harvester.research.browse import describe_cell, prepare
from harvester.research import data_dictionary

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def served(research_db, tmp_path):
    """`harvester browse` as a subprocess on a free loopback port; yields (base URL, world)."""
    world = research_db
    port = free_port()
    log = (tmp_path / "browse.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "harvester.cli", "browse", "--db", world.url,
                             "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("browse did not start: " + (tmp_path / "browse.log").read_text()[-2000:])
            time.sleep(0.3)
        yield base, world
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browse_in_chromium(served):
    from playwright.sync_api import sync_playwright

    from harvester import settings

    base, world = served
    db_file = Path(world.url.removeprefix("sqlite:///"))
    before = sha256(db_file)
    fujian = sorted((r["agency"], r["year"]) for r in world.reports if r["province"] == "福建省")
    cell_id = "apply.new.natural_person"
    description = describe_cell(next(d for d in data_dictionary() if d["cell_id"] == cell_id))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=settings.HARVESTER_CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/research/reports")
            rows = page.locator("table.rows-and-columns tbody tr")
            assert rows.count() == len(world.reports)
            # the preconfigured facets
            for facet in ("province", "year", "parse_status"):
                assert page.locator(f'.facet-info[data-column="{facet}"]').is_visible(), facet
            # a column description from the data dictionary
            dl = page.locator("dl.column-descriptions")
            box = dl.bounding_box()
            assert box and box["height"] < 400                  # a compact box, the rows stay in view
            dd = dl.locator("dd", has_text=description).first
            dd.scroll_into_view_if_needed()
            assert dd.is_visible() and dl.locator("dt", has_text=cell_id).first.is_visible()
            assert page.locator(f'th[data-column="{cell_id}"]').get_attribute("data-column-description") == description
            # apply the province facet: click 福建省
            page.locator('.facet-info[data-column="province"] a', has_text="福建省").click()
            page.wait_for_load_state()
            assert "province=" in page.url
            rows = page.locator("table.rows-and-columns tbody tr")
            assert rows.count() == len(fujian)
            shown = sorted(zip(rows.locator("td.col-agency").all_inner_texts(),
                               [int(t) for t in rows.locator("td.col-year").all_inner_texts()]))
            assert shown == fujian
            # then a filter on parse_status through the URL, as the filter form builds it
            page.goto(base + "/research/reports?province=" + quote("福建省") + "&parse_status__not=parsed")
            rows = page.locator("table.rows-and-columns tbody tr")
            unparsed = [r for r in world.reports if r["province"] == "福建省" and r["parse_status"] != "parsed"]
            assert rows.count() == len(unparsed) == 1
            assert rows.locator("td.col-agency").inner_text() == unparsed[0]["agency"]
            # the labelled cells: filter one cell id, values as stored
            page.goto(base + f"/research/cells?cell_id={cell_id}&_sort=report_id")
            rows = page.locator("table.rows-and-columns tbody tr")
            expected = sorted((r["report_id"], r["cells"][cell_id]) for r in world.reports if cell_id in r["cells"])
            values = [float(v) for v in rows.locator("td.col-value").all_inner_texts()]
            # report_id is a link to the report's page, addressed by its id
            hrefs = rows.locator("td.col-report_id a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            assert all(h.startswith("/research/reports/") for h in hrefs)
            ids = [int(h.rsplit("/", 1)[1]) for h in hrefs]
            assert list(zip(ids, values)) == expected
            # a cell links to its document, at its page for a PDF
            pdf = next(r for r in world.reports if r["agency"] == "淮安市人民政府" and r["year"] == 2024)
            page.goto(base + f"/research/cells?report_id={pdf['report_id']}&cell_id=apply.new.total")
            link = page.locator("table.rows-and-columns tbody tr td.col-document_link a")
            assert link.get_attribute("href") == "http://127.0.0.1/js/huaian.pdf#page=4"
            assert page.locator("td.col-src_reader").inner_text() == "text_runs"
            blank = next(r for r in world.reports if r.get("imputed"))
            page.goto(base + f"/research/cells?report_id={blank['report_id']}&imputed=1")
            rows = page.locator("table.rows-and-columns tbody tr")
            assert rows.count() == min(len(blank["imputed"]), 50)          # a page of the imputed cells
            assert set(rows.locator("td.col-src_reader").all_inner_texts()) == {"imputed"}
            assert set(rows.locator("td.col-document_link a").evaluate_all("els => els.map(e => e.href)")) == {
                "http://127.0.0.1/js/sihong.html"}
            # the database itself is served too, with its reports table
            page.goto(base + f"/{db_file.stem}/reports")
            assert page.locator("table.rows-and-columns tbody tr").count() == len(world.reports)
        finally:
            browser.close()
    assert sha256(db_file) == before                      # opened read-only: not a byte changed


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_is_served_from_a_sqlite_snapshot(research_db, tmp_path):
    plan = prepare(research_db.url, tmp_path / "work")
    assert plan.immutable and plan.database.suffix == ".db"
    with sqlite3.connect(plan.database) as snap:
        assert snap.execute("SELECT count(*) FROM reports").fetchone()[0] == len(research_db.reports)
        assert snap.execute("SELECT count(*) FROM cells").fetchone()[0] == sum(len(r["cells"]) for r in research_db.reports)
        failed = snap.execute("SELECT report_id, check_id FROM checks WHERE status = 'FAIL' ORDER BY 1, 2").fetchall()
    assert failed == sorted((r["report_id"], c) for r in research_db.reports for c in r["failed"])
    with sqlite3.connect(plan.companion) as comp:
        rows = comp.execute("SELECT report_id, province, failed_checks FROM reports ORDER BY report_id").fetchall()
    assert rows == sorted((r["report_id"], r["province"], ";".join(r["failed"])) for r in research_db.reports)
    args = plan.datasette_args("127.0.0.1", 8001)
    assert args[args.index(str(plan.database)) - 1] == "-i"      # the snapshot is served immutable


def test_browse_refuses_a_missing_file(tmp_path):
    from click.testing import CliRunner

    from harvester.cli import main

    missing = tmp_path / "none.db"
    result = CliRunner().invoke(main, ["browse", "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2 and "no database at" in result.output      # bad --db: exit 2 (issue 20)
    assert not missing.exists()
