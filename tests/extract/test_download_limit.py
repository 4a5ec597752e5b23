"""An attachment larger than HARVESTER_MAX_DOCUMENT_BYTES is refused by a real crawl (Scrapy's
DOWNLOAD_MAXSIZE, set from that setting), and the report is still stored, with the reason recorded.

A tiny site is served on loopback by ``http.server`` in this process: a home page linking the 年报
column, the column listing one report, its detail page (a sentence, no tables) linking the report
PDF (a generated report, padded past the limit) and a small unrelated attachment. The real
``harvester crawl`` runs in a subprocess with the limit lowered through the environment.
"""
from __future__ import annotations

import http.server
import random
import sys
import threading
from pathlib import Path

import pytest

from harvester.devportal import reports as R

from harvester.devportal import render as renderings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from crawlhelp import query, run_cli  # noqa: E402

AGENCY = "无锡市梁溪区人民政府"
TITLE = f"{AGENCY}2024年政府信息公开工作年度报告"
LIMIT = 200_000


def _form_pdf() -> bytes:
    """An unrelated attachment: the application form."""
    import io

    from reportlab.pdfgen import canvas
    renderings._register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(renderings._FONT, 14)
    c.drawString(72, 760, "政府信息公开申请表")
    c.drawString(72, 730, "申请人姓名：          联系电话：")
    c.showPage()
    c.save()
    return buf.getvalue()


def _site(tmp: Path) -> None:
    r = R.make_report(AGENCY, 2024, "gov2021", random.Random("oversize"))
    pdf = renderings.render_pdf(r)
    big = pdf + b"\n%" + b"x" * (LIMIT + 50_000 - len(pdf)) + b"\n"   # a comment after %%EOF: still a PDF
    (tmp / "files").mkdir()
    (tmp / "files" / "report.pdf").write_bytes(big)
    (tmp / "files" / "form.pdf").write_bytes(_form_pdf())
    page = lambda title, body: (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'  # noqa: E731
                                f"<body>{body}</body></html>")
    (tmp / "index.html").write_text(page("梁溪区人民政府", '<a href="/zfxxgk/">政府信息公开</a> '
                                          '<a href="/zfxxgk/nb/">政府信息公开年报</a>'), encoding="utf-8")
    (tmp / "zfxxgk").mkdir()
    (tmp / "zfxxgk" / "index.html").write_text(page("政府信息公开", '<a href="/zfxxgk/nb/">政府信息公开年报</a>'),
                                               encoding="utf-8")
    (tmp / "zfxxgk" / "nb").mkdir()
    (tmp / "zfxxgk" / "nb" / "index.html").write_text(page(
        "政府信息公开年报", f'<ul class="list"><li><a href="/zfxxgk/nb/detail.html">{TITLE}</a>'
                         "<span>2025-01-20</span></li></ul>"), encoding="utf-8")
    (tmp / "zfxxgk" / "nb" / "detail.html").write_text(page(TITLE, (
        f'<div class="article"><h1>{TITLE}</h1><div class="TRS_Editor"><p>现将{TITLE}予以公布，详见附件。</p>'
        '<p>附件：<a href="/files/report.pdf">年度报告.pdf</a></p>'
        '<p><a href="/files/form.pdf">政府信息公开申请表.pdf</a></p></div></div>')), encoding="utf-8")


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    _site(root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_oversize_attachment_is_refused_and_the_report_kept(site, tmp_path):
    registry = tmp_path / "sites.csv"
    registry.write_text("site_id,name,province,city,county,start_url,platform\n"
                        f"liangxi,梁溪区人民政府,江苏省,无锡市,梁溪区,{site}/,generic\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    result = run_cli("crawl", "--sites", registry, "--db", db,
                     env={"HARVESTER_MAX_DOCUMENT_BYTES": str(LIMIT), "HARVESTER_ARCHIVE": str(tmp_path / "archive")},
                     timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report_url = f"{site}/files/report.pdf"
    # refused while downloading: an event with the reason, nothing of it archived
    events = query(db, "SELECT kind, reason FROM crawl_events WHERE url = :u", u=report_url)
    assert events and events[0][0] == "too_large", events
    assert "maxsize" in events[0][1].lower() or "max size" in events[0][1].lower()
    size = query(db, "SELECT size FROM documents WHERE url = :u", u=report_url)
    assert not size or not size[0][0]
    # the report is stored all the same, with its URLs (the refused attachment among them)
    rows = query(db, "SELECT r.id, r.year, r.parse_status, r.parse_detail FROM reports r "
                     "JOIN agencies a ON a.id = r.agency_id WHERE a.name = :n", n=AGENCY)
    assert len(rows) == 1, (rows, result.stdout[-2000:])
    rid, year, status, detail = rows[0]
    assert year == 2024
    urls = {u for (u,) in query(db, "SELECT url FROM report_urls WHERE report_id = :r", r=rid)}
    assert report_url in urls and f"{site}/files/form.pdf" in urls
    # with the reason: the page is no report by itself, the report is the attachment that was refused
    assert status == "too_large", (status, detail)
    assert report_url in detail and "HARVESTER_MAX_DOCUMENT_BYTES" in detail
    (document_url,) = query(db, "SELECT document_url FROM reports WHERE id = :r", r=rid)[0]
    assert document_url == report_url


def test_choose_makes_a_refused_attachment_the_report():
    from harvester.crawl.items import Fetched
    from harvester.crawl.process import choose, extract_file, parse_file
    page = Fetched(url="http://x/detail.html", role="page",
                   body=f"<html><body><p>现将{TITLE}予以公布，详见附件。</p></body></html>".encode())
    big = Fetched(url="http://x/files/report.pdf", role="attachment", error="too_large")
    for f in (page, big):
        extract_file(f)
        parse_file(f, title=TITLE, meta={})
    chosen = choose([page, big])
    assert choose([page, big]) is big
    assert chosen is big and chosen.extracted.problem == "too_large"
    # a page that is a report by itself stays the report
    html = renderings.render_html(R.make_report(AGENCY, 2024, "gov2021", random.Random(2))).encode()
    page2 = Fetched(url="http://x/detail2.html", role="page", body=html)
    extract_file(page2)
    parse_file(page2, title=TITLE, meta={})
    assert choose([page2, big]) is page2
