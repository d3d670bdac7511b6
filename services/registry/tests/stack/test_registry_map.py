"""一张图: OGC API - Features and vector tiles, read by GDAL as-is; control lines; the tile cache."""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import math

import pytest

pytestmark = pytest.mark.stack


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """XYZ tile containing a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def server():
    """A real uvicorn running the registry on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("registry did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_ogrinfo_reads_the_ogc_api_and_a_vector_tile(client, h, server):
    lon, lat = h.random_spot()
    unit = await h.create_unit(client, geometry=h.square(lon, lat, 0.002))
    out = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{server}/ogc"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "parcels" in out.stdout and "units_in_trade" in out.stdout and "ecological_redline" in out.stdout

    x, y = tile_of(lon + 0.001, lat + 0.001, 14)
    resp = httpx.get(f"{server}/tiles/parcels/14/{x}/{y}.mvt", timeout=30)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert resp.headers["etag"] and "max-age" in resp.headers["cache-control"]
    assert httpx.get(f"{server}/tiles/parcels/14/{x}/{y}.mvt", headers={"If-None-Match": resp.headers["etag"]}).status_code == 304
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tile.mvt"
        path.write_bytes(resp.content)
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "-oo", "Z=14", "-oo", f"X={x}", "-oo", f"Y={y}", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Layer name: parcels" in out.stdout and "code: String" in out.stdout
    count = int(next(line for line in out.stdout.splitlines() if line.startswith("Feature Count")).split(":")[1])
    assert count >= 1
    assert unit["id"]


async def test_items_with_bbox_limit_next_link_and_single_item(client, h):
    lon, lat = h.random_spot()
    units = [await h.create_unit(client, geometry=h.square(lon + i * 0.001, lat, 0.0009)) for i in range(3)]
    bbox = f"{lon - 0.0001},{lat - 0.0001},{lon + 0.0031},{lat + 0.001}"
    page = (await client.get(f"/ogc/collections/parcels/items?bbox={bbox}&limit=2")).json()
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 2
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    rest = (await client.get(nxt.replace("http://test", ""))).json()
    ids = {f["id"] for f in page["features"]} | {f["id"] for f in rest["features"]}
    assert ids == {u["id"] for u in units}
    one = await client.get(f"/ogc/collections/parcels/items/{units[0]['id']}")
    assert one.status_code == 200 and one.headers["content-type"].startswith("application/geo+json")
    assert one.json()["properties"]["code"] == units[0]["code"]
    assert (await client.get("/ogc/collections/nope/items")).status_code == 404
    assert (await client.get("/ogc/conformance")).json()["conformsTo"]


async def test_tile_cache_serves_warm_and_is_invalidated_by_a_new_unit(client, h, registry):
    lon, lat = h.random_spot()
    x, y = tile_of(lon + 0.0005, lat + 0.0005, 15)
    first = await client.get(f"/tiles/parcels/15/{x}/{y}.mvt")
    assert first.status_code == 200
    again = await client.get(f"/tiles/parcels/15/{x}/{y}.mvt")
    assert again.headers["etag"] == first.headers["etag"]
    await h.create_unit(client, geometry=h.square(lon, lat, 0.001))
    after = await client.get(f"/tiles/parcels/15/{x}/{y}.mvt")
    assert after.headers["etag"] != first.headers["etag"] and len(after.content) > len(first.content)


async def test_control_lines_are_recorded_on_units_and_farmland_refuses_construction_land(client, h):
    lon, lat = h.random_spot()
    farmland = {"type": "Feature", "properties": {"line_type": "basic_farmland", "name": "测试永久基本农田"},
                "geometry": h.square(lon, lat, 0.004)}
    redline = {"type": "Feature", "properties": {"line_type": "ecological_redline", "name": "测试生态保护红线"},
               "geometry": h.square(lon + 0.01, lat, 0.004)}
    resp = await client.post("/api/v1/control-lines", json={"type": "FeatureCollection", "features": [farmland, redline]},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 403
    resp = await client.post("/api/v1/control-lines", json={"type": "FeatureCollection", "features": [farmland, redline]},
                             headers=h.auth("natres.admin"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["by_type"] == {"basic_farmland": 1, "ecological_redline": 1}

    # half of the parcel lies in the farmland
    parcel = await h.create_unit(client, geometry=h.square(lon - 0.0005, lat + 0.001, 0.001))
    hits = parcel["control_lines"]
    assert [hit["line_type"] for hit in hits] == ["basic_farmland"] and 0.45 < float(hits[0]["share"]) < 0.55
    body = {"type": "first", "unit_id": parcel["id"], "parties": [h.holder()],
            "details": {"right_type": "state_construction_land_use", "source": "出让"}}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 422 and resp.json()["code"] == "control_lines.basic_farmland"
    body["details"]["right_type"] = "land_contract_management"
    assert (await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))).status_code == 201

    # a forest inside the red line: first registration with 公告, provisional entry, red line in the book
    forest = await h.create_unit(client, code=h.resource_code("140107", "forest"),
                                 geometry=h.square(lon + 0.011, lat + 0.001, 0.002))
    assert forest["control_lines"][0]["line_type"] == "ecological_redline" and float(forest["control_lines"][0]["share"]) == 1
    app = await h.file(client, unit_id=forest["id"], type="first", user="registrar.xhl",
                       parties=[{"role": "holder", "name": "国家", "id_type": "其他", "id_number": "全民所有"}],
                       details={"right_type": "state_natural_resource_ownership", "owner_representative": "自然资源部",
                                "agent_representative": "山西省人民政府"})
    await h.step(client, app["id"], "accept", "registrar.xhl")
    await h.step(client, app["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "调查成果符合要求"})
    resp = await client.post(f"/api/v1/applications/{app['id']}/record", headers=h.auth("registrar.xhl"))
    assert resp.status_code == 409  # 公告 first
    noticed = await h.step(client, app["id"], "public-notice", "registrar.xhl")
    assert noticed["status"] == "public_notice" and noticed["notice_start"]
    book = (await client.get(f"/api/v1/units/{forest['id']}/book", headers=h.auth("registrar.xhl"))).json()
    assert book["current"]["state"] == "provisional" and book["current"]["state_label"] == "临时"
    await h.step(client, app["id"], "record", "registrar.xhl")
    book = (await client.get(f"/api/v1/units/{forest['id']}/book", headers=h.auth("registrar.xhl"))).json()
    assert [e["state"] for e in book["entries"]] == ["historical", "current"]
    details = book["current"]["details"]
    assert details["owner_representative"] == "自然资源部" and details["control_lines"][0]["line_type"] == "ecological_redline"

    geojson = (await client.get(f"/ogc/collections/ecological_redline/items?bbox={lon + 0.009},{lat - 0.001},{lon + 0.015},{lat + 0.005}")).json()
    assert any(f["properties"]["name"] == "测试生态保护红线" for f in geojson["features"])


async def test_a_cached_tile_is_answered_in_front_of_the_app_with_the_same_headers(client, h):
    lon, lat = h.random_spot()
    await h.create_unit(client, geometry=h.square(lon, lat, 0.001))
    x, y = tile_of(lon + 0.0005, lat + 0.0005, 16)
    url = f"/tiles/parcels/16/{x}/{y}.mvt"
    miss = await client.get(url)
    for _ in range(50):  # the cache stores once this process follows the change log
        hit = await client.get(url)
        if hit.headers["x-tile-cache"] == "hit":
            break
    assert miss.status_code == hit.status_code == 200 and hit.content == miss.content
    for name in ("etag", "cache-control", "access-control-allow-origin", "content-type"):
        assert hit.headers[name] == miss.headers[name], name
    assert hit.headers["traceparent"].startswith("00-")
    not_modified = await client.get(url, headers={"If-None-Match": hit.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert (await client.get("/tiles/nope/16/1/1.mvt")).status_code == 404
    assert (await client.get("/tiles/parcels/23/1/1.mvt")).status_code == 422
