"""`harvester nightly` and `harvester health` against the simulated world: the run report, exports, the
alarm when a whole class of sites fails, the health list, and the rotating log."""
from __future__ import annotations

import json

import pytest

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import run_cli

SITES = ["deqing", "nanhai", "anhua"]          # three CMS families; nanhai is the only gkmlpt site


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nightly")
    running = start_world(build_world(sites=SITES), port=0)
    registry = write_registry(running, tmp / "sites.csv")
    db = f"sqlite:///{tmp / 'h.db'}"
    env = {"HARVESTER_LOG_MAX_BYTES": "10000", "HARVESTER_LOG_BACKUPS": "3"}

    def nightly():
        return run_cli("nightly", "--sites", registry, "--db", db, "--out", tmp / "exports",
                       "--reports-dir", tmp / "runs", "--log-file", tmp / "logs" / "nightly.log", env=env)

    def health(*args):
        return run_cli("health", "--db", db, *args)

    try:
        out = {"tmp": tmp, "expected": running.expected_reports()}
        out["ok"] = nightly()
        out["health_ok"] = health()
        running.set_fault("nanhai", "down")              # the gkmlpt family is gone
        out["broken"] = nightly()
        out["health_broken"] = health("--json")
        running.set_fault("nanhai", "down", on=False)
        out["back"] = nightly()
        out["health_back"] = health()
        yield out
    finally:
        running.stop()


def test_nightly_crawls_exports_and_reports(nights):
    ok = nights["ok"]
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    report = json.loads((nights["tmp"] / "runs" / "run-1.json").read_text(encoding="utf-8"))
    assert report["reports"]["new"] == len(nights["expected"])
    assert {s["site_id"]: s["outcome"] for s in report["sites"]} == dict.fromkeys(SITES, "ok")
    assert report["regressions"] == [] and report["failed_classes"] == []
    md = (nights["tmp"] / "runs" / "run-1.md").read_text(encoding="utf-8")
    assert f"{len(nights['expected'])} new" in md and "| nanhai |" in md
    assert (nights["tmp"] / "exports" / "manifest.json").is_file()
    assert nights["health_ok"].returncode == 0 and "3 sites healthy" in nights["health_ok"].stdout


def test_one_site_of_a_family_down_is_a_regression_not_a_class_alarm(nights):
    """nanhai is the only gkmlpt site: a family-wide alarm needs three sites of the family that worked last
    time (tests/test_operator_alarms.py checks 1–4 sites); one site down is the web."""
    broken = nights["broken"]
    assert broken.returncode == 0, broken.stdout[-2000:] + broken.stderr[-2000:]
    assert "ALARM: every site of" not in broken.stderr
    assert "REGRESSION nanhai" in broken.stderr
    report = json.loads((nights["tmp"] / "runs" / "run-2.json").read_text(encoding="utf-8"))
    assert report["failed_classes"] == []
    assert [s["site_id"] for s in report["regressions"]] == ["nanhai"]
    assert report["reports"]["new"] == 0
    # the other families were fine: incremental, nothing new
    assert {s["site_id"]: s["outcome"] for s in report["sites"]}["deqing"] == "ok"


def test_health_lists_the_failing_site_until_it_works_again(nights):
    h = nights["health_broken"]
    assert h.returncode == 1
    rows = [json.loads(line) for line in h.stdout.splitlines()]
    assert [(r["site_id"], r["outcome"], r["failing_runs"], r["last_ok_run"]) for r in rows] == \
        [("nanhai", "unreachable", 1, 1)]
    assert nights["back"].returncode == 0
    assert nights["health_back"].returncode == 0


def test_the_log_rotates(nights):
    logs = sorted((nights["tmp"] / "logs").glob("nightly.log*"))
    assert len(logs) >= 2, logs                           # three crawls overflow 10 kB
    assert len(logs) <= 4                                 # the current file + 3 backups
    assert all(p.stat().st_size <= 10000 + 4096 for p in logs)
    assert "[scrapy.core.engine]" in "".join(p.read_text(encoding="utf-8") for p in logs)
