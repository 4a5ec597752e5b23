"""Fallback for unknown families: the shared link heuristics, no pagination script."""
from __future__ import annotations

import re
from urllib.parse import urljoin

from .base import Platform

_NEXT = re.compile(r"^(?:下一页|下页|next|>|»)$", re.I)


class GenericPlatform(Platform):
    name = "generic"

    def detect(self, response) -> bool:
        return True

    def list_pages(self, response) -> list[str]:
        """Plain <a>下一页</a> links; the spider follows them page by page."""
        out = []
        for a in response.css("a[href]"):
            text = "".join(a.css("::text").getall()).strip()
            if _NEXT.match(text):
                href = a.attrib["href"].strip()
                if href and not href.startswith("javascript"):
                    out.append(urljoin(response.url, href))
        return out
