"""The data dictionary: built from report-format.json, an English label for every cell id."""
from __future__ import annotations

from collections import Counter

import pytest

import harvester.research.codebook as dictionary
from harvester.research.codebook import DICTIONARY_COLUMNS, MissingTranslation, dictionary_rows
from harvester.report.schema import all_cell_ids, format_cell_ids, load_schema

FORMATS = ("gov2021", "gov2019", "pre2019")


def test_one_row_per_cell_id_in_schema_order():
    rows = dictionary_rows()
    assert [r["cell_id"] for r in rows] == list(all_cell_ids())
    assert all(tuple(r) == DICTIONARY_COLUMNS for r in rows)


def test_formats_match_the_specification():
    by_id = {r["cell_id"]: set(r["formats"].split(";")) for r in dictionary_rows()}
    for fmt in FORMATS:
        ids = set(format_cell_ids(fmt))
        assert ids and {cid for cid, f in by_id.items() if fmt in f} == ids
    assert len([c for c, f in by_id.items() if "gov2021" in f]) == 200
    assert len([c for c, f in by_id.items() if "gov2019" in f]) == 198


@pytest.mark.parametrize("fmt", FORMATS)
def test_english_labels_present_and_unique_per_format(fmt):
    rows = [r for r in dictionary_rows() if fmt in r["formats"].split(";")]
    labels = [r["label_en"] for r in rows]
    assert all(label.strip() and label.isascii() for label in labels)
    assert [label for label, n in Counter(labels).items() if n > 1] == []


def test_chinese_labels_and_units():
    for r in dictionary_rows():
        assert r["row_label_zh"] and r["col_label_zh"] and r["unit"] and r["table"] in ("t2", "t3", "t4", "pre2019")
    schema = load_schema()
    t2 = {c["id"]: c for c in schema["table2"]["gov2021"]}
    rows = {r["cell_id"]: r for r in dictionary_rows()}
    assert rows["active.fees.amount_wan_yuan"]["unit"] == "万元"
    assert rows["active.rules.issued"]["col_label_zh"] == t2["active.rules.issued"]["col_label"]
    assert rows["apply.new.commercial"]["col_label_zh"] == "法人或其他组织/商业企业"
    assert rows["pre2019.fees.total"]["unit"] == "元"


def test_every_schema_label_is_translated_once():
    """The translation table covers the label vocabulary, and only it: no stale entries."""
    schema = load_schema()
    labels = set()
    for fmt in ("gov2021", "gov2019"):
        for c in schema["table2"][fmt]:
            labels |= {c["block_header"], c["row_label"], c["col_label"]}
    for r in schema["table3"]["rows"]:
        labels |= {r["group"], r["label"]}
    labels |= {c["label"] for c in schema["table3"]["columns"]}
    for c in schema["table4"]["cells"]:
        labels |= {c["block_label"], c["col_label"]}
    labels |= {c["label"] for c in schema["pre2019"]["cells"]}
    assert labels == set(dictionary.EN)


def test_a_label_without_translation_is_an_error(monkeypatch):
    label = load_schema()["table4"]["cells"][0]["col_label"]
    monkeypatch.delitem(dictionary.EN, label)
    dictionary_rows.cache_clear()
    try:
        with pytest.raises(MissingTranslation, match=label):
            dictionary_rows()
    finally:
        monkeypatch.undo()
        dictionary_rows.cache_clear()
    assert dictionary_rows()


def test_imputable_only_where_hard_checks_can_confirm_a_zero():
    by_table = {}
    for r in dictionary_rows():
        by_table.setdefault(r["table"], set()).add(r["imputable"])
    assert by_table == {"t2": {"no"}, "t3": {"yes"}, "t4": {"yes"}, "pre2019": {"no"}}
