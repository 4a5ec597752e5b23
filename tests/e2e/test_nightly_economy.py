"""Nightly economy over the variant portals (every CMS family and list delivery: links, TRS pagination, inline
data, XHR/JSON APIs, gkmlpt JSON, Hanweb jpaas and data proxy, iframes, POST forms, a browser-captured endpoint),
~20 reports a site, crawled by the real `harvester crawl` three nights running:

1. the world before each site's newest publishing day — the first crawl;
2. nothing changed: robots.txt comes from the archive, each column's walk stops at its first list page (all items
   known, answered 304 or an API page of known items): ≤ 5 % of the first crawl's requests, nothing re-parsed;
3. the newest reports appear (every family gets some): all of them are found.

And the revisit policy: a column unchanged for months is not due, and its site is not crawled at all (its last
outcome stands); `harvester health` shows every column's schedule.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import OUTSIDE, start_world, write_registry
from harvester.devportal.variants import FAMILIES, held_back_day, variant_site, variant_world

from crawlhelp import query, run_cli, snapshot

SEEDS = range(3)
CAPTURED = ("scripted", 16)      # a list only an external script fetches: a browser finds its API once


def world(hold_back: int = 0):
    """3 seeds of every family, and a site whose list API only a rendering reveals (captured, then asked over
    HTTP: site_apis) — as it was before each site's newest publishing day (`hold_back=1`) or today."""
    w = variant_world(SEEDS, hold_back=hold_back, many=True)
    day = held_back_day(*CAPTURED, hold_back, True) if hold_back else None
    vs = variant_site(*CAPTURED, len(w.sites), as_of=day, many=True)
    sid = vs.site.site_id
    w.sites.append(vs.site)
    w.reports += vs.reports
    w.noise += vs.noise
    w.draws[sid], w.expect[sid] = vs.draw, vs.expect
    w.browser.add(sid)
    return w


def _role(running, r) -> str:
    if r.path == "/robots.txt":
        return "robots"
    site = running.world.site(r.site_id)
    res = site.lookup(r.path.split("?")[0]) or site.lookup(r.path)
    return res.role if res is not None else "missing"


def _stored(db):
    return {(normalize_name(n), y) for n, y in query(db, "SELECT a.name, r.year FROM reports r "
                                                         "JOIN agencies a ON a.id = r.agency_id")}


def _expected(running):
    return {(normalize_name(e.agency), e.year): e.site_id for e in running.expected_reports()}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("economy")
    earlier = world(hold_back=1)
    running = start_world(earlier, port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        env = {"HARVESTER_ARCHIVE": str(tmp / "archive"), "HARVESTER_TODAY": "2026-06-15"}
        out = {"running": running, "db": db, "registry": registry, "env": env, "tmp": tmp}
        mark = 0

        def night(name, *extra, **more_env):
            nonlocal mark
            result = run_cli("crawl", "--sites", registry, "--db", db, "--log-file", tmp / f"{name}.log", *extra,
                             env={**env, **more_env}, timeout=1800)
            assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-3000:]
            out[name] = {"result": result, "log": [r for r in running.request_log[mark:] if r.site_id != OUTSIDE],
                         "snap": snapshot(db), "expected": _expected(running), "stored": _stored(db),
                         "parsed_at": dict(query(db, "SELECT id, parsed_at FROM reports"))}
            mark = len(running.request_log)

        night("first")
        night("unchanged")
        running.swap(world())
        night("new")
        out["ok_sites"] = {sid for sid, e in earlier.expect.items() if e == "ok"}
        out["night"] = night
        yield out
    finally:
        running.stop()


def test_every_family_gets_new_reports_and_the_nightly_finds_them_all(nights):
    new = set(nights["new"]["expected"]) - set(nights["first"]["expected"])
    families = {nights["new"]["expected"][k].rstrip("0123456789") for k in new}
    assert families == set(FAMILIES), families
    assert set(nights["first"]["expected"]) <= nights["first"]["stored"]
    missing = new - nights["new"]["stored"]
    assert not missing, sorted((nights["new"]["expected"][k], k) for k in missing)
    # nothing re-parsed: the reports of the first night keep their parse
    old = {k: v for k, v in nights["new"]["parsed_at"].items() if k in nights["first"]["parsed_at"]}
    assert old == nights["first"]["parsed_at"]


def test_the_captured_api_is_asked_over_http_and_its_new_reports_found(nights):
    sid = "%s%03d" % CAPTURED
    db = nights["db"]
    assert query(db, "SELECT COUNT(*) FROM site_apis WHERE site_id = :s", s=sid)[0][0] >= 1
    for night in ("unchanged", "new"):
        log = [r for r in nights[night]["log"] if r.site_id == sid]
        assert any(r.path.startswith("/api/") for r in log), night
    rendered = query(db, "SELECT run_id FROM crawl_events WHERE kind = 'rendered' AND site_id = :s", s=sid)
    assert {run for (run,) in rendered} == {1}                   # the browser once, on the first night
    new = {k for k, site in nights["new"]["expected"].items() if site == sid} - set(nights["first"]["expected"])
    assert new and new <= nights["new"]["stored"]


def test_an_unchanged_night_costs_at_most_five_percent_and_parses_nothing(nights):
    ok = nights["ok_sites"]
    first = [r for r in nights["first"]["log"] if r.site_id in ok]
    second = [r for r in nights["unchanged"]["log"] if r.site_id in ok]
    # the sites that publish: ≤ 5 % of their first crawl (the sites that yield nothing — dead, no column, an empty
    # column — are looked for from their start page again every night, as the alarms want)
    assert len(second) <= 0.05 * len(first), (len(second), len(first),
                                              Counter((r.site_id, _role(nights["running"], r)) for r in second))
    before, after = dict(nights["first"]["snap"]), dict(nights["unchanged"]["snap"])
    # the one new row allowed: a remembered list API asked over HTTP for the first time is archived as a list page
    apis = query(nights["db"], "SELECT COUNT(*) FROM site_apis")[0][0]
    assert 0 <= after.pop("documents") - before.pop("documents") <= apis
    assert after == before
    assert nights["unchanged"]["parsed_at"] == nights["first"]["parsed_at"]
    kinds = Counter(_role(nights["running"], r) for r in nights["unchanged"]["log"])
    assert kinds["robots"] == 0 and kinds["detail"] == 0 and kinds["attachment"] == 0, kinds
    # at most two requests a site that publishes: the column's first page (304) and its list API's first page
    # (or its frame, or its newest year folder)
    per_site = Counter(r.site_id for r in second)
    assert max(per_site.values()) <= 2, per_site
    answered = second
    cheap = [r for r in answered if r.status == 304 or _role(nights["running"], r) == "api"]
    assert len(cheap) >= 0.95 * len(answered), Counter((r.site_id, r.path, r.status) for r in answered
                                                        if r not in cheap)


def test_the_walk_stops_at_known_pages_and_verify_walks_everything(nights):
    counts = json.loads(query(nights["db"], "SELECT counts FROM crawl_runs WHERE id = 2")[0][0])
    assert counts["walks_stopped"] > 0 and counts["list_pages_skipped"] > 0, counts
    nights["night"]("verify", "--verify")
    verify = nights["verify"]["log"]
    lists_first = {(r.site_id, r.method, r.path) for r in nights["first"]["log"]
                   if _role(nights["running"], r) in ("list", "api")}
    lists_verify = {(r.site_id, r.method, r.path) for r in verify if _role(nights["running"], r) in ("list", "api")}
    # a verifying run walks every list page the first crawl walked (pages that newly exist aside)
    assert len(lists_first - lists_verify) <= 0.05 * len(lists_first), sorted(lists_first - lists_verify)[:10]


def test_a_column_unchanged_for_months_is_not_due_and_health_shows_the_schedule(nights):
    db, env = nights["db"], nights["env"]
    health = run_cli("health", "--db", db, "--all", "--json", env=env)
    rows = [json.loads(line) for line in health.stdout.splitlines() if line.startswith("{")]
    columns = {r["site_id"]: r["columns"] for r in rows}
    ok = sorted(nights["ok_sites"])
    assert all(columns[sid] for sid in ok), {sid: columns[sid] for sid in ok}
    assert all(c["interval_nights"] == 1 and c["due"] for sid in ok for c in columns[sid])
    # one site's columns last changed in the spring and were checked last night: every 8+ nights, not due
    quiet = ok[0]
    query_update = ("UPDATE column_schedule SET last_changed_at = '2026-01-10 02:00:00.000000', "
                    "interval_days = 8, next_due_at = '2099-01-01 00:00:00.000000' WHERE site_id = :s")
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text(query_update), {"s": quiet})
    engine.dispose()
    mark = len(nights["running"].request_log)
    result = run_cli("crawl", "--sites", nights["registry"], "--db", db, env=env, timeout=1800)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    log = nights["running"].request_log[mark:]
    assert not [r for r in log if r.site_id == quiet]
    assert any(r.site_id == ok[1] for r in log)
    last_run = query(db, "SELECT MAX(id) FROM crawl_runs")[0][0]
    assert not query(db, "SELECT 1 FROM site_outcomes WHERE run_id = :r AND site_id = :s", r=last_run, s=quiet)
    counts = json.loads(query(db, "SELECT counts FROM crawl_runs WHERE id = :r", r=last_run)[0][0])
    assert counts["sites_not_due"] == 1
    # in the publishing season the same column is due again
    mark = len(nights["running"].request_log)
    result = run_cli("crawl", "--sites", nights["registry"], "--db", db, env={**env, "HARVESTER_TODAY": "2027-01-20"},
                     timeout=1800)
    assert any(r.site_id == quiet for r in nights["running"].request_log[mark:])
    shown = run_cli("health", "--db", db, "--all", env=env).stdout
    assert "column " in shown and "nightly" in shown
