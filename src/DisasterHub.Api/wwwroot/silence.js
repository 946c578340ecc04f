// Who has not reported (未報告の市区町村): for an area the officer chooses — a prefecture, the municipalities under a
// warning, those with seismic intensity ≥ 5弱, or a polygon drawn on the map — every municipality with the time of
// its last report per EEI item and its 災害対策本部 status, as a table and as a choropleth of silence on the map.
// Reads /ogc/collections/reporting_status/items (GET with pref= / under= / intensity_min=, POST for a polygon).
// A component of its own: it finds the map app.js made (window.hubMap) and adds a section to the side column.

import { withWorkspace } from './workspace.js';

const ITEMS_URL = '/ogc/collections/reporting_status/items';
const POLL_MS = 60_000;
const TZ = 'Asia/Tokyo';
const SRC = 'silence';
const DRAW_SRC = 'silence-draw';
const LAYER_IDS = ['silence-fill', 'silence-line', 'silence-point', 'silence-draw-line', 'silence-draw-point'];
const NEVER = '#9e9e9e';
// hours since the last report → colour (legend order)
const BANDS = [
  { max: 1, color: '#2e7d32', ja: '1時間未満', en: '< 1 h' },
  { max: 3, color: '#9ccc65', ja: '1〜3時間', en: '1–3 h' },
  { max: 6, color: '#ffb300', ja: '3〜6時間', en: '3–6 h' },
  { max: 12, color: '#f4511e', ja: '6〜12時間', en: '6–12 h' },
  { max: Infinity, color: '#b71c1c', ja: '12時間以上', en: '≥ 12 h' },
];
const PREFS = ['北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県',
  '東京都', '神奈川県', '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県', '滋賀県',
  '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県',
  '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'];
const DEFAULT_PREF = '17'; // 石川県: the demo's scenario
const T = {
  ja: {
    title: '未報告の市区町村', area: '対象範囲', pref: '都道府県', warnings: '警報発表中', intensity: '震度5弱以上',
    polygon: '範囲を描く', finish: '完了', cancel: '取消', drawHint: '地図をクリックして頂点を追加（3点以上で「完了」）',
    muni: '市区町村', shelters: '避難所', damage: '被害', evacuation: '避難', lifelines: 'ライフライン', hq: '本部',
    never: '未報告', none: '該当する市区町村はありません', silent: '未報告', of: '件中', legend: '最終報告からの経過',
    hqSet: '設置', hqNot: '未設置', hqDone: '解散', error: '読み込めません',
  },
  en: {
    title: 'Who has not reported', area: 'Area', pref: 'Prefecture', warnings: 'Under warnings', intensity: 'Intensity ≥ 5−',
    polygon: 'Draw area', finish: 'Done', cancel: 'Cancel', drawHint: 'Click the map to add vertices (3 or more, then Done)',
    muni: 'Municipality', shelters: 'Shelters', damage: 'Damage', evacuation: 'Evac.', lifelines: 'Lifelines', hq: 'HQ',
    never: 'never', none: 'No municipality in this area', silent: 'silent', of: 'of', legend: 'Since the last report',
    hqSet: 'set up', hqNot: 'not set up', hqDone: 'dissolved', error: 'could not load',
  },
};
const ITEMS = [
  ['shelters', 'shelters_last_report'],
  ['damage', 'damage_last_report'],
  ['evacuation', 'evacuation_last_report'],
  ['lifelines', 'lifelines_last_report'],
];

const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'ja');
const t = (k) => T[lang()][k];

function el(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid != null) n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return n;
}

function fmtTime(s) {
  if (!s) return null;
  const d = new Date(s);
  return d.toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: TZ, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** The choropleth colour expression: grey when nothing was ever reported, else by hours since the last report. */
const colorExpr = ['case', ['==', ['get', 'hours_since_last_report'], null], NEVER,
  ['step', ['to-number', ['get', 'hours_since_last_report']], BANDS[0].color, ...BANDS.slice(1).flatMap((b, i) => [BANDS[i].max, b.color])]];

function colorOf(h) {
  if (h == null) return NEVER;
  return BANDS.find((b) => h < b.max).color;
}

const state = {
  area: { kind: 'pref', pref: DEFAULT_PREF }, // kind: pref | warnings | intensity | polygon
  pref: DEFAULT_PREF, // the prefecture last chosen
  polygon: null, // [[lon, lat], …] once drawn
  drawing: null, // vertices while drawing
  fc: { type: 'FeatureCollection', features: [] },
  error: null,
  loading: false,
};

function areaUrl() {
  const a = state.area;
  const q = a.kind === 'pref' ? `pref=${a.pref}` : a.kind === 'warnings' ? 'under=warnings' : a.kind === 'intensity' ? 'intensity_min=5-' : '';
  const asOf = window.hub?.state?.asOf;
  const dt = asOf ? `${q ? '&' : ''}datetime=${encodeURIComponent(asOf.toISOString())}` : '';
  return withWorkspace(`${ITEMS_URL}?limit=10000${q ? `&${q}` : ''}${dt}`);
}

async function load() {
  if (state.area.kind === 'polygon' && !state.polygon) return;
  state.loading = true;
  try {
    const init = state.area.kind === 'polygon'
      ? { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify({ type: 'Polygon', coordinates: [[...state.polygon, state.polygon[0]]] }) }
      : {};
    const res = await fetch(areaUrl(), { ...init, headers: { Accept: 'application/geo+json', ...(init.headers ?? {}) } });
    if (!res.ok) throw new Error(`${res.status}`);
    state.fc = await res.json();
    state.error = null;
  } catch (e) {
    state.error = `${t('error')} (${e.message})`;
  } finally {
    state.loading = false;
  }
  render();
  paint();
  document.body.dataset.silenceReady = '1';
}

// ---------------------------------------------------------------------------
// the map: choropleth of silence (polygons when boundaries are loaded, else points) and the polygon being drawn

let map = null;

function ensureLayers() {
  if (!map || !map.isStyleLoaded()) return;
  if (!map.getSource(SRC)) map.addSource(SRC, { type: 'geojson', data: state.fc });
  if (!map.getSource(DRAW_SRC)) map.addSource(DRAW_SRC, { type: 'geojson', data: drawData() });
  const before = map.getLayer('highlight-area') ? 'highlight-area' : undefined;
  const specs = [
    { id: 'silence-fill', type: 'fill', source: SRC, filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
      paint: { 'fill-color': colorExpr, 'fill-opacity': 0.55, 'fill-outline-color': '#37474f' } },
    { id: 'silence-line', type: 'line', source: SRC, filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
      paint: { 'line-color': '#37474f', 'line-width': 0.6, 'line-opacity': 0.7 } },
    { id: 'silence-point', type: 'circle', source: SRC, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': colorExpr, 'circle-radius': 6, 'circle-stroke-color': '#263238', 'circle-stroke-width': 1, 'circle-opacity': 0.9 } },
    { id: 'silence-draw-line', type: 'line', source: DRAW_SRC, paint: { 'line-color': '#6a1b9a', 'line-width': 2.5, 'line-dasharray': [2, 1] } },
    { id: 'silence-draw-point', type: 'circle', source: DRAW_SRC, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#6a1b9a', 'circle-radius': 4 } },
  ];
  for (const s of specs) if (!map.getLayer(s.id)) map.addLayer(s, before);
}

function drawData() {
  const v = state.drawing ?? state.polygon ?? [];
  const features = v.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
  if (v.length > 1) {
    const ring = state.drawing ? v : [...v, v[0]];
    features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: ring }, properties: {} });
  }
  return { type: 'FeatureCollection', features };
}

function paint() {
  ensureLayers();
  map?.getSource(SRC)?.setData(state.fc);
  map?.getSource(DRAW_SRC)?.setData(drawData());
}

// ---------------------------------------------------------------------------
// the side section: area chooser, legend, table

let root = null;

function hqText(s) {
  return s === '設置' ? t('hqSet') : s === '未設置' ? t('hqNot') : s === '解散' ? t('hqDone') : '—';
}

function render() {
  if (!root) return;
  const feats = state.fc.features ?? [];
  const silent = feats.filter((f) => f.properties.last_report == null).length;
  const a = state.area;

  const prefSelect = el('select', { 'data-testid': 'silence-pref', 'aria-label': t('pref'), disabled: a.kind !== 'pref',
    onchange: (e) => { state.pref = e.target.value; state.area = { kind: 'pref', pref: state.pref }; load(); } },
  PREFS.map((name, i) => {
    const code = String(i + 1).padStart(2, '0');
    return el('option', { value: code, selected: state.pref === code }, name);
  }));
  const radio = (kind, label, extra = null) => el('label', { class: 'silence-choice', 'data-testid': `silence-area-${kind}` },
    el('input', { type: 'radio', name: 'silence-area', value: kind, checked: a.kind === kind, onchange: () => choose(kind) }), el('span', {}, label), extra);

  const drawing = state.drawing != null;
  const drawBar = drawing
    ? el('div', { class: 'silence-drawbar' },
      el('span', { class: 'silence-hint' }, t('drawHint')),
      el('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'silence-draw-finish', disabled: state.drawing.length < 3, onclick: finishDrawing }, t('finish')),
      el('button', { type: 'button', class: 'btn btn-small', onclick: cancelDrawing }, t('cancel')))
    : null;

  const rows = feats.map((f) => {
    const p = f.properties;
    return el('tr', { class: `silence-row${p.last_report == null ? ' is-never' : ''}`, 'data-code': p.municipality_code, tabindex: '0',
      onclick: () => focusOn(f) },
    el('th', { scope: 'row' }, el('span', { class: 'silence-swatch', style: `background:${colorOf(p.hours_since_last_report)}` }), p.name),
    ITEMS.map(([, key]) => el('td', { class: p[key] ? 'num' : 'num is-never', 'data-item': key }, fmtTime(p[key]) ?? t('never'))),
    el('td', { class: `silence-hq hq-${p.hq_status ?? 'none'}`, 'data-item': 'hq_status' }, hqText(p.hq_status)));
  });

  root.replaceChildren(...[
    el('div', { class: 'side-head' }, el('h2', {}, t('title')),
      el('span', { class: 'side-meta', 'data-testid': 'silence-count' }, state.loading ? '…' : `${t('silent')} ${silent} / ${feats.length}`)),
    el('div', { class: 'silence-area', role: 'radiogroup', 'aria-label': t('area') },
      radio('pref', t('pref'), prefSelect), radio('warnings', t('warnings')), radio('intensity', t('intensity')), radio('polygon', t('polygon'))),
    drawBar,
    el('ul', { class: 'silence-legend', 'aria-label': t('legend') },
      BANDS.map((b) => el('li', {}, el('span', { class: 'silence-swatch', style: `background:${b.color}` }), b[lang()])),
      el('li', {}, el('span', { class: 'silence-swatch', style: `background:${NEVER}` }), t('never'))),
    state.error ? el('p', { class: 'load-error', 'data-testid': 'silence-error' }, state.error) : null,
    el('div', { class: 'table-wrap silence-wrap' },
      el('table', { class: 'dash-table silence-table', 'data-testid': 'silence-table' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('muni')), ITEMS.map(([k]) => el('th', { scope: 'col', class: 'num' }, t(k))), el('th', { scope: 'col' }, t('hq')))),
        el('tbody', {}, rows)),
      feats.length === 0 && !state.loading ? el('p', { class: 'empty' }, t('none')) : null),
  ].filter((n) => n != null));
}

function choose(kind) {
  if (kind === 'pref') state.area = { kind, pref: state.pref };
  else state.area = { kind };
  if (kind === 'polygon') {
    startDrawing();
    return;
  }
  cancelDrawing(false);
  load();
}

function focusOn(f) {
  const g = f.geometry;
  if (!g || !map) return;
  const coords = g.type === 'Point' ? [g.coordinates] : g.type === 'Polygon' ? g.coordinates.flat() : g.coordinates.flat(2);
  const b = coords.reduce((acc, [x, y]) => [Math.min(acc[0], x), Math.min(acc[1], y), Math.max(acc[2], x), Math.max(acc[3], y)], [180, 90, -180, -90]);
  if (g.type === 'Point') map.easeTo({ center: g.coordinates, zoom: Math.max(map.getZoom(), 9) });
  else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 11 });
}

// ---------------------------------------------------------------------------
// click-to-draw polygon

function onMapClick(e) {
  if (!state.drawing) return;
  state.drawing.push([Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))]);
  paint();
  render();
}

function startDrawing() {
  state.drawing = [];
  state.polygon = null;
  map?.doubleClickZoom.disable();
  map?.getCanvas().classList.add('silence-drawing');
  paint();
  render();
}

function finishDrawing() {
  if (!state.drawing || state.drawing.length < 3) return;
  state.polygon = state.drawing;
  state.drawing = null;
  map?.doubleClickZoom.enable();
  map?.getCanvas().classList.remove('silence-drawing');
  state.area = { kind: 'polygon' };
  paint();
  load();
}

function cancelDrawing(rerender = true) {
  state.drawing = null;
  if (state.area.kind !== 'polygon') state.polygon = null;
  map?.doubleClickZoom.enable();
  map?.getCanvas().classList.remove('silence-drawing');
  paint();
  if (rerender) render();
}

// ---------------------------------------------------------------------------

function mount() {
  map = window.hubMap ?? null;
  document.head.append(el('link', { rel: 'stylesheet', href: '/silence.css' }));
  root = el('section', { class: 'silence', id: 'silence', 'data-testid': 'silence', 'aria-label': '未報告 / who has not reported' });
  const side = document.querySelector('aside.side');
  const sources = document.getElementById('sources');
  if (side) side.insertBefore(root, sources ?? null);
  else document.body.append(root);
  render();
  if (map) {
    // app.js rebuilds its layers on a mode or as-of change, dropping ours: put them back whenever the style changes
    map.on('styledata', () => { if (!map.getLayer('silence-fill')) ensureLayers(); });
    map.on('click', onMapClick);
    map.on('dblclick', (e) => { if (state.drawing) { e.preventDefault(); finishDrawing(); } });
    if (map.isStyleLoaded()) ensureLayers(); else map.once('load', ensureLayers);
  }
  new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  load();
  setInterval(() => { if (!state.drawing) load(); }, POLL_MS);
  window.hubSilence = { state, load, layerIds: LAYER_IDS, choose, finishDrawing, onMapClick: (lng, lat) => onMapClick({ lngLat: { lng, lat } }) };
}

if (window.hubMap) mount(); else window.addEventListener('hubmap', mount, { once: true });
