"""Site discovery: a province crawl grows its site list from the links it meets.

The portal's own pages name the governments below it: the 市县政府 / 区县政府 /
省政府部门 / 政府网站 / 网站群 link blocks, `<select>` menus whose options hold
URLs, footer lists and the 网站地图 page. From the navigation pages of every
site (portal root, the pages on the way to the report column, site-list pages)
each linked host that no site covers yet is probed once — its home page — and
becomes a site of the province when its identity (crawler/sites.py) places it
there; the probe's page is then that site's first page, and the new site is
crawled like a registered one, under its own per-host politeness slot. Hosts
placed elsewhere, or nowhere, are left alone and counted.

Bounds (settings): NIANBAO_SITE_HOPS (sites between a registered site and a
discovered one), NIANBAO_MAX_SITES (sites per province crawl), and
NIANBAO_MAX_PAGES_PER_SITE; each is counted when hit and reported at the end.
Everything lives in spider.state["discovery"], so a resumed crawl (JOBDIR)
knows the sites it had found.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import scrapy

from crawler import discovery
from crawler import sites as identity
from crawler.pages.base import Link
from crawler.registry import Site, site_from_dict
from crawler.sitestats import empty as empty_stats
from crawler.spiders.follow import Follow

# Pages of a site that list other sites: worth a visit for discovery only.
SITE_LIST_TEXT = re.compile(r"网站地图|站点地图|网站导航|网站群|政府网站|市县政府|区县政府|县区政府|县市区|"
                            r"部门网站|政府部门|市政府部门|省政府部门|区政府部门|乡镇(街道)?网站|友情链接|相关链接")
OPTION_XPATH = "//select//option"
PROBE_PRIORITY = 35  # above columns: sites found early crawl in parallel, each in its own slot
SITE_LIST_MAX_HOPS = 4  # navigation clicks from a root to a site-list page (as NAV_MAX_HOPS)


class SiteFinder:
    def __init__(self, spider, settings):
        self.spider = spider
        self.enabled = settings.getbool("NIANBAO_DISCOVER_SITES", True)
        self.max_hops = settings.getint("NIANBAO_SITE_HOPS", 3)
        self.max_sites = settings.getint("NIANBAO_MAX_SITES", 500)
        self.max_pages = settings.getint("NIANBAO_MAX_PAGES_PER_SITE", 20000)
        # The first job of a multi-node crawl (crawler/scrapyd.py): portals, site-list pages and
        # probes only — no report columns; the sites it finds are then partitioned over the nodes.
        self.discover_only = self.enabled and settings.getbool("NIANBAO_DISCOVER_ONLY", False)
        self._hosts: dict[str, str] = {}  # exact host -> slug of every known site
        self._indexed = -1
        self._restored = 0
        self._elsewhere: dict[str, Site] | None = None

    # --- state ---------------------------------------------------------------------
    @property
    def state(self) -> dict:
        spider = self.spider
        if getattr(spider, "state", None) is None:
            spider.state = {}
        return spider.state.setdefault("discovery", {"sites": {}, "hosts": {}, "pending": 0,
                                                     "bounds": {"site_hops": [], "sites": 0, "pages": {}}})

    def restore(self, sites: dict[str, Site]) -> None:
        """Discovered sites into the spider's site list (after a resume, from JOBDIR state)."""
        found = self.state["sites"]
        if len(found) != self._restored:
            for slug, entry in found.items():
                if slug not in sites:
                    sites[slug] = site_from_dict(entry)
            self._restored = len(found)

    def _host_index(self) -> dict[str, str]:
        sites = self.spider.sites
        if self._indexed != len(sites):
            self._hosts = {}
            for s in sites.values():
                for url in (s.portal, *s.columns):
                    self._hosts.setdefault((urlsplit(url).hostname or "").lower(), s.slug)
                if s.extra.get("host"):  # the name it was linked by (its portal may have redirected)
                    self._hosts.setdefault(s.extra["host"], s.slug)
            self._indexed = len(sites)
        return self._hosts

    def owner(self, url: str) -> str | None:
        """The slug of the site whose own host this is (exact host, not a parent domain)."""
        return self._host_index().get((urlsplit(url).hostname or "").lower())

    def claimed_elsewhere(self, url: str, site: Site) -> bool:
        """The URL's host is another site's, or a host being probed: not `site`'s to follow."""
        host = (urlsplit(url).hostname or "").lower()
        slug = self._host_index().get(host)
        if slug is not None:
            return slug != site.slug
        row = self.state["hosts"].get(host)
        # A host under the site's registered domains with no identity of its own is the site's
        # (xxgk.henan.gov.cn titled 信息公开): followed as before discovery.
        return row is not None and not (row.get("reason") == "no_identity" and site.in_scope(url))

    def hand_over(self, f: Follow, hops: int, chain: int):
        """A link of one site into another site's host (under its domains: xxgk.gd.gov.cn from
        www.gd.gov.cn) is fetched as that site's; into a host being probed, once it is placed."""
        host = (urlsplit(f.url).hostname or "").lower()
        slug = self._host_index().get(host)
        if slug is not None:
            yield self.spider._request(f, self.spider.sites[slug], hops=hops + (f.role == "nav"),
                                       chain=chain + (f.role == "pager"))
            return
        row = self.state["hosts"].get(host)
        if row is not None and row["status"] == "probing":
            row.setdefault("deferred", []).append((f.url, f.role, f.text))

    def over_pages(self, slug: str, counts: dict) -> bool:
        if counts["pages"] + counts["pending"] < self.max_pages:
            return False
        pages = self.state["bounds"]["pages"]
        pages[slug] = pages.get(slug, 0) + 1
        return True

    # --- discovery on a page -------------------------------------------------------------
    def on_page(self, page, response, site: Site):
        """Requests for site-list pages of this site and probes of the hosts its page links."""
        meta = response.meta
        if not self.enabled or not (meta.get("start") or meta.get("role") in ("nav", "sites")):
            return
        hop = int(site.extra.get("hop", 0))
        how = "site_list" if meta.get("role") == "sites" else "link"
        links = [(link, how) for link in page.links()] + [(link, "menu") for link in options(page)]
        for link, found in links:
            if discovery.is_skipped(link.url):
                continue
            host = (urlsplit(link.url).hostname or "").lower()
            if not host:
                continue
            if host in site.hosts:  # its own pages (a host under its domains may be a site of its own)
                if SITE_LIST_TEXT.search(link.text) and hop < self.max_hops and meta.get("hops", 0) < SITE_LIST_MAX_HOPS:
                    yield self.spider._request(Follow(link.url, "sites", link.text), site,
                                               hops=meta.get("hops", 0) + 1)
                continue
            if self.owner(link.url) or host in self.state["hosts"]:
                continue
            elsewhere = self._registered_elsewhere().get(host)
            if elsewhere is not None:  # the registry places it in another province: it wins
                self.state["hosts"][host] = {"host": host, "found": found, "found_from": response.url,
                                             "anchor": link.text[:200], "hop": hop + 1, "parent": site.slug,
                                             "status": "left_alone", "reason": "other_province",
                                             "name": elsewhere.name, "code": elsewhere.code,
                                             "level": elsewhere.level, "placed_by": "registry"}
                continue
            yield from self._candidate(link, found, host, response.url, site, hop + 1)

    def _registered_elsewhere(self) -> dict[str, Site]:
        """Hosts of registry entries of other provinces."""
        if self._elsewhere is None:
            registry, code = getattr(self.spider, "registry", None), self.spider.province.code
            self._elsewhere = {(urlsplit(u).hostname or "").lower(): s
                               for s in (registry.sites if registry else ()) if s.province_code != code
                               for u in (s.portal, *s.columns)}
        return self._elsewhere

    def _candidate(self, link: Link, found: str, host: str, page_url: str, site: Site, hop: int):
        hosts = self.state["hosts"]
        if hop > self.max_hops:
            over = self.state["bounds"]["site_hops"]
            if host not in over and identity.worth_probing(host, link.text):
                over.append(host)
            return
        row = {"host": host, "found": found, "found_from": page_url, "anchor": link.text[:200], "hop": hop,
               "parent": site.slug}
        if not identity.worth_probing(host, link.text):
            hosts[host] = {**row, "status": "left_alone", "reason": "not_government"}
            return
        if len(self.spider.sites) + self.state["pending"] >= self.max_sites:
            hosts[host] = {**row, "status": "left_alone", "reason": "over_sites_bound"}
            self.state["bounds"]["sites"] += 1
            return
        hosts[host] = {**row, "status": "probing", "reason": ""}
        self.state["pending"] += 1
        parts = urlsplit(link.url)
        root = f"{parts.scheme}://{parts.netloc}/"
        yield scrapy.Request(root, callback=self.spider.parse, errback=self.spider.on_error,
                             priority=PROBE_PRIORITY, meta={"probe": host})

    # --- probes ------------------------------------------------------------------------------
    def on_probe(self, response):
        """The probed home page: a new site of the province (crawled from this very page), or left alone."""
        host = response.meta["probe"]
        row = self.state["hosts"][host]
        self.state["pending"] -= 1
        parent = self.spider.sites.get(row["parent"])
        province = self.spider.province
        text = response.text if hasattr(response, "text") else ""
        who = identity.identify(text, host, anchor=row["anchor"], within=parent.code if parent else province.code,
                                parent_host=(urlsplit(parent.portal).hostname or "") if parent else "",
                                domains=province.domains)
        where = identity.placement(who, province.code)
        final_host = (urlsplit(response.url).hostname or "").lower()
        if where == "inside" and final_host != host and self._host_index().get(final_host):
            where = "alias"  # it redirected to a site the crawl has: another name of that site
        if where != "inside":
            row.update(status="left_alone", reason=where, name=who.name if who else "",
                       code=who.code if who else "", level=who.level if who else None,
                       placed_by=who.evidence if who else None)
            return
        slug = self._free_slug(identity.slug_for(host, province.slug))
        parts = urlsplit(response.url)
        entry = {"slug": slug, "name": who.name, "code": who.code, "level": who.level,
                 "portal": f"{parts.scheme}://{parts.netloc}/", "columns": [],
                 # the linked name too, when the home page redirected (www.x.gov.cn → x.gov.cn)
                 "domains": [host] if final_host != host else [],
                 "hop": row["hop"], "found": row["found"], "found_from": row["found_from"],
                 "anchor": row["anchor"], "placed_by": who.evidence, "host": host}
        self.state["sites"][slug] = entry
        row.update(status="crawled", slug=slug)
        site = site_from_dict(entry)
        self.spider.sites[slug] = site
        stats = self.spider.stats.sites.setdefault(slug, empty_stats())
        stats["pending"] += 1  # this response, handed to parse as the site's first page
        response.meta.update({"site": slug, "role": "nav", "anchor": row["anchor"], "hops": 0, "start": True,
                              "chain": 0, "column": False, "report_title": "", "conditional": False})
        yield from self.spider.parse(response)
        for url, role, text in row.pop("deferred", ()):  # links its neighbours had into it
            yield self.spider._request(Follow(url, role, text), site, hops=1)

    def on_probe_failed(self, request, outcome: str) -> None:
        row = self.state["hosts"].get(request.meta["probe"])
        self.state["pending"] -= 1
        if row is not None:
            # robots.txt disallows its home page, a JavaScript challenge (never circumvented), or no answer
            row.update(status="left_alone", reason=outcome if outcome in ("robots", "blocked") else "unreachable")

    def _free_slug(self, slug: str) -> str:
        taken, n, out = self.spider.sites, 2, slug
        while out in taken:
            out, n = f"{slug}-{n}", n + 1
        return out

    # --- results -------------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        """Rows of the archive's `sites` table: every site of the crawl, then every host left alone."""
        province = self.spider.province
        pname = province.name.removesuffix("人民政府")
        out = []
        for s in self.spider.sites.values():
            # discovered now, or by an earlier crawl whose export (nianbao sites export) is the registry
            found = self.state["sites"].get(s.slug) or ({"anchor": None, **s.extra} if "found" in s.extra else None)
            out.append({"slug": s.slug, "host": (urlsplit(s.portal).hostname or "").lower(), "name": s.name,
                        "code": s.code, "level": s.level, "province": pname, "portal": s.portal,
                        "found": found["found"] if found else "registry",
                        "found_from": found["found_from"] if found else None,
                        "anchor": found["anchor"] if found else None, "hop": found["hop"] if found else 0,
                        "placed_by": found["placed_by"] if found else "registry", "status": "crawled", "reason": ""})
        for host, row in self.state["hosts"].items():
            if row["status"] != "left_alone":
                continue
            out.append({"slug": identity.slug_for(host, province.slug), "host": host, "name": row.get("name") or None,
                        "code": row.get("code") or None, "level": row.get("level"), "province": pname,
                        "portal": f"http://{host}/", "found": row["found"], "found_from": row["found_from"],
                        "anchor": row["anchor"], "hop": row["hop"], "placed_by": row.get("placed_by"),
                        "status": "left_alone", "reason": row["reason"]})
        return out

    def summary(self) -> dict:
        """Counters for crawl_runs.stats and the crawl's closing lines."""
        state, sites = self.state, self.spider.sites
        reasons: dict[str, int] = {}
        for row in state["hosts"].values():
            if row["status"] == "left_alone":
                reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
        counts = self.spider.stats.sites
        bounds = {"site_hops": len(state["bounds"]["site_hops"]), "sites": state["bounds"]["sites"],
                  "pages": dict(state["bounds"]["pages"])}
        return {"sites_registered": len(sites) - len(state["sites"]), "sites_found": len(state["sites"]),
                "sites_crawled": sum(1 for s in sites if counts.get(s, {}).get("pages")),
                "sites_with_reports": sum(1 for s in sites if counts.get(s, {}).get("reports")),
                "sites_left_alone": sum(reasons.values()), "left_alone": reasons,
                "bounds_hit": {k: v for k, v in bounds.items() if v}}


def options(page) -> list[Link]:
    """`<select>` menus whose options hold URLs (省政府部门 ▾): value → link, option text → anchor."""
    root = page.root
    if root is None:
        return []
    out = []
    for opt in root.xpath(OPTION_XPATH):
        value = (opt.get("value") or "").strip()
        if not value or not (value.startswith(("http://", "https://", "//")) or "/" in value):
            continue
        out.append(Link(urljoin(page.base, value), discovery.clean(opt.text_content())))
    return out
