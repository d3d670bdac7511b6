// Small plane/sphere helpers for a drawn boundary: area, self-intersection, bbox, GeoJSON.
export type LngLat = [number, number];

const R = 6378137; // WGS84 / CGCS2000 semi-major axis, metres
const rad = (d: number) => (d * Math.PI) / 180;

/** Geodesic area of a simple ring (open: first vertex not repeated), m² (spherical approximation). */
export function ringArea(ring: LngLat[]): number {
  const n = ring.length;
  if (n < 3) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p1 = ring[i];
    const p2 = ring[(i + 1) % n];
    const p3 = ring[(i + 2) % n];
    sum += (rad(p3[0]) - rad(p1[0])) * Math.sin(rad(p2[1]));
  }
  return Math.abs((sum * R * R) / 2);
}

function orient(a: LngLat, b: LngLat, c: LngLat): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(a: LngLat, b: LngLat, p: LngLat): boolean {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}

function segmentsCross(a: LngLat, b: LngLat, c: LngLat, d: LngLat): boolean {
  const o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (o1 === 0 && onSegment(a, b, c)) || (o2 === 0 && onSegment(a, b, d))
    || (o3 === 0 && onSegment(c, d, a)) || (o4 === 0 && onSegment(c, d, b));
}

/** Whether two non-adjacent edges of the closed ring touch or cross (a bow-tie is not a parcel). */
export function selfIntersects(ring: LngLat[]): boolean {
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    const a = ring[i], b = ring[(i + 1) % n];
    for (let j = i + 1; j < n; j++) {
      if (j === i || (j + 1) % n === i || (i + 1) % n === j) continue;
      if (segmentsCross(a, b, ring[j], ring[(j + 1) % n])) return true;
    }
  }
  return false;
}

export function ringBbox(ring: LngLat[]): [number, number, number, number] {
  const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** A GeoJSON Feature with the closed ring, counter-clockwise (RFC 7946), 7 decimals (~1 cm). */
export function polygonFeature(ring: LngLat[], properties: Record<string, unknown> = {}): GeoJSON.Feature<GeoJSON.Polygon> {
  let pts = ring.map(([x, y]): LngLat => [Number(x.toFixed(7)), Number(y.toFixed(7))]);
  let signed = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i], [x2, y2] = pts[(i + 1) % pts.length];
    signed += x1 * y2 - x2 * y1;
  }
  if (signed < 0) pts = pts.reverse();
  return { type: "Feature", properties, geometry: { type: "Polygon", coordinates: [[...pts, pts[0]]] } };
}
