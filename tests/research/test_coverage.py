"""harvester coverage: statuses from what was inserted, CSV, and the heat map as Chromium shows it."""
from __future__ import annotations

import csv
import datetime as dt
import io
import struct

import pytest
from click.testing import CliRunner

from harvester.research import coverage as cov
from harvester.cli import main

AS_OF = dt.date(2025, 2, 15)     # department deadline for 2024 passed (31 Jan), government one not (31 Mar)


def expected_statuses(world, as_of, since=None):
    """(agency, year) → status, derived from the inserted reports and the rules of the 条例."""
    last_due = max(y for y in range(1990, as_of.year + 1) if dt.date(y + 1, 1, 31) < as_of)
    by_agency = {}
    for r in world.reports:
        by_agency.setdefault(r["agency"], {})[r["year"]] = r
    out = {}
    for agency, years in by_agency.items():
        gov = agency.endswith(("人民政府", "管理委员会"))
        for year in range(since or min(years), max([last_due, *years]) + 1):
            r = years.get(year)
            if r is None:
                due = dt.date(year + 1, 3 if gov else 1, 31)
                out[agency, year] = "missing" if as_of > due else "not_due"
            elif r["parse_status"] in ("parsed", "partial"):
                out[agency, year] = "failed_checks" if r["failed"] else "parsed"
            else:
                out[agency, year] = "unparsed"
    return out


def test_statuses(research_db):
    from harvester.research import open_db

    with open_db(research_db.url) as db:
        entries = cov.compute(db, as_of=AS_OF)
        assert {(e.agency, e.year): e.status for e in entries} == expected_statuses(research_db, AS_OF)
        since = cov.compute(db, as_of=AS_OF, since=2020)
        assert {(e.agency, e.year): e.status for e in since} == expected_statuses(research_db, AS_OF, 2020)
    statuses = {e.status for e in entries}
    assert statuses == set(cov.STATUSES)        # the world shows every status
    imputed = {(r["agency"], r["year"]): len(r["imputed"]) for r in research_db.reports if r.get("imputed")}
    assert {(e.agency, e.year): e.imputed_cells for e in entries if e.imputed_cells} == imputed
    assert cov.imputed_reports(entries) == len(imputed) == 1


def test_deadlines():
    assert cov.agency_kind("淮安市财政局") == "department"
    assert cov.agency_kind("淮安市洪泽区人民政府") == "government"
    assert cov.agency_kind("平潭综合实验区管理委员会") == "government"
    assert cov.agency_kind("南京市玄武区梅园新村街道办事处") == "government"
    assert cov.agency_kind("上海市人民政府办公厅") == "department"
    assert cov.latest_due_year(dt.date(2025, 1, 31)) == 2023
    assert cov.latest_due_year(dt.date(2025, 2, 1)) == 2024


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_writes_csv_and_html(research_db, tmp_path):
    out = tmp_path / "out"
    args = ["coverage", "--db", research_db.url, "--as-of", AS_OF.isoformat(), "--out", str(out)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    raw = (out / "coverage.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {(r["agency"], int(r["year"])): r["status"] for r in rows} == expected_statuses(research_db, AS_OF)
    assert list(rows[0]) == list(cov.CSV_COLUMNS)
    assert sum(1 for r in rows if r["imputed_cells"] not in ("", "0")) == 1
    assert "reports with imputed cells: 1" in result.output
    page = (out / "coverage.html").read_text(encoding="utf-8")
    assert '<span id="imputed">reports with imputed cells: 1</span>' in page and "imputed cells: " in page
    again = CliRunner().invoke(main, args, catch_exceptions=False)
    assert again.exit_code == 0 and (out / "coverage.csv").read_bytes() == raw      # deterministic
    for province in ("浙江", "xx"):
        bad = CliRunner().invoke(main, [*args, "--province", province])
        assert bad.exit_code == 2 and "江苏省" in bad.output and "福建省" in bad.output


def test_empty_database_says_crawl_first(tmp_path):
    from harvester.db import Store

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url, archive_root=tmp_path / "a").close()
    for command in (["coverage", "--out", str(tmp_path / "o")], ["browse", "--work-dir", str(tmp_path / "w"), "--no-serve"]):
        result = CliRunner().invoke(main, [command[0], "--db", url, *command[1:]])
        assert result.exit_code == 1 and "no reports yet" in result.output and "harvester crawl" in result.output


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_heat_map_in_chromium(research_db, tmp_path):
    from playwright.sync_api import sync_playwright

    from harvester import settings
    from harvester.research import open_db

    with open_db(research_db.url) as db:
        entries = cov.compute(db, as_of=AS_OF)
    page_path = cov.write_html(entries, tmp_path / "coverage.html", as_of=AS_OF)
    expected = expected_statuses(research_db, AS_OF)
    shot = tmp_path / "coverage.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=settings.HARVESTER_CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            assert all(u.startswith("file:") for u in requests)       # self-contained: nothing fetched
            for province in ("江苏省", "福建省"):
                assert page.get_by_role("heading", name=province).is_visible()
            legend = page.locator("#legend")
            for label in cov.STATUS_LABELS.values():
                assert legend.get_by_text(label).is_visible()
            # one visible, coloured cell per expected agency-year
            for status in cov.STATUSES:
                cells = page.locator(f"table.heat td.s-{status}")
                n = sum(1 for s in expected.values() if s == status)
                assert cells.count() == n, status
                for i in range(n):
                    box = cells.nth(i).bounding_box()
                    assert box and box["width"] >= 20 and box["height"] >= 15
                colour = cells.first.evaluate("e => getComputedStyle(e).backgroundColor")
                r, g, b = (int(cov.STATUS_COLOURS[status][k:k + 2], 16) for k in (1, 3, 5))
                assert colour == f"rgb({r}, {g}, {b})"
            # summary counts as shown
            total_row = page.locator("#summary tbody tr").last
            shown = [int(t) for t in total_row.locator("th").all_inner_texts()[1:]]
            assert shown == [sum(1 for s in expected.values() if s == st) for st in cov.STATUSES] + [len(expected)]
            # the tooltip of the failed-checks cell names the agency, year and the failed checks
            broken = next(r for r in research_db.reports if r["failed"])
            cell = page.locator(f'tr:has(th.agency[title="{broken["agency"]}"]) td[data-year="{broken["year"]}"]')
            cell.hover()
            tip = page.locator("#tip")
            assert tip.is_visible()
            text = tip.inner_text()
            assert broken["agency"] in text and str(broken["year"]) in text and broken["failed"][0] in text
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    width, height = _png_size(data)
    assert width >= 1000 and height >= 400 and len(data) > 20_000
