"""Blacklist errors with stable codes."""

from __future__ import annotations

from natres_platform.errors import Conflict, NotFound


class BlacklistEntryNotFound(NotFound):
    code = "blacklist.entry_not_found"
    title = "黑名单记录不存在"


class BlacklistAlreadyLifted(Conflict):
    code = "blacklist.already_lifted"
    title = "该黑名单记录已解除"


class BlacklistEntryExpired(Conflict):
    code = "blacklist.entry_expired"
    title = "该黑名单记录已到期，无需解除"
