"""Certificate numbers: 晋(2026)太原市不动产权第0000001号 and 晋(2026)原平市不动产证明第0000001号."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from natres_platform.errors import ValidationFailed

__all__ = [
    "SERIAL_MAX",
    "CertificateKind",
    "CertificateNumber",
    "CertificateNumberInvalid",
    "format_certificate_number",
    "parse_certificate_number",
]

CertificateKind = Literal["right", "proof"]
SERIAL_MAX = 9_999_999  # seven digits
_KIND_WORD: dict[str, str] = {"right": "不动产权", "proof": "不动产证明"}
_WORD_KIND = {word: kind for kind, word in _KIND_WORD.items()}
_CJK = r"\u4e00-\u9fff"
# Parentheses are ASCII, as in the reference numbers; the parser also takes the full-width
# （） people type, and formatting always writes ASCII so a number has one spelling.
_NUMBER_RE = re.compile(
    rf"^(?P<abbr>[{_CJK}])[(（](?P<year>\d{{4}})[)）](?P<place>[{_CJK}]+?)"
    rf"(?P<word>不动产权|不动产证明)第(?P<serial>\d{{7}})号$"
)
_PLACE_RE = re.compile(rf"^[{_CJK}]+$")


class CertificateNumberInvalid(ValidationFailed):
    code = "certificate.number_invalid"
    title = "不动产权证书（证明）号不合法"


@dataclass(frozen=True)
class CertificateNumber:
    """A parsed certificate number."""

    kind: CertificateKind
    year: int
    place_name: str
    serial: int
    province_abbr: str = "晋"

    def __str__(self) -> str:
        return format_certificate_number(
            kind=self.kind, year=self.year, place_name=self.place_name,
            serial=self.serial, province_abbr=self.province_abbr,
        )


def format_certificate_number(
    *,
    kind: CertificateKind,
    year: int,
    place_name: str,
    serial: int,
    province_abbr: str = "晋",
) -> str:
    """`{省简称}({年}){市县名}不动产权第{7-digit serial}号`, or 不动产证明 for a proof."""
    if kind not in _KIND_WORD:
        raise CertificateNumberInvalid(f"证书类型应为 right 或 proof，实为 {kind!r} (kind)", part="kind")
    if not 1000 <= year <= 9999:
        raise CertificateNumberInvalid(f"年份应为 4 位，实为 {year} (year)", part="year")
    if not _PLACE_RE.match(place_name or "") or "不动产" in place_name:
        raise CertificateNumberInvalid(f"市县名应为汉字，实为 {place_name!r} (place_name)", part="place_name")
    if not 1 <= serial <= SERIAL_MAX:
        raise CertificateNumberInvalid(f"流水号应为 1-{SERIAL_MAX}，实为 {serial} (serial)", part="serial")
    if len(province_abbr) != 1 or not _PLACE_RE.match(province_abbr):
        raise CertificateNumberInvalid(f"省简称应为一个汉字，实为 {province_abbr!r} (province_abbr)", part="province_abbr")
    return f"{province_abbr}({year}){place_name}{_KIND_WORD[kind]}第{serial:07d}号"


def parse_certificate_number(number: str) -> CertificateNumber:
    """Split a certificate number into its parts; full-width parentheses are accepted."""
    match = _NUMBER_RE.match(number.strip()) if isinstance(number, str) else None
    if match is None or int(match["serial"]) == 0:
        raise CertificateNumberInvalid(
            f"证书号 {number!r} 不符合 “晋(年份)市县名不动产权第七位流水号号” 格式 (certificate_number)",
            part="certificate_number",
        )
    return CertificateNumber(
        kind=_WORD_KIND[match["word"]],  # type: ignore[arg-type]
        year=int(match["year"]),
        place_name=match["place"],
        serial=int(match["serial"]),
        province_abbr=match["abbr"],
    )
