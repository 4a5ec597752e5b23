"""A simulated province, to discover from its home page alone: 宁夏回族自治区 with its real divisions.

    pw = province_world()                 # the sites, built deterministically
    running = start_province(pw)          # served on loopback (one 127.0.0.x per site)
    pw.truth(running)                     # ground truth: every site and column discovery must find
    pw.change(running)                    # the province changes: a site moves, a township is added, a column
                                          # goes, a site leaves its directory

What is there (names and codes from the division dataset, GB/T 2260):

- the province portal (``prov``, 网站标识码 6400000001): home page → 政府网站导航 page with a 市县政府网站
  section (the five city portals), a 网站群 section with the 12345 hotline on a commercial host (its page
  says 主办: a company, no 网站标识码) and a link to a commercial domain (``*.example.com``); an ad block
  (广告) and a 友情链接 block linking the ad server — neither is a directory;
- five city portals and the 22 county-level portals, each a variant site (``variants.py``: TRS, Hanweb,
  gkmlpt, legacy, scripted in turn, every open detail drawn) under its real name, publishing its
  government's, departments' and townships' reports; a city's home page has a 区县政府网站 section
  listing its counties;
- on each county portal a 信息公开目录 page with 部门信息公开目录 and 乡镇（街道）信息公开目录 sections: the
  departments' and townships' columns on the county platform, each listing that agency's reports;
- a development zone (银川经济技术开发区管理委员会) in 银川's directory: not a division, its code in the city's;
- footers with 网站标识码 (division code + 0001); two counties without one (blank) and one malformed
  (nine digits) — their division comes from their name; one county moved (the old address answers 301)
  and one dead (nothing listens).

``change`` makes, while served: county ``MOVE_LATER`` moves (301 to a new address, same 网站标识码), a
township column is added to county ``NEW_TOWN_IN``, a department column of county ``GONE_FROM`` is
removed (its page answers 404) and the development zone leaves 银川's directory (its site still answers).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import templates as T
from .faults import Request, Response
from .server import RunningWorld, start_world
from .variants import FAMILIES, variant_site
from .builder import _Builder, _static
from .model import ExpectedReport, HTML_UTF8, Resource, Site, World

e = T.e
PROVINCE, P2 = "宁夏回族自治区", "64"
MISSING_CODE = ("640105", "640402")      # counties whose footer has no 网站标识码
MALFORMED_CODE = ("640221",)             # a nine-digit 网站标识码
MOVED = "640302"                         # moved before the first discovery (its link answers 301)
DEAD = "640424"                          # linked from its city's directory, nothing listens
MOVE_LATER, NEW_TOWN_IN, GONE_FROM = "640521", "640122", "640181"
NEW_TOWN = "新城街道"
ZONE_NAME = "银川经济技术开发区管理委员会"


@dataclass
class ColumnSpec:
    name: str
    path: str
    kind: str            # department / township
    reports: list = field(default_factory=list)    # ExpectedReport of the agency


@dataclass
class ProvinceWorld(World):
    units: dict = field(default_factory=dict)       # site_id -> (code, name, level, city code)
    columns: dict = field(default_factory=dict)     # county site_id -> [ColumnSpec]
    offgov: list = field(default_factory=list)      # site ids of the off-government servers
    changes: dict = field(default_factory=dict)     # what change() did

    def truth(self, running: RunningWorld) -> list[dict]:
        """Every site and column a complete discovery finds: {url, name, kind, division_code, site_code}."""
        out = []
        left = {self.changes["left"][0]} if self.changes.get("left") else set()
        for sid, (code, name, level, _) in self.units.items():
            if code == DEAD or sid in left:
                continue
            base = running.served[sid]
            site = self.site(sid)
            out.append({"url": base + "/", "name": name, "kind": "site", "division_code": code,
                        "site_code": site.site_code if len(site.site_code) == 10 else "", "site_id": sid,
                        "agency_type": "zone" if sid == "nxzone" else "government", "level": level})
            for c in self.columns.get(sid, []):
                out.append({"url": base + c.path, "name": c.name, "kind": "column", "division_code": code,
                            "site_code": "", "site_id": sid, "agency_type": c.kind})
        return out

    def live_reports(self) -> list[ExpectedReport]:
        dead = {sid for sid, u in self.units.items() if u[0] == DEAD}
        return [r for r in self.reports if r.site_id not in dead]

    def change(self, running: RunningWorld) -> dict:
        """The province changes overnight (see the module docstring); returns what changed."""
        moved = _sid(MOVE_LATER)
        running.set_fault(moved, "moved_301")
        town_site = self.site(_sid(NEW_TOWN_IN))
        town = ColumnSpec(f"{self.units[town_site.site_id][1].removesuffix('人民政府')}{NEW_TOWN}办事处",
                          "/xxgkml/xz/new/index.html", "township")
        _column_page(town_site, town)
        self.columns[town_site.site_id].append(town)
        gone_site = self.site(_sid(GONE_FROM))
        gone = next(c for c in self.columns[gone_site.site_id] if c.kind == "department")
        self.columns[gone_site.site_id].remove(gone)
        gone_site.resources.pop(gone.path, None)
        # a whole site leaves its directory: the zone is no longer listed by its city (its own site still answers)
        self._links["nx640100"].remove((ZONE_NAME, "nxzone"))
        self.changes = {"moved": moved, "new": (town_site.site_id, town.name), "gone": (gone_site.site_id, gone.name),
                        "left": ("nxzone", ZONE_NAME)}
        return self.changes


def _sid(code: str) -> str:
    return f"nx{code}"


def _county_units() -> list[tuple[str, str, str]]:
    """(code, name, city code) of the province's county-level units and (code, name, '') of its cities."""
    from harvester.divisions import _index
    units = sorted((c, u.name, u.city_code) for c, u in _index().by_code.items() if c.startswith(P2))
    return units


def _choose_seed(family: str, start: int) -> int:
    """The first seed from ``start`` whose variant publishes and needs no browser."""
    seed = start
    while True:
        vs = variant_site(family, seed)
        if vs.expect == "ok" and not vs.needs_browser:
            return seed
        seed += 1


def _dynamic(site: Site, path: str, encoding: str, extra) -> None:
    """Serve ``path`` with the HTML ``extra()`` gives inserted before ``</body>`` at each request (links to other
    sites, whose addresses are known once they are served)."""
    res = site.resources[path]
    body = res.data()

    def handler(req: Request) -> Response:
        add = extra().encode("utf-8" if encoding == "utf-8" else "gbk", errors="xmlcharrefreplace")
        i = body.rfind(b"</body>")
        new = body[:i] + add + body[i:] if i >= 0 else body + add
        return Response(200, {"Content-Type": res.content_type}, new, res.role)
    site.resources[path] = Resource(res.content_type, role=res.role, handler=handler)


def _section(title: str, links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{e(u)}" target="_blank">{e(t)}</a></li>' for t, u in links)
    return f'<div class="dir-section"><h3>{e(title)}</h3><ul>{items}</ul></div>'


def _column_page(site: Site, c: ColumnSpec) -> None:
    entries = "".join(f'<li><a href="{e(r.page_url)}" title="{e(r.title)}">{e(r.title)}</a><span>{r.publish_date}</span></li>'
                      for r in sorted(c.reports, key=lambda r: r.publish_date, reverse=True))
    crumbs = T.breadcrumb([("首页", "/"), ("信息公开目录", "/xxgkml/index.html"), (c.name, "")])
    body = f'{crumbs}<h1>{e(c.name)}</h1><div class="list"><ul>{entries}</ul></div>'
    site.add(c.path, Resource(HTML_UTF8, T.frame(site, f"{c.name}_{site.site_name}", body).encode("utf-8")))


def _plain_site(index: int, site_id: str, name: str, code: str, icp: str, owner: str = "") -> _Builder:
    spec = {"site_id": site_id, "name": name, "site_name": name, "province": PROVINCE, "city": "", "county": "",
            "domain": f"{site_id}.sim", "site_code": code, "short": name, "icp": icp, "start_path": "/"}
    b = _Builder(0, spec, index)
    _static(b)
    return b


def province_world() -> ProvinceWorld:
    units = _county_units()
    cities = [(c, n) for c, n, cc in units if c[4:] == "00"]
    counties = [(c, n, cc) for c, n, cc in units if c[4:] != "00"]
    sites: list[Site] = []
    reports: list[ExpectedReport] = []
    noise: list = []
    info: dict = {}
    columns: dict = {}
    links: dict[str, list] = {}            # site_id -> [(text, site_id)] of its directory
    prov = _plain_site(0, "nxprov", f"{PROVINCE}人民政府", f"{P2}00000001", "宁ICP备05001318号")
    sites.append(prov.site)
    info["nxprov"] = (f"{P2}0000", f"{PROVINCE}人民政府", "province", "")
    index = 1
    seeds = {f: 0 for f in FAMILIES}
    encodings: dict[str, str] = {}
    for k, (code, name, city_code) in enumerate([(c, n, "") for c, n in cities] + counties):
        family = FAMILIES[k % len(FAMILIES)]
        seed = _choose_seed(family, seeds[family])
        seeds[family] = seed + 1
        sid = _sid(code)
        site_code = ("" if code in MISSING_CODE else f"{code}001" if code in MALFORMED_CODE else f"{code}0001")
        gov = f"{name}人民政府"
        city = name if not city_code else next(n for c, n in cities if c == city_code)
        vs = variant_site(family, seed, index, identity={
            "site_id": sid, "name": gov, "site_name": gov, "province": PROVINCE, "city": city,
            "county": "" if not city_code else name, "short": name, "site_code": site_code,
            "icp": f"宁ICP备{code}号", "domain": f"www.{sid}.gov.cn"})
        index += 1
        s = vs.site
        sites.append(s)
        encodings[sid] = vs.draw["encoding"]
        info[sid] = (code, gov, "city" if not city_code else "county", city_code)
        links.setdefault(_sid(city_code) if city_code else "nxprov", []).append((gov, sid))
        if code == DEAD:
            s.faults.add("down")
            continue
        if code == MOVED:
            s.faults.add("moved_301")
        reports += vs.reports
        noise += vs.noise
        if city_code:
            cols = _county_columns(s, vs.reports, name)
            columns[sid] = cols
    # a development zone under the capital: not a GB/T 2260 division, its 网站标识码 in the city's range
    zone = _plain_site(index, "nxzone", ZONE_NAME, "6401000002", "宁ICP备640100号-2")
    zone.site.nav = [("首页", "/")]
    zone.site.add("/", Resource(HTML_UTF8, T.frame(zone.site, ZONE_NAME, f"<h1>{e(ZONE_NAME)}</h1><p>园区动态</p>")
                                .encode("utf-8"), role="home"))
    sites.append(zone.site)
    info["nxzone"] = ("640100", ZONE_NAME, "city", "")
    links["nx640100"].append((ZONE_NAME, "nxzone"))
    index += 1
    pw = ProvinceWorld(0, sites, reports, noise, units=info, columns=columns)
    # off-government servers: a commercial 12345 hotline, an advertiser
    hot = _plain_site(index, "offgov-12345", "12345政务服务便民热线", "", "宁ICP备19000001号-1")
    hot.site.site_name = "12345政务服务便民热线"
    hot.site.add("/", Resource(HTML_UTF8, (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>12345政务服务便民热线</title></head><body>'
        '<h1>12345政务服务便民热线</h1><p>在线咨询 投诉建议</p><a href="/more/">更多</a>'
        '<div class="footer"><p>主办单位：银川某某网络科技有限公司</p><p>宁ICP备19000001号-1</p></div>'
        '</body></html>').encode("utf-8"), role="home"))
    ad = _plain_site(index + 1, "offgov-ad", "广告", "", "京ICP备20000002号")
    ad.site.add("/", Resource(HTML_UTF8, ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>优惠活动</title>'
                                          '</head><body><h1>某某科技有限公司</h1><p>版权所有：某某科技有限公司</p>'
                                          '</body></html>').encode("utf-8"), role="home"))
    pw.sites += [hot.site, ad.site]
    pw.offgov = [hot.site.site_id, ad.site.site_id]
    pw._links, pw._encodings = links, encodings
    _province_pages(pw, prov)
    return pw


def _county_columns(s: Site, reports: list[ExpectedReport], county: str) -> list[ColumnSpec]:
    """The departments' and townships' columns of a county portal: one per agency publishing there (and a
    township column without reports when none publishes)."""
    by_agency: dict[str, ColumnSpec] = {}
    for r in reports:
        if r.kind in ("department", "township"):
            c = by_agency.setdefault(r.agency, ColumnSpec(r.agency, "", r.kind))
            c.reports.append(r)
    cols = sorted(by_agency.values(), key=lambda c: (c.kind, c.name))
    if not any(c.kind == "township" for c in cols):
        cols.append(ColumnSpec(f"{county}城关镇人民政府", "", "township"))
    for i, c in enumerate(cols):
        c.path = f"/xxgkml/{'bm' if c.kind == 'department' else 'xz'}/{i + 1:02d}/index.html"
        _column_page(s, c)
    return cols


def _province_pages(pw: ProvinceWorld, prov: _Builder) -> None:
    s = prov.site
    s.nav = [("首页", "/"), ("政府网站导航", "/zfwzdh/index.html")]
    home = (f'<div class="banner"><h1>{e(s.site_name)}</h1></div>'
            '<div class="news"><h3>要闻动态</h3><ul><li><a href="/xwdt/1.html">自治区召开常务会议</a></li></ul></div>'
            '<div class="gg"><h3>广告</h3><a href="@@ad@@/"><img src="/images/logo.png" alt="优惠"></a></div>'
            '<div class="yqlj"><h3>友情链接</h3><ul><li><a href="@@ad@@/promo">合作伙伴</a></li></ul></div>')
    s.add("/", Resource(HTML_UTF8, T.frame(s, s.site_name, home).encode("utf-8"), role="home"))
    s.add("/xwdt/1.html", Resource(HTML_UTF8, T.frame(s, "自治区召开常务会议", "<p>会议。</p>").encode("utf-8")))
    s.add("/zfwzdh/index.html", Resource(HTML_UTF8, T.frame(s, "政府网站导航", "<h2>政府网站导航</h2>").encode("utf-8")))
    pw._running = None

    def addr(sid: str) -> str:
        return pw._running.sites[sid] if pw._running else ""

    def fill(html: str) -> str:
        return html.replace("@@ad@@", addr("offgov-ad"))

    home_res = s.resources["/"]
    home_body = home_res.data()
    s.resources["/"] = Resource(HTML_UTF8, role="home", handler=lambda req: Response(
        200, {"Content-Type": HTML_UTF8}, fill(home_body.decode("utf-8")).encode("utf-8"), "home"))
    _dynamic(s, "/zfwzdh/index.html", "utf-8", lambda: _section(
        "市县政府网站", [(t, addr(sid) + "/") for t, sid in pw._links["nxprov"]]) + _section(
        "政府网站群", [("12345政务服务便民热线", addr("offgov-12345") + "/"),
                   ("政务服务网（商业托管）", "https://nx12345.example.com/")]))
    for sid, entries in pw._links.items():
        if sid == "nxprov":
            continue
        _dynamic(pw.site(sid), "/", pw._encodings[sid], lambda entries=entries: _section(
            "区县政府网站", [(t, addr(x) + "/") for t, x in entries]))
    for sid, cols in pw.columns.items():
        site = pw.site(sid)
        site.add("/xxgkml/index.html", Resource(HTML_UTF8, T.frame(site, f"信息公开目录_{site.site_name}",
                                                                     "<h2>信息公开目录</h2>").encode("utf-8")))

        def menu(sid=sid):
            cols = pw.columns[sid]
            return (_section("部门信息公开目录", [(c.name, c.path) for c in cols if c.kind == "department"])
                    + _section("乡镇（街道）信息公开目录", [(c.name, c.path) for c in cols if c.kind == "township"]))
        _dynamic(site, "/xxgkml/index.html", "utf-8", menu)
        enc = pw._encodings[sid]
        home = site.resources["/"]
        if home.handler is None:
            body = home.data()
            add = '<div class="gkml"><a href="/xxgkml/index.html">信息公开目录</a></div>'.encode(
                "utf-8" if enc == "utf-8" else "gbk")
            i = body.rfind(b"</body>")
            home.body = body[:i] + add + body[i:]


def start_province(pw: ProvinceWorld, *, host_base: str = "127.0.0.2", port: int = 0) -> RunningWorld:
    running = start_world(pw, host_base=host_base, port=port)
    pw._running = running
    return running


def seed_url(running: RunningWorld) -> str:
    return running.sites["nxprov"] + "/"
