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

from harvester.extract.metadata import parse_date
from harvester.titles import norm_title

DOC_EXT = re.compile(r"\.(pdf|docx?|wps|ofd|rtf|xlsx?|et|zip)(?:$|[?#])", re.I)
DOWNLOAD_HINT = re.compile(r"downfile|download|fileDown|getfile|attach", re.I)
DETAIL_HINT = re.compile(r"/t\d{8}_\d+\.s?html?$|/art/\d{4}/|/content/|post_\d+\.html|/content_\d+\.htm", re.I)

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
_EMPTY_LIST = re.compile(r"<(ul|ol|div|tbody|table)\b[^>]*(?:id|class)=[\"'][^\"']*[\"'][^>]*>\s*</\1>", re.I)


def link_text(a) -> str:
    """Full title of a list link: `title=` first (link text is often truncated with …)."""
    title = (a.attrib.get("title") or "").strip()
    text = norm_title(" ".join(a.css("::text").getall()))
    if title and (not text or text.endswith(("...", "…")) or len(norm_title(title)) >= len(text)):
        return norm_title(title)
    return text


def is_document_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(DOC_EXT.search(path) or DOC_EXT.search(url) or DOWNLOAD_HINT.search(path))


def item_date(a) -> str | None:
    """The list date next to a link: a sibling <span>/<b>/<em> or the parent's text."""
    texts = a.xpath("following-sibling::*[1]//text() | following-sibling::text()[1] | ../*[self::span or self::b or self::em or self::i]//text()").getall()
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
        if _EMPTY_LIST.search(text) and (has_src or _SCRIPT_WRITES.search(scripts)):
            return True           # an empty list container and a script to fill it
        return False

    def shell_target(self, response) -> str | None:
        """A tiny page that only forwards (location.replace, meta refresh): where to."""
        text = response.text if hasattr(response, "text") else ""
        if len(text) > 4000:
            return None
        m = (re.search(r"location\.(?:replace|assign)\(\s*['\"]([^'\"]+)['\"]", text)
             or re.search(r"(?:window\.|document\.|top\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]", text)
             or re.search(r"http-equiv=['\"]?refresh['\"]?[^>]*content=['\"][^'\"]*url=([^'\">]+)", text, re.I))
        return urljoin(response.url, m.group(1).strip()) if m else None

    def links(self, response):
        """(absolute url, text, anchor selector) for every link of the page's main part."""
        for a in response.css("a[href]"):
            href = (a.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
                continue
            yield response.urljoin(href), link_text(a), a

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
