"""成交确认书 as PDF: reportlab with the built-in STSong-Light CID font (Chinese without a font file)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from transactions.listings.terms import LOCAL_TZ

FONT = "STSong-Light"
ISSUER = "山西省自然资源网上交易平台"
_METHOD_LABELS = {"tender": "招标", "auction": "拍卖", "listing": "挂牌"}


@dataclass(frozen=True)
class DealConfirmation:
    """What the confirmation states."""

    number: str
    listing_id: str
    title: str
    unit_code: str
    right_type_label: str
    method: str
    land_use: str | None
    term_years: int
    price: Decimal
    winner_name: str
    winner_org_code: str | None
    bidder_number: str
    concluded_at: datetime


def render(doc: DealConfirmation) -> bytes:
    """A one-page A4 PDF; `invariant` keeps the bytes reproducible for the stored digest."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f"成交确认书 {doc.number}")
    c.setAuthor(ISSUER)
    width, height = A4
    c.setFont(FONT, 22)
    c.drawCentredString(width / 2, height - 30 * mm, "成交确认书")
    c.setFont(FONT, 11)
    c.drawCentredString(width / 2, height - 40 * mm, doc.number)
    local = doc.concluded_at.astimezone(LOCAL_TZ)
    lines = [
        f"竞得人：{doc.winner_name}",
        f"统一社会信用代码：{doc.winner_org_code or '（自然人）'}",
        f"竞买号：{doc.bidder_number}",
        f"项目名称：{doc.title}",
        f"不动产单元代码：{doc.unit_code}",
        f"权利类型：{doc.right_type_label}",
        f"交易方式：{_METHOD_LABELS.get(doc.method, doc.method)}",
        f"土地用途：{doc.land_use or '—'}",
        f"出让年限：{doc.term_years} 年",
        f"成交价：人民币 {doc.price:,.2f} 元",
        f"成交时间：{local:%Y年%m月%d日 %H:%M:%S}（北京时间）",
        f"项目编号：{doc.listing_id}",
    ]
    y = height - 60 * mm
    for line in lines:
        c.drawString(25 * mm, y, line)
        y -= 9 * mm
    c.drawString(25 * mm, y - 6 * mm, "竞得人应按出让公告约定签订出让合同；保证金自动转为定金。")
    c.drawRightString(width - 25 * mm, 40 * mm, ISSUER)
    c.drawRightString(width - 25 * mm, 32 * mm, f"{local:%Y年%m月%d日}")
    c.showPage()
    c.save()
    return buf.getvalue()
