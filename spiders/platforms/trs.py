"""TRS WCM (拓尔思): `index_N.html` pages announced by JavaScript, `tYYYYMMDD_id.html` details.

The page list is written by script, in four signatures seen on real portals:
  1. createPageHTML(9, 0, "index", "html")                 pages, current (0-based), name, ext
  2. var currentPage = 0; var countPage = 2                 (+ document.write of the links)
  3. createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89)   div id, pages, current (1-based), name, ext, records
  4. createPageHTML(191, 13, 0, "index", "html")            records, pages, current, name, ext
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from . import scriptdata
from .base import Platform

_DETAIL = re.compile(r"/t\d{8}_\d+\.s?html?")

@dataclass(frozen=True)
class Pagination:
    signature: int
    pages: int
    current: int        # 0-based index of the page the call is on
    name: str
    ext: str
    zero_based: bool    # True: page k>0 is name_k (k 0-based); False: page k>1 is name_k (1-based)
    records: int | None = None

    def filenames(self) -> list[str]:
        names = []
        for i in range(self.pages):
            if i == 0:
                names.append(f"{self.name}.{self.ext}")
            else:
                names.append(f"{self.name}_{i if self.zero_based else i + 1}.{self.ext}")
        return names


def _kinds(args: list) -> str:
    """'n' for a number, 's' for a name, '?' for what the script computes."""
    return "".join("n" if scriptdata.as_int(a) is not None else "s" if isinstance(a, str) else "?" for a in args)


def parse_pagination(script_text: str, page_url: str = "") -> Pagination | None:
    """Find and decode a TRS pagination signature in a page's scripts (or HTML: its scripts are read)."""
    if "<script" in script_text.lower():
        script_text = scriptdata.script_text(Selector(text=script_text))
    for raw in scriptdata.calls(script_text, "createPageHTML"):
        args = [scriptdata.resolve_ref(script_text, a) for a in raw]
        kinds = _kinds(args)
        if kinds.startswith("snn") and len(args) >= 5 and kinds[3:5] == "ss":     # signature 3
            pages, cur, name, ext = scriptdata.as_int(args[1]), scriptdata.as_int(args[2]), args[3], args[4]
            records = scriptdata.as_int(args[5]) if len(args) > 5 else None
            return Pagination(3, pages, max(cur - 1, 0), str(name), str(ext), False, records)
        if kinds.startswith("nnnss"):                                                # signature 4
            records, pages, cur = (scriptdata.as_int(a) for a in args[:3])
            return Pagination(4, pages, cur, str(args[3]), str(args[4]), True, records)
        if kinds.startswith("nnss"):                                                 # signature 1
            pages, cur = scriptdata.as_int(args[0]), scriptdata.as_int(args[1])
            return Pagination(1, pages, cur, str(args[2]), str(args[3]), True)
    pages = scriptdata.as_int(scriptdata.value_of(script_text, "countPage"))
    if pages is not None:                                                            # signature 2
        cur = scriptdata.as_int(scriptdata.value_of(script_text, "currentPage")) or 0
        fname = urlsplit(page_url).path.rsplit("/", 1)[-1] or "index.html"
        stem, _, ext = fname.partition(".")
        base, sep, tail = stem.rpartition("_")
        if sep and tail.isdigit():                  # index_3.html is page 3 of index
            stem = base
        return Pagination(2, pages, cur, stem or "index", ext or "html", True)
    return None


class TrsPlatform(Platform):
    name = "trs"

    def detect(self, response) -> bool:
        text = response.text[:200000] if hasattr(response, "text") else ""
        return ("createPageHTML" in text or "TRS_Editor" in text or "countPage" in text
                or bool(_DETAIL.search(text)))

    def list_pages(self, response) -> list[str]:
        pag = parse_pagination(scriptdata.script_text(response), response.url)
        if not pag:          # TRS-like detail links, but plain 下一页 links between the pages
            from .generic import GenericPlatform
            return GenericPlatform().list_pages(response)
        if pag.pages <= 1:
            return []
        return [urljoin(response.url, f) for f in pag.filenames()]
