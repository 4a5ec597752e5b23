"""The world served on loopback: real HTTP, pagination, documents, quirks, faults, registry."""
from __future__ import annotations

import csv
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from devportal_helpers import crawl_site, decode, fetch, pagination_urls

from harvester.devportal import build_world, start_world, write_registry
from harvester.devportal.templates import page_filename
from harvester.devportal.world import CORPUS


def test_each_site_on_its_own_loopback_address(running):
    hosts = {sid: url.split("//")[1].split(":")[0] for sid, url in running.sites.items()}
    assert hosts == {"hongze": "127.0.0.2", "pingtan": "127.0.0.3", "huaian": "127.0.0.4", "deqing": "127.0.0.5",
                     "nanhai": "127.0.0.6", "anhua": "127.0.0.7", "wuhou": "127.0.0.8"}
    for sid in running.sites:
        status, headers, body = fetch(running.start_url(sid))
        assert status == 200 and headers["content-type"].startswith("text/html")
        text = decode(headers, body)
        if running.world.site(sid).platform != "":     # the unknown CMS has no standard meta tags
            assert '<meta name="SiteName"' in text
        assert "政府信息公开" in text or "政务公开" in text
        status, headers, body = fetch(running.url(sid, "/robots.txt"))
        assert status == 200 and b"Allow: /" in body and b"Disallow: /\n" not in body
    status, _, _ = fetch(running.url("hongze", "/no/such/page.html"))
    assert status == 404


def test_disclosure_portal_children(running):
    _, _, body = fetch(running.url("hongze", "/"))
    assert '<a href="/zfxxgk/index.html">政府信息公开</a>' in body.decode()
    _, _, body = fetch(running.url("hongze", "/zfxxgk/index.html"))
    for child in ("zfxxgkzn", "zfxxgkzd", "fdzdgknr", "zfxxgknb", "ysqgk"):
        assert f"/zfxxgk/{child}/index.html" in body.decode()
        assert fetch(running.url("hongze", f"/zfxxgk/{child}/index.html"))[0] == 200


def test_pagination_pages_and_signatures(running):
    world = running.world
    checked = set()
    for site in world.sites:
        for col in site.columns.values():
            pages = max(1, -(-len(col.entries) // col.per_page))
            for k in range(pages):
                url = running.url(site.site_id, col.dir + page_filename(col.sig, k, col.page_name, col.ext))
                status, headers, body = fetch(url)
                assert status == 200, url
                text = decode(headers, body)
                if col.sig == 1:
                    assert f'createPageHTML({pages}, {k}, "{col.page_name}", "{col.ext}");' in text
                elif col.sig == 2:
                    assert f"var currentPage = {k};" in text and f"var countPage = {pages}//" in text
                elif col.sig == 3:
                    assert (f"createPageHTML('page_div',{pages}, {k + 1},'{col.page_name}','{col.ext}',"
                            f"{len(col.entries)});") in text
                elif col.sig == 4:
                    assert f'createPageHTML({len(col.entries)}, {pages}, {k}, "{col.page_name}", "{col.ext}");' in text
                assert [u.rsplit("/", 1)[1] for u in pagination_urls(text, url)] == (
                    [page_filename(col.sig, i, col.page_name, col.ext) for i in range(pages)] if pages > 1 or col.sig != 2
                    else [f"{col.page_name}.{col.ext}"])
                checked.add(col.sig)
            beyond = running.url(site.site_id, col.dir + page_filename(col.sig, pages, col.page_name, col.ext))
            status, _, body = fetch(beyond)
            if col.stub:
                assert status == 200 and 250 <= len(body) <= 400 and b"<li" not in body
            else:
                assert status == 404
    assert checked == {1, 2, 3, 4}
    nb = world.site("hongze").columns["/zfxxgk/zfxxgknb/"]
    assert -(-len(nb.entries) // nb.per_page) >= 3          # several pages
    assert world.site("hongze").columns["/zfxxgk/zfxxgknb/bmnb/"].page_name == "fg"


def test_every_expected_report_is_served_with_the_right_bytes(running):
    world = running.world
    for exp in running.expected_reports():
        site = world.site(exp.site_id)
        status, headers, page = fetch(exp.page_url)
        assert status == 200, exp.page_url
        assert exp.title in decode(headers, page)
        status, headers, doc = fetch(exp.document_url)
        assert status == 200, exp.document_url
        path = exp.document_url.split(":", 2)[2].split("/", 1)[1]
        assert doc == site.lookup("/" + path).data()
        if exp.doc_type == "pdf":
            assert doc.startswith(b"%PDF")
        elif exp.doc_type == "docx":
            assert doc.startswith(b"PK")
        if exp.source == "corpus" and exp.doc_type == "pdf":
            name = next(p for p in (CORPUS / "real").iterdir() if p.name.startswith(exp.expected_json[:-5]))
            assert doc == name.read_bytes()
        for url in exp.also_at:
            assert fetch(url)[0] == 200


def test_a_reference_crawler_finds_every_report(running):
    """From each start URL of a TRS site, following links, shells and pagination scripts reaches every report
    page and every report document (the other families need POSTs, JSON APIs or a browser: tests/devportal/
    test_devportal_families.py)."""
    for sid in running.sites:
        if running.world.site(sid).platform != "trs":
            continue
        seen = crawl_site(running.start_url(sid))
        for exp in running.expected_reports():
            if exp.site_id == sid:
                assert exp.page_url in seen, exp.page_url
                assert exp.document_url in seen, exp.document_url
        assert all(status in (200, 404) for status, _, _ in seen.values())


def test_content_type_quirks(running):
    world = running.world
    ctypes = {(s.site_id, p): r.content_type for s in world.sites for p, r in s.resources.items()}
    pdf_octet = [k for k, v in ctypes.items() if v == "application/octet-stream"]
    assert pdf_octet
    status, headers, body = fetch(running.url(*pdf_octet[0]))
    assert body.startswith(b"%PDF") and "attachment" in headers.get("content-disposition", "")
    gbk_hdr = [k for k, v in ctypes.items() if v == "text/html; charset=GBK"]
    assert gbk_hdr
    status, headers, body = fetch(running.url(*gbk_hdr[0]))
    assert headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "岔河镇" in body.decode("gbk")
    bare = [k for k, v in ctypes.items() if v == "text/html"]
    assert bare
    status, headers, body = fetch(running.url(*bare[0]))
    assert "charset" not in headers["content-type"] and b"charset=gb2312" in body[:400]
    assert "政府信息公开" in body.decode("gb18030")
    assert any(v == "application/msword" and p.endswith(".docx") for (s, p), v in ctypes.items())


def test_shell_pages_lead_to_township_columns(running):
    for sid, path in (("hongze", "/zfxxgk/zfxxgknb/xzjd/lzsz/index.html"),
                      ("hongze", "/zfxxgk/zfxxgknb/xzjd/xshz/index.html"),
                      ("pingtan", "/zwgk/zfxxgk/zfxxgknb/xznb/index.htm")):
        status, _, body = fetch(running.url(sid, path))
        assert status == 200 and 140 <= len(body) <= 200
        target = re.search(rb'replace\("([^"]+)"|url=([^"]+)"', body)
        target = (target.group(1) or target.group(2)).decode()
        status, _, body = fetch(running.url(sid, target))
        assert status == 200 and "年度报告" in decode({}, body)


def test_two_attachments_and_image_twin(running):
    world = running.world
    gov19 = next(r for r in world.reports if r.site_id == "hongze" and r.kind == "government" and r.year == 2019)
    _, _, body = fetch(running.url("hongze", gov19.page_url))
    text = body.decode()
    links = re.findall(r'href="(\./[^"]+\.(?:pdf|doc|docx))"', text)
    assert len(links) == 2 and "申请表.doc" in text
    twin = next(n for n in world.noise if n.reason == "image_version")
    _, _, body = fetch(running.url("hongze", twin.page_url))
    imgs = re.findall(r'<img src="(\./W0[^"]+\.png)"', body.decode())
    assert imgs and "（图片版）" in body.decode()
    status, headers, png = fetch(running.url("hongze", twin.page_url.rsplit("/", 1)[0] + imgs[0][1:]))
    assert status == 200 and png.startswith(b"\x89PNG") and headers["content-type"] == "image/png"


def test_conditional_get_and_request_log(running):
    url = running.url("huaian", running.world.site("huaian").nb_path)
    status, headers, body = fetch(url)
    assert status == 200 and headers["etag"]
    assert fetch(url, {"If-None-Match": headers["etag"]})[0] == 304
    status, headers, _ = fetch(url, method="HEAD")
    assert status == 200 and int(headers["content-length"]) == len(body)
    counts = running.requests("huaian")
    assert counts[running.world.site("huaian").nb_path] >= 3


def test_registry_csv(running, tmp_path):
    path = write_registry(running, tmp_path / "sites.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == ["site_id", "name", "province", "city", "county", "start_url", "platform"]
    assert {r["site_id"] for r in rows} == set(running.sites)
    for r in rows:
        assert r["platform"] == running.world.site(r["site_id"]).platform
        assert r["start_url"].startswith(running.sites[r["site_id"]])
        assert fetch(r["start_url"])[0] == 200
    fixed = write_registry(running.world, tmp_path / "fixed.csv", port=8765)
    assert "http://127.0.0.3:8765/zwgk/zfxxgk/" in fixed.read_text(encoding="utf-8")


def _refused(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5)
    except urllib.error.URLError as e:
        return isinstance(e.reason, ConnectionRefusedError)
    return False


def test_faults():
    world = build_world()
    world.site("pingtan").faults.add("down")
    world.site("hongze").faults |= {"column_404", "broken_pdf"}
    r = start_world(world, host_base="127.0.0.12")
    try:
        assert _refused(r.start_url("pingtan"))
        nb = world.site("hongze").nb_path
        assert fetch(r.url("hongze", nb))[0] == 404
        assert fetch(r.url("hongze", nb.replace("index.html", "index_1.html")))[0] == 404
        assert fetch(r.url("hongze", "/zfxxgk/zfxxgknb/bmnb/fg.shtml"))[0] == 200     # sub-columns still work
        exp = next(x for x in world.reports if x.site_id == "hongze" and x.doc_type != "html")
        assert fetch(r.url("hongze", exp.page_url))[0] == 200                        # detail pages too
        target = world.site("hongze").fault_targets["broken_pdf"]
        full = world.site("hongze").lookup(target).data()
        status, headers, body = fetch(r.url("hongze", target))
        assert status == 200 and body.startswith(b"%PDF") and len(body) < len(full) and b"%%EOF" not in body[-64:]
        assert int(headers["content-length"]) == len(body)
        # switched while running
        r.set_fault("hongze", "column_404", on=False)
        assert fetch(r.url("hongze", nb))[0] == 200
        r.set_fault("pingtan", "down", on=False)
        assert fetch(r.start_url("pingtan"))[0] == 200
        r.set_fault("huaian", "down")
        assert _refused(r.start_url("huaian"))
    finally:
        r.stop()


def test_cli_serves_until_killed(tmp_path):
    import subprocess
    import sys
    import time
    with socket.socket() as s:
        s.bind(("127.0.0.22", 0))
        port = s.getsockname()[1]
    reg = tmp_path / "demo-sites.csv"
    proc = subprocess.Popen([sys.executable, "-m", "harvester.devportal", "serve", "--port", str(port),
                             "--host-base", "127.0.0.22", "--registry", str(reg)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        assert any(f"http://127.0.0.22:{port}/" in line for line in lines), lines
        deadline = time.time() + 10
        while not reg.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert fetch(f"http://127.0.0.23:{port}/zwgk/zfxxgk/")[0] == 200
        assert "start_url" in reg.read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
