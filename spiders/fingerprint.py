"""Request fingerprints per registry site.

Scrapy drops a request whose fingerprint it has seen. The registry may hold several rows on one host — a
county portal and the departments' and townships' columns on its platform (``harvester discover``) —
whose crawls meet the same pages; with fingerprints shared, the first row to ask for a page would take it
from the others (the county's crawl would lose its own report column to a department's). So the site id
(``request.meta['site_id']``) is part of the fingerprint: within one site a URL is asked for once, as before;
each site walks its own pages. Distributed workers still share one frontier per site.
"""
from __future__ import annotations

import hashlib

from scrapy.utils.request import RequestFingerprinter


class SiteRequestFingerprinter:
    def __init__(self, crawler=None):
        self._default = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request) -> bytes:
        fp = self._default.fingerprint(request)
        site_id = request.meta.get("site_id")
        if not site_id:
            return fp
        return hashlib.sha1(fp + b"\0" + str(site_id).encode("utf-8")).digest()
