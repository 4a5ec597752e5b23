"""Named faults a simulated site can be switched into (`site.faults = {"column_404", ...}`).

A fault is a function `(site, request, response) -> response`, registered under its name with
`@fault("name")`. The server builds the normal response first and passes it through every fault
that is switched on for the site, in registration order; a fault returns the response unchanged
when it does not apply. Per-site memory (counters for rate limits, cookies handed out, …) goes in
`site.fault_state`. Adding a fault is adding one decorated function here.

`down` is the one fault the server itself honours: a site that is down is not served at all
(connection refused), so its function here never runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Request:
    method: str
    path: str                    # path without the query string
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)   # lower-case names
    client: str = ""
    body: bytes = b""            # request body (POST)
    scheme: str = "http"         # http, or https when the connection spoke TLS
    listener: str = ""           # "host:port" of the socket the request came in on
    received: float = 0.0        # time.time() when the request arrived (0: now)

    def arg(self, name: str, default: str = "") -> str:
        """A query-string argument (first value), or `default`."""
        from urllib.parse import parse_qs
        return parse_qs(self.query, keep_blank_values=True).get(name, [default])[0]

    def form(self, name: str, default: str = "") -> str:
        """A field of an application/x-www-form-urlencoded body, or `default`."""
        from urllib.parse import parse_qs
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).get(name, [default])[0]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    role: str = ""               # what the server served: home, list, detail, attachment, …


FaultFn = Callable[["object", Request, Response], Response]
FAULTS: dict[str, FaultFn] = {}
DOCS: dict[str, str] = {}


def fault(name: str):
    def register(fn: FaultFn) -> FaultFn:
        FAULTS[name] = fn
        DOCS[name] = (fn.__doc__ or "").strip()
        return fn
    return register


def apply_faults(site, req: Request, resp: Response) -> Response:
    for name, fn in FAULTS.items():
        if name in site.faults:
            resp = fn(site, req, resp)
    return resp


def not_found() -> Response:
    body = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
            '<body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p><hr><p>nginx</p></body></html>').encode()
    return Response(404, {"Content-Type": "text/html; charset=utf-8"}, body, "error")


@fault("down")
def down(site, req, resp):
    """The site is not served: connection refused (handled by the server)."""
    return resp


@fault("column_404")
def column_404(site, req, resp):
    """Every list page of the site's 年报 column answers 404 (detail pages still work)."""
    if req.path.startswith(site.nb_dir) and resp.role in ("list", "stub") and req.path.count("/") == site.nb_dir.count("/"):
        return not_found()
    return resp


@fault("broken_pdf")
def broken_pdf(site, req, resp):
    """One PDF attachment (the site's first generated PDF report) is cut off after 40% of its bytes."""
    if req.path == site.fault_targets.get("broken_pdf"):
        body = resp.body[: int(len(resp.body) * 0.4)]
        headers = dict(resp.headers)
        headers["Content-Length"] = str(len(body))
        headers.pop("ETag", None)
        return Response(resp.status, headers, body, resp.role)
    return resp


# ----------------------------------------------------------------------------------------------
# obstacles real crawlers meet (portals.md "What real crawlers meet")
# ----------------------------------------------------------------------------------------------

import hashlib as _hashlib
import re as _re
import threading as _threading
import time as _time

_STATE_LOCK = _threading.Lock()


def _rewrite(resp: Response, body: bytes, **headers) -> Response:
    h = {k: v for k, v in resp.headers.items() if k not in ("ETag", "Content-Length")}
    h.update(headers)
    h["ETag"] = '"' + _hashlib.md5(body).hexdigest()[:16] + '"'
    return Response(resp.status, h, body, resp.role)


def _token(site, req: Request, salt: str) -> str:
    with _STATE_LOCK:
        n = site.fault_state[salt] = site.fault_state.get(salt, 0) + 1
    return _hashlib.sha1(f"{site.site_id}:{salt}:{req.path}:{n}".encode()).hexdigest()


@fault("robots_disallow")
def robots_disallow(site, req, resp):
    """robots.txt says `Disallow: /` for every user agent (the rest of the site still answers)."""
    if req.path == "/robots.txt":
        return Response(200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n", "static")
    return resp


@fault("challenge_412")
def challenge_412(site, req, resp):
    """瑞数 (Riversecurity): every page answers 412 with a `$_ts` script and an HttpOnly cookie; coming back with
    the cookie (but without the script's computed one) gets the same challenge. robots.txt is served."""
    if req.path == "/robots.txt":
        return resp
    tok = _token(site, req, "412")
    body = ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta content="{tok[:24]}" r=\'m\'><script type="text/javascript" r=\'m\'>'
            '$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=53012;'
            f'$_ts.cd="qxrhrrAlEGqc{tok}rGqqrq";</script>'
            '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.8a6e4b3.js" r=\'m\'></script>'
            '</head><body></body></html>').encode()
    headers = {"Content-Type": "text/html; charset=utf-8", "Server": "nginx",
               "Set-Cookie": [f"FSSBBIl1UgzbN7NO={tok[:40]}; Path=/; expires=Wed, 30 Dec 2037 16:00:00 GMT; HttpOnly"]}
    return Response(412, headers, body, "challenge")


@fault("challenge_521")
def challenge_521(site, req, resp):
    """加速乐 (jiasule): 521 with a `__jsluid_h` cookie and a script that sets `__jsl_clearance` and reloads;
    coming back without the clearance (which only the script computes) gets the second-stage challenge."""
    if req.path == "/robots.txt":
        return resp
    tok = _token(site, req, "521")
    if "__jsluid_h" in req.headers.get("cookie", ""):
        body = ('<script>var _0x5c2e=["\\x63\\x6f\\x6f\\x6b\\x69\\x65"];function go(a){var b=new Date();'
                f'document[_0x5c2e[0]]="__jsl_clearance="+a.ha+"|{tok[:12]}";location.href=location.pathname+location.search}}'
                f'go({{"bts":["1717000000.123|0|"],"chars":"{tok[:20]}","ha":"sha1","tn":"__jsl_clearance"}})</script>').encode()
        cookies = []
    else:
        body = (f"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+"
                f"('a')+('n')+('c')+('e')+('=')+('{tok[:10]}')+';max-age=3600;path=/';"
                "location.href=location.pathname+location.search</script>").encode()
        cookies = [f"__jsluid_h={tok[:32]}; max-age=31536000; path=/; HttpOnly"]
    headers = {"Content-Type": "text/html", "Server": "jsl"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(521, headers, body, "challenge")


@fault("cookie_loop")
def cookie_loop(site, req, resp):
    """openresty WAF: every page answers 302 to itself with a fresh cookie, whether or not the last one came
    back (the real check is computed by a script): without a browser it loops forever. robots.txt is served."""
    if req.path == "/robots.txt":
        return resp
    tok = _token(site, req, "302")
    location = req.path + (f"?{req.query}" if req.query else "")
    body = b"<html><head><title>302 Found</title></head><body><center><h1>302 Found</h1></center><hr><center>openresty</center></body></html>"
    return Response(302, {"Content-Type": "text/html", "Server": "openresty", "Location": location,
                          "Set-Cookie": [f"waf_cookie={tok[:24]}; path=/; HttpOnly"]}, body, "challenge")


# more than 5 requests within 60 s → 429 for 2 s (Retry-After: 2). A per-minute count, as the CC rules of the
# WAFs in front of government portals (安全狗, 云锁: "N 次 / 60 秒") have it: any crawl of the site's dozen
# pages trips it, however fast or slow the machine runs the crawler (a 10 s window did not, under load).
RATE_LIMIT = (5, 60.0, 2)


@fault("rate_limit_429")
def rate_limit_429(site, req, resp):
    """More than 5 requests within sixty seconds trip the limiter: every request answers 429 with
    `Retry-After: 2` until two seconds after the trip (requests during the penalty do not extend it; the
    count starts again after it)."""
    limit, window, penalty = site.fault_state.get("rate_limit", RATE_LIMIT)
    now = req.received or _time.time()
    with _STATE_LOCK:
        st = site.fault_state.setdefault("429", {"times": [], "until": 0.0, "trips": 0})
        if now < st["until"]:
            wait = st["until"] - now
        else:
            st["times"] = [t for t in st["times"] if now - t < window] + [now]
            if len(st["times"]) <= limit:
                return resp
            st["until"], st["times"], wait = now + penalty, [], penalty
            st["trips"] += 1
    seconds = max(1, int(-(-min(wait, penalty) // 1)))
    body = b"<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>"
    return Response(429, {"Content-Type": "text/html", "Retry-After": str(seconds)}, body, "error")


MAINTENANCE = 1.5   # seconds of 503 after the site's first page request


@fault("unavailable_503")
def unavailable_503(site, req, resp):
    """A maintenance window: for 1.5 s after the site's first page request every page answers 503 with
    `Retry-After: 1` (robots.txt is served)."""
    if req.path == "/robots.txt":
        return resp
    now = req.received or _time.time()
    with _STATE_LOCK:
        start = site.fault_state.setdefault("503_from", now)
    if now - start >= site.fault_state.get("maintenance", MAINTENANCE):
        return resp
    body = "<html><head><meta charset=\"utf-8\"><title>系统维护中</title></head><body><h1>503 Service Unavailable</h1><p>系统维护中，请稍后访问。</p></body></html>".encode()
    return Response(503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "1"}, body, "error")


_META_UTF8 = _re.compile(rb'<meta charset="utf-8">', _re.I)


@fault("gbk_lying_charset")
def gbk_lying_charset(site, req, resp):
    """HTML pages are sent in GBK while the header still says `charset=utf-8`: list pages declare gb2312 in a
    <meta>, detail pages declare nothing at all."""
    if resp.status != 200 or "text/html" not in resp.headers.get("Content-Type", "") or resp.role == "challenge":
        return resp
    try:
        text = resp.body.decode("utf-8")
    except UnicodeDecodeError:
        return resp
    if resp.role == "detail":
        text = _re.sub(r'<meta charset="utf-8">\n?', "", text, flags=_re.I)
    else:
        text = _re.sub(r'<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
                       text, flags=_re.I)
    body = text.encode("gbk", errors="xmlcharrefreplace")
    return _rewrite(resp, body, **{"Content-Type": "text/html; charset=utf-8"})


SOFT_404 = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title>'
            '<link rel="stylesheet" href="/images/common.css"></head><body><div class="error-page">'
            '<img src="/images/logo.png" alt=""><h2>抱歉，您访问的页面不存在或已被删除！</h2>'
            '<p>请检查您输入的网址是否正确，或<a href="/">返回首页</a>。</p>'
            '<p><span id="sec">5</span>秒后自动返回首页</p></div>'
            '<script>var s=5;setInterval(function(){s--;document.getElementById("sec").innerHTML=s;'
            'if(s<=0){window.location.href="/";}},1000);</script></body></html>')


@fault("soft_404")
def soft_404(site, req, resp):
    """Missing pages answer 200 with a friendly 页面不存在 page (and a script that returns to the home page)."""
    if resp.status == 404:
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, SOFT_404.encode(), "soft404")
    return resp


@fault("moved_301")
def moved_301(site, req, resp):
    """The site moved to a new domain: the old address answers every request with 301 to the same path there
    (the server starts the new address; `site.fault_state['moved_to']`)."""
    if req.listener and req.listener == site.fault_state.get("moved_from"):
        location = site.fault_state["moved_to"] + req.path + (f"?{req.query}" if req.query else "")
        body = b"<html><head><title>301 Moved Permanently</title></head><body><h1>301 Moved Permanently</h1></body></html>"
        return Response(301, {"Content-Type": "text/html", "Location": location}, body, "redirect")
    return resp


@fault("https_only")
def https_only(site, req, resp):
    """Only TLS is spoken: a plain-HTTP connection is closed without an answer (handled by the server)."""
    return resp


@fault("tls_broken")
def tls_broken(site, req, resp):
    """The registry lists the site as https://, but its TLS handshake never completes (an old stack); plain
    HTTP works (handled by the server)."""
    return resp


def _list_page(site, resp) -> bool:
    return resp.status == 200 and resp.role == "list" and "text/html" in resp.headers.get("Content-Type", "")


@fault("cross_site_links")
def cross_site_links(site, req, resp):
    """List pages also link another government's report on an outside server (not in the registry), and give
    their own first report as a protocol-relative `//host:port/...` link."""
    outsider = site.fault_state.get("outsider")
    if not outsider or not _list_page(site, resp):
        return resp
    text = resp.body.decode("utf-8", "replace")
    extra = (f'<li><a href="{outsider}/art/2024/3/1/art_1229_5901.html" title="邻县2023年政府信息公开工作年度报告" '
             f'target="_blank">邻县2023年政府信息公开工作年度报告</a><span>2024-03-01</span></li>'
             f'<li><a href="{outsider}/module/download/downfile.jsp?classid=0&amp;filename=0f1e2d3c4b5a69788796a5b4c3d2e1f0.pdf" '
             f'target="_blank">上级政府2023年政府信息公开工作年度报告.pdf</a><span>2024-02-20</span></li>')
    m = _re.search(r'<li><a href="(\./[^"]+)"', text)
    if m and req.listener:
        from urllib.parse import urljoin
        absolute = urljoin(f"http://{req.listener}{req.path}", m.group(1))
        text = text.replace(f'href="{m.group(1)}"', f'href="{absolute.replace("http:", "", 1)}"', 1)
    text = text.replace("</ul>", extra + "</ul>", 1)
    return _rewrite(resp, text.encode("utf-8"))


@fault("http_https_duplicates")
def http_https_duplicates(site, req, resp):
    """The first page of the 年报 column lists its first two reports a second time, as absolute https:// links
    (the same pages, reached over TLS on the same port): one report, two URLs."""
    if not _list_page(site, resp) or not req.listener or req.path not in (site.nb_path, site.nb_dir):
        return resp
    text = resp.body.decode("utf-8", "replace")
    from urllib.parse import urljoin
    items = _re.findall(r'<li><a href="(\./[^"]+)"[^>]*title="([^"]+)"', text)[:2]
    extra = "".join(
        f'<li><a href="{urljoin(f"https://{req.listener}{req.path}", href)}" title="{title}" target="_blank">{title}'
        f'</a><span>2024-01-01</span></li>' for href, title in items)
    return _rewrite(resp, text.replace("</ul>", extra + "</ul>", 1).encode("utf-8"))


@fault("layout_changed")
def layout_changed(site, req, resp):
    """The site was redesigned: pages of the 年报 column no longer carry their items' URLs anywhere (not in
    an href, a data attribute or a script: a new app opens them by an id no page shows). (Items as
    `<a data-href=…>` are no longer a changed layout: the crawler reads data-href.)"""
    if not _list_page(site, resp) or not req.path.startswith(site.nb_dir or "/nowhere/"):
        return resp
    text = _re.sub(r'<a href="[^"]*"([^>]*target="_blank")', r'<a\1', resp.body.decode("utf-8", "replace"))
    return _rewrite(resp, text.encode("utf-8"))


@fault("latency")
def latency(site, req, resp):
    """Every answer takes `site.fault_state["latency"]` seconds (default 0.2) more, as a distant or loaded
    server does (the benchmark of distributed workers; the server answers each connection in its own thread)."""
    _time.sleep(float(site.fault_state.get("latency", 0.2)))
    return resp


# names a server may put in Content-Disposition: traversal, absolute paths, NUL, line breaks, 1,000
# characters, Windows device names — the harvester must never write any of them anywhere
HOSTILE_NAMES = [
    "../../../../../../tmp/HARVESTER-EVIL-traversal.pdf",
    "/tmp/HARVESTER-EVIL-absolute.pdf",
    "..\\..\\..\\HARVESTER-EVIL-backslash.pdf",
    "HARVESTER-EVIL-nul\0.pdf",
    "HARVESTER-EVIL-newline\nSet-Cookie: x=1.pdf",
    "HARVESTER-EVIL-" + "长" * 1000 + ".pdf",
    "CON", "NUL.pdf", "aux.docx", "COM1.pdf", "LPT1",
    "~/.bashrc", ".", "..", "",
]


@fault("hostile_names")
def hostile_names(site, req, resp):
    """Every attachment comes with a Content-Disposition name from HOSTILE_NAMES in turn (as filename*, so
    NUL and line breaks survive the header, percent-encoded, plus a plain filename= fallback)."""
    if resp.role != "attachment" or resp.status != 200:
        return resp
    from urllib.parse import quote
    with _STATE_LOCK:
        n = site.fault_state.get("hostile_names_n", 0)
        site.fault_state["hostile_names_n"] = n + 1
    name = HOSTILE_NAMES[n % len(HOSTILE_NAMES)]
    plain = name.encode("ascii", "replace").decode().replace("\0", "").replace("\n", " ").replace('"', "")
    headers = dict(resp.headers)
    headers["Content-Disposition"] = f'attachment; filename="{plain}"; filename*=UTF-8\'\'{quote(name, safe="")}'
    return Response(resp.status, headers, resp.body, resp.role)


# ----------------------------------------------------------------------------------------------
# a hostile attachment (README "Reliability"): the bytes of one report's attachment are replaced by a
# document that stalls or kills its reader — the crawl must read it in the sandbox, record its status
# and keep its bytes, and crawl every other report as if nothing had happened
# ----------------------------------------------------------------------------------------------

def pdf_objects(objs: list[bytes], root: int = 1, *, xref: bool = True, info: int | None = None) -> bytes:
    """A PDF file of the numbered objects ``objs`` (object k+1 is ``objs[k]``), ``root`` its catalog, ``info``
    its document information dictionary; with ``xref=False`` the cross-reference table is left out (a reader
    must rebuild it). Shared with the PDFs the tests build by hand (tests/hostile/gen.py, tests/extract/pdfbuild.py)."""
    import io
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % k + body + b"\nendobj\n")
    pos = out.tell()
    if xref:
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
        for off in offsets:
            out.write(b"%010d 00000 n \n" % off)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objs) + 1, root) + (b" /Info %d 0 R" % info if info else b"")
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % pos)
    return out.getvalue()


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def hostile_slow_pdf(pages: int = 2000, ops: int = 1300) -> bytes:
    """``pages`` pages (within HARVESTER_MAX_PAGES) sharing one Flate content stream of ``ops`` text objects:
    about 300 KB that take the reader some 30 s (measured on a quiet 2-core machine) — a hang for a crawl
    whose deadline (HARVESTER_EXTRACT_TIMEOUT) is shorter."""
    import zlib
    text = b"".join(b"BT /F1 6 Tf %d %d Td (%d) Tj ET\n" % (20 + (i % 10) * 55, 20 + (i // 10) % 130 * 6, i)
                    for i in range(ops))
    data = zlib.compress(text, 9)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 4 0 R >>")
    return pdf_objects([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
                 _FONT, content] + [page] * pages)


def hostile_abort_pdf() -> bytes:
    """A Form XObject that draws itself (and a second drawing the first), 1 KB: with the depth budget off
    (HARVESTER_MAX_DEPTH=0) pdfium expands the cycle until an allocation fails under the memory limit and
    aborts (SIGABRT); with the budget on it is ``too_large`` before pdfium sees it."""
    form = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /X1 4 0 R /X2 5 0 R >> >> "
            b"/Length 14 >>\nstream\n/X1 Do /X2 Do \nendstream")
    form2 = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /X1 4 0 R >> >> "
             b"/Length 7 >>\nstream\n/X1 Do\nendstream")
    text = b"/X1 Do BT /F1 12 Tf 72 720 Td (Annual report 2023) Tj ET"
    return pdf_objects([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>", _FONT, form, form2,
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
                 b"/XObject << /X1 4 0 R >> >> /Contents 7 0 R >>",
                 b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"])


HOSTILE_KINDS = {"slow": hostile_slow_pdf, "abort": hostile_abort_pdf}
_HOSTILE_BYTES: dict[str, bytes] = {}


def hostile_target(site) -> str | None:
    """The attachment `hostile_attachment` replaces: `fault_targets["hostile_attachment"]`, else the site's
    first generated PDF report (the `broken_pdf` target)."""
    return site.fault_targets.get("hostile_attachment") or site.fault_targets.get("broken_pdf")


@fault("hostile_attachment")
def hostile_attachment(site, req, resp):
    """One PDF attachment (`hostile_target(site)`) is served as a hostile PDF: `fault_state["hostile_attachment"]`
    "slow" (about 30 s of reading for 300 KB: a hang under a shorter HARVESTER_EXTRACT_TIMEOUT) or "abort"
    (Form XObjects drawing themselves: pdfium aborts once HARVESTER_MAX_DEPTH is off)."""
    if req.path != hostile_target(site) or resp.status != 200:
        return resp
    kind = site.fault_state.get("hostile_attachment", "slow")
    with _STATE_LOCK:
        if kind not in _HOSTILE_BYTES:
            _HOSTILE_BYTES[kind] = HOSTILE_KINDS[kind]()
        body = _HOSTILE_BYTES[kind]
        site.fault_state["hostile_served"] = site.fault_state.get("hostile_served", 0) + 1
    return _rewrite(resp, body, **{"Content-Type": "application/pdf"})
