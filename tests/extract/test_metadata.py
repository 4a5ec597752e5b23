"""The 信息公开 metadata block in every layout of portals.md, and the standard meta tags."""
from pathlib import Path

import pytest

from harvester.extract.metadata import meta_from_html, meta_from_text, parse_date

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

LAYOUTS = {
    "govcn_2x4_table": (
        "<table><tr><td><b>索\u3000引\u3000号：</b></td><td>000014349/2020-00072</td>"
        "<td><b>主题分类：</b></td><td>综合政务</td></tr>"
        "<tr><td><b>发文机关：</b></td><td>甲县人民政府</td><td><b>成文日期：</b></td><td>2020年01月20日</td></tr>"
        "<tr><td><b>发文字号：</b></td><td>甲政办〔2020〕3号</td><td><b>发布日期：</b></td><td>2020年01月22日</td></tr></table>",
        {"index_no": "000014349/2020-00072", "publisher": "甲县人民政府", "written_date": "2020-01-20",
         "publish_date": "2020-01-22", "doc_number": "甲政办〔2020〕3号", "topic": "综合政务"}),
    "jiangsu_xxgk_table": (
        '<table class="xxgk_table"><tr><th>索 引 号</th><td>K28044908/2026-04277</td><th>发布机构</th><td>甲区教育局</td></tr>'
        "<tr><th>文\u3000\u3000号</th><td></td><th>发布日期</th><td>2026-01-28</td></tr></table>",
        {"index_no": "K28044908/2026-04277", "publisher": "甲区教育局", "publish_date": "2026-01-28"}),
    "zhejiang_td_pairs": (
        "<table><tr><td>索引号：</td><td>114403006955506492/2021-00426</td><td>发布机构：</td><td>乙镇人民政府</td></tr>"
        "<tr><td>成文日期：</td><td>2021-01-15</td><td>公开方式：</td><td>主动公开</td></tr></table>",
        {"index_no": "114403006955506492/2021-00426", "publisher": "乙镇人民政府", "written_date": "2021-01-15",
         "disclosure_mode": "主动公开"}),
    "wuhan_li": (
        "<ul><li>索引号： 696785044/2026-00017</li><li>发布机构：武汉市江岸区人民政府</li>"
        "<li>发布日期：2026-01-20</li><li>时效性：有效</li></ul>",
        {"index_no": "696785044/2026-00017", "publisher": "武汉市江岸区人民政府", "publish_date": "2026-01-20",
         "validity": "有效"}),
    "suzhou_label_div": (
        "<div><label><font>索 引 号：</font></label><div>014000319/2024-00031</div>"
        "<label><font>发布机构：</font></label><div>苏州市丙局</div>"
        "<label><font>发布日期：</font></label><div>2024.01.31</div></div>",
        {"index_no": "014000319/2024-00031", "publisher": "苏州市丙局", "publish_date": "2024-01-31"}),
    "beijing_dt_dd": (
        "<dl><dt>索引号：</dt><dd>11N000/2024-00012</dd><dt>发文机构：</dt><dd>北京市丁区人民政府</dd>"
        "<dt>发文字号：</dt><dd>京丁政发〔2024〕1号</dd><dt>成文日期：</dt><dd>2024-02-05</dd></dl>",
        {"index_no": "11N000/2024-00012", "publisher": "北京市丁区人民政府", "doc_number": "京丁政发〔2024〕1号",
         "written_date": "2024-02-05"}),
    "bullets_value_next_line": (
        "<ul><li>• 索引号</li><li>000014348/2023-00200</li><li>• 发布机构</li><li>大寨乡人民政府</li>"
        "<li>• 文号</li><li>• 发布日期</li><li>2023-02-02</li><li>• 时效性</li><li>有效</li></ul>",
        {"index_no": "000014348/2023-00200", "publisher": "大寨乡人民政府", "publish_date": "2023-02-02",
         "validity": "有效"}),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_metadata_block_layouts(layout):
    block, expected = LAYOUTS[layout]
    meta = meta_from_html(f"<html><body><div class='nav'>首页 &gt; 年报</div>{block}<div>正文</div></body></html>")
    for key, value in expected.items():
        assert meta.get(key) == value, (key, meta)
    assert "doc_number" not in meta or meta["doc_number"], "an empty 文号 must not swallow the next label"


def test_meta_tags_fill_title_and_date_when_block_is_missing():
    meta = meta_from_html('<html><head><meta name="ArticleTitle" content="甲县2023年政府信息公开工作年度报告">'
                          '<meta name="PubDate" content="2024.01.19 09:30"><meta name="ColumnName" content="政府信息公开年报">'
                          "</head><body><p>正文</p></body></html>")
    assert meta["title"] == "甲县2023年政府信息公开工作年度报告"
    assert meta["publish_date"] == "2024-01-19"
    assert meta["column"] == "政府信息公开年报"


def test_index_number_is_not_a_date():
    assert parse_date("2026-02-00018") is None
    assert parse_date("696785044/2026-00017") is None
    assert parse_date("发布时间：2020年1月20日 15:22") == "2020-01-20"


def test_real_trs_page_meta_tags():
    page = next((CORPUS / "real" / "pingtan").glob("2025-*.html")).read_bytes()
    meta = meta_from_html(page)
    assert meta["title"] == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert meta["publish_date"] == "2026-03-10"
    assert meta["source"] == "平潭综合实验区管委会办公室"


def test_flattened_page_text_seed_002():
    text = next((CORPUS / "seeds").glob("002_*.txt")).read_text(encoding="utf-8")
    meta = meta_from_text(text)
    assert meta == {"index_no": "000014348/2023-00200", "publisher": "大寨乡人民政府",
                    "publish_date": "2023-02-02", "validity": "有效"}


def test_archive_header_lines():
    text = next((CORPUS / "real" / "pingtan").glob("2025-*.txt")).read_text(encoding="utf-8")
    meta = meta_from_text(text)
    assert meta["publisher"] == "平潭综合实验区管委会办公室"
    assert meta["publish_date"] == "2026-03-10"
    assert "doc_number" not in meta
