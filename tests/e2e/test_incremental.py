"""Nightly incremental crawls of the simulated world, on SQLite and PostgreSQL:

1. the world as it was on 2025-03-01 is crawled;
2. crawled again with nothing changed: only list pages (conditionally, nearly all 304) are requested, each at
   most once — robots.txt comes from the archive (fetched less than 24 h ago); nothing is parsed or written;
3. the world moves on to today (new reports appear): every new report is found, only new pages fetched;
4. a report's PDF is revised and another report is taken down; a verifying run (--verify) re-parses the
   revised one (the earlier document kept in report_versions) and marks the other withdrawn — no data
   is deleted;
5. one more ordinary run changes nothing.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import urlsplit

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli, snapshot

EARLIER = dt.date(2025, 3, 1)


def parsed_at(db):
    return dict(query(db, "SELECT id, parsed_at FROM reports"))


def stored_keys(db):
    return {(normalize_name(n), y) for n, y in query(db, "SELECT a.name, r.year FROM reports r "
                                                         "JOIN agencies a ON a.id = r.agency_id")}


def expected_keys(running):
    return {(normalize_name(e.agency), e.year) for e in running.expected_reports()}


def roles(running, log):
    """What each logged request asked for, by the world's own resource roles."""
    out = []
    for r in log:
        path = r.path
        if path == "/robots.txt":
            out.append(("robots", r))
            continue
        res = running.world.site(r.site_id).lookup(path.split("?")[0]) or running.world.site(r.site_id).lookup(path)
        out.append((res.role if res is not None else "missing", r))
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def nights(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nightly")
    if request.param == "sqlite":
        db = f"sqlite:///{tmp / 'harvester.db'}"
    else:
        db = request.getfixturevalue("pg_url")
    running = start_world(build_world(as_of=EARLIER), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        out = {"running": running, "db": db, "registry": registry}
        mark = 0

        env = {"HARVESTER_ARCHIVE": str(tmp / "archive")}

        def night(name, *extra):
            nonlocal mark
            result = run_cli("crawl", "--sites", registry, "--db", db, *extra, env=env)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
            out[name] = {"result": result, "log": running.request_log[mark:], "snap": snapshot(db),
                         "parsed_at": parsed_at(db), "expected": expected_keys(running),
                         "stored": stored_keys(db)}
            mark = len(running.request_log)

        night("first")
        night("second")
        running.swap(build_world())                       # overnight: new reports appear
        night("third")
        pdf = next(e for e in running.world.reports if e.doc_type == "pdf" and e.cells and e.site_id == "hongze")
        cell = sorted(c for c in pdf.cells if c.startswith("active."))[0]
        old_value = pdf.cells[cell]
        running.revise("hongze", pdf.document_url, {cell: old_value + 7})
        gone = next(e for e in running.world.reports if e.site_id == "huaian" and e.doc_type == "html")
        running.withdraw("huaian", gone.page_url)
        out.update(revised=(pdf, cell, old_value), gone=gone)
        night("verify", "--verify")
        night("after")
        yield out
    finally:
        running.stop()


def test_first_run_finds_the_earlier_world(nights):
    assert nights["first"]["stored"] == nights["first"]["expected"]


def test_second_run_asks_only_for_list_pages_conditionally(nights):
    log = nights["second"]["log"]
    kinds = Counter(kind for kind, _ in roles(nights["running"], log))
    # list pages, meta-refresh shells and list APIs of the report columns — no home page, no report page;
    # the script of the one list a browser renders (wuhou's) is loaded by the browser
    assert set(kinds) <= {"robots", "list", "shell", "api", "static"}, kinds
    assert {r.site_id for kind, r in roles(nights["running"], log) if kind == "static"} <= {"wuhou"}
    per_url = Counter((r.site_id, r.method, r.path) for r in log)
    # each URL once — but the list a browser must render (wuhou's script-built one) is read by Scrapy (a 304)
    # and then loaded once more by the browser
    assert [k for k, n in per_url.items() if n > 1] == [("wuhou", "GET", "/wh/c1019/nb.shtml")]
    assert per_url[("wuhou", "GET", "/wh/c1019/nb.shtml")] == 2
    # robots.txt was fetched minutes ago by the first run: read from the archive (spiders/robots.py), not asked
    assert kinds["robots"] == 0
    get_pages = [r for kind, r in roles(nights["running"], log) if kind in ("list", "shell")]
    not_modified = [r for r in get_pages if r.status == 304]
    # every static list page answers 304; the 200s are list APIs (no validators) and the one page a browser renders
    assert len(not_modified) >= 0.9 * len(get_pages), Counter((r.site_id, r.status) for r in get_pages)


def test_second_run_parses_and_writes_nothing(nights):
    assert nights["second"]["snap"] == nights["first"]["snap"]
    assert nights["second"]["parsed_at"] == nights["first"]["parsed_at"]
    assert "0 new" in nights["second"]["result"].stdout


def test_new_reports_appear_and_are_all_found(nights):
    third = nights["third"]
    new = third["expected"] - nights["first"]["expected"]
    assert new, "the later world has reports the earlier one did not"
    assert third["stored"] == third["expected"]
    # old reports were not touched: their parse is the first run's
    old = {k: v for k, v in third["parsed_at"].items() if k in nights["first"]["parsed_at"]}
    assert old == nights["first"]["parsed_at"]
    # report pages fetched: those of the new reports only
    fetched = {(r.site_id, r.path) for kind, r in roles(nights["running"], third["log"]) if kind == "detail"}
    new_pages = {(e.site_id, urlsplit(e.page_url).path) for e in nights["running"].expected_reports()
                 if (normalize_name(e.agency), e.year) in new}
    assert new_pages <= fetched
    noise = {(n.site_id, n.page_url) for n in nights["running"].world.noise}
    assert fetched - new_pages <= noise, sorted(fetched - new_pages - noise)


def test_verifying_run_marks_revised_and_withdrawn_and_deletes_nothing(nights):
    db = nights["db"]
    pdf, cell, old_value = nights["revised"]
    gone = nights["gone"]
    rows = query(db, "SELECT r.id, r.revised_at, r.withdrawn_at, r.withdrawn_reason, r.page_url FROM reports r "
                     "JOIN agencies a ON a.id = r.agency_id WHERE r.year = :y AND a.norm_name = :n",
                 y=pdf.year, n=normalize_name(pdf.agency))
    (rid, revised_at, withdrawn_at, _, _), = rows
    assert revised_at is not None and withdrawn_at is None
    value = query(db, "SELECT value FROM cells WHERE report_id = :r AND cell_id = :c", r=rid, c=cell)[0][0]
    assert value == old_value + 7
    versions = query(db, "SELECT document_url, reason FROM report_versions WHERE report_id = :r", r=rid)
    assert [(urlsplit(u).path, why) for u, why in versions] == [(pdf.document_url, "revised")]

    (gid, _, g_withdrawn, g_reason, _), = query(
        db, "SELECT r.id, r.revised_at, r.withdrawn_at, r.withdrawn_reason, r.page_url FROM reports r "
            "JOIN agencies a ON a.id = r.agency_id WHERE r.year = :y AND a.norm_name = :n",
        y=gone.year, n=normalize_name(gone.agency))
    assert g_withdrawn is not None and "404" in g_reason
    assert query(db, "SELECT COUNT(*) FROM cells WHERE report_id = :r", r=gid)[0][0] > 0   # data kept

    before, after = nights["third"]["snap"], nights["verify"]["snap"]
    for table in ("agencies", "reports", "report_urls", "cells", "checks", "report_sections"):
        assert after[table] == before[table], table
    assert after["report_versions"] == before["report_versions"] + 1
    # only the revised report was parsed again
    changed = {k for k, v in nights["verify"]["parsed_at"].items() if nights["third"]["parsed_at"].get(k) != v}
    assert changed == {rid}
    out = nights["verify"]["result"].stdout
    assert "1 revised" in out and "1 withdrawn" in out


def test_verifying_run_asks_conditionally(nights):
    log = nights["verify"]["log"]
    docs = [r for kind, r in roles(nights["running"], log) if kind in ("detail", "attachment")]
    assert docs, "a verifying run looks at every known report"
    assert sum(r.status == 304 for r in docs) >= len(docs) - 2      # the revised PDF: 200
    assert sum(r.status == 200 for r in docs) == 1


def test_run_after_changes_nothing(nights):
    assert nights["after"]["snap"] == nights["verify"]["snap"]
    assert nights["after"]["parsed_at"] == nights["verify"]["parsed_at"]
