"""The nightly job's run report and the health of the registry's sites — the alarms for broken spiders.

`run_report(store, run_id)` says what a crawl run did: reports new, revised and withdrawn in it, every
site's outcome with its reason, the problems recorded (by kind, with examples), and regressions — sites
whose previous run was ``ok`` and that fail now. A *class* of sites failed when every site of one CMS family
(platform) that worked in its previous run fails in this one: one site down is the web, a whole family down
is our spider — the nightly job exits non-zero for that.

`health(store)` lists the sites that need a person: latest outcome blocked, no report column, no reports,
layout changed (and unreachable or robots-disallowed), or no report stored at all — with how many runs in a
row they have failed, when they last worked, and the evidence of the latest run (what was tried) — and the
revisit schedule of each report column (harvester/crawl/revisit.py): nights between checks, last change, next due.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import func, select

from harvester.crawl import revisit
from harvester.crawl.run import evidence_lines
from harvester.db.models import ColumnSchedule, CrawlEvent, CrawlRun, Report, ReportVersion, Site, SiteOutcome

FAILING = ("unreachable", "no_report_column", "no_reports", "blocked", "robots_disallowed", "layout_changed", "error")
HEALTH_PROBLEMS = ("blocked", "layout_changed", "no_reports", "no_report_column", "unreachable",
                   "robots_disallowed", "error")


FAMILY_ALARM_MIN_SITES = 3     # a family-wide alarm needs this many sites of the family that worked last time

# what a person does next, per failure class (run report, health)
HINTS = {
    "unreachable": "open start_url in a browser; if the site moved, correct start_url in the registry; if it is "
                   "down for a while, `harvester mute SITE --why … --until YYYY-MM-DD`",
    "blocked": "an anti-bot challenge answered (never circumvented): ask the portal's operator to allow the "
               "crawler's User-Agent, or mute the site",
    "robots_disallowed": "robots.txt forbids the pages: ask the portal, or take the site out of the registry",
    "no_report_column": "no 年报 column was found: look at the candidates in the evidence and put the column's URL "
                        "as start_url (and the platform) in the registry",
    "no_reports": "the column lists no annual report: open it; if it does list reports the adapter misreads it "
                  "(file an issue with this evidence), if not mute the site until reports are due",
    "layout_changed": "the site found fewer reports than before: compare this evidence with the last ok run; the "
                      "adapter needs fixing (README: Adapting to portals never seen)",
    "error": "the crawl failed on this site: read the crawl log (data/logs/) for the traceback and file an issue",
    "never_crawled": "run `harvester crawl --site SITE`",
    "no_reports_stored": "the site answered but none of its reports could be stored: see `harvester query` on "
                         "crawl_events for the site",
    "rejected_revision": "the portal now serves a document that parses worse (kept, not used): compare it with the "
                         "current one (`harvester show REPORT`, the archive); tell the portal if it is damaged — "
                         "a later good document is accepted by the next `--verify`",
    "class_failed": "every site of the family fails: the spider's adapter for it is broken, not the web — run "
                    "`harvester crawl --site ONE_OF_THEM --log-level DEBUG` and fix the adapter",
}


# what a person does next, per kind of problem recorded during a run (crawl_events.kind; the run report lists
# them by kind) — the document statuses of the sandbox and the readers among them
_DOC = "the document is kept in the archive with this status and the report has no cells from it; "
PROBLEM_HINTS = {
    "http_4xx": "the page is gone or forbidden: if a list links it, the portal's link is stale (nothing to do); "
                "if it is a column or start page, correct the registry",
    "http_5xx": "the portal failed to answer: retried already; if it persists for days, mute the site",
    "unreachable": "the host did not answer (DNS, refused, timed out): check start_url; mute the site if it is down",
    "unavailable": "the portal answered 503 and was retried with back-off: nothing to do unless it persists",
    "rate_limited": "the portal answered 429: lower HARVESTER_PER_DOMAIN or raise HARVESTER_DOWNLOAD_DELAY",
    "backoff": "a retry after a portal's refusal (Retry-After obeyed): nothing to do unless the site fails",
    "fetch_error": "the download failed (connection reset, bad response): the next run tries again",
    "render_failed": "Chromium could not render the page in time: raise HARVESTER_RENDER_TIMEOUT or look at the page",
    "needs_browser": "the page builds its list with JavaScript and no browser is configured: install Chromium "
                     "(scripts/setup.sh) or set HARVESTER_CHROMIUM",
    "render_limit": "the site needed more renders than HARVESTER_MAX_RENDERS allows this run: raise it for the site",
    "robots_disallowed": "robots.txt forbids the page: obeyed; ask the portal or take the URL out of the registry",
    "blocked": HINTS["blocked"],
    "soft_404": "the portal answers 200 with an error page: the link is dead (nothing to do unless it is a column)",
    "not_html": "a page expected to be HTML is not: if it is a column, correct the registry's start_url",
    "offsite_redirect": "a redirect leaves the site's domains and was not followed: if the site moved, put the new "
                        "host in the registry (start_url, or domains)",
    "scheme_fallback": "the host answers on the other scheme (http/https) only: correct start_url in the registry",
    "moved": "the start page moved (redirected): correct start_url in the registry to the new address",
    "column_moved": "a remembered report column is gone: the crawl looked again from the start page (nothing to do)",
    "withdrawn": "a known report is no longer on the portal: its evidence is kept (README: Evidence); nothing to do",
    "revised": "the portal serves a new version of a report: the better one is current (nothing to do)",
    "rejected_revision": HINTS["rejected_revision"],
    "duplicate": "the same report is listed twice (two URLs, or the same agency and year): one is kept; nothing to do",
    "not_a_report": "a detail page listed in a report column is not an annual report: nothing to do",
    "no_year": "a report whose year could not be read from its title, page or text: add the year by hand "
               "(`harvester query`) or file an issue with the page",
    "no_agency": "a report whose agency could not be read: check the registry's name for the site",
    "parser_error": "the parser failed on a document (a bug): file an issue with the document (archive) and the log",
    "too_large": _DOC + "it exceeds a size or page budget (HARVESTER_MAX_DOCUMENT_BYTES, the budgets of README: Reliability); "
                 "raise the budget only if the file is genuine",
    "redirect_loop": "the page redirects without end (past REDIRECT_MAX_TIMES): fetched once more; if it persists, "
                     "the portal is broken there (tell it) or wants a browser",
    "capped": "a table span over its budget (HARVESTER_MAX_HTML_COLSPAN / _ROWSPAN) was capped and the document read "
              "on: check the table's figures by hand if the span was genuine",
    "zip_bomb": _DOC + "its compression ratio is hostile; nothing to do",
    "timeout": _DOC + "reading it took longer than HARVESTER_EXTRACT_TIMEOUT: raise it if the file is genuine",
    "converter_timeout": _DOC + "LibreOffice took longer than HARVESTER_CONVERTER_TIMEOUT converting it: raise it and `harvester reparse`",
    "memory_limit": _DOC + "reading it needed more than HARVESTER_EXTRACT_MEMORY_MIB: raise it if the file is genuine",
    "crashed": _DOC + "the reader died on it (the crawl did not): file an issue with the document",
    "encrypted": _DOC + "it is password-protected: ask the portal for an open copy",
    "corrupt": _DOC + "it is damaged or not what its name says: open it by hand; tell the portal",
    "empty": _DOC + "it holds no text: look at the portal's page; a later version is fetched by `--verify`",
    "image_only": _DOC + "it is a scan: read it again with OCR (`HARVESTER_OCR=1 harvester reparse`, Tesseract)",
    "unsupported_type": _DOC + "its format is not read (README: formats): file an issue with the document",
    "archive_missing": "a document recorded in the database is missing from the archive: run `harvester crawl "
                       "--verify --site SITE` to fetch it again",
    "warc_error": "the WARC writer failed (disk full? permissions?): check the data directory; the crawl went on",
    "warc_index_error": "the CDXJ index could not be updated: run `harvester warc-index`",
}


def hint(kind: str) -> str:
    return HINTS.get(kind, "")


def problem_hint(kind: str) -> str:
    """What to do about a problem recorded during a run (``crawl_events.kind``)."""
    if kind in PROBLEM_HINTS:
        return PROBLEM_HINTS[kind]
    if kind.startswith("http_4"):
        return PROBLEM_HINTS["http_4xx"]
    if kind.startswith("http_"):
        return PROBLEM_HINTS["http_5xx"]
    return ""


def _platform(site_row) -> str:
    return (site_row.platform or "").strip() or "generic"


def run_report(store, run_id: int) -> dict:
    with store.engine.connect() as conn:
        run = conn.execute(select(CrawlRun.__table__).where(CrawlRun.id == run_id)).first()
        if run is None:
            raise KeyError(f"no crawl run {run_id}")
        sites = {r.site_id: r for r in conn.execute(select(Site.__table__))}
        outcomes = {r.site_id: r for r in conn.execute(select(SiteOutcome.__table__)
                                                       .where(SiteOutcome.run_id == run_id))}
        # each site's outcome in the latest earlier run that crawled it, and the CMS family last detected
        previous: dict[str, str] = {}
        detected: dict[str, str] = {}
        for r in conn.execute(select(SiteOutcome.site_id, SiteOutcome.run_id, SiteOutcome.outcome, SiteOutcome.stats)
                              .where(SiteOutcome.run_id <= run_id).order_by(SiteOutcome.run_id)):
            if (r.stats or {}).get("platform"):
                detected[r.site_id] = r.stats["platform"]
            if r.run_id < run_id:
                previous[r.site_id] = r.outcome
        new = conn.execute(select(func.count()).select_from(Report).where(Report.first_seen_run == run_id)).scalar_one()
        revised = conn.execute(select(func.count(func.distinct(ReportVersion.report_id)))
                               .where(ReportVersion.superseded_run == run_id)).scalar_one()
        events = conn.execute(select(CrawlEvent.kind, CrawlEvent.site_id, CrawlEvent.url, CrawlEvent.reason,
                                     CrawlEvent.level).where(CrawlEvent.run_id == run_id)
                              .order_by(CrawlEvent.id)).all()
    withdrawn = sum(1 for e in events if e.kind == "withdrawn")
    problems: dict[str, dict] = {}
    for e in events:
        if e.level not in ("warning", "error"):
            continue
        p = problems.setdefault(e.kind, {"count": 0, "examples": [], "hint": problem_hint(e.kind)})
        p["count"] += 1
        if len(p["examples"]) < 3:
            p["examples"].append({"site_id": e.site_id, "url": e.url, "reason": e.reason})
    per_site = []
    regressions = []
    for sid, o in sorted(outcomes.items()):
        site = sites.get(sid)
        platform = detected.get(sid) or (_platform(site) if site else "generic")
        row = {"site_id": sid, "name": site.name if site else sid, "platform": platform,
               "outcome": o.outcome, "reason": o.reason, "requests": o.requests, "reports_found": o.reports_found,
               "reports_new": o.reports_new, "reports_updated": o.reports_updated,
               "previous": previous.get(sid), "evidence": o.evidence}
        per_site.append(row)
        if row["previous"] == "ok" and o.outcome in FAILING:
            regressions.append(row)
    # a class failed: every site of a platform that was ok before fails now
    was_ok: dict[str, list] = defaultdict(list)
    for row in per_site:
        if row["previous"] == "ok":
            was_ok[row["platform"]].append(row)
    failed_classes = sorted(p for p, rows in was_ok.items()
                            if len(rows) >= FAMILY_ALARM_MIN_SITES and all(r["outcome"] in FAILING for r in rows))
    for row in per_site:
        row["hint"] = hint(row["outcome"]) if row["outcome"] != "ok" else ""
    rejected = [{"report_id": r["report_id"], "agency": r["agency"], "year": r["year"], "site_id": r["site_id"],
                 "document_url": r["document_url"], "document_sha256": r["document_sha256"],
                 "parse_status": r["parse_status"], "reason": r["reason"], "kept_status": r["current_status"],
                 "hint": hint("rejected_revision")}
                for r in store.rejected_revisions(open_only=False, run_id=run_id)]
    return {
        "run_id": run_id, "status": run.status, "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "args": run.args or {}, "counts": run.counts or {},
        "reports": {"new": new, "revised": revised, "withdrawn": withdrawn, "rejected": len(rejected)},
        "rejected_revisions": rejected, "class_hint": hint("class_failed") if failed_classes else "",
        "outcomes": dict(Counter(r["outcome"] for r in per_site)),
        "sites": per_site, "regressions": regressions, "failed_classes": failed_classes,
        "problems": dict(sorted(problems.items())),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def write_run_report(report: dict, out_dir: str | Path) -> list[Path]:
    """run-<id>.json (everything) and run-<id>.md (for a person) in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rid = report["run_id"]
    js = out / f"run-{rid}.json"
    js.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    md = out / f"run-{rid}.md"
    md.write_text(render_markdown(report), encoding="utf-8")
    return [js, md]


def render_markdown(report: dict) -> str:
    r = report["reports"]
    lines = [f"# Crawl run {report['run_id']} — {report['status']}", "",
             f"Started {report['started_at']}, finished {report['finished_at']}.", "",
             f"**Reports:** {r['new']} new, {r['revised']} revised, {r['withdrawn']} withdrawn, "
             f"{r.get('rejected', 0)} rejected revisions.", ""]
    if report["failed_classes"]:
        lines += [f"**ALARM — a whole class of sites failed:** {', '.join(report['failed_classes'])} "
                  f"(every site of the family that worked last time fails now, at least {FAMILY_ALARM_MIN_SITES}: "
                  "the spider is broken).", f"What to do: {report.get('class_hint') or hint('class_failed')}", ""]
    if report.get("rejected_revisions"):
        lines += ["## Rejected revisions: need a person", ""]
        for x in report["rejected_revisions"]:
            lines.append(f"- report {x['report_id']} {x['agency']} {x['year']} ({x['site_id']}): {x['reason']}; "
                         f"new document {x['document_url']} (sha256 {(x['document_sha256'] or '')[:12]}…, "
                         f"{x['parse_status']}) rejected, the current one ({x['kept_status']}) stays")
        lines += ["", f"What to do: {hint('rejected_revision')}", ""]
    if report["regressions"]:
        lines += ["## Sites that worked last time and fail now", ""]
        lines += [f"- {s['site_id']} {s['name']} ({s['platform']}): **{s['outcome']}** — {s['reason']}"
                  + (f" — what to do: {s['hint']}" if s.get("hint") else "")
                  for s in report["regressions"]]
        lines.append("")
    lines += ["## Sites", "", "| site | name | platform | outcome | requests | reports listed | new | reason |",
              "|---|---|---|---|---|---|---|---|"]
    for s in report["sites"]:
        reason = s["reason"].replace("|", "\\|")
        lines.append(f"| {s['site_id']} | {s['name']} | {s['platform']} | {s['outcome']} | {s['requests']} | "
                     f"{s['reports_found']} | {s['reports_new']} | {reason} |")
    lines.append("")
    alarmed = [s for s in report["sites"] if s["outcome"] != "ok"]
    if alarmed:
        lines += ["## Sites without reports: what was tried", ""]
        for s in alarmed:
            lines.append(f"- **{s['site_id']}** {s['name']}: {s['outcome']} — {s['reason']}")
            lines += [f"  - {line}" for line in evidence_lines(s.get("evidence"))]
            if s.get("hint"):
                lines.append(f"  - what to do: {s['hint']}")
        lines.append("")
    if report["problems"]:
        lines += ["## Problems recorded", ""]
        for kind, p in report["problems"].items():
            ex = p["examples"][0]
            lines.append(f"- {kind}: {p['count']} (e.g. {ex['site_id']} {ex['url']}: {ex['reason']})")
            if p.get("hint"):
                lines.append(f"  - what to do: {p['hint']}")
        lines.append("")
    return "\n".join(lines)


def registry_of_latest_run(store) -> list[str] | None:
    """The site ids of the registry the latest crawl run read (all of it, not only its --site subset); None
    when no run recorded one (databases crawled before this was kept)."""
    with store.engine.connect() as conn:
        for args, in conn.execute(select(CrawlRun.args).where(CrawlRun.command == "crawl")
                                  .order_by(CrawlRun.id.desc()).limit(20)):
            if isinstance(args, dict) and isinstance(args.get("registry"), list):
                return [str(x) for x in args["registry"]]
    return None


def health(store, registry: list[str] | None = None, *, today=None) -> list[dict]:
    """Every site of the current registry (``registry``, else the one the latest crawl read, else every site
    stored) with its latest outcome, last ok run, failing streak, stored reports, open rejected revisions and
    mute; `problem` is True for the sites that need a person (a muted site is shown, never a problem)."""
    import datetime as dt

    today = today or dt.date.today()
    if registry is None:
        registry = registry_of_latest_run(store)
    with store.engine.connect() as conn:
        sites = {r.site_id: r for r in conn.execute(select(Site.__table__))}
        history: dict[str, list] = defaultdict(list)
        for r in conn.execute(select(SiteOutcome.site_id, SiteOutcome.run_id, SiteOutcome.outcome,
                                     SiteOutcome.reason, SiteOutcome.recorded_at, SiteOutcome.evidence)
                              .order_by(SiteOutcome.run_id.desc())):
            history[r.site_id].append(r)
        reports = dict(conn.execute(select(Report.site_id, func.count()).group_by(Report.site_id)).all())
        columns: dict[str, list] = defaultdict(list)
        for r in conn.execute(select(ColumnSchedule.__table__).order_by(ColumnSchedule.site_id, ColumnSchedule.url)):
            columns[r.site_id].append({
                "url": r.url, "checks": r.checks, "changes": r.changes, "interval_nights": r.interval_days,
                "last_checked_at": _iso(r.last_checked_at), "last_changed_at": _iso(r.last_changed_at),
                "next_due_at": _iso(r.next_due_at), "due": revisit.is_due({"interval_days": r.interval_days,
                                                                           "next_due_at": r.next_due_at})})
    rejected: dict[str, list] = defaultdict(list)
    for r in store.rejected_revisions(open_only=True):
        rejected[r["site_id"]].append({"report_id": r["report_id"], "agency": r["agency"], "year": r["year"],
                                       "document_url": r["document_url"], "reason": r["reason"],
                                       "rejected_at": _iso(r["rejected_at"])})
    mutes = store.mutes()
    wanted = sorted(sites) if registry is None else sorted(set(registry))
    out = []
    for sid in wanted:
        site = sites.get(sid)
        hist = history.get(sid, [])
        latest = hist[0] if hist else None
        streak = 0
        for h in hist:
            if h.outcome == "ok":
                break
            streak += 1
        last_ok = next((h for h in hist if h.outcome == "ok"), None)
        stored = reports.get(sid, 0)
        outcome = latest.outcome if latest else "never_crawled"
        problem = outcome in HEALTH_PROBLEMS or (latest is not None and stored == 0) or bool(rejected.get(sid))
        kind = (outcome if outcome in HEALTH_PROBLEMS else "no_reports_stored" if latest is not None and stored == 0
                else "rejected_revision" if rejected.get(sid) else outcome if outcome != "ok" else "")
        mute = mutes.get(sid)
        muted = None
        if mute is not None and mute["until"] >= today:
            muted = {"reason": mute["reason"], "until": mute["until"].isoformat()}
        out.append({"site_id": sid, "name": site.name if site else sid,
                    "platform": _platform(site) if site else "generic",
                    "outcome": outcome, "reason": latest.reason if latest else "",
                    "failing_runs": streak, "last_ok_run": last_ok.run_id if last_ok else None,
                    "last_ok_at": _iso(last_ok.recorded_at) if last_ok else None,
                    "reports_stored": stored, "problem": problem and muted is None, "muted": muted,
                    "rejected_revisions": rejected.get(sid, []),
                    "hint": hint(kind) if problem else "",
                    "evidence": latest.evidence if latest is not None else None,
                    "columns": columns.get(sid, [])})
    return out
