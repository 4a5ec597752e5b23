"""Discovery of the simulated province (devportal/province.py) from its home page alone, the crawl of the
registry it writes, and a second discovery after the province changes. `harvester discover` and
`harvester crawl` run as real commands in subprocesses; the province is served on loopback."""
from __future__ import annotations

import csv
import json
import re
from urllib.parse import urlsplit

import pytest

from harvester.db.store import normalize_name
from harvester.discovery.discover import norm_url
from harvester.devportal.province import (DEAD, MALFORMED_CODE, MISSING_CODE, ZONE_NAME, province_world, seed_url,
                                          start_province)
from harvester.crawl.registry import load_sites
from tests.e2e.crawlhelp import query, run_cli


@pytest.fixture(scope="module")
def province():
    pw = province_world()
    running = start_province(pw)
    yield pw, running
    running.stop()


@pytest.fixture(scope="module")
def discovered(province, tmp_path_factory):
    pw, running = province
    reg = tmp_path_factory.mktemp("discover") / "sites.csv"
    proc = run_cli("discover", seed_url(running), "--registry", reg, "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    return reg, proc.stdout


def _hosts(running, site_ids):
    out = set()
    for sid in site_ids:
        for base in (running.sites.get(sid), running.served.get(sid)):
            if base:
                out.add(urlsplit(base).netloc)
    return out


def test_discovery_from_the_home_page_finds_the_province(province, discovered):
    pw, running = province
    reg, out = discovered
    rows = list(csv.DictReader(reg.open(encoding="utf-8")))
    truth = {norm_url(t["url"]): t for t in pw.truth(running)}
    got = {norm_url(r["start_url"]): r for r in rows}
    found = set(truth) & set(got)
    assert len(truth) == 80          # the region, 5 cities, a zone, 21 live counties (one is dead), 52 columns
    assert len(found) / len(truth) >= 0.99, sorted(set(truth) - set(got))
    # nothing that is not a government site or column of the province
    assert set(got) <= set(truth), sorted(set(got) - set(truth))
    offgov = _hosts(running, pw.offgov)
    assert not [r for r in rows if urlsplit(r["start_url"]).netloc in offgov]
    assert not [r for r in rows if "example.com" in r["start_url"]]
    # the advertiser (ad block, 友情链接) is never asked; the hotline (a directory entry) once, refused on its footer
    assert running.log("offgov-ad") == []
    assert {r.path for r in running.log("offgov-12345")} <= {"/", "/robots.txt"}
    assert "commercial site" in out and "not under .gov.cn (not fetched)" in out
    # the dead county is refused as unreachable, the moved one is registered at its new address
    dead = running.sites[f"nx{DEAD}"]
    assert not [r for r in rows if r["start_url"].startswith(dead)]
    assert f"refused {dead}/" in out and "unreachable" in out
    # every row has its division code, the right one, and the 网站标识码 its footer shows
    for key in found:
        r, t = got[key], truth[key]
        assert r["division_code"] == t["division_code"], (r["name"], r["division_code"], t)
        assert r["source"] == "discovered" and r["discovered_at"] and r["level"] and r["agency_type"]
        assert r["agency_type"] == t["agency_type"], (r, t)
        if t["kind"] == "site":
            assert r["site_code"] == t["site_code"] and r["level"] == t["level"], (r, t)
        else:
            assert r["parent_site"], r
    kinds = {(r["level"], r["agency_type"]) for r in rows}
    assert {("province", "government"), ("city", "government"), ("county", "government"), ("city", "zone"),
            ("county", "department"), ("township", "township")} <= kinds
    # the footers without a well-formed 网站标识码: the division read from the name
    for code in MISSING_CODE + MALFORMED_CODE:
        (r,) = [r for r in rows if r["division_code"] == code and r["agency_type"] == "government"]
        assert r["site_code"] == "" and r["site_id"].startswith(code + "-")
    # the registry reads back as a registry
    assert len(load_sites(reg)) == len(rows)


def test_crawl_of_the_discovered_registry_finds_the_reports(province, discovered, tmp_path):
    pw, running = province
    reg, _ = discovered
    db = f"sqlite:///{tmp_path / 'h.db'}"
    proc = run_cli("crawl", "--sites", reg, "--db", db, "--log-file", tmp_path / "crawl.log",
                   env={"HARVESTER_BROWSER": "0"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    want = {(normalize_name(r.agency), r.year) for r in pw.live_reports()}
    got = {(normalize_name(a), y) for a, y in query(db, "SELECT a.name, r.year FROM reports r JOIN agencies a "
                                                        "ON a.id = r.agency_id")}
    assert len(want) > 100
    assert len(want & got) / len(want) >= 0.99, sorted(want - got)
    assert not got - want, sorted(got - want)

    # the holes: every government the division dataset expects, against the registry and the database
    out = tmp_path / "out"
    proc = run_cli("coverage", "--province", "宁夏", "--registry", reg, "--db", db, "--out", out)
    assert proc.returncode == 0, proc.stderr
    gaps = {r["division_code"]: r for r in csv.DictReader((out / "gaps_64.csv").open(encoding="utf-8-sig"))}
    assert len(gaps) == 28                                   # 宁夏: the region, 5 cities, 22 county-level units
    assert gaps[DEAD]["status"] == "no_site"                 # its portal is dead: not in the registry
    assert gaps["640000"]["status"] == "no_report_column"    # the region's portal has no report column
    assert {r["status"] for c, r in gaps.items() if c not in (DEAD, "640000")} == {"ok"}
    gov_years = {}
    for r in pw.live_reports():
        if r.kind == "government":
            gov_years.setdefault(r.agency, set()).add(r.year)
    assert gaps["640122"]["years"] == " ".join(map(str, sorted(gov_years["贺兰县人民政府"])))
    proc = run_cli("coverage", "--province", "宁夏", "--registry", reg, "--db", db, "--out", out, "--year", "2020")
    gaps2020 = {r["division_code"]: r["status"] for r in csv.DictReader((out / "gaps_64.csv").open(encoding="utf-8-sig"))}
    want2020 = {c for c, r in gaps.items() if "2020" in r["years"].split()}
    assert {c for c, st in gaps2020.items() if st == "ok"} == want2020
    assert {c for c, st in gaps2020.items() if st == "no_report"} == set(gaps) - want2020 - {DEAD, "640000"}


def test_second_discovery_reports_exactly_the_changes_and_keeps_manual_rows(tmp_path):
    pw = province_world()
    running = start_province(pw)
    try:
        reg = tmp_path / "sites.csv"
        assert run_cli("discover", seed_url(running), "--registry", reg, "--delay", "0").returncode == 0
        first = {r["site_id"]: r for r in csv.DictReader(reg.open(encoding="utf-8"))}
        fields = list(next(iter(first.values())).keys())
        # a person adds a site by hand (the dead county's old address) ...
        manual = {"site_id": "nx-manual", "name": "泾源县人民政府", "province": "宁夏回族自治区", "city": "固原市",
                  "county": "泾源县", "start_url": "http://www.jingyuan.gov.cn/", "division_code": "640424",
                  "level": "county", "agency_type": "government", "source": "manual"}
        # ... a row of their own for a discovered city (same address): it stands for the city from now on ...
        (szs,) = [r for r in first.values() if r["division_code"] == "640200" and r["level"] == "city"]
        override = {"site_id": "nx-shizuishan", "name": "石嘴山市人民政府", "province": "宁夏回族自治区",
                    "city": "石嘴山市", "county": "", "start_url": szs["start_url"], "division_code": "640200",
                    "level": "city", "agency_type": "government", "source": "manual", "note": "typed by hand"}
        # ... and renames a discovered column in place, leaving source=discovered
        col = dict(next(r for r in first.values() if r["division_code"] == "640121" and r["level"] != "county"))
        rows0 = [dict(r, name="永宁县手工改名局") if r["site_id"] == col["site_id"] else r for r in first.values()]
        with reg.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows0 + [manual, override])
        changes_log = reg.with_name("sites.csv.changes.jsonl")
        before = len(changes_log.read_text(encoding="utf-8").splitlines())
        did = pw.change(running)
        proc = run_cli("discover", seed_url(running), "--registry", reg, "--delay", "0")
        assert proc.returncode == 0, proc.stderr
        changes = [json.loads(x) for x in changes_log.read_text(encoding="utf-8").splitlines()[before:]]
        assert sorted(c["change"] for c in changes) == ["edited", "gone", "gone", "moved", "new", "superseded"], changes
        by = {c["change"]: c for c in changes}
        moved_code = pw.site(did["moved"]).site_code
        assert by["moved"]["site_code"] == moved_code and by["moved"]["site_id"] == moved_code
        assert by["moved"]["new_url"].startswith(running.served[did["moved"]])
        assert by["moved"]["old_url"].startswith(running.sites[did["moved"]])
        assert by["moved"]["evidence"]["redirects"] and by["moved"]["evidence"]["columns_moved_with_it"]
        assert by["new"]["name"] == did["new"][1] and by["new"]["evidence"]["section"].startswith("乡镇")
        gone = {c["name"]: c for c in changes if c["change"] == "gone"}
        assert set(gone) == {did["gone"][1], ZONE_NAME}
        assert "404" in gone[did["gone"][1]]["evidence"]["old_url_answers"]
        # the zone left its city's directory; its own site still answers, which does not bring it back
        assert gone[ZONE_NAME]["evidence"]["seen"] == "not linked from any directory page visited"
        assert "HTTP 200" in gone[ZONE_NAME]["evidence"]["old_url_answers"]
        assert by["superseded"]["site_id"] == szs["site_id"]
        assert by["superseded"]["evidence"]["by_manual_row"] == "nx-shizuishan"
        assert by["edited"]["site_id"] == col["site_id"]
        assert by["edited"]["evidence"]["fields"]["name"] == {"registry": "永宁县手工改名局", "discovered": col["name"]}
        rows = {r["site_id"]: r for r in csv.DictReader(reg.open(encoding="utf-8"))}
        assert {k: rows["nx-manual"][k] for k in manual} == manual          # the manual rows, untouched
        assert {k: rows["nx-shizuishan"][k] for k in override} == override
        assert {r["site_id"] for r in rows.values() if r["parent_site"] == szs["site_id"]} == set()
        assert {r["division_code"] for r in rows.values() if r["parent_site"] == "nx-shizuishan"} == {
            "640202", "640205", "640221"}                                    # its counties point to the person's row
        assert (rows[col["site_id"]]["name"], rows[col["site_id"]]["source"]) == ("永宁县手工改名局", "manual")
        assert rows[moved_code]["start_url"].startswith(running.served[did["moved"]])
        assert set(first) - set(rows) == {c["site_id"] for c in changes if c["change"] in ("gone", "superseded")}
        assert set(rows) - set(first) == {by["new"]["site_id"], "nx-manual", "nx-shizuishan"}
        assert ("changes: 1 new, 1 moved, 2 gone; 3 manual rows kept" in proc.stdout
                and "1 rows edited by hand, kept as manual" in proc.stdout), proc.stdout[-2000:]
        # a third run with nothing changed changes nothing
        proc = run_cli("discover", seed_url(running), "--registry", reg, "--delay", "0")
        assert re.search(r"^changes: 0 new, 0 moved, 0 gone; 3 manual rows kept; registry: \d+ rows$", proc.stdout,
                         re.M), proc.stdout[-2000:]
        assert len(changes_log.read_text(encoding="utf-8").splitlines()) == before + len(changes)
    finally:
        running.stop()
