"""The honest alarm (harvester/crawl/run.py): a site that ends with no reports is never ok, a site listing half the
reports or fewer of the last run is layout_changed, and each outcome carries — and stores — its evidence."""
from __future__ import annotations

from collections import Counter

from scrapy.settings import Settings

from harvester.crawl.run import CrawlContext, SiteStats, evidence_lines
from harvester.db import Store
from harvester.crawl.distributed import merge_stats


def _context(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    reg = tmp_path / "sites.csv"
    reg.write_text("site_id,name,province,city,county,start_url,platform\n"
                   "s1,某县人民政府,江苏省,淮安市,某县,http://127.0.0.9/,\n", encoding="utf-8")
    return db, Settings({"HARVESTER_DB": db, "HARVESTER_SITES": str(reg), "HARVESTER_ONLY_SITES": ""})


def _listing(n):
    return SiteStats(entry_ok=True, column_urls={"http://127.0.0.9/nb/"}, report_items=n, reports=Counter(new=n))


def test_half_the_reports_of_the_last_run_is_a_changed_layout(tmp_path):
    db, settings = _context(tmp_path)
    ctx = CrawlContext(settings)
    ctx.stats["s1"] = _listing(8)
    ctx.finish()
    ctx2 = CrawlContext(settings)
    assert ctx2.judge("s1", _listing(5))[0] == "ok"                       # fewer, not half
    outcome, reason = ctx2.judge("s1", _listing(4))
    assert outcome == "layout_changed" and "4 report pages listed, 8 in run" in reason
    ctx2.stats["s1"] = _listing(4)
    ctx2.finish()
    with Store(db) as store:
        (latest, first) = store.previous_site_outcomes("s1")
    assert (latest["outcome"], latest["reports_found"], first["outcome"]) == ("layout_changed", 4, "ok")


def test_listed_reports_that_all_fail_to_be_stored_are_no_reports():
    st = SiteStats(entry_ok=True, column_urls={"http://h/nb/"}, report_items=3, reports=Counter(failed=3))
    outcome, reason = st.outcome()
    assert outcome == "no_reports" and "none could be stored" in reason
    assert SiteStats(entry_ok=True, column_urls={"http://h/nb/"}, report_items=3,
                     reports=Counter(failed=2, new=1)).outcome()[0] == "ok"


def test_the_evidence_is_stored_with_the_outcome_and_readable(tmp_path):
    db, settings = _context(tmp_path)
    ctx = CrawlContext(settings)
    st = ctx.site("s1")
    st.entry_ok, st.column_urls = True, {"http://127.0.0.9/nb/"}
    st.pages_visited, st.rendered = 3, 1
    st.pages = [{"url": "http://127.0.0.9/", "role": "entry", "via": "http", "status": 200, "adapter": "generic",
                 "items": 12, "reports": 0},
                {"url": "http://127.0.0.9/nb/", "role": "column", "via": "http", "status": 200, "adapter": "trs",
                 "items": 2, "reports": 0},
                {"url": "http://127.0.0.9/nb/", "role": "column", "via": "render", "status": 200, "adapter": "trs",
                 "items": 2, "reports": 0}]
    st.render_urls = ["http://127.0.0.9/nb/"]
    st.candidates = [{"url": "http://127.0.0.9/nb/", "text": "政府信息公开年报", "score": 4}]
    ctx.finish()
    with Store(db) as store, store.engine.connect() as conn:
        from sqlalchemy import text
        stats, evidence = conn.execute(text("SELECT stats, evidence FROM site_outcomes")).one()
    import json
    stats = json.loads(stats) if isinstance(stats, str) else stats
    evidence = json.loads(evidence) if isinstance(evidence, str) else evidence
    assert "pages" not in stats and stats["pages_visited"] == 3 and stats["rendered"] == 1     # counters only
    assert evidence["pages"] == st.pages and evidence["renders"] == 1 and evidence["columns"] == ["http://127.0.0.9/nb/"]
    lines = evidence_lines(evidence)
    assert lines[0].startswith("3 pages visited (1 column, 1 entry") or lines[0].startswith("3 pages visited (2 column")
    assert any("via render, read as trs: 2 items, 0 reports" in line for line in lines)
    assert any("candidate column «政府信息公开年报»" in line for line in lines)


def test_workers_evidence_is_joined():
    a, b = SiteStats(pages_visited=2, pages=[{"url": "u1"}]), SiteStats(pages_visited=1, pages=[{"url": "u2"}])
    merged = merge_stats([{"s": a.as_dict()}, {"s": b.as_dict()}])["s"]
    assert merged.pages_visited == 3 and merged.pages == [{"url": "u1"}, {"url": "u2"}]


def test_health_and_the_run_report_show_the_evidence(tmp_path):
    from click.testing import CliRunner

    from harvester.cli import main
    from harvester.crawl.nightly import render_markdown, run_report

    db, settings = _context(tmp_path)
    ctx = CrawlContext(settings)
    st = ctx.site("s1")
    st.entry_ok, st.pages_visited = True, 2
    st.pages = [{"url": "http://127.0.0.9/", "role": "entry", "via": "http", "status": 200, "adapter": "generic",
                 "items": 5, "reports": 0},
                {"url": "http://127.0.0.9/", "role": "entry", "via": "render", "status": 200, "adapter": "generic",
                 "items": 5, "reports": 0}]
    st.candidates = [{"url": "http://127.0.0.9/xxgk/", "text": "政府信息公开", "score": 0.5}]
    ctx.finish()
    result = CliRunner().invoke(main, ["health", "--db", db])
    assert result.exit_code == 1
    assert "no_report_column" in result.output and "| 2 pages visited (2 entry)" in result.output
    assert "candidate column «政府信息公开» http://127.0.0.9/xxgk/" in result.output
    with Store(db) as store:
        md = render_markdown(run_report(store, ctx.run_id))
    assert "## Sites without reports: what was tried" in md and "via render, read as generic: 5 items" in md


def test_a_render_does_not_slow_the_site_down():
    """A render lets the page settle for seconds; AutoThrottle must not take that for the server's latency."""
    from types import SimpleNamespace

    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from spiders.middlewares import PoliteAutoThrottle

    throttle = PoliteAutoThrottle(get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True}))
    slot = SimpleNamespace(delay=0.5, throttle=None)
    rendered = HtmlResponse("http://h/nb/", body=b"<html></html>", flags=["playwright"])
    throttle._adjust_delay(slot, 16.0, rendered)
    assert slot.delay == 0.5
