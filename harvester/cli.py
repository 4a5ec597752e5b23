"""The `harvester` command. Each subcommand is a short function over the library."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from harvester import settings as defaults

DB_HELP = "Database URL: sqlite:///path.db or postgresql://user@host/db (env HARVESTER_DB)."
db_option = click.option("--db", "db_url", default=lambda: os.environ.get("HARVESTER_DB", defaults.HARVESTER_DB),
                         show_default="sqlite:///data/harvester.db", help=DB_HELP)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harvester")
def main():
    """Collect 政府信息公开工作年度报告 from government portals into a research database.

    \b
    Examples:
      harvester crawl                              # every site of data/sites.csv into data/harvester.db
      harvester crawl --sites my.csv --site 3201   # one site of another registry
      harvester export --out exports/              # reports_<province code>.csv per province
      harvester parse report.pdf --json            # parse local files, no database
      harvester demo                               # simulated portal → crawl → export
    """


# ---- crawl ----------------------------------------------------------------------------------------
def run_crawl(*, sites: str, db_url: str, only: tuple[str, ...] = (), log_level: str = "ERROR",
              log_file: str | None = None, overrides: dict | None = None) -> dict:
    """Run the reports spider in this process; return the run's outcomes and counts."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("harvester.settings", priority="project")
    s.set("HARVESTER_DB", db_url, priority="cmdline")
    s.set("HARVESTER_SITES", sites, priority="cmdline")
    s.set("HARVESTER_ONLY_SITES", ",".join(only), priority="cmdline")
    s.set("LOG_LEVEL", log_level, priority="cmdline")
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        s.set("LOG_FILE", log_file, priority="cmdline")
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    process = CrawlerProcess(s)
    crawler = process.create_crawler("reports")
    process.crawl(crawler)
    process.start()
    ctx = getattr(crawler, "harvester_context", None)
    if ctx is None:
        raise click.ClickException("the crawl did not start (see the log)")
    if not ctx.closed:  # the spider never opened or closed normally
        ctx.finish("failed")
    return {"run_id": ctx.run_id, "outcomes": ctx.outcomes, "sites": ctx.sites}


def print_outcomes(result: dict) -> None:
    click.echo(f"Crawl run {result['run_id']}: {len(result['outcomes'])} sites")
    for sid, (outcome, reason) in sorted(result["outcomes"].items()):
        site = result["sites"].get(sid)
        name = site.name if site else sid
        click.echo(f"  {sid:<14} {name[:24]:<24} {outcome:<18} {reason}")


def print_summary(db_url: str) -> None:
    from harvester.db import Store

    store = Store(db_url)
    try:
        s = store.summary()
    finally:
        store.close()
    click.echo(f"Database: {s.get('sites', 0)} sites, {s.get('agencies', 0)} agencies, {s.get('reports', 0)} reports")
    by_year = s.get("reports_by_year", {})
    if by_year:
        click.echo("  per year:   " + ", ".join(f"{y}: {n}" for y, n in sorted(by_year.items())))
    for key, label in (("reports_by_format", "per format"), ("reports_by_document_type", "per document"),
                       ("parse_status", "parse status")):
        values = s.get(key, {})
        if values:
            click.echo(f"  {label + ':':<12}" + ", ".join(f"{k or '—'}: {n}" for k, n in sorted(values.items(), key=lambda kv: str(kv[0]))))
    if "failed_checks" in s:
        click.echo(f"  reports with failed checks: {s['failed_checks']}")
    problems = s.get("problems_last_run") or s.get("problems") or {}
    if isinstance(problems, dict) and problems:
        click.echo("  problems (last run): " + ", ".join(f"{k}: {n}" for k, n in sorted(problems.items())))
    elif problems:
        click.echo(f"  problems recorded: {problems}")


def crawl_exit_code(result: dict) -> int:
    """Non-zero only when nothing could be crawled: no site answered at all."""
    answered = [o for o, _ in result["outcomes"].values() if o not in ("unreachable", "blocked", "robots_disallowed")]
    return 0 if answered or not result["outcomes"] else 1


@main.command()
@click.option("--sites", default=lambda: os.environ.get("HARVESTER_SITES", defaults.HARVESTER_SITES),
              show_default="data/sites.csv", type=click.Path(dir_okay=False), help="Site registry CSV.")
@db_option
@click.option("--site", "only", multiple=True, help="Crawl only this site_id (repeatable).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-file", default="data/logs/crawl.log", show_default=True,
              help="The crawl's log (the console shows only the outcome); '-' logs to the console.")
def crawl(sites, db_url, only, log_level, log_file):
    """Crawl the registry's sites; store reports by agency and year.

    \b
    Every problem (unreachable site, 404 column, unreadable document, challenge page) is recorded
    with its reason in the crawl run and printed at the end; the crawl goes on. The exit code is
    non-zero only when no site could be crawled at all.

    \b
    Examples:
      harvester crawl
      harvester crawl --sites data/sites.csv --db postgresql://me@db/harvester --site 350128
    """
    from harvester.registry import RegistryError, load_sites

    try:
        load_sites(sites)
    except RegistryError as exc:
        raise click.ClickException(str(exc))
    result = run_crawl(sites=sites, db_url=db_url, only=only, log_level=log_level.upper(),
                       log_file=None if log_file == "-" else log_file)
    print_outcomes(result)
    print_summary(db_url)
    sys.exit(crawl_exit_code(result))


# ---- export -----------------------------------------------------------------------------------------
@main.command()
@db_option
@click.option("--out", "out_dir", default="exports", show_default=True, type=click.Path(file_okay=False))
@click.option("--province", default=None, help="Only this province (name or 2-digit code).")
def export(db_url, out_dir, province):
    """Write reports_<2-digit province code>.csv per province (UTF-8 with BOM).

    \b
    Example:
      harvester export --out exports/ --province 江苏
    """
    from harvester.export import export_reports

    paths = export_reports(db_url, out_dir, province=province)
    if not paths:
        click.echo("No reports to export.")
    for p in paths:
        click.echo(f"wrote {p}")


# ---- parse / reparse -------------------------------------------------------------------------------
@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
def parse(files, as_json):
    """Parse local report files (HTML, PDF, DOCX, DOC/WPS, RTF, XLS/XLSX, OFD, images, text) without a database.

    \b
    Examples:
      harvester parse report.pdf
      harvester parse *.html --json > parsed.jsonl
    """
    from harvester.report import parse_file

    for path in files:
        parsed = parse_file(path)
        if as_json:
            obj = {"file": path, **parsed.to_json()}
            click.echo(json.dumps(obj, ensure_ascii=False))
        else:
            filled = sum(1 for c in parsed.cells.values() if c.value is not None)
            click.echo(f"{path}: {parsed.agency or '?'} {parsed.year or '?'} {parsed.report_format or '?'} "
                       f"status={parsed.status} cells={filled}/{len(parsed.cells)} "
                       f"failed_checks={','.join(parsed.failed_checks) or '-'}")
            for problem in parsed.problems:
                click.echo(f"    {problem}")


@main.command()
@db_option
def reparse(db_url):
    """Re-run the parser over every archived document (no network; idempotent).

    \b
    Example:
      harvester reparse --db sqlite:///data/harvester.db
    """
    from harvester.reparse import reparse_all

    counts = reparse_all(db_url)
    click.echo(f"re-parsed {counts.get('reports', 0)} reports: " +
               ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if k != "reports"))


# ---- demo ---------------------------------------------------------------------------------------------
@main.command()
@db_option
@click.option("--out", "out_dir", default="exports", show_default=True, type=click.Path(file_okay=False))
@click.option("--port", default=8765, show_default=True, help="Port of the simulated sites (one loopback address each).")
@click.option("--registry", default="data/demo-sites.csv", show_default=True, help="Where to write the demo registry.")
@click.option("--obstacles", is_flag=True,
              help="Add the obstacle sites (robots.txt, challenges, rate limits, …) to show every outcome.")
def demo(db_url, out_dir, port, registry, obstacles):
    """Serve the simulated portals on loopback, crawl them, print a summary, export CSVs.

    \b
    Examples:
      harvester demo --db sqlite:///data/harvester.db --out exports/
      harvester demo --obstacles --db sqlite:///tmp/demo.db
    """
    from harvester.devportal.server import start_world, write_registry
    from harvester.devportal.world import build_world
    from harvester.export import export_reports

    world = build_world(obstacles=obstacles)
    running = start_world(world, port=port)
    try:
        write_registry(running, registry)
        click.echo("Simulated portals: " + ", ".join(running.sites.values()))
        result = run_crawl(sites=registry, db_url=db_url, log_file="data/logs/demo-crawl.log", log_level="INFO")
    finally:
        running.stop()
    print_outcomes(result)
    print_summary(db_url)
    for p in export_reports(db_url, out_dir):
        click.echo(f"wrote {p}")
    sys.exit(crawl_exit_code(result))


if __name__ == "__main__":  # pragma: no cover
    main()
