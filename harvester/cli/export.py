"""`harvester export`: the researchers' files per province (see docs/exports.md)."""
from __future__ import annotations

import sys

import click

from harvester.cli.options import db_option


@click.command()
@db_option
@click.option("--out", "out_dir", default="exports", show_default=True, type=click.Path(file_okay=False),
              help="Output directory (created when missing; files of the same name are replaced).")
@click.option("--province", default=None,
              help="Only this province: 江苏, 江苏省, Jiangsu or 32; 00 = unknown province.")
@click.option("--year", "years", multiple=True, metavar="YEAR|FROM-TO",
              help="Only these report years; repeatable, or a range such as 2021-2023.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="csv: UTF-8 with BOM (opens in Excel); parquet: typed columns (pyarrow).")
@click.option("--wacz", "wacz", default=None, type=click.Path(dir_okay=False),
              help="Instead: write a WACZ web archive of the reports' evidence (their pages and documents as "
                   "captured) to this file, for one --province or --agency; validated by reading it back.")
@click.option("--agency", default=None,
              help="With --wacz: only this agency — its exact name or agency_id, or the start of the name of only "
                   "one agency (several matching: an error listing them).")
def export(db_url, out_dir, province, years, fmt, wacz, agency):
    """Write the research files: per province reports_<code>, cells_<code> and checks_<code>, plus
    data_dictionary and manifest.json (row counts, columns, filters, database, latest crawl run).

    <code> is the 2-digit GB/T 2260 province code. Exit codes: 0 written; 2 bad input (a --db that
    cannot be opened, unknown province, bad year); 3 the database has no reports yet.

    \b
    Examples:
      harvester export                                   # every province, CSV, into exports/
      harvester export --province 江苏 --out exports/js
      harvester export --province 32 --year 2021-2023 --format parquet
      harvester export --db postgresql://me@db/harvester --year 2023 --year 2024
      harvester export --wacz evidence-32.wacz --province 江苏       # the evidence, for a paper's deposit
    """
    from harvester.research.export import (
        EXIT_EMPTY, ExportError, export_reports, open_store, parse_years, resolve_province,
    )

    try:
        resolve_province(province)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--province") from None
    try:
        parse_years(years)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--year") from None
    try:
        store = open_store(db_url)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if wacz:
        from harvester.research.wacz import WaczError, write_wacz
        if not province and not agency:
            raise click.UsageError("--wacz needs --province or --agency (a WACZ of one province or agency)")
        try:
            done = write_wacz(store, wacz, province=province, agency=agency)
        except (WaczError, ExportError) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            store.close()
        click.echo(f"wrote {done['path']}: {done['reports']} reports, {done['records']} WARC records, "
                   f"{done['pages']} pages; validated ({done['index_lines']} index lines read back)")
        return
    try:
        paths = export_reports(store, out_dir, province=province, years=years, fmt=fmt, progress=True)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if not paths:
        click.echo(f"no reports in the database {store.safe_url} — run `harvester crawl` first", err=True)
        sys.exit(EXIT_EMPTY)
    import json
    manifest = json.loads(paths[-1].read_text(encoding="utf-8"))
    data_files = [f for f in manifest["files"] if f["kind"] == "reports"]
    if not data_files:
        click.echo("no reports match the filters", err=True)
    for f in manifest["files"]:
        click.echo(f"wrote {paths[-1].parent / f['name']} ({f['rows']} rows)")
    click.echo(f"wrote {paths[-1]}")


def register(group: click.Group) -> None:
    group.add_command(export)
