"""registry: register units in one database round trip; the map's change log replaces NOTIFY.

`registry.register_units(...)` takes a list of units and returns one verdict per unit: with
`p_each = false` (a survey batch) every unit or none is registered; with `p_each = true` (single
registrations the API sends together) each unit is registered if it passes, in order, exactly as if
they had come one by one. Why a function: the overlap check must run on a
snapshot taken *after* the area locks are granted (READ COMMITTED gives each statement of a
VOLATILE function a new snapshot), and a single call keeps the lock from being held across client
round trips. Called with autocommit the whole registration is one transaction; called inside an
open transaction (split / merge) the locks and rows belong to that transaction.

`registry.map_changes` is what the tile caches follow (maps/changes.py polls it). It replaces
`NOTIFY registry_map`: a transaction that notifies holds one database-wide lock from its pre-commit
through its WAL flush, so every registration committed single file (measured: 130 registrations/s,
with most backends waiting on that lock), while a row in the same transaction costs nothing shared.

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "registry_0004"
down_revision = "registry_0003"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- What changed on the map, in commit-safe order for pollers: `xid` lets a reader that remembers the
-- oldest transaction still running at its last read (pg_snapshot_xmin) miss nothing that commits late.
-- An area (CGCS2000 bbox) limits the change to unit tiles there; NULL means everything in `scope`.
CREATE TABLE registry.map_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    scope text NOT NULL,
    min_lon float8, min_lat float8, max_lon float8, max_lat float8,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_map_changes_xid ON registry.map_changes (xid);
CREATE INDEX ix_map_changes_at ON registry.map_changes (at);

CREATE FUNCTION registry.register_units(
    p_ids uuid[], p_codes text[], p_layers text[], p_kinds text[], p_counties text[], p_resource_types text[],
    p_parcel_prefixes text[], p_names text[], p_locations text[], p_geojson text[], p_events text[],
    p_actors text[], p_layer_keys text[], p_layer_exclusive boolean[], p_cell_keys text[], p_cells int[],
    p_province float8[], p_topic text, p_each boolean)
RETURNS TABLE (idx int, outcome text, reason text, other_id text, other_code text, created_at timestamptz,
               area_m2 numeric, lines jsonb)
-- JIT would compile for seconds (the planner assumes 1,000 items); the plans below are good for any
-- batch size (index probes under LIMIT 1), so they are planned once, not per call.
LANGUAGE plpgsql VOLATILE SET jit = off SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
DECLARE
    i int;
    j int;
    n int := coalesce(array_length(p_codes, 1), 0);
    v_outcome text[];
    v_reason text[];
    v_other_id text[];
    v_other_code text[];
    v_area numeric[];
    v_geom geometry[];
    v_ok int[] := '{}';
BEGIN
    -- 1. Serialise against every registration that could overlap, in one global order (layer keys
    --    sorted, then (key, cell) sorted; the caller sorts): no deadlocks between callers.
    FOR i IN 1 .. coalesce(array_length(p_layer_keys, 1), 0) LOOP
        IF p_layer_exclusive[i] THEN
            PERFORM pg_advisory_xact_lock(hashtext(p_layer_keys[i])::bigint);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(hashtext(p_layer_keys[i])::bigint);
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_cells, 1), 0) LOOP
        PERFORM pg_advisory_xact_lock(hashtext(p_cell_keys[i]), p_cells[i]);
    END LOOP;

    -- 2. Each unit on its own, on a snapshot that sees whatever the previous lock holders committed:
    --    geometry valid, inside the province, code free, no interior overlap with a current unit.
    WITH item AS (
        SELECT n AS idx, p_codes[n] AS code, p_layers[n] AS layer, p_parcel_prefixes[n] AS prefix,
               ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(p_geojson[n]), 4490))) AS geom
        FROM generate_subscripts(p_codes, 1) AS n
    ),
    chk AS (
        SELECT item.*, ST_IsValid(item.geom) AS valid, ST_IsEmpty(item.geom) AS empty,
               ST_CoveredBy(item.geom, ST_MakeEnvelope(p_province[1], p_province[2], p_province[3], p_province[4], 4490))
                   AS inside
        FROM item
    )
    SELECT array_agg(CASE WHEN c.empty THEN 'empty'
                          WHEN NOT c.valid THEN 'invalid'
                          WHEN NOT c.inside THEN 'outside'
                          WHEN taken.id IS NOT NULL THEN 'code_taken'
                          WHEN twin.idx IS NOT NULL THEN 'code_repeated'
                          WHEN clash.id IS NOT NULL THEN 'overlap'
                          ELSE 'ok' END ORDER BY c.idx),
           array_agg(CASE WHEN NOT c.empty AND NOT c.valid THEN ST_IsValidReason(c.geom) END ORDER BY c.idx),
           array_agg(coalesce(clash.id, twin.idx::text) ORDER BY c.idx),
           array_agg(coalesce(clash.code, twin.code) ORDER BY c.idx),
           array_agg(CASE WHEN c.valid AND NOT c.empty THEN round(ST_Area(c.geom::geography)::numeric, 2) END
                     ORDER BY c.idx),
           array_agg(CASE WHEN c.valid AND NOT c.empty THEN c.geom END ORDER BY c.idx)
    INTO v_outcome, v_reason, v_other_id, v_other_code, v_area, v_geom
    FROM chk c
    LEFT JOIN LATERAL (SELECT u.id FROM registry.units u WHERE u.code = c.code LIMIT 1) taken ON true
    LEFT JOIN LATERAL (SELECT o.idx, o.code FROM chk o WHERE o.code = c.code AND o.idx < c.idx LIMIT 1) twin ON true
    -- DE-9IM 2********: the interiors meet in an area (touching edges and bbox-only hits do not count).
    -- CASE keeps GEOS away from invalid input, whatever order the planner picks.
    LEFT JOIN LATERAL (
        SELECT u.id::text AS id, u.code FROM registry.units u
        WHERE c.valid AND NOT c.empty AND c.inside AND u.layer = c.layer AND u.status = 'current'
          AND u.geom && c.geom AND (c.prefix IS NULL OR left(u.code, 19) <> c.prefix)
          AND CASE WHEN c.valid THEN ST_Relate(u.geom, c.geom, '2********') ELSE false END
        LIMIT 1
    ) clash ON true;

    -- 3. Units of one call against each other, in order. All or nothing (a survey batch): a unit is
    --    refused when it overlaps any earlier valid unit of the batch. Each (single registrations sent
    --    together): only units registered before it count, exactly as if they had come one by one.
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN v_geom[i] IS NULL OR (p_each AND v_outcome[i] <> 'ok');
        FOR j IN 1 .. i - 1 LOOP
            CONTINUE WHEN v_geom[j] IS NULL OR (p_each AND NOT j = ANY(v_ok)) OR p_layers[j] <> p_layers[i];
            IF v_geom[j] && v_geom[i]
               AND (p_parcel_prefixes[i] IS NULL OR left(p_codes[j], 19) <> p_parcel_prefixes[i])
               AND ST_Relate(v_geom[j], v_geom[i], '2********') THEN
                IF v_outcome[i] = 'ok' THEN
                    v_outcome[i] := 'overlap_in_batch';
                    v_other_id[i] := j::text;
                    v_other_code[i] := p_codes[j];
                END IF;
                EXIT;
            END IF;
        END LOOP;
        IF v_outcome[i] = 'ok' THEN
            v_ok := v_ok || i;
        END IF;
    END LOOP;
    IF NOT p_each AND cardinality(v_ok) <> n THEN
        v_ok := '{}';  -- all or nothing
    END IF;

    -- 4. Insert the accepted units, their control-line hits, their outbox rows (the events were built
    --    and checked against their contract by the caller; only area and hits are filled in here) and
    --    the map changes the tile caches follow.
    RETURN QUERY
    WITH accepted AS (
        SELECT a AS idx, p_ids[a] AS id, v_geom[a] AS geom, v_area[a] AS area_m2 FROM unnest(v_ok) AS a
    ),
    ins AS (
        INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, resource_type, name,
                                    location, created_by)
        SELECT a.id, p_codes[a.idx], p_layers[a.idx], p_kinds[a.idx], p_counties[a.idx], a.geom, a.area_m2, 'current',
               p_resource_types[a.idx], p_names[a.idx], p_locations[a.idx], p_actors[a.idx]
        FROM accepted a
        RETURNING id, created_at
    ),
    hits AS (
        INSERT INTO registry.unit_control_lines (unit_id, line_id, line_type, overlap_m2, share)
        SELECT a.id, cl.id, cl.line_type, x.overlap, round(x.overlap / greatest(a.area_m2, 0.01), 6)
        FROM accepted a
        JOIN registry.control_lines cl ON cl.geom && a.geom AND ST_Relate(cl.geom, a.geom, '2********')
        CROSS JOIN LATERAL (SELECT round(ST_Area(ST_Intersection(cl.geom, a.geom)::geography)::numeric, 2) AS overlap) x
        RETURNING unit_id, line_id, line_type, overlap_m2, share
    ),
    hit_lists AS (
        SELECT h.unit_id, jsonb_agg(jsonb_build_object('line_id', h.line_id::text, 'line_type', h.line_type,
                                                       'overlap_m2', h.overlap_m2::text, 'share', h.share::text)
                                    ORDER BY h.line_type, h.line_id) AS lines
        FROM hits h GROUP BY h.unit_id
    ),
    outbox AS (
        INSERT INTO registry.outbox (event_id, topic, key, event_type, payload)
        SELECT (e.ev ->> 'id')::uuid, p_topic, e.ev ->> 'subject', e.ev ->> 'type',
               jsonb_set(jsonb_set(e.ev, '{data,area_m2}', to_jsonb(a.area_m2::text)),
                         '{data,control_lines}', coalesce(l.lines, '[]'::jsonb))
        FROM accepted a
        CROSS JOIN LATERAL (SELECT p_events[a.idx]::jsonb AS ev) e
        LEFT JOIN hit_lists l ON l.unit_id = a.id
        WHERE e.ev IS NOT NULL
        RETURNING event_id
    ),
    change AS (
        -- the tile caches drop the unit tiles over the new units once they read this (after the commit)
        INSERT INTO registry.map_changes (scope, min_lon, min_lat, max_lon, max_lat)
        SELECT 'units', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(a.geom) AS e FROM accepted a) x WHERE e IS NOT NULL
        RETURNING id
    )
    SELECT k, v_outcome[k], v_reason[k], v_other_id[k], v_other_code[k], ins.created_at, v_area[k],
           coalesce(l.lines, '[]'::jsonb)
    FROM generate_series(1, n) AS k
    LEFT JOIN ins ON ins.id = p_ids[k]
    LEFT JOIN hit_lists l ON l.unit_id = p_ids[k]
    ORDER BY k;
END
$fn$;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute("GRANT EXECUTE ON FUNCTION registry.register_units TO registry_app")
    op.execute("GRANT SELECT, INSERT, DELETE ON registry.map_changes TO registry_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION registry.register_units")
    op.execute("DROP TABLE registry.map_changes")
