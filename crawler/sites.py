"""Which government a web site belongs to — pure functions, no I/O.

A province crawl meets hosts it was never told about (the portal's 市县政府 block,
its 省政府部门 menu, the 网站地图 page …). A host becomes a site of the province
only when its own home page places it there:

- the 网站标识码 (`<meta name="SiteIDCode">` or the footer text): its leading six
  digits are the division code of the government running the site (4401000001:
  广州市); national sites carry letters (bm05000001: a ministry);
- the name the site gives itself (`<meta name="SiteName">`, `<title>`) or the link
  gives it: …省/市/县/区人民政府, …局/厅/委员会/办公室, …管委会, 乡/镇/街道 — placed
  among the NBS divisions (archive/regions.py, package data) and refined inside
  the code the 网站标识码 gave;
- a department or township whose name names no place is placed where the site
  that links it is, but only when its host sits under that site's (or the
  province's) own domain (jyj.gz.gov.cn under www.gz.gov.cn).

Anything else — news and commercial sites, ministries, other provinces — gets
no identity here and the crawler leaves it alone.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from archive import regions

LEVELS = ("province", "city", "county", "township", "department", "zone")
# Why a linked host is not crawled (the `sites` table's reason, the crawl's counters).
LEFT_ALONE = ("other_province", "national", "no_identity", "not_government", "unreachable",
              "robots", "blocked", "over_sites_bound", "alias")

_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# 网站标识码：4401000001 (also 网站识别码, with or without a colon, national bm…).
_ID_TEXT = re.compile(r"网站(?:标识|识别)码\s*[:：]?\s*([A-Za-z]{0,3}\d{6,10})")
_ID_CODE = re.compile(r"^([A-Za-z]{0,3})(\d{6,10})$")
# Separators of "首页 - 广州市人民政府门户网站" and the like.
_TITLE_SPLIT = re.compile(r"\s*(?:[-_|—–－·•:：>»]+|\s{2,})\s*")
_NOISE = re.compile(r"^(欢迎访问|欢迎来到|欢迎您访问)|(门户网站|官方网站|网站首页|官网|网站|网|首页)$")
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# The footer's sponsor (主办：广州市人民政府办公厅) and the header logo's alt text: names
# the site gives itself where its <title> says only 首页.
_SPONSOR = re.compile(r"主办(?:单位)?\s*[:：]\s*([\u4e00-\u9fff（）()]{2,40})")
_LOGO_ALT = re.compile(r"<img\b[^>]*logo[^>]*>", re.I)
_ALT = re.compile(r"""\balt\s*=\s*["']([^"']{2,40})["']""", re.I)
_GOV_OFFICE = re.compile(r"(人民政府|政府)(办公厅|办公室)$")
NATIONAL_NAME = re.compile(r"^(中华人民共和国|国务院|国家|中央|全国)")

# The kind of body a name says; the order matters ("…人民政府办公厅" is a
# department, "…镇人民政府" a township, "…开发区管理委员会" a zone).
_KINDS = (
    ("township", re.compile(r"(乡|镇|街道)(人民政府|政府|办事处)?$|街道办事处$")),
    ("department", re.compile(r"(人民政府|政府)(办公厅|办公室)$")),
    ("zone", re.compile(r"(管理委员会|管委会|开发区|高新区|新区|试验区|合作区|示范区|保税区|园区)$")),
    ("government", re.compile(r"(人民政府|政府)$")),
    ("department", re.compile(r"(厅|局|委员会|委|办公室|办公厅|办|中心|署|部|院|室)$")),
)
# Anchor text worth a probe of its host even when the host is not *.gov.cn.
BODY_HINT = re.compile(r"人民政府|政府|政务|局|厅|委员会|办公室|管委会|街道|[乡镇]$|开发区|高新区|新区")
GOV_HOST = re.compile(r"(^|\.)gov\.cn$|(^|\.)gov$|\.政务$|\.政务\.cn$")


@dataclass(frozen=True)
class Identity:
    name: str
    code: str  # division code: 2, 4 or 6 digits ('' for national sites)
    level: str  # one of LEVELS, or "national"
    evidence: str  # site_id_code | name | domain


def meta_tags(html: str) -> dict[str, str]:
    """<meta name=… content=…> as {normalised name: content} (SiteIDCode, siteidcode → siteidcode)."""
    out: dict[str, str] = {}
    for tag in _META.findall(html[:200_000]):
        attrs = {k.lower(): next((v for v in vals if v), "") for k, *vals in _ATTR.findall(tag)}
        name = re.sub(r"[^a-z]", "", (attrs.get("name") or "").lower())
        if name and "content" in attrs:
            out.setdefault(name, attrs["content"].strip())
    return out


def site_id_code(html: str) -> str:
    """The 网站标识码 a page declares ('' if none): meta first, then the footer text."""
    code = meta_tags(html).get("siteidcode", "")
    if _ID_CODE.match(code):
        return code
    m = _ID_TEXT.search(html)
    return m.group(1) if m else ""


def division_of_id(code: str) -> str | None:
    """The division a 网站标识码 names: 4401000001 → 4401, 4401130002 → 440113, 4400000064 → 44.
    None for national (bm…) or unknown codes."""
    m = _ID_CODE.match(code or "")
    if not m or m.group(1):
        return None
    six = m.group(2)[:6]
    for candidate in (six, six[:4], six[:2]):
        trimmed = candidate[:2] if candidate[2:].strip("0") == "" else (
            candidate[:4] if candidate[4:].strip("0") == "" else candidate)
        if trimmed in regions.divisions():
            return trimmed
    return None


def clean_name(text: str) -> str:
    """A body's name from a title part or an anchor: no 门户网站, no brackets, no spaces."""
    t = _BRACKETS.sub("", re.sub(r"\s+", "", text or ""))
    for _ in range(3):
        t2 = _NOISE.sub("", t)
        if t2 == t:
            break
        t = t2
    return t


def name_kind(name: str) -> str | None:
    """government | township | zone | department | None, from the name's ending."""
    for kind, pattern in _KINDS:
        if pattern.search(name):
            return kind
    if regions.is_division_name(name):
        return "government"  # a bare division name: 广州市
    return None


def candidate_names(html: str, anchor: str = "") -> list[str]:
    """Names the site gives itself, most trusted first, then the link's text."""
    names = [meta_tags(html).get("sitename", "")]
    m = _TITLE.search(html[:200_000])
    if m:
        title = re.sub(r"<[^>]+>", "", m.group(1))
        names += sorted(_TITLE_SPLIT.split(title.strip()), key=lambda p: name_kind(clean_name(p)) is None)
    names += [m.group(1) for tag in _LOGO_ALT.findall(html[:200_000]) if (m := _ALT.search(tag))]
    # a government's site is run by its 办公厅/办公室: the sponsor names the government
    names += [_GOV_OFFICE.sub(r"\1", m.group(1)) for m in _SPONSOR.finditer(html[-100_000:])]
    names.append(anchor)
    out = []
    for n in map(clean_name, names):
        if n and n not in out and len(n) <= 40:
            out.append(n)
    return out


def _placed(name: str, within: str, *, anywhere: bool) -> str | None:
    """The deepest division the name places, preferring the province of `within`;
    outside it only when `anywhere` (a government's name: 湖南省人民政府 is 湖南's,
    while 石楼镇 linked from 番禺 is no county 石楼县 of 山西)."""
    for w in ((within[:2], "") if within and anywhere else (within[:2],)):
        p = regions.place(name, w)
        code = p.county_code or p.city_code or p.province_code
        if code:
            return code
    return None


def registrable(host: str) -> str:
    """gz.gov.cn for www.gz.gov.cn and jyj.gz.gov.cn; the host itself for IPs."""
    host = (host or "").lower()
    if _is_ip(host):
        return host
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in ("gov", "com", "net", "org", "edu") else 2
    return ".".join(labels[-keep:])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def kin(host: str, parent_host: str, domains: tuple[str, ...] = ()) -> bool:
    """The host sits under the linking site's own domain or one of the province's domains."""
    host = (host or "").lower()
    if _is_ip(host):
        return False
    if parent_host and not _is_ip(parent_host) and registrable(host) == registrable(parent_host):
        return True
    return any(host == d or host.endswith("." + d) for d in domains)


def identify(html: str, host: str, *, anchor: str = "", within: str = "", parent_host: str = "",
             domains: tuple[str, ...] = ()) -> Identity | None:
    """Who runs the site whose home page is `html` (None: no government identity).

    `within` is the division code of the site that linked it (context for names
    that exist in several provinces), `parent_host` that site's host and `domains`
    the province's registered domains (kinship for names that place nothing)."""
    sid = site_id_code(html)
    by_id = division_of_id(sid)
    names = [(n, name_kind(n)) for n in candidate_names(html, anchor)]
    named = [(n, k) for n, k in names if k]
    if sid and not by_id and _ID_CODE.match(sid) or any(NATIONAL_NAME.match(n) for n, _k in named[:1]):
        return Identity(named[0][0] if named else sid, "", "national", "site_id_code" if sid else "name")
    related = kin(host, parent_host, domains)
    for name, kind in named:
        code, evidence = by_id, "site_id_code"
        placed = _placed(name, by_id or within, anywhere=kind == "government")
        if placed and (not code or placed.startswith(code)):
            code, evidence = placed, evidence if by_id else "name"
        if not code and kind != "government" and related and within:
            code, evidence = within, "domain"  # 教育局 under jyj.gz.gov.cn: 广州's
        if not code:
            continue
        if kind == "township" and placed and len(placed) < 6 and within.startswith(placed) and len(within) == 6:
            code = within  # 石楼镇 linked from 番禺区: the county, not just the city
        return Identity(name, code, _level(kind, code), evidence)
    if by_id:  # a 网站标识码 but no name we can read: the government of that division
        name = names[0][0] if names else regions.division_name(by_id) or ""
        return Identity(name, by_id, _level("government", by_id), "site_id_code")
    return None


def _level(kind: str, code: str) -> str:
    if kind == "government":
        return {2: "province", 4: "city"}.get(len(code), "county")
    return kind


def placement(identity: Identity | None, province_code: str) -> str:
    """'inside' the crawl's province, or why the site is left alone."""
    if identity is None:
        return "no_identity"
    if identity.level == "national":
        return "national"
    return "inside" if identity.code.startswith(province_code) else "other_province"


def worth_probing(host: str, anchor: str) -> bool:
    """A linked host that may be a government's: a gov host, or a link text naming a body."""
    return bool(GOV_HOST.search((host or "").lower()) or BODY_HINT.search(anchor or "")
                or _is_ip(host or ""))


def slug_for(host: str, province_slug: str) -> str:
    """guangdong-gz for www.gz.gov.cn, guangdong-jyj-gz for jyj.gz.gov.cn (registry slug rules)."""
    host = (host or "site").lower()
    if _is_ip(host):
        body = host.replace(".", "-").replace(":", "-")
    else:
        labels = host.split(".")
        if labels[0] == "www" and len(labels) > 2:
            labels = labels[1:]
        for tail in (("gov", "cn"), ("com", "cn"), ("cn",), ("com",), ("net",), ("org",), ("gov",)):
            if len(labels) > len(tail) and tuple(labels[-len(tail):]) == tail:
                labels = labels[: -len(tail)]
                break
        body = "-".join(labels)
    body = re.sub(r"[^a-z0-9-]+", "-", body).strip("-") or "site"
    return f"{province_slug}-{body}"
