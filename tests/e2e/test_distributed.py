"""Distributed mode: two `harvester crawl --distributed` worker processes share one Redis frontier and one
PostgreSQL database while crawling the simulated world (docs/distributed.md).

Checked: every expected report stored exactly once; each report page and document requested once across
both workers; both workers did work; one run of the job records every site's outcome (ok), merged from both
workers; a second job the next night is incremental (no report fetched again); SQLite and a finished job are
refused; the stats merge gives the outcome one crawler would have given.

Needs Redis (127.0.0.1:6379, or $HARVESTER_TEST_REDIS) and PostgreSQL: skipped when one is down, failed when
$CI is set.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections import Counter

import pytest

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import ROOT, query, run_cli

REDIS_URL = os.environ.get("HARVESTER_TEST_REDIS", "redis://127.0.0.1:6379/13")


def _in_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


@pytest.fixture(scope="module")
def redis_url():
    """The test Redis (a database of its own); each test's job keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis unreachable at {REDIS_URL} ({exc})"
        if _in_ci():
            pytest.fail(message + " — required when CI is set", pytrace=False)
        pytest.skip(message)
    yield REDIS_URL
    client.close()


def _clear_job(url: str, job: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"harvester:{job}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _workers(n, *, redis_url, job, db, registry, tmp, env) -> list[subprocess.CompletedProcess]:
    """`n` worker processes started together; their results once all have ended."""
    e = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8", **env}
    e.pop("HARVESTER_DB", None)
    procs = [subprocess.Popen([sys.executable, "-m", "harvester.cli", "crawl", "--distributed", redis_url,
                               "--job", job, "--db", db, "--sites", str(registry),
                               "--log-file", str(tmp / f"{job}-worker{i}.log")],
                              cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(n)]
    out = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=600)
            out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return out


def _roles(running, log) -> list[tuple[str, object]]:
    out = []
    for r in log:
        site = running.world.site(r.site_id)
        res = site.lookup(r.path.split("?")[0]) or site.lookup(r.path)
        out.append(("robots" if r.path == "/robots.txt" else res.role if res is not None else "missing", r))
    return out


@pytest.fixture(scope="module")
def job_runs(redis_url, pg_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("distributed")
    running = start_world(build_world(), port=0)
    token = secrets.token_hex(4)
    jobs = [f"test-{token}-night1", f"test-{token}-night2"]
    env = {"HARVESTER_ARCHIVE": str(tmp / "archive")}
    try:
        registry = write_registry(running, tmp / "sites.csv")
        first = _workers(2, redis_url=redis_url, job=jobs[0], db=pg_url, registry=registry, tmp=tmp, env=env)
        mark = len(running.request_log)
        second = _workers(2, redis_url=redis_url, job=jobs[1], db=pg_url, registry=registry, tmp=tmp, env=env)
        again = run_cli("crawl", "--distributed", redis_url, "--job", jobs[0], "--db", pg_url,
                        "--sites", registry, "--log-file", "-", env=env)
        import redis
        client = redis.Redis.from_url(redis_url)
        leftover = {job: sorted(k.decode() for k in client.scan_iter(f"harvester:{job}:*")) for job in jobs}
        client.close()
        yield {"running": running, "db": pg_url, "registry": registry, "jobs": jobs, "first": first,
               "second": second, "again": again, "log1": running.request_log[:mark],
               "log2": running.request_log[mark:], "expected": running.expected_reports(), "leftover": leftover}
    finally:
        running.stop()
        for job in jobs:
            _clear_job(redis_url, job)


def _runs(db, job):
    return query(db, "SELECT id, status, counts FROM crawl_runs WHERE job = :j ORDER BY id", j=job)


def test_both_workers_finish_and_work(job_runs):
    for result in job_runs["first"]:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    runs = _runs(job_runs["db"], job_runs["jobs"][0])
    assert len(runs) == 2 and {status for _, status, _ in runs} == {"finished"}, runs
    for run_id, _status, counts in runs:
        assert counts["requests"] > 0, f"worker run {run_id} sent no request"
        assert counts["reports_new"] > 0, f"worker run {run_id} stored no report"
        assert 50 < counts["peak_rss_mib"] < 4096, counts        # the worker's own VmHWM, in MiB


def test_every_expected_report_stored_exactly_once(job_runs):
    db = job_runs["db"]
    expected = Counter((normalize_name(e.agency), e.year) for e in job_runs["expected"])
    stored = Counter((normalize_name(n), y) for n, y in query(
        db, "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id"))
    assert stored == expected
    assert query(db, "SELECT url FROM report_urls GROUP BY url HAVING COUNT(*) > 1") == []
    assert query(db, "SELECT url FROM documents GROUP BY url HAVING COUNT(*) > 1") == []
    assert query(db, "SELECT COUNT(*) FROM report_versions")[0][0] == 0, "a report stored twice became a revision"


def test_each_page_and_document_requested_once_across_workers(job_runs):
    running = job_runs["running"]
    seen = Counter((role, r.site_id, r.method, r.path) for role, r in _roles(running, job_runs["log1"])
                   if role not in ("robots",))
    twice = {k: n for k, n in seen.items() if n > 1 and k[0] in ("detail", "attachment")}
    assert twice == {}, "a report page or document was fetched by both workers"
    # start pages go through the shared dupefilter: each once, though both workers yield them
    for sid in running.sites:
        path = running.world.site(sid).start_path
        assert seen[next(k for k in seen if k[1] == sid and k[3] == path)] == 1, sid
    robots = Counter(r.site_id for role, r in _roles(running, job_runs["log1"]) if role == "robots")
    assert set(robots.values()) <= {1, 2}, "robots.txt at most once per worker"


def test_one_run_records_every_site_ok_from_the_merged_stats(job_runs):
    db, job = job_runs["db"], job_runs["jobs"][0]
    rows = query(db, "SELECT o.run_id, o.site_id, o.outcome, o.reports_found FROM site_outcomes o "
                     "JOIN crawl_runs r ON r.id = o.run_id WHERE r.job = :j", j=job)
    assert len({run for run, *_ in rows}) == 1, "outcomes come from the job's last worker only"
    assert {sid for _, sid, _, _ in rows} == set(job_runs["running"].sites)
    assert {o for _, _, o, _ in rows} == {"ok"}, rows
    per_site = Counter(e.site_id for e in job_runs["expected"])
    for _, sid, _, found in rows:          # report pages listed, summed over both workers
        assert found >= per_site[sid], (sid, found, per_site[sid])
    printed = "".join(r.stdout for r in job_runs["first"])
    assert sum("worker of job" in r.stdout for r in job_runs["first"]) == 1, printed
    for sid in job_runs["running"].sites:
        assert f"{sid} " in printed


def test_second_job_is_incremental(job_runs):
    for result in job_runs["second"]:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    roles = Counter(role for role, _ in _roles(job_runs["running"], job_runs["log2"]))
    assert roles["detail"] == 0 and roles["attachment"] == 0, roles
    rows = query(job_runs["db"], "SELECT o.outcome, o.reports_new FROM site_outcomes o "
                                 "JOIN crawl_runs r ON r.id = o.run_id WHERE r.job = :j", j=job_runs["jobs"][1])
    assert len(rows) == len(job_runs["running"].sites)
    assert {o for o, _ in rows} == {"ok"} and sum(n for _, n in rows) == 0, rows


def test_finished_job_is_refused_and_its_keys_are_gone(job_runs):
    again = job_runs["again"]
    assert again.returncode != 0
    assert "already done" in again.stderr and "--job" in again.stderr, again.stderr
    for job, keys in job_runs["leftover"].items():
        assert keys == [f"harvester:{job}:done"], keys


def test_sqlite_is_refused(redis_url, tmp_path):
    registry = write_registry(build_world(), tmp_path / "sites.csv")
    result = run_cli("crawl", "--distributed", redis_url, "--db", f"sqlite:///{tmp_path / 'h.db'}",
                     "--sites", registry, "--log-file", "-")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr, result.stderr
    assert not (tmp_path / "h.db").exists()
    result = run_cli("crawl", "--job", "x", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--sites", registry)
    assert result.returncode != 0 and "--distributed" in result.stderr


def test_merged_stats_give_the_outcome_of_one_crawler():
    """Worker A read the column (its reports listed on a later page), worker B fetched the reports: A alone
    would say no_reports; merged, the site is ok, with both workers' column roots."""
    from harvester.crawl.run import SiteStats
    from harvester.crawl.distributed import merge_stats

    a, b = SiteStats(), SiteStats()
    a.entry_ok, a.requests = True, 3
    a.column_urls = {"http://x/nb/"}
    a.column_roots = {"http://x/nb/"}
    b.entry_ok, b.requests, b.report_items = True, 5, 4
    b.reports.update(new=3, updated=1)
    b.column_urls = {"http://x/nb/index_1.html"}
    b.column_errors = ["column http://x/old/ returned HTTP 404"]
    assert a.outcome()[0] == "no_reports"
    merged = merge_stats([{"s": a.as_dict()}, {"s": b.as_dict()}])["s"]
    assert merged.outcome()[0] == "ok"
    assert merged.requests == 8 and merged.report_items == 4 and merged.reports["new"] == 3
    assert merged.column_urls == {"http://x/nb/", "http://x/nb/index_1.html"}
    assert merged.column_roots == {"http://x/nb/"} and merged.column_errors == b.column_errors
    blocked = SiteStats(blocked="412 $_ts challenge")
    assert merge_stats([{"s": SiteStats().as_dict()}, {"s": blocked.as_dict()}])["s"].blocked == blocked.blocked
