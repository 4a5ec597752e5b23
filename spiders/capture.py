"""The browser's side of a render, set up before the page loads (scrapy-playwright `playwright_page_init_callback`,
given by its dotted name so a request that carries it can be queued in Redis):

- every XHR/fetch call and frame document the page asks for is kept with its request (URL, method, body, the
  headers that matter) in `request.meta["browser_requests"]`; the spider asks for each again over plain HTTP
  (spiders/platforms/inline.py) and remembers one that lists reports as the column's API;
- the page is read once the network goes quiet, or after HARVESTER_RENDER_SETTLE seconds if it never does (a
  page that polls a counter forever is read as it is by then): `settle`, a page method that does not fail;
- a page of the site is read in the encoding its bytes have, as the crawler reads it over HTTP
  (harvester.extract.html.decode_html): a page that declares no charset, or a wrong one, is handed to the
  browser with the right one in its Content-Type — else a browser guesses windows-1252 and every title is
  mojibake. The page is fetched with the Scrapy request's headers (User-Agent included).
- every exchange the browser has with the page's own host (its document, scripts, XHR/fetch) is fetched by the
  route and kept, as it came from the server, in `request.meta["browser_exchanges"]`: the WARC middleware
  writes them as request/response records (spiders/warcmw.py), so a rendered page replays with what it loaded.
"""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_CAPTURED = 40
MAX_EXCHANGES = 80          # browser exchanges kept per render for the WARC
_EXCHANGED = ("document", "script", "xhr", "fetch")
_HEADERS = ("content-type", "referer", "x-requested-with", "accept")


def _scrapy_headers(request) -> dict[str, str]:
    out = {}
    for key, values in request.headers.items():
        if values:
            out[key.decode("latin-1").lower()] = values[-1].decode("latin-1")
    return out


async def settle(page, seconds: float) -> bool:
    """Wait for the network to go quiet, `seconds` at most; False when it did not."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    try:
        await page.wait_for_load_state("networkidle", timeout=seconds * 1000)
        return True
    except PlaywrightTimeout:
        return False


async def watch_requests(page, request) -> None:
    captured = request.meta.setdefault("browser_requests", [])
    host = urlsplit(request.url).netloc

    def on_request(r) -> None:
        try:
            kind = r.resource_type
            if kind not in ("xhr", "fetch") and not (kind == "document" and r.frame != page.main_frame):
                return
            if len(captured) >= MAX_CAPTURED:
                return
            headers = {k: v for k, v in (r.headers or {}).items() if k.lower() in _HEADERS}
            captured.append({"url": r.url, "method": r.method, "body": r.post_data or "", "type": kind,
                             "headers": headers})
        except Exception:  # noqa: BLE001 - a detached frame or a closed page: nothing to keep
            return

    exchanges = request.meta.setdefault("browser_exchanges", [])

    async def in_its_encoding(route) -> None:
        req = route.request
        if (req.resource_type not in _EXCHANGED or urlsplit(req.url).netloc != host
                or len(exchanges) >= MAX_EXCHANGES):
            await route.fallback()
            return
        document = req.resource_type == "document" and req.method == "GET"
        from harvester.extract.html import decode_html
        try:
            scrapy_headers = _scrapy_headers(request)
            # the page itself with the Scrapy request's headers; what it loads with the browser's, and the crawler's
            # User-Agent (as scrapy-playwright sends them)
            sent = {**(await req.all_headers()), **(scrapy_headers if document else
                                                    {k: v for k, v in scrapy_headers.items() if k == "user-agent"})}
            response = await route.fetch(headers=sent)
            body = await response.body()
        except Exception:  # noqa: BLE001 - the page goes on as the browser would load it
            await route.fallback()
            return
        exchanges.append({"url": req.url, "method": req.method, "request_headers": sent,
                          "request_body": req.post_data_buffer or b"", "status": response.status,
                          "reason": response.status_text or None,
                          "headers": [(h["name"], h["value"]) for h in response.headers_array],
                          "body": body})
        if not document:
            await route.fulfill(response=response, body=body)
            return
        out = {k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")}
        ctype = out.get("content-type", "")
        if ctype.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml", ""):
            _text, enc = decode_html(body, ctype)
            if enc and enc != "str":
                out["content-type"] = f"text/html; charset={enc}"
        await route.fulfill(status=response.status, headers=out, body=body)

    page.on("request", on_request)
    await page.route("**/*", in_its_encoding)
