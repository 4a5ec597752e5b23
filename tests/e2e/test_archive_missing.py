"""A 304 whose archived copy is gone (the archive was lost or moved): the list page is fetched once more in
full, the loss is recorded (``archive_missing``), and the crawl goes on as if nothing had happened."""
from __future__ import annotations

import shutil
from collections import Counter

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli


def test_lost_archive_refetches_the_list_pages_in_full(tmp_path):
    running = start_world(build_world(), port=0)
    db, archive = f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "archive"
    env = {"HARVESTER_ARCHIVE": str(archive)}
    try:
        registry = write_registry(running, tmp_path / "sites.csv")

        def crawl():
            mark = len(running.request_log)
            result = run_cli("crawl", "--sites", registry, "--db", db, "--site", "huaian", "--log-file", "-",
                             env=env)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
            return running.request_log[mark:]

        crawl()
        reports = query(db, "SELECT COUNT(*) FROM reports")[0][0]
        assert reports > 0
        shutil.rmtree(archive)
        second = crawl()
    finally:
        running.stop()
    missing = {url for (url,) in query(db, "SELECT url FROM crawl_events WHERE kind = 'archive_missing'")}
    assert missing, "no 304 met a lost archive"
    answers = Counter((r.path, r.status) for r in second)
    for url in missing:
        path = url.split("//", 1)[1].split("/", 1)[1]
        assert answers[("/" + path, 304)] == 1 and answers[("/" + path, 200)] == 1, (url, answers)
    assert query(db, "SELECT COUNT(*) FROM reports")[0][0] == reports
    run = query(db, "SELECT MAX(id) FROM crawl_runs")[0][0]
    assert query(db, "SELECT outcome, reports_new FROM site_outcomes WHERE run_id = :r", r=run) == [("ok", 0)]
