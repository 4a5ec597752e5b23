"""`harvester export --wacz --agency`: which agency a value names (harvester.research.wacz.match_agency) — exactly,
never by substring; a prefix only when one agency has it. The package itself: tests/e2e/test_warc.py."""
from __future__ import annotations

import pytest

from harvester.agencies import normalize_agency_name
from harvester.research.wacz import WaczError, _selected_reports, match_agency


def _row(n, agency, agency_id, code="35"):
    return {"id": n, "agency": agency, "norm_name": normalize_agency_name(agency), "agency_id": agency_id,
            "code": code}


ROWS = [
    _row(1, "平潭综合实验区", "350100-平潭综合实验区-平潭综合实验区"),
    _row(2, "平潭综合实验区", "350100-平潭综合实验区-平潭综合实验区"),            # its second year
    _row(3, "平潭综合实验区经济发展局", "350100-平潭综合实验区-平潭综合实验区经济发展局"),
    _row(4, "平潭综合实验区社会事业局", "350100-平潭综合实验区-平潭综合实验区社会事业局"),
    _row(5, "德清县人民政府", "330521-德清县人民政府", code="33"),
    _row(6, "教育局", "330521-教育局", code="33"),                                # one name, two divisions
    _row(7, "教育局", "430923-教育局", code="43"),
]


def ids(province_code, agency):
    return [r["id"] for r in _selected_reports(None, province_code, agency, ROWS)]


def test_an_exact_name_is_that_agency_only_not_every_name_containing_it():
    assert ids(None, "平潭综合实验区") == [1, 2]
    assert ids(None, " 平潭综合实验区 ") == [1, 2]


def test_an_agency_id_and_a_normalised_name():
    assert ids(None, "350100-平潭综合实验区-平潭综合实验区经济发展局") == [3]
    assert ids(None, "德清县政府") == [5]                       # 县政府 ≡ 县人民政府
    assert ids(None, "德清县 人民政府") == [5]


def test_a_prefix_of_one_agency_only():
    assert ids(None, "平潭综合实验区经济") == [3]
    assert ids(None, "德清") == [5]
    assert ids(None, "430923") == [7]                          # the start of one agency_id


def test_a_prefix_of_several_fails_listing_them():
    assert ids(None, "平潭综合实验区社") == [4]
    with pytest.raises(WaczError) as err:
        ids(None, "平潭综合")
    msg = str(err.value)
    assert "3 agencies" in msg and "平潭综合实验区经济发展局" in msg and "350100-平潭综合实验区-平潭综合实验区社会事业局" in msg


def test_one_name_in_two_divisions_fails_unless_the_province_settles_it():
    with pytest.raises(WaczError, match="2 agencies: 教育局 \\(330521-教育局\\); 教育局 \\(430923-教育局\\)"):
        ids(None, "教育局")
    assert ids("43", "教育局") == [7]                            # --province narrows first
    assert ids(None, "330521-教育局") == [6]


def test_nothing_matching_is_an_error():
    with pytest.raises(WaczError, match="names no agency"):
        ids(None, "实验区")                                      # a substring, not a prefix
    with pytest.raises(WaczError, match="names no agency"):
        ids("33", "平潭综合实验区")                               # not in that province
    assert match_agency(ROWS, "平潭综合实验区") == "350100-平潭综合实验区-平潭综合实验区"
