// A small map of the city's shelters (MapLibre from /lib, the hub's own offline basemap): a dot per shelter coloured by
// 開設状況; tapping one opens it. Without WebGL the page works from the list alone.
const COLORS = ['match', ['get', 'status'], '開設', '#2e7d32', '未開設', '#78909c', '閉鎖', '#424242', '#bdbdbd'];

export function createCityMap(container, onSelect) {
  if (!window.maplibregl) return { update() {}, select() {} };
  let map;
  try {
    map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {
          land: { type: 'geojson', data: new URL('/geodata/japan-outline.geojson', location.href).href },
          shelters: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        },
        layers: [
          { id: 'sea', type: 'background', paint: { 'background-color': '#b8d4e6' } },
          { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#f3f1ea' } },
          { id: 'shelters', type: 'circle', source: 'shelters', paint: { 'circle-radius': 7, 'circle-color': COLORS, 'circle-stroke-color': '#fff', 'circle-stroke-width': ['case', ['==', ['get', 'selected'], true], 3, 1] } },
        ],
      },
      center: [136.96, 37.04], zoom: 10, attributionControl: false, dragRotate: false, maxPitch: 0, keyboard: false,
    });
  } catch {
    return { update() {}, select() {} };
  }
  container.tabIndex = -1; // the list is the keyboard path; the map is for the eye
  map.touchZoomRotate.disableRotation();
  let byEntity = new Map();
  let selected = null;
  let fitted = false;
  const ready = new Promise((resolve) => map.on('load', resolve));
  map.on('click', 'shelters', (e) => { const s = byEntity.get(e.features[0]?.properties.entity); if (s) onSelect(s); });

  async function update(shelters, chosen = selected) {
    selected = chosen;
    byEntity = new Map(shelters.map((s) => [s.entity, s]));
    await ready;
    const features = shelters.filter((s) => s.lon != null).map((s) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { entity: s.entity, status: s.status || '', selected: s.entity === selected },
    }));
    map.getSource('shelters').setData({ type: 'FeatureCollection', features });
    if (!fitted && features.length) {
      const xs = features.map((f) => f.geometry.coordinates[0]);
      const ys = features.map((f) => f.geometry.coordinates[1]);
      map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 30, maxZoom: 14, duration: 0 });
      fitted = true;
    }
  }
  return { update, select: (entity) => update([...byEntity.values()], entity) };
}
