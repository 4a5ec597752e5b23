"""The adapter interface and the link heuristics every family shares.

An adapter answers, for one response of its family:
  detect(response)          is this page of my family?
  is_report_column(resp)    is this page (or shell) the report column by its own structure?
  page_requests(response)   the column's other pages as `Fetch`es (GET pages, a POST to a data proxy, JSON API
                            pages); `list_pages` is the plain-GET shortcut most families need
  list_items(response)      the column's items (links with title and date), from HTML, XML records or JSON
  shell_target(response)    where a tiny forwarding page sends the browser (a literal URL), or None
  needs_browser(response)   True when only a browser can see the page's links (computed shells, lists
                            written by script with no API the adapter knows)
  links(response)           every link of the page
  body_selector(response)   the detail page's content container
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from scrapy.http import HtmlResponse

from harvester.extract.metadata import parse_date
from harvester.crawl.titles import norm_title

from . import scriptdata

DOC_EXT = re.compile(r"\.(?:pdf|docx?|wps|ofd|rtf|xlsx?|et|zip)(?:$|[?#])", re.I)
DOWNLOAD_HINT = re.compile(r"downfile|download|fileDown|getfile|attach", re.I)
DETAIL_HINT = re.compile(r"/t\d{8}_\d+\.\w+$|/art/\d{4}/|/content/|post_\d+\.html|/content_\d+\.htm", re.I)

# names of the report column, strongest first
COLUMN_TEXT = re.compile(r"^(?:政府)?信息公开(?:工作)?(?:年度报告|年报)$|^公开年报$|^年度报告$|^年报$|信息公开年报|信息公开工作年度报告")
COLUMN_HREF = re.compile(r"(?:zfxxgk|xxgk)?nb(?:/|$|_)|/(?:zfxxgknb|xxgknb|gknb|ndbg)\b", re.I)
# names of the disclosure portal
PORTAL_TEXT = re.compile(r"^(?:政府)?信息公开$|政府信息公开|信息公开专栏|^政务公开$|信息公开目录")
PORTAL_HREF = re.compile(r"/(?:zfxxgk|xxgk|gongkai|zwgk|govinfo)(?:/|$)", re.I)


@dataclass
class ListItem:
    url: str
    title: str
    date: str | None = None
    is_document: bool = False


@dataclass
class Fetch:
    """A request an adapter wants made for a column: a page, a POST to a data proxy, an API page."""
    url: str
    method: str = "GET"
    body: str | None = None
    headers: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)   # adapter state carried to the response (meta["adapter_state"])


_SCRIPT_WRITES = re.compile(r"createElement|innerHTML|appendChild|insertAdjacentHTML|document\.write|\.html\(|\.append\(")
_LOCATION = re.compile(r"location\s*(?:\.\s*(?:replace|assign|href)|=)|window\.open|navigate\(")
# a list container with an id or class and nothing in it
_EMPTY_LIST = ("//*[self::ul or self::ol or self::div or self::tbody or self::table][@id or @class]"
               "[not(*)][normalize-space(.)='']")


def link_text(a) -> str:
    """Full title of a list link: `title=` first (link text is often truncated with …)."""
    title = (a.attrib.get("title") or "").strip()
    text = norm_title(" ".join(a.css("::text").getall()))
    if title and (not text or text.endswith(("...", "…")) or len(norm_title(title)) >= len(text)):
        return norm_title(title)
    return text


def element_title(el) -> str:
    """Title of a list item that is not an <a>: `title=`, else its text without the date (`<li data-url>
    <span>title</span><em>2024-03-01</em></li>`, a table row with the date in its own cell)."""
    title = norm_title(el.attrib.get("title") or "")
    if title:
        return title
    parts = [norm_title(t) for t in el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()]
    parts = [t for t in parts if t and not (len(t) <= 24 and parse_date(t.strip("[]()（）")))]
    return max(parts, key=len) if len(parts) > 1 and max(map(len, parts)) >= 6 else "".join(parts)


def element_target(el) -> str | None:
    """Where a clickable element that is not a link goes: data-url/data-href/data-link, or the literal URL of
    its onclick (`location.href='…'`, `window.open('…')`)."""
    for name in ("data-url", "data-href", "data-link", "data-src"):
        value = (el.attrib.get(name) or "").strip()
        if value:
            return value
    return scriptdata.navigation_target(el.attrib.get("onclick") or "")


def page_links(sel, base_url: str):
    """(absolute url, text, element) of every link of a page or fragment: <a href>, and elements that navigate
    by script (onclick) or data attributes (data-url, data-href)."""
    for a in sel.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        yield urljoin(base_url, href), link_text(a), a
    for el in sel.xpath("//*[@onclick or @data-url or @data-href or @data-link]"):
        href = (el.attrib.get("href") or "").strip()
        if el.root.tag == "a" and href and not href.startswith(("javascript:", "#")):
            continue                      # a real link, listed above
        target = element_target(el)
        if not target or target.startswith(("javascript:", "#", "mailto:")):
            continue
        text = link_text(el) if el.root.tag == "a" else element_title(el)
        yield urljoin(base_url, target), text, el


def is_document_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(DOC_EXT.search(path) or DOC_EXT.search(url) or DOWNLOAD_HINT.search(path))


def item_date(a) -> str | None:
    """The list date next to a link: a sibling <span>/<b>/<em>, the parent's text, or (an item that is not an
    <a>) a date inside it."""
    texts = a.xpath("following-sibling::*[1]//text() | following-sibling::text()[1] | ../*[self::span or self::b or self::em or self::i]//text()").getall()
    if a.root.tag != "a":
        texts = a.xpath(".//text()").getall() + texts
    for t in texts:
        d = parse_date(t)
        if d:
            return d
    return None


class Platform:
    name = "base"

    def detect(self, response) -> bool:  # pragma: no cover - overridden
        return False

    def list_pages(self, response) -> list[str]:
        """URLs of the other pages of the column page `response` (absolute, in order)."""
        return []

    def page_requests(self, response) -> list[Fetch]:
        """Requests for the column's other pages; by default GETs of `list_pages`."""
        return [Fetch(u) for u in self.list_pages(response)]

    def is_report_column(self, response) -> bool:
        """The page is the report column (or the shell of one) by its family's own structure."""
        return False

    def needs_browser(self, response) -> bool:
        """Only a browser sees this page's links: a forwarding script with a computed target, or an empty list
        container filled by script. Only asked about entry and column pages the adapter found nothing on."""
        text = response.text if hasattr(response, "text") else ""
        if "<script" not in text.lower():
            return False
        scripts = " ".join(response.xpath("//script/text()").getall())
        has_src = bool(response.xpath("//script[@src]"))
        anchors = response.xpath("//body//a[@href]")
        if len(text) < 4000 and _LOCATION.search(scripts) and self.shell_target(response) is None and not anchors:
            return True           # a shell whose target is computed
        if response.xpath(_EMPTY_LIST) and (has_src or _SCRIPT_WRITES.search(scripts)):
            return True           # an empty list container and a script to fill it
        return False

    def shell_target(self, response) -> str | None:
        """A tiny page that only forwards (location.replace, meta refresh): where to — a literal URL only."""
        text = response.text if hasattr(response, "text") else ""
        if len(text) > 4000 or not isinstance(response, HtmlResponse):
            return None
        target = scriptdata.navigation_target(scriptdata.script_text(response))
        if not target:
            for content in response.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']/@content").getall():
                for part in content.split(";"):
                    key, eq, value = part.strip().partition("=")
                    if eq and key.strip().lower() == "url":
                        target = value.strip().strip("'\"")
        return urljoin(response.url, target) if target else None

    def links(self, response):
        """(absolute url, text, element) for every link of the page: anchors, onclick and data-url items."""
        if not isinstance(response, HtmlResponse):
            return
        yield from page_links(response, response.url)

    def list_items(self, response) -> list[ListItem]:
        items = []
        for url, text, a in self.links(response):
            if not text:
                continue
            items.append(ListItem(url=url, title=text, date=item_date(a), is_document=is_document_url(url)))
        return items

    def body_selector(self, response):
        for css in (".TRS_Editor", ".TRS_UEDITOR", ".trs_editor_view", "#ivs_content", "#webeditorview", "#zoom",
                    ".xxgk_content", "#UCAP-CONTENT", ".article-content", ".content", "article"):
            found = response.css(css)
            if found:
                return found[0]
        return None
