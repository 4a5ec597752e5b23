"""One site per obstacle (`build_world(obstacles=True)`), each fault checked on the wire."""
from __future__ import annotations

import http.client
import re
import ssl
import time
from urllib.parse import urlsplit

import pytest

from harvester.devportal import build_world, start_world
from harvester.devportal.faults import FAULTS
from harvester.devportal.obstacles import OBSTACLE_SITES
from harvester.crawl.obstacles import challenge_reason, soft_404_reason

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def raw(url: str, headers: dict | None = None, method: str = "GET"):
    """(status, headers as a list of pairs, body) without following redirects."""
    u = urlsplit(url)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    kw = {"context": _TLS} if u.scheme == "https" else {}
    conn = cls(u.hostname, u.port, timeout=10, **kw)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def header(pairs, name):
    return [v for k, v in pairs if k.lower() == name.lower()]


@pytest.fixture(scope="module")
def world_up():
    w = build_world(obstacles=True)
    r = start_world(w, host_base="127.0.1.2")
    try:
        yield r
    finally:
        r.stop()


def test_every_obstacle_has_a_site_and_a_fault():
    faults = {f for spec in OBSTACLE_SITES for f in spec["faults"]}
    assert faults <= set(FAULTS)
    for name in ("robots_disallow", "challenge_412", "challenge_521", "cookie_loop", "rate_limit_429",
                 "unavailable_503", "gbk_lying_charset", "soft_404", "moved_301", "https_only", "tls_broken",
                 "cross_site_links", "http_https_duplicates", "layout_changed"):
        assert name in FAULTS and FAULTS[name].__doc__, name
    w = build_world(obstacles=True)
    walled = {spec["site_id"] for spec in OBSTACLE_SITES if spec["walled"]}
    assert {r.site_id for r in w.unreachable} == walled
    assert not {r.site_id for r in w.reports} & walled
    assert build_world().site("hongze").faults == set()            # the default world is well-behaved
    assert "jinhu" not in {s.site_id for s in build_world().sites}


def test_robots_disallow(world_up):
    status, _, body = raw(world_up.url("jinhu", "/robots.txt"))
    assert status == 200 and body == b"User-agent: *\nDisallow: /\n"
    assert raw(world_up.url("jinhu", "/"))[0] == 200                 # the pages are there, we may not take them


def test_challenge_412_and_521_are_recognised_and_stay_challenges(world_up):
    status, hdrs, body = raw(world_up.url("lianshui", "/"))
    assert status == 412 and b"$_ts" in body and header(hdrs, "Set-Cookie")
    cookie = header(hdrs, "Set-Cookie")[0].split(";")[0]
    again = raw(world_up.url("lianshui", "/"), {"Cookie": cookie})
    assert again[0] == 412
    assert "瑞数" in challenge_reason(status, {"set-cookie": header(hdrs, "Set-Cookie")}, body)
    assert raw(world_up.url("lianshui", "/robots.txt"))[0] == 200

    status, hdrs, body = raw(world_up.url("xuyi", "/zfxxgk/index.html"))
    assert status == 521 and header(hdrs, "Set-Cookie")[0].startswith("__jsluid_h=")
    assert "加速乐" in challenge_reason(status, {"set-cookie": header(hdrs, "Set-Cookie")}, body)
    cookie = header(hdrs, "Set-Cookie")[0].split(";")[0]
    status2, hdrs2, body2 = raw(world_up.url("xuyi", "/zfxxgk/index.html"), {"Cookie": cookie})
    assert status2 == 521 and b"__jsl_clearance" in body2                 # second stage: needs the script
    assert "加速乐" in challenge_reason(status2, {"set-cookie": header(hdrs2, "Set-Cookie")}, body2)


def test_cookie_loop_redirects_to_itself_even_with_the_cookie(world_up):
    status, hdrs, _ = raw(world_up.url("shuyang", "/zfxxgk/index.html?a=1"))
    assert status == 302 and header(hdrs, "Location") == ["/zfxxgk/index.html?a=1"]
    cookie = header(hdrs, "Set-Cookie")[0].split(";")[0]
    status, hdrs2, _ = raw(world_up.url("shuyang", "/zfxxgk/index.html?a=1"), {"Cookie": cookie})
    assert status == 302 and header(hdrs2, "Location") == ["/zfxxgk/index.html?a=1"]
    assert header(hdrs2, "Set-Cookie")[0] != header(hdrs, "Set-Cookie")[0]


def test_rate_limit_429_with_retry_after(world_up):
    url = world_up.url("siyang", "/zfxxgk/index.html")
    statuses = [raw(url)[0] for _ in range(12)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    st, hdrs, _ = raw(url)
    assert st == 429 and header(hdrs, "Retry-After") in (["1"], ["2"])
    time.sleep(2.1)
    assert raw(url)[0] == 200


def test_unavailable_503_is_a_maintenance_window(world_up):
    url = world_up.url("sihong", "/")
    st, hdrs, body = raw(url)
    assert st == 503 and header(hdrs, "Retry-After") == ["1"] and "系统维护中".encode() in body
    assert raw(world_up.url("sihong", "/robots.txt"))[0] == 200
    time.sleep(1.6)
    assert raw(url)[0] == 200


def test_gbk_with_a_lying_charset(world_up):
    st, hdrs, body = raw(world_up.url("guannan", "/zfxxgk/zfxxgknb/index.html"))
    assert header(hdrs, "Content-Type") == ["text/html; charset=utf-8"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert 'charset=gb2312' in text and "政府信息公开年报" in text
    detail = next(r for r in world_up.world.reports if r.site_id == "guannan")
    st, hdrs, body = raw(world_up.url("guannan", detail.page_url))
    assert b"charset" not in body[:300] and detail.title in body.decode("gbk")


def test_soft_404_and_the_dead_link(world_up):
    st, hdrs, body = raw(world_up.url("guanyun", "/no/such/page.html"))
    assert st == 200 and "页面不存在".encode() in body
    title = re.search(r"<title>(.*?)</title>", body.decode()).group(1)
    assert soft_404_reason(st, title, "抱歉，您访问的页面不存在或已被删除！")
    dead = next(n for n in world_up.world.noise if n.site_id == "guanyun" and n.reason == "dead_link")
    listing = "".join(raw(world_up.url("guanyun", f"/zfxxgk/zfxxgknb/{p}"))[2].decode()
                      for p in ("index.html", "index_1.html"))
    assert dead.title in listing
    assert raw(world_up.url("guanyun", dead.page_url))[0] == 200       # answered, but not a page


def test_moved_301_to_a_new_address(world_up):
    old, new = world_up.sites["donghai"], world_up.served["donghai"]
    assert old != new and urlsplit(old).hostname != urlsplit(new).hostname
    st, hdrs, _ = raw(old + "/zfxxgk/index.html?x=1")
    assert st == 301 and header(hdrs, "Location") == [new + "/zfxxgk/index.html?x=1"]
    assert raw(new + "/zfxxgk/index.html")[0] == 200
    assert all(r.page_url.startswith(new) for r in world_up.expected_reports() if r.site_id == "donghai")


def test_https_only_and_tls_broken(world_up):
    assert world_up.sites["ganyu"].startswith("http://") and world_up.served["ganyu"].startswith("https://")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, OSError)):
        raw(world_up.sites["ganyu"] + "/")
    assert raw(world_up.served["ganyu"] + "/")[0] == 200
    assert world_up.sites["lianyun"].startswith("https://") and world_up.served["lianyun"].startswith("http://")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        raw(world_up.sites["lianyun"] + "/")
    assert raw(world_up.served["lianyun"] + "/")[0] == 200
    # every other site answers both schemes on its one port
    assert raw(world_up.sites["hongze"].replace("http://", "https://") + "/")[0] == 200


def test_cross_site_and_protocol_relative_links(world_up):
    body = raw(world_up.url("haizhou", "/zfxxgk/zfxxgknb/index.html"))[2].decode()
    assert world_up.outsider and f'href="{world_up.outsider}/art/' in body
    host = world_up.sites["haizhou"].split("//")[1]
    assert f'href="//{host}/zfxxgk/zfxxgknb/' in body
    before = len([r for r in world_up.request_log if r.site_id == "+outside"])
    assert raw(world_up.outsider + "/x")[0] == 200
    assert len([r for r in world_up.request_log if r.site_id == "+outside"]) == before + 1


def test_http_https_duplicates(world_up):
    body = raw(world_up.url("xiangshui", "/zfxxgk/zfxxgknb/index.html"))[2].decode()
    targets = world_up.world.site("xiangshui").fault_targets["http_https_duplicates"]
    tls = world_up.sites["xiangshui"].replace("http://", "https://")
    for path in targets:
        assert f'href="{tls}{path}"' in body and f'href="./{path.rsplit("/zfxxgknb/", 1)[1]}"' in body
        assert raw(tls + path)[0] == 200
    exp = {r.page_url: r for r in world_up.expected_reports() if r.site_id == "xiangshui"}
    for path in targets:
        assert tls + path in exp[world_up.sites["xiangshui"] + path].also_at


def test_layout_changed_hides_the_list_links(world_up):
    url = world_up.url("guanyun", "/zfxxgk/zfxxgknb/index.html")
    assert re.search(r'<a href="\./\d{6}/t', raw(url)[2].decode())
    world_up.set_fault("guanyun", "layout_changed")
    try:
        text = raw(url)[2].decode()
        # the items are still listed, but no page carries their URLs (not even in a data attribute)
        assert not re.search(r'\./\d{6}/t\d{8}_', text) and re.search(r'<a title="[^"]*年度报告"', text)
    finally:
        world_up.set_fault("guanyun", "layout_changed", on=False)
