"""Unit codes: GB/T 37346-2019 不动产单元代码 and the platform's natural-resource unit code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from natres_platform.errors import ValidationFailed
from registry.regions import Regions, is_county_level_code

__all__ = [
    "FIXTURE_KINDS",
    "OWNERSHIP",
    "RESOURCE_TYPES",
    "USE_KINDS",
    "RealEstateUnitCode",
    "ResourceType",
    "ResourceUnitCode",
    "UnitCodeInvalid",
    "UnitCountyUnknown",
    "building_fixture_number",
    "code_kind",
    "parse_resource_code",
    "parse_unit_code",
    "resource_code_for",
    "unit_code_for",
    "validate_resource_code",
    "validate_unit_code",
]


class UnitCodeInvalid(ValidationFailed):
    code = "unit.code_invalid"
    title = "不动产单元代码不合法"


class UnitCountyUnknown(UnitCodeInvalid):
    code = "unit.county_unknown"
    title = "单元代码中的县级行政区划代码不在山西省区划表中"


# GB/T 37346-2019 宗地/宗海特征码, first letter: who owns the land.
OWNERSHIP: dict[str, str] = {"G": "state", "J": "collective", "Z": "undetermined"}
# Second letter: which right the parcel (or sea area) carries.
USE_KINDS: dict[str, str] = {
    "A": "collective_ownership",
    "B": "construction_land_surface",
    "S": "construction_land_above",
    "X": "construction_land_below",
    "C": "homestead",
    "D": "contract_arable",
    "E": "contract_forest",
    "F": "contract_grassland",
    "H": "sea_area",
    "G": "uninhabited_island",
    "W": "undetermined_or_disputed",
    "Y": "other",
}
# 定着物特征码
FIXTURE_KINDS: dict[str, str] = {"F": "building", "L": "trees", "Q": "other", "W": "none"}


@dataclass(frozen=True)
class RealEstateUnitCode:
    """A parsed 28-character 不动产单元代码 (6 + 6 + 7 + 9)."""

    county_code: str
    cadastral_zone: str
    cadastral_subzone: str
    parcel_feature: str
    ownership: str
    use_kind: str
    parcel_seq: str
    fixture_kind: str
    fixture_number: str
    is_virtual: bool

    @property
    def code(self) -> str:
        """The code as one string."""
        return (
            f"{self.county_code}{self.cadastral_zone}{self.cadastral_subzone}"
            f"{self.parcel_feature}{self.parcel_seq}{self.fixture_kind}{self.fixture_number}"
        )


def _fail(part: str, message: str, code: str) -> UnitCodeInvalid:
    return UnitCodeInvalid(f"不动产单元代码 {code!r}: {message} ({part})", part=part, unit_code=code)


def parse_unit_code(code: str) -> RealEstateUnitCode:
    """Check the structure of a 不动产单元代码 (any province) and split it into its parts."""
    if not isinstance(code, str) or len(code) != 28:
        length = len(code) if isinstance(code, str) else 0
        raise _fail("length", f"应为 28 位（6+6+7+9），实为 {length} 位", str(code))
    county, zone, subzone = code[0:6], code[6:9], code[9:12]
    ownership, use_kind, seq = code[12], code[13], code[14:19]
    fixture_kind, fixture_number = code[19], code[20:28]
    if not is_county_level_code(county):
        raise _fail("county_code", f"第 1-6 位县级行政区划代码应为 6 位数字且末两位不为 00，实为 {county!r}", code)
    if not zone.isascii() or not zone.isdigit():
        raise _fail("cadastral_zone", f"第 7-9 位地籍区代码应为 3 位数字，实为 {zone!r}", code)
    if not subzone.isascii() or not subzone.isdigit():
        raise _fail("cadastral_subzone", f"第 10-12 位地籍子区代码应为 3 位数字，实为 {subzone!r}", code)
    if ownership not in OWNERSHIP:
        raise _fail("ownership", f"第 13 位宗地特征码（所有权）应为 G/J/Z，实为 {ownership!r}", code)
    if use_kind not in USE_KINDS:
        allowed = "/".join(USE_KINDS)
        raise _fail("use_kind", f"第 14 位宗地特征码（权利类型）应为 {allowed} 之一，实为 {use_kind!r}", code)
    if not seq.isascii() or not seq.isdigit() or seq == "00000":
        raise _fail("parcel_seq", f"第 15-19 位宗地顺序号应为 00001-99999，实为 {seq!r}", code)
    if fixture_kind not in FIXTURE_KINDS:
        raise _fail("fixture_kind", f"第 20 位定着物特征码应为 F/L/Q/W，实为 {fixture_kind!r}", code)
    if not fixture_number.isascii() or not fixture_number.isdigit():
        raise _fail("fixture_number", f"第 21-28 位定着物单元编号应为 8 位数字，实为 {fixture_number!r}", code)
    if fixture_kind == "W" and fixture_number != "00000000":
        raise _fail("fixture_number", f"无定着物（W）时定着物单元编号应为 00000000，实为 {fixture_number!r}", code)
    return RealEstateUnitCode(
        county_code=county,
        cadastral_zone=zone,
        cadastral_subzone=subzone,
        parcel_feature=ownership + use_kind,
        ownership=ownership,
        use_kind=use_kind,
        parcel_seq=seq,
        fixture_kind=fixture_kind,
        fixture_number=fixture_number,
        is_virtual=zone + subzone == "000000",
    )


def _require_county(code: str, county: str, regions: Regions) -> None:
    if not regions.is_county(county):
        raise UnitCountyUnknown(
            f"单元代码 {code!r}: 第 1-6 位 {county} 不是山西省县级行政区划代码 (county_code)",
            part="county_code",
            unit_code=code,
        )


def validate_unit_code(code: str, *, regions: Regions) -> RealEstateUnitCode:
    """Parse a 不动产单元代码 and require its county to be a known Shanxi county."""
    parsed = parse_unit_code(code)
    _require_county(code, parsed.county_code, regions)
    return parsed


def building_fixture_number(*, building: int, room: int) -> int:
    """定着物单元编号 of a building unit: 4-digit 幢号 followed by 4-digit 户号."""
    if not (0 <= building <= 9999 and 0 <= room <= 9999):
        raise ValueError("building and room must each fit in four digits")
    return building * 10_000 + room


def unit_code_for(
    *,
    county_code: str,
    parcel_seq: int,
    ownership: str = "G",
    use_kind: str = "B",
    cadastral_zone: int = 0,
    cadastral_subzone: int = 0,
    fixture_kind: str = "W",
    fixture_number: int = 0,
) -> str:
    """Format a 不动产单元代码 from its parts and check it; zone and subzone 0 make a virtual unit."""
    if not (0 <= cadastral_zone <= 999 and 0 <= cadastral_subzone <= 999):
        raise ValueError("cadastral zone and subzone must fit in three digits")
    if not (0 <= parcel_seq <= 99_999 and 0 <= fixture_number <= 99_999_999):
        raise ValueError("parcel_seq must fit in five digits and fixture_number in eight")
    code = (
        f"{county_code}{cadastral_zone:03d}{cadastral_subzone:03d}{ownership}{use_kind}"
        f"{parcel_seq:05d}{fixture_kind}{fixture_number:08d}"
    )
    return parse_unit_code(code).code


# --- natural-resource units -------------------------------------------------------------
# No national code structure for 自然资源登记单元 is fixed in the texts we rely on, so the
# platform defines one: "ZY" + 6-digit county + 2-letter resource type + 6-digit sequence,
# 16 characters, e.g. ZY140981SL000001. It cannot be confused with a 不动产单元代码
# (28 characters, starting with digits). A unit spanning counties takes the county of the
# office that records it (条例 Art. 7 designation).

RESOURCE_CODE_PREFIX = "ZY"


@dataclass(frozen=True)
class ResourceType:
    """One natural-resource type: two-letter code, English name, Chinese name."""

    code: str
    name: str
    label: str


# Letters come from the pinyin of the Chinese name; where initials collide (水流/森林/山岭 all
# give SL) the later types take another letter of their pinyin, noted beside them.
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("SL", "water_flow", "水流"),
    ResourceType("SN", "forest", "森林"),  # SeN lin: SL is taken by 水流
    ResourceType("SA", "mountain", "山岭"),  # ShAn ling: SL is taken by 水流
    ResourceType("CY", "grassland", "草原"),
    ResourceType("HD", "wasteland", "荒地"),
    ResourceType("SD", "wetland", "湿地"),
    ResourceType("TT", "tidal_flat", "滩涂"),
    ResourceType("HY", "sea_area", "海域"),
    ResourceType("WD", "uninhabited_island", "无居民海岛"),
    ResourceType("KC", "mineral_reserve", "探明储量的矿产资源"),
    ResourceType("ZB", "protected_area", "自然保护地"),
    ResourceType("GY", "national_park", "国家公园"),
)
RESOURCE_TYPES_BY_CODE = {t.code: t for t in RESOURCE_TYPES}
RESOURCE_TYPES_BY_NAME = {t.name: t for t in RESOURCE_TYPES}

_RESOURCE_RE = re.compile(r"^ZY(?P<county>\d{6})(?P<type>[A-Z]{2})(?P<seq>\d{6})$")


@dataclass(frozen=True)
class ResourceUnitCode:
    """A parsed natural-resource unit code."""

    county_code: str
    resource_type: ResourceType
    sequence: int

    @property
    def code(self) -> str:
        """The code as one string."""
        return f"{RESOURCE_CODE_PREFIX}{self.county_code}{self.resource_type.code}{self.sequence:06d}"


def _fail_resource(part: str, message: str, code: str) -> UnitCodeInvalid:
    return UnitCodeInvalid(f"自然资源单元代码 {code!r}: {message} ({part})", part=part, unit_code=code)


def parse_resource_code(code: str) -> ResourceUnitCode:
    """Check the structure of a natural-resource unit code and split it into its parts."""
    if not isinstance(code, str) or len(code) != 16:
        length = len(code) if isinstance(code, str) else 0
        raise _fail_resource("length", f"应为 16 位（ZY+6+2+6），实为 {length} 位", str(code))
    if not code.startswith(RESOURCE_CODE_PREFIX):
        raise _fail_resource("prefix", f"应以 ZY 开头，实为 {code[:2]!r}", code)
    match = _RESOURCE_RE.match(code)
    county, kind, seq = code[2:8], code[8:10], code[10:16]
    if not is_county_level_code(county):
        raise _fail_resource("county_code", f"第 3-8 位县级行政区划代码不合法：{county!r}", code)
    if kind not in RESOURCE_TYPES_BY_CODE:
        allowed = "/".join(RESOURCE_TYPES_BY_CODE)
        raise _fail_resource("resource_type", f"第 9-10 位资源类型应为 {allowed} 之一，实为 {kind!r}", code)
    if match is None or seq == "000000":
        raise _fail_resource("sequence", f"第 11-16 位顺序号应为 000001-999999，实为 {seq!r}", code)
    return ResourceUnitCode(county_code=county, resource_type=RESOURCE_TYPES_BY_CODE[kind], sequence=int(seq))


def validate_resource_code(code: str, *, regions: Regions) -> ResourceUnitCode:
    """Parse a natural-resource unit code and require its county to be a known Shanxi county."""
    parsed = parse_resource_code(code)
    _require_county(code, parsed.county_code, regions)
    return parsed


def resource_code_for(*, county_code: str, resource_type: str, sequence: int) -> str:
    """Format a natural-resource unit code; resource_type is the English name or the 2-letter code."""
    kind = RESOURCE_TYPES_BY_NAME.get(resource_type) or RESOURCE_TYPES_BY_CODE.get(resource_type)
    if kind is None:
        raise ValueError(f"unknown resource type {resource_type!r}")
    if not 1 <= sequence <= 999_999:
        raise ValueError("sequence must be 1..999999")
    return parse_resource_code(f"{RESOURCE_CODE_PREFIX}{county_code}{kind.code}{sequence:06d}").code


def code_kind(code: str) -> Literal["real_estate", "natural_resource"]:
    """Which code family a string claims to be, by shape only (the parsers do the checking)."""
    return "natural_resource" if code.startswith(RESOURCE_CODE_PREFIX) else "real_estate"
