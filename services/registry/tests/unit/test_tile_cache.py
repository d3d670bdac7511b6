"""The tile cache without a database: which tiles a change drops, and renders that raced a change."""

import pytest

from registry.maps.cache import TileCache, tile_range
from registry.maps.fastpath import tile_key

AREA = (112.5500, 37.8700, 112.5510, 37.8708)  # a ~100 m unit in 太原


@pytest.fixture
def cache() -> TileCache:
    c = TileCache(max_entries=1000, ttl_seconds=300, dsn="postgresql://unused")
    c._feed._fresh_until = float("inf")  # as if the change feed were current
    return c


def test_tile_key_accepts_only_tile_paths():
    assert tile_key("/tiles/parcels/15/26850/12458.mvt") == ("parcels", 15, 26850, 12458)
    for path in ("/tiles/parcels/15/1/1.pbf", "/tiles/parcels/x/1/1.mvt", "/tiles/parcels/23/1/1.mvt",
                 "/tiles/parcels/15/1.mvt", "/ogc/collections", "/tiles/nope/1/0/0.mvt", "/tiles/parcels/1/2/0.mvt"):
        assert tile_key(path) is None


def test_a_unit_change_drops_unit_tiles_over_it_at_every_zoom_and_nothing_else(cache):
    keep, drop = [], []
    for z in (5, 12, 18):
        x0, x1, y0, y1 = tile_range(AREA, z)
        drop += [("parcels", z, x0, y0), ("units", z, x1, y1)]
        keep += [("parcels", z, x1 + 2, y0), ("basic_farmland", z, x0, y0)]
    for key in keep + drop:
        cache.put(key, b"tile", generation=cache.generation)
    cache.changed(AREA)
    assert all(cache.get(k) is None for k in drop)
    assert all(cache.get(k) is not None for k in keep)
    cache.changed(None)
    assert all(cache.get(k) is None for k in keep)


def test_a_tile_rendered_across_a_change_is_stored_only_if_the_change_missed_it(cache):
    x0, _, y0, _ = tile_range(AREA, 15)
    here, far = ("parcels", 15, x0, y0), ("parcels", 15, x0 + 100, y0)
    started = cache.generation
    cache.changed(AREA)  # committed while both renders were running
    cache.put(here, b"stale?", generation=started)
    cache.put(far, b"fine", generation=started)
    assert cache.get(here) is None and cache.get(far) is not None


def test_nothing_is_served_while_changes_may_go_unheard(cache):
    cache.put(("parcels", 1, 1, 1), b"tile", generation=cache.generation)
    cache._feed._fresh_until = 0
    assert cache.get(("parcels", 1, 1, 1)) is None
