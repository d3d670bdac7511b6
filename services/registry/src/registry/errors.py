"""Registry domain errors: each carries a stable code and its HTTP status (RFC 9457 via the shared handler)."""

from __future__ import annotations

from natres_platform.errors import Conflict, Forbidden, NotFound, ValidationFailed


class UnitNotFound(NotFound):
    code = "unit.not_found"
    title = "登记单元不存在"


class UnitCodeTaken(Conflict):
    code = "unit.code_taken"
    title = "登记单元代码已存在"


class GeometryInvalid(ValidationFailed):
    code = "unit.geometry_invalid"
    title = "图形不合法"


class GeometryOutsideProvince(ValidationFailed):
    code = "unit.outside_province"
    title = "图形不在山西省范围内"


class UnitOverlap(Conflict):
    code = "unit.overlap"
    title = "与现势登记单元重叠"


class UnitBatchRejected(ValidationFailed):
    code = "unit.batch_rejected"
    title = "批量登记中有单元不能登记，整批未登记"


class UnitKindInvalid(ValidationFailed):
    code = "unit.kind_invalid"
    title = "登记单元类型不合法"


class UnitNotCurrent(Conflict):
    code = "unit.not_current"
    title = "登记单元不是现势状态"


class MergeRightsDiffer(Conflict):
    code = "unit.merge_rights_differ"
    title = "参与合并的单元权利状况不一致"


class UnitInTrade(Conflict):
    code = "unit.in_trade"
    title = "登记单元正在交易中，不受理转移登记"


class UnitRestricted(Conflict):
    code = "unit.restricted"
    title = "登记单元存在限制，不能办理"


class BasicFarmlandRefused(ValidationFailed):
    code = "control_lines.basic_farmland"
    title = "永久基本农田内不得办理国有建设用地使用权首次登记"


class ControlLinesInvalid(ValidationFailed):
    code = "control_lines.invalid"
    title = "三区三线数据不合法"


class ApplicationNotFound(NotFound):
    code = "application.not_found"
    title = "申请不存在"


class ApplicationStateConflict(Conflict):
    code = "application.state_conflict"
    title = "申请当前状态不允许该操作"


class ApplicationInvalid(ValidationFailed):
    code = "application.invalid"
    title = "申请内容不合法"


class ApplicationIncomplete(Conflict):
    code = "application.incomplete"
    title = "申请材料不齐全，应一次性告知补正内容"


class SharesInvalid(ValidationFailed):
    code = "application.shares_invalid"
    title = "权利人份额之和必须等于 1"


class SameOfficerForbidden(Forbidden):
    code = "application.same_officer"
    title = "审核人不得与受理人为同一人"


class NotYourApplication(Forbidden):
    code = "application.not_yours"
    title = "无权查看或操作他人的申请"


class ObjectionLapsed(Conflict):
    code = "book.objection_lapsed"
    title = "异议登记已失效"


class UnitCancelled(Conflict):
    code = "unit.cancelled"
    title = "登记单元已注销，只能办理更正登记"


class PublicNoticeRunning(Conflict):
    code = "application.public_notice_running"
    title = "公告期未满"


class DocumentInvalid(ValidationFailed):
    code = "document.invalid"
    title = "上传的材料不合法"


class DocumentNotFound(NotFound):
    code = "document.not_found"
    title = "材料不存在"


class CertificateNotFound(NotFound):
    code = "certificate.not_found"
    title = "证书不存在"


class BookEntryNotFound(NotFound):
    code = "book.entry_not_found"
    title = "登记簿记载不存在"


class PurposeRequired(Forbidden):
    code = "query.purpose_required"
    title = "查询他人登记资料须说明查询目的"


class ZoneUnknown(NotFound):
    code = "zone.unknown"
    title = "通办区域不存在"


class TradeMarkConflict(Conflict):
    code = "unit.trade_mark_conflict"
    title = "登记单元已被其他交易项目标记"


class CollectionNotFound(NotFound):
    code = "map.collection_not_found"
    title = "图层不存在"


class FeatureNotFound(NotFound):
    code = "map.feature_not_found"
    title = "要素不存在"


class TileOutOfRange(ValidationFailed):
    code = "map.tile_out_of_range"
    title = "瓦片坐标超出范围"


class DealNotOpened(Conflict):
    code = "deal.not_opened"
    title = "该成交未开立登记申请"


class DealAlreadyRecorded(Conflict):
    code = "deal.already_recorded"
    title = "成交登记已登簿，违约不撤销已登记的权利"


class DealWinnerMismatch(Conflict):
    code = "deal.winner_mismatch"
    title = "违约的竞得人与登记申请人不一致"
