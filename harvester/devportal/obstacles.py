"""One small TRS county site per obstacle, each with its fault switched on (`build_world(obstacles=True)`).

Every site has the usual home → 政府信息公开 → 政府信息公开年报 path and six reports (the county
government 2021–2024, one department 2023–2024) plus a news item. What a crawler should make of it:

| site       | fault                  | expected outcome                                                    |
|------------|------------------------|---------------------------------------------------------------------|
| jinhu      | robots_disallow        | robots_disallowed; nothing but /robots.txt fetched                  |
| lianshui   | challenge_412 (瑞数)   | blocked                                                             |
| xuyi       | challenge_521 (加速乐) | blocked                                                             |
| shuyang    | cookie_loop (302)      | blocked                                                             |
| siyang     | rate_limit_429         | ok, every report; no request inside a Retry-After window            |
| sihong     | unavailable_503        | ok, every report after the maintenance window                       |
| guannan    | gbk_lying_charset      | ok, titles and reports read correctly from GBK                      |
| guanyun    | soft_404 (+ dead link) | ok; the dead link's 200 页面不存在 page is not a report             |
| donghai    | moved_301              | ok, at the new address                                              |
| ganyu      | https_only             | ok over https (the registry says http)                              |
| lianyun    | tls_broken             | ok over http (the registry says https)                              |
| haizhou    | cross_site_links       | ok; nothing fetched from the outside server                         |
| xiangshui  | http_https_duplicates  | ok; two reports seen at http and https, stored once with both URLs  |

Walled sites (`walled`) publish reports nobody may fetch: they go to `World.unreachable`.
"""
from __future__ import annotations

import datetime as dt

from . import templates as T
from .builder import _Builder, _portal, _rel
from .model import NoiseItem


def _spec(site_id, name, city, county, domain, code, fault, *, walled=False, **extra):
    short = county
    return {"site_id": site_id, "name": name, "site_name": name, "province": "江苏省", "city": city,
            "county": county, "domain": domain, "site_code": code, "short": short, "icp": f"苏ICP备{code[-6:]}号",
            "start_path": "/", "xxgk": "/zfxxgk/", "ext": "html", "faults": {fault}, "walled": walled, **extra}


OBSTACLE_SITES = [
    _spec("jinhu", "金湖县人民政府", "淮安市", "金湖县", "www.jinhu.gov.cn", "3208310001", "robots_disallow", walled=True),
    _spec("lianshui", "涟水县人民政府", "淮安市", "涟水县", "www.lianshui.gov.cn", "3208260001", "challenge_412", walled=True),
    _spec("xuyi", "盱眙县人民政府", "淮安市", "盱眙县", "www.xuyi.gov.cn", "3208300001", "challenge_521", walled=True),
    _spec("shuyang", "沭阳县人民政府", "宿迁市", "沭阳县", "www.shuyang.gov.cn", "3213220001", "cookie_loop", walled=True),
    _spec("siyang", "泗阳县人民政府", "宿迁市", "泗阳县", "www.siyang.gov.cn", "3213230001", "rate_limit_429"),
    _spec("sihong", "泗洪县人民政府", "宿迁市", "泗洪县", "www.sihong.gov.cn", "3213240001", "unavailable_503"),
    _spec("guannan", "灌南县人民政府", "连云港市", "灌南县", "www.guannan.gov.cn", "3207240001", "gbk_lying_charset"),
    _spec("guanyun", "灌云县人民政府", "连云港市", "灌云县", "www.guanyun.gov.cn", "3207230001", "soft_404",
          dead_link=True),
    _spec("donghai", "东海县人民政府", "连云港市", "东海县", "www.donghai.gov.cn", "3207220001", "moved_301"),
    _spec("ganyu", "连云港市赣榆区人民政府", "连云港市", "赣榆区", "www.ganyu.gov.cn", "3207070001", "https_only"),
    _spec("lianyun", "连云港市连云区人民政府", "连云港市", "连云区", "www.lianyun.gov.cn", "3207030001", "tls_broken"),
    _spec("haizhou", "连云港市海州区人民政府", "连云港市", "海州区", "www.lyghz.gov.cn", "3207060001", "cross_site_links"),
    _spec("xiangshui", "响水县人民政府", "盐城市", "响水县", "www.xiangshui.gov.cn", "3209210001",
          "http_https_duplicates"),
]


def build_obstacle_site(b: _Builder) -> None:
    s, spec = b.site, b.spec
    s.faults |= set(spec["faults"])
    xxgk = spec["xxgk"]
    nb = f"{xxgk}zfxxgknb/"
    s.nb_dir, s.nb_path = nb, f"{nb}index.html"
    _portal(b, xxgk)
    crumbs = [("首页", "/"), ("政府信息公开", f"{xxgk}index.html"), ("政府信息公开年报", "")]
    col = b.column(nb, "政府信息公开年报", sig=1, per_page=4, style="li_span", layout="jiangsu", crumbs=crumbs)
    gov = spec["name"]
    types = {2021: "pdf", 2022: "html", 2023: "docx", 2024: "html"}
    for year in range(2021, 2025):
        b.publish(col, b.make(gov, spec["short"], "government", year), types[year])
    dept = f"{spec['short']}教育局"
    for year in (2023, 2024):
        b.publish(col, b.make(dept, dept, "department", year), "html" if year == 2023 else "pdf")
    b.noise_item(col, f"{spec['short']}召开2024年度政务公开工作推进会", dt.date(2024, 4, 9), "news", agency=gov)
    if spec.get("dead_link"):   # a report listed, its page deleted: the site answers with a soft 404
        title = f"{spec['short']}2020年政府信息公开工作年度报告"
        path = f"{nb}202103/t20210310_99999.html"
        col.entries.append(T.ListEntry(_rel(nb, path), title, "2021-03-10"))
        b.noise.append(NoiseItem(s.site_id, title, path, "dead_link"))
    b.finalize(col)
    if "http_https_duplicates" in s.faults:
        s.fault_targets["http_https_duplicates"] = [nb + x.href[2:] for x in col.entries[:2]]
