"""Demo data around Taiyuan and Xinzhou: parcels, a forest, a river section, a mineral reserve, control lines.

Idempotent: fixed codes and names; what exists is skipped. `uv run natres-registry demo`
(or `python -m registry.demo`). Runs after `natres-registry migrate`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from geojson_pydantic import Polygon
from shapely.geometry import LineString, mapping
from sqlalchemy import text

from natres_platform.auth import Principal
from registry.applications import filing, workflow
from registry.applications.schemas import ApplicationCreate, Party
from registry.controls.schemas import ControlLineCollection
from registry.controls.service import load_lines
from registry.runtime import Registry
from registry.settings import RegistrySettings
from registry.units.codes import resource_code_for, unit_code_for
from registry.units.schemas import UnitCreate
from registry.units.service import create_unit

log = logging.getLogger("registry.demo")

ADMIN = Principal(subject="demo-loader", username="demo-loader", roles=frozenset({"admin"}))
SOURCE = "demo"


def _officials(region: str) -> tuple[Principal, Principal]:
    return (Principal(subject=f"demo-registrar-{region}", roles=frozenset({"registrar"}), region=region),
            Principal(subject=f"demo-reviewer-{region}", roles=frozenset({"reviewer"}), region=region))


def _box(lon: float, lat: float, w: float, h: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]]}


def _parcels(county: str, lon0: float, lat0: float, cols: int, rows: int) -> list[tuple[str, dict, str]]:
    """A block of parcels with 10 m streets between them."""
    out = []
    for r in range(rows):
        for c in range(cols):
            seq = r * cols + c + 1
            code = unit_code_for(county_code=county, cadastral_zone=1, cadastral_subzone=1, parcel_seq=seq)
            out.append((code, _box(lon0 + c * 0.0016, lat0 + r * 0.0013, 0.0015, 0.0012), f"示范宗地 {seq:03d}"))
    return out


def _river() -> dict:
    """A section of the 汾河 through 尖草坪区 as a 200 m wide band."""
    line = LineString([(112.505, 37.930), (112.515, 37.950), (112.522, 37.972), (112.530, 37.995)])
    return mapping(line.buffer(0.001, cap_style=2))


UNITS = (
    [(c, g, n, "140107") for c, g, n in _parcels("140107", 112.560, 37.872, 8, 6)]  # 杏花岭区, Taiyuan
    + [(c, g, n, "140902") for c, g, n in _parcels("140902", 112.720, 38.410, 6, 4)]  # 忻府区, Xinzhou
    + [
        (resource_code_for(county_code="140122", resource_type="forest", sequence=1),
         _box(112.640, 38.040, 0.030, 0.020), "阳曲县国有林场 森林资源", "140122"),
        (resource_code_for(county_code="140108", resource_type="water_flow", sequence=1), _river(),
         "汾河尖草坪段 水流", "140108"),
        (resource_code_for(county_code="140181", resource_type="mineral_reserve", sequence=1),
         _box(112.150, 37.890, 0.040, 0.030), "古交矿区 探明储量煤炭资源", "140181"),
    ]
)

CONTROL_LINES = [
    ("basic_farmland", "忻府区永久基本农田示范片", _box(112.700, 38.400, 0.018, 0.008)),
    ("ecological_redline", "阳曲县生态保护红线示范区", _box(112.635, 38.035, 0.045, 0.032)),
    ("urban_boundary", "太原市城镇开发边界示范段", _box(112.550, 37.865, 0.030, 0.020)),
]


async def _load_control_lines(registry: Registry) -> None:
    async with registry.ctx.sessionmaker() as session:
        have = set((await session.execute(text("SELECT name FROM registry.control_lines WHERE source = :s"),
                                          {"s": SOURCE})).scalars())
    todo = [(t, n, g) for t, n, g in CONTROL_LINES if n not in have]
    if not todo:
        return
    fc = ControlLineCollection.model_validate({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"line_type": t, "name": n}, "geometry": g} for t, n, g in todo]})
    await load_lines(registry=registry, collection=fc, line_type=None, source=SOURCE, actor=ADMIN)


async def _ensure_unit(registry: Registry, code: str, geometry: dict, name: str) -> dict:
    async with registry.ctx.sessionmaker() as session:
        unit_id = await session.scalar(text("SELECT id::text FROM registry.units WHERE code = :c"), {"c": code})
    if unit_id:
        return {"id": unit_id, "code": code, "created": False}
    unit = await create_unit(registry=registry, data=UnitCreate(code=code, geometry=Polygon.model_validate(geometry),
                                                                name=name, location=name), actor=ADMIN)
    return {**unit, "created": True}


async def _register(registry: Registry, unit_id: str, county: str, parties: list[Party], details: dict) -> None:
    """First registration through the real workflow (accept, review, [公告], record, certify)."""
    registrar, reviewer = _officials(county)
    async with registry.ctx.sessionmaker() as session:
        pending = await session.scalar(text(
            "SELECT id::text FROM registry.applications WHERE unit_id = :u AND status = 'recorded' AND type = 'first'"),
            {"u": unit_id})
        registered = await session.scalar(text("SELECT 1 FROM registry.book_entries WHERE unit_id = :u"), {"u": unit_id})
    if pending:  # an interrupted earlier run: finish it
        await workflow.issue_certificate(registry=registry, application_id=pending, actor=registrar)
    if registered:
        return
    app = await filing.submit(registry=registry, actor=registrar,
                              data=ApplicationCreate(type="first", unit_id=unit_id, parties=parties, details=details))
    for kind in ("identity", "ownership_source", "survey_report"):
        await filing.add_document(registry=registry, application_id=app["id"], kind=kind, filename=f"{kind}.pdf",
                                  media_type="application/pdf", content=f"demo {kind}".encode(), actor=registrar)
    await workflow.accept(registry=registry, application_id=app["id"], actor=registrar)
    await workflow.review(registry=registry, application_id=app["id"], actor=reviewer, approve=True, opinion="符合登记条件",
                          reasons=[])
    if details["right_type"] == "state_natural_resource_ownership":
        await workflow.start_public_notice(registry=registry, application_id=app["id"], actor=registrar)
    await workflow.record(registry=registry, application_id=app["id"], actor=registrar)
    await workflow.issue_certificate(registry=registry, application_id=app["id"], actor=registrar)


async def run(settings: RegistrySettings) -> dict[str, int]:
    """Load everything missing; returns counts of what was created."""
    # The demo completes natural-resource registrations at once: its 公告 period is zero.
    registry = Registry.build(settings.model_copy(update={"public_notice_working_days": 0}))
    try:
        await _load_control_lines(registry)
        created = 0
        units = []
        for code, geometry, name, county in UNITS:
            unit = await _ensure_unit(registry, code, geometry, name)
            created += unit["created"]
            units.append((unit, county))
        people = [("张三", "140107199001011230"), ("李四", "11010519491231002X")]
        for i, (unit, county) in enumerate(units):
            code = unit["code"]
            if code.startswith("ZY"):
                details = {"right_type": "state_natural_resource_ownership", "owner_representative": "自然资源部",
                           "agent_representative": "山西省人民政府", "source": "统一确权登记"}
                parties = [Party(name="国家（全民所有）", id_type="其他", id_number="全民所有")]
            elif i % 3 == 0:
                name, id_number = people[i % 2]
                details = {"right_type": "state_construction_land_use", "land_use": "城镇住宅用地", "source": "出让",
                           "term_start": "2020-01-01", "term_end": "2089-12-31"}
                parties = [Party(name=name, id_number=id_number)]
            else:
                continue
            await _register(registry, unit["id"], county, parties, details)
        return {"units_created": created, "units": len(units)}
    finally:
        await registry.close()
        await registry.ctx.aclose()


def main(argv: list[str] | None = None) -> None:
    """`natres-registry demo`."""
    argparse.ArgumentParser(prog="natres-registry demo", description=__doc__).parse_args(argv)
    result = asyncio.run(run(RegistrySettings()))
    print(f"registry demo: {result['units']} units ({result['units_created']} new), control lines and first registrations loaded")


if __name__ == "__main__":
    main()
