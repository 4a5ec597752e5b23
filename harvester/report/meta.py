"""Report title, agency, year and publish date (spec §1): from page metadata first, then the text."""
from __future__ import annotations

import re

from .normalize import nfkc

_WS = re.compile(r"[ \t\u3000\xa0]+")
# "<agency> 2023 年(度)<agency?>(政府)信息公开(工作)年(度)报 告" with spaces anywhere
_TITLE = re.compile(
    r"(?P<year>20\d{2})\s*年\s*度?(?P<post>[^\n\d]{0,40}?)(?:政\s*府\s*)?信\s*息\s*公\s*开\s*"
    r"(?:工\s*作\s*)?(?:年\s*度\s*)?(?:年\s*)?报\s*告")
_STATS_FROM = re.compile(r"(?:统计数据|数据的?统计期限|统计期限|所列数据|统计时限|统计时段|数据统计)[^。\n]{0,12}?(?:从|自|为|是)?\s*(20\d{2})\s*年\s*1\s*月\s*1\s*日")
_AGENCY_LINE = re.compile(r"(?:人民政府|政府|办公厅|办公室|委员会|管委会|局|委|办|厅|署|院|中心|镇|乡|街道|区|县|市|州|盟|旗|实验区|开发区|新区)$")
_AGENCY_JUNK = re.compile(r"^(?:关于|印发|发布|公布|[《“\"【\[(（])+|[》”\"】\])）:：，,]+$")
_DATE = re.compile(r"(?:发布日期|发布时间|公开日期|成文日期|日期)\s*[:：]?\s*(20\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")


def _clean_agency(s: str) -> str | None:
    s = _WS.sub("", s)
    prev = None
    while prev != s:
        prev, s = s, _AGENCY_JUNK.sub("", s)
    s = s.strip("-—_|·•")
    return s if 2 <= len(s) <= 40 else None


def _from_title_line(title: str) -> tuple[str | None, int | None]:
    title = nfkc(title)
    m = _TITLE.search(title)
    if not m:
        return None, None
    year = int(m.group("year"))
    pre = title[title.rfind("\n", 0, m.start()) + 1: m.start()]
    chunks = [c for c in _WS.split(pre.strip()) if c]
    agency = None
    if chunks:
        agency = chunks[-1]
        if len(agency) < 2 and len(chunks) > 1:
            agency = chunks[-2] + agency
        agency = _clean_agency(agency)
    if not agency:
        agency = _clean_agency(m.group("post"))
    return agency, year


def title_from_text(text: str, limit: int = 3000) -> tuple[str | None, str | None, int | None]:
    """(title line, agency, year) from the first title-like line of the text."""
    head = nfkc(text[:limit])
    m = _TITLE.search(head)
    if not m:
        return None, None, None
    line_start = head.rfind("\n", 0, m.start()) + 1
    title = head[line_start: m.end()].strip()
    agency, year = _from_title_line(title)
    if not agency:
        # the agency printed on the line above the title ("洪泽区人民政府\n2023 年政府信息公开…")
        above = [ln.strip() for ln in head[:line_start].split("\n") if ln.strip()]
        if above:
            cand = _WS.sub("", above[-1])
            if len(cand) <= 30 and _AGENCY_LINE.search(cand) and not re.search(r"\d", cand):
                agency = cand
                title = cand + title
    return title, agency, year


_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+(?=[\d\u4e00-\u9fff])")


def clean_title(title: str | None) -> str | None:
    """The title as printed, without layout spaces ('头营镇 2023 年…年度报 告' -> '头营镇2023年…年度报告')."""
    if not title:
        return None
    return _CJK_SPACE.sub("", nfkc(title)).strip() or None


def report_identity(text: str, meta: dict, title: str | None = None) -> dict:
    """agency, year, title, publish_date from explicit title, page metadata and the text."""
    out: dict = {"title": None, "agency": None, "year": None, "publish_date": None}
    for cand in (title, meta.get("title"), meta.get("page_title")):
        if cand:
            agency, year = _from_title_line(cand)
            if year:
                out.update(title=nfkc(cand).strip(), agency=agency, year=year)
                break
    t_title, t_agency, t_year = title_from_text(text)
    if out["year"] is None and t_year:
        out.update(title=t_title, agency=t_agency, year=t_year)
    elif out["agency"] is None and t_agency and t_year == out["year"]:
        out["agency"] = t_agency
    if out["year"] is None:
        m = _STATS_FROM.search(nfkc(text[:5000]))
        if m:
            out["year"] = int(m.group(1))
    pub = meta.get("publisher") or ""
    pub = _WS.sub("", pub)
    if out["agency"] and pub and pub != out["agency"] and pub == out["agency"] + "人民政府":
        out["agency"] = pub  # "大寨乡" in the title, "大寨乡人民政府" as publisher
    if out["agency"] is None and pub:
        out["agency"] = pub
    date = meta.get("publish_date")
    if not date:
        m = _DATE.search(nfkc(text[:4000]))
        if m:
            y, mo, d = (int(x) for x in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                date = f"{y:04d}-{mo:02d}-{d:02d}"
    out["publish_date"] = date or None
    out["title"] = clean_title(out["title"])
    return out
