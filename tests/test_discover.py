"""Reading a portal's identity and directories (on a real page of the corpus), divisions and agency types,
reconciliation rules, and the registry's new columns."""
from __future__ import annotations

from pathlib import Path

import pytest

from harvester.discovery import discover as D

from harvester.discovery import reconcile as R
from harvester.crawl.registry import RegistryError, load_sites, write_registry

PINGTAN = Path(__file__).parent / "fixtures" / "corpus" / "real" / "pingtan" / "column-index.html"   # the real page


@pytest.fixture(scope="module")
def pingtan():
    return D.parse_html(PINGTAN.read_text(encoding="utf-8"))


def test_identity_of_a_real_portal_page(pingtan):
    ident = D.read_identity(pingtan)
    assert ident.site_code == "3590000001" and ident.site_code_status == "ok"
    assert ident.icp == "闽ICP备09032658号"
    assert ident.police == "35012899001-19002"
    assert ident.name == "平潭综合实验区党工委管委会"
    assert ident.host_org == "福建省平潭综合实验区管理委员会办公室"


def test_directory_section_of_a_real_page_and_nothing_else(pingtan):
    links = D.page_links(pingtan, "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/")
    directory = [x for x in links if D.is_directory(x["section"])]
    assert [x["url"] for x in directory][:2] == ["http://www.fj.gov.cn/", "https://www.fuzhou.gov.cn/"]
    assert len(directory) == 10 and {x["section"] for x in directory} == {"省市政府网站"}
    # the media links (友情链接) and the 公安备案 link to a commercial host are on the page, not in a directory
    assert any("people.com.cn" in x["url"] for x in links) and any("ipv6best.cn" in x["url"] for x in links)
    assert not [x for x in directory if not x["url"].split("/")[2].endswith(".gov.cn")]


@pytest.mark.parametrize("code,status", [("3208000001", "ok"), ("bm01000001", "ok"), ("", "missing"),
                                         ("640221001", "malformed"), ("9900000001", "malformed"),
                                         ("64022100x1", "malformed")])
def test_site_code_status(code, status):
    assert D.code_status(code) == status


@pytest.mark.parametrize("name,kind", [("永宁县人民政府", "government"), ("宁夏回族自治区人民政府", "government"),
                                       ("永宁县教育局", "department"), ("永宁县城关镇人民政府", "township"),
                                       ("兴庆区西湖街道办事处", "township"), ("双溪乡", "township"),
                                       ("平潭综合实验区党工委管委会", "zone"), ("银川经济技术开发区", "zone"),
                                       ("吴忠市人民政府门户网站", "government")])
def test_agency_type(name, kind):
    assert D.agency_type(name) == kind


def test_divisions_from_code_and_name():
    assert D.division_of_code("6401220001") == "640122"
    assert D.division_of_code("6400000001") == "640000"
    assert D.division_of_code("6499990001") == ""            # not a division of the dataset
    assert D.division_in_name("贺兰县人民政府", "64") == "640122"
    assert D.division_in_name("银川市西夏区人民政府", "64") == "640105"   # the longest name wins
    assert D.division_in_name("某某科技有限公司", "64") == ""
    assert D.division_names("640122") == ("宁夏回族自治区", "银川市", "贺兰县")
    assert [D.level_of(c) for c in ("640000", "640100", "640122")] == ["province", "city", "county"]


def _row(sid, url, *, code="", parent="", name=None, kind="site", division="640122"):
    return {"site_id": sid, "name": name or sid, "province": "宁夏回族自治区", "city": "", "county": "",
            "start_url": url, "platform": "", "site_code": code, "division_code": division, "level": "county",
            "agency_type": "government", "icp": "", "parent_site": parent, "discovered_from": "",
            "discovered_at": "t0", "source": "discovered", "_kind": kind, "_evidence": {}}


def test_reconcile_new_moved_gone_manual():
    old = [{k: v for k, v in r.items() if not k.startswith("_")} for r in (
        _row("A", "http://a.gov.cn/", code="6401220001"), _row("B", "http://b.gov.cn/", code="6401210001"),
        _row("A-c1", "http://a.gov.cn/c1/", parent="A", name="教育局", kind="column"))]
    manual = {**old[0], "site_id": "M", "start_url": "http://m.gov.cn/", "site_code": "6401050001", "source": "manual",
              "name": "hand typed"}
    other = {**old[1], "site_id": "FJ", "start_url": "http://fj.gov.cn/", "site_code": "3500000001",
             "division_code": "350000"}
    found = [_row("A", "http://a2.gov.cn/", code="6401220001"),                # moved: same code, new URL
             _row("A-c1", "http://a2.gov.cn/c1/", parent="A", name="教育局", kind="column"),   # moved with it
             _row("N", "http://n.gov.cn/", code="6401060001"),                 # new
             _row("X", "http://m.gov.cn/", code="6401050001")]                 # the manual row's site: the person wins
    rows, changes = R.reconcile(old + [manual, other], found, now="t1", run_seeds=["s"])
    kinds = sorted((c["change"], c["site_id"]) for c in changes)
    assert kinds == [("gone", "B"), ("moved", "A"), ("new", "N")]
    moved = next(c for c in changes if c["change"] == "moved")
    assert moved["evidence"]["columns_moved_with_it"][0]["new_url"] == "http://a2.gov.cn/c1/"
    by = {r["site_id"]: r for r in rows}
    assert by["M"] == manual and by["FJ"] == other                   # manual and other provinces: untouched
    assert set(by) == {"A", "A-c1", "N", "M", "FJ"} and by["A"]["start_url"] == "http://a2.gov.cn/"


def test_registry_old_format_still_reads_and_new_columns_round_trip(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("site_id,name,province,city,county,start_url,platform\n"
                   "320800,淮安市人民政府,江苏省,淮安市,,https://www.huaian.gov.cn/,\n", encoding="utf-8")
    (site,) = load_sites(old)
    assert site.source == "manual" and site.site_code == "" and site.as_row()["start_url"].endswith("gov.cn/")
    new = tmp_path / "new.csv"
    write_registry(new, [{**site.registry_row(), "site_code": "3208000001", "division_code": "320800",
                          "level": "city", "agency_type": "government", "source": "discovered"}])
    (back,) = load_sites(new)
    assert (back.site_code, back.division_code, back.level, back.source) == ("3208000001", "320800", "city",
                                                                             "discovered")
    assert back.as_row()["division_code"] == "320800"
    bad = tmp_path / "bad.csv"
    bad.write_text("site_id,name,province,city,county,start_url,level\nx,n,p,,,http://a.gov.cn/,village\n",
                   encoding="utf-8")
    with pytest.raises(RegistryError, match="unknown level 'village'"):
        load_sites(bad)


def test_the_shipped_starting_registry_is_real_and_sourced():
    """data/registry.csv: the province portals (seeds of `harvester discover --seeds-from`) and the real sites
    of the corpus — every row manual, on a .gov.cn host, with its source noted and a division of the dataset."""
    from harvester.divisions import PROVINCES, lookup_division
    root = Path(__file__).resolve().parents[1]
    sites = load_sites(root / "data" / "registry.csv")
    provinces = [s for s in sites if s.level == "province"]
    assert {s.division_code[:2] for s in provinces} == {p for p in PROVINCES if p not in ("71", "81", "82")}
    for s in sites:
        assert s.source == "manual" and s.note, s
        assert (s.host or "").endswith(".gov.cn"), s
        d = lookup_division(s.province, s.city, s.county, s.division_code)
        assert d.code == s.division_code and not d.note, (s, d)
        if s.site_code:
            assert D.code_status(s.site_code) == "ok"
    assert len({s.host for s in sites}) == len(sites)
    # what the corpus shows is what the registry says
    page = PINGTAN.read_text(encoding="utf-8")
    for s in sites:
        if "column-index.html" in s.note and s.level == "city":
            assert s.start_url in page, s
    pingtan = next(s for s in sites if s.site_id == "350128")
    assert pingtan.site_code in page and pingtan.icp in page


def test_manual_row_stands_for_the_discovered_site_and_its_children_point_to_it():
    manual = {**{k: v for k, v in _row("640000", "http://nx.gov.cn/").items() if not k.startswith("_")},
              "source": "manual", "site_code": ""}
    found = [_row("6400000001", "http://nx.gov.cn/", code="6400000001", division="640000"),
             _row("6401000001", "http://yc.gov.cn/", code="6401000001", parent="6400000001", division="640100")]
    rows, changes = R.reconcile([manual], found, now="t", run_seeds=["http://nx.gov.cn/"])
    by = {r["site_id"]: r for r in rows}
    assert set(by) == {"640000", "6401000001"} and by["640000"] == manual
    assert by["6401000001"]["parent_site"] == "640000"
    assert [c["change"] for c in changes] == ["new"]


def test_directory_in_a_drop_down_list():
    doc = D.parse_html('<div class="foot"><select onchange="window.open(this.value)"><option value="">——市县政府网站——'
                       '</option><option value="http://www.yinchuan.gov.cn/">银川市</option></select>'
                       '<select><option value="">友情链接</option><option value="http://www.people.com.cn/">人民网</option>'
                       '</select></div>')
    links = D.page_links(doc, "http://www.nx.gov.cn/")
    assert [(x["url"], x["text"]) for x in links if D.is_directory(x["section"])] == [
        ("http://www.yinchuan.gov.cn/", "银川市")]
    assert any(x["text"] == "人民网" and not D.is_directory(x["section"]) for x in links)


def test_gaps_of_a_province_from_the_registry_alone():
    from harvester.discovery import gaps as G
    from harvester.divisions import _index
    root = Path(__file__).resolve().parents[1]
    gaps = {g.division_code: g for g in G.compute("35", load_sites(root / "data" / "registry.csv"))}
    assert len(gaps) == 1 + sum(1 for c in _index().by_code if c.startswith("35"))
    assert gaps["350000"].level == "province" and gaps["350100"].level == "city"
    assert gaps["350128"].status == "not_crawled" and gaps["350128"].site_ids == "350128"   # the 管委会 stands for it
    assert gaps["350102"].status == "no_site"
    assert {g.status for g in gaps.values()} == {"no_site", "not_crawled"}


def test_a_subtree_not_reached_is_kept_unconfirmed_not_gone():
    """A city portal down for the night: its counties are neither found nor gone. A city no directory lists any
    more is gone, and the rows below it go with it (they are not left unconfirmed for ever)."""
    strip = lambda r: {k: v for k, v in r.items() if not k.startswith("_")}  # noqa: E731
    old = [strip(_row("P", "http://p.gov.cn/", code="6400000001", division="640000")),
           strip(_row("C", "http://c.gov.cn/", code="6401000001", parent="P", division="640100")),
           strip(_row("K", "http://k.gov.cn/", code="6401210001", parent="C", division="640121")),
           strip(_row("D", "http://p.gov.cn/d/", parent="P", name="某厅", kind="column", division="640000"))]
    found = [_row("P", "http://p.gov.cn/", code="6400000001", division="640000")]
    rows, changes = R.reconcile(old, found, now="t", run_seeds=["http://p.gov.cn/"])
    assert sorted((c["change"], c["site_id"]) for c in changes) == [("gone", "C"), ("gone", "D"), ("gone", "K")]
    assert {r["site_id"] for r in rows} == {"P"}
    below = next(c for c in changes if c["site_id"] == "K")
    assert "its parent C is gone" in below["evidence"]["seen"]
    # the city still listed by the province, but not answering: kept too
    refused = [{"url": "http://c.gov.cn/", "reason": "unreachable: [Errno 111] Connection refused",
                "found_on": "http://p.gov.cn/zfwzdh/"}]
    rows, changes = R.reconcile(old, found, now="t", run_seeds=["http://p.gov.cn/"], refused=refused)
    assert sorted((c["change"], c["site_id"]) for c in changes) == [("gone", "D"), ("unconfirmed", "C"),
                                                                    ("unconfirmed", "K")]
    assert {r["site_id"] for r in rows} == {"P", "C", "K"}


def test_gaps_resolve_a_row_without_division_code_from_its_names():
    """data/sites.csv has no division_code column: its rows count by the division their province/city/county
    names resolve to (淮安 320800, 洪泽 320813, 上海 310000), not as no_site; a name the dataset lacks
    (平潭综合实验区) resolves to nothing rather than to its city."""
    from harvester.discovery import gaps as G
    root = Path(__file__).resolve().parents[1]
    sites = load_sites(root / "data" / "sites.csv")
    assert not any(s.division_code for s in sites)
    js = {g.division_code: g for g in G.compute("32", sites)}
    assert (js["320800"].status, js["320800"].site_ids) == ("not_crawled", "320800")
    assert (js["320813"].status, js["320813"].site_ids) == ("not_crawled", "320813")
    assert js["320100"].status == "no_site"
    sh = {g.division_code: g for g in G.compute("31", sites)}
    assert (sh["310000"].status, sh["310000"].site_ids) == ("not_crawled", "310000")
    fj = {g.division_code: g for g in G.compute("35", sites)}
    assert fj["350100"].status == "no_site"


def _registry_round_trip(tmp_path, rows):
    """Write the rows as the registry and read them back, as the next `harvester discover` does."""
    path = tmp_path / "sites.csv"
    write_registry(path, rows)
    return [s.registry_row() for s in load_sites(path)]


def _found():
    return [_row("A", "http://a.gov.cn/", code="6401220001"),
            _row("A-c1", "http://a.gov.cn/c1/", parent="A", name="教育局", kind="column"),
            _row("B", "http://b.gov.cn/", code="6401210001")]


def test_a_hand_edit_of_a_discovered_row_is_kept_marked_manual_and_logged(tmp_path):
    rows, changes = R.reconcile([], _found(), now="t1", run_seeds=["s"])
    assert all(r["discovered_hash"] for r in rows)
    current = _registry_round_trip(tmp_path, rows)
    # the same finding again: no change, no false hand edit (the CSV round trip keeps the fingerprint)
    rows2, changes2 = R.reconcile(current, _found(), now="t2", run_seeds=["s"])
    assert changes2 == [] and {r["source"] for r in rows2} == {"discovered"}
    # a person renames the column and fixes the county's ICP in the CSV, leaving source=discovered
    current = _registry_round_trip(tmp_path, rows2)
    by = {r["site_id"]: r for r in current}
    by["A-c1"]["name"] = "贺兰县教育体育局"
    by["B"]["icp"] = "宁ICP备0001号"
    rows3, changes3 = R.reconcile(current, _found(), now="t3", run_seeds=["s"])
    got = {r["site_id"]: r for r in rows3}
    assert set(got) == {"A", "A-c1", "B"}                               # no duplicate of the edited rows
    assert got["A-c1"]["name"] == "贺兰县教育体育局" and got["A-c1"]["source"] == "manual"
    assert got["B"]["icp"] == "宁ICP备0001号" and got["B"]["source"] == "manual"
    assert got["A"]["source"] == "discovered"
    assert sorted((c["change"], c["site_id"]) for c in changes3) == [("edited", "A-c1"), ("edited", "B")]
    edit = next(c for c in changes3 if c["site_id"] == "A-c1")
    assert edit["evidence"]["fields"] == {"name": {"registry": "贺兰县教育体育局", "discovered": "教育局"}}
    assert edit["evidence"]["kept"].startswith("the hand edit is kept")
    # from then on a manual row like any other: kept, nothing more to say
    rows4, changes4 = R.reconcile(_registry_round_trip(tmp_path, rows3), _found(), now="t4", run_seeds=["s"])
    assert changes4 == [] and {r["site_id"]: r["name"] for r in rows4}["A-c1"] == "贺兰县教育体育局"


def test_a_manual_row_whose_site_moved_is_kept_and_the_move_reported():
    strip = lambda r: {k: v for k, v in r.items() if not k.startswith("_")}  # noqa: E731
    manual = {**strip(_row("M", "http://m.gov.cn/", code="6401050001")), "source": "manual", "name": "hand typed"}
    plain = {**strip(_row("R", "http://r.gov.cn/")), "source": "manual", "site_code": ""}
    moved = _row("6401050001", "http://m2.gov.cn/", code="6401050001")           # same 网站标识码, new URL
    redirected = _row("640122-abc", "http://r2.gov.cn/")                      # its old URL redirects here
    redirected["_evidence"] = {"linked_url": "http://r.gov.cn/", "redirects": ["301 http://r2.gov.cn/"]}
    rows, changes = R.reconcile([manual, plain], [moved, redirected], now="t", run_seeds=["s"])
    assert {r["site_id"]: r for r in rows} == {"M": manual, "R": plain}       # the person's rows, untouched
    assert sorted((c["change"], c["site_id"], c["old_url"], c["new_url"]) for c in changes) == [
        ("moved_manual", "M", "http://m.gov.cn/", "http://m2.gov.cn/"),
        ("moved_manual", "R", "http://r.gov.cn/", "http://r2.gov.cn/")]
    by = {c["site_id"]: c["evidence"] for c in changes}
    assert by["M"]["matched_by"] == "site_code" and by["R"]["matched_by"] == "redirect"
    assert by["R"]["redirects"] == ["301 http://r2.gov.cn/"] and "kept" in by["M"]
