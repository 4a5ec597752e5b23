"""Helpers for the simulated-portal tests: HTTP fetch, HTML table grids, a minimal reference crawler."""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import deque
from urllib.parse import urljoin, urlsplit

import lxml.html

from harvester.devportal.reports import COLS, T4_BLOCKS, T4_PARTS, _rows3


def fetch(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as f:
            return f.status, {k.lower(): v for k, v in f.headers.items()}, f.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def decode(headers: dict, body: bytes) -> str:
    m = re.search(r"charset=([\w-]+)", headers.get("content-type", ""))
    if not m:
        m = re.search(rb'charset="?([\w-]+)', body[:1024])
        enc = m.group(1).decode() if m else "utf-8"
    else:
        enc = m.group(1)
    enc = {"gb2312": "gb18030", "gbk": "gb18030"}.get(enc.lower(), enc)
    return body.decode(enc)


def table_grid(table) -> list[list[str]]:
    """Expand rowspan/colspan of an lxml <table> into a full grid of cell texts."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            text = "".join(td.itertext()).strip()
            for i in range(rs):
                for j in range(cs):
                    grid[(r + i, c + j)] = text
            c += cs
    nr = max(k[0] for k in grid) + 1
    nc = max(k[1] for k in grid) + 1
    return [[grid.get((r, c), "") for c in range(nc)] for r in range(nr)]


def t3_values_from_rows(rows: list[list[str]], fmt: str) -> dict:
    """Cells of table 三 from its data rows (after the 3 header rows): the last 7 values of each row."""
    ids = [r["id"] for r in _rows3(fmt)]
    assert len(rows) == len(ids), (len(rows), len(ids))
    out = {}
    for rid, row in zip(ids, rows):
        for c, v in zip(COLS, row[-7:]):
            out[f"apply.{rid}.{c}"] = int(v)
    return out


def t4_values(row: list[str]) -> dict:
    ids = [f"appeal.{b}.{p}" for b in T4_BLOCKS for p in T4_PARTS + ["total"]]
    return {k: int(v) for k, v in zip(ids, row)}


# ------------------------------------------------------------------------------------------------
# a small reference crawler: what a correct crawler can reach from a site's start URL
# ------------------------------------------------------------------------------------------------

_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_SHELL = re.compile(r"""location\.replace\(\s*["']([^"']+)|http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)""")


def pagination_urls(text: str, url: str) -> list[str]:
    """Page URLs announced by a TRS pagination script (signatures 1–4)."""
    for m in _CALL.finditer(text):
        args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
        if not any(re.fullmatch(r"-?\d+", a) for a in args):
            continue  # the function definition
        if len(args) == 6 and not args[0].isdigit():          # 3: div, pages, cur(1-based), name, ext, records
            pages, name, ext = int(args[1]), args[3], args[4]
            return [urljoin(url, f"{name}.{ext}" if k == 0 else f"{name}_{k + 1}.{ext}") for k in range(pages)]
        if len(args) == 5:                                     # 4: records, pages, cur, name, ext
            pages, name, ext = int(args[1]), args[3], args[4]
        elif len(args) == 4:                                   # 1: pages, cur, name, ext
            pages, name, ext = int(args[0]), args[2], args[3]
        else:
            continue
        return [urljoin(url, f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}") for k in range(pages)]
    m = re.search(r"var\s+countPage\s*=\s*(\d+)", text)
    if m:                                                      # 2: inline variables
        fname = urlsplit(url).path.rsplit("/", 1)[-1] or "index.html"
        stem, ext = fname.split(".", 1)
        stem = re.sub(r"_\d+$", "", stem)
        return [urljoin(url, f"{stem}.{ext}" if k == 0 else f"{stem}_{k}.{ext}") for k in range(int(m.group(1)))]
    return []


def crawl_site(start_url: str, limit: int = 2000) -> dict[str, tuple[int, dict, bytes]]:
    """Breadth-first walk of one site: links, shells, pagination; documents fetched but not parsed."""
    host = urlsplit(start_url).netloc
    seen: dict[str, tuple[int, dict, bytes]] = {}
    queue = deque([start_url])
    while queue and len(seen) < limit:
        url = queue.popleft().split("#")[0]
        if url in seen or urlsplit(url).netloc != host:
            continue
        status, headers, body = fetch(url)
        seen[url] = (status, headers, body)
        if status != 200 or "html" not in headers.get("content-type", "") and not body.lstrip().startswith(b"<"):
            continue
        text = decode(headers, body)
        links = [urljoin(url, x) for x in re.findall(r'(?:href|src)="([^"#]+)', text)
                 if not x.startswith(("javascript:", "mailto:"))]
        links += [urljoin(url, a or b) for a, b in _SHELL.findall(text)]
        links += pagination_urls(text, url)
        for link in links:
            if link not in seen and urlsplit(link).netloc == host:
                queue.append(link)
    return seen


def lxml_doc(text: str):
    return lxml.html.fromstring(text)
