"""Where a trading administrator may act: the province (pp0000), a city (ppcc00) or one county."""

from __future__ import annotations

from natres_platform.auth import Principal, WrongRegion

PROVINCE = "140000"


def jurisdiction_prefix(region: str | None) -> str | None:
    """The prefix every county code of the region starts with ("14", "1402", "140107"); None if no region."""
    if not region or len(region) != 6 or not region.isdigit():
        return None
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region


def covers(region: str | None, county_code: str) -> bool:
    """Whether an office of `region` has the county `county_code` in its jurisdiction."""
    prefix = jurisdiction_prefix(region)
    return prefix is not None and len(county_code) == 6 and county_code.startswith(prefix)


def require_jurisdiction(principal: Principal, county_code: str) -> None:
    """403 auth.wrong_region unless the administrator's region covers the listing's county."""
    # A trading administrator without a region acts nowhere: the claim is what scopes the role.
    if not covers(principal.region, county_code):
        raise WrongRegion(f"交易管理员辖区 {principal.region or '(未配置)'} 不含 {county_code}",
                          required_regions=[county_code], region=principal.region)


def require_overseer(principal: Principal, county_code: str) -> None:
    """Supervisors see every listing; a trading administrator only those of their jurisdiction."""
    if not principal.has_role("supervisor"):
        require_jurisdiction(principal, county_code)


def overseen_prefix(principal: Principal) -> str:
    """The county-code prefix a caller oversees in lists: "" (all) for supervisors, else the admin's region."""
    if principal.has_role("supervisor"):
        return ""
    prefix = jurisdiction_prefix(principal.region)
    if prefix is None:
        raise WrongRegion(f"交易管理员辖区 {principal.region or '(未配置)'} 无效", region=principal.region)
    return prefix


def require_province(principal: Principal) -> None:
    """403 unless the administrator acts for the whole province (e.g. the trading calendar)."""
    if principal.region != PROVINCE:
        raise WrongRegion(f"须省级交易管理员（辖区 {PROVINCE}）操作", required_regions=[PROVINCE],
                          region=principal.region)
