"""Load 三区三线 polygons (admin) and link them to the units whose interiors they overlap."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import text

from natres_platform.auth import Principal
from natres_platform.errors import PlatformError
from registry.controls.schemas import LINE_LABELS, ControlLineCollection
from registry.errors import ControlLinesInvalid
from registry.events import registry_event
from registry.geo import check_geometry
from registry.runtime import Registry
from registry.units.repository import record_map_change

_LINK_SQL = text(
    """
    INSERT INTO registry.unit_control_lines (unit_id, line_id, line_type, overlap_m2, share)
    SELECT u.id, cl.id, cl.line_type, x.overlap, round(x.overlap / greatest(u.area_m2, 0.01), 6)
    FROM registry.control_lines cl
    JOIN registry.units u ON u.geom && cl.geom AND ST_Relate(u.geom, cl.geom, '2********')
    CROSS JOIN LATERAL (SELECT round(ST_Area(ST_Intersection(cl.geom, u.geom)::geography)::numeric, 2) AS overlap) x
    WHERE cl.batch_id = :batch
    ON CONFLICT DO NOTHING
    """
)


async def load_lines(
    *, registry: Registry, collection: ControlLineCollection, line_type: str | None, source: str | None, actor: Principal
) -> dict[str, Any]:
    """Validate every polygon (none is repaired), insert the batch and link affected units, all or nothing."""
    batch_id = str(uuid.uuid4())
    counts: Counter[str] = Counter()
    line_ids: list[str] = []
    async with registry.uow() as uow:
        for index, feature in enumerate(collection.features):
            props = feature.properties or {}
            kind = props.get("line_type") or line_type
            if kind not in LINE_LABELS:
                raise ControlLinesInvalid(
                    f"第 {index + 1} 个要素的 line_type 应为 {'/'.join(LINE_LABELS)}", feature_index=index
                )
            if feature.geometry is None:
                raise ControlLinesInvalid(f"第 {index + 1} 个要素没有图形", feature_index=index)
            try:
                checked = await check_geometry(uow.session, feature.geometry, province_bbox=registry.settings.province_bbox)
            except PlatformError as exc:  # say which feature is wrong
                raise ControlLinesInvalid(f"第 {index + 1} 个要素：{exc.detail}", feature_index=index,
                                          reason=exc.extensions.get("reason")) from exc
            line_id = str(uuid.uuid4())
            await uow.session.execute(
                text(
                    "INSERT INTO registry.control_lines (id, line_type, name, geom, area_m2, source, batch_id, loaded_by) "
                    "VALUES (:id, :t, :n, ST_GeomFromEWKB(:g), :a, :s, :b, :by)"
                ),
                {"id": line_id, "t": kind, "n": str(props.get("name") or f"{LINE_LABELS[kind]} {index + 1}"),
                 "g": checked.ewkb, "a": checked.area_m2, "s": source, "b": batch_id, "by": actor.subject},
            )
            counts[kind] += 1
            line_ids.append(line_id)
        linked = (await uow.session.execute(_LINK_SQL, {"batch": batch_id})).rowcount
        await record_map_change(uow.session, scope="control_lines")
        result = {"batch_id": batch_id, "loaded": len(line_ids), "by_type": dict(counts), "units_affected": linked,
                  "line_ids": line_ids}
        uow.record(registry_event(type="control_lines.loaded", subject=batch_id,
                                  data={**{k: v for k, v in result.items() if k != "line_ids"}, "source": source},
                                  actor=actor.subject, region=None))
        await uow.commit()
    registry.tiles.invalidate()
    return result
