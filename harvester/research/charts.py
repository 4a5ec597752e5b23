"""``harvester chart``: the figures a researcher looks at, as PNG and SVG (altair + vl-convert, no browser).

* ``trend`` — a key figure per province over the years (the sum over the province's reports of one
  cell id or derived figure; for a rate, the mean of the reports' rates);
* ``ranking`` — the agencies of one province ranked by that figure in one year;
* ``coverage`` — the compliance heat-map: every agency × year of a province (or, with no province,
  province × year with the share of agency-years parsed), coloured by the status of
  ``harvester coverage``.

Labels are Chinese (agency and province names, the dictionary's labels) and English; the charts use
the WenQuanYi Zen Hei font the project installs (``fonts-wqy-zenhei``), registered with vl-convert, so
the PNG shows the characters, not boxes. Every chart also carries its data source line (database
figure, number of reports, as of).

``dashboards(companion)`` is the same set for ``harvester browse`` (datasette-dashboards: Vega-Lite
charts over the research tables at ``/-/dashboards/research``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

FONT = "WenQuanYi Zen Hei"
FONT_DIRS = ("/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype")
KINDS = ("trend", "ranking", "coverage")
DEFAULT_FIGURE = "apply.new.total"
STATUS_COLOURS = None          # from harvester.research.coverage at use


class ChartError(ValueError):
    """A bad chart request (unknown figure, province without reports); one line."""


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    import vl_convert as vlc

    for d in FONT_DIRS:
        if Path(d).is_dir():
            vlc.register_font_directory(d)
    _fonts_registered = True


def figure_label(figure: str) -> tuple[str, str, str]:
    """(Chinese label, English label, unit) of a cell id or derived figure; ChartError when unknown."""
    from harvester.research.codebook import export_dictionary_rows

    for d in export_dictionary_rows():
        if d["cell_id"] == figure and d["kind"] in ("cell", "derived"):
            zh = " / ".join(x for x in (d["row_label_zh"], d["col_label_zh"]) if x and x != "本年度")
            return zh, d["label_en"], d["unit"]
    raise ChartError(f"unknown figure {figure!r}: give a cell id (e.g. apply.new.total) or a derived figure "
                     "(e.g. derived.disclosure_rate); `harvester query \"SELECT cell_id FROM cells\"` lists them")


def _is_rate(figure: str) -> bool:
    return figure_label(figure)[2] == "ratio"


def _values(db, figure: str, province=None):
    """DataFrame province, agency, agency_id, year, value (one row per report with a value)."""
    wide = db.reports(province=province)
    if figure not in wide.columns:
        raise ChartError(f"figure {figure!r} is not in the database's reports")
    frame = wide[["province", "agency", "agency_id", "report_id", "year", figure]].rename(columns={figure: "value"})
    return frame.dropna(subset=["value"])


def _base(chart, title: str, subtitle: str):
    return chart.properties(title={"text": title, "subtitle": subtitle, "anchor": "start"}).configure(
        font=FONT).configure_axis(labelFont=FONT, titleFont=FONT).configure_legend(labelFont=FONT, titleFont=FONT)


def trend(db, figure: str = DEFAULT_FIGURE, province=None):
    import altair as alt

    zh, en, unit = figure_label(figure)
    data = _values(db, figure, province)
    if data.empty:
        raise ChartError(f"no report has a value for {figure}" + (f" in {province}" if province else ""))
    rate = _is_rate(figure)
    agg = data.groupby(["province", "year"], as_index=False).agg(
        value=("value", "mean" if rate else "sum"), reports=("report_id", "count"))
    y_title = f"{zh} ({'mean of reports' if rate else unit})"
    chart = alt.Chart(agg).mark_line(point=True).encode(
        x=alt.X("year:O", title="年度 year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".0%" if rate else "~s")),
        color=alt.Color("province:N", title="省份 province"),
        tooltip=["province", "year", "value", "reports"])
    return _base(chart.properties(width=560, height=320), f"{zh} — {en}",
                 f"{'mean' if rate else 'sum'} over each province's reports · {int(agg['reports'].sum())} reports · "
                 f"{figure}"), agg


def ranking(db, figure: str = DEFAULT_FIGURE, province=None, year: int | None = None, top: int = 30):
    import altair as alt

    if province is None:
        raise ChartError("a ranking needs --province (agencies are ranked within one province)")
    zh, en, unit = figure_label(figure)
    data = _values(db, figure, province)
    if data.empty:
        raise ChartError(f"no report of {province} has a value for {figure}")
    year = int(year) if year is not None else int(data["year"].max())
    data = data[data["year"] == year].sort_values(["value", "agency"], ascending=[False, True]).head(top)
    if data.empty:
        raise ChartError(f"no report of {province} for {year} has a value for {figure}")
    rate = _is_rate(figure)
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("value:Q", title=f"{zh} ({unit})", axis=alt.Axis(format=".0%" if rate else "~s")),
        y=alt.Y("agency:N", sort="-x", title="机关 agency"),
        tooltip=["agency", "agency_id", "report_id", "value"])
    name = data["province"].iloc[0]
    return _base(chart.properties(width=480, height=max(120, 18 * len(data))),
                 f"{name} {year}: {zh}", f"{en} · agencies ranked · {len(data)} reports · {figure}"), data


def coverage_map(db, province=None, as_of: dt.date | None = None):
    import altair as alt
    import pandas as pd

    from harvester.research import coverage as cov

    entries = cov.compute(db, as_of=as_of, province=province)
    if not entries:
        raise ChartError("no agency-year to show" + (f" in {province}" if province else ""))
    frame = pd.DataFrame([e.__dict__ for e in entries])
    frame["label"] = frame["status"].map(cov.STATUS_LABELS)
    scale = alt.Scale(domain=[cov.STATUS_LABELS[s] for s in cov.STATUSES],
                      range=[cov.STATUS_COLOURS[s] for s in cov.STATUSES])
    as_of = as_of or dt.date.today()
    if province is not None:
        chart = alt.Chart(frame).mark_rect(stroke="white").encode(
            x=alt.X("year:O", title="年度 year", axis=alt.Axis(labelAngle=0)), y=alt.Y("agency:N", title="机关 agency"),
            color=alt.Color("label:N", scale=scale, title="status"),
            tooltip=["agency", "agency_id", "year", "status", "parse_status", "failed_checks", "report_id"])
        height = max(120, 18 * frame["agency"].nunique())
        title = f"{frame['province'].iloc[0]}: 年报公开与解析情况 coverage"
    else:
        frame["ok"] = frame["status"].isin(["parsed", "failed_checks"])
        due = frame[frame["status"] != "not_due"]
        frame = due.groupby(["province", "year"], as_index=False).agg(share=("ok", "mean"), n=("ok", "size"))
        chart = alt.Chart(frame).mark_rect(stroke="white").encode(
            x=alt.X("year:O", title="年度 year", axis=alt.Axis(labelAngle=0)), y=alt.Y("province:N", title="省份 province"),
            color=alt.Color("share:Q", title="parsed share", scale=alt.Scale(domain=[0, 1], scheme="greens")),
            tooltip=["province", "year", "share", "n"])
        height = max(120, 22 * frame["province"].nunique())
        title = "年报公开与解析情况 coverage: share of agency-years found and parsed"
    return _base(chart.properties(width=max(240, 40 * frame["year"].nunique()), height=height), title,
                 f"as of {as_of.isoformat()} · deadlines of 条例 第五十条 · {len(entries)} agency-years"), frame


def save(chart, out_dir: Path, stem: str, formats=("png", "svg")) -> list[Path]:
    """Write ``stem.png`` / ``stem.svg`` (vl-convert, in-process); the paths written."""
    import vl_convert as vlc

    _register_fonts()
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = chart.to_json()
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        tmp = path.with_name(path.name + ".tmp")
        if fmt == "png":
            tmp.write_bytes(vlc.vegalite_to_png(spec, scale=2))
        elif fmt == "svg":
            tmp.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
        else:
            raise ChartError(f"unknown chart format {fmt!r} (png, svg)")
        tmp.replace(path)
        paths.append(path)
    return paths


def _stem_part(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(text))


def draw(db, out_dir: Path, *, kinds=KINDS, figure: str = DEFAULT_FIGURE, province=None, year=None,
         as_of: dt.date | None = None, formats=("png", "svg")) -> list[Path]:
    """Draw the requested charts of a ``ResearchDB`` into ``out_dir``; the files written."""
    from harvester.divisions import province_code

    code = province_code(province) if province else None
    suffix = f"_{code}" if code else ""
    paths: list[Path] = []
    for kind in kinds:
        if kind == "trend":
            chart, _ = trend(db, figure, province)
            paths += save(chart, out_dir, f"trend_{_stem_part(figure)}{suffix}", formats)
        elif kind == "ranking":
            chart, data = ranking(db, figure, province, year)
            paths += save(chart, out_dir, f"ranking_{_stem_part(figure)}{suffix}_{int(data['year'].iloc[0])}", formats)
        elif kind == "coverage":
            chart, _ = coverage_map(db, province, as_of)
            paths += save(chart, out_dir, f"coverage{suffix}", formats)
        else:
            raise ChartError(f"unknown chart {kind!r}; expected one of {', '.join(KINDS)}")
    return paths


# ---- browse: datasette-dashboards ------------------------------------------------------------------------

def dashboards(companion: str) -> dict:
    """The datasette-dashboards configuration of ``harvester browse`` (Vega-Lite over the research tables)."""
    figure_filter = {"name": "Figure (cell id)", "type": "select", "db": companion, "default": DEFAULT_FIGURE,
                     "query": "SELECT cell_id FROM dictionary WHERE kind = 'cell' ORDER BY rowid"}
    province_filter = {"name": "Province", "type": "select", "db": companion,
                       "query": "SELECT DISTINCT province FROM reports ORDER BY province"}
    return {
        "research": {
            "title": "政府信息公开年报 — research dashboard",
            "description": "Key figures per province over the years, agencies ranked within a province, "
                           "the disclosure rate and the compliance heat-map (harvester coverage). "
                           "Choose a figure and a province above.",
            "layout": [["trend", "disclosure"], ["ranking", "coverage"]],
            "filters": {"figure": figure_filter, "province": province_filter},
            "charts": {
                "trend": {
                    "title": "Figure per province over the years (sum of the reports)",
                    "db": companion, "library": "vega-lite",
                    "query": "SELECT province, year, SUM(value) AS value, COUNT(*) AS reports FROM cells "
                             "WHERE cell_id = COALESCE(:figure, 'apply.new.total') AND value IS NOT NULL "
                             "GROUP BY province, year ORDER BY province, year",
                    "display": {"mark": {"type": "line", "point": True, "tooltip": True},
                                "encoding": {"x": {"field": "year", "type": "ordinal", "title": "年度 year"},
                                             "y": {"field": "value", "type": "quantitative"},
                                             "color": {"field": "province", "type": "nominal",
                                                       "title": "省份 province"}}},
                },
                "disclosure": {
                    "title": "Disclosure rate (derived): mean of the reports, per province and year",
                    "db": companion, "library": "vega-lite",
                    "query": 'SELECT province, year, AVG("derived.disclosure_rate") AS rate, COUNT(*) AS reports '
                             'FROM reports WHERE "derived.disclosure_rate" IS NOT NULL '
                             "GROUP BY province, year ORDER BY province, year",
                    "display": {"mark": {"type": "line", "point": True, "tooltip": True},
                                "encoding": {"x": {"field": "year", "type": "ordinal", "title": "年度 year"},
                                             "y": {"field": "rate", "type": "quantitative",
                                                   "axis": {"format": ".0%"}, "title": "公开率 disclosure rate"},
                                             "color": {"field": "province", "type": "nominal"}}},
                },
                "ranking": {
                    "title": "Agencies ranked (latest year of the province)",
                    "db": companion, "library": "vega-lite",
                    "query": "SELECT agency, year, value FROM cells WHERE cell_id = COALESCE(:figure, "
                             "'apply.new.total') AND value IS NOT NULL [[ AND province = :province ]] "
                             "AND year = (SELECT MAX(year) FROM cells WHERE cell_id = COALESCE(:figure, "
                             "'apply.new.total') [[ AND province = :province ]]) ORDER BY value DESC LIMIT 30",
                    "display": {"mark": {"type": "bar", "tooltip": True},
                                "encoding": {"x": {"field": "value", "type": "quantitative"},
                                             "y": {"field": "agency", "type": "nominal", "sort": "-x",
                                                   "title": "机关 agency"}}},
                },
                "coverage": {
                    "title": "Compliance heat-map (harvester coverage)",
                    "db": companion, "library": "vega-lite",
                    "query": "SELECT agency, year, status FROM coverage WHERE TRUE "
                             "[[ AND province = :province ]] ORDER BY agency, year",
                    "display": {"mark": {"type": "rect", "tooltip": True},
                                "encoding": {"x": {"field": "year", "type": "ordinal"},
                                             "y": {"field": "agency", "type": "nominal"},
                                             "color": {"field": "status", "type": "nominal",
                                                       "scale": _status_scale()}}},
                },
            },
        },
    }


def _status_scale() -> dict:
    from harvester.research import coverage as cov

    return {"domain": list(cov.STATUSES), "range": [cov.STATUS_COLOURS[s] for s in cov.STATUSES]}
