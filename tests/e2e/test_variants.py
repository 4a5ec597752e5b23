"""Variant testing, not example testing: the variant portals of harvester/devportal/variants.py — 30 seeds of every
CMS family (trs, hanweb, gkmlpt, legacy, scripted), every detail portals.md leaves open drawn from the seed —
crawled by the real `harvester crawl`, twice.

Checked: every generated report found on every site that publishes (100 %), none stored twice and nothing stored
from noise; every site that yields nothing (empty columns, no column, dead sites) alarmed with its expected
outcome and its evidence — stored with the run, printed at the end of the crawl, listed by `harvester health`;
the browser used only where a site needs it; a list API the browser revealed remembered and asked over plain
HTTP the next night, without a browser. `HARVESTER_VARIANT_SEEDS=N` crawls N seeds instead (the bench crawls more:
bench/bench_variants.py).
"""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.variants import FAMILIES, variant_world

from crawlhelp import query, run_cli

SEEDS = range(int(os.environ.get("HARVESTER_VARIANT_SEEDS", "30")))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("variants")
    world = variant_world(SEEDS)
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        env = {"HARVESTER_ARCHIVE": str(tmp / "archive")}
        first = run_cli("crawl", "--sites", registry, "--db", db, "--log-file", tmp / "crawl.log", env=env,
                        timeout=1800)
        mark = len(running.request_log)
        second = run_cli("crawl", "--sites", registry, "--db", db, "--log-file", tmp / "again.log", env=env,
                         timeout=1800)
        health = run_cli("health", "--db", db, "--json", env=env)
        yield {"world": world, "running": running, "db": db, "first": first, "second": second, "health": health,
               "second_log": running.request_log[mark:], "expected": running.expected_reports()}
    finally:
        running.stop()


def _stored(db, run=None):
    out = defaultdict(list)
    for sid, name, year in query(db, "SELECT r.site_id, a.name, r.year FROM reports r JOIN agencies a "
                                     "ON a.id = r.agency_id"):
        out[sid].append((normalize_name(name), year))
    return out


def _outcomes(db, run):
    return {sid: (o, reason, json.loads(ev) if isinstance(ev, str) else ev) for sid, o, reason, ev in
            query(db, "SELECT site_id, outcome, reason, evidence FROM site_outcomes WHERE run_id = :r", r=run)}


def test_the_variant_world_has_every_family_and_sites_to_alarm_on(crawled):
    world = crawled["world"]
    assert {d["family"] for d in world.draws.values()} == set(FAMILIES)
    assert len(world.sites) >= 30 * len(FAMILIES)
    assert {"no_reports", "no_report_column", "unreachable"} <= set(world.expect.values())
    assert world.browser, "some sites need the browser once"


def test_every_report_found_on_every_site_exactly_once(crawled):
    first = crawled["first"]
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    expected = defaultdict(set)
    for e in crawled["expected"]:
        expected[e.site_id].add((normalize_name(e.agency), e.year))
    stored = _stored(crawled["db"])
    missing = {sid: sorted(keys - set(stored.get(sid, []))) for sid, keys in expected.items()
               if keys - set(stored.get(sid, []))}
    assert missing == {}, {sid: (crawled["world"].draws[sid], keys) for sid, keys in list(missing.items())[:5]}
    extra = {sid: sorted(set(keys) - expected.get(sid, set())) for sid, keys in stored.items()
             if set(keys) - expected.get(sid, set())}
    assert extra == {}
    twice = {sid: keys for sid, keys in stored.items() if len(keys) != len(set(keys))}
    assert twice == {}
    assert sum(map(len, stored.values())) == len(crawled["expected"])
    # every URL a report was listed at is among its stored URLs
    urls = {u for (u,) in query(crawled["db"], "SELECT url FROM report_urls")}
    assert [e.page_url for e in crawled["expected"] if e.page_url not in urls] == []
    noise = {crawled["running"].sites[n.site_id] + n.page_url for n in crawled["world"].noise}
    assert urls & noise == set()


def test_every_site_without_reports_is_alarmed_with_its_evidence(crawled):
    world, out = crawled["world"], _outcomes(crawled["db"], 1)
    wrong = {sid: (world.expect[sid], out[sid][0], out[sid][1]) for sid in world.expect
             if out[sid][0] != world.expect[sid]}
    assert wrong == {}
    stdout = crawled["first"].stdout
    for sid, expect in world.expect.items():
        outcome, reason, ev = out[sid]
        if expect == "ok":
            continue
        assert ev is not None, sid
        if expect == "unreachable":
            assert ev["errors"], (sid, ev)                        # what failed, and how
        else:
            assert ev["pages_visited"] >= 1 and ev["pages"], (sid, ev)
            assert ev["renders"] >= 1, (sid, ev)                   # escalated before giving up
            assert all({"url", "role", "via"} <= set(p) for p in ev["pages"])
        if expect == "no_reports":
            assert ev["columns"] and any(p["role"] == "column" and p.get("reports") == 0 for p in ev["pages"])
        if expect == "no_report_column":
            assert ev["candidates"] and all(c["text"] and c["url"] for c in ev["candidates"]), (sid, ev)
        # printed at the end of the crawl: the outcome line, then the evidence under it
        assert re.search(rf"^\s*{sid}\s.*{outcome}.*\n\s+\| \d+ pages visited", stdout, re.M), sid
    health = [json.loads(line) for line in crawled["health"].stdout.splitlines() if line.strip()]
    assert crawled["health"].returncode == 1
    listed = {r["site_id"]: r for r in health}
    for sid, expect in world.expect.items():
        if expect != "ok":
            assert listed[sid]["problem"] and listed[sid]["evidence"] is not None, sid
        else:
            assert sid not in listed, (sid, listed.get(sid))


def test_the_browser_only_where_a_site_needs_it(crawled):
    world, db = crawled["world"], crawled["db"]
    rendered = defaultdict(list)
    for sid, url in query(db, "SELECT site_id, url FROM crawl_events WHERE kind = 'rendered' AND run_id = 1"):
        rendered[sid].append(url)
    needs = world.browser | {sid for sid, e in world.expect.items() if e in ("no_reports", "no_report_column")}
    assert set(rendered) <= needs, sorted(set(rendered) - needs)
    assert world.browser <= set(rendered)
    assert all(len(urls) <= 3 for urls in rendered.values())               # bounded per site (HARVESTER_MAX_RENDERS)
    assert all(not re.search(r"\.(pdf|docx?)$", u) for urls in rendered.values() for u in urls)
    counts = dict(query(db, "SELECT site_id, json_extract(stats, '$.rendered') FROM site_outcomes WHERE run_id = 1"))
    assert {sid: n for sid, n in counts.items() if n} == {sid: len(urls) for sid, urls in rendered.items()}


def test_a_list_api_found_by_rendering_is_asked_over_http_the_next_night(crawled):
    world, db = crawled["world"], crawled["db"]
    computed = {sid for sid, d in world.draws.items() if d["delivery"] == "xhr_computed" and world.expect[sid] == "ok"}
    assert computed, "the world has lists only an external script fetches"
    apis = {sid for (sid,) in query(db, "SELECT DISTINCT site_id FROM site_apis")}
    assert computed <= apis
    second = crawled["second"]
    assert second.returncode == 0, second.stderr[-3000:]
    again = set(r[0] for r in query(db, "SELECT site_id FROM crawl_events WHERE kind = 'rendered' AND run_id = 2"))
    assert again & (world.browser | computed) == set()                      # no browser for them any more
    for sid in computed:
        api_paths = {r.path.split("?")[0] for r in crawled["second_log"] if r.site_id == sid and r.path.startswith("/api/")}
        assert api_paths, sid
    out1, out2 = _outcomes(db, 1), _outcomes(db, 2)
    assert {sid: o[0] for sid, o in out2.items()} == {sid: o[0] for sid, o in out1.items()}
    assert "0 new" in second.stdout
    found = dict(query(db, "SELECT site_id, reports_found FROM site_outcomes WHERE run_id = 2"))
    assert {sid: n for sid, n in found.items() if world.expect[sid] == "ok" and not n} == {}


def test_without_a_browser_or_renders_left_the_alarm_says_so(tmp_path):
    """A list only a browser shows, crawled with no browser: no reports, and the evidence says a render was
    wanted; a site with no column and one render allowed: one render, and the limit named."""
    from harvester.devportal.variants import VariantWorld, draw_variant, variant_site

    def first_seed(family, want):
        return next(s for s in range(500) if want(draw_variant(family, s)))
    scripted = variant_site("scripted", first_seed("scripted", lambda d: d["delivery"] == "xhr_computed"
                                                   and d["fate"] == "ok" and d["navigation_home"] == "links"), 0)
    nocol = variant_site("trs", first_seed("trs", lambda d: d["fate"] == "no_column"), 1)
    world = VariantWorld(0, [scripted.site, nocol.site], scripted.reports, [])
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        db = f"sqlite:///{tmp_path / 'h.db'}"
        result = run_cli("crawl", "--sites", registry, "--db", db, "--site", scripted.site.site_id,
                         env={"HARVESTER_BROWSER": "0"})
        assert result.returncode == 0, result.stderr[-2000:]
        (outcome, evidence), = query(db, "SELECT outcome, evidence FROM site_outcomes WHERE run_id = 1")
        evidence = json.loads(evidence)
        assert outcome == "no_reports" and evidence["render_skipped"] == ["needs_browser"] and evidence["renders"] == 0
        assert "render wanted, not made: no browser configured" in result.stdout
        limited = run_cli("crawl", "--sites", registry, "--db", db, "--site", nocol.site.site_id,
                          env={"HARVESTER_MAX_RENDERS": "1"})
        (outcome, evidence), = query(db, "SELECT outcome, evidence FROM site_outcomes WHERE run_id = 2")
        evidence = json.loads(evidence)
        assert outcome == "no_report_column" and evidence["renders"] == 1 and "render_limit" in evidence["render_skipped"]
        assert "the site's renders were spent" in limited.stdout
    finally:
        running.stop()
