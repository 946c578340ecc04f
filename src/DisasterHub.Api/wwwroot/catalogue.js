// The layer catalogue as the map uses it (issue 12): GET /api/v1/layers gives every layer's titles, style (colour,
// icon, colours by status), draw and panel order. The map's layer list, legend and style layers are built from it,
// so a layer added as one catalogue file appears on the map without a code change.

/** Drawing tweaks that are the map's own business (symbol offsets where layers share a municipality centroid). */
const TWEAKS = {
  warnings: { offset: [0, -11], fill: 0.16, line: 1.2 },
  evacuation_orders: { offset: [0, 11], fill: 0.28, line: 2.2, dash: [3, 1.5] },
  damage: { offset: [-11, 0], fill: 0.22, line: 1.5 },
  power_outages: { offset: [11, 0], fill: 0.2, line: 1.5 },
  road_closures: { line: 4 },
};

/** Used only when the catalogue cannot be read: the six layers the hub always had. */
const FALLBACK = [
  { id: 'shelters', title: { ja: '避難所', en: 'Shelters' }, style: { color: '#2e7d32', stroke: '#ffffff', by: 'status', draw_order: 90, panel_order: 10 } },
  { id: 'evacuation_orders', title: { ja: '避難指示等', en: 'Evacuation orders' }, style: { color: '#b71c1c', stroke: '#b71c1c', by: 'severity', draw_order: 20, panel_order: 20 } },
  { id: 'damage', title: { ja: '被害', en: 'Damage' }, style: { color: '#212121', stroke: '#212121', by: 'severity', draw_order: 30, panel_order: 30 } },
  { id: 'power_outages', title: { ja: '停電', en: 'Power outages' }, style: { color: '#4a148c', stroke: '#4a148c', by: 'severity', draw_order: 40, panel_order: 40 } },
  { id: 'sensors', title: { ja: '観測', en: 'Sensors' }, style: { color: '#0d47a1', stroke: '#0d47a1', by: 'severity', draw_order: 80, panel_order: 150 } },
  { id: 'warnings', title: { ja: '気象警報', en: 'Weather warnings' }, style: { color: '#ffffff', stroke: '#ffffff', by: 'severity', draw_order: 10, panel_order: 160 } },
];

function toMapLayer(l) {
  const s = l.style ?? {};
  const t = TWEAKS[l.id] ?? {};
  return {
    id: l.id,
    ja: l.title?.ja ?? l.id,
    en: l.title?.en ?? l.id,
    color: s.color ?? '#607d8b',
    stroke: s.stroke ?? '#ffffff',
    strokeWidth: 2,
    icon: s.icon ?? 'point',
    by: s.by ?? 'severity',
    values: s.values ?? null, // status → colour
    drawOrder: s.draw_order ?? 50,
    panelOrder: s.panel_order ?? 100,
    offset: t.offset ?? [0, 0],
    fill: t.fill ?? 0.22,
    line: t.line ?? 2,
    dash: t.dash,
    attributes: Array.isArray(l.attributes) ? l.attributes : [],
  };
}

/**
 * Attribute labels from the catalogue's titles ("避難者数(男性) / evacuees, male" → [ja, en]), with the unit, for
 * popups of any layer; the first layer to define a key names it.
 */
export function attributeLabels(layers) {
  const labels = {};
  for (const l of layers) {
    for (const a of l.attributes) {
      if (labels[a.key] || typeof a.title !== 'string') continue;
      const [ja, en] = a.title.split(' / ');
      const unit = a.unit ? ` (${a.unit})` : '';
      labels[a.key] = [`${ja}${unit}`, `${en ?? ja}${unit}`];
    }
  }
  return labels;
}

/**
 * The layers, bottom to top (draw order), each with its titles and style. Never throws: without the catalogue the
 * map still shows the six original layers.
 */
export async function catalogueLayers(timeoutMs = 5000) {
  let list = FALLBACK;
  try {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    const r = await fetch('/api/v1/layers', { signal: ctl.signal, headers: { Accept: 'application/json' } });
    clearTimeout(timer);
    if (r.ok) {
      const body = await r.json();
      if (Array.isArray(body.layers) && body.layers.length > 0) list = body.layers;
    }
  } catch {
    // keep the fallback
  }
  return list.map(toMapLayer).sort((a, b) => a.drawOrder - b.drawOrder || a.id.localeCompare(b.id));
}

/** A MapLibre colour expression for a layer coloured by status (its catalogue `values`), grey when stale. */
export function statusColor(layer, isStale, grey) {
  const pairs = Object.entries(layer.values ?? {}).flat();
  if (pairs.length === 0) return layer.color;
  return ['case', isStale, grey, ['match', ['coalesce', ['get', 'status'], ''], ...pairs, layer.color]];
}
