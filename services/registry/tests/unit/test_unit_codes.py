"""GB/T 37346 unit codes and the platform's natural-resource unit codes."""

import pytest

from registry.regions import Regions
from registry.units.codes import (
    RESOURCE_TYPES,
    UnitCodeInvalid,
    UnitCountyUnknown,
    building_fixture_number,
    code_kind,
    parse_resource_code,
    parse_unit_code,
    resource_code_for,
    unit_code_for,
    validate_resource_code,
    validate_unit_code,
)

REGIONS = Regions.load()


@pytest.mark.parametrize("code", ["320684413219GB00029F00010002", "340121261006GB00014F00220045"])
def test_real_codes_from_other_provinces_parse_structurally(code):
    parsed = parse_unit_code(code)
    assert parsed.code == code
    assert parsed.parcel_feature == "GB" and parsed.ownership == "G" and parsed.use_kind == "B"
    assert parsed.fixture_kind == "F" and not parsed.is_virtual


def test_parts_are_split_6_6_7_9():
    parsed = parse_unit_code("340121261006GB00014F00220045")
    assert (parsed.county_code, parsed.cadastral_zone, parsed.cadastral_subzone) == ("340121", "261", "006")
    assert (parsed.parcel_seq, parsed.fixture_number) == ("00014", "00220045")


def test_out_of_province_code_fails_the_shanxi_county_check():
    with pytest.raises(UnitCountyUnknown) as caught:
        validate_unit_code("320684413219GB00029F00010002", regions=REGIONS)
    assert caught.value.code == "unit.county_unknown"
    assert caught.value.extensions["part"] == "county_code"


def test_shanxi_code_validates_and_virtual_unit_is_flagged():
    parsed = validate_unit_code("140107000000GB00012W00000000", regions=REGIONS)
    assert parsed.is_virtual and parsed.fixture_kind == "W"


@pytest.mark.parametrize(
    ("code", "part", "words"),
    [
        ("14010700300GB00012F0001000", "length", "28 位"),
        ("1401070030020GB00012F00010002", "length", "28 位"),
        ("140100003002GB00012F00010002", "county_code", "县级行政区划代码"),
        ("14O107003002GB00012F00010002", "county_code", "县级行政区划代码"),
        ("1401070A3002GB00012F00010002", "cadastral_zone", "地籍区"),
        ("140107003 02GB00012F00010002", "cadastral_subzone", "地籍子区"),
        ("140107003002XB00012F00010002", "ownership", "G/J/Z"),
        ("140107003002GZ00012F00010002", "use_kind", "第 14 位"),
        ("140107003002gb00012F00010002", "ownership", "G/J/Z"),
        ("140107003002GB00000F00010002", "parcel_seq", "00001-99999"),
        ("140107003002GB0001AF00010002", "parcel_seq", "宗地顺序号"),
        ("140107003002GB00012K00010002", "fixture_kind", "F/L/Q/W"),
        ("140107003002GB00012F0001000A", "fixture_number", "8 位数字"),
        ("140107003002GB00012W00010002", "fixture_number", "00000000"),
    ],
)
def test_error_names_the_wrong_part(code, part, words):
    with pytest.raises(UnitCodeInvalid) as caught:
        parse_unit_code(code)
    error = caught.value
    assert error.code == "unit.code_invalid"
    assert error.extensions["part"] == part
    assert f"({part})" in error.detail and words in error.detail


def test_unit_code_for_formats_and_checks():
    code = unit_code_for(
        county_code="140107", cadastral_zone=3, cadastral_subzone=2, parcel_seq=12,
        fixture_kind="F", fixture_number=building_fixture_number(building=1, room=2),
    )
    assert code == "140107003002GB00012F00010002"
    assert unit_code_for(county_code="140981", parcel_seq=7, ownership="J", use_kind="C") == (
        "140981000000JC00007W00000000"
    )
    with pytest.raises(UnitCodeInvalid):
        unit_code_for(county_code="140107", parcel_seq=0)
    with pytest.raises(ValueError):
        unit_code_for(county_code="140107", parcel_seq=100_000)


def test_resource_type_table_is_unambiguous():
    assert len({t.code for t in RESOURCE_TYPES}) == len(RESOURCE_TYPES) == 12
    assert len({t.name for t in RESOURCE_TYPES}) == 12
    assert all(len(t.code) == 2 and t.code.isupper() for t in RESOURCE_TYPES)


def test_resource_code_round_trip():
    code = resource_code_for(county_code="140981", resource_type="water_flow", sequence=1)
    assert code == "ZY140981SL000001"
    parsed = validate_resource_code(code, regions=REGIONS)
    assert parsed.resource_type.name == "water_flow" and parsed.resource_type.label == "水流"
    assert parsed.sequence == 1 and parsed.code == code
    assert resource_code_for(county_code="140107", resource_type="SD", sequence=42) == "ZY140107SD000042"
    assert code_kind(code) == "natural_resource"
    assert code_kind("140107003002GB00012F00010002") == "real_estate"


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("ZY140981SL00001", "length"),
        ("ZZ140981SL000001", "prefix"),
        ("ZY140900SL000001", "county_code"),
        ("ZY140981XX000001", "resource_type"),
        ("ZY140981SL000000", "sequence"),
        ("ZY140981SL00000A", "sequence"),
    ],
)
def test_bad_resource_codes_name_the_part(code, part):
    with pytest.raises(UnitCodeInvalid) as caught:
        parse_resource_code(code)
    assert caught.value.extensions["part"] == part


def test_resource_code_outside_shanxi_fails_county_check():
    parse_resource_code("ZY320684SL000001")
    with pytest.raises(UnitCountyUnknown):
        validate_resource_code("ZY320684SL000001", regions=REGIONS)
