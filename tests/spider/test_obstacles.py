"""Obstacles one by one, below the crawl: challenge and soft-404 detection, Retry-After, cookie loops, lying
charsets, the scheme fallback, redirects off the site, and the outcome of a site (layout_changed from history)."""
from __future__ import annotations

import email.utils
import time
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request, Response
from twisted.web._newclient import ResponseNeverReceived

from harvester.crawl.run import SiteStats
from harvester.crawl.obstacles import challenge_reason, soft_404_reason
from spiders.middlewares import (EncodingMiddleware, ObstacleMiddleware, SchemeFallbackMiddleware,
                                 abort_browser_request, retry_after_seconds)


def test_challenges_are_named():
    assert "瑞数" in challenge_reason(412, {}, b"<script>$_ts=window['$_ts'];</script>")
    assert "加速乐" in challenge_reason(521, {"set-cookie": ["__jsluid_h=ab12; path=/"]}, b"<script>x</script>")
    assert "cookie" in challenge_reason(200, {}, b"<script>document.cookie='a=1';location.href=location.pathname</script>")
    assert challenge_reason(200, {}, b"<html><a href='/x'>ok</a></html>") is None
    assert challenge_reason(404, {}, b"not found") is None


def test_soft_404():
    assert soft_404_reason(200, "页面不存在", "抱歉，您访问的页面不存在或已被删除！返回首页")
    assert soft_404_reason(200, "", "404 Not Found")
    assert soft_404_reason(404, "页面不存在", "x") is None            # a real 404 is an HTTP error instead
    long_report = "某县2023年政府信息公开工作年度报告" + "正文" * 2000
    assert soft_404_reason(200, "某县2023年政府信息公开工作年度报告", long_report) is None


def test_retry_after_seconds_and_dates():
    assert retry_after_seconds("2") == 2.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after_seconds(when) <= 31
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_cookie_loop_followed_once_then_named():
    mw = ObstacleMiddleware()
    req = Request("http://h/zfxxgk/")
    resp = Response("http://h/zfxxgk/", status=302, headers={"Location": "/zfxxgk/", "Set-Cookie": "waf=1; path=/"})
    assert mw.process_response(req, resp) is resp and req.dont_filter and "obstacle" not in req.meta
    again = Request("http://h/zfxxgk/", meta={"redirect_urls": ["http://h/zfxxgk/"]})
    mw.process_response(again, resp)
    assert again.meta["dont_redirect"] and "cookie loop" in again.meta["obstacle"] and "waf" in again.meta["obstacle"]
    other = Request("http://h/a")
    mw.process_response(other, Response("http://h/a", status=302, headers={"Location": "/b"}))
    assert "obstacle" not in other.meta


def test_gbk_under_a_lying_header_is_reread():
    body = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>政府信息公开年报</title></head></html>'
    resp = HtmlResponse("http://h/", body=body.encode("gbk"), headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = EncodingMiddleware().process_response(Request("http://h/"), resp)
    assert fixed.css("title::text").get() == "政府信息公开年报"
    silent = HtmlResponse("http://h/", body="<p>泗洪县2023年政府信息公开工作年度报告</p>".encode("gbk"),
                          headers={"Content-Type": "text/html"})
    assert "年度报告" in EncodingMiddleware().process_response(Request("http://h/"), silent).text
    good = HtmlResponse("http://h/", body="<p>年报</p>".encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    assert EncodingMiddleware().process_response(Request("http://h/"), good) is good


def _crawler():
    events = []
    ctx = SimpleNamespace(event=lambda *a, **k: events.append(a), site_for=lambda url: "s1")
    crawler = SimpleNamespace(harvester_context=ctx)
    return crawler, events


def test_tls_failure_tries_the_other_scheme_once_and_remembers(monkeypatch):
    crawler, events = _crawler()
    monkeypatch.setattr("spiders.middlewares.crawl_context", lambda c: c.harvester_context)
    mw = SchemeFallbackMiddleware(crawler)
    req = Request("https://h:8443/zfxxgk/", meta={"site_id": "s1"})
    retry = mw.process_exception(req, ResponseNeverReceived(["SSL handshake failed"]))
    assert retry.url == "http://h:8443/zfxxgk/" and retry.meta["scheme_fallback_from"] == req.url
    assert mw.process_exception(retry, ResponseNeverReceived(["again"])) is None     # once only
    mw.process_response(retry, Response(retry.url, status=200))
    assert events and events[0][2] == "scheme_fallback"
    later = mw.process_request(Request("https://h:8443/other.html"))
    assert later.url == "http://h:8443/other.html"
    assert mw.process_exception(Request("http://x/"), ValueError("parser")) is None   # not a connection failure


def test_the_browser_loads_only_its_own_scripts():
    frame = SimpleNamespace(url="http://h/wh/c1019/list.shtml")
    req = lambda url, kind, nav=False: SimpleNamespace(url=url, resource_type=kind, frame=frame,  # noqa: E731
                                                       is_navigation_request=lambda: nav)
    assert not abort_browser_request(req("http://h/wh/js/nblist.js", "script"))
    assert abort_browser_request(req("http://h/images/logo.png", "image"))
    assert abort_browser_request(req("http://stats.example.com/t.js", "script"))
    assert not abort_browser_request(req("http://h/wh/c1019/list.shtml", "document", nav=True))


@pytest.mark.parametrize("stats, outcome", [
    (SiteStats(robots_blocked_entry=True), "robots_disallowed"),
    (SiteStats(blocked="瑞数 (Riversecurity) challenge"), "blocked"),
    (SiteStats(entry_error="start page: connection refused"), "unreachable"),
    (SiteStats(entry_ok=True), "no_report_column"),
    (SiteStats(entry_ok=True, robots_denied=["http://h/zfxxgk/"],
               column_errors=["column http://h/zfxxgk/nb/: forbidden by robots.txt"]), "robots_disallowed"),
    (SiteStats(entry_ok=True, column_urls={"http://h/nb/"}), "no_reports"),
    (SiteStats(entry_ok=True, column_urls={"http://h/nb/"}, report_items=3), "ok"),
])
def test_site_outcomes(stats, outcome):
    assert stats.outcome()[0] == outcome


def test_layout_changed_needs_reports_in_an_earlier_run(tmp_path):
    from harvester.crawl.run import CrawlContext
    from harvester.db import Store

    db = f"sqlite:///{tmp_path / 'h.db'}"
    reg = tmp_path / "sites.csv"
    reg.write_text("site_id,name,province,city,county,start_url,platform\n"
                   "s1,某县人民政府,江苏省,淮安市,某县,http://127.0.0.9/,\n", encoding="utf-8")
    from scrapy.settings import Settings

    settings = Settings({"HARVESTER_DB": db, "HARVESTER_SITES": str(reg), "HARVESTER_ONLY_SITES": ""})
    empty = SiteStats(entry_ok=True, column_urls={"http://127.0.0.9/nb/"})
    ctx = CrawlContext(settings)
    assert ctx.judge("s1", empty)[0] == "no_reports"                     # never had reports: just none
    ctx.stats["s1"] = SiteStats(entry_ok=True, column_urls={"http://127.0.0.9/nb/"}, report_items=6)
    ctx.finish()
    ctx2 = CrawlContext(settings)
    outcome, reason = ctx2.judge("s1", empty)
    assert outcome == "layout_changed" and f"found in run {ctx.run_id}" in reason and "6 report pages" in reason
    ctx2.stats["s1"] = empty
    ctx2.finish()
    with Store(db) as store:
        hist = store.previous_site_outcomes("s1")
    assert [h["outcome"] for h in hist] == ["layout_changed", "ok"]
