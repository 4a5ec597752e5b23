"""Bad input end to end: an unreachable site, a 404 column, a truncated PDF — each recorded with a
clear reason while the crawl goes on; the exit code is non-zero only when nothing could be crawled."""
from __future__ import annotations

import csv
import socket

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli


def closed_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens there


def add_site(registry, site_id, url):
    with open(registry, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow([site_id, "无人应答县", "江苏省", "淮安市", "无人县", url, ""])


def test_faults_are_recorded_and_the_crawl_goes_on(tmp_path):
    world = build_world()
    world.site("pingtan").faults.add("down")
    world.site("huaian").faults.add("column_404")
    world.site("hongze").faults.add("broken_pdf")
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        add_site(registry, "nohost", f"http://127.0.0.250:{closed_port('127.0.0.250')}/")
        db = f"sqlite:///{tmp_path / 'h.db'}"
        result = run_cli("crawl", "--sites", registry, "--db", db)
        broken_path = world.site("hongze").fault_targets["broken_pdf"]
        expected = running.expected_reports()
    finally:
        running.stop()

    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = {sid: (o, reason) for sid, o, reason in query(db, "SELECT site_id, outcome, reason FROM site_outcomes")}
    assert outcomes["hongze"][0] == "ok"
    assert outcomes["pingtan"] == ("unreachable", "start page: connection refused")
    assert outcomes["nohost"][0] == "unreachable"
    assert outcomes["huaian"][0] == "no_report_column" and "404" in outcomes["huaian"][1]
    for sid, (outcome, reason) in outcomes.items():      # printed for the person running it
        assert outcome in result.stdout and reason[:30] in result.stdout

    # the truncated PDF: archived as received, its report stored with the reason, an event recorded
    (target,) = [e for e in expected if e.document_url.endswith(broken_path)]
    rows = query(db, "SELECT r.parse_status, r.parse_detail, r.document_url FROM reports r JOIN agencies a "
                     "ON a.id = r.agency_id WHERE r.year = :y", y=target.year)
    stored = {normalize_name(n): row for n, row in zip(
        [n for (n,) in query(db, "SELECT a.name FROM reports r JOIN agencies a ON a.id = r.agency_id "
                                 "WHERE r.year = :y", y=target.year)], rows)}
    status, detail, document_url = stored[normalize_name(target.agency)]
    assert document_url == target.document_url
    assert status == "corrupt" and detail
    (size, sha), = query(db, "SELECT size, sha256 FROM documents WHERE url = :u", u=target.document_url)
    assert sha and 0 < size
    kinds = {k for (k,) in query(db, "SELECT kind FROM crawl_events WHERE url = :u", u=target.document_url)}
    assert "corrupt" in kinds

    # the other sites' reports are all there
    hongze = [e for e in expected if e.site_id == "hongze"]
    (n,) = query(db, "SELECT COUNT(*) FROM reports WHERE site_id = 'hongze'")[0]
    assert n == len(hongze)


def test_nothing_crawlable_exits_non_zero(tmp_path):
    registry = tmp_path / "sites.csv"
    registry.write_text("site_id,name,province,city,county,start_url,platform\n", encoding="utf-8")
    add_site(registry, "a", f"http://127.0.0.251:{closed_port('127.0.0.251')}/")
    add_site(registry, "b", f"http://127.0.0.252:{closed_port('127.0.0.252')}/zfxxgk/")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    result = run_cli("crawl", "--sites", registry, "--db", db)
    assert result.returncode == 1
    assert {o for (o,) in query(db, "SELECT outcome FROM site_outcomes")} == {"unreachable"}
    (status, counts), = query(db, "SELECT status, counts FROM crawl_runs")
    assert status == "finished" and "unreachable" in str(counts)


def test_bad_registry_is_a_clear_error(tmp_path):
    registry = tmp_path / "sites.csv"
    registry.write_text("site_id,name,start_url\n1,x,http://a/\n", encoding="utf-8")
    result = run_cli("crawl", "--sites", registry, "--db", f"sqlite:///{tmp_path / 'h.db'}")
    assert result.returncode != 0
    assert "header lacks province, city, county" in result.stderr
