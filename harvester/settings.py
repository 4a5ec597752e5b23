"""All settings in one place: Scrapy's, and the harvester's own (database, archive, limits).

Every harvester setting can be overridden by an environment variable of the same name and by the
CLI (which sets the environment variable / Scrapy setting before the crawl starts).
"""
from __future__ import annotations

import os

BOT_NAME = "harvester"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- the harvester's own settings -------------------------------------------------------------
HARVESTER_DB = os.environ.get("HARVESTER_DB", "sqlite:///data/harvester.db")
HARVESTER_SITES = os.environ.get("HARVESTER_SITES", "data/sites.csv")
HARVESTER_ARCHIVE = os.environ.get("HARVESTER_ARCHIVE", "")  # default: next to the SQLite file, or data/archive
HARVESTER_MAX_DOCUMENT_BYTES = int(os.environ.get("HARVESTER_MAX_DOCUMENT_BYTES", str(50 * 1024 * 1024)))
HARVESTER_MAX_LIST_PAGES = int(os.environ.get("HARVESTER_MAX_LIST_PAGES", "200"))  # per column, guards runaway pagination
# reading documents (harvester/extract): OCR of scanned reports, converter time limit, ZIP-bomb limits
HARVESTER_OCR = os.environ.get("HARVESTER_OCR", "0").strip().lower() in ("1", "true", "yes", "on")
HARVESTER_OCR_LANG = os.environ.get("HARVESTER_OCR_LANG", "chi_sim+eng")  # Tesseract languages (eng reads digits better)
HARVESTER_OCR_MAX_PAGES = int(os.environ.get("HARVESTER_OCR_MAX_PAGES", "30"))  # pages of a scanned PDF OCRed
HARVESTER_CONVERTER_TIMEOUT = float(os.environ.get("HARVESTER_CONVERTER_TIMEOUT", "120"))  # seconds per conversion / OCR call
HARVESTER_ZIP_MAX_TOTAL = int(os.environ.get("HARVESTER_ZIP_MAX_TOTAL", str(200 * 1024 * 1024)))  # uncompressed bytes
HARVESTER_ZIP_MAX_RATIO = float(os.environ.get("HARVESTER_ZIP_MAX_RATIO", "200"))  # uncompressed / compressed, per member
HARVESTER_ZIP_MAX_MEMBERS = int(os.environ.get("HARVESTER_ZIP_MAX_MEMBERS", "10000"))

# --- politeness: obey robots.txt, identify ourselves, keep per-domain limits ---------------------
ROBOTSTXT_OBEY = True
USER_AGENT = os.environ.get(
    "HARVESTER_USER_AGENT",
    "harvester/0.1 (+research crawler for government information disclosure annual reports)",
)
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("HARVESTER_PER_DOMAIN", "2"))
DOWNLOAD_DELAY = float(os.environ.get("HARVESTER_DOWNLOAD_DELAY", "0.5"))
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = HARVESTER_MAX_DOCUMENT_BYTES
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
HTTPERROR_ALLOW_ALL = True          # the spider records every non-200 with its reason instead of dropping it
REDIRECT_ENABLED = True
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("HARVESTER_LOG_LEVEL", "INFO")

ITEM_PIPELINES = {
    "pipelines.archive.ArchivePipeline": 100,
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.parse.ParsePipeline": 300,
    "pipelines.store.StorePipeline": 400,
}
EXTENSIONS = {
    "harvester.crawlrun.CrawlRunExtension": 500,
}
