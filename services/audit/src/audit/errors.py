"""Audit's domain errors: each carries its status and a stable code (problem+json)."""

from __future__ import annotations

from natres_platform.errors import Conflict, NotFound, PlatformError, ValidationFailed


class EntryNotFound(NotFound):
    code = "audit.entry_not_found"
    title = "审计日志中没有该条目"


class CheckpointNotFound(NotFound):
    code = "audit.checkpoint_not_found"
    title = "没有该检查点"


class TreeSizeOutOfRange(ValidationFailed):
    code = "audit.size_out_of_range"
    title = "树大小超出日志当前大小"


class EntryNotInCheckpoint(Conflict):
    code = "audit.entry_not_in_checkpoint"
    title = "该条目不在所指检查点之内"


class LogIntegrityError(PlatformError):
    """Stored state disagrees with the stored tree: never sign such a checkpoint."""

    status_code = 500
    code = "audit.integrity"
    title = "审计日志完整性校验失败"
