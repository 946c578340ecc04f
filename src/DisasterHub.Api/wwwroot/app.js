// DisasterHub web map. Plain ES module, no build step.
// MapLibre GL JS is loaded as a classic script from /lib/maplibre-gl.js (global `maplibregl`).
// No network tiles and no glyphs: the basemap is a local GeoJSON (geodata/japan-outline.geojson),
// labels are HTML (panel, popups) only.

const maplibregl = window.maplibregl;

const SHELTERS_URL = '/ogc/collections/shelters/items?limit=10000';
const BASEMAP_URL = '/geodata/japan-outline.geojson';
const REFRESH_MS = 10_000;
const FETCH_TIMEOUT_MS = 8_000;
const MAX_PAGES = 20; // follow OGC `next` links at most this many times
// Main islands (Minamitorishima at 154°E would make the default view too wide).
const JAPAN_BOUNDS = [[122.9, 24.0], [146.0, 45.6]];

// ---------------------------------------------------------------------------
// Status colours (開設状況)
const STATUS = [
  { key: '開設', color: '#2e7d32', en: 'Open' },
  { key: '未開設', color: '#607d8b', en: 'Not opened' },
  { key: '閉鎖', color: '#424242', en: 'Closed' },
  { key: '常設', color: '#1565c0', en: 'Permanent' },
  { key: '不明', color: '#bdbdbd', en: 'Unknown' },
];
const STALE_COLOR = '#9e9e9e';
const UNKNOWN_COLOR = '#bdbdbd';
const KNOWN_STATUS = new Set(STATUS.map((s) => s.key));

// ---------------------------------------------------------------------------
// i18n
const I18N = {
  ja: {
    subtitle: '災害情報共有ハブ',
    layerShelters: '避難所',
    legend: '凡例',
    shelterCount: '避難所数',
    evacueeTotal: '避難者数（合計）',
    lastRefresh: '最終更新',
    stale: '古い情報',
    status: '開設状況',
    evacuees: '避難者数',
    capacity: '収容人数',
    address: '住所',
    municipality: '市区町村コード',
    source: '情報源',
    observed: '観測時刻',
    received: '受信時刻',
    hazards: '対象災害',
    kind: '種別',
    none: '—',
    loadError: 'データを取得できません',
    langButton: 'EN',
    ago: (n, unit) => `${n}${{ s: '秒', m: '分', h: '時間', d: '日' }[unit]}前`,
    justNow: 'たった今',
    inFuture: '未来の時刻',
    statusLabel: (s) => s,
  },
  en: {
    subtitle: 'Disaster information hub',
    layerShelters: 'Shelters',
    legend: 'Legend',
    shelterCount: 'Shelters',
    evacueeTotal: 'Evacuees (total)',
    lastRefresh: 'Last refresh',
    stale: 'Stale data',
    status: 'Status',
    evacuees: 'Evacuees',
    capacity: 'Capacity',
    address: 'Address',
    municipality: 'Municipality code',
    source: 'Source',
    observed: 'Observed',
    received: 'Received',
    hazards: 'Hazards',
    kind: 'Kind',
    none: '—',
    loadError: 'Could not load data',
    langButton: '日本語',
    ago: (n, unit) => `${n} ${{ s: 'sec', m: 'min', h: 'h', d: 'd' }[unit]} ago`,
    justNow: 'just now',
    inFuture: 'in the future',
    statusLabel: (s) => STATUS.find((x) => x.key === s)?.en ?? s,
  },
};

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

// ---------------------------------------------------------------------------
// helpers
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : String(c)); // text nodes only: no HTML injection
  }
  return e;
}

function toNumber(v) {
  if (v == null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function parseAttrs(a) {
  if (a == null) return {};
  if (typeof a === 'string') {
    try { return JSON.parse(a) ?? {}; } catch { return {}; }
  }
  return typeof a === 'object' ? a : {};
}

function fmtInt(n) {
  return n == null ? t('none') : n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
}

function fmtTime(d) {
  if (!d || Number.isNaN(d.getTime())) return t('none');
  return d.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
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

// ---------------------------------------------------------------------------
// data

/** Original feature properties by feature id (popups read these, not the tile copies). */
const featureProps = new Map();
let lastSummary = { count: 0, evacuees: 0, refreshedAt: null, error: null };

async function fetchJson(url) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, {
      headers: { Accept: 'application/geo+json, application/json' },
      signal: ctl.signal,
      cache: 'no-store',
    });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    return await res.json();
  } finally {
    clearTimeout(timer);
  }
}

/** Fetch every page of an OGC API Features items response (follows rel=next). */
async function fetchAllFeatures(url) {
  const features = [];
  let next = new URL(url, location.href).href;
  for (let page = 0; next && page < MAX_PAGES; page++) {
    const fc = await fetchJson(next);
    if (Array.isArray(fc?.features)) features.push(...fc.features);
    const link = Array.isArray(fc?.links) ? fc.links.find((l) => l.rel === 'next' && l.href) : null;
    next = link ? new URL(link.href, next).href : null;
  }
  return features;
}

/**
 * Flattens what the style needs into top-level primitive properties (MapLibre cannot
 * reliably read nested objects in GeoJSON properties) and assigns numeric ids.
 */
function prepare(features) {
  featureProps.clear();
  let evacueeTotal = 0;
  const out = [];
  features.forEach((f, i) => {
    if (!f?.geometry) return;
    const p = f.properties ?? {};
    const attrs = parseAttrs(p.attrs);
    const evacuees = toNumber(attrs.evacuees ?? p.evacuees);
    const capacity = toNumber(attrs.capacity ?? p.capacity);
    const status = typeof p.status === 'string' && KNOWN_STATUS.has(p.status) ? p.status : '不明';
    if (evacuees != null && evacuees > 0) evacueeTotal += evacuees;
    const id = i + 1;
    featureProps.set(id, { ...p, attrs, _fid: f.id ?? null });
    out.push({
      type: 'Feature',
      id,
      geometry: f.geometry,
      properties: {
        _status: status,
        _stale: p.stale === true || p.stale === 'true',
        _evacuees: evacuees ?? 0,
      },
    });
  });
  return { fc: { type: 'FeatureCollection', features: out }, evacueeTotal };
}

function boundsOf(fc) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      const [x, y] = c;
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
    } else c.forEach(visit);
  };
  for (const f of fc.features) if (f.geometry?.coordinates) visit(f.geometry.coordinates);
  return b;
}

// ---------------------------------------------------------------------------
// map

function graticule(step = 5) {
  const features = [];
  for (let x = 120; x <= 160; x += step) {
    const coords = [];
    for (let y = 20; y <= 50; y += 1) coords.push([x, y]);
    features.push({ type: 'Feature', properties: { kind: 'meridian', value: x }, geometry: { type: 'LineString', coordinates: coords } });
  }
  for (let y = 20; y <= 50; y += step) {
    const coords = [];
    for (let x = 120; x <= 160; x += 1) coords.push([x, y]);
    features.push({ type: 'Feature', properties: { kind: 'parallel', value: y }, geometry: { type: 'LineString', coordinates: coords } });
  }
  return { type: 'FeatureCollection', features };
}

const abs = (path) => new URL(path, location.href).href; // the worker needs absolute URLs

const statusColor = [
  'case',
  ['==', ['get', '_stale'], true], STALE_COLOR,
  ['match', ['get', '_status'], ...STATUS.flatMap((s) => [s.key, s.color]), UNKNOWN_COLOR],
];

const radiusByEvacuees = [
  'interpolate', ['linear'], ['get', '_evacuees'],
  0, 5, 50, 7, 200, 10, 500, 14, 2000, 20,
];

const style = {
  version: 8,
  name: 'DisasterHub offline',
  // no `glyphs`, no `sprite`: nothing is fetched from the network but our own GeoJSON
  sources: {
    graticule: { type: 'geojson', data: graticule() },
    basemap: {
      type: 'geojson',
      data: abs(BASEMAP_URL),
      attribution: 'Basemap: <a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener">Natural Earth</a> (public domain)',
    },
    shelters: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  },
  layers: [
    { id: 'background', type: 'background', paint: { 'background-color': '#a9cce3' } },
    { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#ffffff', 'line-opacity': 0.35, 'line-width': 0.7 } },
    { id: 'land', type: 'fill', source: 'basemap', paint: { 'fill-color': '#f4f1e8', 'fill-antialias': true } },
    { id: 'coastline', type: 'line', source: 'basemap', paint: { 'line-color': '#6b8aa3', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.6, 10, 1.5] } },
    {
      id: 'shelters',
      type: 'circle',
      source: 'shelters',
      paint: {
        'circle-color': statusColor,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, ['*', 0.6, radiusByEvacuees], 10, radiusByEvacuees],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.2,
        'circle-opacity': ['case', ['==', ['get', '_stale'], true], 0.7, 0.95],
      },
    },
  ],
};

const map = new maplibregl.Map({
  container: 'map',
  style,
  bounds: JAPAN_BOUNDS,
  fitBoundsOptions: { padding: 20 },
  attributionControl: { compact: false },
  maxPitch: 0,
  dragRotate: false,
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
window.hubMap = map;

// ---------------------------------------------------------------------------
// popup

let popup = null;
let popupFeatureId = null;

function row(label, ...value) {
  return el('tr', {}, el('th', { scope: 'row' }, label), el('td', {}, ...value));
}

function popupContent(p) {
  const a = p.attrs ?? {};
  const status = typeof p.status === 'string' && p.status ? p.status : '不明';
  const observed = p.observed_at ? new Date(p.observed_at) : null;
  const received = p.received_at ? new Date(p.received_at) : null;
  const evac = toNumber(a.evacuees ?? p.evacuees);
  const cap = toNumber(a.capacity ?? p.capacity);
  const hazards = Array.isArray(a.hazards) ? a.hazards : (typeof a.hazards === 'string' && a.hazards ? [a.hazards] : []);
  const color = p.stale ? STALE_COLOR : (STATUS.find((s) => s.key === status)?.color ?? UNKNOWN_COLOR);

  return el('div', { class: 'popup', 'data-testid': 'popup' },
    el('h2', { class: 'popup-title', 'data-testid': 'popup-name' }, p.name || t('none')),
    el('table', { class: 'popup-table' },
      el('tbody', {},
        row(t('status'),
          el('span', { class: 'swatch', style: `background:${color}` }),
          el('span', { 'data-testid': 'popup-status' }, I18N[lang].statusLabel(status)),
          p.stale ? el('span', { class: 'badge-stale', 'data-testid': 'popup-stale' }, t('stale')) : null),
        row(`${t('evacuees')} / ${t('capacity')}`,
          el('span', { 'data-testid': 'popup-evacuees' }, fmtInt(evac)), ' / ',
          el('span', { 'data-testid': 'popup-capacity' }, fmtInt(cap))),
        a.kind ? row(t('kind'), String(a.kind)) : null,
        row(t('address'), p.address || t('none')),
        row(t('municipality'), el('code', {}, p.municipality_code || t('none'))),
        row(t('source'), el('code', { 'data-testid': 'popup-source' }, p.source_id || t('none'))),
        row(t('observed'),
          el('time', { datetime: p.observed_at ?? '' }, fmtTime(observed)),
          observed ? el('span', { class: 'age', 'data-testid': 'popup-age' }, ` (${fmtAge(observed)})`) : null),
        received ? row(t('received'), el('time', { datetime: p.received_at }, fmtTime(received))) : null,
        row(t('hazards'), hazards.length
          ? el('ul', { class: 'hazards', 'data-testid': 'popup-hazards' }, hazards.map((h) => el('li', {}, String(h))))
          : t('none')),
      ),
    ),
  );
}

function openPopup(id, lngLat) {
  const p = featureProps.get(id);
  if (!p) return;
  popupFeatureId = id;
  if (popup) popup.remove();
  popup = new maplibregl.Popup({ maxWidth: '340px', closeButton: true, focusAfterOpen: false })
    .setLngLat(lngLat)
    .setDOMContent(popupContent(p))
    .addTo(map);
  popup.on('close', () => { if (popupFeatureId === id) popupFeatureId = null; });
}

map.on('click', 'shelters', (e) => {
  const f = e.features?.[0];
  if (!f) return;
  openPopup(f.id, f.geometry?.type === 'Point' ? f.geometry.coordinates : e.lngLat);
});
map.on('mouseenter', 'shelters', () => { map.getCanvas().style.cursor = 'pointer'; });
map.on('mouseleave', 'shelters', () => { map.getCanvas().style.cursor = ''; });

// ---------------------------------------------------------------------------
// panel

function renderLegend() {
  const ul = $('legend');
  ul.replaceChildren(
    ...STATUS.map((s) => el('li', { 'data-status': s.key },
      el('span', { class: 'swatch', style: `background:${s.color}` }),
      lang === 'ja' ? s.key : `${s.en} (${s.key})`)),
    el('li', { 'data-status': 'stale' },
      el('span', { class: 'swatch', style: `background:${STALE_COLOR}` }), t('stale')),
  );
  ul.setAttribute('aria-label', t('legend'));
}

function renderStats() {
  $('shelter-count').textContent = fmtInt(lastSummary.count);
  $('evacuee-total').textContent = fmtInt(lastSummary.evacuees);
  const r = $('last-refresh');
  if (lastSummary.refreshedAt) {
    r.textContent = lastSummary.refreshedAt.toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-GB');
    r.setAttribute('datetime', lastSummary.refreshedAt.toISOString());
    r.title = fmtTime(lastSummary.refreshedAt);
  }
  const err = $('load-error');
  err.hidden = !lastSummary.error;
  err.textContent = lastSummary.error ? `${t('loadError')}: ${lastSummary.error}` : '';
}

function applyLang() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('lang').textContent = t('langButton');
  $('lang').setAttribute('aria-label', lang === 'ja' ? 'Switch to English' : '日本語に切り替え');
  renderLegend();
  renderStats();
  if (popup && popupFeatureId != null && featureProps.has(popupFeatureId)) {
    popup.setDOMContent(popupContent(featureProps.get(popupFeatureId)));
  }
}

$('lang').addEventListener('click', () => {
  lang = lang === 'ja' ? 'en' : 'ja';
  try { localStorage.setItem('disasterhub.lang', lang); } catch { /* ignore */ }
  applyLang();
});

$('toggle-shelters').addEventListener('change', (e) => {
  const visible = e.target.checked;
  if (map.getLayer('shelters')) map.setLayoutProperty('shelters', 'visibility', visible ? 'visible' : 'none');
  if (!visible && popup) popup.remove();
});

applyLang();

// ---------------------------------------------------------------------------
// refresh loop

let firstLoad = true;
let inFlight = false;

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  try {
    const features = await fetchAllFeatures(SHELTERS_URL);
    const { fc, evacueeTotal } = prepare(features);
    map.getSource('shelters').setData(fc);
    lastSummary = { count: fc.features.length, evacuees: evacueeTotal, refreshedAt: new Date(), error: null };
    if (firstLoad) {
      const b = boundsOf(fc);
      if (b) {
        const wide = map.getContainer().clientWidth >= 720;
        const padding = wide ? { top: 60, bottom: 60, left: 320, right: 60 } : 30;
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding, maxZoom: 10, duration: 0 });
      }
    }
    // keep an open popup in sync with the newest data (or close it if the feature vanished)
    if (popup && popupFeatureId != null) {
      if (featureProps.has(popupFeatureId)) popup.setDOMContent(popupContent(featureProps.get(popupFeatureId)));
      else popup.remove();
    }
  } catch (err) {
    lastSummary = { ...lastSummary, error: err?.name === 'AbortError' ? 'timeout' : String(err?.message ?? err) };
    console.error('shelters refresh failed', err);
  } finally {
    inFlight = false;
    renderStats();
    if (firstLoad) {
      firstLoad = false;
      // ready once the map has drawn the first data (or at once if it is already idle)
      let done = false;
      const markReady = () => { if (!done) { done = true; document.body.dataset.ready = '1'; } };
      map.once('idle', markReady);
      map.triggerRepaint();
      setTimeout(markReady, 5000); // never hang the tests on a missed idle event
    }
  }
}

map.once('load', () => {
  refresh();
  setInterval(refresh, REFRESH_MS);
});
