"""Extracted -> ParsedReport: identity, sections, tables 二/三/四 (or the pre-2019 statistics table), checks.

Order of work: title/agency/year/date (``meta``), sections (``sections``), rows of each table — from
the HTML/DOCX grids when there are any, else from the table's region of the text, read as text
lines or as glued digits (``rows``) — then cells (``tables``), format and status, checks (``checks``).

Format: decided per table (二 by its column headers and rows, 三 by its （六） rows) and for the
report by majority of table 二, table 三 and the year (≤2018 pre2019, 2019–2020 gov2019, ≥2021
gov2021); table 三's format when the year is no help. The cells are the report format's ids; a
table printed in the other format's layout adds its own ids and leaves the report format's ids of
that table empty, flagged ``not_printed`` (e.g. a 2023 report whose table 三 has the single
2019 （六） row: apply.other.* holds the printed row, apply.other.no_correction.* etc. are empty).

Status: the extraction problem if any; parsed (every table found and complete), partial (a table or
row missing, lost cells, undecidable glued digits — with the reason in ``problems``), no_tables,
text_only (pre-2019 without a statistics table), not_a_report.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from .checks import table_checks, text_check
from .impute import impute
from .meta import report_identity
from .model import NO_TABLES, NOT_A_REPORT, PARSED, PARTIAL, TEXT_ONLY, Cell, ParsedReport
from .normalize import join_broken_lines, nfkc, squash
from .rows import Row, detect, looks_glued, rows_from_glued, rows_from_grid, rows_from_lines
from .schema import detect_rule, format_cell_ids
from .sections import Section, find_sections
from .tables import TableResult, map_pre2019, map_t2, map_t3, map_t4

GOV = ("gov2019", "gov2021")
def _spaced(*words: str) -> re.Pattern:
    """Markers that may have spaces between their characters (P-M2: '结 果 维 持')."""
    return re.compile("|".join(r"\s*".join(map(re.escape, w)) for w in words))


# where a table starts inside its section (the narrative before it is not read as rows)
_T2_START = _spaced("第二十条", "信息内容", "本年制发件数", "本年新制作数量")
_T3_START = _spaced("本列数据", "申请人情况", "本年新收", "上年结转")
_T4_START = _spaced("结果维持", "尚未审结", "结果纠正", "未经复议", "复议后起诉")
_STATS_HEADER = _spaced("指标名称", "计量单位")
_STATS_HEADING = re.compile(r"[一二三四五六七八九十][、.]\s*[^。\n]{0,20}统计表")
_REPORT_WORDS = re.compile(r"信息公开|政务公开")


_WS = re.compile(r"\s+")


@lru_cache(maxsize=4)
def _format_ids(fmt: str) -> tuple[str, ...]:
    return tuple(format_cell_ids(fmt))


def year_prior(year: int | None) -> str | None:
    if year is None:
        return None
    return "pre2019" if year <= 2018 else ("gov2019" if year <= 2020 else "gov2021")


def _classify_grid(grid: list[list[str]]) -> str | None:
    # the header rows identify a table; the detection keywords need no NFKC
    sq = _WS.sub("", "".join("".join(r) for r in grid[:8]))
    if detect(sq, detect_rule("t3")):
        return "t3"
    if detect(sq, detect_rule("t4")):
        return "t4"
    if detect(sq, detect_rule("pre2019")):   # 指标名称/计量单位 headers: before T2, whose row words it may share
        return "pre2019"
    if detect(sq, detect_rule("t2")):
        return "t2"
    return None


def _text_rows(region: str, glued: bool, line0: int) -> list[Row]:
    return rows_from_glued(region, line0) if glued else rows_from_lines(region, line0)


def _newlines(s: str) -> str:
    return nfkc(s.replace("\r\n", "\n").replace("\r", "\n"))


def _normalized(ex) -> tuple[str, list[int] | None]:
    """The parser's text (NFKC, newlines) and, for a PDF, the line number at which each page starts.

    ``Extracted.page_starts`` are offsets in the extracted text; normalising page by page keeps the
    boundaries where they are (NFKC and newline repair may change lengths)."""
    raw = ex.text or ""
    starts = getattr(ex, "page_starts", None)
    if not starts:
        return _newlines(raw), None
    bounds = [*starts, len(raw)]
    head = _newlines(raw[:bounds[0]])
    pieces = [_newlines(raw[a:b]) for a, b in zip(bounds, bounds[1:])]
    page_lines = []
    line = 1 + head.count("\n")
    for piece in pieces:
        page_lines.append(line)
        line += piece.count("\n")
    return head + "".join(pieces), page_lines


def _regions(text: str, secs: list[Section]) -> tuple[dict[str, str], dict[str, int]]:
    """Text of each table: from its first marker inside its section (二 in s2, 三 in s3, 四 in s4) to the
    section's end; without headings, from the marker to the next table's marker. With the offset where
    each starts."""
    by = {s.id: s for s in secs}
    out: dict[str, str] = {}
    spans = {"t2": by.get("s2_active"), "t3": by.get("s3_requests"), "t4": by.get("s4_review_litigation")}
    markers = {"t2": _T2_START, "t3": _T3_START, "t4": _T4_START}
    starts: dict[str, int] = {}
    for kind in ("t2", "t3", "t4"):
        sec = spans[kind]
        if sec is not None:
            m = markers[kind].search(text, sec.body, sec.end)
            if m:
                starts[kind] = m.start()
                out[kind] = text[m.start():sec.end]
    for kind, nxt in (("t2", "t3"), ("t3", "t4"), ("t4", None)):
        if kind in out:
            continue
        after = max([starts[k] for k in starts if k < kind] or [0])
        m = markers[kind].search(text, after)
        if not m:
            continue
        end = len(text)
        if nxt:
            m2 = markers[nxt].search(text, m.end())
            if m2:
                end = m2.start()
        s5 = by.get("s5_problems")
        if s5 is not None and m.start() < s5.start < end:
            end = s5.start
        starts[kind] = m.start()
        out[kind] = text[m.start():end]
    m = _STATS_HEADER.search(text) or _STATS_HEADING.search(text)
    if m:  # the pre-2019 statistics table: from its header (or heading) to the end
        out["pre2019"] = text[m.start():]
        starts["pre2019"] = m.start()
    return out, starts


def _choose_format(t2: TableResult, t3: TableResult, t4: TableResult, stats: TableResult | None,
                   prior: str | None) -> str | None:
    """Report format: majority of (table 二, table 三, year prior); table 三 when that does not decide."""
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
    text, page_lines = _normalized(ex)
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
    rep.sections = {s.id: join_broken_lines(text[s.body:s.end]) for s in secs}
    prior = year_prior(rep.year)

    # rows per table: grids first (HTML/DOCX), else the text region
    grid_rows: dict[str, list[Row]] = {}
    ids_list = getattr(ex, "table_cell_ids", None) or []
    for i, grid in enumerate(ex.tables or []):
        kind = _classify_grid(grid)
        if kind:
            grid_rows.setdefault(kind, []).extend(
                rows_from_grid(grid, ids_list[i] if i < len(ids_list) else None, i + 1))
    regions, region_starts = _regions(text, secs)
    # glued digits are a property of how the document was flattened: decide once for all its tables
    glued = looks_glued("\n".join(regions[k] for k in ("t2", "t3", "t4", "pre2019") if k in regions))
    rows: dict[str, list[Row]] = {}
    for kind in ("t2", "t3", "t4", "pre2019"):
        if kind in grid_rows:
            rows[kind] = grid_rows[kind]
        elif kind in regions:
            rows[kind] = _text_rows(regions[kind], glued, text.count("\n", 0, region_starts[kind]) + 1)
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
        other_layout = {t.kind: t.fmt for t in found if t.kind in ("t2", "t3") and t.fmt and t.fmt != fmt}
        table_cells: dict = {}
        for t in found:
            table_cells.update(t.cells)
        for cid in _format_ids(fmt):
            cell = table_cells.get(cid)
            if cell is None:
                layout = other_layout.get("t2" if cid.startswith("active.") else "t3" if cid.startswith("apply.") else "")
                cell = Cell(None, "", None, ["not_printed" if layout else "missing"])
            rep.cells[cid] = cell
        rep.cells.update(table_cells)     # cells of a table printed in the other format's layout
        for kind, layout in other_layout.items():
            rep.problems.append(f"table {'二' if kind == 't2' else '三'} is printed in the {layout} layout "
                                f"in a {fmt} report: its cells use {layout} ids")
        for t in found:
            rep.problems.extend(t.problems)
        if not found and len(secs) < 2:
            rep.status = NOT_A_REPORT
            rep.problems.append("not an annual report: neither the report's sections nor its tables were found")
        elif not found:
            rep.status = NO_TABLES
            rep.problems.append("no statistical table (二/三/四) found in the text: tables may be images or in an attachment")
        else:
            missing = [n for n, t in (("二", t2), ("三", t3), ("四", t4)) if not t.found]
            if missing:
                rep.problems.append("tables not found: " + ", ".join(missing))
            rep.status = PARTIAL if missing or any(t.incomplete for t in found) else PARSED
            impute(rep, t3.printed_rows, t3.fmt or fmt, t4.found)
            rep.checks = table_checks(rep, t3.printed_rows, t3.fmt or fmt, t4.found)
            rep.checks.append(text_check(rep, text))
    elif fmt == "pre2019":
        for cid in _format_ids("pre2019"):
            rep.cells[cid] = Cell(None, "", None, ["not_printed"])
        if stats is not None and stats.found:
            rep.cells.update(stats.cells)
            rep.problems.extend(stats.problems)
            rep.status = PARTIAL if stats.incomplete else PARSED
        elif len(secs) >= 2:
            rep.status = TEXT_ONLY
            rep.problems.append("pre-2019 report without a statistics table: sections only")
        else:
            rep.status = NOT_A_REPORT
            rep.problems.append("not an annual report: neither the report's sections nor a statistics table were found")
    else:
        looks_report = bool(_REPORT_WORDS.search(text[:5000])) and (len(secs) >= 2 or rep.year is not None)
        if looks_report:
            rep.status = NO_TABLES
            rep.problems.append("report format unknown: no year and no statistical table found")
        else:
            rep.status = NOT_A_REPORT
            rep.problems.append("not an annual report: no title, sections or tables of a 政府信息公开工作年度报告")
    if page_lines:
        _pages(rep.cells, page_lines)
    return rep


def _pages(cells: dict[str, Cell], page_lines: list[int]) -> None:
    """The PDF page of every cell read from a text line."""
    for cell in cells.values():
        src = cell.source
        if src is not None:
            line = cell.line if cell.line is not None else src.line
            if line is not None:
                cell.page = bisect_right(page_lines, line)
