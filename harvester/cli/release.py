"""`harvester chart` and `harvester publish`: pictures and a citable release (see docs/research.md)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from harvester.cli.options import db_option


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.command()
@db_option
@click.option("--out", "out_dir", default="exports/charts", show_default=True, type=click.Path(file_okay=False),
              help="Directory for the PNG and SVG files.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["trend", "ranking", "coverage"]),
              help="Which charts (repeatable; default: trend and coverage, plus ranking with --province).")
@click.option("--figure", default="apply.new.total", show_default=True,
              help="Cell id or derived figure to draw (e.g. derived.disclosure_rate, appeal.review.total).")
@click.option("--province", default=None, help="Only this province: 江苏, 江苏省, Jiangsu or 32.")
@click.option("--year", default=None, type=int, help="Year of the ranking (default: the latest with values).")
@click.option("--as-of", "as_of", default=None, callback=_date, metavar="YYYY-MM-DD",
              help="Coverage deadlines judged on this date (default: today).")
@click.option("--format", "formats", multiple=True, type=click.Choice(["png", "svg"]),
              help="Output formats (repeatable; default both).")
def chart(db_url, out_dir, kinds, figure, province, year, as_of, formats):
    """Draw the figures a researcher looks at, as PNG and SVG (Chinese labels; no browser needed).

    \b
    trend     the figure per province over the years (sum of the reports; mean for a rate)
    ranking   the agencies of --province ranked by the figure in --year
    coverage  the compliance heat-map (agency × year of --province, or province × year)

    \b
    Examples:
      harvester chart                                        # trend of apply.new.total + coverage
      harvester chart --province 江苏 --figure derived.disclosure_rate
      harvester chart --kind ranking --province Jiangsu --figure apply.new.total --year 2023
    """
    from harvester.research.charts import ChartError, draw
    from harvester.research.query import QueryError
    from harvester.research import open_db

    if not kinds:
        kinds = ("trend", "coverage", "ranking") if province else ("trend", "coverage")
    try:
        with open_db(db_url) as db:
            if db.report_count() == 0:
                raise click.ClickException("no reports yet — run `harvester crawl` first")
            paths = draw(db, Path(out_dir), kinds=kinds, figure=figure, province=province, year=year,
                         as_of=as_of, formats=formats or ("png", "svg"))
    except (ChartError, QueryError) as exc:
        raise click.ClickException(str(exc)) from None
    for p in paths:
        click.echo(f"wrote {p}")


@click.command()
@click.argument("out", type=click.Path(file_okay=False))
@db_option
@click.option("--licence", "licence", default="CC-BY-4.0", show_default=True,
              type=click.Choice(["CC-BY-4.0", "CC0-1.0", "ODbL-1.0"]), help="Licence of the compilation.")
@click.option("--author", default="harvester project contributors", show_default=True,
              help="Who compiled the release (CITATION.cff, LICENSE).")
@click.option("--version", "version", default=None, help="Release version (default: the date).")
@click.option("--as-of", "as_of", default=None, callback=_date, metavar="YYYY-MM-DD",
              help="Release date and coverage deadlines (default: today).")
@click.option("--no-charts", is_flag=True, help="Leave out the charts.")
def publish(out, db_url, licence, author, version, as_of, no_charts):
    """Write a self-describing, citable release of the database into the new folder OUT.

    CSV per province and national (UTF-8 with BOM), Parquet, a SQLite file for Datasette with its
    metadata.json, the data dictionary, coverage.csv, charts, README.md (coverage and key figures),
    datapackage.json (Frictionless), LICENSE, CITATION.cff and SHA256SUMS. No local paths.

    \b
    Examples:
      harvester publish release-2025
      harvester publish out/v1 --version 1.0 --author "Jane Doe" --licence CC0-1.0
      (cd release-2025 && sha256sum -c SHA256SUMS && frictionless validate datapackage.json)
    """
    from harvester.research.export import ExportError
    from harvester.research.publish import PublishError
    from harvester.research.publish import publish as run
    from harvester.research.query import QueryError

    try:
        paths = run(db_url, Path(out), licence=licence, author=author, version=version, as_of=as_of,
                    charts=not no_charts)
    except (PublishError, ExportError, QueryError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(paths)} files into {out} (README.md, datapackage.json, SHA256SUMS …)")


def register(group: click.Group) -> None:
    group.add_command(chart)
    group.add_command(publish)
