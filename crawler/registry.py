"""The portal registry: which sites a province's crawl visits.

`crawler/registry.yml` lists the 31 provincial-level portals and any city,
county, department or zone sites below them. An entry is a mapping:

    {slug, name, code, level, portal, columns=[], domains=[], aliases=[]}

(see the comments in registry.yml). A site belongs to the province whose code
is the first two digits of its own `code`. Other registries — the sandbox's
loopback world, a user's own file — have the same shape and replace the
built-in site list; province names are always resolved against the built-in
31 so `--province 河南` works with any registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

DEFAULT_PATH = Path(__file__).with_name("registry.yml")
LEVELS = ("province", "city", "county", "township", "department", "zone")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CODE = re.compile(r"^\d{2}(\d{2}){0,5}$")


class RegistryError(ValueError):
    """A registry file or entry is malformed, or a province is unknown."""


@dataclass(frozen=True)
class Site:
    slug: str
    name: str
    code: str
    level: str
    portal: str
    columns: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def hosts(self) -> tuple[str, ...]:
        """Hosts (and parent domains) this site's crawl may visit."""
        own = [urlsplit(u).hostname or "" for u in (self.portal, *self.columns)]
        return tuple(dict.fromkeys(h.lower() for h in (*own, *self.domains) if h))

    def in_scope(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.hosts)

    def as_dict(self) -> dict:
        return {"slug": self.slug, "name": self.name, "code": self.code, "level": self.level,
                "portal": self.portal, "columns": list(self.columns), "domains": list(self.domains)}


def site_from_dict(d: dict) -> Site:
    try:
        slug, name, code, portal = str(d["slug"]), str(d["name"]), str(d["code"]), str(d["portal"])
    except KeyError as exc:
        raise RegistryError(f"registry entry {d!r} lacks {exc.args[0]!r}") from None
    level = str(d.get("level") or "city")
    if not _SLUG.match(slug):
        raise RegistryError(f"registry entry {slug!r}: slug must be lower-case pinyin (a-z0-9-)")
    if not _CODE.match(code):
        raise RegistryError(f"registry entry {slug!r}: code {code!r} is not a division code")
    if level not in LEVELS:
        raise RegistryError(f"registry entry {slug!r}: level {level!r} not in {', '.join(LEVELS)}")
    for url in (portal, *(d.get("columns") or ())):
        if urlsplit(url).scheme not in ("http", "https"):
            raise RegistryError(f"registry entry {slug!r}: {url!r} is not an http(s) URL")
    known = {"slug", "name", "code", "level", "portal", "columns", "domains", "aliases"}
    return Site(slug=slug, name=name, code=code, level=level, portal=portal,
                columns=tuple(d.get("columns") or ()),
                domains=tuple(str(x).lower() for x in d.get("domains") or ()),
                aliases=tuple(str(x) for x in d.get("aliases") or ()),
                extra={k: v for k, v in d.items() if k not in known})


def load_resolve(path: str | Path | None) -> dict[str, str]:
    """The registry file's `resolve: {host: address}` map (the sandbox writes one), or {}."""
    if not path:
        return {}
    data = _load(Path(path))
    hosts = data.get("resolve") if isinstance(data, dict) else None
    return {str(k).lower(): str(v) for k, v in (hosts or {}).items()}


def load_entries(path: str | Path | None = None) -> list[dict]:
    path = Path(path) if path else DEFAULT_PATH
    data = _load(path)
    entries = data.get("sites") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise RegistryError(f"registry {path}: expected a list of sites (or a mapping with 'sites')")
    return entries


def _load(path: Path):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RegistryError(f"registry {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:  # one line: the problem and where, not the quoted excerpt
        where = f" (line {exc.problem_mark.line + 1})" if getattr(exc, "problem_mark", None) else ""
        raise RegistryError(f"registry {path} is not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") \
            from None
    return data


class Registry:
    def __init__(self, entries: list[dict] | None = None):
        builtin = [site_from_dict(e) for e in load_entries(DEFAULT_PATH)]
        self.provinces = [s for s in builtin if s.level == "province"]
        self.sites = builtin if entries is None else [site_from_dict(e) for e in entries]
        seen: set[str] = set()
        for s in self.sites:
            if s.slug in seen:
                raise RegistryError(f"registry: duplicate slug {s.slug!r}")
            seen.add(s.slug)

    @classmethod
    def from_file(cls, path: str | Path | None) -> Registry:
        return cls(None if path is None else load_entries(path))

    def province(self, query: str) -> Site:
        """The provincial unit named by Chinese name, pinyin slug or 2-digit code."""
        q = str(query).strip().lower()
        for p in self.provinces:
            if q in (p.slug, p.code, p.name.lower()) or q in (a.lower() for a in p.aliases):
                return p
        raise RegistryError(f"unknown province {query!r} (try a name like 河南, a slug like henan, or a code like 41)")

    def sites_for(self, province: str) -> list[Site]:
        code = self.province(province).code
        return [s for s in self.sites if s.province_code == code]
