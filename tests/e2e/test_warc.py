"""Web-archive evidence of a crawl of the simulated world (spiders/warcmw.py, harvester/evidence/warc.py):

1. the world as it was on 2025-03-01 is crawled; then crawled again with nothing changed (the nightly);
2. a report is taken down and a verifying run marks it withdrawn.

The WARC files pass `warcio check` and `warcio index`; every request the portals logged has its response or
revisit record; the nightly writes revisits (for its 304s and unchanged answers) and no response; the raw-bytes
archive holds no file of its own (the WARC records are the one store of bytes) and `harvester reparse` works
from them; every report names its evidence and the withdrawn one says when it vanished.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import OUTSIDE, start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli

EARLIER = dt.date(2025, 3, 1)
WARCIO = str(Path(sys.executable).with_name("warcio"))


def warc_records(paths) -> list[dict]:
    """Every record of the files, read back with warcio: type, URI, HTTP status/method, profile, ids."""
    from warcio.archiveiterator import ArchiveIterator
    out = []
    for path in paths:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                h = rec.rec_headers
                out.append({"file": Path(path).name, "type": rec.rec_type, "uri": h.get_header("WARC-Target-URI"),
                            "id": h.get_header("WARC-Record-ID"), "profile": h.get_header("WARC-Profile"),
                            "refers_to": h.get_header("WARC-Refers-To"),
                            "status": int(rec.http_headers.get_statuscode()) if rec.http_headers and
                            rec.rec_type in ("response", "revisit") else None,
                            "method": rec.http_headers.protocol if rec.rec_type == "request" else None,
                            "version": rec.rec_headers.protocol, "info": rec.content_stream().read()
                            if rec.rec_type == "warcinfo" else None})
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warc")
    db = f"sqlite:///{tmp / 'harvester.db'}"
    archive = tmp / "archive"
    running = start_world(build_world(as_of=EARLIER), port=0)
    out = {"running": running, "db": db, "archive": archive, "warc": archive / "warc", "tmp": tmp}
    try:
        registry = write_registry(running, tmp / "sites.csv")
        out["registry"] = registry
        mark = 0

        def night(name, *extra):
            nonlocal mark
            before = set((archive / "warc").glob("*.warc.gz"))
            result = run_cli("crawl", "--sites", registry, "--db", db, *extra,
                             env={"HARVESTER_ARCHIVE": str(archive), "HARVESTER_WARC_MAX_BYTES": str(1024 * 1024)})
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
            out[name] = {"log": running.request_log[mark:],
                         "files": sorted(set((archive / "warc").glob("*.warc.gz")) - before),
                         "run": query(db, "SELECT MAX(id) FROM crawl_runs")[0][0]}
            mark = len(running.request_log)

        night("first")
        night("nightly")
        # a report seen at one URL only (a report with a second copy elsewhere is seen again there: not gone)
        single = {u for (u,) in query(db, "SELECT MIN(url) FROM report_urls GROUP BY report_id HAVING COUNT(*) = 1")}
        gone = next(e for e in running.world.reports if e.site_id == "huaian" and e.doc_type == "html"
                    and running.url("huaian", e.page_url) in single)
        running.withdraw("huaian", gone.page_url)
        out["gone"] = gone
        night("verify", "--verify")
        yield out
    finally:
        running.stop()


def test_warcs_pass_warcio_check_and_index(crawled):
    files = sorted(crawled["warc"].glob("*.warc.gz"))
    assert len(crawled["first"]["files"]) >= 2, "the first night's WARCs rotate at 1 MB"
    check = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri,http:status", *map(str, files)],
                           capture_output=True, text=True)
    assert index.returncode == 0, index.stderr[-2000:]
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    records = warc_records(files)
    assert len(lines) == len(records)
    assert {r["version"] for r in records} == {"WARC/1.1"}
    # every file opens with its warcinfo: software, run, robots policy
    for f in files:
        first = next(r for r in records if r["file"] == f.name)
        assert first["type"] == "warcinfo"
        assert b"software: harvester/" in first["info"] and b"robots: obey" in first["info"]
        assert b"isPartOf: harvester crawl run " in first["info"]
    # and the CDXJ index of each file is there, kept current per run
    for f in files:
        idx = crawled["warc"] / "indexes" / (f.name.removesuffix(".warc.gz") + ".cdxj")
        assert idx.is_file() and idx.stat().st_size > 0, idx


def _log_url(r) -> str:
    return f"{r.scheme}://{r.listener}{r.path}"


def test_every_logged_request_has_its_response_or_revisit(crawled):
    records = warc_records(sorted(crawled["warc"].glob("*.warc.gz")))
    answered = Counter((r["uri"], r["status"]) for r in records if r["type"] in ("response", "revisit"))
    requests = Counter(r["uri"] for r in records if r["type"] == "request")
    log = [r for night in ("first", "nightly", "verify") for r in crawled[night]["log"] if r.site_id != OUTSIDE]
    assert len(log) > 300
    assert all(r.user_agent.startswith("harvester/") for r in log)   # the browser's exchanges too
    wanted = Counter((_log_url(r), r.status) for r in log)
    missing = {k: n - answered[k] for k, n in wanted.items() if answered[k] < n}
    assert not missing, sorted(missing.items())[:20]
    assert all(requests[u] >= n for (u, _), n in wanted.items())
    # and nothing the portals did not answer: every response/revisit is of a logged request
    extra = {k: n - wanted[k] for k, n in answered.items() if n > wanted[k]}
    assert not extra, sorted(extra.items())[:20]
    # the rendered page's DOM is kept, referring to the page's HTTP response
    conv = [r for r in records if r["type"] == "conversion"]
    assert conv and all(r["refers_to"] for r in conv)
    ids = {r["id"] for r in records}
    assert all(r["refers_to"] in ids for r in conv)


def test_nightly_writes_revisits_for_its_304s_and_nothing_else(crawled):
    night = crawled["nightly"]
    records = warc_records(night["files"])
    kinds = Counter(r["type"] for r in records)
    assert set(kinds) == {"warcinfo", "request", "revisit"}, kinds
    not_modified = [r for r in night["log"] if r.status == 304]
    assert len(not_modified) >= 20      # the nightly walk stops at the first page of known items (issue 16)
    revisits = Counter((r["uri"], r["status"]) for r in records
                       if r["type"] == "revisit" and r["profile"].endswith("/server-not-modified"))
    assert revisits == Counter((_log_url(r), 304) for r in not_modified)
    # each 304 names the capture it confirms, written on the first night
    first_ids = {r["id"] for r in warc_records(crawled["first"]["files"])}
    assert all(r["refers_to"] in first_ids for r in records if r["type"] == "revisit")
    # the answers without validators (robots.txt, list APIs) were the same bytes: identical-payload revisits
    same = [r for r in records if r["type"] == "revisit" and r["profile"].endswith("/identical-payload-digest")]
    assert len(same) == len(night["log"]) - len(not_modified)


def test_the_archive_is_a_view_of_the_warc_records_and_reparse_reads_them(crawled):
    db, archive = crawled["db"], crawled["archive"]
    own = [p for p in archive.rglob("*") if p.is_file() and crawled["warc"] not in p.parents]
    assert own == [], own[:5]                        # one store of bytes: the WARC records
    paths = {p for (p,) in query(db, "SELECT storage_path FROM documents WHERE sha256 IS NOT NULL")}
    assert paths and all(p.startswith("warc:") for p in paths)
    before = query(db, "SELECT report_id, cell_id, value FROM cells ORDER BY 1, 2")
    result = run_cli("reparse", "--db", db, env={"HARVESTER_ARCHIVE": str(archive)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    run = query(db, "SELECT MAX(id) FROM crawl_runs")[0][0]
    assert query(db, "SELECT COUNT(*) FROM crawl_events WHERE run_id = :r AND kind = 'archive_missing'", r=run) \
        == [(0,)]
    assert query(db, "SELECT report_id, cell_id, value FROM cells ORDER BY 1, 2") == before
    reports = query(db, "SELECT COUNT(*) FROM reports")[0][0]
    assert f"re-parsed {reports} reports" in result.stdout


def test_every_report_names_its_evidence_and_the_withdrawn_one_when_it_vanished(crawled):
    db, gone = crawled["db"], crawled["gone"]
    rows = query(db, "SELECT e.report_id, e.page_record_id, e.page_captured_at, e.document_record_id, "
                     "e.document_captured_at, e.withdrawn_at, e.withdrawn_record_id, a.norm_name, r.year "
                     "FROM report_evidence e JOIN reports r ON r.id = e.report_id "
                     "JOIN agencies a ON a.id = r.agency_id")
    assert len(rows) == query(db, "SELECT COUNT(*) FROM reports")[0][0]
    assert all(r[1] and r[2] and r[3] and r[4] for r in rows), [r for r in rows if not (r[1] and r[3])][:5]
    ids = {r["id"] for r in warc_records(sorted(crawled["warc"].glob("*.warc.gz")))}
    assert all(r[1] in ids and r[3] in ids for r in rows)
    (w,) = [r for r in rows if (r[7], r[8]) == (normalize_name(gone.agency), gone.year)]
    assert w[5] is not None and w[6] in ids          # withdrawn, with the capture of its 404
    assert [r for r in rows if r[5] is not None] == [w]


def test_query_of_report_evidence_as_the_readme_shows(crawled):
    """README, Evidence: `harvester query "SELECT * FROM report_evidence"` on the crawled database."""
    db, gone = crawled["db"], crawled["gone"]
    result = run_cli("query", "--db", db, "--csv", "SELECT * FROM report_evidence")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert len(rows) == query(db, "SELECT COUNT(*) FROM reports")[0][0] > 100
    records = {r["id"]: r for r in warc_records(sorted(crawled["warc"].glob("*.warc.gz")))}
    for r in rows:
        assert records[r["page_record_id"]]["uri"] == r["page_url"], r
        assert records[r["document_record_id"]]["uri"] == r["document_url"], r
        assert r["page_captured_at"] and r["document_captured_at"] and r["document_warc_file"].endswith(".warc.gz")
    (w,) = [r for r in rows if r["withdrawn_at"]]
    assert w["page_url"] == crawled["running"].url("huaian", gone.page_url)
    assert records[w["withdrawn_record_id"]]["status"] in (404, 410)


def test_the_withdrawn_report_s_export_row_says_when_it_vanished(crawled, tmp_path):
    db, gone = crawled["db"], crawled["gone"]
    result = run_cli("export", "--db", db, "--out", tmp_path, env={"HARVESTER_ARCHIVE": str(crawled["archive"])})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = [r for f in sorted(tmp_path.glob("reports_*.csv"))
            for r in csv.DictReader(open(f, encoding="utf-8-sig"))]
    assert len(rows) == query(db, "SELECT COUNT(*) FROM reports")[0][0]
    (w,) = [r for r in rows if r["withdrawn_at"]]
    assert (normalize_name(w["agency"]), int(w["year"])) == (normalize_name(gone.agency), gone.year)
    assert "404" in w["withdrawn_reason"] and w["withdrawn_warc_record_id"].startswith("<urn:uuid:")
    assert w["page_warc_record_id"] and w["document_warc_record_id"]
    assert w["withdrawn_at"] >= w["page_captured_at"]
    # every report and every cell names the WARC record its numbers came from
    assert all(r["document_warc_record_id"].startswith("<urn:uuid:") and r["document_captured_at"] for r in rows)
    cells = [c for f in sorted(tmp_path.glob("cells_*.csv")) for c in csv.DictReader(open(f, encoding="utf-8-sig"))]
    assert cells and all(c["document_warc_record_id"] for c in cells if c["document_sha256"])
    # each cell names its page and document as its report does, and the record it cites is of its document URL
    # and holds its bytes (not the same bytes captured at another URL first)
    records = {r["id"]: r for r in warc_records(sorted(crawled["warc"].glob("*.warc.gz")))}
    by_id = {r["report_id"]: r for r in rows}
    held = {rec: sha for rec, sha in query(db, "SELECT record_id, body_sha256 FROM warc_captures")}
    for c in cells:
        r = by_id[c["report_id"]]
        assert (c["url"], c["page_warc_record_id"], c["page_captured_at"]) == (
            r["url"], r["page_warc_record_id"], r["page_captured_at"])
        assert c["document_url"] == r["document_url"] and records[c["document_warc_record_id"]]["uri"] == r["document_url"]
        assert held[c["document_warc_record_id"]] == c["document_sha256"]
        if c["document_sha256"] == r["document_sha256"]:
            assert (c["document_warc_record_id"], c["document_captured_at"], c["document_warc_file"]) == (
                r["document_warc_record_id"], r["document_captured_at"], r["document_warc_file"])


# ---- replay: pywb (its own virtualenv) and real Chromium -------------------------------------------------

@pytest.fixture(scope="module")
def wayback(crawled):
    import os

    from harvester.evidence import replay
    try:
        replay.wayback_binary()
    except replay.ReplayError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must replay: {exc}")
        pytest.skip(str(exc))
    proc, base = replay.start(crawled["warc"], crawled["tmp"] / "replay",
                              log=open(crawled["tmp"] / "wayback.log", "wb"))
    try:
        yield base
    finally:
        replay.stop(proc)


def test_every_report_page_replays_in_chromium_with_its_attachments(crawled, wayback):
    import hashlib

    from playwright.sync_api import sync_playwright

    from harvester import settings
    from harvester.evidence.replay import replay_url

    db = crawled["db"]
    rows = query(db, "SELECT e.report_id, e.page_url, e.page_captured_at, e.document_url, e.document_captured_at, "
                     "e.document_sha256, r.title, e.withdrawn_at FROM report_evidence e "
                     "JOIN reports r ON r.id = e.report_id ORDER BY e.report_id")
    assert len(rows) > 100
    attachments = withdrawn = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=settings.HARVESTER_CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            for rid, page_url, page_at, doc_url, doc_at, doc_sha, title, gone_at in rows:
                url = replay_url(wayback, page_url, page_at)
                resp = page.goto(url, wait_until="load")
                assert resp is not None and resp.status == 200, (rid, url, resp and resp.status)
                assert title in page.inner_text("body") or title in page.title(), (rid, url)
                withdrawn += gone_at is not None
                if doc_url == page_url:
                    continue
                # the attachment link of the archived page, as pywb rewrote it, answers with the document's bytes
                hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
                link = next((h for h in hrefs if h.endswith(doc_url.split("//", 1)[1])), None)
                assert link is not None, (rid, doc_url, hrefs[:10])
                raw = re.sub(r"/harvester/(\d+)[a-z_]*/", r"/harvester/\1id_/", link, count=1)   # the bytes as captured
                body = page.request.get(raw).body()
                assert hashlib.sha256(body).hexdigest() == doc_sha, (rid, raw)
                attachments += 1
        finally:
            browser.close()
    assert attachments > 50 and withdrawn == 1


def test_a_wacz_of_one_province_reads_back(crawled, tmp_path):
    import zipfile

    from harvester.research.wacz import read_back

    db = crawled["db"]
    out = tmp_path / "js.wacz"
    result = run_cli("export", "--db", db, "--wacz", out, "--province", "江苏",
                     env={"HARVESTER_ARCHIVE": str(crawled["archive"])})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    back = read_back(out)                                          # wacz validate + its index
    mine = query(db, "SELECT r.page_url, r.document_url FROM reports r JOIN agencies a ON a.id = r.agency_id "
                     "WHERE a.province LIKE '江苏%'")
    others = query(db, "SELECT r.page_url FROM reports r JOIN agencies a ON a.id = r.agency_id "
                       "WHERE a.province NOT LIKE '江苏%'")
    assert mine and others
    assert {u for row in mine for u in row} <= back["urls"]
    assert not {u for (u,) in others} & back["urls"]              # one province, not the collection
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        assert len(pages) == len(mine) and {p["url"] for p in pages} == {p for p, _ in mine}
        warcs = [n for n in z.namelist() if n.endswith(".warc.gz")]
        (tmp_path / "x.warc.gz").write_bytes(z.read(warcs[0]))
    check = subprocess.run([WARCIO, "check", str(tmp_path / "x.warc.gz")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_a_wacz_of_one_agency_is_that_agency_only(crawled, tmp_path):
    """`--agency` names one agency exactly: 平潭综合实验区 is not also the seven agencies whose names start with it;
    the start of one agency's name is that agency; the start of several is an error listing them."""
    from harvester.research.wacz import read_back

    db, env = crawled["db"], {"HARVESTER_ARCHIVE": str(crawled["archive"])}

    def urls(name):
        return {u for row in query(db, "SELECT r.page_url, r.document_url FROM reports r JOIN agencies a "
                                       "ON a.id = r.agency_id WHERE a.name = :n", n=name) for u in row if u}

    zone, bureau = "平潭综合实验区", "平潭综合实验区经济发展局"
    others = {n for (n,) in query(db, "SELECT name FROM agencies WHERE name LIKE :p AND name != :n",
                                  p=zone + "%", n=zone)}
    assert len(others) >= 5 and bureau in others and urls(zone)
    out = tmp_path / "zone.wacz"
    result = run_cli("export", "--db", db, "--wacz", out, "--agency", zone, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (n,) = query(db, "SELECT COUNT(*) FROM reports r JOIN agencies a ON a.id = r.agency_id WHERE a.name = :n", n=zone)[0]
    assert f": {n} reports," in result.stdout
    back = read_back(out)
    assert urls(zone) <= back["urls"]
    assert not set().union(*(urls(n) for n in others)) & back["urls"]           # not the agencies named after it
    out = tmp_path / "bureau.wacz"
    result = run_cli("export", "--db", db, "--wacz", out, "--agency", "平潭综合实验区经济", env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert urls(bureau) <= read_back(out)["urls"] and not urls(zone) & read_back(out)["urls"]
    result = run_cli("export", "--db", db, "--wacz", tmp_path / "many.wacz", "--agency", "平潭", env=env)
    assert result.returncode == 1 and not (tmp_path / "many.wacz").exists()
    assert f"{len(others) + 1} agencies" in result.stderr and all(n in result.stderr for n in others | {zone})


def test_warc_index_rebuilds_every_index(crawled):
    idx = sorted((crawled["warc"] / "indexes").glob("*.cdxj"))
    before = {p.name: p.read_bytes() for p in idx}
    for p in idx:
        p.unlink()
    result = run_cli("warc-index", "--db", crawled["db"], env={"HARVESTER_ARCHIVE": str(crawled["archive"])})
    assert result.returncode == 0, result.stderr[-2000:]
    n = len(list(crawled["warc"].glob("*.warc.gz")))
    assert f"{n} WARC files" in result.stdout and f"{n} indexed now" in result.stdout
    after = {p.name: p.read_bytes() for p in sorted((crawled["warc"] / "indexes").glob("*.cdxj"))}
    assert after == before                            # the crawl's own indexes, the same byte for byte
