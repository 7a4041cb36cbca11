"""The sandbox world and its ground truth, generated deterministically from a seed.

    world = build_world(seed=7)
    world.provinces            # [Province(code="41", slug="henan", name="河南省"), ...]
    world.sites                # [Site(...)] with cms, charset, status, columns, reports
    world.reports              # every report document, each with .url and .record
    expected_reports(world, "henan")   # records a correct crawler must archive
    world.decoys               # pages about reports that are not reports

URLs need the server's port: `world.port` is set by `sandbox.server.start`;
before that base URLs are http://127.0.1.N/ (port 80).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sandbox import catalog, cms, features, numbers, texts
from sandbox.catalog import SiteSpec

YEARS = range(2014, 2025)
REPORT_QUIRKS = ("nbsp_blanks", "split_headers", "enum_comma", "label_typos", "vertical_labels",
                 "fullwidth_parens", "wide_grid", "blank_cells", "slip", "chrome_in_body")


def template_format(year: int) -> str:
    return "pre-2019" if year < 2019 else "2019" if year < 2021 else "2021"


def rng_for(seed: int, *parts) -> random.Random:
    # str seeds hash with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(":".join(map(str, (seed, *parts))))


@dataclass
class Province:
    code: str
    slug: str
    name: str


@dataclass
class Body:
    name: str
    level: str
    code: str
    site_slug: str

    @property
    def division_code(self) -> str:
        return catalog.division_code6(self.code)


@dataclass
class Entry:
    """One line of a listing page: a report, a decoy or a dead link."""
    title: str
    path: str  # what the listing links to (may redirect, may 404)
    date: str
    kind: str  # "report" | "decoy" | "dead"


@dataclass
class Column:
    key: str
    name: str
    path: str  # the listing's entry URL path
    number: int  # CMS column id (Hanweb col1234, JSON channel)
    entries: list[Entry] = field(default_factory=list)
    disallowed: bool = False  # robots.txt disallows it
    parent: str | None = None  # key of the column that links to it


@dataclass(eq=False)  # identity: sites and the world refer to each other
class Report:
    id: int
    site: Site
    body: Body
    year: int
    format: str
    kind: str  # html | pdf | docx, or with legacy formats: doc | wps | scan (an image-only PDF)
    published: str
    late: bool
    title: str
    quirks: tuple[str, ...]
    column: str
    path: str  # where the document's bytes are served
    page_path: str | None = None  # the HTML article that links the attachment
    moved_from: str | None = None  # old path answering 301/302 to `path` (or page_path)
    redirect_status: int = 301
    expected: bool = True
    reason: str | None = None  # why a crawler cannot find it: blocked | robots
    revision: int = 0
    content: dict = field(default_factory=dict, repr=False)  # title..tables minus source

    @property
    def ext(self) -> str:
        """The file name extension the report is served under."""
        return "pdf" if self.kind == "scan" else self.kind

    @property
    def url(self) -> str:
        return self.site.base_url + self.path

    @property
    def record(self) -> dict:
        """The ground truth in the docs/record.md shape."""
        c = self.content
        sections = dict(c["sections"])
        if self.revision:
            sections["other_matters"] += "\n" + revision_note(self.revision)
        return {"source": self.url, "title": self.title, "organization": self.body.name,
                "year": self.year, "published": self.published, "format": self.format,
                "sections": sections, "tables": c["tables"], "checks": numbers.checks(c["tables"]),
                "problems": []}


def revision_note(revision: int) -> str:
    return f"（本报告于发布后第{revision}次更新，更正了部分文字。）"


@dataclass(eq=False)  # identity: sites and the world refer to each other
class Decoy:
    id: int
    site: Site
    kind: str  # notice | format_notice | news | interpretation
    title: str
    body: str
    published: str
    path: str

    @property
    def url(self) -> str:
        return self.site.base_url + self.path


@dataclass(eq=False)  # identity: sites and the world refer to each other
class Site:
    spec: SiteSpec
    province: Province
    address: str  # 127.0.1.N
    world: World = field(repr=False)
    bodies: list[Body] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)
    dead_links: list[str] = field(default_factory=list)  # paths linked but 404
    slow_paths: list[str] = field(default_factory=list)
    port_override: int | None = None  # fallback addressing: own port on 127.0.0.1

    # Convenience views of the spec.
    slug = property(lambda self: self.spec.slug)
    cms = property(lambda self: self.spec.cms)
    charset = property(lambda self: self.spec.charset)
    declared_charset = property(lambda self: self.spec.declared_charset)
    status = property(lambda self: self.spec.status)
    features = property(lambda self: self.spec.features)
    name = property(lambda self: self.spec.owner.name)

    @property
    def host(self) -> str:
        """The name in its URLs: a real-looking host name, or its address."""
        return self.spec.host or (self.address if not self.port_override else "127.0.0.1")

    @property
    def base_url(self) -> str:
        return _base_url(self)

    @property
    def registered_columns(self) -> list[Column]:
        """The columns a registry lists (sub-columns are found by following links)."""
        return [c for c in self.columns if c.parent is None]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _base_url(site) -> str:
    if site.port_override:
        return f"http://{site.spec.host or '127.0.0.1'}:{site.port_override}"
    port = site.world.port
    return f"http://{site.host}" + (f":{port}" if port and port != 80 else "")


@dataclass(eq=False)
class Outsider:
    """A linked host that is no government of the province (catalog.OutsiderSpec)."""
    spec: catalog.OutsiderSpec
    address: str
    world: World = field(repr=False)
    port_override: int | None = None

    slug = property(lambda self: self.spec.slug)
    name = property(lambda self: self.spec.name)
    host = property(lambda self: self.spec.host)
    base_url = property(_base_url)
    charset = "utf-8"
    trap_path = "/news/2024/0115/report.html"


@dataclass(eq=False)  # identity: sites and the world refer to each other
class World:
    seed: int
    generation: int = 0
    slow_seconds: float = 1.5
    port: int | None = None
    provinces: list[Province] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    outsiders: list[Outsider] = field(default_factory=list)

    def host_map(self) -> dict[str, str]:
        """{host name: address} of the sites served under host names (curl --resolve style)."""
        return {s.spec.host: ("127.0.0.1" if s.port_override else s.address)
                for s in [*self.sites, *self.outsiders] if s.spec.host}

    def linked(self, slug: str):
        """A site or an outsider, by slug (what the catalog's link blocks name)."""
        return next(s for s in [*self.sites, *self.outsiders] if s.slug == slug)

    @property
    def reports(self) -> list[Report]:
        return [r for s in self.sites for r in s.reports]

    @property
    def decoys(self) -> list[Decoy]:
        return [d for s in self.sites for d in s.decoys]

    @property
    def bodies(self) -> list[Body]:
        return [b for s in self.sites for b in s.bodies]

    def site(self, slug: str) -> Site:
        return next(s for s in self.sites if s.slug == slug)

    def province(self, query: str) -> Province:
        q = str(query)
        for p in self.provinces:
            if q in (p.code, p.slug, p.name, p.name.rstrip("省")):
                return p
        raise KeyError(query)

    def report_by_url(self, url: str) -> Report:
        return next(r for r in self.reports if r.url == url)

    def changed_report(self) -> Report:
        """The report that `generation` > 0 re-publishes (the same one for every generation)."""
        reachable = [r for r in self.reports if r.expected]
        return reachable[rng_for(self.seed, "generation").randrange(len(reachable))]

    def revise(self, report: Report) -> Report:
        """Publish a corrected version of one report: new bytes, new record."""
        report.revision += 1
        return report


# With `legacy_formats` (site slugs), a site's file reports are published in the
# older formats instead: a DOCX report as .doc or .wps, a PDF one scanned. The
# choice is drawn from its own RNG stream, so every other draw of the world is
# the same with or without it.
LEGACY_KINDS = {"docx": ("doc", "wps"), "pdf": ("scan", "pdf")}
# First loopback address of the hosted sites and of the outsiders (the three IP
# provinces use 127.0.1.1 upwards).
HOSTED_FIRST, OUTSIDER_FIRST = 20, 60


def build_world(seed: int = 0, *, generation: int = 0, slow_seconds: float = 1.5, hosted: bool = False,
                sites: tuple[SiteSpec, ...] | None = None, legacy_formats: tuple[str, ...] = ()) -> World:
    """The three IP-addressed provinces; with `hosted`, also 广东 and 湖南 under host names
    (their sites come after, so the others' addresses, ids and bytes do not change).
    `sites` replaces the catalog's IP-addressed cast: a test can serve a world of its own."""
    world = World(seed=seed, generation=generation, slow_seconds=slow_seconds)
    d = catalog.divisions()
    provinces = catalog.PROVINCES + (catalog.HOSTED_PROVINCES if hosted else ())
    world.provinces = [Province(code, slug, d["provinces"][code]) for code, slug in provinces]
    counter = iter(range(1000, 10**9))
    placed = list(enumerate(catalog.SITES if sites is None else sites, start=1))
    if hosted:
        placed += list(enumerate(catalog.HOSTED_SITES, start=HOSTED_FIRST))
        world.outsiders = [Outsider(o, f"127.0.1.{n}", world)
                           for n, o in enumerate(catalog.OUTSIDERS, start=OUTSIDER_FIRST)]
    for n, spec in placed:
        province = world.province(spec.owner.code[:2])
        site = Site(spec=spec, province=province, address=f"127.0.1.{n}", world=world)
        site.bodies = [Body(b.name, b.level, b.code, spec.slug) for b in spec.bodies]
        _populate(site, seed, counter, legacy=spec.slug in legacy_formats)
        world.sites.append(site)
    if generation:
        # A later generation of the same world: one reachable report was re-published.
        world.changed_report().revision = generation
    return world


def _populate(site: Site, seed: int, counter, *, legacy: bool = False) -> None:
    family = cms.family(site.cms)
    rng = rng_for(seed, site.slug)
    split = "split_columns" in site.features
    site.columns.append(Column("ndbg", "政府信息公开年报", family.column_path("ndbg", 0), 1101))
    if split:
        site.columns.append(Column("bmndbg", "部门政府信息公开年报", family.column_path("bmndbg", 1), 1102))
    if "old_reports_disallowed" in site.features:
        site.columns.append(Column("wnnb", "往年年报", family.column_path("wnnb", 2), 1103,
                                   disallowed=True, parent="bmndbg"))
    if site.status in ("ok", "blocked", "robots_disallowed"):
        for i, body in enumerate(site.bodies):
            col = "bmndbg" if split and i > 0 else "ndbg"
            for year in YEARS:
                r = _make_report(site, body, year, col, seed, counter)
                if r:
                    site.reports.append(r)
    if legacy:  # before the listings are made from the reports' paths
        _legacy_formats(site, seed)
    _add_decoys(site, rng, counter)
    if site.status == "ok":
        _add_traps(site, rng)
    for r in site.reports:
        site.column(r.column).entries.append(Entry(r.title, r.moved_from or r.page_path or r.path,
                                                   r.published, "report"))
    for c in site.columns:
        c.entries.sort(key=lambda e: (e.date, e.path), reverse=True)


def _legacy_formats(site: Site, seed: int) -> None:
    family = cms.family(site.cms)
    for r in site.reports:
        if r.kind in LEGACY_KINDS:
            r.kind = rng_for(seed, "legacy", r.id).choice(LEGACY_KINDS[r.kind])
            r.path = family.attachment_path(site.column(r.column), r.id, r.published, r.ext)


def _make_report(site: Site, body: Body, year: int, col: str, seed: int, counter) -> Report | None:
    rng = rng_for(seed, site.slug, body.name, year)
    first_year = 2014 if body.level in ("province", "city", "county") else 2014 + rng.randint(0, 2)
    if year < first_year or rng.random() < 0.12:  # some years were never published
        return None
    fmt = template_format(year)
    late = rng.random() < 0.08
    if late:
        published = dt.date(year + 1, rng.randint(4, 11), rng.randint(1, 28))
    elif year >= 2019:  # deadline 31 January since the 2019 regulations
        published = dt.date(year + 1, 1, rng.randint(5, 31))
    else:  # deadline 31 March before
        published = dt.date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
    if "old_reports_disallowed" in site.features and col == "bmndbg" and year <= 2015:
        col = "wnnb"
    weights = (20, 55, 25) if features.has(site, "mostly_files") else (75, 17, 8)  # one draw either way
    kind = rng.choices(("html", "pdf", "docx"), weights=weights)[0]
    quirks = tuple(q for q in REPORT_QUIRKS if rng.random() < 0.25)
    family = cms.family(site.cms)
    column = site.column(col)
    rid = next(counter)
    date = published.isoformat()
    page_path = family.article_path(column, rid, date)
    title = texts.title(body.name, year, rng.randint(0, 5) // 4)
    named_by_page = kind == "html" or site.cms in ("trs", "hanweb", "gkmlpt") or features.wraps(site)
    if features.has(site, "year_first_titles") and (body is site.bodies[0] or named_by_page):
        # the body is named only by the page around the report (or is the site's owner)
        title = f"{year}年政府信息公开工作年度报告"
    report = Report(
        id=rid, site=site, body=body, year=year, format=fmt, kind=kind, published=date, late=late,
        title=title, quirks=quirks, column=col, path=page_path)
    if kind != "html":
        report.path = family.attachment_path(column, rid, date, kind)
        if features.has(site, "extless_download"):
            report.path = features.download_path(site, rid, title, kind)
        # TRS, Hanweb and gkmlpt wrap attachments in an article page (so do viewer and
        # frame pages); the others link the file itself.
        wrapped = site.cms in ("trs", "hanweb", "gkmlpt") or features.wraps(site)
        report.page_path = page_path if wrapped else None
    if site.status == "blocked":
        report.expected, report.reason = False, "blocked"
    elif site.status == "robots_disallowed" or column.disallowed:
        report.expected, report.reason = False, "robots"
    report.content = _content(rng, body, year, fmt, quirks)
    return report


def _content(rng: random.Random, body: Body, year: int, fmt: str, quirks) -> dict:
    facts = texts.facts(rng)
    content = {"sections": texts.sections(rng, body.name, year, fmt, facts), "tables": {}, "facts": facts}
    if fmt == "pre-2019":
        return content
    money_style = rng.choice(("suffix", "yuan", "plain"))
    counts = numbers.application_counts(rng, fmt, body.level)
    if "slip" in quirks:  # a typo in the published table: balance and handled_sum fail
        counts["handled_total"]["natural_person"] += 1
        counts["handled_total"]["total"] += 1
    blank = set()
    if "blank_cells" in quirks:
        blank = {(r, c) for r, cols in counts.items() for c, v in cols.items()
                 if c in ("research", "social_welfare") and v == 0}
    review = numbers.review_counts(rng, body.level)
    content["tables"] = {
        "active_disclosure": numbers.active_disclosure(rng, fmt, body.level, money_style),
        "applications": numbers.to_cells(counts, blank),
        "review_litigation": {k: numbers.cell(v) for k, v in review.items()},
    }
    return content


def _add_decoys(site: Site, rng: random.Random, counter) -> None:
    family = cms.family(site.cms)
    column = site.columns[0]
    year = 2019 + rng.randint(0, 4)
    extra = [(k, t.format(org=site.name, year=year), b.format(org=site.name, year=year))
             for k, t, b in features.EXTRA_DECOYS] if features.has(site, "more_decoys") else []
    for kind, title, body in texts.decoys(site.name, year) + extra:
        date = dt.date(2020 + rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        did = next(counter)
        decoy = Decoy(did, site, kind, title, body, date, family.article_path(column, did, date))
        site.decoys.append(decoy)
        column.entries.append(Entry(title, decoy.path, date, "decoy"))


def _add_traps(site: Site, rng: random.Random) -> None:
    """Dead links, moved pages and slow pages on an ok site."""
    family = cms.family(site.cms)
    column = site.columns[0]
    year = 2016 + rng.randint(0, 2)
    dead = family.article_path(column, 900000 + rng.randint(0, 99999), f"{year + 1}-02-15")
    site.dead_links.append(dead)
    column.entries.append(Entry(texts.title(site.name, year, 0) + "（旧）", dead, f"{year + 1}-02-15", "dead"))
    html_reports = [r for r in site.reports if r.expected and r.kind == "html"]
    for i, r in enumerate(rng.sample(html_reports, min(2, len(html_reports)))):
        # The listing still links the old address; the server redirects to the new one.
        r.moved_from = (r.page_path or r.path).replace(".htm", "_old.htm")
        r.redirect_status = 301 if i == 0 else 302
    for r in rng.sample(html_reports, min(len(html_reports), max(1, len(html_reports) // 20))):
        site.slow_paths.append(r.page_path or r.path)


def expected_reports(world: World, province: str) -> list[dict]:
    """Records a correct crawler of `province` must archive, sorted by URL."""
    p = world.province(province)
    return sorted((r.record for r in world.reports if r.expected and r.site.province.code == p.code),
                  key=lambda rec: rec["source"])


def unreachable_reports(world: World, province: str) -> list[Report]:
    """Reports that exist but that a polite crawler cannot reach (blocked, robots)."""
    p = world.province(province)
    return [r for r in world.reports if not r.expected and r.site.province.code == p.code]


def registry_entries(handle_or_world) -> list[dict]:
    """Sites in the shape of crawler/registry.yml entries, pointing at the running sandbox."""
    world = getattr(handle_or_world, "world", handle_or_world)
    out = []
    for s in world.sites:
        if not s.spec.registered:
            continue  # to be discovered from the links of the registered ones
        owner = s.spec.owner
        # A hosted site is registered by its portal alone (and its domain): the rest is found.
        columns = [] if s.spec.host else [s.base_url + c.path for c in s.registered_columns]
        entry = {
            "slug": s.slug, "name": owner.name, "code": owner.code, "level": owner.level,
            "portal": s.base_url + "/", "columns": columns, "report_columns": list(columns),
            "province": s.province.slug, "division_code": catalog.division_code6(owner.code),
            "bodies": [b.name for b in s.bodies],
        }
        if s.spec.host:
            entry["domains"] = [s.spec.host.split(".", 1)[1]]  # www.gd.gov.cn: gd.gov.cn
        out.append(entry)
    return out
