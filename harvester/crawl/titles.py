"""Is a list item a disclosure annual report? Which year and which agency does its title name?

Titles vary: with or without 工作, 年度 vs 年, spaces inside (`2023 年`, `年度报 告`), suffixes such as
（图片版）/（超链版）. Column pages mix them with news (召开…工作会), 要点落实 letters, other bodies'
reports (决算) and notices about the report; those are dropped here.
"""
from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"[\s\u3000]+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_REPORT = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|政务公开(?:工作)?年度报告")
# words of items that mention a report but are not one
_NOISE = re.compile(r"召开|会议|工作会|培训|通知|的函|要点|落实情况|解读|印发|征求意见|决算|预算|统计公报|述职|考核|评议|目录|指南|编制说明")
_SUFFIX = re.compile(r"[（(](?:图片版|超链版|文字版|简版|全文|附件|PDF版|pdf版|修订版|更正版)[）)]")


def norm_title(title: str) -> str:
    t = unicodedata.normalize("NFKC", title or "")
    return _WS.sub("", t).strip()


def is_report_title(title: str) -> bool:
    """A year + 政府信息公开 + 年度报告/年报, and none of the noise words."""
    t = norm_title(title)
    if not t or not _YEAR.search(t) and not re.search(r"(?:19|20)\d{2}年度", t):
        return False
    if not _REPORT.search(t):
        return False
    return not _NOISE.search(t)


def title_year(title: str) -> int | None:
    """The report year: the year just before 年(度)…报告 (`2023年度`), not a date elsewhere."""
    t = norm_title(title)
    m = re.search(r"((?:19|20)\d{2})年(?:度)?[^0-9]{0,12}?(?:政府|政务)?信息公开", t) or _YEAR.search(t)
    return int(m.group(1)) if m else None


def title_agency(title: str) -> str | None:
    """The publisher named before the year (`大寨乡2022年…` → 大寨乡), or None when the title has none."""
    t = _SUFFIX.sub("", norm_title(title))
    m = re.search(r"((?:19|20)\d{2})年", t)
    if not m:
        return None
    head = t[: m.start()]
    head = re.sub(r"^(?:关于|公布|发布)", "", head)
    head = head.strip("《》“”\"'：:-—_|·")
    if head:
        return head
    # `2019年上海市人民政府办公厅政府信息公开工作年度报告`: the publisher follows the year
    tail = re.sub(r"^度", "", t[m.end():])
    n = re.search(r"(?:政府|政务)?信息公开", tail)
    between = tail[: n.start()] if n else ""
    return between if len(between) >= 2 else None
