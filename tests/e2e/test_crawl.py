"""End to end: the real spider and pipelines crawl the simulated portals into SQLite, twice.

Checked against the world's ground truth: every report found exactly once under its agency and year,
at its URLs, with the cells it was generated with; nothing of the noise stored; a second run adds
nothing; robots.txt read; no request leaves the registry's hosts; the export has the promised shape.
"""
from __future__ import annotations

import csv
import json
import re
from urllib.parse import urlsplit

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world
from harvester.research.derived import DERIVED_IDS
from harvester.report.schema import all_cell_ids

from crawlhelp import ROOT, query, run_cli, snapshot

CORPUS_EXPECTED = ROOT / "tests" / "fixtures" / "corpus" / "expected"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    running = start_world(build_world(), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        first = run_cli("crawl", "--sites", registry, "--db", db)
        snap1 = snapshot(db)
        requests_first = len(running.request_log)
        second = run_cli("crawl", "--sites", registry, "--db", db)
        snap2 = snapshot(db)
        export = run_cli("export", "--db", db, "--out", tmp / "out")
        expected = running.expected_reports()
        running.stop()                      # reparse works from the archive alone: no site is up
        reparse1 = run_cli("reparse", "--db", db)
        snap3 = snapshot(db)
        reparse2 = run_cli("reparse", "--db", db)
        snap4 = snapshot(db)
        yield {"running": running, "db": db, "tmp": tmp, "first": first, "second": second, "snap1": snap1,
               "snap2": snap2, "export": export, "requests_first": requests_first, "expected": expected,
               "reparse": (reparse1, reparse2), "snap_reparse": (snap3, snap4)}
    finally:
        running.stop()


def stored_reports(db):
    rows = query(db, "SELECT r.id, a.name, r.year, r.page_url, r.document_url, r.parse_status, r.report_format, "
                     "r.document_type FROM reports r JOIN agencies a ON a.id = r.agency_id")
    return {(normalize_name(name), year): dict(id=i, page_url=pu, document_url=du, status=st, format=fm, doc_type=dt)
            for i, name, year, pu, du, st, fm, dt in rows}


def test_crawl_succeeds_and_reports_every_site_ok(crawled):
    first = crawled["first"]
    assert first.returncode == 0, first.stderr[-3000:]
    for site_id in crawled["running"].sites:
        assert f"{site_id} " in first.stdout
    outcomes = query(crawled["db"], "SELECT site_id, outcome FROM site_outcomes WHERE run_id = 1")
    assert {o for _, o in outcomes} == {"ok"}, outcomes
    assert len(outcomes) == len(crawled["running"].sites)


def test_every_expected_report_found_exactly_once(crawled):
    expected = {(normalize_name(e.agency), e.year): e for e in crawled["expected"]}
    assert len(expected) == len(crawled["expected"]), "ground truth has one report per agency and year"
    stored = stored_reports(crawled["db"])
    assert sorted(set(expected) - set(stored)) == []
    assert sorted(set(stored) - set(expected)) == [], "noise or a duplicate was stored as a report"


def test_reports_are_stored_with_every_url_they_were_seen_at(crawled):
    stored = stored_reports(crawled["db"])
    for e in crawled["expected"]:
        rid = stored[(normalize_name(e.agency), e.year)]["id"]
        urls = {u for (u,) in query(crawled["db"], "SELECT url FROM report_urls WHERE report_id = :r", r=rid)}
        assert {e.page_url, e.document_url, *e.also_at} <= urls, (e.agency, e.year)


def test_generated_reports_parse_to_their_cells(crawled):
    stored = stored_reports(crawled["db"])
    problems = []
    for e in crawled["expected"]:
        got = stored[(normalize_name(e.agency), e.year)]
        if e.cells is None:
            continue
        cells = dict(query(crawled["db"], "SELECT cell_id, value FROM cells WHERE report_id = :r", r=got["id"]))
        wrong = sorted(c for c, v in e.cells.items() if cells.get(c) is None or abs(float(cells[c]) - float(v)) > 1e-6)
        if got["status"] != "parsed" or got["format"] != e.format or got["doc_type"] != e.doc_type or wrong:
            problems.append((e.agency, e.year, e.doc_type, got["doc_type"], got["status"], len(wrong), wrong[:3]))
    assert problems == []


def test_corpus_reports_match_their_expected_json(crawled):
    stored = stored_reports(crawled["db"])
    corpus = [e for e in crawled["expected"] if e.expected_json]
    assert corpus, "the world serves real corpus documents too"
    for e in corpus:
        exp = json.loads((CORPUS_EXPECTED / e.expected_json).read_text(encoding="utf-8"))
        rid = stored[(normalize_name(e.agency), e.year)]["id"]
        cells = dict(query(crawled["db"], "SELECT cell_id, value FROM cells WHERE report_id = :r", r=rid))
        uncertain = set(exp.get("uncertain_cells", []))
        wrong = [c for c, v in exp["cells"].items()
                 if not (c in uncertain and cells.get(c) is None)
                 and (cells.get(c) is None if v is not None else cells.get(c) is not None
                      or v is not None and abs(float(cells[c]) - float(v)) > 1e-6)]
        assert wrong == [], (e.expected_json, wrong[:5])
        failed = sorted(c for (c,) in query(crawled["db"], "SELECT check_id FROM checks WHERE report_id = :r "
                                                           "AND status = 'FAIL'", r=rid))
        assert failed == sorted(exp["failed_checks"]), e.expected_json


def test_metadata_of_detail_pages_is_stored(crawled):
    stored = stored_reports(crawled["db"])
    for e in crawled["expected"]:
        if not e.index_no:
            continue
        rid = stored[(normalize_name(e.agency), e.year)]["id"]
        (index_no, publish_date, title), = query(crawled["db"], "SELECT index_no, publish_date, title FROM reports "
                                                              "WHERE id = :r", r=rid)
        assert index_no == e.index_no, (e.agency, e.year)
        if e.publish_date:
            assert str(publish_date) == e.publish_date, (e.agency, e.year)


def test_second_run_adds_nothing(crawled):
    assert crawled["second"].returncode == 0, crawled["second"].stderr[-3000:]
    assert crawled["snap2"] == crawled["snap1"]
    new = query(crawled["db"], "SELECT reports_new FROM site_outcomes WHERE run_id = 2")
    assert sum(n for (n,) in new) == 0


def test_reparse_without_network_is_idempotent(crawled):
    first, second = crawled["reparse"]
    assert first.returncode == 0 and second.returncode == 0, (first.stderr + second.stderr)[-3000:]
    assert f"re-parsed {len(crawled['expected'])} reports" in first.stdout
    after_first, after_second = crawled["snap_reparse"]
    assert after_first == crawled["snap2"], "re-parsing the crawl's own documents changes nothing"
    assert after_second == after_first


def test_polite_and_on_site(crawled):
    running = crawled["running"]
    hosts = {urlsplit(u).netloc for u in running.sites.values()}
    for site_id in running.sites:
        assert running.requests(site_id)["/robots.txt"] >= 1
    assert all(r.user_agent.startswith("harvester/") for r in running.request_log)
    # pages link off-site (中国政府网, other portals): nothing off the registry's hosts was fetched or tried
    seen = {u for (u,) in query(crawled["db"], "SELECT url FROM documents UNION SELECT url FROM report_urls "
                                               "UNION SELECT url FROM crawl_events WHERE url IS NOT NULL")}
    assert seen and {urlsplit(u).netloc for u in seen} <= hosts


def test_export_has_the_promised_shape(crawled):
    assert crawled["export"].returncode == 0, crawled["export"].stderr[-2000:]
    out = crawled["tmp"] / "out"
    files = sorted(p.name for p in out.glob("reports_*.csv"))
    provinces = {s.province for s in crawled["running"].world.sites}
    assert len(files) == len(provinces)
    head = ["province", "city", "county", "agency", "year", "report_format", "title", "publish_date", "index_no",
            "publisher", "url", "document_url", "parse_status", "failed_checks", "imputed_cells",
            "agency_id", "report_id", "province_code", "city_code", "county_code", "division_status",
            "division_code", "site_id", "fetched_at", "document_sha256", "archive_path", "report_state", "revised_at",
            "withdrawn_at", "withdrawn_reason", "parser_warnings",
            # the evidence in the web archive (README, Evidence)
            "page_warc_record_id", "page_captured_at", "document_warc_record_id", "document_captured_at",
            "document_warc_file", "withdrawn_warc_record_id", *DERIVED_IDS]
    total = 0
    for name in files:
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert rows[0] == head + list(all_cell_ids())
        body = [dict(zip(rows[0], r)) for r in rows[1:]]
        # every report row carries its provenance from the crawl
        assert all(r["fetched_at"] and len(r["document_sha256"]) == 64 and (r["archive_path"].endswith(
            r["document_sha256"]) or re.fullmatch(r"warc:[\w.-]+\.warc\.gz#\d+", r["archive_path"])) and r["report_state"] == "current" and r["site_id"] for r in body)
        total += len(rows) - 1
    assert total == len(crawled["expected"])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_same_crawl_into_postgresql(db_url, tmp_path):
    """The shared-database case: the same crawl, twice, into PostgreSQL."""
    running = start_world(build_world(), port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        env = {"HARVESTER_ARCHIVE": str(tmp_path / "archive")}
        first = run_cli("crawl", "--sites", registry, "--db", db_url, env=env)
        snap1 = snapshot(db_url)
        second = run_cli("crawl", "--sites", registry, "--db", db_url, env=env)
        snap2 = snapshot(db_url)
        expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
    finally:
        running.stop()
    assert first.returncode == 0 and second.returncode == 0, (first.stderr + second.stderr)[-3000:]
    assert set(stored_reports(db_url)) == expected
    assert snap2 == snap1
    assert any((tmp_path / "archive").rglob("*")), "raw documents archived where HARVESTER_ARCHIVE says"
