"""End to end over the whole simulated world: every CMS family and one site per obstacle.

One crawl through the real `harvester crawl` command. Checked: every generated report found exactly once
(one per agency and year, with every URL it was seen at), nothing fetched against robots.txt (the
disallowed site gets only /robots.txt), the challenged sites `blocked` with the reason, rate-limited and
maintenance sites complete without a request inside a Retry-After window, soft 404s not stored, GBK read
correctly, no request to a host outside the registry, the browser used for the script-built list only,
and a site whose list disappears after a good run reported `layout_changed`.
"""
from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import OUTSIDE, start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli

OK_SITES = {"hongze", "pingtan", "huaian", "deqing", "nanhai", "anhua", "wuhou", "siyang", "sihong", "guannan",
            "guanyun", "donghai", "ganyu", "lianyun", "haizhou", "xiangshui"}
BLOCKED = {"lianshui": "瑞数", "xuyi": "加速乐", "shuyang": "cookie loop"}


@pytest.fixture(scope="module")
def world_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("world")
    running = start_world(build_world(obstacles=True), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        result = run_cli("crawl", "--sites", registry, "--db", db, "--log-file", tmp / "crawl.log")
        log_first = list(running.request_log)
        # the same site later, after a redesign hid its list: layout_changed
        running.set_fault("guanyun", "layout_changed")
        again = run_cli("crawl", "--sites", registry, "--db", db, "--site", "guanyun", "--log-file", tmp / "again.log")
        yield {"running": running, "db": db, "first": result, "again": again, "log": log_first,
               "expected": running.expected_reports(), "tmp": tmp}
    finally:
        running.stop()


def outcomes(db, run_id):
    return {sid: (o, reason) for sid, o, reason in
            query(db, "SELECT site_id, outcome, reason FROM site_outcomes WHERE run_id = :r", r=run_id)}


def test_outcome_per_site_stored_and_printed(world_crawl):
    first = world_crawl["first"]
    assert first.returncode == 0, first.stderr[-3000:]
    got = outcomes(world_crawl["db"], 1)
    assert set(got) == OK_SITES | set(BLOCKED) | {"jinhu"}
    bad = {sid: o for sid, o in got.items() if sid in OK_SITES and o[0] != "ok"}
    assert bad == {}
    assert got["jinhu"] == ("robots_disallowed", "robots.txt disallows the start page")
    for sid, word in BLOCKED.items():
        assert got[sid][0] == "blocked" and word in got[sid][1], got[sid]
    for sid, (outcome, reason) in got.items():
        assert re.search(rf"^\s*{sid}\s.*\s{outcome}\s+{re.escape(reason[:40])}", first.stdout, re.M), sid


def test_every_report_found_exactly_once_with_every_url(world_crawl):
    db = world_crawl["db"]
    expected = {(normalize_name(e.agency), e.year): e for e in world_crawl["expected"]}
    assert len(expected) == len(world_crawl["expected"])
    rows = query(db, "SELECT r.id, a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id")
    stored = {(normalize_name(n), y): rid for rid, n, y in rows}
    assert len(stored) == len(rows)
    assert sorted(set(expected) - set(stored)) == []
    assert sorted(set(stored) - set(expected)) == []
    for key, e in expected.items():
        urls = {u for (u,) in query(db, "SELECT url FROM report_urls WHERE report_id = :r", r=stored[key])}
        assert {e.page_url, e.document_url, *e.also_at} <= urls, (e.site_id, e.agency, e.year)
    twice = [e for e in world_crawl["expected"] if e.site_id == "xiangshui" and any(u.startswith("https://") for u in e.also_at)]
    assert len(twice) == 2                                              # seen over http and https, stored once


def test_nothing_fetched_against_robots_txt(world_crawl):
    jinhu = [r.path for r in world_crawl["log"] if r.site_id == "jinhu"]
    assert jinhu == ["/robots.txt"]
    for sid in OK_SITES:
        assert any(r.path == "/robots.txt" for r in world_crawl["log"] if r.site_id == sid), sid


def test_blocked_sites_are_not_climbed(world_crawl):
    db = world_crawl["db"]
    for sid, word in BLOCKED.items():
        pages = [r for r in world_crawl["log"] if r.site_id == sid and r.path != "/robots.txt"]
        assert 1 <= len(pages) <= 3, (sid, [p.path for p in pages])        # the start page (and a cookie retry)
        kinds = {k for (k,) in query(db, "SELECT kind FROM crawl_events WHERE site_id = :s", s=sid)}
        assert "blocked" in kinds


def test_backoff_honours_retry_after(world_crawl):
    for sid in ("siyang", "sihong"):
        log = sorted((r for r in world_crawl["log"] if r.site_id == sid), key=lambda r: r.received)
        waits = [r for r in log if r.status in (429, 503)]
        assert waits, f"{sid}: the fault never fired"
        for w in waits:
            ra = float(w.retry_after)
            inside = [r for r in log if w.at + 0.15 < r.received < w.at + ra - 0.1]
            assert inside == [], (sid, w.path, ra, [(round(r.received - w.at, 2), r.path) for r in inside])
        assert all(r.status == 200 for r in log if r.received > max(w.at for w in waits) + 0.15)


def test_soft_404_is_not_a_report(world_crawl):
    db = world_crawl["db"]
    dead = next(n for n in world_crawl["running"].world.noise if n.site_id == "guanyun" and n.reason == "dead_link")
    url = world_crawl["running"].sites["guanyun"] + dead.page_url
    assert query(db, "SELECT COUNT(*) FROM report_urls WHERE url = :u", u=url) == [(0,)]
    assert query(db, "SELECT kind FROM crawl_events WHERE url = :u AND run_id = 1", u=url) == [("soft_404",)]


def test_gbk_pages_read_correctly(world_crawl):
    db = world_crawl["db"]
    exp = {e.page_url: e.title for e in world_crawl["expected"] if e.site_id in ("guannan", "anhua")}
    got = dict(query(db, "SELECT page_url, title FROM reports WHERE site_id IN ('guannan', 'anhua')"))
    assert got == exp


def test_no_request_leaves_the_registry(world_crawl):
    running = world_crawl["running"]
    assert [r for r in world_crawl["log"] if r.site_id == OUTSIDE] == []
    hosts = {urlsplit(u).hostname for u in list(running.sites.values()) + list(running.served.values())}
    seen = {u for (u,) in query(world_crawl["db"], "SELECT url FROM documents UNION SELECT url FROM report_urls "
                                                   "UNION SELECT url FROM crawl_events WHERE url IS NOT NULL")}
    assert {urlsplit(u).hostname for u in seen} <= hosts
    assert all(r.user_agent.startswith("harvester/") for r in world_crawl["log"])


def test_moved_tls_and_scheme_fallbacks_recorded(world_crawl):
    db = world_crawl["db"]
    events = defaultdict(set)
    for sid, kind in query(db, "SELECT site_id, kind FROM crawl_events WHERE run_id = 1"):
        events[sid].add(kind)
    assert "moved" in events["donghai"]
    assert "scheme_fallback" in events["ganyu"] and "scheme_fallback" in events["lianyun"]
    assert query(db, "SELECT COUNT(*) FROM reports WHERE site_id = 'ganyu' AND page_url LIKE 'https://%'") == [(6,)]


def test_browser_only_for_the_script_built_list(world_crawl):
    rendered = query(world_crawl["db"], "SELECT site_id, url FROM crawl_events WHERE kind = 'rendered' AND run_id = 1")
    assert {sid for sid, _ in rendered} == {"wuhou"} and len(rendered) <= 2
    assert all(not re.search(r"\.(pdf|docx?)$", u) for _, u in rendered)


def test_layout_changed_after_a_good_run(world_crawl):
    again = world_crawl["again"]
    assert again.returncode == 0, again.stderr[-3000:]
    (outcome, reason), = [v for k, v in outcomes(world_crawl["db"], 2).items() if k == "guanyun"]
    assert outcome == "layout_changed" and "found in run 1" in reason, reason
    assert "layout_changed" in again.stdout
