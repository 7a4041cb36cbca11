"""Place an issuing body in province / city / county from its name.

Data: archive/data/modood_*.csv, copied unchanged from ../shared/data/divisions
(modood/Administrative-divisions-of-China, WTFPL) so the package needs nothing
outside itself. Codes are the 统计用区划代码: 2-digit province, 4-digit city,
6-digit county.

Method: find division names (full "沾益区" or short "沾益") in the body's name,
left to right, longest first; then choose the deepest division whose lineage
explains the most matches. "朝阳区" alone is ambiguous (Beijing, Changchun), so
it places nothing deeper than what every reading agrees on.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

# Suffixes dropped to form the short name people write ("驻马店" for 驻马店市).
_SUFFIX = re.compile(
    r"(?:[\u4e00-\u9fff]{0,8}?族)*(?:自治州|自治县|自治旗|自治区|特别行政区|省|市|区|县|旗|盟|地区|林区|特区)$"
)
# Two-character names ("城区", "赵县", "深州") occur inside ordinary words, so
# they count only at the start of the name or right after another place name.
_SHORT = 2


@dataclass(frozen=True)
class Division:
    code: str  # 2, 4 or 6 digits
    name: str
    level: str  # province | city | county
    parent: str | None


@dataclass(frozen=True)
class Place:
    province: str | None = None
    province_code: str | None = None
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    county_code: str | None = None

    @property
    def code6(self) -> str:
        """The most specific code padded to the 6-digit administrative code; 000000 if unplaced."""
        code = self.county_code or self.city_code or self.province_code or ""
        return code.ljust(6, "0")

    @property
    def level(self) -> str | None:
        if self.county_code:
            return "county"
        if self.city_code:
            return "city"
        if self.province_code:
            return "province"
        return None


def _read(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def divisions() -> dict[str, Division]:
    out: dict[str, Division] = {}
    for r in _read("modood_provinces.csv"):
        out[r["code"]] = Division(r["code"], r["name"], "province", None)
    for r in _read("modood_cities.csv"):
        name = r["name"]
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            # Placeholders under municipalities: the city is the province itself.
            name = out[r["provinceCode"]].name
        out[r["code"]] = Division(r["code"], name, "city", r["provinceCode"])
    for r in _read("modood_areas.csv"):
        out[r["code"]] = Division(r["code"], r["name"], "county", r["cityCode"])
    return out


@cache
def _name_index() -> dict[str, list[tuple[str, bool]]]:
    """name -> [(code, is_full_name)]. Placeholder cities are not indexed by name."""
    index: dict[str, list[tuple[str, bool]]] = {}
    for code, d in divisions().items():
        if d.level == "city" and d.name == divisions()[d.parent].name:
            continue
        index.setdefault(d.name, []).append((code, True))
        short = _SUFFIX.sub("", d.name)
        if short != d.name and len(short) >= _SHORT:
            index.setdefault(short, []).append((code, False))
    return index


def _lineage(code: str) -> list[str]:
    """[code, parent, grandparent...]."""
    out = []
    div = divisions().get(code)
    while div is not None:
        out.append(div.code)
        div = divisions().get(div.parent) if div.parent else None
    return out


@cache
def _longest() -> int:
    return max(len(k) for k in _name_index())


def _matches(name: str) -> list[list[tuple[str, bool]]]:
    index = _name_index()
    longest = _longest()  # (was recomputed over the whole index for every name: docs/scale.md)
    found, i, last_end = [], 0, 0
    while i < len(name):
        for size in range(min(longest, len(name) - i), _SHORT - 1, -1):
            word = name[i : i + size]
            if word in index and (size > _SHORT or i == last_end):
                found.append(index[word])
                i = last_end = i + size
                break
        else:
            i += 1
    return found


@lru_cache(maxsize=4096)  # a crawl or an ingest meets the same few bodies again and again
def place(name: str | None, within: str = "") -> Place:
    """Place a body by its name; an unknown place is Place() (all None). `within` (a
    division code) keeps only divisions under it: "朝阳区" within "22" is 长春's."""
    if not name:
        return Place()
    matches = _matches(name)
    if within:
        matches = [kept for g in matches if (kept := [(c, f) for c, f in g if c.startswith(within)])]
    if not matches:
        return Place()
    scored: dict[str, tuple[int, int, int]] = {}
    for group in matches:
        for code, _full in group:
            if code in scored:
                continue
            lineage = set(_lineage(code))
            support = sum(1 for g in matches if any(c in lineage for c, _ in g))
            full = sum(1 for g in matches for c, f in g if f and c in lineage)
            scored[code] = (support, full, len(code))
    best = max(scored.values())
    winners = [c for c, s in scored.items() if s == best]
    chosen = _common_ancestor(winners)
    return _place_of(chosen) if chosen else Place()


def _common_ancestor(codes: list[str]) -> str | None:
    lineages = [list(reversed(_lineage(c))) for c in codes]
    common = None
    for level in zip(*lineages, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


def _place_of(code: str) -> Place:
    fields: dict[str, str] = {}
    for c in _lineage(code):
        d = divisions()[c]
        fields[d.level] = d.name
        fields[f"{d.level}_code"] = c
    return Place(**fields)


def division_place(code6: str) -> Place:
    """The place of a 6-digit code as ids print it (411700 is the city 4117, 410000 the
    province 41); Place() for 000000 or a code not in the list."""
    code = code6[:4] if code6[4:] == "00" else code6
    code = code[:2] if len(code) == 4 and code[2:] == "00" else code
    return _place_of(code) if code in divisions() else Place()


def short_name(name: str) -> str:
    """The name people write without its suffix ("驻马店" for 驻马店市, "河南" for 河南省)."""
    return _SUFFIX.sub("", name)


def is_division_name(name: str) -> bool:
    """The full name of a division ("广州市", not "广州", not the placeholder "市辖区")."""
    return any(full for _code, full in _name_index().get(name, ()))


def division_name(code: str) -> str | None:
    d = divisions().get(code)
    return d.name if d else None
