"""Map use cases: cached vector tiles and paged features."""

from __future__ import annotations

from typing import Any

from registry.errors import CollectionNotFound, FeatureNotFound, TileOutOfRange
from registry.maps import repository as repo
from registry.maps.cache import CachedTile
from registry.maps.collections import COLLECTIONS, Collection
from registry.runtime import Registry

MAX_ZOOM = 22


def collection_or_404(collection_id: str) -> Collection:
    """The collection definition, or 404."""
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise CollectionNotFound(f"图层 {collection_id} 不存在", collection=collection_id)
    return collection


async def tile(*, registry: Registry, collection_id: str, z: int, x: int, y: int) -> tuple[CachedTile, bool]:
    """A tile from the cache (True), or rendered by ST_AsMVT and cached under the current generation (False)."""
    collection = collection_or_404(collection_id)
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise TileOutOfRange(f"瓦片 {z}/{x}/{y} 超出范围", z=z, x=x, y=y)
    cache = registry.tiles
    cache.follow_changes()
    key = (collection_id, z, x, y)
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    generation = cache.generation
    pool = await registry.pg.get()
    async with pool.acquire() as conn:
        body = await repo.render_tile(conn, collection=collection, z=z, x=x, y=y)
    return cache.put(key, body, generation=generation), False


async def items(*, registry: Registry, collection_id: str, bbox: tuple | None, limit: int, offset: int
                ) -> tuple[list[dict[str, Any]], bool]:
    """A page of features."""
    collection = collection_or_404(collection_id)
    async with registry.ctx.sessionmaker() as session:
        return await repo.items(session, collection=collection, bbox=bbox, limit=limit, offset=offset)


async def item(*, registry: Registry, collection_id: str, feature_id: str) -> dict[str, Any]:
    """One feature or 404."""
    collection = collection_or_404(collection_id)
    async with registry.ctx.sessionmaker() as session:
        feature = await repo.item(session, collection=collection, feature_id=feature_id)
    if feature is None:
        raise FeatureNotFound(f"要素 {feature_id} 不存在", collection=collection_id, feature_id=feature_id)
    return feature


async def extent(*, registry: Registry, collection_id: str) -> list[float] | None:
    """The bbox of a collection's data."""
    collection = collection_or_404(collection_id)
    async with registry.ctx.sessionmaker() as session:
        return await repo.extent(session, collection=collection)
