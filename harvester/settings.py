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
# incremental crawls: a run starts at the report columns an earlier run found, asks for list pages
# conditionally and skips reports already harvested; --refresh fetches everything in full, --verify
# re-checks every known report (conditionally: a revision is re-parsed, a 404 marks it withdrawn)
HARVESTER_REFRESH = os.environ.get("HARVESTER_REFRESH", "0").strip().lower() in ("1", "true", "yes", "on")
# "disk": the frontier in Scrapy's disk queues (a JOBDIR of the run), "memory": Scrapy's memory queues
HARVESTER_FRONTIER = os.environ.get("HARVESTER_FRONTIER", "disk").strip().lower()
# stop the crawl after this many seconds (0: no limit) — what is stored is kept; the next run picks up the rest
CLOSESPIDER_TIMEOUT = float(os.environ.get("HARVESTER_TIME_LIMIT", "0") or 0)
# robots.txt is read from the archive for this many hours after it was fetched (spiders/robots.py)
HARVESTER_ROBOTS_TTL = float(os.environ.get("HARVESTER_ROBOTS_TTL", "24") or 24)
HARVESTER_VERIFY = os.environ.get("HARVESTER_VERIFY", "0").strip().lower() in ("1", "true", "yes", "on")
HARVESTER_JOB = os.environ.get("HARVESTER_JOB", "")     # distributed job name (workers of one job share a frontier)
# web-archive evidence (spiders/warcmw.py): WARC/1.1 records of every fetch, in <archive>/warc/ unless
# HARVESTER_WARC_DIR says otherwise, files rotated at HARVESTER_WARC_MAX_BYTES; HARVESTER_WARC=0 turns it off
HARVESTER_WARC = os.environ.get("HARVESTER_WARC", "1").strip().lower() not in ("0", "false", "no", "off")
HARVESTER_WARC_MAX_BYTES = int(os.environ.get("HARVESTER_WARC_MAX_BYTES", str(100 * 1024 * 1024)))
HARVESTER_MAX_LIST_PAGES = int(os.environ.get("HARVESTER_MAX_LIST_PAGES", "200"))  # per column, guards runaway pagination
# reading documents (harvester/extract): OCR of scanned reports, converter time limit, ZIP-bomb limits
HARVESTER_OCR = os.environ.get("HARVESTER_OCR", "0").strip().lower() in ("1", "true", "yes", "on")
HARVESTER_OCR_LANG = os.environ.get("HARVESTER_OCR_LANG", "chi_sim+eng")  # Tesseract languages (eng reads digits better)
HARVESTER_OCR_MAX_PAGES = int(os.environ.get("HARVESTER_OCR_MAX_PAGES", "30"))  # pages of a scanned PDF OCRed
HARVESTER_CONVERTER_TIMEOUT = float(os.environ.get("HARVESTER_CONVERTER_TIMEOUT", "120"))  # seconds per conversion / OCR call
HARVESTER_ZIP_MAX_TOTAL = int(os.environ.get("HARVESTER_ZIP_MAX_TOTAL", str(200 * 1024 * 1024)))  # uncompressed bytes
HARVESTER_ZIP_MAX_RATIO = float(os.environ.get("HARVESTER_ZIP_MAX_RATIO", "200"))  # uncompressed / compressed, per member
HARVESTER_ZIP_MAX_MEMBERS = int(os.environ.get("HARVESTER_ZIP_MAX_MEMBERS", "10000"))
HARVESTER_ZIP_RATIO_FLOOR = int(os.environ.get("HARVESTER_ZIP_RATIO_FLOOR", str(1024 * 1024)))  # members smaller: ratio not judged
HARVESTER_TMPDIR = os.environ.get("HARVESTER_TMPDIR", "")        # where converters' private temp dirs go (default: the system's)
HARVESTER_SOFFICE = os.environ.get("HARVESTER_SOFFICE", "")      # LibreOffice binary (default: soffice on PATH)
# budgets (harvester/extract/budget.py), checked before the reader allocates: each a named limit that no real
# report comes near; a document over one is `too_large` with the setting's name in the detail
HARVESTER_MAX_PAGES = int(os.environ.get("HARVESTER_MAX_PAGES", "2000"))                 # PDF / OFD pages
HARVESTER_MAX_PAGE_AREA = float(os.environ.get("HARVESTER_MAX_PAGE_AREA", "25000000"))  # PDF/OFD page, points² (A4: 0.5 M)
HARVESTER_MAX_PIXELS = int(os.environ.get("HARVESTER_MAX_PIXELS", str(80_000_000)))     # an image's width × height
HARVESTER_MAX_SPAN = int(os.environ.get("HARVESTER_MAX_SPAN", "1000"))                   # colspan/rowspan, gridSpan/gridBefore/gridAfter
HARVESTER_MAX_HTML_COLSPAN = int(os.environ.get("HARVESTER_MAX_HTML_COLSPAN", "100"))    # an HTML colspan over it is capped (a problem noted)
HARVESTER_MAX_HTML_ROWSPAN = int(os.environ.get("HARVESTER_MAX_HTML_ROWSPAN", "1000"))  # an HTML rowspan over it is capped (a problem noted)
HARVESTER_MAX_TABLE_COLUMNS = int(os.environ.get("HARVESTER_MAX_TABLE_COLUMNS", "2000"))  # grid width of one table
HARVESTER_MAX_TABLE_CELLS = int(os.environ.get("HARVESTER_MAX_TABLE_CELLS", "1000000"))  # grid positions of one table
HARVESTER_MAX_MERGED_CELLS = int(os.environ.get("HARVESTER_MAX_MERGED_CELLS", "2000000"))  # XLSX: cells under merged ranges
HARVESTER_MAX_SHEETS = int(os.environ.get("HARVESTER_MAX_SHEETS", "100"))                # XLSX/XLS sheets
HARVESTER_ZIP_MAX_MEMBER = int(os.environ.get("HARVESTER_ZIP_MAX_MEMBER", str(100 * 1024 * 1024)))  # one member, inflated
HARVESTER_ZIP_MAX_XML_MEMBER = int(os.environ.get("HARVESTER_ZIP_MAX_XML_MEMBER", str(32 * 1024 * 1024)))  # one XML part
HARVESTER_MAX_STREAM_BYTES = int(os.environ.get("HARVESTER_MAX_STREAM_BYTES", str(400 * 1024 * 1024)))  # one PDF stream, inflated
HARVESTER_MAX_DEPTH = int(os.environ.get("HARVESTER_MAX_DEPTH", "200"))                  # element nesting (HTML, XML)
HARVESTER_MAX_HTML_BYTES = int(os.environ.get("HARVESTER_MAX_HTML_BYTES", str(10 * 1024 * 1024)))  # one HTML page
HARVESTER_MAX_TEXT_CHARS = int(os.environ.get("HARVESTER_MAX_TEXT_CHARS", str(20_000_000)))  # extracted text
# the sandbox (harvester/sandbox/read.py): each document is read in a worker process under these limits
HARVESTER_SANDBOX = os.environ.get("HARVESTER_SANDBOX", "1").strip().lower() not in ("0", "false", "no", "off")
HARVESTER_EXTRACT_MEMORY_MIB = int(os.environ.get("HARVESTER_EXTRACT_MEMORY_MIB", "2048"))  # RLIMIT_AS of a worker
HARVESTER_EXTRACT_TIMEOUT = float(os.environ.get("HARVESTER_EXTRACT_TIMEOUT", "180"))     # wall seconds per document
HARVESTER_EXTRACT_WORKERS = int(os.environ.get("HARVESTER_EXTRACT_WORKERS", "2"))         # documents read at once in a crawl

# --- politeness: obey robots.txt, identify ourselves, keep per-domain limits ---------------------
ROBOTSTXT_OBEY = True
USER_AGENT = os.environ.get(
    "HARVESTER_USER_AGENT",
    "harvester/0.1 (+research crawler for government information disclosure annual reports)",
)
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("HARVESTER_PER_DOMAIN", "2"))
DOWNLOAD_DELAY = float(os.environ.get("HARVESTER_DOWNLOAD_DELAY", "0.5"))
DOWNLOAD_DELAY_JITTER = 0.5              # ±50% around DOWNLOAD_DELAY (Scrapy 2.19 name of RANDOMIZE_DOWNLOAD_DELAY)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = float(os.environ.get("HARVESTER_DOWNLOAD_TIMEOUT", "60"))   # seconds per download (a 1 byte/s drip ends here)
DOWNLOAD_MAXSIZE = HARVESTER_MAX_DOCUMENT_BYTES
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]   # 429 and 503 are waited out by BackoffMiddleware (Retry-After)
HARVESTER_BACKOFF_TIMES = int(os.environ.get("HARVESTER_BACKOFF_TIMES", "5"))           # 429/503 retries per request
HARVESTER_MAX_RETRY_AFTER = float(os.environ.get("HARVESTER_MAX_RETRY_AFTER", "120"))   # seconds; longer: give up
HTTPERROR_ALLOW_ALL = True          # the spider records every non-200 with its reason instead of dropping it
REDIRECT_ENABLED = True
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
REQUEST_FINGERPRINTER_CLASS = "spiders.fingerprint.SiteRequestFingerprinter"   # per registry site
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
HARVESTER_PROGRESS = os.environ.get("HARVESTER_PROGRESS", "auto")   # auto: a progress line on a terminal only
# `scrapy crawl reports -O items.jsonl` / `-o items.csv`: one readable item per report page (harvester/crawl/feeds.py)
FEED_EXPORTERS = {
    "jsonlines": "harvester.crawl.feeds.ReportJsonLinesExporter", "jl": "harvester.crawl.feeds.ReportJsonLinesExporter",
    "jsonl": "harvester.crawl.feeds.ReportJsonLinesExporter", "marshal": "harvester.crawl.feeds.ReportMarshalExporter",
    "pickle": "harvester.crawl.feeds.ReportPickleExporter",
    "json": "harvester.crawl.feeds.ReportJsonExporter", "csv": "harvester.crawl.feeds.ReportCsvExporter",
    "xml": "harvester.crawl.feeds.ReportXmlExporter",
}
LOG_LEVEL = os.environ.get("HARVESTER_LOG_LEVEL", "INFO")
HARVESTER_LOG_MAX_BYTES = int(os.environ.get("HARVESTER_LOG_MAX_BYTES", str(10 * 1024 * 1024)))  # then rotated
HARVESTER_LOG_BACKUPS = int(os.environ.get("HARVESTER_LOG_BACKUPS", "14"))                      # old logs kept

ITEM_PIPELINES = {
    "pipelines.archive.ArchivePipeline": 100,
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.parse.ParsePipeline": 300,
    "pipelines.store.StorePipeline": 400,
}
EXTENSIONS = {
    "harvester.crawl.run.CrawlRunExtension": 500,
    "harvester.progress.ProgressExtension": 510,      # a live line on a terminal only (HARVESTER_PROGRESS)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "spiders.middlewares.PoliteAutoThrottle": 0,      # AutoThrottle that keeps a Retry-After hold
}
# obstacles (spiders/middlewares.py): Retry-After backoff, cookie loops, lying charsets, TLS → the other
# scheme, redirects kept on the registry's domains
DOWNLOADER_MIDDLEWARES = {
    # robots.txt obeyed as Scrapy does, but kept with its validators for HARVESTER_ROBOTS_TTL hours (spiders/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.CachedRobotsTxtMiddleware": 100,
    "spiders.middlewares.SiteGuardMiddleware": 120,
    "spiders.middlewares.SchemeFallbackMiddleware": 540,
    "spiders.middlewares.SizeLimitMiddleware": 552,           # a body over DOWNLOAD_MAXSIZE: too_large, once more
    "spiders.middlewares.BackoffMiddleware": 560,
    "spiders.middlewares.EncodingMiddleware": 580,
    "spiders.middlewares.ConditionalRequestMiddleware": 585,   # sees bodies decompressed (590), before meta refresh
    "spiders.middlewares.ObstacleMiddleware": 650,
    # Scrapy's own, which also record, count and fetch once more a gzip bomb and a redirect chain without end
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "spiders.middlewares.BoundedDecompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "spiders.middlewares.BoundedRedirectMiddleware": 600,
    "spiders.warcmw.WarcMiddleware": 950,     # WARC records of every exchange, as it went over the wire
}

# --- the browser, only for pages whose links a script writes (scrapy-playwright, Debian's chromium) -----
HARVESTER_CHROMIUM = os.environ.get("HARVESTER_CHROMIUM") or next(
    (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
     if os.path.exists(p)), "")
HARVESTER_BROWSER = os.environ.get("HARVESTER_BROWSER", "1") != "0" and bool(HARVESTER_CHROMIUM)
# escalation (spiders/reports.py): pages rendered per site per run at most — a report column that lists nothing
# over HTTP, the start page and disclosure portal of a site where no column was found
HARVESTER_MAX_RENDERS = int(os.environ.get("HARVESTER_MAX_RENDERS", "3"))
# seconds a rendered page is given for its network to go quiet; one that keeps polling is read as it is then
HARVESTER_RENDER_SETTLE = float(os.environ.get("HARVESTER_RENDER_SETTLE", "15"))
if HARVESTER_BROWSER:
    # the handler passes every request without meta["playwright"] to Scrapy's own HTTP handler
    DOWNLOAD_HANDLERS = {
        "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    }
    PLAYWRIGHT_BROWSER_TYPE = "chromium"
    PLAYWRIGHT_LAUNCH_OPTIONS = {
        "executable_path": HARVESTER_CHROMIUM, "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
    }
    PLAYWRIGHT_MAX_CONTEXTS = 1
    PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
    PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
    PLAYWRIGHT_ABORT_REQUEST = "spiders.middlewares.abort_browser_request"
