"""``harvester browse``: the research database in Datasette, labelled from the data dictionary.

Datasette serves two SQLite databases:

* the **database itself**, opened read-only by Datasette (``file:…?mode=ro``, so a crawl may go on
  writing while you browse; ``--immutable`` opens it ``immutable=1`` instead, faster counts, but it
  must not change meanwhile). Its tables get descriptions (``reports``, ``agencies``, ``cells``,
  ``checks`` …) and facets: reports by year / parse status / format, agencies by province.
* a **research companion** built at start into a working directory (a temporary one unless
  ``--work-dir`` is given) and opened immutable: ``reports`` (one row per report with province, city,
  county, agency, year, parse status, failed checks and one column per cell id, each column described
  by its Chinese row/column labels, English label and unit), ``cells`` (one row per report and cell
  with the labels, to filter and facet by label, where it was read, ``imputed``, and ``document_link``:
  the document's URL — at the cell's page for a PDF, ``#page=N`` — which Datasette shows as a link),
  ``checks`` (every check with the report's agency and
  division), ``coverage`` (the ``harvester coverage`` statuses) and ``dictionary`` (the data
  dictionary). Facets on province, year and parse status are preconfigured.

Datasette reads only SQLite. For a **PostgreSQL** database ``browse`` first copies every table of the
harvester schema into a SQLite snapshot in the working directory (through the same read-only engine
as ``harvester query``) and serves that snapshot immutable, with the same companion; the snapshot is
as of the start of ``browse`` — restart it to see newer data.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harvester.progress import no_progress
from harvester.research.query import QueryError, readonly_engine, resolve, sqlite_file

Progress = Callable[[str, int], "object"]
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "browse"
PLUGIN_SOURCE = ("from harvester.research.browse_plugin import asgi_wrapper, extra_template_vars, register_routes"
                 "  # noqa: F401\n")

MAIN_TABLES = {
    "sites": ("The site registry (data/sites.csv): one row per portal.", ["province", "platform"]),
    "agencies": ("Publishing agencies, unique by normalised name within their division.", ["province", "city"]),
    "reports": ("One annual report per agency and year; parse_status tells whether its tables were read.",
                ["year", "parse_status", "report_format", "document_type"]),
    "cells": ("The parsed table cells of every report: report_id, cell_id, value (null = blank), raw text.",
              ["cell_id"]),
    "checks": ("The consistency checks (勾稽关系) of every report: PASS, FAIL, NOT_ASSESSABLE, AMBIGUOUS.",
               ["status", "check_id"]),
    "crawl_runs": ("One row per crawl run.", ["status"]),
    "site_outcomes": ("Each site's outcome in each crawl run, with its reason.", ["outcome"]),
    "crawl_events": ("Every bad input the crawl met, with its reason.", ["kind", "level"]),
}
MAIN_COLUMNS = {
    "reports": {
        "agency_id": "The publishing agency (agencies.id; its stable id is agencies.agency_key).", "year": "The report year (statistics period).",
        "report_format": "gov2021, gov2019 or pre2019: the format of the statistical tables.",
        "parse_status": "parsed, partial, no_tables, text_only, not_a_report, or a document problem "
                        "(image_only, encrypted, corrupt …).",
        "publish_date": "发布日期", "written_date": "成文日期", "index_no": "索引号", "publisher": "发布机构",
        "doc_number": "文号", "page_url": "The report's page.", "document_url": "The document the cells come from.",
    },
    "cells": {"cell_id": "Stable cell id (see the research companion's dictionary table).",
              "value": "The number (null when the cell is blank).", "raw": "The text as printed.",
              "flags": "Parser remarks (ambiguous decoding, non-finite …).",
              "imputed": "1: printed blank, set to 0 because its row or column is blank or 0 throughout and "
                         "the hard checks pass (spec §7); filter with imputed = 0 to leave them out.",
              "document_sha256": "SHA-256 of the document the cell was read from.",
              "src_reader": "How it was read: grid, text_runs, cell_per_line, glued, imputed.",
              "src_page": "PDF page.", "src_table": "Which table of the document (1 = first).",
              "src_row": "Row of that table's grid.", "src_col": "Column of the grid (or place in a text row).",
              "src_line": "Line of the extracted text.", "src_text": "The row as read (text line, glued digits).",
              "src_readings": "How many readings glued digits had.", "src_candidates": "Those readings."},
    "checks": {"status": "PASS, FAIL, NOT_ASSESSABLE or AMBIGUOUS.", "cells": "The cell ids the check involves."},
    "agencies": {"norm_name": "The name as used for matching (normalised).",
                 "division_code": "GB/T 2260 code of the agency's division, when known."},
}
COMPANION_COLUMNS = {
    "report_id": "The report's id (reports.id in the database; this page's address /research/reports/<id>).",
    "agency_id": "Stable agency id <GB/T 2260 code>-<normalised name>, as in the exports (agencies.agency_key).",
    "agency": "The publishing agency.", "province": "Province (省级).", "city": "City (地级).",
    "county": "County (县级).", "division_code": "GB/T 2260 division code, when known.",
    "year": "Report year (statistics period).",
    "report_format": "gov2021, gov2019 or pre2019: the format of the statistical tables.",
    "parse_status": "parsed, partial, no_tables, text_only, not_a_report, image_only, encrypted, corrupt …",
    "failed_checks": "The ids of the checks that FAIL, separated by ';'.",
    "title": "The report's title.", "publish_date": "发布日期", "publisher": "发布机构", "index_no": "索引号",
    "page_url": "The report's page.", "document_url": "The document the cells come from.",
    "document_type": "html, pdf, docx …", "site_id": "The registry site it was first found on.",
}


def document_link(url, page) -> str | None:
    """The document's URL, at the cell's page for a PDF (``#page=N``, which PDF viewers open)."""
    if not isinstance(url, str) or not url:
        return None
    if page is None or page != page:      # None / NaN
        return url
    return f"{url}#page={int(page)}"


def describe_cell(d: dict) -> str:
    """'三 · 一、本年新收政府信息公开申请数量 / 自然人 — applications — new this year — natural persons (件)'."""
    zh = " / ".join(x for x in (d.get("row_label"), d.get("col_label")) if x)
    text = f"{d.get('table') or ''} · {zh}" if d.get("table") else zh
    if d.get("label_en"):
        text += f" — {d['label_en']}"
    if d.get("unit"):
        text += f" ({d['unit']})"
    return text


@dataclass
class Plan:
    """What to serve: the database file (live or snapshot), the companion, the metadata file."""
    database: Path
    database_name: str
    immutable: bool
    companion: Path
    companion_name: str
    metadata: Path
    static: Path | None = None
    plugins: Path | None = None
    archive: Path | None = None

    def datasette_args(self, host: str, port: int) -> list[str]:
        args = ["serve"]
        if self.static is not None:
            args += ["--static", f"browse-static:{self.static}"]
        if self.plugins is not None:
            args += ["--plugins-dir", str(self.plugins), "--template-dir", str(TEMPLATES)]
        args += ["-i", str(self.database)] if self.immutable else [str(self.database)]
        args += ["-i", str(self.companion), "--metadata", str(self.metadata), "--host", host, "--port", str(port),
                 "--setting", "sql_time_limit_ms", "5000", "--setting", "facet_time_limit_ms", "1000",
                 "--setting", "default_page_size", "50", "--setting", "suggest_facets", "off"]
        return args


def snapshot_postgres(url, path: Path, progress: Progress = no_progress) -> None:
    """Copy every harvester table of a PostgreSQL database into a new SQLite file (read-only reads)."""
    from sqlalchemy import create_engine, func, insert, select

    from harvester.db.models import Base

    src = readonly_engine(url)
    if path.exists():
        path.unlink()
    dst = create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(dst)
        with src.connect() as s:
            sizes = {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in Base.metadata.sorted_tables}
            with progress("snapshot of the PostgreSQL database", sum(sizes.values()) or 1) as bar:
                for table in Base.metadata.sorted_tables:
                    result = s.execute(select(table).execution_options(yield_per=2000))
                    for batch in result.mappings().partitions(2000):
                        with dst.begin() as d:
                            d.execute(insert(table), [dict(r) for r in batch])
                        bar.update(len(batch))
    finally:
        src.dispose()
        dst.dispose()


def _sql_type(series) -> str:
    """SQLite column type of a DataFrame column: numbers NUMERIC (a whole float is stored as an integer:
    1615, never 1615.0, in Datasette's pages and CSV), text TEXT."""
    kind = series.dtype.kind
    return "NUMERIC" if kind in "iufb" else "TEXT"


def _create(out, name: str, frame, *, pk: str | None = None, fks: dict[str, str] | None = None) -> None:
    """CREATE TABLE for ``frame``'s columns, with a primary key and foreign keys (→ Datasette links)."""
    fks = fks or {}
    cols = []
    for col in frame.columns:
        kind = "INTEGER PRIMARY KEY" if col == pk else _sql_type(frame[col])
        ref = f" REFERENCES {fks[col]}" if col in fks else ""
        cols.append(f'"{col}" {kind}{ref}')
    out.execute(f'CREATE TABLE "{name}" ({", ".join(cols)})')


def _append(out, name: str, frame) -> None:
    frame.to_sql(name, out, index=False, if_exists="append")


def _with_province_names(frame):
    """Add ``province_code`` (320000, the 6-digit GB/T 2260 code as in the exports) and ``province_en``
    (Jiangsu) after ``province``, so the province can be filtered as 江苏省, Jiangsu or 32
    (``province_code__startswith=32``) in Datasette too."""
    from harvester.divisions import PROVINCES_EN, province_code

    codes = [province_code(p) or "" for p in frame["province"]]
    at = list(frame.columns).index("province") + 1
    frame.insert(at, "province_code", [c + "0000" if c else "" for c in codes])
    frame.insert(at + 1, "province_en", [PROVINCES_EN.get(c, "") for c in codes])
    return frame


def build_companion(url, path: Path, *, as_of: dt.date | None = None,
                    progress: Progress = no_progress) -> dict:
    """Write the research companion database; return the Datasette metadata for its tables."""
    import pandas as pd

    from harvester.research import coverage as cov
    from harvester.research.derived import explain_check
    from harvester.research.codebook import DICTIONARY_COLUMNS, export_dictionary_rows
    from harvester.research import EmptyDatabase, data_dictionary, open_db

    dictionary = data_dictionary()
    if path.exists():
        path.unlink()
    report_fk = {"report_id": "reports(report_id)"}
    with open_db(url) as db, sqlite3.connect(path) as out:
        if db.report_count() == 0:
            raise EmptyDatabase()
        from harvester.divisions import province_code

        provinces = list({(province_code(p) or p): p for p in db.provinces()}.values())   # one per province
        with progress("labelled tables for Datasette", len(provinces) + 3) as bar:
            full = pd.DataFrame(list(export_dictionary_rows()), columns=list(DICTIONARY_COLUMNS))
            _create(out, "dictionary", full, pk=None)
            _append(out, "dictionary", full)
            out.execute("CREATE UNIQUE INDEX ix_dictionary_cell_id ON dictionary(cell_id)")
            bar.update(1)
            created = False
            for p in provinces:                  # one province at a time keeps memory bounded
                wide = db.reports(province=p) if p else db.reports().query("province == ''")
                long = db.cells(province=p) if p else db.cells().query("province == ''")
                long["document_link"] = [document_link(u, pg) for u, pg in zip(long["document_url"], long["src_page"])]
                wide, long = _with_province_names(wide), _with_province_names(long)
                if not created:
                    _create(out, "reports", wide, pk="report_id")
                    _create(out, "cells", long, fks=report_fk)
                    created = True
                _append(out, "reports", wide)
                _append(out, "cells", long)
                bar.update(1)
            checks = db.checks()
            checks["explanation"] = [explain_check(c) for c in checks["check_id"]]
            _create(out, "checks", checks, fks=report_fk)
            _append(out, "checks", checks)
            bar.update(1)
            entries = cov.compute(db, as_of=as_of)
            coverage = pd.DataFrame([e.__dict__ for e in entries], columns=list(cov.CSV_COLUMNS))
            coverage["report_id"] = coverage["report_id"].astype("Int64")
            coverage = _with_province_names(coverage)
            _create(out, "coverage", coverage, fks=report_fk)
            _append(out, "coverage", coverage)
            bar.update(1)
        for table, cols in (("reports", ("province", "year", "parse_status", "agency")),
                            ("cells", ("cell_id", "province", "year", "report_id")),
                            ("checks", ("status", "check_id", "report_id")),
                            ("coverage", ("status", "province", "year"))):
            for c in cols:
                out.execute(f'CREATE INDEX "ix_{table}_{c}" ON "{table}"("{c}")')
        out.commit()
    cell_descriptions = {d["cell_id"]: describe_cell(d) for d in dictionary}
    for d in export_dictionary_rows():
        if d["kind"] == "derived":
            cell_descriptions[d["cell_id"]] = f"derived · {d['row_label_zh']} — {d['label_en']} ({d['unit']}): " \
                                              f"{d['definition']}"
    meta_descriptions = {d["cell_id"]: f"{d['row_label_zh']} — {d['label_en']}" + (f" ({d['unit']})" if d["unit"] else "")
                         for d in export_dictionary_rows() if d["kind"] == "metadata"}
    return {
        "description": "Labelled tables built from the database when `harvester browse` started.",
        "tables": {
            "reports": {
                "description": "One row per report with its agency, division, parse status, failed checks and "
                               "one column per cell id; every cell column is described below (table · Chinese "
                               "row / column label — English label (unit)).",
                "facets": ["province", "year", "parse_status"],
                "sort": "report_id",
                "columns": {**meta_descriptions, **COMPANION_COLUMNS, **cell_descriptions},
            },
            "cells": {
                "description": "One row per report and cell with the Chinese and English labels: filter by "
                               "cell_id or label, facet by province, year, table.",
                "facets": ["province", "year", "table"],
                "columns": {**{k: v for k, v in COMPANION_COLUMNS.items() if k in (
                    "report_id", "agency", "province", "city", "county", "year", "report_format")},
                    "cell_id": "Stable cell id.", "value": "The number (empty when blank).",
                    "raw": "The text as printed.", "unit": "The unit printed with the value, if any.",
                    "flags": "Parser remarks.", "table": "The statistical table (t2 主动公开, t3 依申请, t4 复议诉讼, pre2019).",
                    "imputed": MAIN_COLUMNS["cells"]["imputed"],
                    "document_link": "The document the cell was read from, opened at its page for a PDF.",
                    **{k: v for k, v in MAIN_COLUMNS["cells"].items() if k.startswith(("src_", "document_"))},
                    "row_label": "The row as printed in the standard form (Chinese).",
                    "col_label": "The column as printed in the standard form (Chinese).",
                    "label_en": "English label.", "dictionary_unit": "The unit the form prescribes."},
            },
            "checks": {
                "description": "Every consistency check (勾稽关系) with the report's agency and division.",
                "facets": ["status", "check_id", "province", "year"],
            },
            "coverage": {
                "description": "harvester coverage: one row per agency and expected year — parsed, "
                               "failed_checks, unparsed, missing (after the deadline) or not_due.",
                "facets": ["status", "province", "year"],
            },
            "dictionary": {
                "description": "The data dictionary: cell id, table, Chinese row/column labels, English label, "
                               "unit, formats.",
                "facets": ["table"],
            },
        },
    }


# The dictionary describes some 250 cell columns: Datasette lists every description above the table,
# so they go into a compact scrolling box (served with --static, linked from the metadata).
STYLE = """
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  max-height: 13em; overflow-y: auto; border: 1px solid #d8d8d8; border-radius: 4px; padding: 6px 10px;
  margin: 0 0 1em; font-size: 0.9em; background: #fff; }
dl.column-descriptions dt { font-family: monospace; }
dl.column-descriptions dd { margin: 0; }
"""


def main_metadata() -> dict:
    tables = {}
    for name, (description, facets) in MAIN_TABLES.items():
        tables[name] = {"description": description, "facets": facets}
        if name in MAIN_COLUMNS:
            tables[name]["columns"] = MAIN_COLUMNS[name]
    tables["agencies"]["label_column"] = "name"
    tables["sites"]["label_column"] = "name"
    return {"description": "The research database (read-only).", "tables": tables}


def archive_root(url) -> Path | None:
    """The archive of a database as ``Store`` finds it ($HARVESTER_ARCHIVE, else ``archive/`` next to a
    SQLite file, else data/archive); None when that folder does not exist."""
    import os

    from harvester.db.engine import sqlite_path

    env = os.environ.get("HARVESTER_ARCHIVE")
    if env:
        root = Path(env).expanduser()
    else:
        db_file = sqlite_path(url) if url.get_backend_name() == "sqlite" else None
        root = db_file.parent / "archive" if db_file is not None else Path("data/archive")
    return root.resolve() if root.is_dir() else None


def prepare(url, work_dir: Path, *, immutable: bool = False, as_of: dt.date | None = None,
            progress: Progress = no_progress) -> Plan:
    """Build what Datasette serves into ``work_dir``; QueryError for a missing file, a bad URL …"""
    u = resolve(url)
    work_dir.mkdir(parents=True, exist_ok=True)
    path = sqlite_file(u)                       # QueryError when the SQLite file does not exist
    if path is None:
        if u.get_backend_name() != "postgresql":
            raise QueryError(f"unsupported database {u.get_backend_name()!r}")
        path = work_dir / f"{u.database or 'postgresql'}-snapshot.db"
        snapshot_postgres(u, path, progress)
        immutable = True
    database_name = path.stem
    companion_name = "research" if database_name != "research" else "research_labels"
    companion = work_dir / f"{companion_name}.db"
    companion_meta = build_companion(u, companion, as_of=as_of, progress=progress)
    metadata = {
        "title": "政府信息公开工作年度报告 — research database",
        "description": "Annual reports on government information disclosure collected by harvester. "
                       f"'{companion_name}' holds the labelled tables (start with {companion_name}/reports); "
                       f"'{database_name}' is the database itself.",
        "databases": {database_name: main_metadata(), companion_name: companion_meta},
    }
    static = work_dir / "static"
    static.mkdir(exist_ok=True)
    (static / "research.css").write_text(STYLE, encoding="utf-8")
    metadata["extra_css_urls"] = ["/browse-static/research.css"]
    archive = archive_root(u)
    import os
    warc_dir = Path(os.environ.get("HARVESTER_WARC_DIR") or (archive / "warc" if archive else "")).expanduser()
    # the archived copies are served by the plugin (/archive-copy/<sha256>): a file of the archive, or the
    # payload of the WARC record that holds those bytes (the archive is a view of the records)
    metadata["plugins"] = {"harvester-browse": {"companion": companion_name, "main": database_name,
                                                "archive_url": "/archive-copy/" if archive else None,
                                                "archive_root": str(archive) if archive else None,
                                                "warc_dir": str(warc_dir) if archive else None}}
    from harvester.research.charts import dashboards
    metadata["plugins"]["datasette-dashboards"] = dashboards(companion_name)
    plugins = work_dir / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "harvester_browse.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    meta_path = work_dir / "metadata.json"
    meta_path.write_text(json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8")
    return Plan(path, database_name, immutable, companion, companion_name, meta_path, static, plugins, archive)


def serve(plan: Plan, host: str, port: int) -> None:
    """Run Datasette in this process until interrupted."""
    from datasette.cli import cli as datasette_cli

    datasette_cli.main(args=plan.datasette_args(host, port), prog_name="datasette", standalone_mode=False)
