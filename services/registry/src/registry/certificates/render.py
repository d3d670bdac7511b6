"""The certificate PDF: A4, Chinese text, a QR code to the public verification page."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from registry.certificates.payload import signature_fingerprint

__all__ = ["CJK_FONT_CANDIDATES", "LATIN_FONT_CANDIDATES", "TITLES", "qr_png", "render_certificate_pdf"]

# Embeddable TrueType fonts, CJK first, then Latin: a run of text takes the first font that
# has each character. Noto CJK ships as CFF-flavoured OpenType, which reportlab cannot embed,
# so Debian's Droid Sans Fallback (a TTF with CJK but no Latin glyphs) is paired with DejaVu.
CJK_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
LATIN_FONT_CANDIDATES: tuple[str, ...] = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
_CID_FALLBACK = "STSong-Light"  # built into reportlab, covers everything; not embedded
TITLES = {"right": "不动产权证书", "proof": "不动产登记证明"}
_BEIJING = timezone(timedelta(hours=8))  # China keeps one offset all year: no tz database needed


@dataclass(frozen=True)
class _FontStack:
    """Fonts in order of preference with the code points each covers (None: all)."""

    fonts: tuple[tuple[str, frozenset[int] | None], ...]

    def runs(self, text: str) -> list[tuple[str, str]]:
        """Split text into (font, chunk) runs."""
        runs: list[tuple[str, str]] = []
        for char in text:
            font = next(name for name, cover in self.fonts if cover is None or ord(char) in cover)
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    def width(self, text: str, size: float) -> float:
        return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in self.runs(text))

    def draw(self, pdf: Canvas, x: float, y: float, text: str, size: float) -> None:
        # One text object with font switches, so extractors read the line as one string.
        line = pdf.beginText(x, y)
        for font, chunk in self.runs(text):
            line.setFont(font, size)
            line.textOut(chunk)
        pdf.drawText(line)

    def draw_centred(self, pdf: Canvas, x: float, y: float, text: str, size: float) -> None:
        self.draw(pdf, x - self.width(text, size) / 2, y, text, size)


def _register_ttf(path: str) -> tuple[str, frozenset[int]] | None:
    """Register a TrueType font file; None when missing or not embeddable (CFF outlines)."""
    if not Path(path).is_file():
        return None
    name = f"Natres-{Path(path).stem}"
    try:
        font = TTFont(name, path, subfontIndex=0)
    except Exception:  # noqa: BLE001 - reportlab raises TTFError or plain errors for CFF fonts
        return None
    pdfmetrics.registerFont(font)
    return name, frozenset(font.face.charToGlyph)


@cache
def _font_stack(font_path: str | None) -> _FontStack:
    """Embedded TTFs when a CJK one is available, else the CID font alone (uniform look)."""
    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FALLBACK))
    fallback = (_CID_FALLBACK, None)
    cjk = next(filter(None, map(_register_ttf, (font_path,) if font_path else CJK_FONT_CANDIDATES)), None)
    if cjk is None:
        return _FontStack((fallback,))
    latin = next(filter(None, map(_register_ttf, LATIN_FONT_CANDIDATES)), None)
    return _FontStack(tuple(f for f in (cjk, latin, fallback) if f is not None))


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """A QR code (error level M, quiet zone 4) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _wrap(text: str, *, fonts: _FontStack, size: float, width: float) -> list[str]:
    """Break text into lines that fit; character by character, as Chinese has no spaces."""
    lines, line = [], ""
    for char in text:
        if fonts.width(line + char, size) > width and line:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line or not lines else lines


def _date_cn(value: str | None) -> str:
    """ISO date or RFC 3339 time → 2026年03月02日 (Beijing time for instants)."""
    if not value:
        return ""
    if "T" in value:
        moment = datetime.fromisoformat(value).astimezone(_BEIJING)
        return moment.strftime("%Y年%m月%d日 %H:%M")
    return datetime.fromisoformat(value).strftime("%Y年%m月%d日")


def _holders_text(holders: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for h in holders:
        share = f"，份额 {h['share']}" if h.get("share") else ""
        parts.append(f"{h['name']}（{h.get('id_type', '')} {h['id_number']}{share}）")
    return "；".join(parts)


def _term_text(term: Mapping[str, Any] | None) -> str:
    if not term:
        return "—"
    start, end = _date_cn(term.get("start")), _date_cn(term.get("end"))
    return f"{start or '—'}起 {end or '—'}止"


def _fields(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Label and value of each printed line, in the order of the official form."""
    office = payload["issuing_office"]
    return [
        ("权利人", _holders_text(payload["holders"])),
        ("共有情况", payload["sharing"]),
        ("坐落", payload["location"]),
        ("不动产单元号", payload["unit_code"]),
        ("权利类型", payload["right_type"]),
        ("权利性质", payload["right_nature"]),
        ("用途", payload["land_use"]),
        ("面积", f"{payload['area_m2']} 平方米"),
        ("使用期限", _term_text(payload.get("term"))),
        ("登簿时间", _date_cn(payload["recorded_at"])),
        ("登记机构", f"{office['name']}（{office['region']}）"),
    ]


def render_certificate_pdf(
    payload: Mapping[str, Any],
    *,
    qr_url: str,
    signature: str | None = None,
    font_path: str | None = None,
) -> bytes:
    """One A4 page: title, number, the fields, a QR code for `qr_url` and the signature fingerprint."""
    fonts = _font_stack(font_path)
    buffer = io.BytesIO()
    width, height = A4
    pdf = Canvas(buffer, pagesize=A4)
    title = TITLES[payload["kind"]]
    pdf.setTitle(f"{title} {payload['certificate_number']}")
    pdf.setAuthor(payload["issuing_office"]["name"])
    pdf.setCreator("natres registry")

    pdf.setLineWidth(1.5)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    fonts.draw_centred(pdf, width / 2, height - 40 * mm, title, 26)
    fonts.draw_centred(pdf, width / 2, height - 52 * mm, payload["certificate_number"], 13)

    label_x, value_x, right = 25 * mm, 58 * mm, width - 25 * mm
    y, size, leading = height - 72 * mm, 11.5, 6.2 * mm
    pdf.setLineWidth(0.4)
    for label, value in _fields(payload):
        fonts.draw(pdf, label_x, y, label, size)
        for line in _wrap(value or "—", fonts=fonts, size=size, width=right - value_x):
            fonts.draw(pdf, value_x, y, line, size)
            y -= leading
        pdf.line(label_x, y + leading - 2 * mm, right, y + leading - 2 * mm)
        y -= 1.5 * mm

    qr_size = 42 * mm
    qr_x, qr_y = right - qr_size, 34 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(qr_url))), qr_x, qr_y, qr_size, qr_size)
    fonts.draw_centred(pdf, qr_x + qr_size / 2, qr_y - 4 * mm, "扫码核验（以登记簿为准）", 9)
    fonts.draw(pdf, label_x, qr_y + qr_size - 4 * mm, f"签发时间：{_date_cn(payload['issued_at'])}", 9)
    fonts.draw(pdf, label_x, qr_y + qr_size - 10 * mm, "不动产权利以不动产登记簿记载为准（民法典第二百一十七条）", 9)

    fingerprint = signature_fingerprint(signature) if signature else "未签名"
    fonts.draw(pdf, label_x, 20 * mm, f"电子签名（Ed25519）指纹：{fingerprint}", 8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
