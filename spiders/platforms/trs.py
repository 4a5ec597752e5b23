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

from .base import Platform

_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_ARG = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))\s*""")
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")


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


def _args(call: str) -> list[str | int]:
    out: list[str | int] = []
    for part in call.split(","):
        m = _ARG.fullmatch(part)
        if not m:
            return []
        s1, s2, num = m.groups()
        out.append(int(num) if num is not None else (s1 if s1 is not None else s2))
    return out


def parse_pagination(script_text: str, page_url: str = "") -> Pagination | None:
    """Find and decode a TRS pagination signature in a page's HTML/script text."""
    for m in _CALL.finditer(script_text):
        args = _args(m.group(1))
        if not args:
            continue
        kinds = "".join("s" if isinstance(a, str) else "n" for a in args)
        if kinds.startswith("snn") and len(args) >= 5:               # signature 3
            _, pages, cur, name, ext = args[:5]
            records = args[5] if len(args) > 5 and isinstance(args[5], int) else None
            return Pagination(3, int(pages), max(int(cur) - 1, 0), str(name), str(ext), False, records)
        if kinds.startswith("nnnss"):                                 # signature 4
            records, pages, cur, name, ext = args[:5]
            return Pagination(4, int(pages), int(cur), str(name), str(ext), True, int(records))
        if kinds.startswith("nnss"):                                  # signature 1
            pages, cur, name, ext = args[:4]
            return Pagination(1, int(pages), int(cur), str(name), str(ext), True)
    cp = _COUNT_PAGE.search(script_text)
    if cp:                                                            # signature 2
        cur = _CURRENT_PAGE.search(script_text)
        path = urlsplit(page_url).path
        fname = path.rsplit("/", 1)[-1] or "index.html"
        stem, _, ext = fname.partition(".")
        stem = re.sub(r"_\d+$", "", stem)
        return Pagination(2, int(cp.group(1)), int(cur.group(1)) if cur else 0, stem or "index", ext or "html", True)
    return None


class TrsPlatform(Platform):
    name = "trs"

    def detect(self, response) -> bool:
        text = response.text[:200000] if hasattr(response, "text") else ""
        return ("createPageHTML" in text or "TRS_Editor" in text or "countPage" in text
                or bool(re.search(r"/t\d{8}_\d+\.s?html?", text)))

    def list_pages(self, response) -> list[str]:
        pag = parse_pagination(response.text, response.url)
        if not pag or pag.pages <= 1:
            return []
        return [urljoin(response.url, f) for f in pag.filenames()]
