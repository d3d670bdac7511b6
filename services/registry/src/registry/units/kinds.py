"""What a unit code says about the unit: its family, kind and the layer its overlap rule applies in."""

from __future__ import annotations

from dataclasses import dataclass

from registry.regions import Regions
from registry.units.codes import USE_KINDS, code_kind, validate_resource_code, validate_unit_code

# Layers are where "no two current units overlap" holds. Rights above / below the surface
# (S/X) are stacked on surface parcels; mineral reserves lie underground; protected areas
# contain forests, water and grassland units by design.
_RESOURCE_LAYERS = {"mineral_reserve": "mineral", "protected_area": "protected", "national_park": "protected"}
_PARCEL_LAYERS = {"S": "parcel_above", "X": "parcel_below"}


@dataclass(frozen=True)
class UnitIdentity:
    """Family, kind, layer and county derived from a validated code."""

    code: str
    family: str  # real_estate | natural_resource
    kind: str
    layer: str
    county_code: str
    resource_type: str | None
    parcel_prefix: str | None  # units sharing one 宗地 (first 19 chars) may share its land


def identify(code: str, *, regions: Regions) -> UnitIdentity:
    """Validate a code (structure + known Shanxi county) and derive the unit's identity."""
    if code_kind(code) == "natural_resource":
        parsed = validate_resource_code(code, regions=regions)
        name = parsed.resource_type.name
        return UnitIdentity(
            code=code,
            family="natural_resource",
            kind=name,
            layer=_RESOURCE_LAYERS.get(name, "resource"),
            county_code=parsed.county_code,
            resource_type=name,
            parcel_prefix=None,
        )
    parsed_re = validate_unit_code(code, regions=regions)
    return UnitIdentity(
        code=code,
        family="real_estate",
        kind=USE_KINDS[parsed_re.use_kind],
        layer=_PARCEL_LAYERS.get(parsed_re.use_kind, "parcel"),
        county_code=parsed_re.county_code,
        resource_type=None,
        parcel_prefix=code[:19],
    )


def is_natural_resource(kind: str) -> bool:
    """Whether a unit kind names a natural-resource type."""
    from registry.units.codes import RESOURCE_TYPES_BY_NAME

    return kind in RESOURCE_TYPES_BY_NAME
