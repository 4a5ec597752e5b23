"""robots.txt is obeyed and cached (spiders/robots.py): fetched by the first run, read from the archive by a run
less than HARVESTER_ROBOTS_TTL hours later (no request), asked again conditionally once older (304 keeps the
copy) — and a site whose robots.txt says `Disallow: /` stays robots_disallowed whichever way the rules came."""
from __future__ import annotations

from collections import Counter

import pytest

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("robots")
    running = start_world(build_world(sites=["huaian", "jinhu"], obstacles=True), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        out, mark = {"running": running, "db": db}, 0
        for name, ttl in (("first", "24"), ("cached", "24"), ("expired", "0")):
            result = run_cli("crawl", "--sites", registry, "--db", db,
                             env={"HARVESTER_ARCHIVE": str(tmp / "archive"), "HARVESTER_ROBOTS_TTL": ttl})
            assert result.returncode in (0, 1), result.stderr[-3000:]
            out[name] = [r for r in running.request_log[mark:] if r.path == "/robots.txt"]
            out[name + "_log"] = running.request_log[mark:]
            mark = len(running.request_log)
        yield out
    finally:
        running.stop()


def _outcomes(db):
    return {(run, sid): o for run, sid, o in query(db, "SELECT run_id, site_id, outcome FROM site_outcomes")}


def test_first_run_fetches_robots_once_per_site(nights):
    assert Counter(r.site_id for r in nights["first"]) == {"huaian": 1, "jinhu": 1}


def test_a_run_within_the_ttl_asks_for_no_robots_and_still_obeys_it(nights):
    assert nights["cached"] == []
    outcomes = _outcomes(nights["db"])
    assert outcomes[(1, "jinhu")] == outcomes[(2, "jinhu")] == outcomes[(3, "jinhu")] == "robots_disallowed"
    assert outcomes[(2, "huaian")] == "ok"
    # nothing of the disallowed site but its robots.txt, ever
    for night in ("first_log", "cached_log", "expired_log"):
        assert {r.path for r in nights[night] if r.site_id == "jinhu"} <= {"/robots.txt"}


def test_an_expired_copy_is_asked_conditionally(nights):
    by_site = {r.site_id: r.status for r in nights["expired"]}
    assert by_site == {"huaian": 304, "jinhu": 200}     # jinhu's robots.txt carries no validators
    assert query(nights["db"], "SELECT role FROM documents WHERE url LIKE '%/robots.txt'") == [("robots",), ("robots",)]
