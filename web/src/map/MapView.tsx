// MapLibre GL (bundled, loaded on demand) over the registry's vector tiles.
import type { Map as MlMap, MapGeoJSONFeature } from "maplibre-gl";
import { useEffect, useRef } from "preact/hooks";
import { baseStyle, collectionLayers, layerIds, SHANXI_BOUNDS, tileUrl as tileUrlOf, type Collection } from "./layers";

export interface MapClick {
  lngLat: [number, number];
  features: MapGeoJSONFeature[];
}

export function MapView({ collections, visible, onClick, onReady, small, label }: {
  collections: Collection[];
  visible: Record<string, boolean>;
  onClick?: (click: MapClick) => void;
  onReady?: (map: MlMap) => void;
  small?: boolean;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const added = useRef(new Set<string>());
  const latest = useRef({ collections, visible });
  latest.current = { collections, visible };

  useEffect(() => {
    let disposed = false;
    void import("maplibre-gl").then(({ default: maplibregl }) => {
      if (disposed || !box.current) return;
      const map = new maplibregl.Map({
        container: box.current,
        style: baseStyle(),
        bounds: SHANXI_BOUNDS,
        fitBoundsOptions: { padding: 10 },
        attributionControl: false,
        maxZoom: 19,
        dragRotate: false,
        pitchWithRotate: false,
      });
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
      map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
      map.getCanvas().setAttribute("aria-label", label);
      map.on("click", (e) => {
        const ids = [...added.current].flatMap(layerIds).filter((id) => map.getLayer(id));
        const features = ids.length ? map.queryRenderedFeatures(e.point, { layers: ids }) : [];
        clickRef.current?.({ lngLat: [e.lngLat.lng, e.lngLat.lat], features });
      });
      map.on("load", () => {
        box.current?.setAttribute("data-map-state", "loaded");
        mapRef.current = map;
        sync(map);
        onReady?.(map);
      });
    });
    return () => {
      disposed = true;
      mapRef.current?.remove();
      mapRef.current = null;
      added.current.clear();
    };
  }, []);

  const sync = (map: MlMap) => {
    const { collections, visible } = latest.current;
    for (const c of collections) {
      if (!added.current.has(c.id)) {
        map.addSource(c.id, { type: "vector", tiles: [tileUrlOf(c.id)], minzoom: 0, maxzoom: 16 });
        // Under any overlay (drawn or uploaded boundary) that a page added before the layers loaded.
        const overlay = map.getStyle().layers.find((l) => l.id.startsWith("draw-") || l.id.startsWith("upload-"));
        for (const layer of collectionLayers(c, !!visible[c.id])) map.addLayer(layer, overlay?.id);
        added.current.add(c.id);
      }
      for (const id of layerIds(c.id)) {
        if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible[c.id] ? "visible" : "none");
      }
    }
  };

  useEffect(() => {
    if (mapRef.current) sync(mapRef.current);
  }, [collections, visible]);

  return <div ref={box} class={`map-frame${small ? " small" : ""}`} data-testid="map" data-map-state="loading" />;
}

