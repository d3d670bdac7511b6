// 一张图: MapLibre over the registry's vector tiles, a legend that switches collections, and a
// card for what was clicked (or what lies at the map's centre, for keyboard users).
import type { Map as MlMap, MapGeoJSONFeature } from "maplibre-gl";
import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { auth, hasRole } from "../auth";
import { Facts, Page, ProblemBox, useAsync } from "../components";
import { fmtArea, label, LINE_TYPES, regionName, UNIT_KINDS, UNIT_STATUS } from "../labels";
import { styleOf, type Collection } from "../map/layers";
import { MapView } from "../map/MapView";
import { Link } from "../router";
import { useStore } from "../store";

interface Collections {
  collections: Collection[];
}

export function MapPage() {
  const state = useStore(auth);
  const result = useAsync(() => api<Collections>("registry", "/ogc/collections", { auth: false }), []);
  const collections = useMemo(
    () => [...(result.data?.collections ?? [])].sort((a, b) => styleOf(a.id).order - styleOf(b.id).order),
    [result.data],
  );
  const [overrides, setOverrides] = useState<Record<string, boolean>>({});
  const visible = useMemo(() => {
    const v: Record<string, boolean> = {};
    for (const c of collections) v[c.id] = overrides[c.id] ?? styleOf(c.id).on;
    return v;
  }, [collections, overrides]);
  const [picked, setPicked] = useState<{ lngLat: [number, number]; features: MapGeoJSONFeature[] } | null>(null);
  const [map, setMap] = useState<MlMap | null>(null);

  const queryCentre = () => {
    if (!map) return;
    const c = map.getCenter();
    const point = map.project(c);
    const ids = collections.flatMap((col) => (visible[col.id] ? [`${col.id}-fill`, `${col.id}-line`] : []))
      .filter((id) => map.getLayer(id));
    setPicked({ lngLat: [c.lng, c.lat], features: ids.length ? map.queryRenderedFeatures(point, { layers: ids }) : [] });
  };

  const canFile = hasRole(state, "citizen", "enterprise", "registrar");
  return (
    <Page title="地图（一张图）"
      intro="登记单元、自然资源登记单元、交易中的单元与三区三线。地图数据来自登记系统的矢量瓦片，不依赖外部底图。点击图斑查看信息；键盘用户可用方向键平移、+/- 缩放，再按“查询地图中心”。">
      <div class="map-layout">
        <MapView collections={collections} visible={visible} onClick={setPicked} onReady={setMap}
          label="山西省自然资源一张图" />
        <aside>
          <div class="legend" data-testid="legend">
            <h2>图例</h2>
            {result.error ? (
              <>
                <ProblemBox problem={result.error} onRetry={result.reload} />
                <p class="hint">地图服务暂不可用：目前只显示空白底图和经纬网。</p>
              </>
            ) : null}
            {result.loading && !result.data ? <p class="loading">正在读取图层…</p> : null}
            {result.data && collections.length === 0 ? <p class="empty">登记系统尚未提供图层。</p> : null}
            <LegendList items={collections.filter((c) => styleOf(c.id).on)} visible={visible}
              toggle={(id, on) => setOverrides({ ...overrides, [id]: on })} />
            {collections.some((c) => !styleOf(c.id).on) ? (
              <details>
                <summary>更多图层</summary>
                <LegendList items={collections.filter((c) => !styleOf(c.id).on)} visible={visible}
                  toggle={(id, on) => setOverrides({ ...overrides, [id]: on })} />
              </details>
            ) : null}
            <div class="form-actions">
              <button type="button" class="secondary" onClick={queryCentre} disabled={!map}>查询地图中心</button>
            </div>
          </div>
          {picked ? <FeatureCard picked={picked} canFile={canFile} canRead={state.status === "authenticated"} /> : null}
        </aside>
      </div>
    </Page>
  );
}

function LegendList({ items, visible, toggle }: {
  items: Collection[];
  visible: Record<string, boolean>;
  toggle: (id: string, on: boolean) => void;
}) {
  return (
    <ul>
      {items.map((c) => {
        const s = styleOf(c.id);
        return (
          <li>
            <label class="check">
              <input type="checkbox" checked={visible[c.id]}
                onChange={(e) => toggle(c.id, (e.currentTarget as HTMLInputElement).checked)} />
              <span class="swatch" style={{
                background: s.fill ? hexA(s.fill, s.fillOpacity ?? 0.3) : "transparent",
                borderColor: s.line, borderStyle: s.dash ? "dashed" : "solid",
              }} aria-hidden="true" />
              {c.title}
            </label>
          </li>
        );
      })}
    </ul>
  );
}

function hexA(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function FeatureCard({ picked, canFile, canRead }: {
  picked: { lngLat: [number, number]; features: MapGeoJSONFeature[] };
  canFile: boolean;
  canRead: boolean;
}) {
  // One card per distinct feature (a unit shows in several collections at once).
  const seen = new Set<string>();
  const features = picked.features.filter((f) => {
    const key = String(f.properties?.id ?? f.id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return (
    <div class="card feature-card" data-testid="feature-card" aria-live="polite">
      <h2>所选位置</h2>
      <p class="hint">经度 {picked.lngLat[0].toFixed(6)}，纬度 {picked.lngLat[1].toFixed(6)}</p>
      {features.length === 0 ? <p class="empty">此处没有显示中的图斑。</p> : null}
      {features.slice(0, 5).map((f) => {
        const p = (f.properties ?? {}) as Record<string, string | number | null>;
        if (p.line_type) {
          return (
            <div class="card">
              <h3>{label(LINE_TYPES, String(p.line_type))}</h3>
              <Facts items={[["名称", p.name ?? "—"], ["面积", fmtArea(p.area_m2)]]} />
            </div>
          );
        }
        return (
          <div class="card">
            <h3>{p.name ?? label(UNIT_KINDS, String(p.kind ?? ""))}</h3>
            <Facts items={[
              ["不动产单元代码", <code>{p.code}</code>],
              ["单元标识", <code>{p.id}</code>],
              ["类型", label(UNIT_KINDS, String(p.kind ?? ""))],
              ["所在县区", regionName(String(p.county_code ?? ""))],
              ["面积", fmtArea(p.area_m2)],
              ["状态", label(UNIT_STATUS, String(p.status ?? ""))],
              ["交易", p.in_trade_listing_id ? <Link href={`/listings/${p.in_trade_listing_id}`}>交易中，查看项目</Link> : "未在交易中"],
            ]} />
            {(canFile || canRead) && p.id ? (
              <p>
                {canFile ? <Link href={`/applications/new?unit=${p.id}`}>以此单元申请登记</Link> : null}
                {canFile && canRead ? " · " : null}
                {canRead ? <Link href={`/book?unit=${p.id}`}>查看登记簿</Link> : null}
              </p>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
