"""The crawl's commands: crawl, nightly, health, mute, init, parse, reparse, demo — each a short function over
the library (harvester.crawl, harvester.db, harvester.extract, harvester.report, harvester.devportal)."""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from harvester import settings as defaults
from harvester.cli.options import BadInput, db_create_option, db_option

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
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    frontier = None
    if s.get("HARVESTER_FRONTIER") == "disk" and not s.get("JOBDIR") and not s.get("HARVESTER_DISTRIBUTED"):
        # the crawl's frontier in Scrapy's disk queues (memory does not grow with the sites queued): a directory
        # of this run only — a JOBDIR kept would also keep its dupefilter, and the next night would fetch nothing
        import tempfile
        frontier = tempfile.TemporaryDirectory(prefix="harvester-frontier-")
        s.set("JOBDIR", frontier.name, priority="cmdline")
    handler = None
    if log_file:            # a rotating file (a nightly job runs for years), not Scrapy's ever-growing LOG_FILE
        handler = rotating_log_handler(log_file, s)
        s.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(s)
    if handler is not None:
        logging.root.addHandler(handler)
        logging.root.setLevel(logging.NOTSET)
    crawler = process.create_crawler("reports")
    process.crawl(crawler)
    try:
        process.start()
    finally:
        if frontier is not None:
            frontier.cleanup()
    ctx = getattr(crawler, "harvester_context", None)
    if ctx is None:
        raise click.ClickException("the crawl did not start (see the log)")
    if not ctx.closed:  # the spider never opened or closed normally
        ctx.finish("failed")
    return {"run_id": ctx.run_id, "outcomes": ctx.outcomes, "sites": ctx.sites, "evidence": ctx.evidence}


def rotating_log_handler(log_file: str, settings) -> logging.Handler:
    """The crawl log: rotated at HARVESTER_LOG_MAX_BYTES, HARVESTER_LOG_BACKUPS old files kept
    (crawl.log.1 … .N), Scrapy's format and level."""
    from logging.handlers import RotatingFileHandler

    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(log_file, maxBytes=settings.getint("HARVESTER_LOG_MAX_BYTES"),
                                  backupCount=settings.getint("HARVESTER_LOG_BACKUPS"), encoding="utf-8")
    handler.setFormatter(logging.Formatter(fmt=settings.get("LOG_FORMAT"), datefmt=settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL"))
    return handler


def print_outcomes(result: dict) -> None:
    """Every site's outcome; under each site that is not ok, the evidence of what was tried."""
    from harvester.crawl.run import evidence_lines

    click.echo(f"Crawl run {result['run_id']}: {len(result['outcomes'])} sites")
    alarms = 0
    for sid, (outcome, reason) in sorted(result["outcomes"].items()):
        site = result["sites"].get(sid)
        name = site.name if site else sid
        click.echo(f"  {sid:<14} {name[:24]:<24} {outcome:<18} {reason}")
        if outcome != "ok":
            alarms += 1
            for line in evidence_lines((result.get("evidence") or {}).get(sid)):
                click.echo(f"      | {line}")
    if alarms:
        click.echo(f"ALARM: {alarms} sites yielded no reports (or half of last time's) and need a person — "
                   "`harvester health` lists them")


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


def check_registry(path, only=()) -> list:
    """The registry's sites; bad input (unreadable file, bad line, unknown --site) in one line, exit 2."""
    from harvester.crawl.registry import RegistryError, load_sites

    try:
        sites = load_sites(path)
    except RegistryError as exc:
        raise BadInput(str(exc)) from None
    known = {s.site_id for s in sites}
    unknown = [sid for sid in only if sid not in known]
    if unknown:
        close = sorted(known, key=lambda k: (not k.startswith(unknown[0][:2]), k))[:5]
        raise BadInput(f"--site {', '.join(unknown)}: not in the registry {path} ({len(known)} sites, e.g. "
                       f"{', '.join(close)})")
    return sites


def crawl_exit_code(result: dict) -> int:
    """Non-zero only when nothing could be crawled: no site answered at all."""
    answered = [o for o, _ in result["outcomes"].values() if o not in ("unreachable", "blocked", "robots_disallowed")]
    return 0 if answered or not result["outcomes"] else 1


@click.command()
@click.option("--sites", default=lambda: os.environ.get("HARVESTER_SITES", defaults.HARVESTER_SITES),
              show_default="data/sites.csv", type=click.Path(dir_okay=False), help="Site registry CSV.")
@db_create_option
@click.option("--site", "only", multiple=True, help="Crawl only this site_id (repeatable).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-file", default="data/logs/crawl.log", show_default=True,
              help="The crawl's log (the console shows only the outcome); '-' logs to the console.")
@click.option("--refresh", is_flag=True,
              help="Fetch everything in full: start pages, list pages, every report (no conditional requests).")
@click.option("--verify", is_flag=True,
              help="Re-check every known report (conditionally): a changed document is re-parsed and the report "
                   "marked revised; one gone from the site (404) is marked withdrawn.")
@click.option("--distributed", "redis_url", metavar="REDIS_URL", default=None,
              help="Run as one worker of a distributed crawl: the frontier and dupefilter are shared in this Redis "
                   "(redis://host:6379/0); --db must be PostgreSQL. See docs/distributed.md.")
@click.option("--job", default=None, help="The distributed job this worker joins (default: <registry>-<UTC date>).")
def crawl(sites, db_url, only, log_level, log_file, refresh, verify, redis_url, job):
    """Crawl the registry's sites; store reports by agency and year.

    \b
    Incremental: a site is entered at the report columns an earlier run found; list pages are asked
    for conditionally (If-None-Match / If-Modified-Since; a 304 is read from the archive) and reports
    harvested before are not fetched again. A killed crawl started again picks up what is missing.

    \b
    Every problem (unreachable site, 404 column, unreadable document, challenge page) is recorded
    with its reason in the crawl run and printed at the end; the crawl goes on. The exit code is
    non-zero only when no site could be crawled at all.

    \b
    Examples:
      harvester crawl
      harvester crawl --sites data/sites.csv --db postgresql://me@db/harvester --site 350128
      harvester crawl --verify          # weekly: revisions and withdrawals too
      harvester crawl --distributed redis://queue:6379/0 --job nightly-2026-01-05 --db postgresql://me@db/h
    """
    check_registry(sites, only)
    overrides = {"HARVESTER_REFRESH": refresh, "HARVESTER_VERIFY": verify}
    # -- distributed mode (harvester/crawl/distributed.py) --
    if redis_url:
        from harvester.crawl.distributed import DistributedError, prepare_worker
        try:
            job, worker = prepare_worker(redis_url, job, sites=sites, db_url=db_url)
        except DistributedError as exc:
            raise click.ClickException(str(exc))
        overrides.update(worker)
    elif job:
        raise click.UsageError("--job names a distributed job: it needs --distributed REDIS_URL")
    # -- end distributed mode --
    result = run_crawl(sites=sites, db_url=db_url, only=only, log_level=log_level.upper(),
                       log_file=None if log_file == "-" else log_file, overrides=overrides)
    if redis_url and not result["outcomes"]:
        click.echo(f"Crawl run {result['run_id']}: worker of job {job} done; the job's last worker records the "
                   "sites' outcomes")
    else:
        print_outcomes(result)
    print_summary(db_url)
    sys.exit(crawl_exit_code(result))


# ---- nightly / health ----------------------------------------------------------------------------------
@click.command()
@click.option("--sites", default=lambda: os.environ.get("HARVESTER_SITES", defaults.HARVESTER_SITES),
              show_default="data/sites.csv", type=click.Path(dir_okay=False), help="Site registry CSV.")
@db_create_option
@click.option("--out", "out_dir", default="exports", show_default=True, type=click.Path(file_okay=False),
              help="Where the exports go.")
@click.option("--reports-dir", default="data/runs", show_default=True, type=click.Path(file_okay=False),
              help="Where the run report (run-<id>.md and .json) goes.")
@click.option("--verify", is_flag=True, help="Also re-check every known report (revisions, withdrawals); weekly, say.")
@click.option("--log-file", default="data/logs/nightly.log", show_default=True,
              help="The crawl's log, rotated (HARVESTER_LOG_MAX_BYTES, HARVESTER_LOG_BACKUPS).")
def nightly(sites, db_url, out_dir, reports_dir, verify, log_file):
    """The scheduled job: crawl what is new, re-parse what changed, export, write a run report.

    \b
    The crawl is incremental (conditional requests; reports harvested before are not fetched again;
    a document whose bytes changed is re-parsed and its report marked revised). The run report lists
    reports new, revised and withdrawn, every site's outcome with its reason, the problems recorded,
    and the sites that worked last time and fail now.

    \b
    Exit codes: 0 done; 1 no site could be crawled; 2 a whole class of sites (every site of one CMS
    family that worked in its previous run) fails now — the spider, not the web, is broken.

    \b
    Examples:
      harvester nightly --db postgresql://harvester@db/harvester
      harvester nightly --verify          # e.g. on Sundays
      (cron and systemd timer files: deploy/)
    """
    from harvester.db import Store
    from harvester.research.export import export_reports
    from harvester.crawl.nightly import run_report, write_run_report
    check_registry(sites)
    result = run_crawl(sites=sites, db_url=db_url, log_level="INFO", log_file=log_file,
                       overrides={"HARVESTER_VERIFY": verify})
    print_outcomes(result)
    paths = export_reports(db_url, out_dir)
    click.echo(f"exported {len(paths)} files to {out_dir}")
    with Store(db_url) as store:
        report = run_report(store, result["run_id"])
    written = write_run_report(report, reports_dir)
    r = report["reports"]
    click.echo(f"run {report['run_id']}: {r['new']} new, {r['revised']} revised, {r['withdrawn']} withdrawn, "
               f"{r['rejected']} rejected; report: {written[1]}")
    for x in report["rejected_revisions"]:
        click.echo(f"  REJECTED revision of report {x['report_id']} {x['agency']} {x['year']} ({x['site_id']}): "
                   f"{x['reason']} — the current document stays; `harvester health` lists it", err=True)
    for s in report["regressions"]:
        click.echo(f"  REGRESSION {s['site_id']} ({s['platform']}): {s['outcome']} — {s['reason']}", err=True)
    if report["failed_classes"]:
        click.echo("ALARM: every site of " + ", ".join(report["failed_classes"]) +
                   " that worked last time fails now — " + report["class_hint"], err=True)
        sys.exit(2)
    sys.exit(crawl_exit_code(result))


@click.command()
@db_option
@click.option("--sites", default=None, type=click.Path(dir_okay=False),
              help="The current registry (default: the one the latest crawl read); sites not in it are left out.")
@click.option("--all", "show_all", is_flag=True, help="Every site, not only those that need a person.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def health(db_url, sites, show_all, as_json):
    """Sites that need a person: blocked, layout changed, no report column, no reports, a rejected revision
    (exit 1 if any).

    \b
    From the run history in the database, for the sites of the current registry only: each site's latest
    outcome and reason, how many runs in a row it has failed, when it last worked, how many reports are stored
    for it, re-fetched documents rejected because they parse worse than the current one, the evidence of
    its latest run (pages visited and what each listed, renders, captured browser calls, column candidates)
    — with what to do next — and each report column's revisit schedule (nightly, or every N nights when
    unchanged for months; always nightly 1 Jan – 31 Mar). A site whose crawl finds nothing — or half or fewer
    of the reports — where an earlier run found them is `layout_changed`: the alarm for a broken spider.
    A muted site (`harvester mute`) is shown as muted and does not count until its mute expires.

    \b
    Examples:
      harvester health
      harvester health --all --json | jq .
      harvester health > /dev/null || mail -s "harvester needs a person" ops@example.org
    """
    from harvester.db import Store
    from harvester.crawl.nightly import health as site_health

    registry = [s.site_id for s in check_registry(sites)] if sites else None
    with Store(db_url) as store:
        rows = site_health(store, registry)
    shown = rows if show_all else [r for r in rows if r["problem"] or r["muted"]]
    if as_json:
        for r in shown:
            click.echo(json.dumps(r, ensure_ascii=False))
    elif not rows:
        click.echo("No site crawled yet.")
    elif not shown:
        click.echo(f"All {len(rows)} sites healthy.")
    else:
        from harvester.crawl.run import evidence_lines

        click.echo(f"{'site':<14} {'outcome':<18} {'failing':>7} {'last ok':>8} {'reports':>7}  reason")
        for r in shown:
            outcome = "muted" if r["muted"] else r["outcome"]
            click.echo(f"{r['site_id']:<14} {outcome:<18} {r['failing_runs']:>7} "
                       f"{r['last_ok_run'] or '-':>8} {r['reports_stored']:>7}  {r['reason'][:100]}")
            if r["muted"]:
                click.echo(f"    | muted until {r['muted']['until']}: {r['muted']['reason']} (latest: {r['outcome']})")
                continue
            for x in r["rejected_revisions"]:
                click.echo(f"    | REJECTED revision of report {x['report_id']} {x['agency']} {x['year']}: "
                           f"{x['reason']} — {x['document_url']}")
            if r["problem"]:
                for line in evidence_lines(r.get("evidence"), pages=4, candidates=3):
                    click.echo(f"    | {line}")
                if r["hint"]:
                    click.echo(f"    → what to do: {r['hint']}")
            for c in r.get("columns") or []:
                every = "nightly" if (c["interval_nights"] or 1) <= 1 else f"every {c['interval_nights']:g} nights"
                click.echo(f"    column {c['url']}: {every}, {c['changes']} changes in {c['checks']} checks, "
                           f"last changed {(c['last_changed_at'] or '-')[:10]}, "
                           f"{'due' if c['due'] else 'next due ' + (c['next_due_at'] or '-')[:16]}")
        muted = sum(1 for r in rows if r["muted"])
        if muted:
            click.echo(f"({muted} muted)")
    sys.exit(1 if any(r["problem"] for r in rows) else 0)


def _until(ctx, param, value):
    import datetime as dt

    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        try:
            day = dt.date.today() + dt.timedelta(days=int(value.rstrip("d")))
        except ValueError:
            raise BadInput(f"--until {value!r}: give a date YYYY-MM-DD or a number of days such as 30d") from None
    if day < dt.date.today():
        raise BadInput(f"--until {value}: the date has passed")
    return day


@click.command()
@click.argument("site_id")
@db_option
@click.option("--why", "reason", default=None, help="Why the site's alarm is muted (shown in health).")
@click.option("--until", "until", default=None, callback=_until, metavar="YYYY-MM-DD|Nd",
              help="When the mute expires (a date, or days from today such as 30d).")
@click.option("--off", "off", is_flag=True, help="Unmute the site now.")
def mute(site_id, db_url, reason, until, off):
    """Mute a site's alarm in `health` with a reason and an expiry (or --off to unmute).

    \b
    A muted site is still crawled and listed by `health` as muted with its reason; it does not make health
    exit 1 until the mute expires.

    \b
    Examples:
      harvester mute 350128 --why "portal rebuilt, back in January" --until 2027-01-31
      harvester mute 350128 --off
    """
    from harvester.db import Store

    with Store(db_url) as store:
        if not store.site_exists(site_id):
            raise BadInput(f"site {site_id!r} is not in the database {store.safe_url} (crawl it first)")
        if off:
            click.echo(f"{site_id} unmuted" if store.unmute_site(site_id) else f"{site_id} was not muted")
            return
        if not reason or until is None:
            raise BadInput("a mute needs --why REASON and --until YYYY-MM-DD (or --off to unmute)")
        store.mute_site(site_id, reason, until)
    click.echo(f"{site_id} muted until {until.isoformat()}: {reason}")


@click.command()
@db_create_option
def init(db_url):
    """Create the database (or bring it up to date): the one command besides crawl, nightly and demo that may.

    \b
    Examples:
      harvester init --db sqlite:///data/harvester.db
      harvester init --db postgresql://harvester@db/harvester
    """
    from harvester.db import Store

    with Store(db_url) as store:
        click.echo(f"database ready: {store.safe_url}")


# ---- parse / reparse -------------------------------------------------------------------------------
@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
@click.option("--memory-mib", type=int, default=None,
              help="Memory limit of the worker that reads each file (default HARVESTER_EXTRACT_MEMORY_MIB).")
@click.option("--timeout", type=float, default=None,
              help="Seconds a file may take (default HARVESTER_EXTRACT_TIMEOUT).")
def parse(files, as_json, memory_mib, timeout):
    """Parse local report files (HTML, PDF, DOCX, DOC/WPS, RTF, XLS/XLSX, OFD, images, text) without a database.

    \b
    Each cell's location is in the JSON (``provenance``, ``imputed``); ``harvester show FILE`` prints it.

    \b
    Examples:
      harvester parse report.pdf
      harvester parse *.html --json > parsed.jsonl
      harvester parse huge.pdf --memory-mib 4096 --timeout 600

    Each file is read in a sandboxed worker (a memory limit and a time budget); ``read=`` is the read's
    status: ok, too_large, timeout, memory_limit, crashed, encrypted or corrupt.
    """
    from harvester.sandbox.read import read_path

    for path in files:
        parsed, read = read_path(path, memory_mib=memory_mib, timeout=timeout)
        if as_json:
            obj = {"file": path, "read": read.as_row(), **parsed.to_json()}
            click.echo(json.dumps(obj, ensure_ascii=False))
        else:
            filled = sum(1 for c in parsed.cells.values() if c.value is not None)
            click.echo(f"{path}: {parsed.agency or '?'} {parsed.year or '?'} {parsed.report_format or '?'} "
                       f"read={read.status} ({read.seconds:.2f} s, {read.peak_mib or 0:.0f} MiB) "
                       f"status={parsed.status} cells={filled}/{len(parsed.cells)} "
                       f"imputed={len(parsed.imputed_cells)} failed_checks={','.join(parsed.failed_checks) or '-'}")
            for problem in parsed.problems:
                click.echo(f"    {problem}")
            for check in parsed.checks:
                if check.status == "FAIL":
                    click.echo(f"    FAIL {check.id}: {check.detail}")


@click.command()
@db_option
@click.option("--memory-mib", type=int, default=None,
              help="Memory limit of each document's worker (default HARVESTER_EXTRACT_MEMORY_MIB).")
@click.option("--timeout", type=float, default=None, help="Seconds per document (default HARVESTER_EXTRACT_TIMEOUT).")
def reparse(db_url, memory_mib, timeout):
    """Re-run the parser over every archived document (no network; idempotent).

    Documents are read in the sandbox; give other limits to retry those that were timeout or
    memory_limit (each document's read status is on its row in ``documents``).

    \b
    Examples:
      harvester reparse --db sqlite:///data/harvester.db
      harvester reparse --memory-mib 6144 --timeout 900
    """
    from harvester.crawl.reparse import reparse_all

    from harvester.progress import line_progress

    counts = reparse_all(db_url, line=line_progress, memory_mib=memory_mib, timeout=timeout)
    click.echo(f"re-parsed {counts.get('reports', 0)} reports: " +
               ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if k != "reports"))


# ---- demo ---------------------------------------------------------------------------------------------
@click.command()
@db_create_option
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
    from harvester.research.export import export_reports

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


def register(group: click.Group) -> None:
    for command in (crawl, nightly, health, mute, init, parse, reparse, demo):
        group.add_command(command)
