"""Fixtures for the pure unit tests: plain objects only."""

from datetime import UTC, date, datetime

import pytest

from registry.certificates.payload import Holder, build_certificate_payload

VALID_RESIDENT_ID = "140107199001011230"  # check digit correct
VALID_CREDIT_CODE = "91350100M000100Y43"  # GB 32100 check character correct


@pytest.fixture
def certificate_payload() -> dict:
    return build_certificate_payload(
        certificate_number="晋(2026)太原市不动产权第0000001号",
        kind="right",
        unit_code="140107003002GB00012F00010002",
        location="太原市杏花岭区府东街1号1幢2单元302室",
        right_type="国有建设用地使用权/房屋所有权",
        right_nature="出让/市场化商品房",
        land_use="城镇住宅用地/住宅",
        holders=[
            Holder(name="张三", id_number=VALID_RESIDENT_ID, share="1/2"),
            Holder(name="山西示例有限公司", id_number=VALID_CREDIT_CODE, id_type="统一社会信用代码", share="1/2"),
        ],
        sharing="按份共有",
        area_m2="98.76",
        term_start=date(2026, 1, 1),
        term_end=date(2095, 12, 31),
        issuing_office_region="140107",
        issuing_office_name="太原市杏花岭区不动产登记中心",
        recorded_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
        issued_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        book_entry_id="0b6f3c1e-7d1a-4c53-9f0e-2d4c8a1b5e77",
        book_entry_version=3,
        verification_url="https://registry.natres.example/verify/晋(2026)太原市不动产权第0000001号",
    )
