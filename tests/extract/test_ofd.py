"""OFD by hand: the package structure a converter writes (OFD.xml → Document.xml → pages, a template
page, PageBlock nesting, DeltaX with the ``g`` shorthand, a ruled table drawn by PathObjects), read
into lines and tab-separated table rows; image-only pages; unsafe XML refused."""
from __future__ import annotations

import formatgen as G

from harvester.extract import extract
from harvester.extract.ofd import _deltas

NS = "http://www.ofdspec.org/2016"


def _text(x, y, s, size=4.0, delta=None, oid=[1000]):  # noqa: B006 - an id counter
    oid[0] += 1
    d = f' DeltaX="{delta}"' if delta else ""
    return (f'<ofd:TextObject ID="{oid[0]}" Boundary="{x} {y - size} 150 {size * 1.4}" Font="1" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}"{d}>{s}</ofd:TextCode></ofd:TextObject>')


def _line(x0, y0, x1, y1):
    lx, ty = min(x0, x1), min(y0, y1)
    return (f'<ofd:PathObject ID="9" Boundary="{lx} {ty} {abs(x1 - x0) + 0.1} {abs(y1 - y0) + 0.1}">'
            f"<ofd:AbbreviatedData>M {x0 - lx} {y0 - ty} L {x1 - lx} {y1 - ty}</ofd:AbbreviatedData></ofd:PathObject>")


def _page(body: str, template: bool = False) -> str:
    t = '<ofd:Template TemplateID="7"/>' if template else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{t}<ofd:Content>'
            f'<ofd:Layer ID="2"><ofd:PageBlock ID="3">{body}</ofd:PageBlock></ofd:Layer></ofd:Content></ofd:Page>')


def _package(pages: list[str], template: str | None = None, extra: dict | None = None) -> bytes:
    import io
    import zipfile
    tpl = '<ofd:TemplatePage ID="7" BaseLoc="Tpls/Tpl_0/Content.xml"/>' if template else ""
    doc = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
           f"<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>{tpl}</ofd:CommonData>"
           "<ofd:Pages>" + "".join(f'<ofd:Page ID="{k}" BaseLoc="Pages/Page_{k}/Content.xml"/>'
                                   for k in range(len(pages))) + "</ofd:Pages></ofd:Document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", f'<?xml version="1.0"?><ofd:OFD xmlns:ofd="{NS}" Version="1.1"><ofd:DocBody>'
                              "<ofd:DocInfo><ofd:Title>某县2024年政府信息公开工作年度报告</ofd:Title></ofd:DocInfo>"
                              "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        z.writestr("Doc_0/Document.xml", doc)
        for k, p in enumerate(pages):
            z.writestr(f"Doc_0/Pages/Page_{k}/Content.xml", p)
        if template:
            z.writestr("Doc_0/Tpls/Tpl_0/Content.xml", template)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def test_deltax_shorthand():
    assert _deltas("g 3 5.2 4") == [5.2, 5.2, 5.2, 4.0]
    assert _deltas("1 2 g 2 0.5") == [1.0, 2.0, 0.5, 0.5]
    assert _deltas("") == []


def test_hand_written_ofd_lines_and_ruled_table():
    xs = [20, 90, 110, 130, 150, 170]
    ys = [100, 110, 120]
    rules = "".join(_line(x, ys[0], x, ys[-1]) for x in xs) + "".join(_line(xs[0], y, xs[-1], y) for y in ys)
    cells = ""
    for r, (label, vals) in enumerate([("一、本年新收申请", ["12", "3", "0", "15"]),
                                       ("二、上年结转申请", ["4", "0", "1", "5"])]):
        base = ys[r] + 7
        cells += _text(22, base, label, delta="g 7 4")
        for k, v in enumerate(vals):
            cells += _text(xs[k + 1] + 8, base, v, delta="g %d 2" % (len(v) - 1) if len(v) > 1 else None)
    body = _text(20, 60, "一、总体情况", size=5, delta="g 5 5") + _text(20, 80, "本年共收到申请15件。", delta="g 9 4") \
        + rules + cells
    template = _page(_text(95, 20, "某县人民政府", size=3, delta="g 5 3")).replace("ofd:Page ", "ofd:Page ", 1)
    ex = extract(_package([_page(body, template=True)], template=template))
    assert ex.ok, ex.detail
    assert ex.meta["doc_title"] == "某县2024年政府信息公开工作年度报告"
    assert ex.text.splitlines() == ["某县人民政府", "一、总体情况", "本年共收到申请15件。",
                                    "一、本年新收申请\t12\t3\t0\t15", "二、上年结转申请\t4\t0\t1\t5"]


def test_image_only_ofd(monkeypatch):
    monkeypatch.delenv("HARVESTER_OCR", raising=False)
    png = G.to_png(G.report(), dpi=60)
    res = (f'<?xml version="1.0"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:MultiMedias>'
           '<ofd:MultiMedia ID="50" Type="Image"><ofd:MediaFile>scan.png</ofd:MediaFile></ofd:MultiMedia>'
           "</ofd:MultiMedias></ofd:Res>")
    page = _page('<ofd:ImageObject ID="51" ResourceID="50" Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/>')
    data = _package([page], extra={"Doc_0/DocumentRes.xml": res, "Doc_0/Res/scan.png": png})
    data = data.replace(b"<ofd:CommonData>", b"<ofd:CommonData>", 1)
    import io
    import zipfile
    z = zipfile.ZipFile(io.BytesIO(data))
    doc = z.read("Doc_0/Document.xml").replace(b"</ofd:CommonData>",
                                                b"<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>")
    members = {n: z.read(n) for n in z.namelist()}
    members["Doc_0/Document.xml"] = doc
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for k, v in members.items():
            out.writestr(k, v)
    ex = extract(buf.getvalue())
    assert ex.kind == "ofd" and ex.problem == "image_only" and ex.meta["image_only_pages"] == [1]


def test_xml_entities_are_not_expanded():
    evil = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "{"A" * 1000}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            f'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer>'
            f'{_text(20, 60, "&c;")}</ofd:Layer></ofd:Content></ofd:Page>')
    ex = extract(_package([evil, _page(_text(20, 60, "一、总体情况"))]))
    assert "AAAA" not in ex.text
    assert "一、总体情况" in ex.text
