"""Money at the API: decimal strings (or integers) in yuan, never JSON floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer


def _no_float(value: Any) -> Any:
    # A JSON float has already lost exactness; the domain rules check sign and cents.
    if isinstance(value, float):
        raise ValueError("金额须为十进制字符串，不能是浮点数")
    if isinstance(value, str) and not value.strip():
        raise ValueError("金额不能为空")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
MoneyOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]
