"""Certificate numbers 晋(2026)太原市不动产权第0000001号."""

import pytest

from registry.certificates.numbering import (
    CertificateNumber,
    CertificateNumberInvalid,
    format_certificate_number,
    parse_certificate_number,
)
from registry.regions import Regions


def test_right_and_proof_numbers_match_the_reference_spelling():
    assert format_certificate_number(kind="right", year=2026, place_name="太原市", serial=1) == (
        "晋(2026)太原市不动产权第0000001号"
    )
    assert format_certificate_number(kind="proof", year=2026, place_name="原平市", serial=1) == (
        "晋(2026)原平市不动产证明第0000001号"
    )


def test_place_name_comes_from_the_issuing_office_region():
    regions = Regions.load()
    place = regions.certificate_place_name("140122")
    assert format_certificate_number(kind="right", year=2026, place_name=place, serial=1234567) == (
        "晋(2026)阳曲县不动产权第1234567号"
    )


def test_parse_round_trips_and_accepts_full_width_parentheses():
    parsed = parse_certificate_number("晋(2026)太原市不动产权第0000001号")
    assert parsed == CertificateNumber(kind="right", year=2026, place_name="太原市", serial=1)
    assert str(parsed) == "晋(2026)太原市不动产权第0000001号"
    typed = parse_certificate_number("晋（2026）原平市不动产证明第0000042号")
    assert (typed.kind, typed.place_name, typed.serial) == ("proof", "原平市", 42)
    assert str(typed) == "晋(2026)原平市不动产证明第0000042号"


@pytest.mark.parametrize(
    "number",
    [
        "晋(2026)太原市不动产权第000001号",
        "晋(2026)太原市不动产权第0000000号",
        "晋(26)太原市不动产权第0000001号",
        "晋(2026)不动产权第0000001号",
        "晋(2026)太原市不动产所有权第0000001号",
        "",
    ],
)
def test_malformed_numbers_are_refused(number):
    with pytest.raises(CertificateNumberInvalid) as caught:
        parse_certificate_number(number)
    assert caught.value.code == "certificate.number_invalid"


@pytest.mark.parametrize(
    ("kwargs", "part"),
    [
        ({"serial": 0}, "serial"),
        ({"serial": 10_000_000}, "serial"),
        ({"place_name": "Taiyuan"}, "place_name"),
        ({"year": 26}, "year"),
        ({"kind": "deed"}, "kind"),
    ],
)
def test_format_refuses_bad_parts(kwargs, part):
    args = {"kind": "right", "year": 2026, "place_name": "太原市", "serial": 1} | kwargs
    with pytest.raises(CertificateNumberInvalid) as caught:
        format_certificate_number(**args)
    assert caught.value.extensions["part"] == part
