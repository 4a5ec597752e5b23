"""Scrapy's own flags: `scrapy crawl reports -O items.jsonl` and `-o items.csv` against loopback portals write
one readable item per report page — agency, year, stored report id, parse status, and the documents as
references (URL, SHA-256, archive path, size) instead of bytes. Real `scrapy` in a subprocess."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world
from harvester.evidence.warc import read_archived

from crawlhelp import ROOT, query

SITE = "wuhou"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feeds")
    running = start_world(build_world(sites=[SITE]), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'h.db'}"
        env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8",
               "HARVESTER_ARCHIVE": str(tmp / "archive")}
        env.pop("HARVESTER_DB", None)

        def scrapy(*args):
            return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "reports", "-s", f"HARVESTER_SITES={registry}",
                                   "-s", f"HARVESTER_DB={db}", "-s", "LOG_LEVEL=WARNING", *map(str, args)],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

        out = {"jsonl": scrapy("-O", tmp / "items.jsonl"), "db": db, "tmp": tmp,
               "expected": running.expected_reports()}
        out["csv"] = scrapy("-s", "HARVESTER_VERIFY=1", "-o", tmp / "items.csv")   # a second, verifying run
        yield out
    finally:
        running.stop()


def test_jsonl_has_one_readable_item_per_report_page(crawled):
    assert crawled["jsonl"].returncode == 0, crawled["jsonl"].stderr[-3000:]
    assert "not JSON serializable" not in crawled["jsonl"].stderr
    lines = (crawled["tmp"] / "items.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    pages = [i["page_url"] for i in items]
    assert len(pages) == len(set(pages))                                # one item per report page
    expected_pages = {urlsplit(e.page_url).path for e in crawled["expected"]}
    assert {urlsplit(p).path for p in pages} >= expected_pages
    stored = dict(query(crawled["db"], "SELECT id, page_url FROM reports"))
    for item in items:
        assert item["site_id"] == SITE and item["agency"] and item["year"]
        assert item["stored"] in ("new", "unchanged", "updated") and item["report_id"] in stored
        assert item["documents"] and all(d["sha256"] and len(d["sha256"]) == 64 for d in item["documents"])
        for d in item["documents"]:                                     # the archived copy: its WARC record
            data = read_archived(crawled["tmp"] / "archive", d["archive_path"])
            assert hashlib.sha256(data).hexdigest() == d["sha256"], d["archive_path"]
        assert all(d["size"] > 0 for d in item["documents"])
        assert "body" not in json.dumps(item)                           # references, never bytes
    parsed = [i for i in items if i["parse_status"] == "parsed"]
    assert parsed and all(i["filled_cells"] > 0 and i["report_format"] for i in parsed)
    assert {i["report_id"] for i in items} == set(stored)


def test_csv_feed_of_a_verifying_run(crawled):
    assert crawled["csv"].returncode == 0, crawled["csv"].stderr[-3000:]
    with (crawled["tmp"] / "items.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0])[:5] == ["site_id", "agency", "year", "title", "report_id"]
    stored = dict(query(crawled["db"], "SELECT id, page_url FROM reports"))
    assert {int(r["report_id"]) for r in rows} == set(stored)
    for r in rows:
        assert r["stored"] == "unchanged"                               # nothing changed overnight
        refs = r["documents"].split("; ")
        assert refs and all(len(ref.split(" ")[-1]) == 64 for ref in refs)
