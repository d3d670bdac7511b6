// The map's local style: no remote basemap, no glyphs (no text labels), only this origin's tiles.
import type { LayerSpecification, StyleSpecification } from "maplibre-gl";
import { config } from "../config";

export interface Collection {
  id: string;
  title: string;
  description?: string;
}

/** How a known collection is drawn; others are listed in the legend, off until switched on. */
export interface CollectionStyle {
  fill?: string;
  line: string;
  lineWidth?: number;
  dash?: number[];
  fillOpacity?: number;
  on: boolean;
  order: number;
}

export const STYLES: Record<string, CollectionStyle> = {
  basic_farmland: { fill: "#f2c94c", line: "#b8860b", fillOpacity: 0.35, on: true, order: 1 },
  urban_boundary: { line: "#7b2cbf", lineWidth: 2, dash: [3, 2], on: true, order: 2 },
  ecological_redline: { fill: "#2e7d32", line: "#1b5e20", fillOpacity: 0.18, lineWidth: 1.5, on: true, order: 3 },
  natural_resources: { fill: "#26a69a", line: "#00695c", fillOpacity: 0.35, on: true, order: 4 },
  parcels: { fill: "#4f8fce", line: "#1d4f91", fillOpacity: 0.45, on: true, order: 5 },
  units_in_trade: { line: "#d62828", lineWidth: 3, on: true, order: 6 },
};

const GENERIC: CollectionStyle = { fill: "#8d6e63", line: "#5d4037", fillOpacity: 0.3, on: false, order: 9 };

export function styleOf(id: string): CollectionStyle {
  return STYLES[id] ?? GENERIC;
}

/** Shanxi: roughly 110.2–114.6°E, 34.6–40.8°N. */
export const SHANXI_BOUNDS: [[number, number], [number, number]] = [[110.2, 34.5], [114.6, 40.8]];

function graticule(): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (let lon = 100; lon <= 125; lon++) {
    features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: [[lon, 28], [lon, 48]] } });
  }
  for (let lat = 28; lat <= 48; lat++) {
    features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: [[100, lat], [125, lat]] } });
  }
  return { type: "FeatureCollection", features };
}

export function tileUrl(collectionId: string): string {
  return `${location.origin}${config().api.registry}/tiles/${encodeURIComponent(collectionId)}/{z}/{x}/{y}.mvt`;
}

export function layerIds(id: string): string[] {
  const s = styleOf(id);
  return s.fill ? [`${id}-fill`, `${id}-line`] : [`${id}-line`];
}

export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: { graticule: { type: "geojson", data: graticule() } },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef3f6" } },
      { id: "graticule", type: "line", source: "graticule", paint: { "line-color": "#c5d0da", "line-width": 0.6 } },
    ],
  };
}

export function collectionLayers(c: Collection, visible: boolean): LayerSpecification[] {
  const s = styleOf(c.id);
  const visibility = visible ? "visible" : "none";
  const layers: LayerSpecification[] = [];
  if (s.fill) {
    layers.push({
      id: `${c.id}-fill`, type: "fill", source: c.id, "source-layer": c.id,
      layout: { visibility },
      paint: { "fill-color": s.fill, "fill-opacity": s.fillOpacity ?? 0.3 },
    });
  }
  layers.push({
    id: `${c.id}-line`, type: "line", source: c.id, "source-layer": c.id,
    layout: { visibility },
    paint: {
      "line-color": s.line,
      "line-width": s.lineWidth ?? 1,
      ...(s.dash ? { "line-dasharray": s.dash } : {}),
    },
  });
  return layers;
}
