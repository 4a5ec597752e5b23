"""The researchers' commands besides export: query, show, browse, coverage."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

import click

from harvester.cli.options import db_lazy_option, db_option, progress_bar, require_db


@contextlib.contextmanager
def _errors():
    """Turn the library's errors into one-line messages (no traceback)."""
    from harvester.cli.options import BadInput
    from harvester.research.query import QueryError, one_line
    from harvester.research import UnknownProvince

    try:
        yield
    except UnknownProvince as exc:
        raise BadInput(str(exc)) from None
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(one_line(exc)) from None


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


# ---- query ----------------------------------------------------------------------------------------------

def _stdout_is_file() -> bool:
    """stdout is redirected to a regular file (not a terminal, pipe or socket)."""
    import os
    import stat

    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


@click.command()
@click.argument("sql")
@db_option
@click.option("--csv", "as_csv", is_flag=True,
              help="CSV instead of a table: UTF-8, with a byte order mark (for Excel) when written to a file.")
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="Write the CSV to this file (UTF-8 with BOM, opens in Excel); implies --csv.")
@click.option("--max-width", default=40, show_default=True, type=click.IntRange(4, None),
              help="Table output: cells wider than this many columns are cut with '…'.")
@click.option("--limit", default=None, type=click.IntRange(1, None), help="Print at most this many rows.")
def query(sql, db_url, as_csv, output, max_width, limit):
    """Run one read-only SQL statement and print the result.

    The database refuses every write: SQLite is opened read-only (mode=ro), PostgreSQL runs the
    statement in a READ ONLY transaction. Tables: reports, agencies, cells, checks, sites,
    crawl_runs, site_outcomes, crawl_events (see docs/research.md).

    \b
    Examples:
      harvester query "SELECT year, count(*) AS reports FROM reports GROUP BY year"
      harvester query "SELECT a.name, r.year, c.value FROM cells c JOIN reports r ON r.id = c.report_id
                       JOIN agencies a ON a.id = r.agency_id WHERE c.cell_id = 'apply.new.total'" -o new.csv
      harvester query "SELECT a.agency_key AS agency_id, r.id AS report_id, r.year FROM reports r
                       JOIN agencies a ON a.id = r.agency_id" --csv > ids.csv
      harvester query --db postgresql://me@db/harvester "SELECT status, count(*) FROM checks GROUP BY status"
    """
    from harvester.research.query import format_table, run_query, write_csv

    with _errors():
        result = run_query(db_url, sql, limit=limit)
    if as_csv or output:
        buf = io.StringIO(newline="")
        write_csv(buf, result.columns, result.rows)
        if output:
            target = Path(output)
            tmp = target.with_name(target.name + ".tmp")
            with _errors():
                tmp.write_bytes(buf.getvalue().encode("utf-8-sig"))
                tmp.replace(target)
            click.echo(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''} written to {output}", err=True)
            return
        sys.stdout.flush()
        # UTF-8 whatever the locale; a BOM when stdout is a file (`> out.csv`), so Excel reads it as UTF-8
        encoding = "utf-8-sig" if _stdout_is_file() else "utf-8"
        sys.stdout.buffer.write(buf.getvalue().encode(encoding))
        sys.stdout.buffer.flush()
        return
    if not result.columns:
        click.echo("(no result set)")
        return
    click.echo(format_table(result.columns, result.rows, max_width=max_width))
    click.echo(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})", err=True)


# ---- coverage -------------------------------------------------------------------------------------------

@click.command()
@db_option
@click.option("--out", "out_dir", default="exports", show_default=True, type=click.Path(file_okay=False),
              help="Directory for coverage.csv and coverage.html.")
@click.option("--as-of", "as_of", default=None, callback=_date, metavar="YYYY-MM-DD",
              help="Judge deadlines on this date (default: today).")
@click.option("--since", default=None, type=click.IntRange(1990, 2200),
              help="Expect reports from this year on for every agency (default: each agency's first report year).")
@click.option("--province", default=None, help="Only this province: 江苏, 江苏省, Jiangsu or 32.")
@click.option("--registry", default=None, type=click.Path(dir_okay=False),
              help="With --province: every government the division dataset expects (province, cities, counties) "
                   "against this registry and the database — no site, no report column, no report (gaps_<code>.csv).")
@click.option("--year", "years", multiple=True, type=click.IntRange(1990, 2200),
              help="With --registry: a government counts as covered only with a report of these years.")
def coverage(db_url, out_dir, as_of, since, province, registry, years):
    """Which agency-years were found, parsed, failed checks, or are missing after the deadline.

    \b
    Deadlines (条例 第五十条): departments by 31 January, governments (人民政府, 管委会,
    街道办事处, 乡/镇 …) by 31 March of the next year. Expected: every agency in the database ×
    every year from its first report (or --since) to the latest year whose deadline has passed.
    Writes coverage.csv (UTF-8 with BOM) and coverage.html (a heat map per province; open it in a
    browser — colours: green parsed, amber failed checks, blue found but not parsed, red missing
    after the deadline, grey not yet due).

    \b
    Examples:
      harvester coverage
      harvester coverage --as-of 2025-04-01 --since 2021 --out reports/
      harvester coverage --province 福建 --db postgresql://me@db/harvester
      harvester coverage --province 宁夏 --registry data/sites.csv --year 2023
    """
    from harvester.research import coverage as cov
    from harvester.research import EmptyDatabase, open_db

    as_of = as_of or dt.date.today()
    if registry:
        _gaps(db_url, out_dir, province, registry, list(years))
        return
    with _errors():
        with open_db(db_url) as db:
            if db.report_count() == 0:
                raise EmptyDatabase()
            db.province_names(province)           # unknown province → error listing the known ones
            entries = cov.compute(db, as_of=as_of, since=since, province=province)
        out = Path(out_dir)
        csv_path = cov.write_csv(entries, out / "coverage.csv")
        html_path = cov.write_html(entries, out / "coverage.html", as_of=as_of)
    c = cov.counts(entries)
    click.echo(f"coverage as of {as_of.isoformat()}: {len({e.agency_id for e in entries})} agencies, "
               f"{len(entries)} agency-years — " + ", ".join(f"{cov.STATUS_LABELS[s]}: {c[s]}" for s in cov.STATUSES)
               + f"; reports with imputed cells: {cov.imputed_reports(entries)}")
    click.echo(f"wrote {csv_path}")
    click.echo(f"wrote {html_path}")


def _gaps(db_url: str, out_dir: str, province: str | None, registry: str, years: list[int]) -> None:
    from collections import Counter

    from sqlalchemy import create_engine, inspect

    from harvester.discovery import gaps as G
    from harvester.divisions import province_code, province_names
    from harvester.crawl.registry import RegistryError, load_sites

    p2 = province_code(province) if province else None
    if p2 is None:
        raise click.UsageError("--registry needs --province (one of: " + ", ".join(province_names()) + ")")
    try:
        sites = load_sites(registry)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = None
    if not (db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).exists()):
        engine = create_engine(db_url)
        if not inspect(engine).has_table("site_outcomes"):
            engine.dispose()
            engine = None
    try:
        gaps = G.compute(p2, sites, engine, years or None)
    finally:
        if engine is not None:
            engine.dispose()
    c = Counter(g.status for g in gaps)
    click.echo(f"{len(gaps)} governments expected in {gaps[0].name} (division dataset): "
               + ", ".join(f"{s} {c.get(s, 0)}" for s in G.STATUSES)
               + ("" if engine is not None else " (no database: registry only)"))
    click.echo(f"  {'code':6s}  {'level':8s} {'status':16s} {'government':14s} sites / years / detail")
    for g in gaps:
        click.echo(f"  {g.division_code}  {g.level:8s} {g.status:16s} {g.name:14s} "
                   + " · ".join(x for x in (g.site_ids, g.years, g.detail) if x))
    path = G.write_csv(gaps, Path(out_dir) / f"gaps_{p2}.csv")
    click.echo(f"wrote {path}")


# ---- show -----------------------------------------------------------------------------------------------

@click.command()
@click.argument("report")
@click.argument("year", required=False, type=click.IntRange(1990, 2200))
@db_lazy_option
@click.option("--cells", "pattern", default=None, metavar="GLOB",
              help="Only the cells whose id matches, e.g. 'apply.new.*' or '*.total'.")
@click.option("--no-empty", "no_empty", is_flag=True, help="Leave out the cells with no value and no location.")
@click.option("--json", "as_json", is_flag=True, help="The report as `harvester parse --json` prints it.")
@click.option("--memory-mib", type=int, default=None, help="A local FILE: its worker's memory limit (MiB).")
@click.option("--timeout", type=float, default=None, help="A local FILE: seconds it may take to read.")
def show(report, year, db_url, pattern, no_empty, as_json, memory_mib, timeout):
    """Print a report's tables with where every cell was read, and its checks.

    REPORT is a report id, an agency name (with YEAR), or a local file (parsed, no database). Each
    cell: value, the text as printed, the reader (grid, text_runs, cell_per_line, glued, imputed)
    and where — PDF page, table/row/column of a grid, line of the text — with the row as read and
    the readings of glued digits. Then every check that did not pass, with its cells and arithmetic.

    \b
    Examples:
      harvester show 42
      harvester show 上海市人民政府办公厅 2019 --cells 'appeal.*'
      harvester show report.pdf --cells 'apply.new.*'
    """
    from harvester.report.show import render

    path = Path(report)
    header: dict = {}
    if year is None and path.is_file():
        from harvester.sandbox.read import read_path

        parsed, read = read_path(path, memory_mib=memory_mib, timeout=timeout)
        header = {"document_url": str(path), "read": read.as_row()}
    else:
        parsed, header = _stored_report(db_url, report, year)
    if as_json:
        click.echo(json.dumps({**header, **parsed.to_json()}, ensure_ascii=False, default=str))
        return
    click.echo(render(parsed, header=header, cells=pattern, show_empty=not no_empty))


def _stored_report(db_url, report: str, year: int | None):
    from harvester.research.export import ExportError, open_store

    require_db(db_url)
    try:
        store = open_store(db_url)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        if report.isdigit() and year is None:
            report_id = int(report)
        else:
            if year is None:
                raise click.UsageError(f"{report!r} is neither a report id nor a file: give the agency's YEAR too")
            found = store.find_reports(report, year)
            if not found:
                known = sorted({r["year"] for r in store.find_reports(report)})
                raise click.ClickException(f"no report of {report} for {year}" + (
                    f"; it has reports for {', '.join(map(str, known))}" if known else "; no such agency"))
            if len(found) > 1:
                raise click.ClickException(f"{len(found)} agencies named {report} have a {year} report: " + ", ".join(
                    f"report {r['id']} ({' '.join(x for x in (r['province'], r['city'], r['county']) if x)})"
                    for r in found) + " — show one by its id")
            report_id = found[0]["id"]
        row = store.get_report(report_id)
        if row is None:
            raise click.ClickException(f"no report {report_id} in {store.safe_url}")
        parsed = store.load_parsed(report_id)
        parsed.problems = [p for p in (row.get("parse_detail") or "").split("; ") if p]
        docs = store.cell_documents(report_id)
        parsed.document_sha256 = next(iter(docs)) if len(docs) == 1 else None
        header = {k: row.get(k) for k in ("document_url", "document_type", "document_sha256", "page_url")}
        return parsed, {"report_id": report_id, **header}
    finally:
        store.close()


# ---- browse ---------------------------------------------------------------------------------------------

@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--work-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the labelled companion database, snapshot and metadata here (default: a temporary "
                   "directory removed on exit).")
@click.option("--immutable", is_flag=True,
              help="Open a SQLite database immutable (faster counts; nothing may write it meanwhile).")
@click.option("--no-serve", is_flag=True, help="Only build the files (needs --work-dir) and print the datasette command.")
def browse(db_url, host, port, work_dir, immutable, no_serve):
    """Explore the database in a browser (Datasette), labelled from the data dictionary.

    \b
    Two databases are served: the database itself, read-only, and 'research', built at start:
    research/reports (one row per report, one column per cell id, each column described by its
    Chinese labels, English label and unit; facets province / year / parse_status), research/cells
    (one row per cell with its labels), research/checks, research/coverage, research/dictionary.
    A PostgreSQL database is first copied into a read-only SQLite snapshot (Datasette reads only
    SQLite). Stop with Ctrl-C.

    \b
    Examples:
      harvester browse                        # then open http://127.0.0.1:8001/research/reports
      harvester browse --db sqlite:///data/harvester.db --port 8080
      harvester browse --db postgresql://me@db/harvester --work-dir data/browse
    """
    from harvester.research.browse import prepare, serve

    if no_serve and not work_dir:
        raise click.UsageError("--no-serve needs --work-dir (the files would be removed on exit)")
    tmp = None
    if work_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="harvester-browse-"))
    try:
        with _errors():
            plan = prepare(db_url, Path(work_dir) if work_dir else tmp, immutable=immutable, progress=progress_bar)
        if no_serve:
            click.echo("datasette " + " ".join(plan.datasette_args(host, port)))
            return
        click.echo(f"Datasette on http://{host}:{port}/ — start with http://{host}:{port}/{plan.companion_name}/reports"
                   " (Ctrl-C stops)", err=True)
        serve(plan, host, port)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def register(group: click.Group) -> None:
    """Add this module's commands to the `harvester` group."""
    group.add_command(query)
    group.add_command(browse)
    group.add_command(coverage)
    group.add_command(show)
