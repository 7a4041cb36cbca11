"""A real browser as the last resort: column pages whose HTML lists nothing.

Some columns are built entirely by JavaScript (inline data, an XHR whose URL
the script assembles). When a column page yields no entry, pager or API but
carries scripts, the spider asks for it once more with `render` in the
request meta; `BrowserMiddleware` answers that request with the DOM headless
Chromium rendered (`chromium --headless --dump-dom`, a fresh profile per
render), and the links of that DOM are followed like any page's — scope and
robots.txt apply to them as to every request. Chromium's own requests while it
renders (the page's scripts, XHRs, frames, images, each redirect hop) obey the
same rules: they all go through a local proxy (crawler/renderproxy.py) whose
guard (crawler/renderguard.py) refuses, with 403, what the crawl would refuse —
out of the site's scope, a loopback/private/link-local address (by the address
actually connected to), a path robots.txt disallows — https included (the proxy
terminates Chromium's TLS). Refusals are counted in the crawl's stats
(`render_refused`, `render_refused_scope` / `_address` / `_robots`) and logged,
one line per render.

Bounded: NIANBAO_BROWSER_PAGES renders per site (default 5), NIANBAO_BROWSER_SECONDS
per render (default 20, then the process is killed). Off with NIANBAO_BROWSER=False
or when no Chromium is found (one log line). NIANBAO_RESOLVE ({host: ip}, the
crawler's host-to-address mapping, when set) is honoured by the guard, which resolves
every host itself (unguarded renders pass it as --host-resolver-rules).
Counted in the crawl's stats as `pages_rendered` / `render_failures`.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from functools import cache

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.renderguard import Guard, for_request
from crawler.renderproxy import DEFAULT_MAX_BYTES, GuardProxy
from crawler.sitestats import count
from crawler.spiders.follow import Follow

logger = logging.getLogger(__name__)

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "headless_shell")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
         "--hide-scrollbars", "--no-default-browser-check", "--disable-domain-reliability",
         "--disable-client-side-phishing-detection", "--disable-breakpad",
         "--disable-features=NetworkTimeServiceQuerying")  # no time queries to Google
DEFAULT_PAGES = 5
DEFAULT_SECONDS = 20.0
VIRTUAL_TIME_MS = 5000  # scripts, timers and XHRs get this much virtual time before the dump
RENDER_KEY = "render"
JSON_KEY = "rendered_json"  # request meta: the JSON URLs the rendered page fetched
MAX_NETLOG_BYTES = 64 * 1024 * 1024
# every request through the guard's proxy, loopback included; no UDP around it (WebRTC);
# https spoken to the proxy, which shows its own certificate (crawler/renderproxy.py)
PROXY_FLAGS = ("--proxy-bypass-list=<-loopback>", "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
               "--ignore-certificate-errors")


@cache
def chromium_path(setting=None) -> str | None:
    """The Chromium binary to use, or None (browser off). Looked up once per setting."""
    if setting in (False, "False", "false", "0", "off", "no"):
        return None
    if isinstance(setting, str) and setting not in ("", "auto", "True", "true", "1"):
        return shutil.which(setting)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def resolver_rules(resolve) -> str | None:
    """--host-resolver-rules for a {host: ip} mapping (NIANBAO_RESOLVE), read defensively."""
    if isinstance(resolve, str):
        import json

        try:
            resolve = json.loads(resolve)
        except ValueError:
            return None
    if not isinstance(resolve, dict) or not resolve:
        return None
    return ",".join(f"MAP {host} {ip}" for host, ip in sorted(resolve.items()) if host and ip)


def json_requests(netlog: str) -> list[str]:
    """URLs the page fetched that answered 200 with a JSON Content-Type, from Chromium's
    net log (--log-net-log): the list APIs a script called. [] when the log is unreadable."""
    try:
        with open(netlog, encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_NETLOG_BYTES)
        try:
            log = json.loads(text)
        except ValueError:  # a log cut short (Chromium killed): close it
            log = json.loads(text.rstrip().rstrip(",") + "]}")
    except (OSError, ValueError):
        return []
    types = {v: k for k, v in (log.get("constants", {}).get("logEventTypes") or {}).items()}
    urls: dict[int, str] = {}
    found = []
    for event in log.get("events") or []:
        kind, params = types.get(event.get("type")), event.get("params") or {}
        source = (event.get("source") or {}).get("id")
        if kind == "URL_REQUEST_START_JOB" and params.get("url"):
            urls.setdefault(source, params["url"])
        elif kind == "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" and source in urls:
            headers = [str(h).lower() for h in params.get("headers") or []]
            if headers and " 200" in headers[0] and any(h.startswith("content-type:") and "json" in h
                                                          for h in headers):
                if urls[source] not in found:
                    found.append(urls[source])
    return found


def render(url: str, *, binary: str, seconds: float = DEFAULT_SECONDS, resolve=None,
           user_agent: str | None = None, guard: Guard | None = None,
           max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[str]]:
    """The DOM of `url` after its scripts ran, as HTML, and the JSON URLs its scripts
    fetched (json_requests). With a `guard`, every request Chromium makes goes through
    its proxy (responses capped at `max_bytes`). Raises on failure or timeout."""
    with tempfile.TemporaryDirectory(prefix="nianbao-chromium-") as profile:
        netlog = f"{profile}/net-log.json"
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}/profile", "--dump-dom",
               f"--virtual-time-budget={VIRTUAL_TIME_MS}", f"--log-net-log={netlog}"]
        rules = resolver_rules(resolve)
        if rules and guard is None:  # a guarded render's hosts are resolved by its guard
            cmd.append(f"--host-resolver-rules={rules}")
        if user_agent:
            cmd.append(f"--user-agent={user_agent}")
        cmd.append(url)
        if guard is None:
            proc = subprocess.run(cmd, capture_output=True, timeout=seconds, check=False)
        else:
            with GuardProxy(guard, timeout=seconds, max_bytes=max_bytes) as proxy:
                cmd[-1:-1] = [f"--proxy-server={proxy.url}", *PROXY_FLAGS]
                proc = subprocess.run(cmd, capture_output=True, timeout=seconds, check=False)
        if proc.returncode != 0 or not proc.stdout.strip():
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise RuntimeError(f"chromium exited {proc.returncode}: {tail[0][:200]}")
        return proc.stdout.decode("utf-8", "replace"), json_requests(netlog)


def json_follows(response) -> list[Follow]:
    """The JSON lists a rendered page's scripts fetched: read like any JSON listing
    (all its pages, where the DOM shows only the first)."""
    return [Follow(u, "api") for u in response.meta.get(JSON_KEY) or ()]


def follow(page, response, spider, site) -> list[Follow]:
    """Ask for this column page once more, rendered, when the budget and Chromium allow."""
    if response.meta.get(RENDER_KEY) or "<script" not in response.text.lower():
        return []
    settings = spider.crawler.settings
    if chromium_path(settings.get("NIANBAO_BROWSER", "auto")) is None:
        if not getattr(spider, "_browser_noted", False):
            spider._browser_noted = True
            spider.logger.warning("browser: no Chromium found; script-built lists are not rendered")
        return []
    budget = settings.getint("NIANBAO_BROWSER_PAGES", DEFAULT_PAGES)
    used = spider.state.setdefault("rendered", {})
    if used.get(site.slug, 0) >= budget:
        if used.get(site.slug, 0) == budget:  # said once per site
            used[site.slug] += 1
            spider.logger.warning("browser: %s has had its %d renders (NIANBAO_BROWSER_PAGES); %s not rendered",
                                  site.slug, budget, response.url)
        return []
    used[site.slug] = used.get(site.slug, 0) + 1
    return [Follow(response.url, "rendered", meta=((RENDER_KEY, True),))]


class BrowserMiddleware:
    """Answers requests flagged `render` with Chromium's DOM (in a thread: it blocks)."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.binary = chromium_path(settings.get("NIANBAO_BROWSER", "auto"))
        self.seconds = settings.getfloat("NIANBAO_BROWSER_SECONDS", DEFAULT_SECONDS)
        self.resolve = settings.get("NIANBAO_RESOLVE")  # set by the site-discovery settings, when present
        self.user_agent = settings.get("USER_AGENT")
        self.max_bytes = settings.getint("DOWNLOAD_MAXSIZE", DEFAULT_MAX_BYTES) or DEFAULT_MAX_BYTES

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        if not request.meta.get(RENDER_KEY) or self.binary is None:
            return None
        guard = for_request(self.crawler, request)
        try:
            dom, apis = await maybe_deferred_to_future(deferToThread(
                render, request.url, binary=self.binary, seconds=self.seconds, resolve=self.resolve,
                user_agent=self.user_agent, guard=guard, max_bytes=self.max_bytes))
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            self._count_refused(request.url, guard)
            count(self.crawler, "render_failures")
            logger.warning("browser: rendering %s failed: %s", request.url, exc)
            raise IgnoreRequest(f"browser: rendering failed ({type(exc).__name__})") from None
        self._count_refused(request.url, guard)
        count(self.crawler, "pages_rendered")
        request.meta[JSON_KEY] = apis  # the response's meta is its request's
        return HtmlResponse(request.url, body=dom.encode("utf-8"), encoding="utf-8", request=request,
                            headers={"Content-Type": "text/html; charset=utf-8"})

    def _count_refused(self, url: str, guard: Guard) -> None:
        """The render's refused requests into the crawl's stats, and one log line."""
        refused = guard.summary()
        for reason, n in refused.items():
            count(self.crawler, f"render_refused_{reason}", n)
        if refused:
            count(self.crawler, "render_refused", sum(refused.values()))
            examples = {}
            for reason, message in guard.refused:  # one example of each reason
                examples.setdefault(reason, message[:160])
            logger.warning("browser: rendering %s, %d requests of the page refused (%s); e.g. %s", url,
                           sum(refused.values()), ", ".join(f"{r} {n}" for r, n in sorted(refused.items())),
                           "; ".join(examples[r] for r in sorted(examples)))
        else:
            logger.info("browser: rendering %s, no request of the page refused", url)
