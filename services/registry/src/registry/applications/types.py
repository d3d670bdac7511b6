"""Registration types, right types and what each type must be filed with (一次性告知 starts here)."""

from __future__ import annotations

from typing import Literal

RegistrationType = Literal[
    "first", "change", "transfer", "cancellation", "correction", "objection",
    "advance_notice", "seizure", "mortgage", "mortgage_discharge",
]

TYPE_LABELS: dict[str, str] = {
    "first": "首次登记",
    "change": "变更登记",
    "transfer": "转移登记",
    "cancellation": "注销登记",
    "correction": "更正登记",
    "objection": "异议登记",
    "advance_notice": "预告登记",
    "seizure": "查封登记",
    "mortgage": "抵押登记",
    "mortgage_discharge": "抵押权注销登记",
}

RIGHT_TYPES: dict[str, str] = {
    "collective_land_ownership": "集体土地所有权",
    "state_construction_land_use": "国有建设用地使用权",
    "collective_commercial_construction_land_use": "集体经营性建设用地使用权",
    "homestead_use": "宅基地使用权",
    "land_contract_management": "土地承包经营权",
    "forest_right": "林权",
    "sea_area_use": "海域使用权",
    "exploration_right": "探矿权",
    "mining_right": "采矿权",
    "state_natural_resource_ownership": "自然资源国家所有权",
}

# Document kinds each type needs. Information another agency holds is not asked for again
# (条例 Art. 25): applications opened from a concluded deal carry the platform's records instead.
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "first": ("identity", "ownership_source", "survey_report"),
    "change": ("identity", "change_proof"),
    "transfer": ("identity", "transfer_contract", "tax_receipt"),
    "cancellation": ("identity", "cancellation_proof"),
    "correction": ("identity", "correction_proof"),
    "objection": ("identity", "interest_proof"),
    "advance_notice": ("identity", "sale_contract"),
    "seizure": ("court_order", "assistance_notice"),
    "mortgage": ("identity", "mortgage_contract", "master_contract"),
    "mortgage_discharge": ("identity", "discharge_proof"),
}

DOCUMENT_LABELS: dict[str, str] = {
    "identity": "申请人身份证明",
    "ownership_source": "权属来源材料",
    "survey_report": "地籍调查表、宗地图及界址点坐标",
    "change_proof": "变更材料",
    "transfer_contract": "转移合同或协议",
    "tax_receipt": "完税凭证",
    "cancellation_proof": "权利消灭材料",
    "correction_proof": "登记确有错误的证明材料",
    "interest_proof": "利害关系证明材料",
    "sale_contract": "买卖合同",
    "court_order": "人民法院生效法律文书",
    "assistance_notice": "协助执行通知书",
    "mortgage_contract": "抵押合同",
    "master_contract": "主债权合同",
    "discharge_proof": "抵押权消灭材料",
}

# Which certificate a recorded type produces: 不动产权证书 (right) or 不动产登记证明 (proof).
CERTIFICATE_KIND: dict[str, str | None] = {
    "first": "right",
    "change": "right",
    "transfer": "right",
    "correction": "right",
    "cancellation": None,
    "objection": "proof",
    "advance_notice": "proof",
    "seizure": None,
    "mortgage": "proof",
    "mortgage_discharge": None,
}

# Types whose parties are the (new) right holders with shares summing to 1.
HOLDER_TYPES = frozenset({"first", "transfer"})

OPEN_STATUSES = ("accepted", "public_notice", "reviewed")
WITHDRAWABLE = ("submitted", "refused_acceptance", "accepted", "public_notice", "reviewed")
