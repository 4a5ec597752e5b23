"""Hanweb jcms (大汉): `/col/col<id>/index.html` columns, `/art/Y/M/D/art_<col>_<id>.html` articles,
`/module/download/downfile.jsp?…&filename=<32hex>.pdf` attachments; and the newer jpaas JSON API.

A jcms column page embeds its first page as `<script type="text/xml"><datastore>…<record><![CDATA[<li>…`
and a `jpage({...})` call naming the data proxy, records per page, the record count and the POST form.
Later records come only from

    POST /module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P     (Referer: the column page)
    col=1&appid=1&webid=…&path=/&columnid=…&sourceContentType=1&unitid=…&webname=…&permissiontype=0

which answers a `<datastore>` with `totalrecord`, `totalpage` (not to be trusted: pages are counted from
`totalrecord`) and up to three pages of records. Records may have no link, a date split over lines or in
`<b readlabel>`, a sibling site's absolute link, and truncated link text (the full title is in `title=`).

A jpaas column page has an empty list filled by
`GET /api-gateway/jpaas-publish-server/front/page/build/unit?webId=…&pageId=<col>&…&rows=N&pageNo=k`
→ `{"success":true,"data":{"html":"<li>…</li>"}}`; pages are read until one comes back empty.
"""
from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from lxml import etree
from parsel import Selector

from . import scriptdata
from .base import Fetch, ListItem, Platform, is_document_url, item_date, link_text

PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
JPAAS_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
GROUP_PAGES = 3                     # pages a dataproxy call returns
MAX_RECORDS = 3000                  # guards a runaway totalrecord

FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")


def _column_id(path: str) -> str | None:
    """The column id of a jcms path `/col/col<id>/…`."""
    parts = path.split("/")
    for a, b in zip(parts, parts[1:]):
        if a == "col" and b.startswith("col") and b[3:].isdigit():
            return b[3:]
    return None


def _datastore(xml_text: str):
    """The <datastore> element of a jcms data island or proxy answer (lxml, CDATA kept as text)."""
    start = xml_text.find("<datastore")
    if start < 0:
        return None
    end = xml_text.rfind("</datastore>")
    chunk = xml_text[start:end + len("</datastore>")] if end > start else xml_text[start:]
    try:
        return etree.fromstring(chunk.encode("utf-8"), etree.XMLParser(recover=True, resolve_entities=False,
                                                                        no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return None


def _records(store) -> list[str]:
    return [r.text or "" for r in store.iter("record")] if store is not None else []


def _int_text(store, tag: str) -> int | None:
    el = store.find(f".//{tag}") if store is not None else None
    text = (el.text or "").strip() if el is not None else ""
    return int(text) if text.isdigit() else None


def _flat(conf: dict) -> dict[str, str]:
    """Keys and values of a jpage({...}) configuration, nested objects (ajaxParam) flattened."""
    out: dict[str, str] = {}
    for k, v in conf.items():
        if isinstance(v, dict):
            for k2, v2 in _flat(v).items():
                out.setdefault(k2, v2)
        elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
            out.setdefault(str(k), str(v))
    return out


class HanwebPlatform(Platform):
    name = "hanweb"

    def detect(self, response) -> bool:
        url = response.url
        if PROXY_PATH in url or JPAAS_PATH in url or _column_id(urlsplit(url).path) or "/art/" in url:
            return True
        text = response.text[:200000] if hasattr(response, "text") else ""
        return "<datastore>" in text or "jpage(" in text or JPAAS_PATH in text

    # ---- what kind of response ------------------------------------------------------------------
    @staticmethod
    def _is_proxy(response) -> bool:
        return PROXY_PATH in response.url

    @staticmethod
    def _is_jpaas(response) -> bool:
        return JPAAS_PATH in response.url

    def is_report_column(self, response) -> bool:
        return False   # jcms columns name themselves in <meta name="ColumnName">; the spider reads that

    # ---- pages ----------------------------------------------------------------------------------
    def page_requests(self, response) -> list[Fetch]:
        if self._is_jpaas(response):
            return self._jpaas_next(response)
        text = response.text if hasattr(response, "text") else ""
        if self._is_proxy(response):
            state = dict(response.meta.get("adapter_state") or {})
            total = _int_text(_datastore(text), "totalrecord")
            if not state or not total:
                return []
            return self._proxy_calls(state, total)
        fetches = []
        config = self._jpage_config(response)
        if config:
            state = {"kind": "proxy", **config}
            total = int(config.get("totalRecord") or 0)
            if total:
                fetches = self._proxy_calls(state, total)
            else:                         # no count on the page: ask for the next group, read totalrecord there
                fetches = self._proxy_calls(state, int(config["perPage"]) * (GROUP_PAGES + 1), first_only=True)
        params = self._jpaas_params(response)
        if params:
            fetches.append(self._jpaas_fetch(response.url, params, 1))
        return fetches

    def _jpage_config(self, response) -> dict | None:
        """perPage, totalRecord, proxy URL, the POST form and the column page, from a jcms column page."""
        text = response.text if hasattr(response, "text") else ""
        if "<datastore" not in text:
            return None
        script = scriptdata.script_text(response)
        conf: dict[str, str] = {}
        for args in scriptdata.calls(script, ".jpage"):
            if args and isinstance(args[0], (dict, scriptdata.Ref)):
                value = scriptdata.resolve_ref(script, args[0])
                if isinstance(value, dict):
                    conf = _flat(value)
                    break
        lower = {k.lower(): v for k, v in conf.items()}
        form: dict[str, str] = {}
        store = _datastore("".join(response.xpath("//script[@type='text/xml']/text()").getall()) or text)
        nextgroup = store.find(".//nextgroup") if store is not None else None
        if nextgroup is not None and nextgroup.text:
            for href in Selector(text=nextgroup.text).xpath("//a/@href").getall():
                form.update(dict(parse_qsl(urlsplit(href).query)))
                form.pop("page", None)
        for key in FORM_KEYS:
            if key.lower() in lower:
                form[key] = lower[key.lower()]
        colid = _column_id(urlsplit(response.url).path)
        if "columnid" not in form and colid:
            form["columnid"] = colid
        if "columnid" not in form:
            return None
        form.setdefault("col", "1")
        form.setdefault("appid", "1")
        form.setdefault("path", "/")
        form.setdefault("sourceContentType", "1")
        form.setdefault("permissiontype", "0")
        per = int(float(lower.get("perpage") or 15))
        return {"perPage": per, "totalRecord": int(float(lower.get("totalrecord") or 0)),
                "proxy": urljoin(response.url, lower.get("proxyurl") or PROXY_PATH), "form": form,
                "referer": response.url}

    def _proxy_calls(self, state: dict, total: int, first_only: bool = False) -> list[Fetch]:
        """POSTs for records perPage+1 … total, three pages a call (the first page is on the column page)."""
        per = int(state["perPage"])
        total = min(total, MAX_RECORDS)
        step = per * GROUP_PAGES
        out = []
        for start in range(per + 1, total + 1, step):
            end = start + step - 1
            url = f"{state['proxy']}?{urlencode({'startrecord': start, 'endrecord': end, 'perpage': per})}"
            out.append(Fetch(url, method="POST", body=urlencode(state["form"]),
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                                      "Referer": state["referer"], "X-Requested-With": "XMLHttpRequest"},
                             state={k: state[k] for k in ("kind", "perPage", "proxy", "form", "referer")}))
            if first_only:
                break
        return out

    def _jpaas_params(self, response) -> dict | None:
        """The list API's parameters: the script object that names the pageId (any spelling, any variable)."""
        text = response.text if hasattr(response, "text") else ""
        if JPAAS_PATH not in text:
            return None
        for obj in scriptdata.objects(scriptdata.script_text(response)):
            if isinstance(obj, dict) and any(str(k).lower() == "pageid" for k in obj):
                params = {str(k): str(v) for k, v in obj.items() if isinstance(v, (str, int, float))}
                page_id = next(v for k, v in params.items() if k.lower() == "pageid")
                return params if page_id else None
        return None

    def _jpaas_fetch(self, page_url: str, params: dict, page: int) -> Fetch:
        q = {**params, "pageNo": str(page)}
        return Fetch(f"{urljoin(page_url, JPAAS_PATH)}?{urlencode(q)}", headers={"Referer": page_url},
                     state={"kind": "jpaas", "params": params, "page": page, "referer": page_url})

    def _jpaas_next(self, response) -> list[Fetch]:
        """The next API page while this one had items."""
        state = response.meta.get("adapter_state") or {}
        if not state or not self._jpaas_html(response).strip():
            return []
        if state["page"] >= 500:
            return []
        return [self._jpaas_fetch(state["referer"], state["params"], state["page"] + 1)]

    # ---- items ----------------------------------------------------------------------------------
    @staticmethod
    def _jpaas_html(response) -> str:
        data = scriptdata.parse_data(getattr(response, "text", ""), {})
        html = scriptdata.find_key(data, "html") if isinstance(data, (dict, list)) else None
        return html if isinstance(html, str) else ""

    def _items_from_fragments(self, base_url: str, fragments: list[str]) -> list[ListItem]:
        items = []
        for frag in fragments:
            sel = Selector(text=frag)
            for a in sel.css("a[href]"):
                href = (a.attrib.get("href") or "").strip()
                if not href or href.startswith(("javascript:", "#")):
                    continue
                title = link_text(a)
                if not title:
                    continue
                url = urljoin(base_url, href)
                date = item_date(a) or _date_in(sel)
                items.append(ListItem(url=url, title=title, date=date, is_document=is_document_url(url)))
        return items

    def list_items(self, response) -> list[ListItem]:
        if self._is_jpaas(response):
            return self._items_from_fragments(response.url, [self._jpaas_html(response)])
        text = response.text if hasattr(response, "text") else ""
        if self._is_proxy(response):
            return self._items_from_fragments(response.url, _records(_datastore(text)))
        items = []
        if "<datastore" in text:
            island = "".join(response.xpath("//script[@type='text/xml']/text()").getall()) or text
            items = self._items_from_fragments(response.url, _records(_datastore(island)))
        return items + super().list_items(response)

    def body_selector(self, response):
        for css in ("#zoom", ".main-txt", ".article-content", "#barrierfree_container .article", ".bt_content"):
            found = response.css(css)
            if found:
                return found[0]
        return super().body_selector(response)


def _date_in(sel) -> str | None:
    from harvester.extract.metadata import parse_date
    for t in sel.xpath("//text()").getall():
        d = parse_date(t.strip())
        if d:
            return d
    return None


def pages_from_total(total: int, per: int) -> int:
    """Pages of a jcms column: from its record count (the proxy's `totalpage` can be wrong)."""
    return max(1, math.ceil(total / max(per, 1)))
