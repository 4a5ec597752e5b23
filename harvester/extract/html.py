"""HTML bytes -> Extracted: robust decoding, the content container, text with tables in place, grids.

- Decoding: BOM, then strict UTF-8 (self-validating), then the declared charset (Content-Type header
  or ``<meta charset>``; GB2312/GBK are read as their superset GB18030), then GB18030, then
  charset-normalizer; a declared single-byte charset is never trusted for CJK pages.
- Container: the first of the usual CMS content selectors holding real text (``.TRS_Editor``,
  ``#zoom``, ``#ivs_content``, ``.xxgk_content``, ``.article_content`` …), else ``<body>``.
- Text: block elements end lines; every ``<table>`` is written in place, one row a line, the row's own
  cells tab-separated (like the PDF text). ``tables`` holds each table as a grid with rowspan/colspan
  expanded (a merged cell repeats) and ``table_cell_ids`` the source-cell id of every position.
- Attachments: links to .pdf/.doc/.docx/.wps/.xls/.xlsx/.ofd/.rtf, ``downfile.jsp`` and TRS
  ``P0…`` files anywhere on the page, absolutised against ``url``, with their link text.
lxml only (no trafilatura: it drops or reflows tables).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from . import budget
from .base import Extracted
from .metadata import meta_from_html

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}“”])\s+(?=[{_CJK}“”])")
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u3000\u2002\u2003\u2009\u200b]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_ATTACH = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|rtf|zip|rar|7z)(?:$|[?#&])|downfile\.jsp|/P0\d{8,}", re.I)

_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "select", "option", "button",
                   "iframe", "object", "embed", "svg", "map", "textarea", "input"})
_BLOCK = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
                    "blockquote", "dd", "dt", "dl", "pre", "header", "footer", "aside", "nav", "form",
                    "center", "figure", "figcaption", "address", "hr", "main", "tr", "caption", "fieldset"})

# content containers seen on government CMSs, most specific first
_CONTAINERS = (
    ("class", "TRS_Editor"), ("class", "TRS_UEDITOR"), ("class", "trs_editor_view"), ("id", "zoom"),
    ("id", "ivs_content"), ("id", "webeditorview"), ("id", "UCAP-CONTENT"), ("class", "xxgk_content"),
    ("class", "Custom_UnionStyle"), ("id", "Zoom"), ("id", "fontzoom"), ("class", "article_content"),
    ("class", "article-content"), ("id", "content"), ("class", "wzzw"), ("class", "zw"), ("id", "zw"),
    ("class", "content"), ("id", "mainText"), ("class", "main-txt"), ("class", "con_txt"),
)
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii", "us-ascii", "iso8859-1"}


# ---- decoding -------------------------------------------------------------------------------------

def _norm_charset(cs: str | None) -> str | None:
    if not cs:
        return None
    cs = cs.strip().strip("\"'").lower()
    if cs in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "x-euc-cn", "euc-cn", "hz-gb-2312"):
        return "gb18030"
    if cs in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if cs in ("big5", "big5-hkscs", "x-x-big5"):
        return "big5hkscs"
    return cs


def decode_html(data: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used)."""
    if isinstance(data, str):
        return data, "str"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    declared = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        declared = _norm_charset(m.group(1)) if m else None
    if not declared:
        m = _META_CHARSET.search(data[:8192])
        declared = _norm_charset(m.group(1).decode("ascii", "ignore")) if m else None
    tried = []
    for enc in ("utf-8", declared if declared not in _SINGLE_BYTE else None, "gb18030"):
        if not enc or enc in tried:
            continue
        tried.append(enc)
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, "replace"), best.encoding
    except Exception:  # pragma: no cover - optional dependency failure
        pass
    enc = declared if declared and declared not in tried else "gb18030"
    try:
        return data.decode(enc, "replace"), enc
    except LookupError:
        return data.decode("utf-8", "replace"), "utf-8"


# ---- text helpers ---------------------------------------------------------------------------------

def clean(s: str) -> str:
    s = _SPACES.sub(" ", s.replace("\n", " "))
    return _CJK_GAP.sub("", s).strip()


def _cell_text(td) -> str:
    # serialising to text in C is ~6× faster than itertext(); <br> tails carry a newline (see extract_html)
    s = td.text or "" if len(td) == 0 else etree.tostring(td, method="text", encoding=str, with_tail=False)
    if s.isascii():
        return " ".join(s.split())
    if " " not in s and "\n" not in s and "\xa0" not in s and "\u3000" not in s and "\t" not in s and "\r" not in s:
        return s
    return clean(s)


def _has_class(el, name: str) -> bool:
    c = el.get("class")
    return bool(c) and name in c.split()


_RANK = {key: i for i, key in enumerate(_CONTAINERS)}
_TEXT_LEN = etree.XPath("string-length(normalize-space(.))")


def _find_container(root, html_text: str = ""):
    """The best-ranked content container holding real text (one pass over the tree), else <body>."""
    found: dict[int, list] = {}
    for el in root.iter():
        i = el.get("id")
        if i is not None:
            r = _RANK.get(("id", i))
            if r is not None:
                found.setdefault(r, []).append(el)
        c = el.get("class")
        if c:
            for name in c.split():
                r = _RANK.get(("class", name))
                if r is not None:
                    found.setdefault(r, []).append(el)
    for rank in sorted(found):
        best = None
        for el in found[rank]:
            n = _TEXT_LEN(el)
            if (n >= 10 or el.find(".//table") is not None) and (best is None or n > best[1]):
                best = (el, n)
        if best is not None:
            return best[0]
    body = root.find("body")
    return body if body is not None else root


# ---- tables ---------------------------------------------------------------------------------------

def _rows_of(table) -> list:
    out = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            out.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            out.extend(c for c in child if isinstance(c.tag, str) and c.tag == "tr")
    return out


def table_grid(table, notes: list[str] | None = None) -> tuple[list[list[str]], list[list[int]], list[str]]:
    """(grid with spans expanded, source-cell ids, TSV lines of each row's own cells). A colspan over
    HARVESTER_MAX_HTML_COLSPAN or a rowspan over HARVESTER_MAX_HTML_ROWSPAN is capped there, and noted in
    ``notes``."""
    grid: list[list[str]] = []
    ids: list[list[int]] = []
    lines: list[str] = []
    carry: list = []          # per column: [rows left, text, id] of a rowspan cell reaching down, or None
    nid = 0
    # the budgets, read once a table (budget.grid_width raises with their message when one is passed)
    max_cols = budget.limit("HARVESTER_MAX_TABLE_COLUMNS")
    max_cells = budget.limit("HARVESTER_MAX_TABLE_CELLS")
    max_colspan = budget.limit("HARVESTER_MAX_HTML_COLSPAN")
    max_rowspan = budget.limit("HARVESTER_MAX_HTML_ROWSPAN")
    for tr in _rows_of(table):
        row_t: list[str] = []
        row_i: list[int] = []
        own: list[str] = []
        col = 0
        for td in tr:
            tag = td.tag
            if tag != "td" and tag != "th":
                continue
            while col < len(carry) and carry[col] is not None:
                p = carry[col]
                row_t.append(p[1])
                row_i.append(p[2])
                p[0] -= 1
                if p[0] <= 0:
                    carry[col] = None
                col += 1
            text = _cell_text(td)
            cs, rs = 1, 1
            if td.get("colspan"):
                cs, note = budget.capped_span(td.get("colspan"), f"row {len(grid) + 1}: colspan",
                                              "HARVESTER_MAX_HTML_COLSPAN", max_colspan)
                if note and notes is not None:
                    notes.append(note)
            if td.get("rowspan"):
                rs, note = budget.capped_span(td.get("rowspan"), f"row {len(grid) + 1}: rowspan",
                                              "HARVESTER_MAX_HTML_ROWSPAN", max_rowspan)
                if note and notes is not None:
                    notes.append(note)
            reach = col + cs
            if (max_cols and reach > max_cols) or (max_cells and (len(grid) + 1) * reach > max_cells):
                budget.grid_width(reach, (len(grid) + 1) * reach)
            for _ in range(cs):
                row_t.append(text)
                row_i.append(nid)
                if rs > 1:
                    while len(carry) <= col:
                        carry.append(None)
                    carry[col] = [rs - 1, text, nid]
                col += 1
            own.append(text)
            nid += 1
        if any(p is not None for p in carry[col:]):   # rowspan cells to the right of the row's own cells
            for c in range(col, len(carry)):
                p = carry[c]
                if p is None:
                    row_t.append("")
                    row_i.append(-1)
                    continue
                row_t.append(p[1])
                row_i.append(p[2])
                p[0] -= 1
                if p[0] <= 0:
                    carry[c] = None
        if row_t:
            grid.append(row_t)
            ids.append(row_i)
            lines.append("\t".join(own))
    width = max((len(r) for r in grid), default=0)
    for r, i in zip(grid, ids):   # positions no cell covers get ids of their own (never merged with a neighbour)
        for c in range(len(r)):
            if i[c] < 0:
                i[c] = nid
                nid += 1
        while len(r) < width:
            r.append("")
            i.append(nid)
            nid += 1
    return grid, ids, lines


# ---- rendering ------------------------------------------------------------------------------------

class _Renderer:
    def __init__(self):
        self.parts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.ids: list[list[list[int]]] = []
        self.notes: list[str] = []

    def nl(self) -> None:
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment / processing instruction
            if el.tail:
                self.parts.append(el.tail)
            return
        tag = tag.lower()
        if tag in _SKIP:
            pass
        elif tag == "table":
            if el.find(".//table") is not None:  # layout table: render its content, not as a grid
                self.nl()
                self._walk_layout_table(el)
                self.nl()
            else:
                notes: list[str] = []
                grid, ids, lines = table_grid(el, notes)
                self.notes += [f"table {len(self.tables) + 1}, {n}" for n in notes]
                self.nl()
                if grid:
                    self.tables.append(grid)
                    self.ids.append(ids)
                    self.parts.append("\n".join(ln for ln in lines if ln.strip()))
                self.nl()
        elif tag == "br":
            self.nl()
        elif tag == "img":
            pass
        else:
            block = tag in _BLOCK
            if block:
                self.nl()
            if el.text:
                self.parts.append(el.text)
            for child in el:
                self.walk(child)
            if block:
                self.nl()
        if el.tail:
            self.parts.append(el.tail)

    def _walk_layout_table(self, table) -> None:
        for tr in _rows_of(table):
            for td in tr:
                if isinstance(td.tag, str) and td.tag in ("td", "th"):
                    self.nl()
                    if td.text:
                        self.parts.append(td.text)
                    for child in td:
                        self.walk(child)
            self.nl()

    def text(self) -> str:
        out = []
        for line in "".join(self.parts).split("\n"):
            if "\t" in line:
                out.append(line)
                continue
            s = clean(line)
            if s:
                out.append(s)
        return "\n".join(out)


def find_attachments(root, base_url: str | None) -> list[dict]:
    base = base_url
    b = root.find(".//base")
    if b is not None and b.get("href"):
        base = urljoin(base_url or "", b.get("href"))
    out: list[dict] = []
    seen = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")) or not _ATTACH.search(href):
            continue
        absu = urljoin(base, href) if base else href
        if absu in seen:
            continue
        seen.add(absu)
        text = clean(" ".join(a.itertext())) or clean(a.get("title") or "") or href.rsplit("/", 1)[-1]
        out.append({"url": absu, "text": text})
    return out


_BLOCK_LABELS = re.compile(r"索\s*引\s*号|发\s*布\s*机\s*构|发文机关|文\s*号|成文日期")


def _page_meta(html_text: str, root, container) -> dict:
    """Page metadata (harvester.extract.metadata): meta tags and the 信息公开 block.

    The block is page chrome, so the reader is run with the report body detached from the tree (it
    reads every text chunk, and the body holds most of them); only if the body itself carries block
    labels and the chrome gave none of them is the whole page read."""
    parent = container.getparent()
    if parent is None or container is root.find("body"):
        return meta_from_html(html_text, tree=root)
    idx = parent.index(container)
    tail = container.tail
    parent.remove(container)
    try:
        meta = meta_from_html(html_text, tree=root)
    finally:
        parent.insert(idx, container)
        container.tail = tail
    if not any(k in meta for k in ("index_no", "publisher", "doc_number", "written_date")) and \
            _BLOCK_LABELS.search(etree.tostring(container, method="text", encoding=str)[:3000]):
        meta = meta_from_html(html_text, tree=root)
    return meta


def extract_html(data: bytes | str, url: str | None = None, content_type: str | None = None) -> Extracted:
    html_text, _enc = decode_html(data, content_type)
    if not html_text.strip():
        return Extracted(kind="html", problem="empty", detail="empty HTML document")
    try:
        # plain etree elements: lxml.html's element-class lookup costs more than the parse itself
        root = etree.fromstring(html_text, etree.HTMLParser(remove_comments=True, remove_pis=True))
    except (etree.ParserError, ValueError, etree.XMLSyntaxError) as exc:
        try:
            root = lxml_html.document_fromstring(html_text.encode("utf-8", "replace"))
        except Exception:
            return Extracted(kind="html", problem="corrupt", detail=f"HTML not parseable: {exc}"[:300])
    if root is None:
        return Extracted(kind="html", problem="empty", detail="no HTML elements")
    budget.tree_depth(root)                 # the renderer recurses: hostile nesting is refused first
    container = _find_container(root, html_text)
    meta = _page_meta(html_text, root, container)
    for br in container.iter("br"):     # a line break inside a cell separates its words (H-M3)
        br.tail = "\n" + br.tail if br.tail else "\n"
    r = _Renderer()
    if container.text:
        r.parts.append(container.text)
    for child in container:
        r.walk(child)
    text = r.text()
    attachments = find_attachments(root, url)
    ex = Extracted(kind="html", text=text, tables=r.tables, meta=meta, attachments=attachments,
                   table_cell_ids=r.ids, notes=r.notes[:20])
    content_len = len("".join(text.split())) - sum(len(a["text"]) for a in attachments)
    if content_len < 50 and not r.tables:
        if attachments:
            ex.problem, ex.detail = "attachment_only", f"no report text on the page; {len(attachments)} attachment link(s)"
        elif container.find(".//img") is not None:
            ex.problem, ex.detail = "image_only", "the page content is images only"
        else:
            ex.problem, ex.detail = "empty", "no text in the page content"
    return ex
