"""域内通办 rules: who may receive (zones) and who must review and record (属地)."""

import pytest

from registry.regions import Regions
from registry.zones.rules import (
    NotCompetentOfficeError,
    OutsideZoneError,
    can_receive,
    competence_decision,
    is_competent,
    load_zones,
    with_enabled,
    zone_problems,
    zones_shared,
)

REGIONS = Regions.load()
ZONES = load_zones()
TAIXIN = {"140924", "140923", "140922", "140902", "140921", "140981", "140108", "140122", "140181", "140107", "140106", "140109"}


def test_shipped_zone_data_is_consistent_and_only_taixin_is_on():
    assert zone_problems(ZONES, regions=REGIONS) == []
    assert [z.id for z in ZONES if z.enabled] == ["taixin"]
    taixin = next(z for z in ZONES if z.id == "taixin")
    assert taixin.counties == TAIXIN and len(taixin.groups) == 4
    assert set().union(*(g.counties for g in taixin.groups)) == TAIXIN


def test_city_and_province_prefixes_cover_their_counties():
    by_id = {z.id: z for z in ZONES}
    cluster = [c for c in REGIONS.counties() if by_id["central_city_cluster"].contains(c)]
    assert len(cluster) == 10 + 11 + 14 + 13 + 5
    assert all(by_id["province"].contains(c) for c in REGIONS.counties())
    assert not by_id["province"].contains("140000") and not by_id["province"].contains("320684")
    assert by_id["jinbei_circle"].contains("140681") and not by_id["jinbei_circle"].contains("140107")


def test_taiyuan_office_receives_for_a_yuanping_unit_in_the_pilot():
    decision = can_receive(office_region="140107", unit_county="140981", zones=ZONES, regions=REGIONS)
    assert decision.allowed and decision.rule == "zone.shared_zone:taixin" and decision.zone_id == "taixin"
    assert "太忻一体化经济区" in decision.message and "杏花岭区" in decision.message
    decision.raise_if_denied()


def test_same_county_is_always_allowed():
    decision = can_receive(office_region="140213", unit_county="140213", zones=ZONES)
    assert decision.allowed and decision.rule == "zone.same_county"


def test_datong_office_cannot_receive_for_taiyuan_unit():
    decision = can_receive(office_region="140213", unit_county="140107", zones=ZONES)
    assert not decision.allowed and decision.rule == "zone.outside_zone"
    with pytest.raises(OutsideZoneError) as caught:
        decision.raise_if_denied()
    assert caught.value.code == "zone.outside_zone" and caught.value.status_code == 403


def test_disabled_zones_do_not_count():
    # 小店区 and 榆次区 share only disabled zones (transformation zone, central city cluster)
    assert zones_shared(office_region="140105", unit_county="140702", zones=ZONES) == []
    assert not can_receive(office_region="140105", unit_county="140702", zones=ZONES).allowed


def test_provincial_office_is_not_a_county_office():
    everywhere = with_enabled(ZONES, zone_id="province", enabled=True)
    decision = can_receive(office_region="140000", unit_county="140107", zones=everywhere)
    assert not decision.allowed and decision.rule == "zone.outside_zone"
    assert not can_receive(office_region="140100", unit_county="140107", zones=everywhere).allowed


def test_only_the_units_own_county_reviews_and_records():
    assert is_competent(office_region="140981", unit_county="140981")
    assert not is_competent(office_region="140107", unit_county="140981")
    decision = competence_decision(office_region="140107", unit_county="140981", regions=REGIONS)
    assert not decision.allowed and decision.rule == "zone.competent_only" and "第七条" in decision.message
    with pytest.raises(NotCompetentOfficeError) as caught:
        decision.raise_if_denied()
    assert caught.value.code == "zone.competent_office_only"
    assert competence_decision(office_region="140981", unit_county="140981").allowed


def test_province_wide_switched_on_lets_datong_receive_but_not_review():
    everywhere = with_enabled(ZONES, zone_id="province", enabled=True)
    decision = can_receive(office_region="140213", unit_county="140107", zones=everywhere)
    assert decision.allowed and decision.rule == "zone.shared_zone:province"
    # the narrower pilot zone still names the rule where it applies
    assert can_receive(office_region="140107", unit_county="140981", zones=everywhere).rule == "zone.shared_zone:taixin"
    assert not is_competent(office_region="140213", unit_county="140107")


def test_with_enabled_rejects_unknown_zone_and_unit_county_must_be_county():
    with pytest.raises(KeyError):
        with_enabled(ZONES, zone_id="nowhere", enabled=True)
    with pytest.raises(ValueError):
        can_receive(office_region="140107", unit_county="140100", zones=ZONES)
