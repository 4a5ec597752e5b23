"""Extracted -> ParsedReport: identity, sections, tables 二/三/四 (or the pre-2019 statistics table), checks."""
from __future__ import annotations

import re

from .checks import table_checks, text_check
from .meta import report_identity
from .model import NO_TABLES, NOT_A_REPORT, PARSED, PARTIAL, TEXT_ONLY, Cell, ParsedReport
from .normalize import nfkc, squash
from .rows import Row, detect, looks_glued, rows_from_glued, rows_from_grid, rows_from_lines
from .schema import detect_rule, format_cell_ids
from .sections import Section, find_sections
from .tables import TableResult, map_pre2019, map_t2, map_t3, map_t4

GOV = ("gov2019", "gov2021")
_T3_START = re.compile(r"本列数据|申请人情况|本年新收")
_T4_HEAD = re.compile(r"行政复议[^\n]{0,40}?行政诉讼|行政复议\s*\n")
_T2_START = re.compile(r"第二十条")
_STATS = re.compile(r"指标名称|信息公开(?:工作)?(?:情况)?统计表|统计表")
_REPORT_WORDS = re.compile(r"信息公开|政务公开")


def year_prior(year: int | None) -> str | None:
    if year is None:
        return None
    return "pre2019" if year <= 2018 else ("gov2019" if year <= 2020 else "gov2021")


def _classify_grid(grid: list[list[str]]) -> str | None:
    sq = squash("".join("".join(r) for r in grid))
    if detect(sq, detect_rule("t3")):
        return "t3"
    if detect(sq, detect_rule("t4")):
        return "t4"
    if detect(sq, detect_rule("t2")):
        return "t2"
    if detect(sq, detect_rule("pre2019")):
        return "pre2019"
    return None


def _text_rows(region: str, glued: bool) -> list[Row]:
    return rows_from_glued(region) if glued else rows_from_lines(region)


def _regions(text: str, secs: list[Section]) -> dict[str, str]:
    """Text of the table regions: 二 in s2, 三 in s3, 四 in s4, with fallbacks on table markers."""
    by = {s.id: s for s in secs}
    out: dict[str, str] = {}
    s2, s3, s4, s5 = (by.get(k) for k in ("s2_active", "s3_requests", "s4_review_litigation", "s5_problems"))
    t3_start = None
    if s3:
        out["t3"] = text[s3.body:s3.end]
        t3_start = s3.start
    else:
        m = _T3_START.search(text)
        if m:
            t3_start = m.start()
            end = s4.start if s4 and s4.start > m.start() else (s5.start if s5 and s5.start > m.start() else len(text))
            m4 = _T4_HEAD.search(text, m.start())
            if m4 and m4.start() < end:
                end = m4.start()
            out["t3"] = text[m.start():end]
    if s2:
        out["t2"] = text[s2.body:s2.end]
    else:
        m = _T2_START.search(text)
        if m and (t3_start is None or m.start() < t3_start):
            out["t2"] = text[m.start(): t3_start if t3_start is not None else min(len(text), m.start() + 3000)]
    if s4:
        out["t4"] = text[s4.body:s4.end]
    elif t3_start is not None:
        m4 = _T4_HEAD.search(text, t3_start)
        if m4:
            end = s5.start if s5 and s5.start > m4.start() else min(len(text), m4.start() + 2000)
            out["t4"] = text[m4.start():end]
    m = _STATS.search(text)
    if m:
        out["pre2019"] = text[m.start():]
    return out


def _choose_format(t2: TableResult, t3: TableResult, t4: TableResult, stats: TableResult | None,
                   prior: str | None) -> str | None:
    t2f = t2.fmt if t2.found else None
    t3f = t3.fmt if t3.found else None
    if t2f and t3f:
        if t2f == t3f:
            return t3f
        return prior if prior in (t2f, t3f) else t3f
    if t2f or t3f:
        return t3f or t2f
    if t3.found or t4.found:
        return prior if prior in GOV else "gov2021"
    if (stats is not None and stats.found) or prior == "pre2019":
        return "pre2019"
    return prior


def parse_extracted(ex, *, title: str | None = None, meta: dict | None = None) -> ParsedReport:
    """Parse an ``Extracted`` into cells and checks. Never raises: failures become a status."""
    try:
        return _parse(ex, title, meta)
    except Exception as exc:  # a parser bug must not stop a pipeline; it is reported, not hidden
        rep = ParsedReport(status="parse_error")
        rep.problems.append(f"parse_error: {type(exc).__name__}: {exc}"[:500])
        return rep


def _parse(ex, title: str | None, meta: dict | None) -> ParsedReport:
    m = dict(ex.meta or {})
    m.update({k: v for k, v in (meta or {}).items() if v})
    text = nfkc((ex.text or "").replace("\r\n", "\n").replace("\r", "\n"))
    ident = report_identity(text, m, title)
    rep = ParsedReport(agency=ident["agency"], year=ident["year"], title=ident["title"],
                       publish_date=ident["publish_date"])
    rep.meta = m
    if ex.problem:
        rep.status = ex.problem
        rep.problems.append(f"{ex.problem}: {ex.detail}" if ex.detail else ex.problem)
        return rep
    if not text.strip() and not ex.tables:
        rep.status = "empty"
        rep.problems.append("empty: the document has no text")
        return rep

    secs = find_sections(text)
    rep.sections = {s.id: text[s.body:s.end].strip() for s in secs}
    prior = year_prior(rep.year)

    # rows per table: grids first (HTML/DOCX), else the text region
    grid_rows: dict[str, list[Row]] = {}
    ids_list = getattr(ex, "table_cell_ids", None) or []
    for i, grid in enumerate(ex.tables or []):
        kind = _classify_grid(grid)
        if kind:
            grid_rows.setdefault(kind, []).extend(rows_from_grid(grid, ids_list[i] if i < len(ids_list) else None))
    regions = _regions(text, secs)
    # glued digits are a property of how the document was flattened: decide once for all its tables
    glued = looks_glued("\n".join(regions[k] for k in ("t2", "t3", "t4", "pre2019") if k in regions))
    rows: dict[str, list[Row]] = {}
    for kind in ("t2", "t3", "t4", "pre2019"):
        if kind in grid_rows:
            rows[kind] = grid_rows[kind]
        elif kind in regions:
            rows[kind] = _text_rows(regions[kind], glued)
        else:
            rows[kind] = []

    t3 = map_t3(rows["t3"], prior if prior in GOV else None)
    t2 = map_t2(rows["t2"], t3.fmt or (prior if prior in GOV else None), squash(regions.get("t2", "")))
    t4 = map_t4(rows["t4"])
    stats = None
    if not t3.found and (prior == "pre2019" or prior is None or "pre2019" in grid_rows):
        stats = map_pre2019(rows["pre2019"], squash(regions.get("pre2019", "")[:300]))
    fmt = _choose_format(t2, t3, t4, stats, prior)
    rep.report_format = fmt
    for t in (t2, t3):
        if t.found and t.fmt:
            rep.table_formats[t.kind] = t.fmt
    if t4.found:
        rep.table_formats["t4"] = fmt if fmt in GOV else "gov2021"
    if stats is not None and stats.found:
        rep.table_formats["pre2019"] = "pre2019"

    if fmt in GOV:
        found = [t for t in (t2, t3, t4) if t.found]
        for cid in format_cell_ids(fmt):
            rep.cells[cid] = Cell(None, "", None, ["missing"])
        for t in found:
            if t.kind in ("t2", "t3") and t.fmt and t.fmt != fmt:
                for cid in list(rep.cells):
                    if cid.startswith("active." if t.kind == "t2" else "apply."):
                        rep.cells[cid] = Cell(None, "", None, ["not_printed"])
                rep.problems.append(f"table {'二' if t.kind == 't2' else '三'} is printed in the {t.fmt} layout "
                                    f"in a {fmt} report: its cells use {t.fmt} ids")
            rep.cells.update(t.cells)
            rep.problems.extend(t.problems)
        if not found:
            rep.status = NO_TABLES
            rep.problems.append("no statistical table (二/三/四) found in the text: tables may be images or in an attachment")
        else:
            missing = [n for n, t in (("二", t2), ("三", t3), ("四", t4)) if not t.found]
            if missing:
                rep.problems.append("tables not found: " + ", ".join(missing))
            rep.status = PARTIAL if missing or any(t.incomplete for t in found) else PARSED
            rep.checks = table_checks(rep, t3.printed_rows, t3.fmt or fmt, t4.found)
            rep.checks.append(text_check(rep, text))
    elif fmt == "pre2019":
        for cid in format_cell_ids("pre2019"):
            rep.cells[cid] = Cell(None, "", None, ["not_printed"])
        if stats is not None and stats.found:
            rep.cells.update(stats.cells)
            rep.problems.extend(stats.problems)
            rep.status = PARTIAL if stats.incomplete else PARSED
        else:
            rep.status = TEXT_ONLY
            rep.problems.append("pre-2019 report without a statistics table: sections only")
    else:
        looks_report = bool(_REPORT_WORDS.search(text[:5000])) and (len(secs) >= 2 or rep.year is not None)
        if looks_report:
            rep.status = NO_TABLES
            rep.problems.append("report format unknown: no year and no statistical table found")
        else:
            rep.status = NOT_A_REPORT
            rep.problems.append("not an annual report: no title, sections or tables of a 政府信息公开工作年度报告")
    return rep
