"""Coverage: for every agency and year, was the report found, parsed, consistent — or is it missing?

The 条例 (2019) 第五十条 sets the deadlines for a year Y's report: departments publish by 31 January
of Y+1, governments (人民政府, 管委会, 街道办事处, 乡/镇, 行政公署 …) by 31 March of Y+1. The agencies and
years expected are every agency of the database × every year from that agency's first report year
(or ``since``) to the latest year whose (department) deadline has passed on ``as_of`` — and any later
year it already has a report for. Each (agency, year) gets one status:

=================  ===================================================================
``parsed``         found and parsed (``parsed``/``partial``), no failed check
``failed_checks``  found and parsed, at least one check FAIL
``unparsed``       found but not parsed (image_only, encrypted, no_tables, text_only, …)
``missing``        not found, and the deadline has passed
``not_due``        not found, the deadline has not passed yet
=================  ===================================================================

Each found report also carries the number of its imputed cells (blanks set to 0 by the §7 rule);
``imputed_reports`` counts the reports that have any, shown in the summary and the tooltips.

``write_csv`` writes the table (UTF-8 with BOM, deterministic order) and ``write_html`` a
self-contained page (inline CSS and a few lines of inline script, no network) with one heat map
(agency × year) per province, a legend, summary counts and a tooltip on every cell.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from harvester.divisions import province_code

STATUSES = ("parsed", "failed_checks", "unparsed", "missing", "not_due")
STATUS_LABELS = {
    "parsed": "parsed, checks pass",
    "failed_checks": "parsed, failed checks",
    "unparsed": "found, not parsed",
    "missing": "missing after deadline",
    "not_due": "not yet due",
}
STATUS_COLOURS = {
    "parsed": "#2e7d32",
    "failed_checks": "#f2a900",
    "unparsed": "#5b7fd6",
    "missing": "#c62828",
    "not_due": "#d4d4d4",
}
PARSED = ("parsed", "partial")
CSV_COLUMNS = ("province", "city", "county", "agency", "agency_id", "division_code", "site_id", "kind", "year", "deadline", "status",
               "parse_status", "failed_checks", "imputed_cells", "report_id", "title", "url")

_GOVERNMENT = re.compile(r"(人民政府|政府|管委会|管理委员会|街道办事处|办事处|街道|行政公署|[乡镇])$")
_TRAILER = re.compile(r"[（(][^（）()]*[)）]$")


def agency_kind(name: str) -> str:
    """'government' (deadline 31 March) or 'department' (31 January), from the agency's name."""
    name = _TRAILER.sub("", (name or "").strip())
    return "government" if _GOVERNMENT.search(name) else "department"


def deadline(year: int, kind: str) -> dt.date:
    return dt.date(year + 1, 3, 31) if kind == "government" else dt.date(year + 1, 1, 31)


def latest_due_year(as_of: dt.date) -> int:
    """The latest report year whose earliest (department) deadline has passed on ``as_of``."""
    year = as_of.year - 1
    while as_of <= deadline(year, "department"):
        year -= 1
    return year


@dataclass
class Entry:
    province: str
    city: str
    county: str
    agency: str
    agency_id: str                  # the stable id of harvester.research.identity (as in the exports)
    division_code: str
    site_id: str
    kind: str
    year: int
    deadline: str
    status: str
    parse_status: str = ""
    failed_checks: str = ""
    imputed_cells: int = 0          # how many of its cells are §7 zeros (blank all-zero rows/columns)
    report_id: int | None = None
    title: str = ""
    url: str = ""


def _text(value) -> str:
    """'' for None/NaN/NA (DataFrame blanks), else the value as text."""
    if value is None:
        return ""
    try:
        if value != value:          # NaN
            return ""
    except (TypeError, ValueError):   # pd.NA compares ambiguous
        return ""
    return str(value)


def _sort_key(e: Entry):
    return (province_code(e.province) or "99", e.province, e.city, e.county, e.agency, e.agency_id, e.year)


def compute(db, *, as_of: dt.date | None = None, since: int | None = None,
            province: str | None = None) -> list[Entry]:
    """The coverage entries of a ``harvester.research.ResearchDB``, sorted by province, division, agency, year."""
    as_of = as_of or dt.date.today()
    last_due = latest_due_year(as_of)
    agencies = db.agencies(province)
    reports = db.report_list(province)
    by_agency: dict[str, dict[int, dict]] = defaultdict(dict)
    for r in reports.to_dict("records"):
        by_agency[r["agency_id"]][int(r["year"])] = r
    entries: list[Entry] = []
    for a in agencies.to_dict("records"):
        aid = a["agency_id"]
        found = by_agency.get(aid, {})
        if since is not None:
            first = since
        elif found:
            first = min(found)
        else:
            continue            # an agency without any report and no --since: no year to expect
        last = max([last_due, *found])
        kind = agency_kind(a["agency"])
        for year in range(first, last + 1):
            due = deadline(year, kind)
            r = found.get(year)
            e = Entry(province=_text(a["province"]), city=_text(a["city"]), county=_text(a["county"]),
                      agency=a["agency"], agency_id=aid, division_code=_text(a["division_code"]),
                      site_id=_text(a["site_id"]), kind=kind, year=year, deadline=due.isoformat(),
                      status="")
            if r is None:
                e.status = "missing" if as_of > due else "not_due"
            else:
                e.report_id = int(r["report_id"])
                e.site_id = _text(r["site_id"]) or e.site_id
                e.parse_status = _text(r["parse_status"])
                e.failed_checks = _text(r["failed_checks"])
                imputed = _text(r.get("imputed_cells"))
                e.imputed_cells = len(imputed.split(";")) if imputed else 0
                e.title = _text(r["title"])
                e.url = _text(r["page_url"]) or _text(r["document_url"])
                if e.parse_status in PARSED:
                    e.status = "failed_checks" if e.failed_checks else "parsed"
                else:
                    e.status = "unparsed"
            entries.append(e)
    entries.sort(key=_sort_key)
    return entries


def counts(entries: Iterable[Entry]) -> dict[str, int]:
    c = Counter(e.status for e in entries)
    return {s: c.get(s, 0) for s in STATUSES}


def imputed_reports(entries: Iterable[Entry]) -> int:
    """How many of the found reports have imputed cells."""
    return sum(1 for e in entries if e.imputed_cells)


# ---- CSV -------------------------------------------------------------------------------------------------

def write_csv(entries: list[Entry], path: str | Path) -> Path:
    from harvester.csvsafe import neutralise

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for e in entries:
            d = asdict(e)
            w.writerow(["" if d[c] is None else d[c] if isinstance(d[c], int) else neutralise(str(d[c]))
                        for c in CSV_COLUMNS])
    tmp.replace(path)
    return path


# ---- HTML -------------------------------------------------------------------------------------------------

_CSS = """
:root { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", system-ui, sans-serif; }
body { margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
.sub { color: #555; margin: 0 0 16px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 18px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; font-size: 14px; }
.sw { display: inline-block; width: 16px; height: 16px; border-radius: 3px; border: 1px solid rgba(0,0,0,.15); }
table.summary { border-collapse: collapse; margin: 0 0 20px; font-size: 14px; }
table.summary th, table.summary td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
section.province { margin: 0 0 32px; }
section.province h2 { font-size: 18px; margin: 0 0 6px; }
.pcounts { font-size: 13px; color: #444; margin: 0 0 8px; }
.pcounts span { margin-right: 12px; white-space: nowrap; }
table.heat { border-collapse: separate; border-spacing: 2px; font-size: 13px; }
table.heat th { font-weight: normal; color: #444; padding: 0 4px; }
table.heat th.agency { text-align: right; white-space: nowrap; max-width: 22em; overflow: hidden; text-overflow: ellipsis; }
table.heat th.agency small { color: #888; margin-left: 4px; }
table.heat td { width: 34px; height: 22px; border-radius: 3px; cursor: default; }
table.heat td.none { background: transparent; }
""" + "".join(f"table.heat td.s-{s}, .sw.s-{s} {{ background: {c}; }}\n" for s, c in STATUS_COLOURS.items()) + """
#tip { position: fixed; display: none; pointer-events: none; background: #222; color: #fff; padding: 6px 9px;
       border-radius: 4px; font-size: 13px; line-height: 1.45; max-width: 420px; white-space: pre-line; z-index: 10; }
"""

_JS = """
(function () {
  var tip = document.getElementById('tip');
  document.addEventListener('mouseover', function (ev) {
    var td = ev.target.closest('td[data-tip]');
    if (!td) { tip.style.display = 'none'; return; }
    tip.textContent = td.getAttribute('data-tip');
    tip.style.display = 'block';
  });
  document.addEventListener('mousemove', function (ev) {
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
})();
"""


def _tip(e: Entry) -> str:
    lines = [f"{e.agency} — {e.year}", STATUS_LABELS[e.status],
             f"{'government' if e.kind == 'government' else 'department'} · deadline {e.deadline}"]
    division = " ".join(x for x in (e.province, e.city, e.county) if x)
    if division:
        lines.insert(1, division)
    if e.report_id is not None:
        lines.append(f"parse status: {e.parse_status or '—'} · report {e.report_id}")
        if e.failed_checks:
            lines.append("failed checks: " + e.failed_checks.replace(";", ", "))
        if e.imputed_cells:
            lines.append(f"imputed cells: {e.imputed_cells} (blanks set to 0)")
        if e.title:
            lines.append(e.title)
    return "\n".join(lines)


def _counts_html(c: dict[str, int]) -> str:
    return "".join(f'<span><i class="sw s-{s}"></i> {STATUS_LABELS[s]}: <b>{c[s]}</b></span>' for s in STATUSES)


def render_html(entries: list[Entry], *, as_of: dt.date, title: str = "Report coverage") -> str:
    esc = html.escape
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[e.province].append(e)
    total = counts(entries)
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           (f'<p class="sub">政府信息公开工作年度报告 · as of {as_of.isoformat()} · '
            f"{len({e.agency_id for e in entries})} agencies, {len(groups)} provinces, {len(entries)} agency-years. "
            "Deadlines: departments 31 January, governments 31 March of the next year. "
            f'<span id="imputed">reports with imputed cells: {imputed_reports(entries)}</span> '
            "(blank all-zero rows or columns read as 0).</p>"),
           '<ul class="legend" id="legend">']
    for s in STATUSES:
        out.append(f'<li><i class="sw s-{s}"></i>{esc(STATUS_LABELS[s])}</li>')
    out.append("</ul>")
    out.append('<table class="summary" id="summary"><thead><tr><th>province</th>'
               + "".join(f'<th><i class="sw s-{s}"></i> {esc(STATUS_LABELS[s])}</th>' for s in STATUSES)
               + "<th>agency-years</th></tr></thead><tbody>")
    for prov, items in groups.items():
        c = counts(items)
        out.append(f"<tr><td>{esc(prov or '(unknown)')}</td>" + "".join(f"<td>{c[s]}</td>" for s in STATUSES)
                   + f"<td>{len(items)}</td></tr>")
    out.append("<tr><th>all</th>" + "".join(f"<th>{total[s]}</th>" for s in STATUSES)
               + f"<th>{len(entries)}</th></tr></tbody></table>")
    if not entries:
        out.append("<p>No agency-years to show.</p>")
    for n, (prov, items) in enumerate(groups.items()):
        years = list(range(min(e.year for e in items), max(e.year for e in items) + 1))
        rows: dict[int, dict[int, Entry]] = {}
        for e in items:
            rows.setdefault(e.agency_id, {})[e.year] = e
        code = province_code(prov) or "00"
        out.append(f'<section class="province" id="p-{code}-{n}" data-province="{esc(prov)}">')
        out.append(f"<h2>{esc(prov or '(unknown province)')}</h2>")
        out.append(f'<p class="pcounts">{_counts_html(counts(items))}</p>')
        out.append('<table class="heat"><thead><tr><th></th>'
                   + "".join(f'<th scope="col">{y}</th>' for y in years) + "</tr></thead><tbody>")
        for aid, by_year in rows.items():
            first = next(iter(by_year.values()))
            place = " ".join(x for x in (first.city, first.county) if x)
            out.append(f'<tr data-agency-id="{aid}"><th class="agency" scope="row" title="{esc(first.agency)}">'
                       f"{esc(first.agency)}<small>{esc(place)}</small></th>")
            for y in years:
                e = by_year.get(y)
                if e is None:
                    out.append('<td class="none"></td>')
                else:
                    out.append(f'<td class="s-{e.status}" data-year="{y}" data-status="{e.status}" '
                               f'data-tip="{esc(_tip(e))}" aria-label="{esc(e.agency)} {y}: '
                               f'{esc(STATUS_LABELS[e.status])}"></td>')
            out.append("</tr>")
        out.append("</tbody></table></section>")
    out.append(f'<div id="tip" role="tooltip"></div><script>{_JS}</script></body></html>')
    return "\n".join(out)


def write_html(entries: list[Entry], path: str | Path, *, as_of: dt.date, title: str = "Report coverage") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(entries, as_of=as_of, title=title), encoding="utf-8")
    tmp.replace(path)
    return path
