"""Store API on SQLite and PostgreSQL: idempotent upserts, archive, parse results, runs."""
from __future__ import annotations

import importlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from harvester.db import Store
from harvester.db.models import (
    Agency, CellRow, CheckRow, CrawlEvent, Document, Report, ReportSection, ReportUrl, ReportVersion,
    SiteOutcome,
)
from harvester.report.model import Cell, Check, ParsedReport

SITES = [
    {"site_id": "huaian", "name": "淮安市人民政府", "province": "江苏省", "city": "淮安市", "county": "",
     "start_url": "https://www.huaian.gov.cn/", "platform": "trs"},
    {"site_id": "huaian-gk", "name": "淮安市政府信息公开", "province": "江苏省", "city": "淮安市", "county": "",
     "start_url": "https://gk.huaian.gov.cn/", "platform": ""},
    {"site_id": "hongze", "name": "淮安市洪泽区人民政府", "province": "江苏省", "city": "淮安市",
     "county": "洪泽区", "start_url": "https://www.hongze.gov.cn/"},
]

FIELDS = {
    "title": "淮安市人民政府2024年政府信息公开工作年度报告",
    "publish_date": "2025-01-20",
    "index_no": "014000001/2025-00012",
    "publisher": "淮安市人民政府办公室",
    "page_url": "https://www.huaian.gov.cn/col/nb/art_1.html",
}


def count(store: Store, model, *where) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def sites(store):
    store.upsert_sites(SITES)
    return store


def parsed_report(cells: dict, checks=(), sections=None, **kw) -> ParsedReport:
    return ParsedReport(
        year=kw.pop("year", 2024), report_format=kw.pop("report_format", "gov2021"),
        cells={k: v if isinstance(v, Cell) else Cell(v, "" if v is None else str(v)) for k, v in cells.items()},
        checks=list(checks), sections=sections or {"s1_overall": "总体情况"}, **kw)


# ---------------------------------------------------------------- registry

def test_upsert_sites_counts_and_extra(store):
    assert store.upsert_sites(SITES) == {"new": 3, "updated": 0, "unchanged": 0}
    assert store.upsert_sites(SITES) == {"new": 0, "updated": 0, "unchanged": 3}
    changed = [dict(SITES[0], platform="hanweb", note="主站", domains=("a.gov.cn", "b.gov.cn"))]
    assert store.upsert_sites(changed) == {"new": 0, "updated": 1, "unchanged": 0}
    assert store.upsert_sites(changed) == {"new": 0, "updated": 0, "unchanged": 1}
    from harvester.db.models import Site

    with store.engine.connect() as conn:
        row = conn.execute(select(Site.platform, Site.extra, Site.county).where(Site.site_id == "huaian")).one()
    assert (row.platform, row.county) == ("hanweb", "")
    assert row.extra == {"note": "主站", "domains": ["a.gov.cn", "b.gov.cn"]}
    with store.engine.connect() as conn:   # no extra → SQL NULL, not JSON 'null'
        assert conn.execute(select(func.count()).select_from(Site).where(Site.extra.is_(None))).scalar_one() == 2


# ---------------------------------------------------------------- reports

def test_upsert_report_is_idempotent(sites):
    run = sites.start_run("crawl", {})
    rid, status = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                      fields=FIELDS, urls=[(FIELDS["page_url"], "page")], run_id=run)
    assert status == "new"
    before = sites.get_report(rid)
    totals = [count(sites, m) for m in (Report, ReportUrl, Agency, ReportVersion)]

    rid2, status2 = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                        fields=FIELDS, urls=[(FIELDS["page_url"], "page")], run_id=run)
    assert (rid2, status2) == (rid, "unchanged")
    assert [count(sites, m) for m in (Report, ReportUrl, Agency, ReportVersion)] == totals == [1, 1, 1, 0]
    assert sites.get_report(rid) == before            # not even updated_at moved


def test_changed_field_is_updated_and_none_never_erases(sites):
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields=FIELDS)
    created = sites.get_report(rid)
    new_title = FIELDS["title"] + "（更正）"
    rid2, status = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                       fields={**FIELDS, "title": new_title, "index_no": None})
    assert (rid2, status) == (rid, "updated")
    row = sites.get_report(rid)
    assert row["title"] == new_title
    assert row["index_no"] == FIELDS["index_no"]       # None = not known this time
    assert row["updated_at"] >= created["updated_at"]
    assert row["created_at"] == created["created_at"]
    assert count(sites, Report) == 1


def test_second_url_accumulates(sites):
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields=FIELDS,
                                 urls=[(FIELDS["page_url"], "page")])
    other = "https://www.huaian.gov.cn/col/xxgk/art_9.html"
    rid2, status = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields=FIELDS,
                                       urls=[(other, "page"), ("https://www.huaian.gov.cn/a.pdf", "document")])
    assert rid2 == rid and status == "unchanged"
    assert sorted(sites.get_report(rid)["urls"]) == sorted([
        (FIELDS["page_url"], "page"), (other, "page"), ("https://www.huaian.gov.cn/a.pdf", "document")])
    assert count(sites, ReportUrl) == 3


def test_same_agency_on_two_sites_is_one_report(sites):
    rid1, s1 = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields=FIELDS)
    # the same agency as printed on another portal: spaces, U+3000 and full-width forms differ
    rid2, s2 = sites.upsert_report(site_id="huaian-gk", agency=" 淮安市\u3000人民 政府 ", year=2024,
                                   urls=[("https://gk.huaian.gov.cn/nb/2024.html", "page")])
    assert rid1 == rid2 and (s1, s2) == ("new", "unchanged")
    assert count(sites, Report) == 1 and count(sites, Agency) == 1
    assert len(sites.get_report(rid1)["urls"]) == 2
    # another year and another division are other reports
    rid3, _ = sites.upsert_report(site_id="huaian-gk", agency="淮安市人民政府", year=2023)
    rid4, _ = sites.upsert_report(site_id="hongze", agency="淮安市人民政府", year=2024)
    assert len({rid1, rid3, rid4}) == 3
    assert count(sites, Agency) == 2


def test_agency_name_normalisation_nfkc(sites):
    a, _ = sites.upsert_report(site_id="huaian", agency="淮安市（市场监督管理局）", year=2024)
    b, _ = sites.upsert_report(site_id="huaian", agency="淮安市(市场监督管理局)", year=2024)
    assert a == b
    with sites.engine.connect() as conn:
        assert conn.execute(select(Agency.norm_name)).scalar_one() == "淮安市(市场监督管理局)"
        assert conn.execute(select(Agency.name)).scalar_one() == "淮安市（市场监督管理局）"  # as first published


def test_agency_with_explicit_division(sites):
    rid, _ = sites.upsert_report(site_id="huaian", year=2024,
                                 agency={"name": "洪泽区人民政府", "county": "洪泽区", "division_code": "320813"})
    row = sites.get_report(rid)
    assert (row["province"], row["city"], row["county"]) == ("江苏省", "淮安市", "洪泽区")
    with sites.engine.connect() as conn:
        assert conn.execute(select(Agency.division_code)).scalar_one() == "320813"


def test_bad_input_is_rejected_or_recorded(sites):
    with pytest.raises(ValueError):
        sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year="去年")
    with pytest.raises(ValueError):
        sites.upsert_report(site_id="huaian", agency="   ", year=2024)
    with pytest.raises(ValueError):
        sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields={"titel": "x"})
    with pytest.raises(ValueError):
        sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, urls=[("http://x", "pdf")])
    run = sites.start_run("crawl", {})
    rid, status = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, run_id=run,
                                      fields={**FIELDS, "publish_date": "2025-02-30"})
    assert status == "new" and sites.get_report(rid)["publish_date"] is None
    with sites.engine.connect() as conn:
        ev = conn.execute(select(CrawlEvent.kind, CrawlEvent.reason, CrawlEvent.run_id)).one()
    assert ev.kind == "bad_field" and "publish_date" in ev.reason and ev.run_id == run


def test_unknown_site_gets_stub_row(store):
    rid, status = store.upsert_report(site_id="nowhere", agency="某县人民政府", year=2023)
    assert status == "new" and store.summary()["sites"] == 1


def test_concurrent_upserts_make_one_report(db_url, tmp_path):
    stores = [Store(db_url, archive_root=tmp_path / "a") for _ in range(4)]
    stores[0].upsert_sites(SITES)
    results, errors = [], []

    def work(s: Store, n: int):
        try:
            for i in range(10):
                results.append(s.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                               fields=FIELDS, urls=[(f"https://x/{n}/{i}", "page")]))
                s.upsert_report(site_id="huaian", agency=f"局{n}", year=2000 + i)
                s.save_document("https://x/shared.pdf", f"{n}-{i}".encode(), kind="pdf", http_status=200)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len({rid for rid, _ in results}) == 1
        assert [st for _, st in results].count("new") == 1
        assert count(stores[0], Report) == 1 + 4 * 10
        assert count(stores[0], ReportUrl) == 1 + 40
        assert count(stores[0], Document) == 1
    finally:
        for s in stores:
            s.close()


# ---------------------------------------------------------------- documents

def test_documents_archived_by_sha256_and_deduplicated(store):
    data = b"%PDF-1.7 annual report"
    a = store.save_document("https://a.gov.cn/r.pdf", data, kind="pdf", http_status=200,
                            content_type="application/pdf", etag='"v1"', last_modified="Mon, 20 Jan 2025 00:00:00 GMT")
    b = store.save_document("https://b.gov.cn/copy.pdf", data, kind="pdf", http_status=200,
                            content_type="application/pdf", etag=None, last_modified=None)
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    assert a["sha256"] == b["sha256"] == sha and a["changed"] and b["changed"]
    assert a["storage_path"] == f"{sha[:2]}/{sha[2:4]}/{sha}"
    files = [p for p in Path(store.archive.root).rglob("*") if p.is_file()]
    assert files == [store.archive.root / a["storage_path"]]
    assert store.read_document(sha) == data
    assert count(store, Document) == 2

    again = store.save_document("https://a.gov.cn/r.pdf", data, kind="pdf", http_status=200,
                                content_type="application/pdf", etag='"v1"', last_modified=None)
    assert again["changed"] is False and count(store, Document) == 2

    # 304 / error: no bytes; the archived content and validators are kept
    nm = store.save_document("https://a.gov.cn/r.pdf", None, kind="", http_status=304,
                             content_type="", etag="", last_modified="")
    assert nm == {"sha256": sha, "storage_path": a["storage_path"], "size": len(data), "changed": False}
    state = store.document_state("https://a.gov.cn/r.pdf")
    assert state["etag"] == '"v1"' and state["sha256"] == sha and state["http_status"] == 304
    assert state["kind"] == "pdf" and state["fetched_at"].tzinfo is not None
    assert store.document_state("https://nowhere/") is None

    revised = store.save_document("https://a.gov.cn/r.pdf", data + b" v2", kind="pdf", http_status=200,
                                  content_type="application/pdf", etag='"v2"', last_modified=None)
    assert revised["changed"] and revised["sha256"] != sha
    assert store.read_document(sha) == data            # the earlier bytes stay archived

    failed = store.save_document("https://c.gov.cn/x.pdf", None, http_status=404, problem="http_404")
    assert failed["sha256"] is None and store.document_state("https://c.gov.cn/x.pdf")["problem"] == "http_404"


def test_revised_document_keeps_earlier_version(sites):
    url = "https://www.huaian.gov.cn/nb2024.pdf"
    v1 = sites.save_document(url, b"version one", kind="pdf", http_status=200)
    rid, st = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                  fields={**FIELDS, "document_url": url, "document_type": "pdf"})
    assert st == "new" and sites.get_report(rid)["document_sha256"] == v1["sha256"]
    v2 = sites.save_document(url, b"version two", kind="pdf", http_status=200)
    rid2, st2 = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                    fields={**FIELDS, "document_url": url, "document_type": "pdf"})
    assert (rid2, st2) == (rid, "revised")
    assert sites.get_report(rid)["document_sha256"] == v2["sha256"]
    assert sites.get_report(rid)["revised_at"] is not None
    with sites.engine.connect() as conn:
        versions = conn.execute(select(ReportVersion.document_sha256, ReportVersion.reason)).all()
    assert [tuple(v) for v in versions] == [(v1["sha256"], "revised")]


def _copy(store, year, url, cells):
    """A ReportItem of one copy of 淮安市人民政府's report for ``year``: a page with a PDF attachment at
    ``url`` whose parse filled ``cells`` cells (None: the PDF was a scan and did not parse)."""
    from harvester.crawl.items import Fetched, ReportItem

    url = url.replace("/nb/", f"/{year}/")
    body = f"%PDF copy at {url}".encode()
    doc = Fetched(url=url, role="attachment", status=200, body=body, kind="pdf",
                  sha256=store.save_document(url, body, kind="pdf", http_status=200)["sha256"])
    doc.parsed = None if cells is None else parsed_report({f"t3.r{i}.total": i for i in range(cells)}, year=year)
    page = url.rsplit(".", 1)[0] + ".html"
    return ReportItem(site_id="huaian", title=f"淮安市人民政府{year}年政府信息公开工作年度报告", page_url=page,
                      files=[Fetched(url=page, role="page", status=200), doc], chosen=doc, parsed=doc.parsed)


@pytest.mark.parametrize("copies,kept", [
    ([("https://www.huaian.gov.cn/a/nb/1.pdf", None), ("https://www.huaian.gov.cn/b/nb/1.pdf", 5)], 1),
    ([("https://www.huaian.gov.cn/b/nb/1.pdf", 5), ("https://www.huaian.gov.cn/a/nb/1.pdf", 5)], 1),
    ([("https://www.huaian.gov.cn/a/nb/1.pdf", 6), ("https://www.huaian.gov.cn/b/nb/1.pdf", 5)], 0),
    ([("https://www.huaian.gov.cn/b/nb/1.pdf", None), ("https://www.huaian.gov.cn/a/nb/1.pdf", None)], 1),
])
def test_copies_of_a_report_give_one_result_in_either_order(sites, copies, kept):
    """Two copies of one report met in either order (two workers, a resumed crawl) leave the same stored
    report: the better parse, on a tie the smaller document URL; no report_versions row (the other copy
    is not a revision) and both copies' URLs remembered. One order is stored as 2024, the other as 2023."""
    from types import SimpleNamespace

    from harvester.crawl.run import SiteStats
    from pipelines.store import StorePipeline

    stats = SiteStats()
    ctx = SimpleNamespace(store=sites, run_id=None, sites={}, site=lambda _sid: stats, event=lambda *a, **k: None)
    pipeline = type("Pipeline", (StorePipeline,), {"ctx": ctx})()
    for year, order in ((2024, copies), (2023, copies[::-1])):
        for url, cells in order:
            pipeline.process_item(_copy(sites, year, url, cells))
    with sites.engine.connect() as conn:
        stored = conn.execute(select(Report.year, Report.document_url, Report.revised_at)
                              .order_by(Report.year)).all()
        urls = conn.execute(select(ReportUrl.url)).scalars().all()
    kept_url = copies[kept][0]
    assert [tuple(r) for r in stored] == [(y, kept_url.replace("/nb/", f"/{y}/"), None) for y in (2023, 2024)]
    assert count(sites, ReportVersion) == 0 and stats.reports["revised"] == 0
    assert len(urls) == 8


def test_iter_archived_documents(sites):
    url = "https://www.huaian.gov.cn/nb2024.pdf"
    saved = sites.save_document(url, b"%PDF report", kind="pdf", http_status=200, content_type="application/pdf")
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                 fields={**FIELDS, "document_url": url})
    sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2023)   # nothing archived
    docs = list(sites.iter_archived_documents())
    assert len(docs) == 1
    d = docs[0]
    assert (d["report_id"], d["sha256"], d["kind"], d["url"], d["title"]) == (
        rid, saved["sha256"], "pdf", url, FIELDS["title"])
    assert d["meta"]["index_no"] == FIELDS["index_no"] and d["meta"]["year"] == 2024
    assert d["meta"]["publish_date"] == "2025-01-20"
    assert sites.read_document(d["sha256"]) == b"%PDF report"


# ---------------------------------------------------------------- parse results

CASES = Path(__file__).resolve().parents[1] / "report" / "cases"
PDF = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real" / "huaian-2024-淮安市人民政府.pdf"


@pytest.mark.parametrize("doc", [CASES / "blank-rows-gov2021.html", PDF], ids=["html", "pdf"])
def test_cells_keep_imputed_and_provenance(sites, doc):
    """imputed, the document's SHA-256 and every cell's location survive the database (both dialects)."""
    import hashlib

    from harvester.report import parse_bytes

    data = doc.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    parsed = parse_bytes(data)
    assert parsed.document_sha256 is None                  # parse_bytes alone does not hash: the report's is used
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                 fields={**FIELDS, "document_sha256": sha.upper()}, parsed=parsed)
    stored = sites.cells(rid)
    assert set(stored) == set(parsed.cells)
    for cid, cell in parsed.cells.items():
        got = stored[cid]
        assert (got.value, got.raw, got.flags, got.imputed) == (cell.value, cell.raw, cell.flags, cell.imputed), cid
        assert got.provenance() == cell.provenance(), cid
    assert sites.cell_documents(rid) == {sha}
    imputed = [c for c in parsed.cells.values() if c.imputed]
    assert (len(imputed) > 50) == (doc.suffix == ".html")
    with sites.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(CellRow)
                         .where(CellRow.report_id == rid, CellRow.imputed.is_(True))).scalar_one()
        pages = set(conn.execute(select(CellRow.src_page).where(CellRow.report_id == rid,
                                                                CellRow.value.is_not(None))).scalars())
    assert n == len(imputed)
    assert pages == ({None} if doc.suffix == ".html" else {3, 4, 5})


GLUED = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real" / "pingtan" / "2018-平潭综合实验区.txt"


def test_glued_readings_survive_the_database(sites):
    """A glued row read several ways keeps its candidate decodes and the reading chosen, stored and read back."""
    from harvester.report import parse_bytes

    parsed = parse_bytes(GLUED.read_bytes())
    glued = {cid: c for cid, c in parsed.cells.items() if c.source is not None and c.source.candidates}
    assert glued                                    # the corpus text has rows with several decodes
    rid, _ = sites.upsert_report(site_id="huaian", agency="平潭综合实验区管委会", year=2018,
                                 fields=FIELDS, parsed=parsed)
    stored = sites.cells(rid)
    for cid, cell in glued.items():
        got = stored[cid].provenance()
        assert got == cell.provenance(), cid
        assert got["candidates"] and got["readings"], cid


def test_save_parse_replaces_cells(sites):
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024, fields=FIELDS)
    first = parsed_report({"a.total": 12, "b.neg": -18, "c.blank": None, "d.money": Cell(2.5, "2.5万元", "万元", ["glued"])},
                          checks=[Check("t3.balance.total", "FAIL", ["a.total"], "12 ≠ 13"),
                                  Check("domain", "PASS")],
                          sections={"s1_overall": "一", "s2_active": "二"})
    sites.save_parse(rid, first)
    sites.save_parse(rid, first)                         # reparse: no duplicates
    assert count(sites, CellRow) == 4 and count(sites, CheckRow) == 2 and count(sites, ReportSection) == 2
    cells = sites.cells(rid)
    assert cells["a.total"].value == 12 and cells["b.neg"].value == -18 and cells["c.blank"].value is None
    assert cells["d.money"] == Cell(2.5, "2.5万元", "万元", ["glued"])
    row = sites.get_report(rid)
    assert (row["report_format"], row["parse_status"]) == ("gov2021", "parsed")

    second = parsed_report({"a.total": 13, "e.new": 1}, checks=[Check("domain", "FAIL", [], "x")],
                           status="partial", problems=["table 4 missing"], report_format="gov2019")
    sites.save_parse(rid, second)
    assert {k: c.value for k, c in sites.cells(rid).items()} == {"a.total": 13, "e.new": 1}
    assert sites.checks(rid) == [Check("domain", "FAIL", [], "x")]
    row = sites.get_report(rid)
    assert (row["report_format"], row["parse_status"], row["parse_detail"]) == ("gov2019", "partial", "table 4 missing")
    assert count(sites, CellRow) == 2 and count(sites, ReportSection) == 1


def test_save_parse_repeated_check_ids_are_kept(sites):
    rid, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024)
    sites.save_parse(rid, parsed_report({}, checks=[Check("x", "PASS"), Check("x", "FAIL")]))
    assert [(c.id, c.status) for c in sites.checks(rid)] == [("x", "PASS"), ("x#2", "FAIL")]


def test_save_parse_unknown_report(sites):
    with pytest.raises(KeyError):
        sites.save_parse(999999, parsed_report({}))


@pytest.fixture
def carry(monkeypatch):
    """A stand-in for harvester.report.carry_chain_check that records its calls."""
    calls = []
    module = importlib.import_module("harvester.report")

    def fake(parsed, previous_cells):      # same contract as the parser's: previous values by cell id
        calls.append((parsed.year, dict(previous_cells)))
        ok = parsed.cells["open.carried"].value == previous_cells["close.carry"]
        return Check("t3.carry_chain", "PASS" if ok else "FAIL", ["open.carried"], "fake")

    monkeypatch.setattr(module, "carry_chain_check", fake, raising=False)
    return calls


def test_carry_chain_check_against_previous_year(sites, carry):
    r23, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2023)
    r24, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024)
    sites.save_parse(r23, parsed_report({"open.carried": 0, "close.carry": 5}, year=2023))
    assert carry == [] and sites.checks(r23) == []        # no 2022 report
    sites.save_parse(r24, parsed_report({"open.carried": 4, "close.carry": 1},
                                        checks=[Check("t3.carry_chain", "NOT_ASSESSABLE")]))
    assert carry == [(2024, {"open.carried": 0, "close.carry": 5})]
    assert [(c.id, c.status) for c in sites.checks(r24)] == [("t3.carry_chain", "FAIL")]


def test_carry_chain_check_when_previous_year_arrives_later(sites, carry):
    r24, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024)
    sites.save_parse(r24, parsed_report({"open.carried": 5, "close.carry": 1}))
    assert sites.checks(r24) == []
    r23, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2023)
    sites.save_parse(r23, parsed_report({"open.carried": 0, "close.carry": 5}, year=2023))
    assert [(c.id, c.status) for c in sites.checks(r24)] == [("t3.carry_chain", "PASS")]
    assert sites.checks(r23) == []


def test_carry_chain_with_the_parsers_check(sites):
    """The real harvester.report.carry_chain_check on stored cells."""
    from harvester.report.schema import load_schema

    cols = [c["id"] for c in load_schema()["table3"]["columns"]]
    r23, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2023)
    r24, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024)
    r25, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2025)
    forward = {f"apply.carry_forward.{c}": Cell(i + 1, str(i + 1)) for i, c in enumerate(cols)}
    carried_ok = {f"apply.carried_over.{c}": Cell(i + 1, str(i + 1)) for i, c in enumerate(cols)}
    carried_bad = {**carried_ok, f"apply.carried_over.{cols[0]}": Cell(99, "99")}
    sites.save_parse(r23, parsed_report(forward, year=2023))
    sites.save_parse(r24, parsed_report({**carried_ok, **forward}))
    sites.save_parse(r25, parsed_report(carried_bad, year=2025))
    assert {c.id: c.status for c in sites.checks(r24)} == {"t3.carry_chain": "PASS"}
    assert {c.id: c.status for c in sites.checks(r25)} == {"t3.carry_chain": "FAIL"}


# ---------------------------------------------------------------- runs, outcomes, events, summary

def test_runs_outcomes_events_and_summary(sites):
    run = sites.start_run("crawl", {"sites": "data/sites.csv"})
    sites.record_site_outcome(run, "huaian", "ok", "3 reports", requests=12, reports_found=3, reports_new=2)
    sites.record_site_outcome(run, "hongze", "unreachable", "timeout")
    sites.record_site_outcome(run, "hongze", "blocked", "WAF challenge", requests=2)   # replaces
    with pytest.raises(ValueError):
        sites.record_site_outcome(run, "hongze", "fine", "")
    with pytest.raises(ValueError):
        sites.record_site_outcome(run, "hongze", "ok", "", pages=3)
    sites.record_event(run, "hongze", "https://www.hongze.gov.cn/", "blocked", "WAF challenge page")
    sites.record_event(run, "huaian", "https://x/y.pdf", "encrypted", "PDF is encrypted", level="error")
    sites.record_event(run, "huaian", "https://x/", "note", "fine", level="info")
    url = "https://x/y.pdf"
    r1, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2024,
                                fields={"document_type": "pdf", "document_url": url}, run_id=run)
    r2, _ = sites.upsert_report(site_id="huaian", agency="淮安市人民政府", year=2023, run_id=run)
    sites.save_parse(r1, parsed_report({"a": 1}, checks=[Check("t3.balance.x", "FAIL")]))
    sites.finish_run(run, "finished", {"reports_new": 2})

    with sites.engine.connect() as conn:
        outcomes = {r.site_id: (r.outcome, r.requests) for r in conn.execute(
            select(SiteOutcome.site_id, SiteOutcome.outcome, SiteOutcome.requests))}
    assert outcomes == {"huaian": ("ok", 12), "hongze": ("blocked", 2)}

    s = sites.summary(run)
    assert s["sites"] == 3 and s["reports"] == 2 and s["agencies"] == 1
    assert s["reports_by_year"] == {2023: 1, 2024: 1}
    assert s["reports_by_format"] == {"gov2021": 1, "unknown": 1}
    assert s["reports_by_document_type"] == {"pdf": 1, "unknown": 1}
    assert s["parse_status"] == {"parsed": 1, "unknown": 1}
    assert s["problems"] == 2 and s["problems_by_kind"] == {"blocked": 1, "encrypted": 1}
    assert s["problems_last_run"] == {"blocked": 1, "encrypted": 1}
    assert s["failed_checks"] == 1
    assert s["site_outcomes"] == {"blocked": 1, "ok": 1}
    with pytest.raises(KeyError):
        sites.finish_run(run + 100, "finished", {})
