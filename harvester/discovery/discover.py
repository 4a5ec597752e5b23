"""Discovery: build the site registry from the top down, from a province portal's home page.

    harvester discover https://www.nx.gov.cn/ --registry data/sites.csv

From each seed the discovery reads the portal's own pages and follows only two kinds of links:

- **navigation to directories** on the same host: 政府网站导航, 网站群 / 站群导航, 信息公开目录,
  部门信息公开目录, 乡镇（街道）信息公开目录, 政府信息公开 (a few pages per site, two steps deep);
- **entries of directory sections**: the links under a heading that names a directory of sites or columns
  (市县政府网站, 区县政府网站, 省市政府网站, 部门网站, 市直部门, 乡镇（街道）信息公开 …). Links under
  友情链接, 新闻媒体, 便民服务, 广告 … and links anywhere else on the page (header, footer, body) are never
  followed.

An entry on another host is a **site candidate**. A host that is a domain name outside ``.gov.cn`` is refused
without being fetched; otherwise its page is fetched once (redirects followed: the final URL is the site's)
and the site is accepted only when its own page identifies a government site: a well-formed 网站标识码 in
its footer (or ``<meta name="SiteIDCode">``) — or, when the code is missing or malformed, a government name
(人民政府, 管委会, 局 …) as the site's name or 主办单位, and no company (有限公司 …) as its 主办 or
版权所有 — and its division lies in the province of the seed whose subtree it is in (each seed names its own
province from its own page: several seeds of several provinces are one run). An entry on the same host is a **column** of that
site (a department's or township's disclosure column on the county platform): accepted when it answers.

Each accepted site or column becomes a registry row (``harvester.crawl.registry.COLUMNS``): its 网站标识码, ICP,
name, the division code (the code's first six digits when they are a division of the dataset, else the
division named in the site's name, else the parent site's), level (province/city/county/township), agency type
(government/department/township/zone), the parent site, the page it was found on and when. Every refused or
unreachable candidate is kept with its reason in the discovery log.

Reconciliation of a run with the current registry is ``harvester.discovery.reconcile``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from harvester.divisions import PROVINCES

MAX_BYTES = 5 * 1024 * 1024
NAV_TEXT = re.compile(r"^(政府网站导航|网站导航|政府网站群|网站群|站群导航|网站群导航|集约化平台|信息公开目录|"
                      r"部门信息公开目录|乡镇[（(]街道[)）]信息公开目录|乡镇信息公开目录|街道信息公开目录|"
                      r"政府信息公开|信息公开|政务公开)$")
DIRECTORY = re.compile(r"(政府网站|网站导航|网站群|站群|市县|县市|区县|县区|县市区|部门网站|部门信息公开|直部门|"
                       r"省直|市直|县直|区直|乡镇|街道|信息公开目录)")
NOT_DIRECTORY = re.compile(r"(友情链接|媒体|新闻|合作|广告|推荐|便民|热门|专题)")
COMPANY = re.compile(r"(有限公司|有限责任公司|股份|集团|科技公司|网络公司|传媒|广告)")
GOV_NAME = re.compile(r"(人民政府|政府|管委会|管理委员会|行政公署|办公厅|办公室|委员会|局|厅|街道办事处|街道|[乡镇])(网站|门户网站)?$")
TOWNSHIP = re.compile(r"([乡镇]|街道|街道办事处|苏木)(人民政府)?$")
ZONE = re.compile(r"(开发区|高新区|高新技术产业开发区|新区|综合实验区|试验区|示范区|园区|保税区|管委会|管理委员会)")
GOVERNMENT = re.compile(r"(人民政府|政府|行政公署)$")
SITE_CODE = re.compile(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]*)")
ICP = re.compile(r"([\u4e00-\u9fff]ICP备\s*\d+号(?:-\d+)?)")
POLICE = re.compile(r"(?:[\u4e00-\u9fff]公网安备\s*(\d+)号|公安(?:机关)?备案号\s*[:：]?\s*([\d-]{8,}))")
HOST_ORG = re.compile(r"主办(?:单位)?\s*[:：]\s*([^\s　<|｜]+)")
COPYRIGHT = re.compile(r"版权所有\s*[:：]?\s*([^\s　<|｜©]+)")


# ---- reading one page ------------------------------------------------------------------------------------

@dataclass
class Identity:
    site_code: str = ""
    site_code_status: str = "missing"      # ok, missing, malformed
    icp: str = ""
    police: str = ""
    name: str = ""
    host_org: str = ""
    copyright: str = ""
    breadcrumb: str = ""
    title: str = ""
    h1: str = ""


def code_status(code: str) -> str:
    """'ok' for a 10-character 网站标识码 (6-digit division code + 4 digits, or bm + 8 digits), 'missing' or
    'malformed'."""
    if not code:
        return "missing"
    if re.fullmatch(r"\d{10}", code) and code[:2] in PROVINCES:
        return "ok"
    if re.fullmatch(r"bm\d{8}", code, re.I):
        return "ok"
    return "malformed"


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def read_identity(doc) -> Identity:
    """The site's identity as its page shows it: footer text (网站标识码, ICP, 公安备案号, 主办, 版权所有),
    ``<meta name="SiteIDCode|SiteName">``, title, first ``<h1>``, breadcrumb (当前位置)."""
    text = doc.text_content()
    ident = Identity()
    m = SITE_CODE.search(text)
    meta = {(el.get("name") or "").lower(): (el.get("content") or "").strip() for el in doc.iter("meta")}
    code = m.group(1) if m else ""
    if not code:
        code = meta.get("siteidcode", "")
    ident.site_code, ident.site_code_status = code, code_status(code)
    if (m := ICP.search(text)):
        ident.icp = _clean(m.group(1))
    if (m := POLICE.search(text)):
        ident.police = m.group(1) or m.group(2)
    if (m := HOST_ORG.search(text)):
        ident.host_org = m.group(1)
    if (m := COPYRIGHT.search(text)):
        ident.copyright = m.group(1)
    title = doc.find(".//title")
    ident.title = _clean(title.text_content()) if title is not None else ""
    h1 = doc.find(".//h1")
    ident.h1 = _clean(h1.text_content()) if h1 is not None else ""
    crumbs = [t for t in (_clean(el.text_content()) for el in doc.iter("div", "p", "span", "nav"))
              if t.startswith(("当前位置", "您的位置", "您现在的位置")) and len(t) < 200]
    ident.breadcrumb = min(crumbs, key=len) if crumbs else ""
    name = meta.get("sitename", "")
    if not name and ident.copyright:
        name = re.sub(r"(门户)?网站$", "", ident.copyright)
    if not name and ident.title:
        name = re.split(r"[_|｜\-—]+", ident.title)[-1]
    ident.name = _clean(name) or ident.h1
    return ident


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "dt", "p", "strong", "b", "span", "div", "em", "caption", "th")


def _heading_text(el) -> str:
    """The text of a heading-like element holding no link, or ''."""
    if not isinstance(el.tag, str) or el.tag not in _HEADING_TAGS or el.find(".//a") is not None:
        return ""
    t = _clean(el.text_content())
    return t if 2 <= len(t) <= 24 else ""


def _section_of(a) -> str:
    """The heading of the block an anchor sits in: going up from the anchor (at most six levels, never to
    <body>), the nearest heading-like element before the branch that holds the anchor."""
    branch = a
    for depth, anc in enumerate(a.iterancestors()):
        if depth > 6 or anc.tag in ("body", "html"):
            break
        for sib in branch.itersiblings(preceding=True):
            t = _heading_text(sib)
            if t:
                return t
        branch = anc
    return ""


def page_links(doc, base: str) -> list[dict]:
    """Every http(s) link of a page: {url, text, section} where section is the heading of the block it sits in
    ('' when none)."""
    out = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        out.append({"url": url, "text": _clean(a.text_content()) or _clean(a.get("title") or ""),
                    "section": _section_of(a)})
    # the drop-down lists of footers: <select><option>市县政府网站</option><option value="http://…">…</option>
    for sel in doc.iter("select"):
        options = [o for o in sel.iter("option")]
        label = ""
        if options and not (options[0].get("value") or "").startswith("http"):
            label = _clean(options[0].text_content()).strip("-—=－")
        label = label or _section_of(sel)
        for o in options:
            value = (o.get("value") or "").strip()
            if value.startswith(("http://", "https://")):
                out.append({"url": urldefrag(value)[0], "text": _clean(o.text_content()), "section": label})
    return out


def is_directory(section: str) -> bool:
    return bool(section) and bool(DIRECTORY.search(section)) and not NOT_DIRECTORY.search(section)


def host_is_domain(host: str) -> bool:
    return bool(host) and not re.fullmatch(r"[\d.]+|\[[0-9a-f:]+\]", host)


# ---- fetching --------------------------------------------------------------------------------------------

@dataclass
class Fetched:
    url: str                     # as asked
    final_url: str = ""          # after redirects
    status: int = 0
    text: str = ""
    error: str = ""
    redirects: list = field(default_factory=list)


class _Redirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        chain = getattr(req, "chain", None)
        if chain is not None:
            chain.append(f"{code} {newurl}")
        if new is not None:
            new.chain = chain
        return new


class Fetcher:
    """Plain HTTP GETs with a timeout, a size limit, robots.txt obeyed and a per-host delay."""

    def __init__(self, user_agent: str, *, timeout: float = 15, delay: float = 0.5, max_pages: int = 5000):
        self.ua, self.timeout, self.delay, self.max_pages = user_agent, timeout, delay, max_pages
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE          # as the crawler: many county portals' certificates are broken
        self.opener = urllib.request.build_opener(_Redirects(), urllib.request.HTTPSHandler(context=ctx))
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()
        self.host_locks: dict[str, threading.Lock] = {}
        self.pages = 0
        self.requests: list[str] = []

    def _get(self, url: str) -> Fetched:
        host = urlsplit(url).netloc
        with self.lock:
            hl = self.host_locks.setdefault(host, threading.Lock())
        with hl:
            wait = self.last.get(host, 0) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            req = urllib.request.Request(url, headers={"User-Agent": self.ua, "Accept": "text/html,*/*"})
            req.chain = []
            with self.lock:
                self.requests.append(url)
            f = Fetched(url)
            try:
                with self.opener.open(req, timeout=self.timeout) as resp:
                    body = resp.read(MAX_BYTES + 1)
                    f.status, f.final_url = resp.status, resp.geturl()
                    f.redirects = getattr(req, "chain", [])
                    ctype = resp.headers.get("Content-Type", "")
            except urllib.error.HTTPError as exc:
                f.status, f.final_url, f.error = exc.code, url, f"HTTP {exc.code}"
                return f
            except (urllib.error.URLError, OSError, ValueError) as exc:
                f.error = str(getattr(exc, "reason", exc))
                return f
            finally:
                self.last[host] = time.monotonic()
        if len(body) > MAX_BYTES:
            f.error = f"page larger than {MAX_BYTES} bytes"
            return f
        f.text = decode(body, ctype)
        return f

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self.robots:
            rp = urllib.robotparser.RobotFileParser()
            got = self._get(key + "/robots.txt")
            if got.status == 200 and got.text:
                rp.parse(got.text.splitlines())
                self.robots[key] = rp
            else:
                self.robots[key] = None
        rp = self.robots[key]
        return rp is None or rp.can_fetch(self.ua, url)

    def get(self, url: str) -> Fetched:
        with self.lock:
            if self.pages >= self.max_pages:
                return Fetched(url, error=f"page limit ({self.max_pages}) reached")
            self.pages += 1
        if not self.allowed(url):
            return Fetched(url, error="robots.txt disallows it")
        return self._get(url)


def decode(body: bytes, content_type: str = "") -> str:
    """Bytes of an HTML page as text: the charset of the header, else of a meta tag, else UTF-8, else GB18030."""
    names = []
    if (m := re.search(r"charset=([\w-]+)", content_type or "", re.I)):
        names.append(m.group(1))
    if (m := re.search(rb"charset=[\"']?([\w-]+)", body[:4096], re.I)):
        names.append(m.group(1).decode("ascii", "replace"))
    names += ["utf-8", "gb18030"]
    for name in names:
        name = {"gb2312": "gb18030", "gbk": "gb18030"}.get(name.lower(), name)
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def parse_html(text: str):
    import lxml.html
    try:
        return lxml.html.document_fromstring(text or "<html></html>")
    except Exception:  # noqa: BLE001 - lxml raises several types for junk
        return lxml.html.document_fromstring("<html></html>")


# ---- divisions -------------------------------------------------------------------------------------------

def division_of_code(code: str) -> str:
    """The 6-digit division of a 网站标识码 when it is one the dataset (or the province list) knows, else ''."""
    from harvester.divisions import _index
    if not re.fullmatch(r"\d{10}", code or ""):
        return ""
    d6 = code[:6]
    if d6[2:] == "0000" and d6[:2] in PROVINCES:
        return d6
    return d6 if d6 in _index().by_code else ""


def division_in_name(name: str, p2: str) -> str:
    """The code of the longest city or county name of province ``p2`` that the name contains ('' if none)."""
    from harvester.divisions import _index
    best = ("", "")
    for code, unit in _index().by_code.items():
        if not code.startswith(p2):
            continue
        for candidate in {unit.name, unit.short} - {""}:
            if len(candidate) >= 2 and candidate in name and len(candidate) > len(best[0]):
                best = (candidate, code)
    if not best[1]:
        full, short = PROVINCES.get(p2, ("", ""))
        if full and (full in name or short in name):
            return p2 + "0000"
    return best[1]


def division_names(code: str) -> tuple[str, str, str]:
    """(province, city, county) names of a 6-digit code."""
    from harvester.divisions import _index
    if not code or code[:2] not in PROVINCES:
        return "", "", ""
    province = PROVINCES[code[:2]][0]
    by_code = _index().by_code
    if code[2:] == "0000":
        return province, "", ""
    unit = by_code.get(code)
    if code[4:] == "00":
        return province, unit.name if unit else "", ""
    city = by_code.get(code[:4] + "00")
    return province, (city.name if city else unit.city_name if unit else ""), unit.name if unit else ""


def level_of(code: str) -> str:
    if not code:
        return ""
    if code[2:6] == "0000":
        return "province"
    if code[4:6] == "00":
        return "city"
    return "county"


def agency_type(name: str) -> str:
    name = re.sub(r"(门户)?网站$", "", name or "")
    if TOWNSHIP.search(name) and not GOVERNMENT.search(re.sub(r"[乡镇]人民政府$", "", name)):
        return "township"
    if ZONE.search(name):
        return "zone"
    if GOVERNMENT.search(name):
        return "government"
    return "department"


def _h6(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def norm_url(url: str) -> str:
    p = urlsplit(url)
    path = p.path or "/"
    return f"{p.netloc.lower()}{path}{'?' + p.query if p.query else ''}"


# ---- the discovery ---------------------------------------------------------------------------------------

@dataclass
class Candidate:
    url: str
    text: str
    section: str
    found_on: str
    parent: str          # site_id of the site whose page lists it
    kind: str            # site or column
    p2: str = ""         # the province of the seed whose subtree it is in ('' for a seed: its own page says)


@dataclass
class Result:
    rows: list[dict]                 # registry rows (source = discovered)
    refused: list[dict]              # candidates not accepted, each with its reason
    seeds: list[str]
    started_at: str
    pages: int = 0
    requests: list[str] = field(default_factory=list)
    fetcher: Fetcher | None = None

    def summary(self) -> dict:
        from collections import Counter
        return {"sites": sum(1 for r in self.rows if r["_kind"] == "site"),
                "columns": sum(1 for r in self.rows if r["_kind"] == "column"),
                "refused": dict(Counter(r["reason"].split(":")[0] for r in self.refused)),
                "pages": self.pages}


class Discovery:
    def __init__(self, fetcher: Fetcher, *, now: str | None = None, workers: int = 6, nav_pages: int = 8):
        self.f = fetcher
        self.now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        self.workers, self.nav_pages = workers, nav_pages
        self.rows: dict[str, dict] = {}            # normalised URL -> row
        self.by_id: dict[str, dict] = {}
        self.refused: list[dict] = []
        self.seen: set[tuple[str, str]] = set()     # (normalised URL, province of the subtree)
        self.lock = threading.Lock()

    # -- a site: verify, make its row, return its directory entries
    def _site(self, cand: Candidate, seed: bool = False) -> list[Candidate]:
        host = urlsplit(cand.url).hostname or ""
        if host_is_domain(host) and not host.endswith(".gov.cn"):
            return self._refuse(cand, f"off-government host: {host} is not under .gov.cn (not fetched)")
        got = self.f.get(cand.url)
        if got.error or not got.text:
            return self._refuse(cand, f"unreachable: {got.error or 'empty page'}", got)
        final = got.final_url or cand.url
        fhost = urlsplit(final).hostname or ""
        if host_is_domain(fhost) and not fhost.endswith(".gov.cn"):
            return self._refuse(cand, f"off-government host: redirected to {fhost}", got)
        doc = parse_html(got.text)
        ident = read_identity(doc)
        owner = f"{ident.host_org} {ident.copyright}"
        if COMPANY.search(owner):
            return self._refuse(cand, f"commercial site: 主办/版权 {owner.strip()!r}", got, ident)
        if ident.site_code_status != "ok":
            gov_named = [n for n in (ident.name, ident.host_org, cand.text) if n and GOV_NAME.search(
                re.sub(r"(门户)?网站$", "", n))]
            if not gov_named:
                return self._refuse(cand, f"unverified: 网站标识码 {ident.site_code_status} and no government name",
                                    got, ident)
        name = re.sub(r"(门户)?网站$", "", ident.name or cand.text)
        if ident.site_code_status == "ok" and ident.site_code[:2].lower() == "bm" and not seed:
            return self._refuse(cand, f"outside the province: a central department (网站标识码 {ident.site_code})",
                                got, ident)
        # the province is a property of each seed's subtree: a seed's own page names it, a site below a seed is
        # judged against that seed's province (handed down with the candidate)
        p2 = cand.p2 or (ident.site_code[:2] if ident.site_code_status == "ok" and ident.site_code[:2] in PROVINCES
                         else next((c for c, (full, short) in PROVINCES.items() if full in name or short in name), ""))
        code = division_of_code(ident.site_code) if ident.site_code_status == "ok" else ""
        how = "site_code" if code else ""
        if not code:
            code = division_in_name(name, p2) or division_in_name(cand.text, p2)
            how = "name" if code else ""
        if not code and cand.parent in self.by_id:
            code, how = self.by_id[cand.parent]["division_code"], "parent"
        if p2 and code and not code.startswith(p2):
            return self._refuse(cand, f"outside the province: division {code}", got, ident)
        if not code:
            return self._refuse(cand, "no division: neither the 网站标识码 nor the name names one", got, ident)
        sid = ident.site_code if ident.site_code_status == "ok" else f"{code}-{_h6(name)}"
        row = self._row(sid, name, code, final, cand, ident, kind="site", how=how, redirects=got.redirects)
        if row is None:
            return []
        return self._entries(row, doc, final)

    def _column(self, cand: Candidate) -> list[Candidate]:
        got = self.f.get(cand.url)
        if got.error or not got.text:
            return self._refuse(cand, f"unreachable: {got.error or 'empty page'}", got)
        doc = parse_html(got.text)
        ident = read_identity(doc)
        parent = self.by_id[cand.parent]
        name = cand.text or ident.h1
        if not re.search(r"[\u4e00-\u9fff]", name):
            return self._refuse(cand, "column without a name", got, ident)
        code = parent["division_code"]
        kind = agency_type(name)
        level = "township" if kind == "township" else parent["level"]
        sid = f"{parent['site_id']}-{_h6(name)}"
        self._row(sid, name, code, got.final_url or cand.url, cand, ident, kind="column", how="parent",
                  level=level, redirects=got.redirects)
        return []

    def _row(self, sid, name, code, url, cand, ident, *, kind, how, level=None, redirects=()) -> dict | None:
        province, city, county = division_names(code)
        kind_of_agency = agency_type(name)
        if kind_of_agency == "township":
            level = "township"          # a township's own portal: its division code is its county's
        key = norm_url(url)
        with self.lock:
            if key in self.rows or sid in self.by_id:
                return None       # the same site reached twice (a twin link or a redirect)
            row = {"site_id": sid, "name": name, "province": province, "city": city, "county": county,
                   "start_url": url, "platform": "",
                   # a column is on its site's platform: the footer's code is the site's (kept in the evidence)
                   "site_code": ident.site_code if ident.site_code_status == "ok" and kind == "site" else "",
                   "division_code": code, "level": level or level_of(code),
                   "agency_type": kind_of_agency, "icp": ident.icp, "parent_site": cand.parent,
                   "discovered_from": cand.found_on, "discovered_at": self.now, "source": "discovered",
                   "_kind": kind, "_evidence": {"link_text": cand.text, "section": cand.section,
                                                "linked_url": cand.url, "redirects": list(redirects),
                                                "identity": asdict(ident), "division_from": how}}
            self.rows[key] = row
            self.by_id[sid] = row
        return row

    def _refuse(self, cand: Candidate, reason: str, got: Fetched | None = None, ident: Identity | None = None):
        with self.lock:
            self.refused.append({"url": cand.url, "text": cand.text, "section": cand.section,
                                 "found_on": cand.found_on, "parent": cand.parent, "kind": cand.kind,
                                 "reason": reason, "final_url": got.final_url if got else "",
                                 "identity": asdict(ident) if ident else None})
        return []

    def _entries(self, row: dict, home, home_url: str) -> list[Candidate]:
        """The directory entries of a site: its home page's and those of its directory pages (same host, at
        most ``nav_pages``, two steps from the home page)."""
        host = urlsplit(home_url).netloc
        p2 = row["division_code"][:2]       # the province of the subtree, handed down to every entry
        out: list[Candidate] = []
        visited = {norm_url(home_url)}
        queue = [(home, home_url, 0)]
        while queue:
            doc, url, depth = queue.pop(0)
            for link in page_links(doc, url):
                lhost = urlsplit(link["url"]).netloc
                if is_directory(link["section"]):
                    kind = "column" if lhost == host else "site"
                    out.append(Candidate(link["url"], link["text"], link["section"], url, row["site_id"], kind, p2))
                elif (lhost == host and NAV_TEXT.match(link["text"]) and depth < 2
                      and norm_url(link["url"]) not in visited and len(visited) <= self.nav_pages):
                    visited.add(norm_url(link["url"]))
                    got = self.f.get(link["url"])
                    if not got.error and got.text:
                        queue.append((parse_html(got.text), got.final_url or link["url"], depth + 1))
        return out

    def run(self, seeds: list[str]) -> Result:
        frontier = [Candidate(s, "", "", "", "", "site") for s in seeds]
        first = True
        with ThreadPoolExecutor(self.workers) as pool:
            while frontier:
                todo = []
                for c in frontier:
                    # per subtree: a site refused as outside one seed's province may be another seed's
                    key = (norm_url(c.url), c.p2)
                    if key in self.seen or key[0] in self.rows:     # rows: already a site of some subtree
                        continue
                    self.seen.add(key)
                    todo.append(c)
                if first:          # the seeds first: each names its own province from its own page
                    nxt = [e for batch in pool.map(lambda c: self._site(c, seed=True), todo) for e in batch]
                    first = False
                else:
                    nxt = [e for batch in pool.map(lambda c: self._site(c) if c.kind == "site" else self._column(c),
                                                   todo) for e in batch]
                frontier = nxt
        rows = sorted(self.rows.values(), key=lambda r: (r["division_code"], r["_kind"] != "site", r["site_id"]))
        return Result(rows, self.refused, list(seeds), self.now, self.f.pages, list(self.f.requests))


def discover(seeds: list[str], *, user_agent: str, delay: float = 0.5, max_pages: int = 5000,
             now: str | None = None, workers: int = 6) -> Result:
    fetcher = Fetcher(user_agent, delay=delay, max_pages=max_pages)
    result = Discovery(fetcher, now=now, workers=workers).run(seeds)
    result.fetcher = fetcher
    return result
