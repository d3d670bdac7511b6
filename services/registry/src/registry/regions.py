"""Shanxi administrative divisions (GB/T 2260): names, hierarchy and certificate place names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from natres_platform.errors import ValidationFailed

__all__ = ["Division", "Level", "RegionUnknown", "Regions", "is_county_level_code", "level_of_code"]

Level = Literal["province", "city", "county"]


class RegionUnknown(ValidationFailed):
    code = "region.unknown"
    title = "行政区划代码不存在"


@dataclass(frozen=True)
class Division:
    """One GB/T 2260 division: six-digit code, Chinese name, parent code (None for the province)."""

    code: str
    name: str
    parent: str | None


def level_of_code(code: str) -> Level:
    """The level a six-digit code denotes by its shape (ppcc00 city, pp0000 province)."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise ValueError(f"not a six-digit division code: {code!r}")
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def is_county_level_code(code: str) -> bool:
    """Whether the code has the shape of a county-level division (its last two digits not 00)."""
    return len(code) == 6 and code.isascii() and code.isdigit() and code[4:] != "00"


class Regions:
    """The shipped division list, looked up by code."""

    def __init__(self, divisions: list[Division]) -> None:
        self._by_code = {d.code: d for d in divisions}

    @classmethod
    def load(cls, path: Path | None = None) -> Regions:
        """Read the division list; the shipped Shanxi list unless a path is given."""
        if path is None:
            text = (resources.files("registry") / "data" / "gb2260_shanxi.json").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        rows = json.loads(text)["divisions"]
        return cls([Division(code=r["code"], name=r["name"], parent=r["parent"]) for r in rows])

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def division(self, code: str) -> Division:
        """The division with this code, or RegionUnknown."""
        try:
            return self._by_code[code]
        except KeyError:
            raise RegionUnknown(f"行政区划代码 {code!r} 不在山西省区划表中 (region.unknown)", region=code) from None

    def name(self, code: str) -> str:
        """Chinese name, e.g. 杏花岭区."""
        return self.division(code).name

    def level(self, code: str) -> Level:
        """province / city / county for a known code."""
        self.division(code)
        return level_of_code(code)

    def is_county(self, code: str) -> bool:
        """Whether the code is a known county-level division (区, 县 or 县级市)."""
        return code in self._by_code and level_of_code(code) == "county"

    def city_of(self, code: str) -> str:
        """The city code of a county (a city returns itself)."""
        division = self.division(code)
        level = level_of_code(code)
        if level == "city":
            return code
        if level == "province" or division.parent is None:
            raise RegionUnknown(f"{code} 是省级代码，没有所属地级市 (region.unknown)", region=code)
        return division.parent

    def cities(self) -> list[str]:
        """All city codes, sorted."""
        return sorted(c for c in self._by_code if level_of_code(c) == "city")

    def counties(self, *, within: str | None = None) -> list[str]:
        """All county-level codes, sorted; only those under `within` (a city or province) if given."""
        prefix = _prefix(within) if within is not None else ""
        return sorted(c for c in self._by_code if level_of_code(c) == "county" and c.startswith(prefix))

    def full_name(self, code: str) -> str:
        """Name with its ancestors, e.g. 山西省太原市杏花岭区."""
        parts: list[str] = []
        current: str | None = code
        while current is not None:
            division = self.division(current)
            parts.append(division.name)
            current = division.parent
        return "".join(reversed(parts))

    def certificate_place_name(self, code: str) -> str:
        """The 市县名 on a certificate: the city for its districts, else the county's own name."""
        level = self.level(code)
        if level == "province":
            raise RegionUnknown(f"{code} 是省级代码，不能作为发证机构所在市县 (region.unknown)", region=code)
        # GB/T 2260: county digits 01-20 are 市辖区; their certificates carry the city name
        # (晋(2026)太原市…); 21-70 are counties and 81-99 county-level cities, named themselves.
        if level == "city" or int(code[4:]) <= 20:
            return self.name(self.city_of(code))
        return self.name(code)


def _prefix(code: str) -> str:
    """The code prefix shared by every division under this one."""
    level = level_of_code(code)
    return {"province": code[:2], "city": code[:4], "county": code}[level]
