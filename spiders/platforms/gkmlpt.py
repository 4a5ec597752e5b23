"""Guangdong gkmlpt (政府信息公开目录管理平台).

`/<unit>/gkmlpt/index#<catid>` is a Vue shell: `window._CONFIG = {SID: '…', TREE: [{id, name, children,
jump_url, post_count}…]}` and no links. The report category is the TREE node named like a 年报 column
(the `#catid` of the link that led here wins when it names one); its articles come from

    GET /gkmlpt/api/all/<catid>?page=<n>&sid=<SID>
    → {"classify": {"post_count": N}, "articles": [{"id", "title", "url", "created_at", "attachment": […]}…]}

100 articles a page; pages start at 1 (page 0 repeats page 1). `all/<catid>` includes the sub-categories.
Details are `/gkmlpt/content/<major>/<folder>/post_<id>.html` (an 8-field table, the body in
`.article-content`, `_CONFIG.DETAIL` with the attachments).
"""
from __future__ import annotations

import math
from urllib.parse import urlencode, urljoin, urlsplit

from harvester.extract.metadata import parse_date
from harvester.crawl.titles import norm_title

from . import scriptdata
from .base import COLUMN_TEXT, Fetch, ListItem, Platform, is_document_url

API = "/gkmlpt/api/all/"
PAGE_SIZE = 100
MAX_PAGES = 100


def _nodes(tree: list) -> list[dict]:
    out = []
    for n in tree or []:
        if isinstance(n, dict):
            out.append(n)
            out += _nodes(n.get("children") or [])
    return out


class GkmlptPlatform(Platform):
    name = "gkmlpt"

    def detect(self, response) -> bool:
        if API in response.url or "/gkmlpt/" in response.url:
            return True
        text = response.text[:200000] if hasattr(response, "text") else ""
        return "_CONFIG" in text and ("TREE" in text or "DETAIL" in text)

    # ---- the shell ------------------------------------------------------------------------------
    def config(self, response) -> tuple[str | None, list]:
        """SID and TREE of the shell's `_CONFIG`, however it is written: a JS literal, JSON, a JSON.parse
        string, or one property at a time (`_CONFIG.SID = …`)."""
        text = response.text if hasattr(response, "text") else ""
        if "_CONFIG" not in text:
            return None, []
        script = scriptdata.script_text(response)
        conf = scriptdata.value_of(script, "_CONFIG")
        sid = scriptdata.find_key(conf, "SID") if isinstance(conf, dict) else None
        tree = scriptdata.find_key(conf, "TREE") if isinstance(conf, dict) else None
        if sid is None:
            sid = scriptdata.value_of(script, "SID")
        if not isinstance(tree, list):
            tree = scriptdata.value_of(script, "TREE")
        sid = str(sid) if isinstance(sid, (str, int)) and not isinstance(sid, bool) and str(sid).strip() else None
        return sid, tree if isinstance(tree, list) else []

    def report_nodes(self, response) -> list[dict]:
        """The TREE nodes that are report categories: the linked `#catid` if it is one, else every node named
        like a 年报 column whose parent is not one already."""
        _sid, tree = self.config(response)
        wanted = response.meta.get("fragment") or urlsplit(response.url).fragment
        picked = []

        def walk(nodes, under_report):
            for n in nodes:
                is_report = bool(COLUMN_TEXT.search(norm_title(str(n.get("name", "")))))
                if is_report and not under_report:
                    picked.append(n)
                walk(n.get("children") or [], under_report or is_report)
        walk(tree, False)
        if wanted:
            chosen = [n for n in _nodes(tree) if str(n.get("id")) == wanted]
            if chosen and (COLUMN_TEXT.search(norm_title(str(chosen[0].get("name", "")))) or not picked):
                return chosen
        return picked

    def is_report_column(self, response) -> bool:
        return API not in response.url and bool(self.report_nodes(response))

    # ---- pages ----------------------------------------------------------------------------------
    def page_requests(self, response) -> list[Fetch]:
        if API in response.url:
            return self._more_pages(response)
        sid, _tree = self.config(response)
        if not sid:
            return []
        return [self._api(response.url, node["id"], sid, 1) for node in self.report_nodes(response)]

    @staticmethod
    def _api(page_url: str, catid, sid: str, page: int) -> Fetch:
        url = urljoin(page_url, f"{API}{catid}?{urlencode({'page': page, 'sid': sid})}")
        return Fetch(url, headers={"Accept": "application/json"},
                     state={"kind": "gkmlpt", "catid": str(catid), "sid": sid, "page": page, "referer": page_url})

    def _more_pages(self, response) -> list[Fetch]:
        state = response.meta.get("adapter_state") or {}
        data = self._json(response)
        if not state or state.get("page") != 1 or not data:
            return []
        count = int(((data.get("classify") or {}).get("post_count")) or 0)
        n = len(data.get("articles") or [])
        if not n or n >= count:                      # the whole category on one page (page 2 answers 404)
            return []
        per = n                                      # a full first page tells the page size
        pages = min(math.ceil(count / per), MAX_PAGES)
        return [self._api(state["referer"], state["catid"], state["sid"], p) for p in range(2, pages + 1)]

    @staticmethod
    def _json(response) -> dict | None:
        data = scriptdata.parse_data(getattr(response, "text", ""))
        return data if isinstance(data, dict) else None

    # ---- items ----------------------------------------------------------------------------------
    def list_items(self, response) -> list[ListItem]:
        if API not in response.url:
            return super().list_items(response) if "_CONFIG" not in (getattr(response, "text", "") or "") else []
        data = self._json(response) or {}
        items = []
        for art in data.get("articles") or []:
            url, title = art.get("url"), norm_title(art.get("title") or "")
            if not url or not title:
                continue
            url = urljoin(response.url, url)
            items.append(ListItem(url=url, title=title, date=parse_date(str(art.get("created_at") or "")),
                                  is_document=is_document_url(url)))
        return items

    def body_selector(self, response):
        for css in (".article-content", ".content-text", "#zoom"):
            found = response.css(css)
            if found:
                return found[0]
        return super().body_selector(response)
