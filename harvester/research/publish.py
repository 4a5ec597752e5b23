"""``harvester publish OUT``: a self-describing release of the database that anyone can cite.

OUT/
  README.md              what it is, coverage, key figures, the charts, how to cite, the files
  LICENSE                the licence of the compilation (CC BY 4.0 by default)
  CITATION.cff           how to cite it (Citation File Format 1.2.0)
  datapackage.json       a Frictionless Data Package describing every CSV (fields typed and labelled,
                         primary and foreign keys); ``frictionless validate datapackage.json`` passes
  SHA256SUMS             the SHA-256 of every other file; ``sha256sum -c SHA256SUMS`` in OUT
  data/                  reports/cells/checks per province (``*_<code>.csv``) and national
                         (``reports.csv``, ``cells.csv``, ``checks.csv``), ``coverage.csv``,
                         ``data_dictionary.csv`` — UTF-8 with BOM, as ``harvester export`` writes them
  parquet/               the national tables as Parquet (typed columns)
  harvester.sqlite       the labelled tables (reports by report id, cells, checks, coverage,
  metadata.json          dictionary) for ``datasette harvester.sqlite -m metadata.json``
  charts/                the key figure per province over the years and the coverage heat-map (PNG+SVG)

Every report row carries its provenance: ``url`` (page), ``document_url``, ``fetched_at``,
``document_sha256``, ``archive_path`` (the archived copy, relative to the archive root: the bytes
whose SHA-256 is given), ``report_state`` (current / revised / withdrawn, with ``revised_at``,
``withdrawn_at``, ``withdrawn_reason``), ``parse_status`` and ``parser_warnings``.

No file holds a local path: the database is named by its kind only, paths are relative to OUT.
Files are written into a temporary folder beside OUT and moved in when complete.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
TITLE = "政府信息公开工作年度报告数据集 — Annual reports on government information disclosure (China)"
DESCRIPTION = ("The statistical tables of the annual reports on government information disclosure "
               "(政府信息公开工作年度报告) that Chinese government agencies publish each year, harvested from "
               "their portals by harvester, parsed into stable cell ids and checked for consistency (勾稽关系). "
               "One row per report with its provenance (page, document, fetch time, SHA-256, archived copy, "
               "revision state, parse status, parser warnings), one row per cell, one row per check.")
_KIND_TYPES = {"int": "integer", "number": "number", "ratio": "number", "decimal": "number"}


class PublishError(ValueError):
    """A problem the user must fix; one line."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _concat_csv(parts: list[Path], target: Path) -> int:
    """Concatenate CSV files with one header (UTF-8 with BOM in and out); the number of data rows."""
    rows = 0
    header = None
    with target.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        for part in parts:
            with part.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                head = next(reader)
                if header is None:
                    header = head
                    writer.writerow(head)
                elif head != header:
                    raise PublishError(f"{part.name} has other columns than {parts[0].name}")
                for row in reader:
                    writer.writerow(row)
                    rows += 1
    return rows


def _concat_parquet(parts: list[Path], target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.concat_tables([pq.read_table(p) for p in parts]), target, compression="zstd")


def _field(name: str, dictionary: dict[str, dict], numeric: set[str], ints: set[str]) -> dict:
    d = dictionary.get(name)
    if name in ints:
        ftype = "integer"
    elif name in numeric:
        ftype = "number"
    else:
        ftype = "string"
    field = {"name": name, "type": ftype}
    if d is not None:
        zh = " / ".join(x for x in (d["row_label_zh"], d["col_label_zh"]) if x)
        field["title"] = f"{zh} — {d['label_en']}" if zh else d["label_en"]
        desc = d["definition"] if d["kind"] != "cell" else f"{d['label_en']} ({d['table']}, formats {d['formats']})"
        if d["unit"]:
            desc += f"; unit: {d['unit']}"
        field["description"] = desc
    return field


def _schema(header: list[str], kind: str, dictionary: dict[str, dict]) -> dict:
    from harvester.research.derived import DERIVED_IDS
    from harvester.research.export import _INT_COLUMNS
    from harvester.report.schema import all_cell_ids

    numeric = {"reports": {*all_cell_ids(), *DERIVED_IDS}, "cells": {"value"}}.get(kind, set())
    ints = set(_INT_COLUMNS) | ({"imputed_cells"} if kind == "coverage" else set())
    if kind == "dictionary":
        numeric, ints = set(), set()
    schema = {"fields": [_field(c, dictionary, numeric, ints) for c in header]}
    if kind == "reports":
        schema["primaryKey"] = ["report_id"]
    return schema


def _summary(db, entries) -> dict:
    from harvester.research import coverage as cov

    wide = db.reports()
    by_prov_year = (wide.groupby(["province", "year"]).size().reset_index(name="reports")
                    .sort_values(["province", "year"]))
    figures = {}
    for fig in ("apply.new.total", "derived.denied.total", "appeal.review.total"):
        if fig in wide:
            s = wide.groupby("year")[fig].agg(["sum", "count"]).reset_index()
            figures[fig] = [(int(r.year), float(r["sum"]), int(r["count"])) for _, r in s.iterrows() if r["count"]]
    rate = wide.groupby("year")["derived.disclosure_rate"].agg(["mean", "count"]).reset_index()
    figures["derived.disclosure_rate"] = [(int(r.year), float(r["mean"]), int(r["count"]))
                                          for _, r in rate.iterrows() if r["count"]]
    return {"reports": len(wide), "agencies": wide["agency_id"].nunique(), "provinces": wide["province"].nunique(),
            "years": sorted(int(y) for y in wide["year"].unique()), "by_province_year": by_prov_year,
            "coverage": cov.counts(entries), "figures": figures,
            "parsed": int(wide["parse_status"].isin(["parsed", "partial"]).sum())}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def _readme(meta: dict, s: dict, files: list[str], charts: list[str]) -> str:
    from harvester.research.derived import DERIVED_BY_ID
    from harvester.research.codebook import export_dictionary_rows

    labels = {d["cell_id"]: d for d in export_dictionary_rows()}
    cite = (f"{meta['author']} ({meta['date'][:4]}). {meta['title']}. Version {meta['version']}. "
            f"Licence {meta['licence']}.")
    lines = [f"# {meta['title']}", "", DESCRIPTION, "",
             f"Version **{meta['version']}**, released {meta['date']}, compiled by harvester "
             f"{meta['harvester_version']}. Licence of the compilation: **{meta['licence']}** "
             f"({meta['licence_name']}, {meta['licence_url']}) — see `LICENSE`.", "",
             "## How to cite", "", cite, "", "(machine-readable: `CITATION.cff`). Cite a number with its "
             "`report_id` and `cell_id`: the row of `data/reports.csv` gives the report's page, document, "
             "fetch time and SHA-256, so anyone can check it against the published document.", "",
             "## Coverage", "",
             f"{s['reports']} reports of {s['agencies']} agencies in {s['provinces']} provinces, years "
             f"{s['years'][0]}–{s['years'][-1]}; {s['parsed']} parsed (tables read).", "",
             "Agency-years by status (`data/coverage.csv`, deadlines of 条例 第五十条 as of the release date):", "",
             "| status | agency-years |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in s["coverage"].items()]
    lines += ["", "Reports per province and year:", "", "| province | year | reports |", "|---|---|---|"]
    lines += [f"| {r.province} | {int(r.year)} | {int(r.reports)} |" for r in s["by_province_year"].itertuples()]
    lines += ["", "## Key figures", ""]
    for fig, rows in s["figures"].items():
        d = labels.get(fig, {})
        what = "mean over the reports" if fig in DERIVED_BY_ID and d.get("unit") == "ratio" else "sum over the reports"
        lines += [f"**{fig}** — {d.get('row_label_zh', '')} {d.get('col_label_zh', '')} — {d.get('label_en', '')} "
                  f"({d.get('unit', '')}; {what}"
                  + ("; derived: " + d["definition"] if d.get("kind") == "derived" else "") + ")", "",
                  "| year | value | reports with a value |", "|---|---|---|"]
        lines += [f"| {y} | {_num(v)} | {n} |" for y, v, n in rows]
        lines.append("")
    if charts:
        lines += ["## Charts", ""]
        lines += [f"![{c}]({c})" for c in charts if c.endswith(".png")]
        lines.append("")
    lines += ["## Files", "", "| file | what |", "|---|---|"]
    lines += [f"| `{f}` | {what} |" for f, what in files]
    lines += ["", "Every column is described in `data/data_dictionary.csv` (Chinese and English labels, unit, "
              "kind: metadata, cell, or derived — computed from the cells, with its formula) and in "
              "`datapackage.json`. Blank cells are empty, never 0; cells printed blank and set to 0 by the "
              "format's rule have `imputed = 1` in `data/cells.csv`. CSV files are UTF-8 with a byte order mark "
              "and open in Excel with Chinese intact.", "",
              "Browse it: `datasette harvester.sqlite -m metadata.json`, then open /harvester/reports "
              "(a report's page: /harvester/reports/<report_id>).", "",
              "Check it: `sha256sum -c SHA256SUMS`; `frictionless validate datapackage.json`.", ""]
    return "\n".join(lines)


def _citation(meta: dict) -> str:
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)
    return "\n".join([
        "cff-version: 1.2.0",
        "message: If you use this dataset, please cite it as below.",
        "type: dataset",
        f"title: {q(meta['title'])}",
        f"version: {q(meta['version'])}",
        f"date-released: {meta['date']}",
        f"license: {meta['licence']}",
        "authors:",
        f"  - name: {q(meta['author'])}",
        f"abstract: {q(DESCRIPTION)}",
        "keywords:",
        "  - 政府信息公开",
        "  - government information disclosure",
        "  - China",
        "  - annual reports",
        "",
    ])


def _licence(meta: dict) -> str:
    return "\n".join([
        f"{meta['title']}",
        f"Version {meta['version']} ({meta['date']}), compiled by {meta['author']}.",
        "",
        f"The compilation — the selection, arrangement, cell ids, parsed values, consistency checks, derived",
        f"figures, data dictionary and documentation of this dataset — is licensed under the",
        f"{meta['licence_name']} ({meta['licence']}).",
        f"The full licence text: {meta['licence_url']}",
        "",
        "You may share and adapt it for any purpose, provided you give appropriate credit (see CITATION.cff),",
        "link to the licence and indicate if changes were made.",
        "",
        "The annual reports themselves are government information published by the agencies named in each row",
        "(政府信息公开条例); each row names the report's page and document, where the original can be read.",
        "",
    ])


def publish(url, out: Path, *, licence: str = "CC-BY-4.0", author: str = "harvester project contributors",
            version: str | None = None, title: str = TITLE, as_of: dt.date | None = None,
            charts: bool = True) -> list[Path]:
    """Write the release into ``out`` (created; must be empty or absent). Returns the files written."""
    from harvester.research import coverage as cov
    from harvester.research.browse import build_companion
    from harvester.research.codebook import export_dictionary_rows
    from harvester.research.export import _version, export_reports, open_store
    from harvester.research import open_db

    if licence not in LICENCES:
        raise PublishError(f"unknown licence {licence!r}; one of {', '.join(LICENCES)}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(f"{out} exists and is not an empty folder; give a new one")
    as_of = as_of or dt.date.today()
    meta = {"title": title, "author": author, "licence": licence, "licence_name": LICENCES[licence][0],
            "licence_url": LICENCES[licence][1], "date": as_of.isoformat(), "version": version or as_of.isoformat(),
            "harvester_version": _version()}
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        store = open_store(url)
        try:
            csv_paths = export_reports(store, work / "csv")
            if not csv_paths:
                raise PublishError("no reports in the database — run `harvester crawl` first")
            pq_paths = export_reports(store, work / "pq", fmt="parquet")
        finally:
            store.close()
        stage = work / "release"
        (stage / "data").mkdir(parents=True)
        (stage / "parquet").mkdir()
        files: list[tuple[str, str]] = []
        resources = []
        dictionary = {d["cell_id"]: d for d in export_dictionary_rows()}
        by_kind: dict[str, list[Path]] = {}
        for p in csv_paths:
            if p.suffix != ".csv":
                continue
            shutil.copyfile(p, stage / "data" / p.name)
            k = p.stem.split("_")[0]
            by_kind.setdefault(k if p.stem != "data_dictionary" else "dictionary", []).append(p)
        for k in ("reports", "cells", "checks"):
            parts = sorted(by_kind.get(k, []))
            _concat_csv(parts, stage / "data" / f"{k}.csv")
            pq = sorted(p for p in pq_paths if p.stem.startswith(k + "_"))
            _concat_parquet(pq, stage / "parquet" / f"{k}.parquet")
            files.append((f"data/{k}.csv", f"national {k} (all provinces)"))
            files.append((f"parquet/{k}.parquet", f"national {k}, Parquet"))
            for p in parts:
                files.append((f"data/{p.name}", f"{k} of province {p.stem.split('_')[1]}"))
        shutil.copyfile(next(p for p in pq_paths if p.stem == "data_dictionary"),
                        stage / "parquet" / "data_dictionary.parquet")
        files.append(("data/data_dictionary.csv", "the data dictionary: every column, zh + en, unit, kind"))
        with open_db(url) as db:
            entries = cov.compute(db, as_of=as_of)
            cov.write_csv(entries, stage / "data" / "coverage.csv")
            files.append(("data/coverage.csv", "every agency and expected year: found, parsed, missing …"))
            summary = _summary(db, entries)
            chart_files: list[str] = []
            if charts:
                from harvester.research import charts as ch

                for path in ch.draw(db, stage / "charts", kinds=("trend", "coverage"), as_of=as_of):
                    chart_files.append(f"charts/{path.name}")
                    files.append((f"charts/{path.name}", "chart"))
        companion_meta = build_companion(url, stage / "harvester.sqlite", as_of=as_of)
        files.append(("harvester.sqlite", "labelled tables for Datasette (reports by report_id, cells, checks, "
                                          "coverage, dictionary)"))
        datasette_meta = {
            "title": title, "description": DESCRIPTION, "license": f"{licence} ({meta['licence_name']})",
            "license_url": meta["licence_url"], "source": f"harvester {meta['harvester_version']}, version "
                                                          f"{meta['version']} ({meta['date']})",
            "source_url": "https://www.gov.cn/zhengce/content/2019-04/15/content_5382991.htm",
            "databases": {"harvester": companion_meta},
        }
        companion_meta["description"] = "The labelled tables of the release (units in each column's description)."
        (stage / "metadata.json").write_text(json.dumps(datasette_meta, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
        files.append(("metadata.json", "Datasette metadata: titles, descriptions, source, licence, units"))
        for name in sorted(p.name for p in (stage / "data").glob("*.csv")):
            path = stage / "data" / name
            with path.open(encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh))
            stem = path.stem
            k = "dictionary" if stem == "data_dictionary" else stem.split("_")[0]
            res = {"name": stem.replace("_", "-").lower(), "path": f"data/{name}", "profile": "tabular-data-resource",
                   "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
                   "schema": _schema(header, k, dictionary)}
            if stem in ("cells", "checks", "coverage"):
                res["schema"]["foreignKeys"] = [{"fields": ["report_id"],
                                                 "reference": {"resource": "reports", "fields": ["report_id"]}}]
            resources.append(res)
        package = {"name": "gov-info-disclosure-annual-reports", "title": title, "description": DESCRIPTION,
                   "version": meta["version"], "created": f"{meta['date']}T00:00:00Z",
                   "licenses": [{"name": licence, "path": meta["licence_url"], "title": meta["licence_name"]}],
                   "contributors": [{"title": author, "role": "author"}],
                   "sources": [{"title": "Government information disclosure portals (政府信息公开) of the agencies; "
                                         "each report row names its page and document"}],
                   "keywords": ["政府信息公开", "government information disclosure", "China"],
                   "resources": resources}
        (stage / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=1) + "\n",
                                                encoding="utf-8")
        (stage / "CITATION.cff").write_text(_citation(meta), encoding="utf-8")
        (stage / "LICENSE").write_text(_licence(meta), encoding="utf-8")
        files = [("README.md", "this file"), ("LICENSE", "licence of the compilation"),
                 ("CITATION.cff", "how to cite"), ("datapackage.json", "Frictionless Data Package"),
                 ("SHA256SUMS", "checksums of every file"), *files]
        (stage / "README.md").write_text(_readme(meta, summary, files, chart_files), encoding="utf-8")
        written = sorted(p for p in stage.rglob("*") if p.is_file())
        sums = "".join(f"{_sha256(p)}  {p.relative_to(stage).as_posix()}\n" for p in written)
        (stage / "SHA256SUMS").write_text(sums, encoding="utf-8")
        if out.exists():
            out.rmdir()
        stage.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sorted(p for p in out.rglob("*") if p.is_file())
