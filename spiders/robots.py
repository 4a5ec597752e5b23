"""robots.txt, obeyed and cached: Scrapy's RobotsTxtMiddleware fetches every host's robots.txt on every run; a
nightly crawl of thousands of unchanged sites would spend a request per site on it.

`CachedRobotsTxtMiddleware` keeps each host's robots.txt in the archive (documents, role ``robots``) with its
ETag / Last-Modified and the time it was fetched:

- fetched less than HARVESTER_ROBOTS_TTL hours ago (24 by default): read from the archive, no request;
- older: asked again conditionally — a 304 keeps the archived copy (its age starts again), a 200 replaces it;
- never fetched, or the archive lost it, or HARVESTER_REFRESH: fetched as Scrapy would.

Whatever the source, the rules are applied exactly as Scrapy's middleware applies them (same parser, same
user agent, IgnoreRequest "Forbidden by robots.txt"). A robots.txt that cannot be fetched is not cached.
"""
from __future__ import annotations

import datetime as dt
import logging

from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from harvester.crawl.run import crawl_context

log = logging.getLogger(__name__)


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):

    def __init__(self, crawler):
        super().__init__(crawler)
        self.ttl = dt.timedelta(hours=crawler.settings.getfloat("HARVESTER_ROBOTS_TTL", 24.0))
        self.refresh = crawler.settings.getbool("HARVESTER_REFRESH")

    def _cached(self, url: str) -> tuple[dict | None, bytes | None]:
        """The archived robots.txt of `url` (its document row and bytes), or (row, None) / (None, None)."""
        ctx = crawl_context(self.crawler)
        state = ctx.store.document_state(url)
        if not state or not state.get("sha256") or self.refresh:
            return state, None
        try:
            return state, ctx.store.read_document(state["sha256"])
        except FileNotFoundError:
            return state, None

    async def robot_parser(self, request: Request):
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsurl = f"{url.scheme}://{url.netloc}/robots.txt"
            try:
                body = await self._robots_body(robotsurl, request)
            except Exception as e:  # noqa: BLE001 - as Scrapy: an unreadable robots.txt allows everything
                if not isinstance(e, IgnoreRequest):
                    log.error("Error downloading %s: %s", robotsurl, e)
                self._robots_error(e, netloc)
            else:
                rp = build_from_crawler(self._parserimpl, self.crawler, body)
                dfd = self._parsers[netloc]
                self._parsers[netloc] = rp
                dfd.callback(rp)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            from scrapy.utils.defer import maybe_deferred_to_future
            return await maybe_deferred_to_future(parser)
        return parser

    async def _robots_body(self, robotsurl: str, request: Request) -> bytes:
        ctx = crawl_context(self.crawler)
        state, body = self._cached(robotsurl)
        now = dt.datetime.now(dt.timezone.utc)
        fetched = state.get("fetched_at") if state else None
        if body is not None and fetched is not None and now - fetched < self.ttl:
            self._stats.inc_value("robotstxt/cached")
            return body
        headers = {}
        if body is not None and state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if body is not None and state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        sid = request.meta.get("site_id") or ctx.site_for(robotsurl)
        req = Request(robotsurl, priority=self.DOWNLOAD_PRIORITY, headers=headers or None,
                      meta={"dont_obey_robotstxt": True, "robots_site_id": sid}, callback=NO_CALLBACK)
        resp = await self.crawler.engine.download_async(req)
        self._stats.inc_value("robotstxt/request_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{resp.status}")
        header = lambda name: (resp.headers.get(name) or b"").decode("latin-1")  # noqa: E731
        if resp.status == 304 and body is not None:
            ctx.store.save_document(robotsurl, None, http_status=state.get("http_status") or 200,
                                    site_id=sid, role="robots")
            return body
        if resp.status < 500:      # a 404 (no robots.txt: everything allowed) is an answer worth keeping too
            ctx.store.save_document(robotsurl, resp.body, kind="robots", http_status=resp.status,
                                    content_type=header("Content-Type"), etag=header("ETag"),
                                    last_modified=header("Last-Modified"), site_id=sid, role="robots")
        return resp.body
