"""Lists without links: report items in a page's data, and list fragments loaded from URLs only scripts name.

Every family's column pages go through this generic step as well as through their own adapter:

  data_items(response)         ListItems from the page's inline data — any object or array holding a
                               title-like string and a URL-like string (and maybe a date) is a list item,
                               wherever it sits: `var list = [{…}]`, `arr[i] = ["title", "href", "2019-03-28"]`,
                               `JSON.parse('…')`, `<script type="application/json">`, `data-*` attributes,
                               JSON inside JSON, HTML fragments inside strings
  fragment_fetches(response)   the list fragments a page loads: `$.ajax`/`$.get`/`$.post`/`$.getJSON`/`.load`,
                               `fetch`, `axios`, `xhr.open` with a literal URL (their parameters resolved from
                               the page's variables), and list forms (POST, or a page field) when asked
  frame_urls(response)         `<iframe src>` / `<frame src>` — pages of the column, read like the column
  captured_fetches(requests)   the XHR/fetch requests a rendered page made (spiders/capture.py), as fetches
  FragmentPlatform             the adapter for those answers (HTML fragments, JSON, JSONP): items as above;
                               later pages by the page-like parameter (page, pageNo, curPage, …) up to the
                               declared total (totalPage, pageCount, or total records / page size), or while
                               a page brings new items

Nothing here depends on how a value is spelled: values come from spiders/platforms/scriptdata.
"""
from __future__ import annotations

import hashlib
import json
import math
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import HtmlResponse

from harvester.extract.metadata import parse_date
from harvester.crawl.titles import is_report_title, norm_title

from . import scriptdata
from .base import DOC_EXT, Fetch, ListItem, Platform, is_document_url, item_date, page_links

MAX_ITEMS = 2000
MAX_FRAGMENTS = 6            # fragment requests one page may start
MAX_PAGES = 200              # pages of one fragment series
MAX_SEEN = 4000

PAGE_KEYS = {"page", "pageno", "pageindex", "curpage", "currentpage", "pagenum", "pagenumber", "pn", "p", "cp",
             "nowpage", "pagecur", "curpageno", "currpage", "pageidx"}
TOTAL_PAGE_KEYS = ("totalPage", "totalPages", "pageCount", "pages", "page_count", "pageTotal", "countPage",
                   "allPage", "total_page", "pageSum", "totalpage", "pagecount")
TOTAL_RECORD_KEYS = ("totalRecord", "totalrecord", "total", "totalCount", "recordCount", "totalNum", "countnum",
                     "total_count", "totalElements", "rowCount", "records", "count")
SIZE_KEYS = ("rows", "pageSize", "pagesize", "perPage", "perpage", "size", "limit", "page_size", "psize", "num")
URL_KEYS = ("url", "href", "link", "linkurl", "docurl", "path", "src", "file", "fileurl", "jump_url", "detailurl",
            "pageurl", "uri", "u")
TITLE_KEYS = ("title", "name", "text", "subject", "doctitle", "bt", "label", "t", "caption")
DATE_KEYS = ("date", "time", "pubdate", "publishdate", "publish_date", "created_at", "createtime", "fbrq",
             "releasedate", "pubtime", "d")
WEB_EXT = (".html", ".htm", ".shtml", ".jsp", ".jspx", ".asp", ".aspx", ".php", ".do", ".action", ".xhtml")
STATIC_EXT = (".js", ".css", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".woff", ".woff2", ".ttf", ".map")

AJAX = (("$.ajax", "options"), ("jQuery.ajax", "options"), ("axios", "options"), ("$.get", "GET"),
        ("jQuery.get", "GET"), ("$.getJSON", "GET"), ("jQuery.getJSON", "GET"), ("axios.get", "GET"),
        ("$.post", "POST"), ("jQuery.post", "POST"), ("axios.post", "POST"), (".load", "load"), ("fetch", "fetch"))


# ----------------------------------------------------------------------------------------------
# what a string is
# ----------------------------------------------------------------------------------------------

def _cjk(s: str) -> int:
    return sum(1 for c in s if "\u4e00" <= c <= "\u9fff")


def _urlish(s: str) -> bool:
    t = s.strip()
    if not t or len(t) > 600 or any(c.isspace() for c in t) or "<" in t or _cjk(t) > 20:
        return False
    if t.startswith(("http://", "https://", "//", "/", "./", "../")):
        return len(t) > 1 and not t.startswith("/*")
    path = urlsplit(t).path.lower()
    return path.endswith(WEB_EXT) or bool(DOC_EXT.search(path))


def _dateish(s: str) -> str | None:
    t = s.strip()
    if len(t) > 32 or _cjk(t) > 3:
        return None
    return parse_date(t)


def _titleish(s: str) -> str | None:
    t = s.strip()
    if "%" in t and not _cjk(t):
        decoded = unquote(t)
        if _cjk(decoded):
            t = decoded
    if _urlish(t) or _dateish(t) or _cjk(t) < 2 or "<" in t:
        return None
    return norm_title(t)


def _has_links(s: str) -> bool:
    low = s[:200000].lower()
    return "<a" in low and "href" in low or "data-url" in low or "onclick" in low


# ----------------------------------------------------------------------------------------------
# records in data
# ----------------------------------------------------------------------------------------------

def _record(pairs: list[tuple], base_url: str) -> ListItem | None:
    """A list item from one record's (key, value) pairs: a title-like and a URL-like string, maybe a date."""
    strings = [(str(k).lower(), v.strip()) for k, v in pairs if isinstance(v, str) and v.strip()]
    urls = [(k, v) for k, v in strings if _urlish(v)]
    if not urls:
        return None
    titles = [(k, t) for k, t in ((k, _titleish(v)) for k, v in strings) if t]
    if not titles:
        return None
    url = next((v for key in URL_KEYS for k, v in urls if k == key), urls[0][1])
    title = (next((t for _k, t in titles if is_report_title(t)), None)
             or next((t for key in TITLE_KEYS for k, t in titles if k == key), None)
             or max((t for _k, t in titles), key=len))
    dates = [(k, d) for k, d in ((k, _dateish(v)) for k, v in strings) if d]
    date = next((d for key in DATE_KEYS for k, d in dates if k == key), dates[0][1] if dates else None)
    full = urljoin(base_url, url)
    return ListItem(url=full, title=title, date=date, is_document=is_document_url(full))


def records(value, base_url: str) -> list[ListItem]:
    """Every list item in a parsed value: each object or array of scalars that is a record (a record is not
    searched further: its attachments are not items of the list), and the links of HTML fragments in strings,
    and JSON inside strings."""
    out: list[ListItem] = []

    def visit(v, depth: int) -> None:
        if len(out) >= MAX_ITEMS or depth > 12:
            return
        if isinstance(v, dict):
            item = _record(list(v.items()), base_url)
            if item is not None:
                out.append(item)
                return
            for x in v.values():
                visit(x, depth + 1)
        elif isinstance(v, list):
            if 2 <= len(v) <= 12 and all(not isinstance(x, (dict, list)) for x in v):
                item = _record(list(enumerate(v)), base_url)
                if item is not None:
                    out.append(item)
                    return
            for x in v[:MAX_ITEMS]:
                visit(x, depth + 1)
        elif isinstance(v, str) and len(v) > 10:
            t = v.strip()
            if t[:1] in "{[":
                inner = scriptdata.parse_data(t)
                if isinstance(inner, (dict, list)):
                    visit(inner, depth + 1)
                    return
            if _has_links(t):
                out.extend(fragment_items(t, base_url))
    visit(value, 0)
    return out


def _near_date(el) -> str | None:
    d = item_date(el)
    if d:
        return d
    for text in el.xpath("ancestor::*[self::li or self::tr or self::dl or self::dd or self::p or self::div][1]"
                         "//text()").getall():
        d = _dateish(text.strip("[]()（） \n\t")) if len(text.strip()) <= 32 else None
        if d:
            return d
    return None


def fragment_items(html: str, base_url: str) -> list[ListItem]:
    """The links of an HTML fragment (`<li><a href=…>…</a><b>2024-01-20</b></li>`) as list items."""
    return _selector_items(Selector(text=html), base_url)


def _selector_items(sel, base_url: str) -> list[ListItem]:
    items = []
    for url, title, el in page_links(sel, base_url):
        if title:
            items.append(ListItem(url=url, title=title, date=_near_date(el), is_document=is_document_url(url)))
    return items


def _dedupe(items: list[ListItem]) -> list[ListItem]:
    seen, out = set(), []
    for i in items:
        if i.url not in seen:
            seen.add(i.url)
            out.append(i)
    return out


def data_items(response) -> list[ListItem]:
    """List items in an HTML page's inline data: its scripts' object and array literals and JSON.parse strings,
    HTML built from string literals (`innerHTML = '<li><a …>'`), JSON in data attributes and hidden inputs."""
    if not isinstance(response, HtmlResponse):
        return []
    items: list[ListItem] = []
    for text in scriptdata.scripts(response):
        for obj in scriptdata.objects(text):
            items += records(obj, response.url)
        for s in scriptdata.strings(text):
            if len(s) > 10 and _has_links(s):
                items += fragment_items(s, response.url)
        if len(items) >= MAX_ITEMS:
            break
    for value in response.xpath("//@*[starts-with(name(), 'data-')] | //input[@type='hidden']/@value").getall():
        if value.strip()[:1] in "{[":
            items += records(scriptdata.parse_data(value), response.url)
    return _dedupe(items)[:MAX_ITEMS]


# ----------------------------------------------------------------------------------------------
# fragments a page loads
# ----------------------------------------------------------------------------------------------

def _page_key(params: dict) -> str | None:
    for k, v in params.items():
        if k.lower().replace("_", "").replace("-", "") in PAGE_KEYS and str(v).strip().lstrip("-").isdigit():
            return k
    return None


def _scalar(v) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, int, float)):
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return None


def _params(script: str, data) -> dict | None:
    """A request's parameters: an object (identifiers resolved in the page's scripts), or a query string.
    An unresolvable page number is the first page."""
    data = scriptdata.resolve_name(script, data)
    if data is None:
        return {}
    if isinstance(data, str):
        return dict(parse_qsl(data.lstrip("?"), keep_blank_values=True))
    if not isinstance(data, dict):
        return None
    out = {}
    for k, v in data.items():
        v = scriptdata.resolve_name(script, v)
        value = None if isinstance(v, (scriptdata.Ref, dict, list)) or v is scriptdata.COMPUTED else _scalar(v)
        if str(k).lower().replace("_", "") in PAGE_KEYS and not (value or "").isdigit():
            value = "1"                   # the page number is the loop's variable: start at the first page
        if value is not None:
            out[str(k)] = value
    return out


def request_fetch(base_url: str, url: str, method: str = "GET", params: dict | None = None, *,
                  json_body: bool = False, referer: str = "", extra: dict | None = None) -> Fetch:
    """A fragment request as a Fetch: GET parameters (the URL's own query among them) or a POST body; the
    state the pager needs to ask for the next page."""
    full = urljoin(base_url, url)
    parts = urlsplit(full)
    method = (method or "GET").upper()
    params = dict(params or {})
    if method == "GET":
        params = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **params}
        endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    else:
        endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    key = _page_key(params)
    state = {"kind": "fragment", "endpoint": endpoint, "method": method, "params": params, "json": json_body,
             "referer": referer or base_url, "page_key": key, "page": int(params[key]) if key else None,
             **(extra or {})}
    state["first"] = state["page"]
    return fragment_page(state, state["page"])


def fragment_page(state: dict, page: int | None, **changes) -> Fetch:
    st = {**state, **changes, "page": page}
    params = dict(st["params"])
    if st.get("page_key") and page is not None:
        params[st["page_key"]] = str(page)
    headers = {"X-Requested-With": "XMLHttpRequest", "Referer": st["referer"]}
    if st["method"] == "GET":
        url = st["endpoint"] + ("?" + urlencode(params) if params else "")
        return Fetch(url, headers=headers, state=st)
    if st.get("json"):
        body = json.dumps(params, ensure_ascii=False)
        headers["Content-Type"] = "application/json;charset=UTF-8"
    else:
        body = urlencode(params)
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
    return Fetch(st["endpoint"], method=st["method"], body=body, headers=headers, state=st)


def _ajax_calls(script: str, base_url: str) -> list[Fetch]:
    out = []
    for name, how in AJAX:
        for args in scriptdata.calls(script, name):
            if not args:
                continue
            first = scriptdata.resolve_name(script, args[0])
            second = scriptdata.resolve_name(script, args[1]) if len(args) > 1 else None
            json_body = False
            if how == "options":
                if not isinstance(first, dict):
                    continue
                opts = {str(k).lower(): v for k, v in first.items()}
                url = scriptdata.resolve_name(script, opts.get("url"))
                method = str(scriptdata.resolve_name(script, opts.get("type") or opts.get("method")) or "GET")
                data = opts.get("data") if "data" in opts else opts.get("params")
                ctype = str(opts.get("contenttype") or "")
                json_body = "json" in ctype.lower()
                if isinstance(scriptdata.resolve_name(script, data), str) and json_body:
                    data = scriptdata.parse_data(scriptdata.resolve_name(script, data), {})
            elif how == "fetch":
                url, init = first, second if isinstance(second, dict) else {}
                init = {str(k).lower(): v for k, v in init.items()}
                method = str(init.get("method") or "GET")
                data = init.get("body")
                headers = init.get("headers") if isinstance(init.get("headers"), dict) else {}
                json_body = any("json" in str(v).lower() for v in headers.values())
                if isinstance(data, str) and json_body:
                    data = scriptdata.parse_data(data, {})
            elif how == "load":
                url, data = first, second
                method = "POST" if isinstance(second, dict) else "GET"
                if isinstance(url, str):
                    url = url.split(" ", 1)[0]          # `.load("/list.html #items")`
            else:
                url, data, method = first, second, how
                if name.startswith("axios") and isinstance(second, dict) and how == "GET":
                    data = {str(k).lower(): v for k, v in second.items()}.get("params")
                json_body = name.startswith("axios") and how == "POST"
            if not isinstance(url, str) or not url.strip() or url.startswith(("javascript:", "#")):
                continue
            params = _params(script, data)
            if params is None:
                continue
            out.append(request_fetch(base_url, url.strip(), method if method.upper() in ("GET", "POST") else "GET",
                                     params, json_body=json_body, referer=base_url))
    # XMLHttpRequest: xhr.open("GET", url) … xhr.send(body)
    for args in scriptdata.calls(script, ".open"):
        if len(args) >= 2 and isinstance(args[0], str) and args[0].upper() in ("GET", "POST"):
            url = scriptdata.resolve_name(script, args[1])
            if isinstance(url, str) and url.strip():
                body = next((a[0] for a in scriptdata.calls(script, ".send") if a and isinstance(a[0], str)), "")
                out.append(request_fetch(base_url, url.strip(), args[0], _params(script, body) or {},
                                         referer=base_url))
    return out


def _form_fetches(response) -> list[Fetch]:
    """List forms submitted with their default values: POST forms, and GET forms with a page field (a search
    box alone is not a list)."""
    out = []
    for form in response.xpath("//form"):
        method = (form.attrib.get("method") or "GET").upper()
        fields: dict[str, str] = {}
        for inp in form.xpath(".//input[@name]"):
            kind = (inp.attrib.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset", "password"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in inp.attrib:
                continue
            fields[inp.attrib["name"]] = inp.attrib.get("value") or ""
        for sel in form.xpath(".//select[@name]"):
            opts = sel.xpath("option[@selected]") or sel.xpath("option")
            fields[sel.attrib["name"]] = (opts[0].attrib.get("value") if opts else "") or ""
        for ta in form.xpath(".//textarea[@name]"):
            fields[ta.attrib["name"]] = "".join(ta.xpath("text()").getall())
        if method != "POST" and not _page_key(fields):
            continue
        action = form.attrib.get("action") or response.url
        if action.strip().startswith(("javascript:", "#")):
            action = response.url
        out.append(request_fetch(response.url, action.strip(), method if method in ("GET", "POST") else "GET",
                                 fields, referer=response.url))
    return out


def _fetchable(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return not path.endswith(STATIC_EXT) and not is_document_url(url)


def fragment_fetches(response, skip: set[tuple[str, str]] | None = None, *, forms: bool = False) -> list[Fetch]:
    """The list fragments a page loads from URLs written in its scripts (and its list forms when `forms`),
    except the (method, path) pairs in `skip` (what the family adapter asks for already)."""
    if not isinstance(response, HtmlResponse):
        return []
    script = scriptdata.script_text(response)
    found = _ajax_calls(script, response.url) if script else []
    if forms:
        found += _form_fetches(response)
    out, seen = [], set(skip or ())
    for f in found:
        key = (f.method, urlsplit(f.url).path)
        if key in seen or not _fetchable(f.url) or f.url.split("#")[0] == response.url.split("#")[0] \
                and f.method == "GET":
            continue
        seen.add(key)
        out.append(f)
    return out[:MAX_FRAGMENTS]


def frame_urls(response) -> list[str]:
    """Pages a column page shows in frames (`<iframe src>`), absolute."""
    if not isinstance(response, HtmlResponse):
        return []
    out = []
    for src in response.xpath("//iframe/@src | //frame/@src").getall():
        src = src.strip()
        if src and not src.startswith(("about:", "javascript:", "data:", "#")):
            url = urljoin(response.url, src)
            if _fetchable(url) and url not in out:
                out.append(url)
    return out[:MAX_FRAGMENTS]


def captured_fetches(requests: list[dict], page_url: str) -> tuple[list[Fetch], list[str]]:
    """What a rendered page asked for (spiders/capture.py): XHR/fetch calls as fragment fetches (marked
    `captured`), frame documents as pages."""
    fetches, frames = [], []
    for r in requests or []:
        url, kind = r.get("url") or "", r.get("type") or ""
        if not url.startswith(("http://", "https://")) or not _fetchable(url) or url.split("#")[0] == page_url:
            continue
        if kind == "document":
            if url not in frames:
                frames.append(url)
            continue
        headers = {str(k).lower(): v for k, v in (r.get("headers") or {}).items()}
        body = r.get("body") or ""
        json_body = "json" in headers.get("content-type", "")
        params = (scriptdata.parse_data(body, {}) if json_body else dict(parse_qsl(body, keep_blank_values=True))) \
            if r.get("method", "GET").upper() != "GET" else {}
        if not isinstance(params, dict):
            params = {}
        params = {str(k): _scalar(v) for k, v in params.items() if _scalar(v) is not None}
        f = request_fetch(page_url, url, r.get("method", "GET"), params, json_body=json_body,
                          referer=headers.get("referer") or page_url, extra={"captured": True})
        if all((f.method, urlsplit(f.url).path) != (g.method, urlsplit(g.url).path) for g in fetches):
            fetches.append(f)           # a call repeated (a counter polled every second) is asked once
    return fetches[:MAX_FRAGMENTS], frames[:MAX_FRAGMENTS]


def api_spec(state: dict, column: str) -> dict:
    """How to ask for a column's list again over plain HTTP (remembered per site: harvester/db site_apis)."""
    first = fragment_page(state, state.get("first"))
    return {"column": column, "method": first.method, "url": first.url, "body": first.body or "",
            "headers": {k: v for k, v in first.headers.items() if k in ("Content-Type", "X-Requested-With")}}


def api_fetch(spec: dict) -> Fetch:
    """A remembered list API (api_spec) as a fragment fetch again."""
    headers = {str(k).lower(): v for k, v in (spec.get("headers") or {}).items()}
    json_body = "json" in headers.get("content-type", "")
    body = spec.get("body") or ""
    params = (scriptdata.parse_data(body, {}) if json_body else dict(parse_qsl(body, keep_blank_values=True))) \
        if spec.get("method", "GET").upper() != "GET" else {}
    params = {str(k): _scalar(v) for k, v in (params if isinstance(params, dict) else {}).items()
              if _scalar(v) is not None}
    return request_fetch(spec["column"], spec["url"], spec.get("method", "GET"), params, json_body=json_body,
                         referer=spec["column"], extra={"remembered": True})


# ----------------------------------------------------------------------------------------------
# the adapter of fragment answers
# ----------------------------------------------------------------------------------------------

def _h(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]


def _top_key(data, names: tuple[str, ...], depth: int = 0):
    """A value under one of `names` in the answer's objects, not inside its lists (the records)."""
    wanted = {n.lower() for n in names}
    if not isinstance(data, dict) or depth > 4:
        return None
    for k, v in data.items():
        if str(k).lower() in wanted and scriptdata.as_int(v) is not None:
            return scriptdata.as_int(v)
    for v in data.values():
        found = _top_key(v, names, depth + 1)
        if found is not None:
            return found
    return None


class FragmentPlatform(Platform):
    """Answers to fragment requests: HTML fragments, JSON, JSONP; paged by their page parameter."""
    name = "fragment"

    def detect(self, response) -> bool:
        return False

    def _data(self, response):
        text = getattr(response, "text", "") or ""
        if isinstance(response, HtmlResponse) or text.lstrip()[:1] == "<":
            return None
        return scriptdata.parse_data(text)

    def list_items(self, response) -> list[ListItem]:
        cached = response.meta.get("_fragment_items") if hasattr(response, "meta") else None
        if cached is not None:
            return cached
        data = self._data(response)
        if data is not None:
            items = records(data, response.url)
        elif isinstance(response, HtmlResponse):
            items = _selector_items(response, response.url) + data_items(response)
        else:
            items = fragment_items(getattr(response, "text", "") or "", response.url)
        items = _dedupe(items)
        try:
            response.meta["_fragment_items"] = items
        except AttributeError:
            pass
        return items

    def declared_pages(self, response, state: dict, n_items: int) -> int | None:
        """Pages the answer says the series has: a page count, or records / page size."""
        data = self._data(response)
        if data is None and isinstance(response, HtmlResponse):
            script = scriptdata.script_text(response)
            data = {inp.attrib["name"]: inp.attrib.get("value") for inp in response.xpath("//input[@name]")}
            for k in TOTAL_PAGE_KEYS + TOTAL_RECORD_KEYS:
                value = scriptdata.value_of(script, k)
                if value is not None:
                    data[k] = value
        pages = _top_key(data, TOTAL_PAGE_KEYS)
        if pages:
            return pages
        total = _top_key(data, TOTAL_RECORD_KEYS)
        size = next((scriptdata.as_int(v) for k, v in state.get("params", {}).items()
                     if k.lower() in {s.lower() for s in SIZE_KEYS} and scriptdata.as_int(v)), None) or n_items
        return math.ceil(total / size) if total and size else None

    def page_requests(self, response) -> list[Fetch]:
        state = response.meta.get("adapter_state") or {}
        key, page = state.get("page_key"), state.get("page")
        if state.get("kind") != "fragment" or not key or page is None or state.get("declared"):
            return []
        items = self.list_items(response)
        first = state.get("first", page)
        if page == first:
            total = self.declared_pages(response, state, len(items))
            if total:
                last = first + min(total, MAX_PAGES) - 1
                return [fragment_page(state, p, declared=True) for p in range(first + 1, last + 1)]
        seen = set(state.get("seen") or ())
        new = {_h(i.url) for i in items} - seen
        if not new or page - first + 1 >= MAX_PAGES:
            return []
        return [fragment_page(state, page + 1, seen=sorted(seen | new)[:MAX_SEEN])]
