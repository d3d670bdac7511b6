// Drawing a parcel boundary on MapLibre (no plugin): click to add vertices, double-click or
// "完成绘制" to close the polygon. Keyboard users (the map has focus once drawing starts) pan with
// the arrow keys and press Space to add the map's centre (marked by a cross-hair) as a vertex;
// Enter finishes, Backspace undoes, Escape cancels. The buttons do the same.
import type { GeoJSONSource, Map as MlMap, MapMouseEvent } from "maplibre-gl";
import { useEffect, useRef, useState } from "preact/hooks";
import { fmtArea } from "../labels";
import { polygonFeature, ringArea, selfIntersects, type LngLat } from "./geometry";

type Mode = "idle" | "drawing" | "done";

const SOURCE = "draw";
export const DRAW_LAYERS = ["draw-fill", "draw-line", "draw-vertex"];
const MIN_PIXELS = 5; // a second click this close to the previous vertex is the same vertex

function ensureLayers(map: MlMap): void {
  if (map.getSource(SOURCE)) return;
  map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "draw-fill", type: "fill", source: SOURCE, filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": "#ff6f00", "fill-opacity": 0.15 } });
  map.addLayer({ id: "draw-line", type: "line", source: SOURCE, filter: ["!=", ["geometry-type"], "Point"],
    paint: { "line-color": "#e65100", "line-width": 2.5 } });
  map.addLayer({ id: "draw-vertex", type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": "#e65100", "circle-stroke-width": 2 } });
}

function render(map: MlMap, vertices: LngLat[], mode: Mode): void {
  const features: GeoJSON.Feature[] = vertices.map((p) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } }));
  if (vertices.length >= 3) {
    features.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[...vertices, vertices[0]]] } });
  } else if (vertices.length === 2) {
    features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: vertices } });
  }
  const src = map.getSource(SOURCE) as GeoJSONSource | undefined;
  src?.setData({ type: "FeatureCollection", features: mode === "idle" ? [] : features });
}

export function BoundaryDraw({ map, onDone, onDrawing }: {
  map: MlMap | null;
  /** The closed polygon (GeoJSON Feature), or null when cleared. */
  onDone: (feature: GeoJSON.Feature<GeoJSON.Polygon> | null) => void;
  onDrawing?: (drawing: boolean) => void;
}) {
  const [mode, setMode] = useState<Mode>("idle");
  const [vertices, setVertices] = useState<LngLat[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const live = useRef({ mode, vertices });
  live.current = { mode, vertices };
  const actions = useRef({ add: (_p: LngLat) => {}, addCentre: () => {}, finish: () => {}, undo: () => {}, cancel: () => {} });

  const add = (p: LngLat) => {
    if (!map || live.current.mode !== "drawing") return;
    const prev = live.current.vertices[live.current.vertices.length - 1];
    if (prev) {
      const a = map.project(prev), b = map.project(p);
      if (Math.hypot(a.x - b.x, a.y - b.y) < MIN_PIXELS) return;
    }
    setMessage(null);
    setVertices([...live.current.vertices, p]);
  };
  const finish = () => {
    const ring = live.current.vertices;
    if (ring.length < 3) {
      setMessage("至少需要 3 个顶点才能构成边界。");
      return;
    }
    if (selfIntersects(ring)) {
      setMessage("边界线自相交（呈交叉状），请撤销顶点后重新绘制。");
      return;
    }
    setMessage(null);
    setMode("done");
    onDone(polygonFeature(ring, { name: "申请人标绘的宗地范围", source: "drawn" }));
  };
  const undo = () => setVertices(live.current.vertices.slice(0, -1));
  const cancel = () => {
    setVertices([]);
    setMode("idle");
    setMessage(null);
    onDone(null);
  };
  const addCentre = () => {
    if (!map) return;
    const c = map.getCenter();
    add([c.lng, c.lat]);
  };
  actions.current = { add, addCentre, finish, undo, cancel };

  useEffect(() => {
    if (!map) return;
    ensureLayers(map);
    const click = (e: MapMouseEvent) => actions.current.add([e.lngLat.lng, e.lngLat.lat]);
    const dblclick = (e: MapMouseEvent) => {
      if (live.current.mode !== "drawing") return;
      e.preventDefault();
      actions.current.finish();
    };
    const key = (e: KeyboardEvent) => {
      if (live.current.mode !== "drawing") return;
      if (e.key === " ") { e.preventDefault(); actions.current.addCentre(); }
      else if (e.key === "Enter") { e.preventDefault(); actions.current.finish(); }
      else if (e.key === "Escape") { e.preventDefault(); actions.current.cancel(); }
      else if (e.key === "Backspace") { e.preventDefault(); actions.current.undo(); }
    };
    map.on("click", click);
    map.on("dblclick", dblclick);
    const canvas = map.getCanvas();
    canvas.addEventListener("keydown", key);
    return () => {
      map.off("click", click);
      map.off("dblclick", dblclick);
      canvas.removeEventListener("keydown", key);
    };
  }, [map]);

  useEffect(() => {
    if (!map) return;
    render(map, vertices, mode);
    const drawing = mode === "drawing";
    map.getContainer().classList.toggle("drawing", drawing);
    if (drawing) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
  }, [map, vertices, mode]);

  useEffect(() => onDrawing?.(mode === "drawing"), [mode]);

  const start = () => {
    setVertices([]);
    setMessage(null);
    setMode("drawing");
    onDone(null);
    map?.getCanvas().focus();
  };
  const status = mode === "drawing"
    ? `正在绘制：已添加 ${vertices.length} 个顶点。在地图上单击添加顶点，双击或按“完成绘制”闭合边界。`
    : mode === "done"
      ? `已绘制边界：${vertices.length} 个顶点，面积约 ${fmtArea(ringArea(vertices))}。`
      : "尚未绘制边界。";

  return (
    <div class="draw-tools" role="group" aria-label="绘制宗地边界">
      <div class="form-actions">
        {mode !== "drawing" ? (
          <button type="button" class="secondary" disabled={!map} onClick={start}>{mode === "done" ? "重新绘制" : "绘制边界"}</button>
        ) : (
          <>
            <button type="button" class="secondary" onClick={addCentre}>在地图中心添加顶点</button>
            <button type="button" class="secondary" disabled={!vertices.length} onClick={undo}>撤销上一点</button>
            <button type="button" disabled={vertices.length < 3} onClick={finish}>完成绘制</button>
            <button type="button" class="secondary" onClick={cancel}>取消绘制</button>
          </>
        )}
        {mode === "done" ? <button type="button" class="secondary" onClick={cancel}>清除边界</button> : null}
      </div>
      <p class="hint" role="status" aria-live="polite" data-testid="draw-status">{status}</p>
      {mode === "drawing" ? (
        <p class="hint" id="draw-keys">键盘操作：焦点在地图上时，方向键平移、+/- 缩放，空格键在地图中心（十字准星处）添加顶点，Enter 完成，Backspace 撤销上一点，Esc 取消。</p>
      ) : null}
      {message ? <p class="problem" role="alert">{message}</p> : null}
    </div>
  );
}

/** Jump the map to typed coordinates (经度,纬度), e.g. from a survey sheet. */
export function LocateControl({ map }: { map: MlMap | null }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const go = () => {
    const parts = value.split(/[,，\s]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) {
      setError("请按“经度,纬度”填写，例如 112.7300,38.7200。");
      return;
    }
    const [lon, lat] = parts;
    if (lon < 110 || lon > 115 || lat < 34.4 || lat > 40.9) {
      setError("坐标不在山西省范围内（经度约 110.2–114.6，纬度约 34.6–40.8）。");
      return;
    }
    setError(null);
    map?.jumpTo({ center: [lon, lat], zoom: 17 });
  };
  return (
    <div class="field locate">
      <label for="locate-input">定位到经纬度</label>
      <div class="inline">
        <input id="locate-input" value={value} inputMode="decimal" placeholder="经度,纬度（CGCS2000）"
          aria-describedby="locate-hint"
          onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); go(); } }} />
        <button type="button" class="secondary" disabled={!map} onClick={go}>定位</button>
      </div>
      <small id="locate-hint" class="hint">输入宗地附近一点的经纬度，地图将放大到该处，便于绘制边界。</small>
      {error ? <small class="field-error" role="alert">{error}</small> : null}
    </div>
  );
}
