// DisasterHub web map for disaster officers. Plain ES module, no build step.
// MapLibre GL JS is loaded as a classic script from /lib/maplibre-gl.js (global `maplibregl`).
// Nothing is fetched from the network but the hub itself: the basemap is a local GeoJSON
// (geodata/japan-outline.geojson), the EEI layers are the hub's vector tiles, and there are no
// glyphs or sprites — every label (panel, popups, cluster counts) is HTML.

import { withWorkspace } from './workspace.js';
import { loadCredit } from './attribution.js';
import { followerLine } from './follower.js';
import { catalogueLayers, statusColor, attributeLabels } from './catalogue.js';
import { mediaFigure } from './media.js';
import { batchEvents, BURST_AT, readBurst } from './event-burst.js';

const maplibregl = window.maplibregl;

// ---------------------------------------------------------------------------
// configuration

const BASEMAP_URL = '/geodata/japan-outline.geojson';
const ROLLUP_URL = '/ogc/collections/municipalities/items?limit=2000';
const SOURCES_URL = '/api/v1/sources';
const EVENTS_URL = `/api/v1/events?burst=${BURST_AT}`;
const FETCH_TIMEOUT_MS = 8_000;
const POLL_MS = 30_000; // dashboard/sources safety net besides the event stream
const SLIDER_MINUTES = 24 * 60; // the time slider covers the last 24 h
const JAPAN_BOUNDS = [[122.9, 24.0], [146.0, 45.6]];
const TZ = 'Asia/Tokyo';

/** Catalogue layers, bottom to top (catalogue.js: titles, colours, draw and panel order from /api/v1/layers). */
const LAYERS = await catalogueLayers();
const LAYER_BY_ID = Object.fromEntries(LAYERS.map((l) => [l.id, l]));
/** Panel order (the order officers think in), not draw order. */
const PANEL_ORDER = [...LAYERS].sort((a, b) => a.panelOrder - b.panelOrder || a.id.localeCompare(b.id)).map((l) => l.id);
const known = (ids) => ids.filter((id) => LAYER_BY_ID[id]);

const PRESETS = [
  { id: 'evacuation', ja: '避難', en: 'Evacuation', layers: known(['shelters', 'evacuation_orders', 'warnings', 'isolated_communities', 'welfare_facilities']) },
  { id: 'lifeline', ja: 'ライフライン', en: 'Lifelines', layers: known(['power_outages', 'water_outages', 'gas_outages', 'telecom_outages', 'road_closures', 'damage']) },
  { id: 'sensors', ja: 'センサー', en: 'Sensors', layers: known(['sensors']) },
  { id: 'all', ja: 'すべて', en: 'All', layers: PANEL_ORDER },
];

// Common severity: 0 normal, 1 caution, 2 warning, 3 critical; grey for unknown or stale.
const SEVERITY = [
  { v: 0, color: '#43a047', ja: '平常', en: 'Normal' },
  { v: 1, color: '#f9d423', ja: '注意', en: 'Caution' },
  { v: 2, color: '#fb8c00', ja: '警戒', en: 'Warning' },
  { v: 3, color: '#e53935', ja: '危険', en: 'Critical' },
];
const GREY = '#9e9e9e';
const CLUSTER_COLOR = '#37474f';
const HIGHLIGHT = '#1565c0';

// Shelters keep their 開設状況 colours (stale → grey).
const SHELTER_STATUS = [
  { key: '開設', color: '#2e7d32', en: 'Open' },
  { key: '常設', color: '#1565c0', en: 'Permanent' },
  { key: '未開設', color: '#78909c', en: 'Not opened' },
  { key: '閉鎖', color: '#424242', en: 'Closed' },
  { key: '不明', color: '#bdbdbd', en: 'Unknown' },
];

// ---------------------------------------------------------------------------
// i18n

const I18N = {
  ja: {
    subtitle: '災害情報共有ハブ', lastUpdate: '最終更新', view: '表示データ', merged: '統合', perSource: '情報源別',
    presets: 'プリセット', layers: 'レイヤー', legend: '凡例', asOf: '表示時刻', now: '現在',
    dashboard: '市区町村ダッシュボード', evacueeTotal: '避難者数', burstOf: '{n} 件の一括更新', sheltersOpen: '開設避難所', customersOut: '停電戸数',
    casualties: '死者・行方不明', colMunicipality: '市区町村', colSeverity: '深刻度', colEvacuees: '避難者',
    colShelters: '避難所', colPower: '停電', colCasualties: '死/不明', colAlerts: '指示/警報',
    noActivity: '報告のある市区町村はありません', sources: '情報源', live: 'ライブ', liveBadge: 'LIVE', asOfBadge: '過去表示',
    connected: '受信中', reconnecting: '再接続中', severity: '深刻度', status: '状況', layer: 'レイヤー',
    municipality: '市区町村', sourcesLabel: '情報源', observed: '観測時刻', received: '受信時刻', address: '住所',
    attributes: '属性', conflicts: '情報源間の不一致', stale: '古い情報', overdue: '復旧見込み超過', unknown: '不明', none: '—', loading: '読み込み中…',
    loadError: 'データを取得できません', failing: '障害', staleBadge: '遅延', ok: '正常', never: '未受信',
    lastSuccess: '最終成功', lastError: '最終エラー', since: 'から', clusterHint: 'クリックで拡大',
    otherHere: 'この地点の他の情報', count: '件', rows: '市区町村', feeds: '件', lag: '遅延',
    newerData: '新しい更新があります', langButton: 'EN', cluster: '集約（件数）', shelterStatus: '避難所（開設状況）',
    severityLegend: '深刻度（全レイヤー共通）', fieldValue: '値', field: '項目', conflictsCount: (n) => `不一致 ${n} 件`,
    ago: (n, u) => `${n}${{ s: '秒', m: '分', h: '時間', d: '日' }[u]}前`, justNow: 'たった今', inFuture: '未来',
    relative: (m) => (m === 0 ? '現在' : `${fmtDuration(m)}前`), moreEvents: (n) => `他${n}件`,
  },
  en: {
    subtitle: 'Disaster information hub', lastUpdate: 'Last update', view: 'Data', merged: 'Merged', perSource: 'Per source',
    presets: 'Presets', layers: 'Layers', legend: 'Legend', asOf: 'As of', now: 'Now',
    dashboard: 'Municipality dashboard', evacueeTotal: 'Evacuees', burstOf: '{n} changes at once', sheltersOpen: 'Open shelters', customersOut: 'Customers out',
    casualties: 'Dead / missing', colMunicipality: 'Municipality', colSeverity: 'Severity', colEvacuees: 'Evac.',
    colShelters: 'Open', colPower: 'Out', colCasualties: 'D/M', colAlerts: 'Ord/Wrn',
    noActivity: 'No municipality has reported anything', sources: 'Sources', live: 'live', liveBadge: 'LIVE', asOfBadge: 'AS OF',
    connected: 'Receiving', reconnecting: 'Reconnecting', severity: 'Severity', status: 'Status', layer: 'Layer',
    municipality: 'Municipality', sourcesLabel: 'Sources', observed: 'Observed', received: 'Received', address: 'Address',
    attributes: 'Attributes', conflicts: 'Conflicting sources', stale: 'Stale', overdue: 'Estimate overdue', unknown: 'Unknown', none: '—', loading: 'Loading…',
    loadError: 'Could not load data', failing: 'Failing', staleBadge: 'Stale', ok: 'OK', never: 'never received',
    lastSuccess: 'Last success', lastError: 'Last error', since: 'since', clusterHint: 'click to zoom in',
    otherHere: 'Also here', count: '', rows: 'municipalities', feeds: 'feeds', lag: 'lag',
    newerData: 'Newer updates available', langButton: '日本語', cluster: 'Cluster (count)', shelterStatus: 'Shelters (status)',
    severityLegend: 'Severity (all layers)', fieldValue: 'Value', field: 'Field', conflictsCount: (n) => `${n} conflict${n === 1 ? '' : 's'}`,
    ago: (n, u) => `${n} ${{ s: 's', m: 'min', h: 'h', d: 'd' }[u]} ago`, justNow: 'just now', inFuture: 'in the future',
    relative: (m) => (m === 0 ? 'now' : `${fmtDuration(m)} ago`), moreEvents: (n) => `+${n} more`,
  },
};

/** Attribute labels (unknown keys are shown as they are). */
const ATTR_LABELS = {
  evacuees: ['避難者数', 'Evacuees'], capacity: ['収容人数', 'Capacity'], capacity_text: ['収容人数（原文）', 'Capacity (text)'],
  kind: ['種別', 'Kind'], hazards: ['対象災害', 'Hazards'], customers_out: ['停電戸数', 'Customers out'],
  customers_served: ['需要家数', 'Customers served'], cause: ['原因', 'Cause'], restoration_eta: ['復旧見込み', 'Restoration ETA'],
  eta_revision: ['見込み改訂', 'ETA revision'], utility: ['事業者', 'Utility'], area_id: ['区域ID', 'Area ID'],
  deaths: ['死者', 'Deaths'], missing: ['行方不明者', 'Missing'], injured_serious: ['重傷者', 'Seriously injured'],
  injured_minor: ['軽傷者', 'Slightly injured'], roads: ['道路損壊', 'Roads damaged'], landslides: ['がけ崩れ', 'Landslides'],
  disaster_name: ['災害名', 'Disaster'], report_no: ['報告番号', 'Report no.'], headquarters_type: ['本部', 'Headquarters'],
  event: ['種別', 'Event'], headline: ['見出し', 'Headline'], area_desc: ['対象地区', 'Area'], instruction: ['指示', 'Instruction'],
  description: ['内容', 'Description'], sender_name: ['発信者', 'Sender'], effective: ['発効', 'Effective'], expires: ['失効', 'Expires'],
  kind_name: ['種別', 'Kind'], replaced_by_name: ['切替後', 'Replaced by'], info_type: ['情報形態', 'Info type'], title: ['標題', 'Title'],
  precipitation_1h: ['1時間降水量 (mm)', 'Rain 1 h (mm)'], precipitation_10m: ['10分間降水量 (mm)', 'Rain 10 min (mm)'],
  precipitation_24h: ['24時間降水量 (mm)', 'Rain 24 h (mm)'], temp: ['気温 (℃)', 'Temperature (°C)'], wind: ['風速 (m/s)', 'Wind (m/s)'],
  humidity: ['湿度 (%)', 'Humidity (%)'], water_level: ['水位 (m)', 'Water level (m)'], seismic_intensity: ['震度', 'Seismic intensity'],
  dose_rate: ['空間線量率', 'Dose rate'], station_id: ['観測所番号', 'Station ID'], shelter_id: ['避難所ID', 'Shelter ID'],
  name_en: ['英語名', 'English name'], altitude_m: ['標高 (m)', 'Altitude (m)'], station_type: ['観測所種別', 'Station type'],
  wind_direction: ['風向', 'Wind direction'], utility: ['事業者', 'Utility'], urgency: ['緊急度', 'Urgency'],
  certainty: ['確度', 'Certainty'], cap_severity: ['CAP深刻度', 'CAP severity'], msg_type: ['電文種別', 'Message type'],
};
const ATTR_FIRST = ['evacuees', 'capacity', 'customers_out', 'customers_served', 'restoration_eta', 'cause', 'deaths', 'missing',
  'event', 'headline', 'kind_name', 'precipitation_1h', 'water_level', 'seismic_intensity', 'dose_rate'];
const ATTR_HIDDEN = new Set(['kana', 'elements', 'capacity_text', 'language', 'cap_version', 'exercise']);

function initialLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'ja') return q;
  try {
    const s = localStorage.getItem('disasterhub.lang');
    if (s === 'en' || s === 'ja') return s;
  } catch { /* storage may be unavailable */ }
  return 'ja';
}

let lang = initialLang();
const t = (key) => I18N[lang][key];
const layerName = (id) => (LAYER_BY_ID[id] ? LAYER_BY_ID[id][lang] : id);

// ---------------------------------------------------------------------------
// helpers

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : String(c)); // text nodes only: no HTML injection
  }
  return e;
}

/** replaceChildren without the "null" text nodes it would make of null/undefined. */
function setKids(node, ...kids) {
  node.replaceChildren(...kids.flat().filter((c) => c != null && c !== false));
}

function toNumber(v) {
  if (v == null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function toBool(v) {
  return v === true || v === 'true' || v === 1 || v === '1';
}

function fmtInt(n) {
  return n == null ? t('none') : Number(n).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
}

/** Timestamps from tiles look like "2026-11-22 08:50:37+00"; OGC ones are RFC 3339. */
function parseTime(s) {
  if (!s) return null;
  if (s instanceof Date) return s;
  let x = String(s).trim().replace(' ', 'T');
  if (/[+-]\d\d$/.test(x)) x += ':00';
  const d = new Date(x);
  return Number.isNaN(d.getTime()) ? null : d;
}

function fmtTime(d, withSeconds = false) {
  if (!d || Number.isNaN(d.getTime())) return t('none');
  const s = d.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  });
  return `${s} JST`;
}

function fmtClock(d) {
  return d.toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function fmtDuration(minutes) {
  const m = Math.abs(Math.round(minutes));
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (lang === 'ja') return h ? `${h}時間${r ? `${r}分` : ''}` : `${r}分`;
  return h ? `${h} h${r ? ` ${r} min` : ''}` : `${r} min`;
}

function fmtAge(d, now = Date.now()) {
  if (!d || Number.isNaN(d.getTime())) return '';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < -60) return t('inFuture');
  if (s < 10) return t('justNow');
  const ago = I18N[lang].ago;
  if (s < 60) return ago(s, 's');
  if (s < 3600) return ago(Math.floor(s / 60), 'm');
  if (s < 86400) return ago(Math.floor(s / 3600), 'h');
  return ago(Math.floor(s / 86400), 'd');
}

function severityOf(v) {
  const n = toNumber(v);
  return SEVERITY.find((s) => s.v === n) ?? null;
}

function severityChip(v, stale = false, compact = false) {
  const s = severityOf(v);
  const color = stale || !s ? GREY : s.color;
  const full = s ? `${s.v} ${s[lang]}` : t('unknown');
  const label = compact && lang !== 'ja' ? (s ? String(s.v) : '?') : full;
  return el('span', {
    class: `sev-chip sev-${s ? s.v : 'x'}${stale ? ' is-stale' : ''}`,
    style: `--sev:${color}`,
    title: stale ? `${full} (${t('stale')})` : full,
  }, label);
}

async function fetchJson(url) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(withWorkspace(url), { headers: { Accept: 'application/geo+json, application/json' }, signal: ctl.signal, cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    return await res.json();
  } finally {
    clearTimeout(timer);
  }
}

// Calls fn once calls have paused for ms; with maxWait, also at least every maxWait while they never pause (the map's
// redraw: a steady trickle of events never pauses 250 ms, and a redraw every 2 s of a national burst cost more main
// thread than the events themselves).
function debounce(fn, ms, maxWait = Infinity) {
  let timer = null;
  let first = null;
  return (...args) => {
    clearTimeout(timer);
    first ??= Date.now();
    const run = () => { first = null; timer = null; fn(...args); };
    if (Date.now() - first >= maxWait) run();
    else timer = setTimeout(run, Math.min(ms, maxWait - (Date.now() - first)));
  };
}

function boundsOfGeometry(g, b = null) {
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      const [x, y] = c;
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
    } else c.forEach(visit);
  };
  if (g?.coordinates) visit(g.coordinates);
  return b;
}

const abs = (path) => new URL(path, location.href).href; // the tile worker needs absolute URLs

// ---------------------------------------------------------------------------
// state

const state = {
  mode: 'merged', // 'merged' | 'source'
  visible: Object.fromEntries(PANEL_ORDER.map((l) => [l, true])),
  asOf: null, // null = live, else a Date
  rollup: [],
  municipalityNames: new Map(),
  counts: {},
  sources: [],
  lastEvent: null,
  eventCount: 0,
  eventBatches: 0,
  pendingWhileAsOf: false,
  selectedCode: null,
  error: null,
};

// ---------------------------------------------------------------------------
// map style

function graticule(step = 5) {
  const features = [];
  for (let x = 120; x <= 160; x += step) {
    const coords = [];
    for (let y = 20; y <= 50; y += 1) coords.push([x, y]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  for (let y = 20; y <= 50; y += step) {
    const coords = [];
    for (let x = 120; x <= 160; x += 1) coords.push([x, y]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  return { type: 'FeatureCollection', features };
}

const isStale = ['==', ['get', 'stale'], true];
const severityColor = [
  'case', isStale, GREY,
  ['match', ['to-number', ['coalesce', ['get', 'severity'], -1]], ...SEVERITY.flatMap((s) => [s.v, s.color]), GREY],
];
const shelterColor = [
  'case', isStale, GREY,
  ['match', ['coalesce', ['get', 'status'], '不明'], ...SHELTER_STATUS.flatMap((s) => [s.key, s.color]), '#bdbdbd'],
];
const isPoint = ['==', ['geometry-type'], 'Point'];
const isArea = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
const isNotPoint = ['!', ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]]];
const isCluster = ['all', isPoint, ['>', ['to-number', ['coalesce', ['get', 'point_count'], 1]], 1]];
const isSingle = ['all', isPoint, ['<=', ['to-number', ['coalesce', ['get', 'point_count'], 1]], 1]];

function pointRadius(layer) {
  if (layer === 'shelters') {
    return ['interpolate', ['linear'], ['to-number', ['coalesce', ['get', 'evacuees'], 0]], 0, 6, 50, 8, 200, 11, 500, 14, 2000, 20];
  }
  if (layer === 'power_outages') {
    return ['interpolate', ['linear'], ['to-number', ['coalesce', ['get', 'customers_out'], 0]], 0, 6, 1000, 8, 10000, 12, 50000, 17];
  }
  if (layer === 'sensors') return 6;
  return 7;
}

const sourceIdFor = (layer) => (state.mode === 'merged' ? 'hub-merged' : `hub-src-${layer}`);

function tileUrl(path) {
  const q = state.asOf ? `?at=${encodeURIComponent(state.asOf.toISOString())}` : '';
  return withWorkspace(`${location.origin}${path}/{z}/{x}/{y}.mvt${q}`); // not new URL(): it would escape the braces
}

function sourceSpecs() {
  if (state.mode === 'merged') {
    return { 'hub-merged': { type: 'vector', tiles: [tileUrl('/tiles/merged')], minzoom: 0, maxzoom: 14 } };
  }
  return Object.fromEntries(LAYERS.map((l) => [`hub-src-${l.id}`,
    { type: 'vector', tiles: [tileUrl(`/tiles/${l.id}`)], minzoom: 0, maxzoom: 14 }]));
}

/** The style layers of one EEI layer: area fill, outline/line, clusters, points. */
function styleLayersFor(l) {
  const source = sourceIdFor(l.id);
  const vis = state.visible[l.id] ? 'visible' : 'none';
  const meta = (kind) => ({ 'hub:layer': l.id, 'hub:kind': kind });
  const color = l.id === 'shelters' ? shelterColor : l.by === 'status' ? statusColor(l, isStale, GREY) : severityColor;
  return {
    fill: {
      id: `${l.id}-fill`, type: 'fill', source, 'source-layer': l.id, filter: isArea, metadata: meta('fill'),
      layout: { visibility: vis },
      paint: {
        'fill-color': severityColor,
        'fill-opacity': ['case', isStale, l.fill * 0.5, ['==', ['get', 'severity'], 0], l.fill * 0.45, l.fill],
      },
    },
    line: {
      id: `${l.id}-line`, type: 'line', source, 'source-layer': l.id, filter: isNotPoint, metadata: meta('line'),
      layout: { visibility: vis, 'line-join': 'round' },
      paint: {
        'line-color': severityColor, 'line-width': l.line, 'line-opacity': 0.9,
        ...(l.dash ? { 'line-dasharray': l.dash } : {}),
      },
    },
    cluster: {
      id: `${l.id}-cluster`, type: 'circle', source, 'source-layer': l.id, filter: isCluster, metadata: meta('cluster'),
      layout: { visibility: vis },
      paint: {
        'circle-color': CLUSTER_COLOR, 'circle-opacity': 0.85,
        'circle-radius': ['step', ['to-number', ['get', 'point_count']], 13, 10, 16, 50, 20, 200, 25],
        'circle-stroke-color': color, 'circle-stroke-width': 3,
        'circle-translate': l.offset,
      },
    },
    point: {
      id: `${l.id}-point`, type: 'circle', source, 'source-layer': l.id, filter: isSingle, metadata: meta('point'),
      layout: { visibility: vis },
      paint: {
        'circle-color': color,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 5, ['*', 0.7, pointRadius(l.id)], 10, pointRadius(l.id)],
        'circle-stroke-color': l.stroke, 'circle-stroke-width': l.strokeWidth,
        'circle-opacity': ['case', isStale, 0.75, 0.95],
        'circle-translate': l.offset,
      },
    },
  };
}

function allHubStyleLayers() {
  const per = LAYERS.map(styleLayersFor);
  return [...per.map((p) => p.fill), ...per.map((p) => p.line), ...per.map((p) => p.cluster), ...per.map((p) => p.point)];
}

const hubLayerIds = (layer) => ['fill', 'line', 'cluster', 'point'].map((k) => `${layer}-${k}`);
const interactiveLayerIds = () => LAYERS.filter((l) => state.visible[l.id])
  .flatMap((l) => [`${l.id}-point`, `${l.id}-cluster`, `${l.id}-fill`, `${l.id}-line`]).reverse();

const style = {
  version: 8,
  name: 'DisasterHub offline',
  // no `glyphs`, no `sprite`: nothing is fetched but the hub's own files and tiles
  sources: {
    graticule: { type: 'geojson', data: graticule() },
    basemap: {
      type: 'geojson',
      data: abs(BASEMAP_URL),
      attribution: 'Basemap: <a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener">Natural Earth</a> (public domain)',
    },
    highlight: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    ...sourceSpecs(),
  },
  layers: [
    { id: 'background', type: 'background', paint: { 'background-color': '#b8d4e6' } },
    { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#ffffff', 'line-opacity': 0.35, 'line-width': 0.7 } },
    { id: 'land', type: 'fill', source: 'basemap', paint: { 'fill-color': '#f3f1ea', 'fill-antialias': true } },
    { id: 'coastline', type: 'line', source: 'basemap', paint: { 'line-color': '#7b98ad', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.6, 10, 1.5] } },
    ...allHubStyleLayers(),
    { id: 'highlight-area', type: 'line', source: 'highlight', filter: isNotPoint, paint: { 'line-color': HIGHLIGHT, 'line-width': 3.5 } },
    {
      id: 'highlight-point', type: 'circle', source: 'highlight', filter: isPoint,
      paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-radius': 15, 'circle-stroke-color': HIGHLIGHT, 'circle-stroke-width': 3, 'circle-translate': ['literal', [0, 0]] },
    },
  ],
};

const map = new maplibregl.Map({
  container: 'map',
  style,
  bounds: JAPAN_BOUNDS,
  fitBoundsOptions: { padding: 20 },
  attributionControl: false, // added below with the sources' credits (attribution.js)
  maxPitch: 0,
  dragRotate: false,
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
window.hubMap = map;
// other page modules (silence.js) wait for this: app.js reads the layer catalogue first, so it may finish after them
window.dispatchEvent(new Event('hubmap'));
// the sources' licences and credits, as TileJSON states them, beside the basemap's
loadCredit().then((credit) => map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: credit })));

/** Rebuilds the hub sources and layers (mode switch, as-of change). */
function resourceHubLayers() {
  const keepIds = new Set(['background', 'graticule', 'land', 'coastline', 'highlight-area', 'highlight-point']);
  for (const l of map.getStyle().layers) if (!keepIds.has(l.id) && !l.id.startsWith('basemap-')) map.removeLayer(l.id);
  for (const id of Object.keys(map.getStyle().sources)) if (id.startsWith('hub-')) map.removeSource(id);
  for (const [id, spec] of Object.entries(sourceSpecs())) map.addSource(id, spec);
  for (const layer of allHubStyleLayers()) map.addLayer(layer, 'highlight-area');
}

/** As-of change: same sources, new tile URLs. */
function retileHubSources() {
  const specs = sourceSpecs();
  for (const [id, spec] of Object.entries(specs)) map.getSource(id)?.setTiles(spec.tiles);
}

/** Live change: reload the tiles of one source in place (the browser revalidates them by ETag). */
function refreshSource(sourceId) {
  if (!map.getSource(sourceId)) return;
  if (typeof map.refreshTiles === 'function') {
    map.refreshTiles(sourceId);
  } else {
    const spec = sourceSpecs()[sourceId];
    const sep = spec.tiles[0].includes('?') ? '&' : '?';
    map.getSource(sourceId).setTiles([`${spec.tiles[0]}${sep}v=${Date.now()}`]);
  }
}

function setLayerVisible(layer, on) {
  state.visible[layer] = on;
  for (const id of hubLayerIds(layer)) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  const cb = $(`toggle-${layer}`);
  if (cb && cb.checked !== on) cb.checked = on;
  if (!on && popupState?.layer === layer) closePopup();
  renderPresets();
  renderLegend();
  scheduleClusterLabels();
}

// Helpers for tests and the console.
window.hub = {
  state,
  styleLayers: (layer) => hubLayerIds(layer).filter((id) => map.getLayer(id)),
  visibility: (layer) => hubLayerIds(layer).map((id) => map.getLayoutProperty(id, 'visibility') ?? 'visible'),
  setVisible: (layer, on) => setLayerVisible(layer, on), // permalink.js
  setAsOf: (d) => { slider.value = String(Math.max(-SLIDER_MINUTES, Math.min(-1, Math.round((d - Date.now()) / 60_000)))); applyAsOf(d); },
};

// ---------------------------------------------------------------------------
// cluster counts (HTML markers: there are no glyphs)

const clusterMarkers = new Map();

function updateClusterLabels() {
  const ids = LAYERS.filter((l) => state.visible[l.id]).map((l) => `${l.id}-cluster`).filter((id) => map.getLayer(id));
  const seen = new Set();
  const features = ids.length ? map.queryRenderedFeatures({ layers: ids }) : [];
  for (const f of features) {
    if (seen.size > 400) break;
    const [lon, lat] = f.geometry.coordinates;
    const layer = f.layer.metadata?.['hub:layer'] ?? f.sourceLayer;
    const key = `${layer}:${lon.toFixed(5)}:${lat.toFixed(5)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const count = toNumber(f.properties.point_count) ?? 0;
    let m = clusterMarkers.get(key);
    if (!m) {
      const node = el('div', { class: 'cluster-label', 'data-testid': 'cluster-label' });
      m = new maplibregl.Marker({ element: node, offset: LAYER_BY_ID[layer]?.offset ?? [0, 0] }).setLngLat([lon, lat]).addTo(map);
      clusterMarkers.set(key, m);
    }
    m.getElement().textContent = count >= 1000 ? `${Math.round(count / 100) / 10}k` : String(count);
  }
  for (const [key, m] of clusterMarkers) {
    if (!seen.has(key)) { m.remove(); clusterMarkers.delete(key); }
  }
}
const scheduleClusterLabels = debounce(() => { if (map.isStyleLoaded()) updateClusterLabels(); }, 120);
map.on('idle', scheduleClusterLabels);
map.on('moveend', scheduleClusterLabels);

// ---------------------------------------------------------------------------
// popup

let popup = null;
let popupState = null; // { layer, id, entityKey, lngLat, tileProps, item, candidates, index }

function setHighlight(geometry) {
  map.getSource('highlight')?.setData(geometry
    ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry }] }
    : { type: 'FeatureCollection', features: [] });
}

function closePopup() {
  if (popup) popup.remove();
}

function itemUrl(layer, id) {
  const coll = state.mode === 'merged' ? `merged_${layer}` : layer;
  const q = state.asOf ? `?datetime=${encodeURIComponent(state.asOf.toISOString())}` : '';
  return `/ogc/collections/${coll}/items/${encodeURIComponent(id)}${q}`;
}

function row(label, ...value) {
  return el('tr', {}, el('th', { scope: 'row' }, label), el('td', {}, ...value));
}

function attrValue(key, v) {
  if (v == null || v === '') return t('none');
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return fmtInt(v);
  if (typeof v === 'boolean') return v ? '✓' : '✗';
  if (/(_at|_eta|^eta|effective|expires|sent|onset)$/.test(key) || /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) {
    const d = parseTime(v);
    if (d) return fmtTime(d);
  }
  return String(v);
}

function clip(s, n) {
  const x = String(s);
  return x.length > n ? `${x.slice(0, n - 1)}…` : x;
}

const CATALOGUE_LABELS = attributeLabels(LAYERS);

function attrLabel(key) {
  const label = ATTR_LABELS[key] ?? CATALOGUE_LABELS[key];
  return label ? label[lang === 'ja' ? 0 : 1] : key;
}

function sortedAttrKeys(attrs) {
  const keys = Object.keys(attrs).filter((k) => !ATTR_HIDDEN.has(k));
  return keys.sort((a, b) => {
    const ia = ATTR_FIRST.indexOf(a); const ib = ATTR_FIRST.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib);
    return a.localeCompare(b);
  });
}

function popupContent() {
  const ps = popupState;
  const tp = ps.tileProps ?? {};
  const ip = ps.item?.properties ?? {};
  const p = { ...tp, ...ip };
  const stale = toBool(p.stale);
  const observed = parseTime(p.observed_at);
  const received = parseTime(p.received_at);
  const sources = Array.isArray(p.sources) ? p.sources : String(p.sources ?? p.source_id ?? '').split(/[,;\s]+/).filter(Boolean);
  const code = p.municipality_code;
  const muniName = code ? state.municipalityNames.get(code) : null;
  const conflictCount = Array.isArray(ip.conflicts) ? ip.conflicts.length : (toNumber(tp.conflicts) ?? 0);
  const attrs = ip.attrs && typeof ip.attrs === 'object' ? ip.attrs : null;
  const provenance = ip.provenance ?? {};
  const multiSource = sources.length > 1;
  const statusText = ps.layer === 'shelters' && lang === 'en'
    ? (SHELTER_STATUS.find((s) => s.key === p.status)?.en ?? p.status) : p.status;

  const shelterStatus = ps.layer === 'shelters' ? SHELTER_STATUS.find((s) => s.key === p.status) : null;
  const header = el('div', { class: 'popup-head' },
    el('span', { class: 'popup-layer', 'data-testid': 'popup-layer' }, layerName(ps.layer)),
    shelterStatus && severityOf(p.severity) == null
      ? el('span', { class: 'sev-chip', style: `--sev:${stale ? GREY : shelterStatus.color}` }, statusText)
      : severityChip(p.severity, stale),
    stale ? el('span', { class: 'badge badge-stale', 'data-testid': 'popup-stale' }, t('stale')) : null,
    overdueEstimate(ps.layer, p, attrs) ? el('span', { class: 'badge badge-overdue', 'data-testid': 'popup-overdue' }, t('overdue')) : null,
    ps.asOf ? el('span', { class: 'badge badge-asof' }, `${t('asOf')} ${fmtTime(ps.asOf)}`) : null);

  const eei = el('table', { class: 'popup-table' }, el('tbody', {},
    row(t('status'), el('span', { 'data-testid': 'popup-status' }, statusText || t('none'))),
    row(t('severity'), el('span', { 'data-testid': 'popup-severity' }, severityOf(p.severity) ? `${p.severity} ${severityOf(p.severity)[lang]}` : t('unknown'))),
    row(t('municipality'), el('code', { 'data-testid': 'popup-municipality' }, code || t('none')), muniName ? ` ${muniName}` : null),
    p.address ? row(t('address'), p.address) : null,
    row(t('sourcesLabel'), el('span', { class: 'chips', 'data-testid': 'popup-source' },
      sources.length ? sources.map((s) => el('code', { class: 'chip' }, s)) : t('none'))),
    row(t('observed'),
      el('time', { datetime: observed?.toISOString() ?? '' }, fmtTime(observed)),
      observed ? el('span', { class: 'age', 'data-testid': 'popup-age' }, ` (${fmtAge(observed)})`) : null),
    received ? row(t('received'), el('time', { datetime: received.toISOString() }, fmtTime(received))) : null,
  ));

  let attrsBlock;
  if (ps.loading) attrsBlock = el('p', { class: 'popup-loading' }, t('loading'));
  else if (ps.error) attrsBlock = el('p', { class: 'load-error' }, `${t('loadError')}: ${ps.error}`);
  else if (attrs && Object.keys(attrs).length) {
    // no scrolling box in the popup (a scroll container over the WebGL canvas misrenders in software GL):
    // long attribute lists start folded
    const keys = sortedAttrKeys(attrs);
    attrsBlock = el('details', { class: 'popup-attrs', open: keys.length <= 8 || ps.attrsOpen, ontoggle: (e) => { ps.attrsOpen = e.target.open; } },
      el('summary', {}, t('attributes')),
      el('table', { class: 'popup-table', 'data-testid': 'popup-attrs' }, el('tbody', {},
        keys.map((k) => row(attrLabel(k),
          el('span', { 'data-attr': k, title: String(attrValue(k, attrs[k])).length > 90 ? attrValue(k, attrs[k]) : null }, clip(attrValue(k, attrs[k]), 90)),
          multiSource && provenance[`attrs.${k}`]?.source ? el('span', { class: 'prov' }, ` ${provenance[`attrs.${k}`].source}`) : null)))));
  }

  let conflictsBlock = null;
  if (conflictCount > 0) {
    const list = Array.isArray(ip.conflicts) ? ip.conflicts : [];
    conflictsBlock = el('div', { class: 'popup-conflicts', 'data-testid': 'popup-conflicts' },
      el('h3', {}, '⚠ ', t('conflicts'), ` (${conflictCount})`),
      list.length === 0 ? el('p', { class: 'popup-loading' }, t('loading')) : null,
      list.map((c) => el('div', { class: 'conflict' },
        el('div', { class: 'conflict-field' }, attrLabel(String(c.field ?? '').replace(/^attrs\./, ''))),
        el('ul', {}, (c.values ?? []).map((v) => el('li', {},
          el('code', { class: 'chip' }, v.source ?? '?'), ' ',
          el('strong', {}, attrValue(String(c.field ?? ''), v.value)), ' ',
          el('span', { class: 'age' }, fmtTime(parseTime(v.observed_at))),
        ))))));
  }

  let others = null;
  if (ps.candidates && ps.candidates.length > 1) {
    others = el('div', { class: 'popup-others' },
      el('span', { class: 'others-label' }, `${t('otherHere')}:`),
      ps.candidates.map((c, i) => el('button', {
        type: 'button',
        class: `btn btn-chip${i === ps.index ? ' is-active' : ''}`,
        onclick: () => showCandidate(i),
      }, el('span', { class: 'dot', style: `background:${dotColor(c)}` }), layerName(c.layer), c.props.name ? `: ${c.props.name}` : '')));
  }

  return el('div', { class: 'popup', 'data-testid': 'popup' },
    others,
    header,
    el('h2', { class: 'popup-title', 'data-testid': 'popup-name' }, p.name || t('none')),
    ps.layer === 'media' && attrs ? mediaFigure(attrs, p.name) : null,
    eei, conflictsBlock, attrsBlock);
}

/** A lifeline whose restoration estimate has passed while it is still out (the roll-up counts the same). */
function overdueEstimate(layer, p, attrs) {
  if (!LAYER_BY_ID[layer] || !attrs?.restoration_eta) return false;
  const eta = parseTime(attrs.restoration_eta);
  const out = (toNumber(p.severity) ?? 1) > 0 && !['復旧', '解除'].includes(p.status);
  return Boolean(eta) && out && eta.getTime() < Date.now();
}

function dotColor(c) {
  if (toBool(c.props.stale)) return GREY;
  if (c.layer === 'shelters') return SHELTER_STATUS.find((s) => s.key === c.props.status)?.color ?? '#bdbdbd';
  return severityOf(c.props.severity)?.color ?? GREY;
}

function renderPopup() {
  if (!popup || !popupState) return;
  popup.setDOMContent(popupContent());
}

/** The part of the map not covered by the floating panels (client coordinates). */
function freeMapRect() {
  const r = map.getContainer().getBoundingClientRect();
  const free = { left: r.left + 8, top: r.top + 8, right: r.right - 56, bottom: r.bottom - 8 };
  const panel = $('panel').getBoundingClientRect();
  const bar = $('timebar').getBoundingClientRect();
  if (panel.width && panel.right + 8 < free.right - 200) free.left = Math.max(free.left, panel.right + 8);
  if (bar.height && bar.top - 8 > free.top + 200) free.bottom = Math.min(free.bottom, bar.top - 8);
  return free;
}

/** Pans the map so that the open popup is not hidden under the panels. */
function keepPopupInView() {
  if (!popup) return;
  const box = popup.getElement()?.getBoundingClientRect();
  if (!box || !box.width) return;
  const f = freeMapRect();
  let dx = 0;
  let dy = 0;
  if (box.left < f.left) dx = box.left - f.left;
  else if (box.right > f.right) dx = Math.min(box.right - f.right, box.left - f.left);
  if (box.top < f.top) dy = box.top - f.top;
  else if (box.bottom > f.bottom) dy = Math.min(box.bottom - f.bottom, box.top - f.top);
  if (Math.abs(dx) > 1 || Math.abs(dy) > 1) map.panBy([dx, dy], { duration: 250 });
}

async function loadPopupItem() {
  const ps = popupState;
  if (!ps?.id) { if (ps) { ps.loading = false; renderPopup(); } return; }
  const myToken = (ps.token = (ps.token ?? 0) + 1);
  try {
    const item = await fetchJson(itemUrl(ps.layer, ps.id));
    if (popupState !== ps || ps.token !== myToken) return;
    ps.item = item;
    ps.error = null;
    if (item?.geometry) setHighlight(item.geometry); // whole geometry, not the tile's clipped piece
  } catch (err) {
    if (popupState !== ps) return;
    ps.error = err?.name === 'AbortError' ? 'timeout' : String(err?.message ?? err);
  }
  ps.loading = false;
  renderPopup();
  if (!ps.panned) { ps.panned = true; requestAnimationFrame(keepPopupInView); }
}

function showCandidate(i) {
  const ps = popupState;
  const c = ps.candidates[i];
  Object.assign(ps, { index: i, layer: c.layer, id: c.props.id, entityKey: c.props.entity_key, tileProps: c.props, item: null, loading: true, error: null });
  setHighlight(c.geometry);
  renderPopup();
  loadPopupItem();
}

function openPopup(candidates, lngLat) {
  closePopup();
  popupState = { candidates, index: 0, lngLat, asOf: state.asOf };
  popup = new maplibregl.Popup({ maxWidth: '380px', closeButton: true, focusAfterOpen: false, className: 'hub-popup' })
    .setLngLat(lngLat)
    .setDOMContent(el('div'))
    .addTo(map);
  const mine = popup;
  popup.on('close', () => {
    if (popup === mine) { popup = null; popupState = null; setHighlight(null); }
  });
  showCandidate(0);
}

map.on('click', (e) => {
  const ids = interactiveLayerIds().filter((id) => map.getLayer(id));
  if (!ids.length) return;
  const pad = 4;
  const hits = map.queryRenderedFeatures([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]], { layers: ids });
  if (!hits.length) { closePopup(); return; }
  const top = hits[0];
  if (top.layer.metadata?.['hub:kind'] === 'cluster') {
    const [lon, lat] = top.geometry.coordinates;
    map.easeTo({ center: [lon, lat], zoom: Math.min(map.getZoom() + 2, 14) });
    return;
  }
  // one entry per feature (fill + outline of the same polygon are one)
  const seen = new Set();
  const candidates = [];
  for (const f of hits) {
    if (f.layer.metadata?.['hub:kind'] === 'cluster') continue;
    const layer = f.layer.metadata?.['hub:layer'] ?? f.sourceLayer;
    const key = `${layer}:${f.properties.id ?? f.properties.entity_key}`;
    if (seen.has(key)) continue;
    seen.add(key);
    candidates.push({ layer, props: { ...f.properties }, geometry: f.geometry });
    if (candidates.length >= 8) break;
  }
  const first = candidates[0];
  const at = first.geometry.type === 'Point' ? first.geometry.coordinates : [e.lngLat.lng, e.lngLat.lat];
  openPopup(candidates, at);
});

map.on('mousemove', (e) => {
  const ids = interactiveLayerIds().filter((id) => map.getLayer(id));
  const hit = ids.length && map.queryRenderedFeatures(e.point, { layers: ids }).length > 0;
  map.getCanvas().style.cursor = hit ? 'pointer' : '';
});

// ---------------------------------------------------------------------------
// layer panel

function renderLayerList() {
  const ul = $('layer-list');
  ul.replaceChildren(...PANEL_ORDER.map((id) => {
    const l = LAYER_BY_ID[id];
    const count = state.counts[id];
    return el('li', { class: 'layer-row' },
      el('label', { class: 'layer-toggle' },
        el('input', {
          type: 'checkbox', id: `toggle-${id}`, 'data-testid': `toggle-${id}`, checked: state.visible[id],
          onchange: (e) => setLayerVisible(id, e.target.checked),
        }),
        el('span', { class: `layer-icon layer-icon-${l.icon} layer-icon-${id}`, style: `--stroke:${l.stroke};--color:${l.color}` }),
        el('span', { class: 'layer-name' }, l[lang]),
        el('span', { class: 'layer-count', 'data-testid': `count-${id}`, title: state.mode === 'merged' ? t('merged') : t('perSource') },
          count == null ? '' : fmtInt(count))));
  }));
}

function renderPresets() {
  const box = $('presets');
  const on = PANEL_ORDER.filter((l) => state.visible[l]).sort().join(',');
  box.replaceChildren(...PRESETS.map((p) => el('button', {
    type: 'button',
    class: `btn preset${[...p.layers].sort().join(',') === on ? ' is-active' : ''}`,
    'data-testid': `preset-${p.id}`,
    'aria-pressed': [...p.layers].sort().join(',') === on ? 'true' : 'false',
    onclick: () => applyPreset(p),
  }, p[lang])));
}

function applyPreset(p) {
  for (const id of PANEL_ORDER) setLayerVisible(id, p.layers.includes(id));
  renderPresets();
}

function legendSwatch(color, shape = 'dot') {
  return el('span', { class: `swatch swatch-${shape}`, style: `background:${color}` });
}

function renderLegend() {
  const ul = $('legend');
  ul.replaceChildren(
    el('li', { class: 'legend-head' }, t('severityLegend')),
    ...SEVERITY.map((s) => el('li', { 'data-severity': s.v }, legendSwatch(s.color), `${s.v} ${s[lang]}`)),
    el('li', { 'data-severity': 'unknown' }, legendSwatch(GREY), `${t('unknown')} / ${t('stale')}`),
    el('li', { class: 'legend-head' }, t('shelterStatus')),
    el('li', { class: 'legend-inline' }, ...SHELTER_STATUS.filter((s) => s.key !== '不明').map((s) =>
      el('span', { class: 'legend-item', 'data-status': s.key }, legendSwatch(s.color), lang === 'ja' ? s.key : s.en))),
    // every other visible layer coloured by status: its catalogue colours
    ...LAYERS.filter((l) => l.id !== 'shelters' && l.by === 'status' && l.values && state.visible[l.id]).flatMap((l) => [
      el('li', { class: 'legend-head' }, l[lang]),
      el('li', { class: 'legend-inline', 'data-legend-layer': l.id }, ...Object.entries(l.values).map(([k, c]) =>
        el('span', { class: 'legend-item', 'data-status': k }, legendSwatch(c), k))),
    ]),
    el('li', { class: 'legend-head' }, t('cluster')),
    el('li', {}, el('span', { class: 'cluster-label legend-cluster' }, '12'), t('clusterHint')),
  );
}

async function refreshCounts() {
  const q = state.asOf ? `&datetime=${encodeURIComponent(state.asOf.toISOString())}` : '';
  await Promise.all(LAYERS.map(async (l) => {
    const coll = state.mode === 'merged' ? `merged_${l.id}` : l.id;
    try {
      const fc = await fetchJson(`/ogc/collections/${coll}/items?limit=1${q}`);
      state.counts[l.id] = toNumber(fc.numberMatched);
    } catch {
      state.counts[l.id] = null;
    }
  }));
  renderLayerList();
}

for (const r of document.querySelectorAll('input[name="source-mode"]')) {
  r.addEventListener('change', (e) => {
    if (!e.target.checked) return;
    state.mode = e.target.value;
    closePopup();
    resourceHubLayers();
    refreshCounts();
  });
}

// ---------------------------------------------------------------------------
// time slider (as of)

const slider = $('time-slider');
slider.min = String(-SLIDER_MINUTES);

function sliderInstant() {
  const m = Number(slider.value);
  if (m >= 0) return null;
  const d = new Date(Date.now() + m * 60_000);
  d.setSeconds(0, 0);
  return d;
}

function renderTimeLabel() {
  const m = Number(slider.value);
  const label = $('time-label');
  if (m >= 0 || !state.asOf) {
    setKids(label, el('span', { class: 'live-dot' }), lang === 'ja' ? `${t('now')}（${t('live')}）` : `${t('now')} (${t('live')})`);
    label.dataset.live = '1';
  } else {
    setKids(label, fmtTime(state.asOf), el('span', { class: 'rel' }, ` · ${I18N[lang].relative(-m)}`));
    label.dataset.live = '0';
  }
  $('time-min').textContent = `−${SLIDER_MINUTES / 60}h`;
  $('time-mid').textContent = `−${SLIDER_MINUTES / 120}h`;
  const pct = ((m + SLIDER_MINUTES) / SLIDER_MINUTES) * 100;
  slider.style.setProperty('--pct', `${pct}%`);
  $('timebar').classList.toggle('is-asof', !!state.asOf);
  renderModeBadge();
}

function renderModeBadge() {
  const b = $('mode-badge');
  b.classList.toggle('live', !state.asOf);
  b.classList.toggle('asof', !!state.asOf);
  b.textContent = state.asOf ? `${t('asOfBadge')} ${fmtTime(state.asOf)}` : t('liveBadge');
  b.title = state.pendingWhileAsOf ? t('newerData') : '';
}

function applyAsOf(instant) {
  const prev = state.asOf?.getTime() ?? null;
  state.asOf = instant;
  renderTimeLabel();
  if ((instant?.getTime() ?? null) === prev) return;
  if (!instant) state.pendingWhileAsOf = false;
  retileHubSources();
  closePopup();
  refreshDashboard();
  refreshCounts();
}

const applyAsOfSoon = debounce(() => applyAsOf(sliderInstant()), 250);
slider.addEventListener('input', () => {
  // label follows the thumb at once; tiles follow when the thumb rests
  const d = sliderInstant();
  const m = Number(slider.value);
  const label = $('time-label');
  if (d) {
    setKids(label, fmtTime(d), el('span', { class: 'rel' }, ` · ${I18N[lang].relative(-m)}`));
    label.dataset.live = '0';
  }
  slider.style.setProperty('--pct', `${((m + SLIDER_MINUTES) / SLIDER_MINUTES) * 100}%`);
  applyAsOfSoon();
});
slider.addEventListener('change', () => applyAsOf(sliderInstant()));
$('time-now').addEventListener('click', () => {
  slider.value = '0';
  applyAsOf(null);
});

// ---------------------------------------------------------------------------
// municipality dashboard

function sortRollup(rows) {
  const sev = (r) => toNumber(r.properties.severity) ?? -1;
  return [...rows].sort((a, b) => sev(b) - sev(a)
    || (toNumber(b.properties.evacuees) ?? 0) - (toNumber(a.properties.evacuees) ?? 0)
    || (toNumber(b.properties.customers_out) ?? 0) - (toNumber(a.properties.customers_out) ?? 0)
    || String(a.properties.municipality_code ?? a.id).localeCompare(String(b.properties.municipality_code ?? b.id)));
}

function flyToMunicipality(f) {
  const b = boundsOfGeometry(f.geometry);
  if (!b) return;
  if (f.geometry.type === 'Point' || (b[2] - b[0] < 1e-6 && b[3] - b[1] < 1e-6)) {
    map.flyTo({ center: [b[0], b[1]], zoom: Math.max(map.getZoom(), 11), essential: true });
  } else {
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: mapPadding(), maxZoom: 13, essential: true });
  }
}

function selectMunicipality(code, f) {
  state.selectedCode = code;
  renderDashboard();
  renderMuniLabels();
  flyToMunicipality(f);
}

function renderDashboard() {
  const rows = sortRollup(state.rollup);
  const body = $('dash-body');
  body.replaceChildren(...rows.map((f) => {
    const p = f.properties;
    const code = p.municipality_code ?? f.id;
    const stale = toBool(p.stale);
    const tr = el('tr', {
      class: `dash-row${code === state.selectedCode ? ' is-selected' : ''}${stale ? ' is-stale' : ''}`,
      'data-testid': `dashboard-row-${code}`,
      dataset: { code },
      tabindex: '0',
      title: fmtTime(parseTime(p.observed_at)),
      onclick: () => selectMunicipality(code, f),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectMunicipality(code, f); } },
    },
    el('td', { class: 'muni' },
      el('span', { class: 'muni-name' }, p.name ?? code),
      el('span', { class: 'muni-sub' }, `${p.prefecture ?? ''} ${code}`)),
    el('td', {}, severityChip(p.severity, stale, true)),
    el('td', { class: 'num', 'data-col': 'evacuees' }, fmtInt(toNumber(p.evacuees) ?? 0)),
    el('td', { class: 'num', 'data-col': 'shelters_open' }, fmtInt(toNumber(p.shelters_open) ?? 0)),
    el('td', { class: 'num', 'data-col': 'customers_out' }, fmtInt(toNumber(p.customers_out) ?? 0)),
    el('td', { class: `num${(toNumber(p.deaths) ?? 0) + (toNumber(p.missing) ?? 0) > 0 ? ' is-alert' : ''}`, 'data-col': 'casualties' },
      `${fmtInt(toNumber(p.deaths) ?? 0)}/${fmtInt(toNumber(p.missing) ?? 0)}`),
    el('td', { class: 'num', 'data-col': 'alerts' },
      `${fmtInt(toNumber(p.active_evacuation_orders) ?? 0)}/${fmtInt(toNumber(p.active_warnings) ?? 0)}`));
    return tr;
  }));
  $('dash-empty').hidden = rows.length > 0;

  const sum = (k) => rows.reduce((a, f) => a + (toNumber(f.properties[k]) ?? 0), 0);
  $('evacuee-total').textContent = fmtInt(sum('evacuees'));
  $('shelter-count').textContent = fmtInt(sum('shelters_open'));
  $('customers-total').textContent = fmtInt(sum('customers_out'));
  $('casualty-total').textContent = `${fmtInt(sum('deaths'))} / ${fmtInt(sum('missing'))}`;
  $('dash-meta').textContent = `${fmtInt(rows.length)} ${t('rows')}`;
}

/** Names of the municipalities in the roll-up on the map (HTML: there are no glyphs). */
const muniMarkers = new Map();
function renderMuniLabels() {
  const seen = new Set();
  for (const f of state.rollup) {
    const code = String(f.properties.municipality_code ?? f.id);
    const b = boundsOfGeometry(f.geometry);
    if (!b) continue;
    seen.add(code);
    const at = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    let m = muniMarkers.get(code);
    if (!m) {
      m = new maplibregl.Marker({ element: el('div', { class: 'muni-label' }), anchor: 'top', offset: [0, 20] }).setLngLat(at).addTo(map);
      muniMarkers.set(code, m);
    } else m.setLngLat(at);
    const sev = severityOf(f.properties.severity);
    const node = m.getElement();
    node.textContent = f.properties.name ?? code;
    node.style.setProperty('--sev', toBool(f.properties.stale) || !sev ? GREY : sev.color);
    node.classList.toggle('is-selected', code === state.selectedCode);
  }
  for (const [code, m] of muniMarkers) if (!seen.has(code)) { m.remove(); muniMarkers.delete(code); }
}

let dashToken = 0;
async function refreshDashboard() {
  const my = ++dashToken;
  const q = state.asOf ? `&datetime=${encodeURIComponent(state.asOf.toISOString())}` : '';
  try {
    const fc = await fetchJson(`${ROLLUP_URL}${q}`);
    if (my !== dashToken) return;
    state.rollup = Array.isArray(fc?.features) ? fc.features.filter((f) => f?.properties) : [];
    for (const f of state.rollup) {
      const code = f.properties.municipality_code ?? f.id;
      if (code && f.properties.name) state.municipalityNames.set(String(code), f.properties.name);
    }
    state.error = null;
  } catch (err) {
    state.error = err?.name === 'AbortError' ? 'timeout' : String(err?.message ?? err);
    console.error('dashboard refresh failed', err);
  }
  renderDashboard();
  renderMuniLabels();
  renderError();
}

function renderError() {
  const e = $('load-error');
  e.hidden = !state.error;
  e.textContent = state.error ? `${t('loadError')}: ${state.error}` : '';
}

// ---------------------------------------------------------------------------
// sources view

function sourceRank(s) {
  return s.failing ? 0 : s.stale ? 1 : 2;
}

function renderSources() {
  const ul = $('source-list');
  const list = [...state.sources].sort((a, b) => sourceRank(a) - sourceRank(b) || String(a.id).localeCompare(String(b.id)));
  ul.replaceChildren(...list.map((s) => {
    const ok = parseTime(s.last_success_at);
    const errAt = parseTime(s.last_error_at);
    let badge;
    let since;
    if (s.failing) {
      badge = el('span', { class: 'badge badge-failing', 'data-testid': `source-failing-${s.id}` }, t('failing'));
      since = errAt ? `${t('lastError')}: ${fmtAge(errAt)}` : '';
    } else if (s.stale) {
      badge = el('span', { class: 'badge badge-stale', 'data-testid': `source-stale-${s.id}` }, t('staleBadge'));
      since = ok ? `${t('lastSuccess')}: ${fmtAge(ok)}` : t('never');
    } else {
      badge = el('span', { class: 'badge badge-ok' }, t('ok'));
      since = ok ? `${t('lastSuccess')}: ${fmtAge(ok)}` : '';
    }
    return el('li', { class: `source-row${s.failing ? ' is-failing' : s.stale ? ' is-stale' : ''}`, 'data-testid': `source-${s.id}` },
      el('div', { class: 'source-main' },
        badge,
        el('span', { class: 'source-id', title: s.name ?? '' }, s.id),
        el('span', { class: 'source-layer' }, layerName(s.layer)),
        el('span', { class: 'source-kind' }, `${s.kind ?? ''} · ${s.format ?? ''}`)),
      el('div', { class: 'source-sub' },
        el('span', {}, since),
        s.failing && s.last_error ? el('span', { class: 'source-error', title: s.last_error }, s.last_error) : null,
        s.follower ? el('span', { class: 'source-follow', 'data-testid': `source-follow-${s.id}` }, followerLine(s, lang)) : null));
  }));
  const failing = list.filter((s) => s.failing).length;
  const stale = list.filter((s) => !s.failing && s.stale).length;
  setKids($('sources-meta'),
    `${fmtInt(list.length)} ${t('feeds')}`,
    failing ? el('span', { class: 'badge badge-failing' }, `${t('failing')} ${failing}`) : null,
    stale ? el('span', { class: 'badge badge-stale' }, `${t('staleBadge')} ${stale}`) : null);
}

async function refreshSources() {
  try {
    const d = await fetchJson(SOURCES_URL);
    state.sources = Array.isArray(d?.sources) ? d.sources : [];
  } catch (err) {
    console.error('sources refresh failed', err);
  }
  renderSources();
}

// ---------------------------------------------------------------------------
// live updates (server-sent events)

const dirtyLayers = new Set();
let pulseMarkers = [];
// pulses for the last few changes of a batch only: more markers at once are noise
const PULSES_PER_BATCH = 5;

const flushChanges = debounce(() => {
  const layers = [...dirtyLayers];
  dirtyLayers.clear();
  if (!state.asOf) {
    if (state.mode === 'merged') refreshSource('hub-merged');
    else for (const l of layers) refreshSource(`hub-src-${l}`);
  }
  refreshDashboard();
  refreshCounts();
}, 250, 10000);
const refreshSourcesSoon = debounce(refreshSources, 1500);

function pulseAt(geometry) {
  const b = boundsOfGeometry(geometry);
  if (!b) return;
  const node = el('div', { class: 'pulse-wrap' }, el('div', { class: 'pulse' }));
  const m = new maplibregl.Marker({ element: node }).setLngLat([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]).addTo(map);
  pulseMarkers.push(m);
  if (pulseMarkers.length > 20) pulseMarkers.shift().remove();
  setTimeout(() => { m.remove(); pulseMarkers = pulseMarkers.filter((x) => x !== m); }, 6000);
}

function renderLastEvent() {
  const box = $('last-event');
  const ev = state.lastEvent;
  if (!ev) { box.textContent = t('none'); return; }
  const p = ev.properties;
  const evac = toNumber(p.attrs?.evacuees ?? p.evacuees);
  const custOut = toNumber(p.attrs?.customers_out ?? p.customers_out);
  setKids(box,
    el('time', { datetime: ev.at.toISOString() }, fmtClock(ev.at)), ' ',
    el('span', { class: 'ev-layer' }, layerName(p.layer)), ' ',
    el('strong', { class: 'ev-name', 'data-testid': 'last-event-name' }, p.name ?? p.entity_key ?? ''),
    p.status ? el('span', { class: 'ev-status' }, ` ${p.status}`) : null,
    evac != null ? el('span', { class: 'ev-value', 'data-testid': 'last-event-evacuees' }, ` · ${t('evacueeTotal')} ${fmtInt(evac)}`) : null,
    custOut != null ? el('span', { class: 'ev-value' }, ` · ${t('customersOut')} ${fmtInt(custOut)}`) : null,
    state.eventCount > 1 ? el('span', { class: 'ev-more' }, ` (${fmtInt(state.eventCount)})`) : null);
}

// One batch of change, expired, deleted and burst events (event-burst.js): counted and noted one by one, drawn once.
function onChanges(batch) {
  let last = null;
  let popupKind = null;
  const pulses = [];
  for (const msg of batch) {
    if (msg.type === 'burst') { // many changes at once (a registry loaded): counted and their layers redrawn
      const b = readBurst(msg);
      if (!b) continue;
      state.eventCount += b.changes;
      for (const l of b.layers) dirtyLayers.add(l);
      last = { msg, p: { layer: b.layers[0], name: t('burstOf').replace('{n}', fmtInt(b.changes)), change_seq: b.to } };
      if (popupState) popupKind = 'change';
      continue;
    }
    let f;
    try { f = JSON.parse(msg.data); } catch { continue; }
    const p = f?.properties;
    if (!p) continue;
    last = { msg, p };
    state.eventCount += 1;
    if (p.layer) dirtyLayers.add(p.layer);
    if (f.geometry && state.visible[p.layer]) {
      pulses.push(f.geometry);
      if (pulses.length > PULSES_PER_BATCH) pulses.shift();
    }
    // an open popup on the thing changed stays current; one on a record that left the map (withdrawn) closes
    if (popupState && (popupState.entityKey === p.entity_key || popupState.id === f.id)) popupKind = msg.type;
  }
  if (!last) return;
  const { msg, p } = last;
  if (typeof p.attrs === 'string') { try { p.attrs = JSON.parse(p.attrs); } catch { p.attrs = {}; } }
  state.lastEvent = { properties: p, at: new Date() };
  if (p.entity_key) document.body.dataset.lastEvent = p.entity_key;
  document.body.dataset.lastEventKind = msg.type; // change, expired, deleted or burst
  document.body.dataset.lastEventSeq = String(p.change_seq ?? msg.lastEventId ?? '');
  document.body.dataset.eventCount = String(state.eventCount);
  state.eventBatches += 1;
  document.body.dataset.eventBatches = String(state.eventBatches);
  renderLastEvent();
  if (state.asOf) {
    state.pendingWhileAsOf = true;
    renderModeBadge();
  } else {
    for (const g of pulses) pulseAt(g);
  }
  flushChanges();
  refreshSourcesSoon();
  if (popupKind && !state.asOf) {
    if (popupKind === 'deleted') closePopup();
    else loadPopupItem();
  }
}

let events = null;
function setConn(ok) {
  const c = $('conn');
  c.classList.toggle('ok', ok);
  c.classList.toggle('down', !ok);
  $('conn-text').textContent = ok ? t('connected') : t('reconnecting');
  c.dataset.state = ok ? 'open' : 'reconnecting';
}

function connectEvents() {
  if (!('EventSource' in window)) return;
  events = new EventSource(withWorkspace(EVENTS_URL));
  events.addEventListener('open', () => setConn(true));
  events.addEventListener('error', () => setConn(events.readyState === EventSource.OPEN));
  const onChange = batchEvents(onChanges);
  events.addEventListener('change', onChange);
  events.addEventListener('expired', onChange); // a record past valid_until leaves the live picture
  events.addEventListener('deleted', onChange); // so does one withdrawn (a full replacement) or merged into another
  events.addEventListener('burst', onChange); // more than BURST_AT changes at once, summed up
}

// ---------------------------------------------------------------------------
// language

function applyLang() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('lang').textContent = t('langButton');
  $('lang').setAttribute('aria-label', lang === 'ja' ? 'Switch to English' : '日本語に切り替え');
  renderLayerList();
  renderPresets();
  renderLegend();
  renderTimeLabel();
  renderDashboard();
  renderSources();
  renderLastEvent();
  renderError();
  if (events) setConn(events.readyState === EventSource.OPEN);
  renderPopup();
}

$('lang').addEventListener('click', () => {
  lang = lang === 'ja' ? 'en' : 'ja';
  try { localStorage.setItem('disasterhub.lang', lang); } catch { /* ignore */ }
  applyLang();
});

// ---------------------------------------------------------------------------
// start

function mapPadding() {
  const w = map.getContainer().clientWidth;
  const panel = $('panel');
  const left = panel && w >= 720 ? panel.getBoundingClientRect().width + 30 : 30;
  return { top: 50, bottom: 110, left, right: 50 };
}

function fitToActivity() {
  let b = null;
  for (const f of state.rollup) b = boundsOfGeometry(f.geometry, b);
  if (!b) return;
  const pad = 0.05;
  map.fitBounds([[b[0] - pad, b[1] - pad], [b[2] + pad, b[3] + pad]], { padding: mapPadding(), maxZoom: 10.5, duration: 0 });
}

applyLang();
setConn(false);

// Data first (in parallel with the map's own start-up), so the first tiles are those of the area of activity,
// not of all Japan.
const boot = Promise.all([refreshDashboard(), refreshSources(), refreshCounts()]).then(fitToActivity);

map.once('load', async () => {
  await boot;
  connectEvents();
  setInterval(() => { refreshDashboard(); refreshSources(); }, POLL_MS);
  setInterval(() => { if (!state.asOf) renderTimeLabel(); renderLastEvent(); }, 30_000);
  // ready once the map has drawn the first tiles (or after 5 s at the latest)
  let done = false;
  const markReady = () => { if (!done) { done = true; document.body.dataset.ready = '1'; } };
  map.once('idle', markReady);
  map.triggerRepaint();
  setTimeout(markReady, 5000);
});
