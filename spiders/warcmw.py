"""`WarcMiddleware`: every HTTP exchange of the crawl as WARC/1.1 records (harvester/evidence/warc.py).

It sits next to the downloader (after cookies, compression and the default headers were added to the
request; before redirects, retries, decompression and the 304 → archive step touch the response), so it sees
what went over the wire — redirects, 404s, 429s, robots.txt and 304s included:

- a ``request`` record and a ``response`` record (WARC-Concurrent-To each other) for every answer;
- a 304 is a ``revisit`` (profile server-not-modified) naming the earlier capture of the URL it confirms;
- a body whose bytes an earlier response already holds is a ``revisit`` (identical-payload-digest), not a copy;
- a page rendered in Chromium: every exchange the browser had with the site (its document, scripts, XHR) as
  request/response records, and the rendered DOM as a ``conversion`` record referring to the page's response
  (a DOM kept already — the render of an unchanged page — is not written again).

At the end of the run every file written gets its CDXJ index (``<warc dir>/indexes/``).

Each record other than requests is a row of ``warc_captures`` (file, offset, length, digests), which the
archive reads its bytes from; the store buffers the rows and writes them in batches (Store.add_captures),
its lookups reading the buffer first, and the rest are written when the spider closes. ``HARVESTER_WARC=0`` turns it off (the benchmark's baseline).
"""
from __future__ import annotations

import hashlib
import logging
import socket
from datetime import datetime, timezone
from urllib.parse import urlsplit

from harvester.crawl.run import crawl_context
from harvester.evidence.warc import (
    REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, WarcWriter, b32_digest, decoded_body, memory,
    warc_date,
)

log = logging.getLogger(__name__)

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
            307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 410: "Gone", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 521: "Web Server Is Down"}
_HOP = {"transfer-encoding", "connection", "keep-alive"}


def _pairs(headers) -> list[tuple[str, str]]:
    """Scrapy Headers (or a dict of str) as (name, value) pairs, every value of a repeated header kept."""
    out = []
    if hasattr(headers, "getlist"):
        for k in headers.keys():
            for v in headers.getlist(k):
                out.append((k.decode("latin-1"), v.decode("latin-1")))
    elif isinstance(headers, list):
        out = [(str(k), str(v)) for k, v in headers]
    else:
        for k, v in (headers or {}).items():
            for one in (v if isinstance(v, list) else str(v).split("\n")):
                out.append((str(k), str(one)))
    return out


def _fix_length(pairs, n: int) -> list[tuple[str, str]]:
    """Hop-by-hop headers dropped (the body is recorded de-chunked) and Content-Length that of the body."""
    out = [(k, v) for k, v in pairs if k.lower() not in _HOP and k.lower() != "content-length"]
    out.append(("Content-Length", str(n)))
    return out


def _header(pairs, name: str) -> str:
    name = name.lower()
    return next((v for k, v in pairs if k.lower() == name), "")


class WarcMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.enabled = s.getbool("HARVESTER_WARC", True)
        self.max_bytes = s.getint("HARVESTER_WARC_MAX_BYTES", 100 * 1024 * 1024)
        self.writer: WarcWriter | None = None
        self.by_uri: dict[str, dict] = {}       # this run's latest 200 capture per URL
        self.by_digest: dict[str, dict] = {}    # this run's responses by payload digest
        self.records = 0
        from scrapy import signals
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # ---------------------------------------------------------------- plumbing

    def _ctx(self):
        return crawl_context(self.crawler)

    def _writer(self) -> WarcWriter:
        if self.writer is None:
            ctx = self._ctx()
            s = self.crawler.settings
            from importlib.metadata import version
            info = {
                "software": f"harvester/0.1 (Scrapy {version('scrapy')}, warcio {version('warcio')})",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": f"harvester crawl run {ctx.run_id}",
                "description": "government information disclosure annual reports (政府信息公开工作年度报告)",
                "robots": "obey" if s.getbool("ROBOTSTXT_OBEY") else "ignore",
                "http-header-user-agent": s.get("USER_AGENT") or "",
                "hostname": socket.gethostname(),
            }
            self.writer = WarcWriter(ctx.store.warc_dir, run_id=ctx.run_id, info=info, max_bytes=self.max_bytes)
        return self.writer

    def close(self, spider=None, reason=None):
        """End of the run: the files closed and each one's CDXJ index written (harvester/evidence/warc.py)."""
        if self.writer is None:
            return
        self.writer.close()
        try:
            self._ctx().store.flush_captures()     # the rows the store still buffers (Store.add_captures)
        except Exception as exc:  # noqa: BLE001 - recorded; the records stay in the files
            log.exception("warc_captures rows not written at close")
            self._ctx().event(None, "", "warc_error", f"{type(exc).__name__}: {exc}"[:500], level="error")
        from harvester.evidence.warc import index_warc
        for name in self.writer.files:
            try:
                index_warc(self.writer.dir, name)
            except Exception as exc:  # noqa: BLE001 - `harvester warc-index` can write it later
                log.exception("CDXJ index of %s not written", name)
                self._ctx().event(None, name, "warc_index_error", f"{type(exc).__name__}: {exc}"[:500])

    def _earlier(self, uri: str) -> dict | None:
        return self.by_uri.get(uri) or self._ctx().store.latest_capture(uri)

    def _same_payload(self, digest: str) -> dict | None:
        cap = self.by_digest.get(digest)
        if cap is not None:
            return cap
        cap = self._ctx().store.capture_by_digest(digest)
        if cap is not None and (self._ctx().store.warc_dir / cap["warc_file"]).is_file():
            return cap
        return None

    # ---------------------------------------------------------------- Scrapy

    def process_response(self, request, response, spider=None):
        if not self.enabled:
            return response
        try:
            if "playwright" in (response.flags or []):
                self._rendered(request, response)
            else:
                self._exchange(request.url, request.method, _pairs(request.headers), request.body or b"",
                               response.status, _pairs(response.headers), response.body or b"")
        except Exception as exc:  # noqa: BLE001 - evidence lost is recorded, the crawl goes on
            log.exception("WARC record of %s not written", request.url)
            self._ctx().event(request.meta.get("site_id"), request.url, "warc_error",
                              f"{type(exc).__name__}: {exc}"[:500], level="error")
        return response

    # ---------------------------------------------------------------- records

    def _exchange(self, url, method, req_headers, req_body, status, resp_headers, body,
                  reason: str | None = None) -> dict:
        from warcio.statusandheaders import StatusAndHeaders

        w = self._writer()
        b = w.builder()
        now = datetime.now(timezone.utc)
        date = warc_date(now)
        url = url.split("#")[0]
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        rq_pairs = [(k, v) for k, v in req_headers if k.lower() != "host"]
        rq_pairs.insert(0, ("Host", parts.netloc))
        if req_body:
            rq_pairs = _fix_length(rq_pairs, len(req_body))
        rs_pairs = _fix_length(resp_headers, len(body)) if status != 304 else \
            [(k, v) for k, v in resp_headers if k.lower() not in _HOP]
        status_line = f"{status} {reason or _REASONS.get(status, 'Unknown')}"
        http = StatusAndHeaders(status_line, rs_pairs, protocol="HTTP/1.1")
        ctype = _header(rs_pairs, "Content-Type")
        digest = b32_digest(body)
        row = {"uri": url, "method": method, "http_status": status, "content_type": ctype or None,
               "captured_at": now, "run_id": self._ctx().run_id}

        if status == 304:
            earlier = self._earlier(url)
            headers = {"WARC-Date": date, "WARC-Profile": REVISIT_NOT_MODIFIED}
            if earlier:
                headers.update({"WARC-Refers-To": earlier["record_id"], "WARC-Refers-To-Target-URI": earlier["uri"],
                                "WARC-Refers-To-Date": warc_date(earlier["captured_at"])})
                if earlier.get("payload_digest"):
                    headers["WARC-Payload-Digest"] = earlier["payload_digest"]
            resp = b.create_warc_record(url, "revisit", payload=memory(b""), length=0, http_headers=http,
                                        warc_headers_dict=headers)
            row.update(record_type="revisit", profile="not_modified",
                       payload_digest=(earlier or {}).get("payload_digest"),
                       body_sha256=(earlier or {}).get("body_sha256"),
                       refers_to=(earlier or {}).get("record_id"))
        else:
            plain = decoded_body(body, _header(rs_pairs, "Content-Encoding"))
            body_sha = hashlib.sha256(plain).hexdigest() if plain is not None else None
            same = self._same_payload(digest) if body else None
            if same is not None:
                headers = {"WARC-Date": date, "WARC-Profile": REVISIT_IDENTICAL, "WARC-Payload-Digest": digest,
                           "WARC-Refers-To": same["record_id"], "WARC-Refers-To-Target-URI": same["uri"],
                           "WARC-Refers-To-Date": warc_date(same["captured_at"])}
                resp = b.create_warc_record(url, "revisit", payload=memory(b""), length=0, http_headers=http,
                                            warc_headers_dict=headers)
                row.update(record_type="revisit", profile="identical", refers_to=same["record_id"])
            else:
                resp = b.create_warc_record(url, "response", payload=memory(body), length=len(body),
                                            http_headers=http, warc_headers_dict={"WARC-Date": date})
                row.update(record_type="response", profile=None, refers_to=None)
            row.update(payload_digest=digest, body_sha256=body_sha)
        rid = resp.rec_headers.get_header("WARC-Record-ID")
        req_http = StatusAndHeaders(f"{method} {target} HTTP/1.1", rq_pairs, protocol="HTTP/1.1",
                                    is_http_request=True)
        req = b.create_warc_record(url, "request", payload=memory(req_body), length=len(req_body),
                                   http_headers=req_http,
                                   warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": rid})
        resp.rec_headers.add_header("WARC-Concurrent-To", req.rec_headers.get_header("WARC-Record-ID"))
        where = w.write([resp, req])
        row.update(record_id=rid, request_record_id=req.rec_headers.get_header("WARC-Record-ID"), **where[0])
        self._ctx().store.add_captures([row])
        self.records += 2
        if status == 200:
            self.by_uri[url] = row
        if row["record_type"] == "response" and body:
            self.by_digest[digest] = row
        return row

    def _rendered(self, request, response) -> None:
        """A page rendered in Chromium: the browser's own exchanges, then the DOM as a conversion record."""
        for ex in request.meta.pop("browser_exchanges", None) or []:
            # the browser hands the body over decoded: its Content-Encoding no longer applies
            headers = [(k, v) for k, v in _pairs(ex["headers"]) if k.lower() != "content-encoding"]
            self._exchange(ex["url"], ex["method"], _pairs(ex["request_headers"]), ex.get("request_body") or b"",
                           ex["status"], headers, ex.get("body") or b"", reason=ex.get("reason"))
        url = request.url.split("#")[0]
        dom = response.body or b""
        if self._ctx().store.capture_holding(hashlib.sha256(dom).hexdigest()) is not None:
            return      # this very DOM is kept already (a render of an unchanged page)
        w = self._writer()
        b = w.builder()
        now = datetime.now(timezone.utc)
        earlier = self.by_uri.get(url) or self._ctx().store.latest_capture(url)
        headers = {"WARC-Date": warc_date(now)}
        if earlier:
            headers["WARC-Refers-To"] = earlier["record_id"]
        ctype = "text/html; charset=utf-8"
        rec = b.create_warc_record(url, "conversion", payload=memory(dom), length=len(dom),
                                   warc_content_type=ctype, warc_headers_dict=headers)
        where = w.write([rec])
        self._ctx().store.add_captures([{
            "record_id": rec.rec_headers.get_header("WARC-Record-ID"), "request_record_id": None,
            "record_type": "conversion", "profile": "rendered_dom", "uri": url, "method": "GET",
            "http_status": None, "content_type": ctype, "captured_at": now, "payload_digest": b32_digest(dom),
            "body_sha256": hashlib.sha256(dom).hexdigest(), "refers_to": (earlier or {}).get("record_id"),
            "run_id": self._ctx().run_id, **where[0]}])
        self.records += 1
