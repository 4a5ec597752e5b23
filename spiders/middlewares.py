"""Downloader middlewares for what portals do to crawlers — each obstacle met politely, never circumvented.

- `BackoffMiddleware` (429/503): wait what `Retry-After` says (or an exponential pause), for the whole
  domain — its download slot sends nothing before then — and retry; give up past a limit.
- `PoliteAutoThrottle`: AutoThrottle that does not shorten a domain's delay while a Retry-After holds.
- `SchemeFallbackMiddleware`: a host whose TLS fails (or that speaks only TLS) is tried once with the
  other scheme; the working scheme is remembered per host.
- `ObstacleMiddleware`: a 302 to the same URL that comes back after its cookie was returned is a cookie
  loop (a WAF that wants a script to run): not followed again, the request is marked with the reason.
- `EncodingMiddleware`: HTML whose declared charset lies (GBK bytes under `charset=utf-8`) or is missing
  is re-read with the encoding the bytes really have (the extractor's own decoding rules).
- `SiteGuardMiddleware`: redirects stay on the registry's domains, except that a start page moved to a
  new host (301/302) takes the site with it (recorded).

- `BoundedDecompressionMiddleware`, `BoundedRedirectMiddleware`, `SizeLimitMiddleware`: a body over
  DOWNLOAD_MAXSIZE (declared, streamed, or once inflated: a gzip bomb) is recorded as `too_large`, a redirect
  chain past REDIRECT_MAX_TIMES as `redirect_loop`; each is counted in the run (`faults`) and the request is
  fetched once more from its first URL (a flaky portal serves it whole the next time; robots.txt is not
  fetched again).

And `abort_browser_request`: what the browser may load when a page is rendered (its own host's scripts
and XHR; no images, fonts, media or other hosts).
"""
from __future__ import annotations

import email.utils
import logging
import re
from time import monotonic, time
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import HtmlResponse

from harvester.crawl.run import crawl_context
from harvester.crawl.obstacles import cookie_loop_reason

log = logging.getLogger(__name__)

# Scrapy's cookie middleware splits domains with tldextract, which downloads the public-suffix list on first
# use: a crawler has no business calling elsewhere (and here there is no network) — use the bundled snapshot.
import scrapy.downloadermiddlewares.cookies as _scrapy_cookies  # noqa: E402
from tldextract import TLDExtract  # noqa: E402

_scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

# Twisted's connection pool retries a request that fails on a kept-alive connection (a reset before any answer)
# once by itself, before any middleware sees it: the failure goes uncounted. Switched off, the reset reaches
# Scrapy as an exception, is counted (downloader/exception_type_count) and retried by RetryMiddleware.
import twisted.web.client as _twisted_client  # noqa: E402

_twisted_client.HTTPConnectionPool.retryAutomatically = False


def _slot(crawler, request):
    downloader = crawler.engine.downloader
    key = request.meta.get("download_slot") or downloader.get_slot_key(request)
    return key, downloader.slots.get(key)


def retry_after_seconds(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time()))


# ------------------------------------------------------------------------------------------------
# 429 / 503: back off the whole domain as long as the server asks
# ------------------------------------------------------------------------------------------------

class BackoffMiddleware:
    """On 429 or 503: hold the domain's download slot for Retry-After seconds (or 2^n s when the server
    names no time), then retry the request; after HARVESTER_BACKOFF_TIMES tries, or when the server asks
    for more than HARVESTER_MAX_RETRY_AFTER seconds, hand the response on (the spider records it)."""

    CODES = (429, 503)

    def __init__(self, crawler):
        self.crawler = crawler
        self.times = crawler.settings.getint("HARVESTER_BACKOFF_TIMES", 5)
        self.max_wait = crawler.settings.getfloat("HARVESTER_MAX_RETRY_AFTER", 120.0)
        self.base = crawler.settings.getfloat("HARVESTER_BACKOFF_BASE", 1.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in self.CODES or request.meta.get("dont_retry"):
            return response
        tries = request.meta.get("backoff_times", 0) + 1
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = asked if asked is not None else self.base * 2 ** (tries - 1)
        sid = request.meta.get("site_id")
        ctx = crawl_context(self.crawler)
        what = "rate limited (429)" if response.status == 429 else "unavailable (503)"
        said = f"Retry-After {asked:g} s" if asked is not None else "no Retry-After"
        if tries > self.times or wait > self.max_wait:
            why = (f"gave up after {tries - 1} tries" if tries > self.times
                   else f"asks to wait {wait:g} s, more than the {self.max_wait:g} s limit")
            ctx.event(sid, request.url, "rate_limited" if response.status == 429 else "unavailable",
                      f"{what}, {said}: {why}")
            return response
        hold(self.crawler, request, wait)
        if sid:
            ctx.site(sid).backoffs += 1
        ctx.event(sid, request.url, "backoff", f"{what}, {said}: waiting {wait:g} s before retry {tries}",
                  level="info")
        retry = request.replace(dont_filter=True)
        retry.meta["backoff_times"] = tries
        return retry


# holds per download slot (Slot objects take no new attributes): id(slot) -> {"until", "delay", "jitter"}
_HOLDS: dict[int, dict] = {}


def hold(crawler, request, wait: float) -> None:
    """No request leaves the request's download slot (its domain) for `wait` seconds from now."""
    key, slot = _slot(crawler, request)
    if slot is None:
        return
    now = monotonic()
    h = _HOLDS.get(id(slot))
    if h is None:
        h = _HOLDS[id(slot)] = {"until": 0.0, "delay": slot.delay, "jitter": slot.jitter}
    h["until"] = max(h["until"], now + wait)
    slot.delay = max(slot.delay, wait)
    slot.jitter = 0.0                  # a Retry-After is not to be randomised below
    slot.lastseen = now                # the next request waits `delay` from now
    if slot.latercall:                 # a wake-up computed with the old delay: recompute
        slot.latercall.cancel()
        slot.latercall = None
        crawler.engine.downloader._latercall(slot)


def held(slot, downloader=None) -> bool:
    """True while a Retry-After hold runs on the slot; an expired hold is released (jitter restored, the delay
    halved towards what it was — AutoThrottle lowers it further as answers come back)."""
    h = _HOLDS.get(id(slot))
    if h is None:
        return False
    if monotonic() < h["until"]:
        return True
    del _HOLDS[id(slot)]
    slot.jitter = h["jitter"]
    slot.delay = max(h["delay"], slot.delay / 2)
    if slot.latercall and downloader is not None:   # a wake-up computed with the hold's delay
        slot.latercall.cancel()
        slot.latercall = None
        downloader._latercall(slot)
    return False


class PoliteAutoThrottle(AutoThrottle):
    """AutoThrottle that keeps a domain's delay while a Retry-After hold is running, and that does not read a
    browser render's time (seconds of letting the page settle) as the server's latency."""

    def _adjust_delay(self, slot, latency, response):
        if "playwright" in (response.flags or []) or held(slot, self.crawler.engine.downloader):
            return
        super()._adjust_delay(slot, latency, response)


# ------------------------------------------------------------------------------------------------
# TLS failure → the other scheme
# ------------------------------------------------------------------------------------------------

def _swap_scheme(url: str, scheme: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


_CONNECTION_FAILURES = ("ResponseNeverReceived", "ResponseFailed", "ConnectionLost", "ConnectionDone",
                        "ConnectionRefusedError", "DownloadConnectionRefusedError", "SSLError", "Error",
                        "ConnectError", "TCPTimedOutError", "TimeoutError", "DownloadTimeoutError",
                        "DownloadFailedError")


class SchemeFallbackMiddleware:
    """A request whose connection fails (TLS handshake, reset, refused, no answer) after the retries is tried
    once with the other scheme (https ↔ http); when that works, every later request to the host uses it."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.scheme: dict[str, str] = {}     # netloc -> the scheme that answered after a fallback

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        parts = urlsplit(request.url)
        want = self.scheme.get(parts.netloc)
        if want and parts.scheme in ("http", "https") and parts.scheme != want:
            return request.replace(url=_swap_scheme(request.url, want))
        return None

    def process_response(self, request, response, spider=None):
        origin = request.meta.get("scheme_fallback_from")
        if origin:
            parts = urlsplit(request.url)
            if parts.netloc not in self.scheme:
                self.scheme[parts.netloc] = parts.scheme
                ctx = crawl_context(self.crawler)
                ctx.event(
                    request.meta.get("site_id") or ctx.site_for(origin), origin, "scheme_fallback",
                    f"{urlsplit(origin).scheme}:// failed ({request.meta.get('scheme_fallback_error')}); "
                    f"{parts.scheme}:// works for {parts.netloc}", level="info")
        return response

    def process_exception(self, request, exception, spider=None):
        if request.meta.get("scheme_fallback_from") or request.meta.get("playwright"):
            return None
        name = type(exception).__name__
        text = f"{name}: {exception}"
        if name not in _CONNECTION_FAILURES and "SSL" not in text:
            return None
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or self.scheme.get(parts.netloc) not in (None, parts.scheme):
            return None
        other = "http" if parts.scheme == "https" else "https"
        retry = request.replace(url=_swap_scheme(request.url, other), dont_filter=True)
        retry.meta["scheme_fallback_from"] = request.url
        retry.meta["scheme_fallback_error"] = text[:200]
        return retry


# ------------------------------------------------------------------------------------------------
# cookie loops
# ------------------------------------------------------------------------------------------------

class ObstacleMiddleware:
    """A redirect to the very URL requested is followed once (an ordinary client keeps the cookie it sets);
    when it comes back again the site wants a script to run: stop, and mark the request with the reason."""

    def process_response(self, request, response, spider=None):
        if response.status not in (301, 302, 303, 307, 308):
            return response
        location = response.headers.get("Location")
        if not location:
            return response
        target = urljoin(request.url, location.decode("latin-1")).split("#")[0]
        if target != request.url.split("#")[0]:
            return response
        cookies = [c.decode("latin-1").split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")]
        if request.url in request.meta.get("redirect_urls", []):
            request.meta["dont_redirect"] = True
            request.meta["obstacle"] = cookie_loop_reason(response.status, cookies)
        else:
            request.dont_filter = True     # the same URL once more, now with the cookie
        return response


# ------------------------------------------------------------------------------------------------
# encodings
# ------------------------------------------------------------------------------------------------

_GB = {"gbk", "gb2312", "gb18030", "cp936", "x-gbk", "gb_2312-80", "euc-cn"}


def _norm_enc(enc: str | None) -> str:
    enc = (enc or "").lower().replace("_", "-")
    return "gb18030" if enc in _GB or enc.replace("-", "") in {g.replace("-", "") for g in _GB} else enc


class EncodingMiddleware:
    """HTML read with the encoding its bytes have: BOM, strict UTF-8, the declared charset (header or <meta>,
    GB2312/GBK as GB18030), then GB18030 — a header that lies or a missing charset does not garble titles."""

    def process_response(self, request, response, spider=None):
        if not isinstance(response, HtmlResponse) or "playwright" in (response.flags or []) or not response.body:
            return response
        from harvester.extract.html import decode_html
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        _text, enc = decode_html(response.body, ctype)
        if enc and _norm_enc(enc) != _norm_enc(response.encoding):
            return response.replace(encoding="gb18030" if _norm_enc(enc) == "gb18030" else enc)
        return response


# ------------------------------------------------------------------------------------------------
# stay on the registry's domains
# ------------------------------------------------------------------------------------------------

class SiteGuardMiddleware:
    """Redirects to another host are followed only when the site's start page moved there (that host then
    belongs to the site, and the move is recorded); any other redirect off the site's domains is dropped."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        sid = request.meta.get("site_id")
        if not sid or not request.meta.get("redirect_urls"):
            return None
        ctx = crawl_context(self.crawler)
        site = ctx.sites.get(sid)
        host = urlsplit(request.url).hostname or ""
        if site is None or ctx.on_site(sid, request.url):
            return None
        origin = request.meta["redirect_urls"][0]
        if request.meta.get("role") == "entry" and request.meta.get("hops", 0) == 0:
            st = ctx.site(sid)
            st.hosts.add(host)
            st.moved_to = request.url
            ctx.event(sid, origin, "moved", f"start page moved to {request.url} "
                      f"(HTTP {request.meta.get('redirect_reasons', ['?'])[-1]}); following it there", level="info")
            return None
        ctx.event(sid, origin, "offsite_redirect", f"redirect to {request.url} leaves the site's domains; not followed")
        raise IgnoreRequest(f"off-site redirect to {host}")


# ------------------------------------------------------------------------------------------------
# the browser: only what a list page needs
# ------------------------------------------------------------------------------------------------

_BLOCKED_TYPES = {"image", "media", "font", "stylesheet", "websocket", "manifest", "texttrack", "eventsource"}


def abort_browser_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: True to abort a request the rendered page makes."""
    if request.resource_type in _BLOCKED_TYPES:
        return True
    if request.is_navigation_request():
        return False
    try:
        page_host = urlsplit(request.frame.url).netloc
    except Exception:  # noqa: BLE001 - a detached frame: nothing to load for it
        return True
    return bool(page_host) and urlsplit(request.url).netloc != page_host



# ------------------------------------------------------------------------------------------------
# incremental crawls: conditional requests, the archive answers a 304
# ------------------------------------------------------------------------------------------------

class ConditionalRequestMiddleware:
    """A request marked ``meta["conditional"]`` (a report column page; on a verifying run also report pages
    and documents) carries the ETag / Last-Modified stored for its URL. A 304 is answered from the archive:
    the spider gets the bytes it read last time, flagged ``not_modified`` (``meta["not_modified"]``), and the
    pipelines know nothing changed. When the archived bytes are missing, the URL is fetched once more
    unconditionally. ``HARVESTER_REFRESH`` turns all of this off (every URL fetched in full)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.refresh = crawler.settings.getbool("HARVESTER_REFRESH")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _known(self, request) -> dict | None:
        sid = request.meta.get("site_id")
        if self.refresh or not sid or not request.meta.get("conditional") or request.method != "GET":
            return None
        return crawl_context(self.crawler).memory(sid)["validators"].get(request.url.split("#")[0])

    def process_request(self, request, spider=None):
        if "robots_site_id" in request.meta:         # robots.txt carries its own validators (spiders/robots.py)
            return None
        # a redirect's request is a copy of the one redirected: its validators and flag are not this URL's
        request.meta.pop("not_modified", None)
        for h in (b"If-None-Match", b"If-Modified-Since"):
            request.headers.pop(h, None)
        known = self._known(request)
        if known:
            if known.get("etag"):
                request.headers[b"If-None-Match"] = known["etag"].encode("latin-1")
            if known.get("last_modified"):
                request.headers[b"If-Modified-Since"] = known["last_modified"].encode("latin-1")
        return None

    def process_response(self, request, response, spider=None):
        if response.status != 304:
            self._remember(request, response)
            return response
        known = self._known(request)
        if not known:
            return response
        from scrapy.http import Headers
        from scrapy.responsetypes import responsetypes

        ctx = crawl_context(self.crawler)
        try:
            body = ctx.store.read_document(known["sha256"])
        except FileNotFoundError:
            ctx.event(request.meta["site_id"], request.url, "archive_missing",
                      "304 but the archived copy is gone: fetching it again in full")
            # process_request drops the copied validators and, the request being unconditional, adds none
            return request.replace(dont_filter=True, meta={**request.meta, "conditional": False})
        headers = Headers({"Content-Type": known.get("content_type") or "application/octet-stream"})
        for h in (b"ETag", b"Last-Modified"):
            value = response.headers.get(h)
            if value:
                headers[h] = value
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        request.meta["not_modified"] = True
        ctx.site(request.meta["site_id"]).not_modified += 1
        return cls(url=request.url, status=200, headers=headers, body=body, request=request,
                   flags=[*response.flags, "not_modified"])

    def _remember(self, request, response) -> None:
        """Archive a list page read in full, with its validators, before anything reads it (a meta-refresh shell
        is remembered too): the next run asks for it conditionally. Report pages and documents are archived by
        the pipelines, which must see whether their bytes changed."""
        sid = request.meta.get("site_id")
        if (response.status != 200 or request.method != "GET" or request.meta.get("role") != "column"
                or not request.meta.get("conditional") or "playwright" in (response.flags or []) or not sid):
            return
        header = lambda name: (response.headers.get(name) or b"").decode("latin-1")  # noqa: E731
        crawl_context(self.crawler).store.save_document(
            request.url.split("#")[0], response.body, kind="html", http_status=200,
            content_type=header("Content-Type"), etag=header("ETag"), last_modified=header("Last-Modified"),
            site_id=sid, role="column")


# ------------------------------------------------------------------------------------------------
# a body too large (declared, streamed or once inflated), a redirect chain without end: recorded, counted,
# fetched once more
# ------------------------------------------------------------------------------------------------

def _refetch_or_raise(crawler, request, kind: str, counter: str, reason: str):
    """Count ``counter`` in the run's faults, record ``kind`` for the request, and return the request (from its
    first URL) to fetch once more — or None when it was fetched again already or is a robots.txt."""
    if crawler.stats:
        crawler.stats.inc_value(f"harvester/fault/{counter}")
    first = (request.meta.get("redirect_urls") or [request.url])[0]
    again = not request.meta.get("refetched") and not urlsplit(first).path.endswith("/robots.txt")
    sid = request.meta.get("site_id")
    crawl_context(crawler).event(sid, request.url, kind, reason[:300] + ("; fetching it once more" if again else ""),
                                 level="info" if again else "warning")
    if not again:
        return None
    meta = {k: v for k, v in request.meta.items()
            if k not in ("redirect_times", "redirect_ttl", "redirect_urls", "redirect_reasons", "download_slot")}
    meta["refetched"] = True
    return request.replace(url=first, dont_filter=True, meta=meta)


class BoundedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware; a body that inflates past DOWNLOAD_MAXSIZE (a gzip bomb, stopped at
    the limit) is counted (`decompressed_too_large`), recorded as `too_large` and fetched once more."""

    def __init__(self, stats=None, *, crawler=None):
        super().__init__(stats, crawler=crawler)
        self.crawler = crawler

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            again = _refetch_or_raise(self.crawler, request, "too_large", "decompressed_too_large", str(exc))
            if again is None:
                raise
            return again


class BoundedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware; a chain past REDIRECT_MAX_TIMES is counted (`redirect_max_reached`),
    recorded as `redirect_loop` and fetched once more from its first URL."""

    def _redirect(self, redirected, request, reason):
        try:
            return super()._redirect(redirected, request, reason)
        except IgnoreRequest:
            hops = len(request.meta.get("redirect_urls") or []) + 1
            again = _refetch_or_raise(self.crawler, request, "redirect_loop", "redirect_max_reached",
                                      f"max redirections reached: {hops} redirects (REDIRECT_MAX_TIMES)")
            if again is None:
                raise
            return again


class SizeLimitMiddleware:
    """A download cancelled for a body over DOWNLOAD_MAXSIZE (Content-Length, or as it streams in) is recorded as
    `too_large` and fetched once more (counted as `exception:DownloadCancelledError` by Scrapy's stats)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            return _refetch_or_raise(self.crawler, request, "too_large", "size_cancelled", str(exception))
        return None
