"""Scrapy settings: polite by default (government servers are small and slow).

Tests and the sandbox demo relax politeness through settings overrides; the
defaults here are what a real crawl uses.
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao; archive of 政府信息公开工作年度报告)"
ROBOTSTXT_OBEY = True

# Politeness: two requests per site at a time, adaptive delay. The global cap is high because
# Scrapy counts a request waiting out its site's delay as active: at 16, a province of 200
# sites crawled at 1 request/s each fetched ~16 requests/s in all (benchmarks/many_sites.py,
# docs/crawler.md); per-site politeness does not depend on it.
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Robustness: slow servers, flaky gateways, oversized files.
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024  # the parser refuses documents over 50 MB anyway
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
DEPTH_LIMIT = 500  # a backstop: discovery limits navigation hops and pager chains itself
# No cookies: reports need no session, and replaying an anti-bot challenge cookie would
# be a step towards circumventing it.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Breadth-first-ish within priorities keeps memory flat on big portals.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Seen-request fingerprints in SQLite (JOBDIR/requests.seen.db), not a Python set: memory stays flat.
DUPEFILTER_CLASS = "crawler.dupefilter.DiskDupeFilter"
# Items of one response processed at once. Scrapy's default (100) starts 100 asyncio tasks for
# every response; a page yields a few items, so 8 loses nothing and saves 0.6–2 ms of reactor a page.
CONCURRENT_ITEMS = 8

DOWNLOADER_MIDDLEWARES = {
    # Conditional requests must see the final request (after redirects): near the downloader.
    "crawler.middlewares.ConditionalRequestMiddleware": 880,
    # Responses flow from high to low numbers: at 560 bodies are decompressed (590)
    # and redirects followed (600) before the charset is checked.
    "crawler.middlewares.CharsetMiddleware": 560,
    # Scrapy's retry middleware, keeping why each attempt failed (for fetch_log).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.extensions.fetchlog.RetryReasonMiddleware": 550,
    # Column pages flagged `render` are answered by headless Chromium (last resort; after robots.txt).
    "crawler.browser.BrowserMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
    # judge, snapshot, parse and archive: archive.document.store_document, in a worker
    "crawler.pipelines.store.StorePipeline": 400,
}
EXTENSIONS = {
    "crawler.extensions.sitestatus.SiteStatusExtension": 500,
    "crawler.extensions.progress.ProgressExtension": 510,
    "crawler.extensions.fetchlog.FetchLogExtension": 520,
    # after Scrapy's SpiderState (0) has loaded the resume state
    "crawler.storage.ResumeStateGuard": 530,
}

# Host names answered from NIANBAO_RESOLVE before the system's DNS (crawler/resolve.py).
TWISTED_DNS_RESOLVER = "crawler.resolve.MappedResolver"

# nianbao settings
NIANBAO_DB = "nianbao.db"  # the archive the pipelines write; `nianbao crawl --db` sets it
NIANBAO_PROGRESS_INTERVAL = 5.0  # seconds between progress lines (0: off)
NIANBAO_CONDITIONAL = True  # If-None-Match / If-Modified-Since from the archive
NIANBAO_RESOLVE = {}  # {host: address}, like curl --resolve; `nianbao crawl --resolve HOST:ADDR`
# Site discovery (crawler/spiders/sites.py): sites linked from a province's sites are
# probed and crawled when their identity places them in the province. Bounds:
NIANBAO_DISCOVER_SITES = True
NIANBAO_SITE_HOPS = 3  # province (0) → city (1) → county (2) → county department (3)
NIANBAO_MAX_SITES = 2000  # sites per province crawl, registered ones included
NIANBAO_MAX_PAGES_PER_SITE = 20000  # pages fetched per site
NIANBAO_BROWSER = "auto"  # headless Chromium for script-built lists: auto (found on PATH), a path, or False
NIANBAO_BROWSER_PAGES = 5  # column pages rendered per site at most
NIANBAO_BROWSER_SECONDS = 20.0  # per render, then Chromium is killed
NIANBAO_MIN_FREE_MB = 64  # stop (and say so) before the disk is full: crawler/storage.py

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
