"""The shipped GB/T 2260 list of Shanxi divisions."""

import pytest

from registry.regions import Regions, RegionUnknown

REGIONS = Regions.load()

TAIYUAN = ["140105", "140106", "140107", "140108", "140109", "140110", "140121", "140122", "140123", "140181"]
XINZHOU = ["140902", *(f"1409{n}" for n in range(21, 33)), "140981"]
PER_CITY = {
    "140100": 10, "140200": 10, "140300": 5, "140400": 12, "140500": 6, "140600": 6,
    "140700": 11, "140800": 13, "140900": 14, "141000": 17, "141100": 13,
}


def test_eleven_cities_and_117_county_level_units():
    assert len(REGIONS.cities()) == 11
    assert len(REGIONS.counties()) == 117
    assert {c: len(REGIONS.counties(within=c)) for c in REGIONS.cities()} == PER_CITY
    assert len(REGIONS.counties(within="140000")) == 117


def test_taiyuan_and_xinzhou_match_the_reference_exactly():
    assert REGIONS.counties(within="140100") == TAIYUAN
    assert REGIONS.counties(within="140900") == XINZHOU
    assert REGIONS.name("140105") == "小店区" and REGIONS.name("140181") == "古交市"
    assert REGIONS.name("140981") == "原平市" and REGIONS.name("140923") == "代县"


def test_current_names_after_the_2018_2019_changes():
    assert [REGIONS.name(c) for c in ("140212", "140213", "140214", "140215")] == ["新荣区", "平城区", "云冈区", "云州区"]
    assert REGIONS.name("140403") == "潞州区" and REGIONS.name("140681") == "怀仁市"
    assert REGIONS.name("140703") == "太谷区"
    retired = ("140202", "140203", "140211", "140227", "140402", "140411", "140421", "140424", "140481", "140624", "140726")
    assert not [code for code in retired if code in REGIONS]


def test_hierarchy_and_full_names():
    assert REGIONS.city_of("140107") == "140100"
    assert REGIONS.city_of("140100") == "140100"
    assert REGIONS.full_name("140107") == "山西省太原市杏花岭区"
    assert REGIONS.full_name("140900") == "山西省忻州市"
    assert REGIONS.is_county("140107") and not REGIONS.is_county("140100") and not REGIONS.is_county("140000")
    assert REGIONS.level("140000") == "province"


def test_certificate_place_name_uses_the_city_for_districts():
    assert REGIONS.certificate_place_name("140107") == "太原市"
    assert REGIONS.certificate_place_name("140303") == "阳泉市"  # 矿区 is a district of Yangquan
    assert REGIONS.certificate_place_name("140981") == "原平市"
    assert REGIONS.certificate_place_name("140122") == "阳曲县"
    assert REGIONS.certificate_place_name("140100") == "太原市"
    with pytest.raises(RegionUnknown):
        REGIONS.certificate_place_name("140000")


def test_unknown_code_raises_a_domain_error():
    with pytest.raises(RegionUnknown) as caught:
        REGIONS.name("320684")
    assert caught.value.code == "region.unknown"
