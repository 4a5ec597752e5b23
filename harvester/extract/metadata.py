"""The 信息公开 metadata block (索引号, 发布机构, 文号, 成文/发布日期, 时效性) and standard meta tags.

Portals lay the block out many ways (gov.cn 2×4 table, Jiangsu ``table.xxgk_table``, Zhejiang
``<td>索引号：</td><td>…</td>``, Wuhan ``<li>索引号： …</li>``, Suzhou ``<label><font>…</font></label><div>``,
Beijing ``<dt>/<dd>``, a bulleted list with the value on the next line). Rather than one parser per
layout, the page is cut into text chunks at element boundaries and read as a stream: a chunk that
starts with a label carries its value inline, or the value is the next chunk. The same reader works
on plain text, line by line.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from lxml import html as lxml_html

# canonical key -> label spellings (after removing spaces); longest first where one contains another
LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "publisher": ("发布机构", "发文机构", "发文机关", "发布机关", "制发机关", "发文单位", "发布单位", "公开主体"),
    "doc_number": ("发文字号", "文号", "文件编号"),
    "written_date": ("成文日期", "成文时间", "生成日期", "发文日期"),
    "publish_date": ("发布日期", "发布时间", "公开日期", "公开时间"),
    "topic": ("主题分类", "主题词"),
    "validity": ("时效性", "有效性"),
    "disclosure_mode": ("公开方式",),
    "title": ("标题", "名称"),
    "source": ("信息来源", "来源"),
    "column": ("栏目",),
    "url": ("原文链接",),
}
_LABEL_TO_KEY = {lab: key for key, labs in LABELS.items() for lab in labs}
# a label, optionally spaced out (索 引 号), then a colon; or a bare label chunk (value follows)
_SPACED = {lab: r"\s*".join(map(re.escape, lab)) for lab in _LABEL_TO_KEY}
_SPACED_ALT = "|".join(_SPACED[lab] for lab in sorted(_LABEL_TO_KEY, key=len, reverse=True))
_LABEL_RE = re.compile("(" + _SPACED_ALT + r")\s*[:：]")
_BARE_LABEL_RE = re.compile(r"^[•·●\-\*\s]*(" + _SPACED_ALT + r")\s*[:：]?\s*$")
_BULLET = re.compile(r"^[•·●▪\-\*\s]+")
_DATE_RE = re.compile(r"(?<![\d/])((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?![\d])")

_META_TAGS = {
    "articletitle": "title", "pubdate": "publish_date", "columnname": "column", "contentsource": "source",
    "sitename": "site_name", "sitedomain": "site_domain", "url": "url", "publishdate": "publish_date",
    "keywords": "keywords", "author": "author", "contentid": "content_id", "catalogs": "catalogs",
}

_CONTENT_KEYS = ("index_no", "publisher", "doc_number", "written_date", "publish_date", "topic",
                 "validity", "disclosure_mode")


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace("\u3000", " ").replace("\xa0", " ").strip()


def parse_date(value: str | None) -> str | None:
    """First plausible date in a string as YYYY-MM-DD (`2023年2月2日`, `2026.09.19`, `2023-02-02 12:56`)."""
    if not value:
        return None
    for m in _DATE_RE.finditer(_norm(value)):
        y, mo, d = (int(g) for g in m.groups())
        try:
            return date(y, mo, d).isoformat()
        except ValueError:
            continue  # e.g. an index number 2026-02-00018
    return None


def _clean_value(key: str, value: str) -> str:
    value = _BULLET.sub("", value).strip(" ：:;；|")
    if key in ("written_date", "publish_date"):
        return parse_date(value) or ""
    return re.sub(r"\s+", " ", value)


def read_chunks(chunks: list[str]) -> dict:
    """Read label/value pairs from a stream of text chunks (table cells, list items, lines)."""
    out: dict[str, str] = {}
    pending: str | None = None  # a bare label waiting for its value in the next chunk
    for raw in chunks:
        chunk = _norm(raw)
        if not chunk:
            continue
        bare = _BARE_LABEL_RE.match(chunk)
        if bare:
            pending = _LABEL_TO_KEY[re.sub(r"\s+", "", bare.group(1))]
            continue
        matches = list(_LABEL_RE.finditer(chunk))
        if matches and not _BULLET.sub("", chunk[: matches[0].start()]).strip():
            pending = None
            for i, m in enumerate(matches):
                key = _LABEL_TO_KEY[re.sub(r"\s+", "", m.group(1))]
                end = matches[i + 1].start() if i + 1 < len(matches) else len(chunk)
                value = chunk[m.end():end]
                if value.strip():
                    out.setdefault(key, _clean_value(key, value))
                elif i + 1 == len(matches):
                    pending = key
            continue
        if pending is not None:
            out.setdefault(pending, _clean_value(pending, chunk))
            pending = None
    return {k: v for k, v in out.items() if v}


_BLOCK_SKIP = {"script", "style", "noscript", "template"}


def _chunks_from_tree(root) -> list[str]:
    chunks: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el.tail and el.tail.strip():
                chunks.append(el.tail)
            continue
        if el.tag in _BLOCK_SKIP:
            if el.tail and el.tail.strip():
                chunks.append(el.tail)
            continue
        if el.text and el.text.strip():
            chunks.append(el.text)
        if el.tail and el.tail.strip():
            chunks.append(el.tail)
    return chunks


def meta_tags(root) -> dict:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        key = _META_TAGS.get(name)
        content = _norm(m.get("content") or "")
        if key and content:
            out.setdefault(key, parse_date(content) if key == "publish_date" else content)
    titles = root.xpath("//title/text()")
    if titles and titles[0].strip():
        out.setdefault("page_title", _norm(titles[0]))
    return {k: v for k, v in out.items() if v}


def meta_from_html(page: str | bytes, tree=None) -> dict:
    """Metadata of a detail page: the 信息公开 block first, standard meta tags as fallback."""
    root = tree if tree is not None else lxml_html.fromstring(page or "<html/>")
    tags = meta_tags(root)
    body = root.find("body")
    block = read_chunks(_chunks_from_tree(body if body is not None else root))
    meta = {k: block[k] for k in _CONTENT_KEYS if k in block}
    for key in ("title", "publish_date", "column", "source", "site_name", "site_domain", "url", "page_title"):
        if key in tags and key not in meta:
            meta[key] = tags[key]
    if "title" not in meta and "title" in block:
        meta["title"] = block["title"]
    return meta


def meta_from_text(text: str, max_lines: int = 120) -> dict:
    """Metadata written as text (a flattened page or an archive header), read line by line."""
    lines = text.splitlines()[:max_lines]
    return read_chunks(lines)
