"""Alarms that mean something, on a real SQLite database with a recorded run history: the family-wide alarm
needs at least three sites of the family that worked last time; `health` covers the sites of the current
registry only; a muted site is shown as muted (with its reason and expiry) and does not count until the mute
expires; every failure class comes with what to do."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harvester.db import Store
from harvester.crawl.nightly import FAMILY_ALARM_MIN_SITES, HINTS, health, run_report

ROOT = Path(__file__).resolve().parents[1]


def site(sid: str, platform: str) -> dict:
    return {"site_id": sid, "name": f"{sid}人民政府", "province": "江苏省", "city": "淮安市", "county": sid,
            "start_url": f"http://{sid}.example/", "platform": platform}


def night(store: Store, outcomes: dict[str, str], registry: list[str]) -> int:
    run = store.start_run("crawl", {"registry": registry})
    for sid, outcome in outcomes.items():
        store.record_site_outcome(run, sid, outcome, "" if outcome == "ok" else f"{outcome} now")
        if outcome == "ok":           # a site that works has its report stored
            store.upsert_report(site_id=sid, agency=f"{sid}人民政府", year=2023, run_id=run,
                                fields={"title": f"{sid}人民政府2023年政府信息公开工作年度报告"})
    store.finish_run(run, "finished", {})
    return run


@pytest.fixture()
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'h.db'}", archive_root=tmp_path / "archive")
    yield s
    s.close()


@pytest.mark.parametrize("family_size", [1, 2, 3, 4])
def test_the_family_alarm_needs_three_sites_that_worked(store, family_size):
    sites = [site(f"g{i}", "gkmlpt") for i in range(family_size)] + [site("t0", "trs")]
    store.upsert_sites(sites)
    ids = [s["site_id"] for s in sites]
    night(store, dict.fromkeys(ids, "ok"), ids)
    run = night(store, {**{f"g{i}": "unreachable" for i in range(family_size)}, "t0": "ok"}, ids)
    report = run_report(store, run)
    assert [s["site_id"] for s in report["regressions"]] == [f"g{i}" for i in range(family_size)]
    assert report["failed_classes"] == (["gkmlpt"] if family_size >= FAMILY_ALARM_MIN_SITES else [])
    assert all(s["hint"] == HINTS["unreachable"] for s in report["regressions"])
    assert bool(report["class_hint"]) == (family_size >= FAMILY_ALARM_MIN_SITES)


def test_one_site_of_the_family_still_working_is_no_class_alarm(store):
    sites = [site(f"g{i}", "gkmlpt") for i in range(4)]
    store.upsert_sites(sites)
    ids = [s["site_id"] for s in sites]
    night(store, dict.fromkeys(ids, "ok"), ids)
    run = night(store, {"g0": "ok", "g1": "no_reports", "g2": "layout_changed", "g3": "blocked"}, ids)
    assert run_report(store, run)["failed_classes"] == []


def test_health_covers_the_current_registry_only(store):
    store.upsert_sites([site("a", "trs"), site("gone", "trs")])
    night(store, {"a": "ok", "gone": "unreachable"}, ["a", "gone"])
    assert [r["site_id"] for r in health(store) if r["problem"]] == ["gone"]
    night(store, {"a": "ok"}, ["a"])                      # "gone" was taken out of the registry
    rows = health(store)
    assert [r["site_id"] for r in rows] == ["a"] and not any(r["problem"] for r in rows)
    # an explicit registry wins over the latest run's
    assert [r["site_id"] for r in health(store, ["a", "gone"])] == ["a", "gone"]


def test_a_muted_site_is_shown_and_does_not_count_until_it_expires(store):
    store.upsert_sites([site("a", "trs"), site("b", "trs")])
    night(store, {"a": "ok", "b": "blocked"}, ["a", "b"])
    today = dt.date(2026, 12, 7)
    store.mute_site("b", "portal rebuilt, back in January", dt.date(2027, 1, 31))
    (b,) = [r for r in health(store, today=today) if r["site_id"] == "b"]
    assert b["muted"] == {"reason": "portal rebuilt, back in January", "until": "2027-01-31"} and not b["problem"]
    (b,) = [r for r in health(store, today=dt.date(2027, 2, 1)) if r["site_id"] == "b"]
    assert b["muted"] is None and b["problem"] and b["hint"] == HINTS["blocked"]
    assert store.unmute_site("b") and not store.unmute_site("b")


def test_every_failure_class_has_what_to_do():
    from harvester.crawl.nightly import HEALTH_PROBLEMS

    assert all(HINTS.get(kind) for kind in HEALTH_PROBLEMS)
    assert HINTS["rejected_revision"] and HINTS["class_failed"]


def _recorded_kinds() -> set[str]:
    """Every problem kind the code can record: the literal kinds of its `event(...)` / `record_event(...)` calls,
    the `problem=` of every Extracted the readers return, the sandbox's statuses and the failure classifier's."""
    import ast

    from harvester.sandbox.read import STATUSES

    kinds = set(STATUSES) - {"ok"}
    for folder in ("harvester", "spiders", "pipelines"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    pos = {"event": 2, "record_event": 3}.get(name)
                    if pos is not None and len(node.args) > pos and isinstance(node.args[pos], ast.Constant):
                        kinds.add(node.args[pos].value)
                    for kw in node.keywords:
                        if name == "Extracted" and kw.arg == "problem" and isinstance(kw.value, ast.Constant):
                            kinds.add(kw.value.value)
                if isinstance(node, ast.FunctionDef) and node.name == "_classify" and path.name == "reports.py":
                    for ret in ast.walk(node):
                        if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple) \
                                and isinstance(ret.value.elts[0], ast.Constant):
                            kinds.add(ret.value.elts[0].value)
    return {k for k in kinds if isinstance(k, str)}


def test_every_problem_the_run_report_lists_has_what_to_do(store):
    from harvester.crawl.nightly import problem_hint, render_markdown

    kinds = _recorded_kinds()
    assert {"unreachable", "corrupt", "too_large", "duplicate", "warc_error", "soft_404", "robots_disallowed"} <= kinds
    info = {"rendered", "api_found", "ignored", "column_is_report"}   # recorded at level info, for the record: never a problem
    assert sorted(k for k in kinds - info if not problem_hint(k)) == []
    assert problem_hint("http_404") != problem_hint("http_503") and problem_hint("http_410")
    # and the run report says it, under each kind it lists
    run = night(store, {"a": "ok"}, ["a"])
    store.record_event(run, "a", "http://a.example/x.pdf", "encrypted", "password-protected PDF")
    store.record_event(run, "a", "http://a.example/gone.htm", "http_404", "detail page: 404")
    report = run_report(store, run)
    assert report["problems"]["encrypted"]["hint"] == problem_hint("encrypted")
    md = render_markdown(report)
    assert md.count("  - what to do: ") >= 2 and "ask the portal for an open copy" in md


def test_mute_on_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    with Store(db, archive_root=tmp_path / "archive") as s:
        s.upsert_sites([site("a", "trs"), site("b", "trs")])
        night(s, {"a": "ok", "b": "unreachable"}, ["a", "b"])

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "harvester.cli", *args, "--db", db], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    h = cli("health")
    assert h.returncode == 1 and "what to do: " + HINTS["unreachable"] in h.stdout
    m = cli("mute", "b", "--why", "down for maintenance", "--until", "30d")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert m.returncode == 0 and f"b muted until {until}: down for maintenance" in m.stdout
    h = cli("health")
    assert h.returncode == 0, h.stdout + h.stderr
    assert "muted" in h.stdout and f"muted until {until}: down for maintenance" in h.stdout
    rows = [json.loads(line) for line in cli("health", "--json").stdout.splitlines()]
    assert [(r["site_id"], r["muted"]["until"]) for r in rows] == [("b", until)]
    assert cli("mute", "b", "--off").returncode == 0 and cli("health").returncode == 1
