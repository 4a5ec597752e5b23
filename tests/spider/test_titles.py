"""Which list items are annual reports, and the year and agency their titles name."""
import pytest

from harvester.crawl.titles import is_report_title, title_agency, title_year

REPORTS = [
    ("大寨乡2022年政府信息公开工作年度报告", 2022, "大寨乡"),
    ("平潭综合实验区2025年度政府信息公开工作年度报告", 2025, "平潭综合实验区"),
    ("原州区头营镇 2023年政府信息公开工作年度报 告", 2023, "原州区头营镇"),
    ("红寺堡区红寺堡镇2023 年政府信息公开工作年度报告", 2023, "红寺堡区红寺堡镇"),
    ("县教育局2019年政府信息公开年报（图片版）", 2019, "县教育局"),
    ("2019年上海市人民政府办公厅政府信息公开工作年度报告", 2019, "上海市人民政府办公厅"),
    ("2023年度政府信息公开工作年度报告", 2023, None),
    ("某街道2021年度信息公开年报（超链版）", 2021, "某街道"),
    ("平潭综合实验区地方税务局2013年政府信息公开年度报告", 2013, "平潭综合实验区地方税务局"),
]
NOISE = [
    "召开2020年度工作会",
    "关于2023年政务公开工作要点落实情况的函",
    "县财政局2023年度部门决算报告",
    "某县召开2019年政府信息公开工作年度报告编制工作会议",
    "关于印发2022年政府信息公开工作年度报告格式的通知",
    "2024年政务公开工作要点",
    "政府信息公开年报",                       # a column link, no year
    "某县2023年国民经济和社会发展统计公报",
]


@pytest.mark.parametrize("title, year, agency", REPORTS)
def test_reports_are_kept_with_year_and_agency(title, year, agency):
    assert is_report_title(title)
    assert title_year(title) == year
    assert title_agency(title) == agency


@pytest.mark.parametrize("title", NOISE)
def test_noise_is_dropped(title):
    assert not is_report_title(title)
