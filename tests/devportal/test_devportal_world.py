"""The world as data: determinism, ground truth consistency, the quirks it promises."""
from __future__ import annotations

import re
from collections import Counter

from harvester.devportal import build_world, hard_check_failures
from harvester.devportal.templates import LAYOUTS
from harvester.report.schema import format_cell_ids

LAYOUT_MARKERS = {
    "govcn": "<b>索 引 号：</b></td>",
    "jiangsu": '<table class="xxgk_table"',
    "zhejiang": "<td>索引号：</td><td>",
    "wuhan": "<li>索引号： ",
    "suzhou": "<label><font>索 引 号：</font></label><div>",
    "beijing": "<dt>索引号：</dt><dd>",
    "bulleted": '<span class="attr-name">索引号</span>\n  <p class="attr-value">',
}


def _text(res) -> str:
    body = res.data()
    enc = "gb18030" if ("gb" in res.content_type.lower() or b"charset=gb" in body[:600]) else "utf-8"
    return body.decode(enc)


def test_same_seed_same_world():
    a, b, c = build_world(7), build_world(7), build_world(8)
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()
    assert [r.cells for r in a.reports] == [r.cells for r in b.reports]
    # lazily rendered documents too
    for ra, rb in list(zip(a.reports, b.reports))[:12]:
        if ra.doc_type != "html":
            assert a.site(ra.site_id).lookup(ra.document_url).data() == b.site(rb.site_id).lookup(rb.document_url).data()


def test_ground_truth_is_consistent(world):
    keys = Counter((r.site_id, r.agency, r.year) for r in world.reports)
    assert max(keys.values()) == 1, "one report per agency and year"
    for r in world.reports:
        site = world.site(r.site_id)
        assert site.lookup(r.page_url) is not None, r.page_url
        assert site.lookup(r.document_url) is not None, r.document_url
        if r.cells is None:
            assert r.source == "corpus" and r.expected_json
        else:
            assert list(r.cells) == format_cell_ids(r.format)
            assert hard_check_failures(r.cells, r.format) == []
        assert r.format == ("gov2019" if r.year <= 2020 else "gov2021") or r.source == "corpus"
        assert str(r.year) in r.title


def test_world_contents(world):
    assert {s.site_id for s in world.sites} >= {"hongze", "pingtan", "huaian"}
    by = Counter((r.doc_type) for r in world.reports)
    assert by["html"] >= 10 and by["pdf"] >= 10 and by["docx"] >= 5
    kinds = Counter(r.kind for r in world.reports)
    assert kinds["government"] >= 15 and kinds["department"] >= 20 and kinds["township"] >= 15
    assert Counter(r.format for r in world.reports)["gov2019"] >= 6
    corpus = {r.expected_json for r in world.reports if r.source == "corpus"}
    assert corpus == {"hongze-2023.json", "hongze-2024.json", "huaian-2024.json", "pingtan-2025.json"}
    reasons = Counter(n.reason for n in world.noise)
    for reason in ("news", "letter", "other_body", "notice", "duplicate_listing", "repost", "image_version"):
        assert reasons[reason] >= 1, reason


def test_noise_is_not_a_report(world):
    report_urls = {(r.site_id, r.page_url) for r in world.reports}
    dup_urls = {(r.site_id, u) for r in world.reports for u in r.also_at}
    for n in world.noise:
        if n.reason == "duplicate_listing":
            assert (n.site_id, n.page_url) in report_urls
        elif n.reason in ("repost", "image_version"):
            assert (n.site_id, n.page_url) in dup_urls and (n.site_id, n.page_url) not in report_urls
        else:
            assert (n.site_id, n.page_url) not in report_urls | dup_urls


def test_a_list_date_disagrees_with_the_url_date(world):
    col = world.site("hongze").columns["/zfxxgk/zfxxgknb/"]
    mismatched = [e for e in col.entries
                  if re.search(r"/t(\d{8})_", e.href).group(1) != e.date.replace("-", "")]
    assert mismatched


def test_every_metadata_layout_appears(world):
    seen = set()
    for s in world.sites:
        for path, res in s.resources.items():
            if res.role == "detail":
                text = _text(res)
                seen |= {name for name, marker in LAYOUT_MARKERS.items() if marker in text}
    assert seen == set(LAYOUTS)


def test_detail_pages_carry_standard_meta(world):
    """TRS detail pages (the other families: test_devportal_families.py)."""
    trs = {s.site_id for s in world.sites if s.platform == "trs"}
    for r in world.reports:
        if r.site_id not in trs:
            continue
        text = _text(world.site(r.site_id).lookup(r.page_url))
        for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate", "ContentSource"):
            assert f'<meta name="{name}"' in text, (r.page_url, name)
        assert 'class="TRS_Editor"' in text or "class=TRS_Editor" in text
        assert r.index_no in text and r.publish_date in text
        assert re.search(r"/\d{6}/t\d{8}_\d+\.s?html?$", r.page_url)
        if r.doc_type != "html":
            assert re.search(r"/\d{6}/P0\d{8}\d{12}\.(pdf|docx)$", r.document_url)
            assert r.document_url.rsplit("/", 1)[1] in text
    assert any("Custom_UnionStyle" in _text(world.site(r.site_id).lookup(r.page_url)) for r in world.reports)


def test_html_reports_have_tables_and_corpus_content(world):
    for r in world.reports:
        if r.doc_type == "html":
            text = _text(world.site(r.site_id).lookup(r.page_url))
            assert text.count("<table") >= 3, r.page_url
            assert "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）" in text
    pt = next(r for r in world.reports if r.expected_json == "pingtan-2025.json")
    text = _text(world.site("pingtan").lookup(pt.page_url))
    assert pt.page_url == "/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert 'rowspan="22"' in text and "4166.241619" in text
