"""The rules that keep discovery on government sites, against real loopback servers: a page is a site only on
its own evidence (网站标识码, government name, no company), inside the seed's province; robots.txt is obeyed;
links outside directory sections are never asked for."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harvester.discovery.discover import Discovery, Fetcher

FOOT = '<div class="footer"><p>{owner}</p><p>{code}　<a href="https://beian.miit.gov.cn/">{icp}</a></p></div>'


def page(title, body, owner="", code="", icp=""):
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}'
            + FOOT.format(owner=owner, code=code, icp=icp) + "</body></html>")


class Host:
    def __init__(self, ip):
        self.pages, self.log = {}, []
        host = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                host.log.append(self.path)
                body = host.pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8" if self.path != "/robots.txt"
                                 else "text/plain")
                data = (body or "<h1>404</h1>").encode("utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer((ip, 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.base = f"http://{ip}:{self.srv.server_address[1]}"

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def hosts():
    made = {k: Host(f"127.0.0.{150 + i}") for i, k in enumerate(
        ("seed", "icp_only", "no_code", "other_province", "robots", "dead", "friend", "malformed_company", "central"))}
    yield made
    for h in made.values():
        h.stop()


def test_what_is_accepted_and_what_is_refused(hosts):
    h = hosts
    h["icp_only"].pages["/"] = page("某某信息港", "<h1>某某信息港</h1>", icp="宁ICP备12345678号")
    h["no_code"].pages["/"] = page("永宁县人民政府", "<h1>永宁县人民政府</h1>", owner="主办单位：永宁县人民政府办公室",
                                   code="网站标识码：", icp="宁ICP备1号")
    h["other_province"].pages["/"] = page("南京市人民政府", "<h1>南京市人民政府</h1>", code="网站标识码：3201000001")
    h["robots"].pages["/robots.txt"] = "User-agent: *\nDisallow: /\n"
    h["robots"].pages["/"] = page("贺兰县人民政府", "", code="网站标识码：6401220001")
    h["friend"].pages["/"] = page("朋友", "")
    h["malformed_company"].pages["/"] = page("灵武市政务服务", "", owner="主办单位：灵武某某科技有限公司",
                                             code="网站标识码：64018100")
    h["central"].pages["/"] = page("中华人民共和国教育部", "", code="网站标识码：bm05000001")
    dead = h["dead"].base
    h["dead"].stop()
    entries = "".join(f'<li><a href="{h[k].base}/">{k}</a></li>' for k in
                      ("icp_only", "no_code", "other_province", "robots", "malformed_company", "central")) \
        + f'<li><a href="{dead}/">dead</a></li><li><a href="https://shop.example.com/">商城</a></li>'
    h["seed"].pages["/"] = page("宁夏回族自治区人民政府", (
        f'<div><h3>市县政府网站</h3><ul>{entries}</ul></div>'
        f'<div><h3>友情链接</h3><ul><li><a href="{h["friend"].base}/">朋友</a></li></ul></div>'
        f'<p>正文 <a href="{h["friend"].base}/news">新闻</a></p>'), code="网站标识码：6400000001")
    d = Discovery(Fetcher("test-agent", delay=0))
    result = d.run([h["seed"].base + "/"])
    accepted = {r["start_url"]: r for r in result.rows}
    assert set(accepted) == {h["seed"].base + "/", h["no_code"].base + "/"}
    yn = accepted[h["no_code"].base + "/"]
    assert (yn["division_code"], yn["site_code"], yn["level"], yn["agency_type"]) == ("640121", "", "county",
                                                                                      "government")
    assert yn["_evidence"]["division_from"] == "name" and yn["parent_site"] == "6400000001"
    reasons = {r["url"]: r["reason"] for r in result.refused}
    assert reasons[h["icp_only"].base + "/"].startswith("unverified: 网站标识码 missing and no government name")
    assert reasons[h["other_province"].base + "/"] == "outside the province: division 320100"
    assert reasons[h["robots"].base + "/"] == "unreachable: robots.txt disallows it"
    assert reasons[h["malformed_company"].base + "/"].startswith("commercial site")
    assert reasons[dead + "/"].startswith("unreachable: ")
    assert reasons[h["central"].base + "/"].startswith("outside the province: a central department")
    assert reasons["https://shop.example.com/"].endswith("(not fetched)")
    assert h["friend"].log == []                                # 友情链接 and body links: never asked
    assert h["robots"].log == ["/robots.txt"]


@pytest.fixture
def two_provinces():
    made = {k: Host(f"127.0.0.{170 + i}") for i, k in enumerate(("nx", "js", "helan", "huaian", "nanjing"))}
    yield made
    for h in made.values():
        h.stop()


def test_each_seed_is_the_province_of_its_own_subtree(two_provinces):
    """Two seeds of two provinces (the province portals of data/registry.csv): each seed's sites are judged
    against its own province — the second seed's are not refused as outside the first's, and a site of the
    other province listed in a seed's directory is still refused there."""
    h = two_provinces
    h["helan"].pages["/"] = page("贺兰县人民政府", "<h1>贺兰县人民政府</h1>", code="网站标识码：6401220001")
    h["huaian"].pages["/"] = page("淮安市人民政府", "<h1>淮安市人民政府</h1>", code="网站标识码：3208000001")
    h["nanjing"].pages["/"] = page("南京市人民政府", "<h1>南京市人民政府</h1>", code="网站标识码：3201000001")
    h["nx"].pages["/"] = page("宁夏回族自治区人民政府", (
        f'<div><h3>市县政府网站</h3><ul><li><a href="{h["helan"].base}/">贺兰县</a></li>'
        f'<li><a href="{h["nanjing"].base}/">南京市</a></li></ul></div>'), code="网站标识码：6400000001")
    h["js"].pages["/"] = page("江苏省人民政府", (
        f'<div><h3>市县政府网站</h3><ul><li><a href="{h["huaian"].base}/">淮安市</a></li></ul></div>'),
        code="网站标识码：3200000001")
    result = Discovery(Fetcher("test-agent", delay=0)).run([h["nx"].base + "/", h["js"].base + "/"])
    got = {r["site_id"]: r for r in result.rows}
    assert set(got) == {"6400000001", "6401220001", "3200000001", "3208000001"}, result.refused
    assert got["3208000001"]["parent_site"] == "3200000001" and got["3208000001"]["division_code"] == "320800"
    assert got["3208000001"]["province"] == "江苏省" and got["6401220001"]["province"] == "宁夏回族自治区"
    reasons = {r["url"]: r["reason"] for r in result.refused}
    assert reasons == {h["nanjing"].base + "/": "outside the province: division 320100"}
