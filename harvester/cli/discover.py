"""`harvester discover`: build or update the registry from province portals (harvester/discovery/discover.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("seeds", nargs=-1, metavar="SEED_URL…")
@click.option("--seeds-from", "seeds_from", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Also take as seeds the start URLs of this registry's province-level rows (data/registry.csv).")
@click.option("--registry", default="data/sites.csv", show_default=True, type=click.Path(dir_okay=False),
              help="The registry to update (created when missing). Manual rows are kept as they are.")
@click.option("--changes", "changes_path", default=None, type=click.Path(dir_okay=False),
              help="Change log, JSON lines appended (default: <registry>.changes.jsonl).")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False),
              help="The run's full log: rows with evidence, refused links with reasons "
                   "(default: <registry>.discovery.json).")
@click.option("--delay", default=0.5, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds between two requests to one host.")
@click.option("--max-pages", default=5000, show_default=True, type=click.IntRange(1, 10 ** 6),
              help="Stop fetching after this many pages.")
@click.option("--dry-run", is_flag=True, help="Print the changes, write nothing.")
def discover(seeds, seeds_from, registry, changes_path, log_path, delay, max_pages, dry_run):
    """Discover every government site and disclosure column below the seed portals, and reconcile the registry.

    Follows site directories (政府网站导航, 网站群: 市县政府网站, 部门网站) and disclosure menus
    (部门 / 乡镇（街道）信息公开目录) only, keeps to government hosts (.gov.cn, verified by the page's own
    网站标识码 or government name; no company-run host), reads each site's 网站标识码 / ICP / name and
    resolves its division code, level and agency type. The registry gets new sites, moved sites (same
    网站标识码, new URL) get their new URL, sites not found again are dropped — each change is logged with
    its evidence; rows with source=manual are never touched (a manual row's site found at a new URL is
    reported, not followed), and a discovered row edited by hand is kept and becomes manual.

    \b
    Examples:
      harvester discover https://www.nx.gov.cn/ --registry data/sites.csv
      harvester discover https://www.fujian.gov.cn/ https://www.jiangsu.gov.cn/ --dry-run
      harvester discover --seeds-from data/registry.csv --registry data/registry.csv
    """
    from harvester.discovery import discover as D
    from harvester.discovery import reconcile as R
    from harvester.crawl.registry import RegistryError, load_sites, write_registry
    from harvester.settings import USER_AGENT

    reg = Path(registry)
    try:
        current = [s.registry_row() for s in load_sites(reg)] if reg.exists() else []
        if seeds_from:
            seeds = tuple(seeds) + tuple(s.start_url for s in load_sites(seeds_from) if s.level == "province")
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    if not seeds:
        raise click.UsageError("no seed: give SEED_URL… or --seeds-from a registry with province rows")
    result = D.discover(list(seeds), user_agent=USER_AGENT, delay=delay, max_pages=max_pages)
    summary = result.summary()
    click.echo(f"discovered {summary['sites']} sites and {summary['columns']} columns from {len(seeds)} seed(s) "
               f"in {summary['pages']} pages; refused: "
               + (", ".join(f"{k} {v}" for k, v in sorted(summary["refused"].items())) or "none"))
    for r in result.refused:
        click.echo(f"  refused {r['url']} «{r['text']}» ({r['section'] or 'seed'}): {r['reason']}")
    if not result.rows:
        click.echo("nothing discovered: the registry is left as it is", err=True)
        sys.exit(1)
    rows, changes = R.reconcile(current, result.rows, now=result.started_at, run_seeds=list(seeds),
                                refused=result.refused, probe=result.fetcher._get if result.fetcher else None)
    for c in changes:
        where = (f"{c['old_url']} → {c['new_url']}" if c["change"] in ("moved", "moved_manual")
                 else c.get("new_url") or c.get("old_url", ""))
        extra = ""
        if c["change"] == "moved" and c["evidence"].get("columns_moved_with_it"):
            extra = f" (with {len(c['evidence']['columns_moved_with_it'])} of its columns)"
        elif c["change"] == "gone":
            extra = f" ({c['evidence']['seen']}; its URL answers {c['evidence'].get('old_url_answers', '?')})"
        elif c["change"] == "moved_manual":
            extra = f" (matched by {c['evidence']['matched_by']}; the manual row is kept: update it by hand)"
        elif c["change"] == "edited":
            cells = "; ".join(f"{k} {v['registry']!r} (discovery: {v['discovered']!r})"
                              for k, v in c["evidence"]["fields"].items())
            extra = f" (edited by hand: {cells or 'not found this run'}; kept, now source=manual)"
        elif c["change"] == "superseded":
            extra = f" (the manual row {c['evidence']['by_manual_row']} names the same site)"
        click.echo(f"  {c['change']:5s} {c['site_id']} {c['name']} {where}{extra}")
    counts = {k: sum(1 for c in changes if c["change"] == k)
              for k in ("new", "moved", "gone", "unconfirmed", "edited", "moved_manual", "superseded")}
    manual = sum(1 for r in rows if r.get("source") == "manual")
    click.echo(f"changes: {counts['new']} new, {counts['moved']} moved, {counts['gone']} gone; "
               f"{manual} manual rows kept; registry: {len(rows)} rows"
               + (f"; {counts['unconfirmed']} rows kept unconfirmed (their parent was not reached)"
                  if counts["unconfirmed"] else "")
               + (f"; {counts['edited']} rows edited by hand, kept as manual" if counts["edited"] else "")
               + (f"; {counts['moved_manual']} manual rows whose site moved (kept: update them)"
                  if counts["moved_manual"] else "")
               + (f"; {counts['superseded']} discovered rows replaced by manual rows" if counts["superseded"] else ""))
    if dry_run:
        return
    write_registry(reg, rows)
    click.echo(f"wrote {reg}")
    if changes:
        path = R.append_changes(changes_path or reg.with_name(reg.name + ".changes.jsonl"), changes)
        click.echo(f"appended {len(changes)} changes to {path}")
    log = Path(log_path or reg.with_name(reg.name + ".discovery.json"))
    log.write_text(json.dumps({"seeds": list(seeds), "started_at": result.started_at, "summary": summary,
                               "rows": [{"site_id": r["site_id"], "start_url": r["start_url"], "kind": r["_kind"],
                                         "evidence": r["_evidence"]} for r in result.rows],
                               "refused": result.refused}, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"wrote {log}")


def register(main: click.Group) -> None:
    main.add_command(discover)
